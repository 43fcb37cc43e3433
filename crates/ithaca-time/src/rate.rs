//! A token-bucket rate limiter with the semantics of `golang.org/x/time/rate`.
//!
//! Owns: [`Limit`], [`Limiter`], [`Reservation`], [`WaitError`].
//!
//! The bucket holds up to `burst` tokens and refills at `limit` tokens per second; it starts
//! full. Every operation has an `_at(t)` form taking an explicit time (Go's `AllowN(t, n)`,
//! `ReserveN(t, n)`, `TokensAt(t)`, `SetLimitAt`, `SetBurstAt`, `CancelAt`), and the plain form
//! uses the limiter's [`Clock`] (the real one by default; a virtual one makes `wait`
//! deterministic in tests).
//!
//! # Invariants
//!
//! * All state is behind one mutex; no lock is held while waiting.
//! * Time going backwards is treated as "no time passed" (no tokens are minted).
//! * `tokens` may go negative: a reservation that must wait borrows from the future.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ithaca_core::{Arm, Select};

use crate::clock::Clock;

/// Go's `rate.InfDuration`: the delay of a reservation that is not OK.
pub const INF_DURATION: Duration = Duration::MAX;

const INF_NANOS: i64 = i64::MAX;

/// A rate of events per second (Go's `rate.Limit`, a float64).
///
/// ```
/// use std::time::Duration;
/// use ithaca_time::rate::Limit;
/// assert_eq!(Limit::every(Duration::from_millis(100)), Limit::new(10.0));
/// assert_eq!(Limit::every(Duration::ZERO), Limit::INF);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Limit(f64);

impl Limit {
    /// No limit: every request is allowed, and the burst is ignored.
    pub const INF: Limit = Limit(f64::MAX);

    /// `r` events per second.
    ///
    /// ```
    /// assert_eq!(ithaca_time::rate::Limit::new(2.5).as_f64(), 2.5);
    /// ```
    pub const fn new(r: f64) -> Limit {
        Limit(r)
    }

    /// One event every `interval`; a zero interval is [`Limit::INF`] (Go's `Every`).
    ///
    /// ```
    /// let l = ithaca_time::rate::Limit::every(std::time::Duration::from_secs(2));
    /// assert_eq!(l.as_f64(), 0.5);
    /// ```
    pub fn every(interval: Duration) -> Limit {
        if interval.is_zero() {
            return Limit::INF;
        }
        Limit(1.0 / interval.as_secs_f64())
    }

    /// The rate in events per second.
    ///
    /// ```
    /// assert_eq!(ithaca_time::rate::Limit::new(3.0).as_f64(), 3.0);
    /// ```
    pub const fn as_f64(self) -> f64 {
        self.0
    }

    /// Nanoseconds needed to accumulate `tokens` (may be negative); `INF_NANOS` if never.
    fn duration_from_tokens(self, tokens: f64) -> i64 {
        if self.0 <= 0.0 {
            return INF_NANOS;
        }
        let d = (tokens / self.0) * 1e9;
        if d > i64::MAX as f64 {
            return INF_NANOS;
        }
        d as i64
    }

    /// Tokens accumulated in `d` nanoseconds (Go's `d.Seconds() * limit`).
    fn tokens_from_duration(self, d: i64) -> f64 {
        if self.0 <= 0.0 {
            return 0.0;
        }
        let secs = (d / 1_000_000_000) as f64 + (d % 1_000_000_000) as f64 / 1e9;
        secs * self.0
    }
}

impl From<f64> for Limit {
    fn from(r: f64) -> Limit {
        Limit(r)
    }
}

/// `a - b` in nanoseconds, saturating.
fn sub(a: Instant, b: Instant) -> i64 {
    if a >= b {
        i64::try_from(a.duration_since(b).as_nanos()).unwrap_or(i64::MAX)
    } else {
        -i64::try_from(b.duration_since(a).as_nanos()).unwrap_or(i64::MAX)
    }
}

/// `t + d` for signed nanoseconds, saturating at the representable range.
fn add(t: Instant, d: i64) -> Instant {
    let mag = Duration::from_nanos(d.unsigned_abs());
    let r = if d >= 0 {
        t.checked_add(mag)
    } else {
        t.checked_sub(mag)
    };
    r.unwrap_or_else(|| {
        // Saturate: the largest step that fits.
        let mut step = mag;
        let mut cur = t;
        while !step.is_zero() {
            let next = if d >= 0 {
                cur.checked_add(step)
            } else {
                cur.checked_sub(step)
            };
            match next {
                Some(n) => cur = n,
                None => step /= 2,
            }
        }
        cur
    })
}

struct State {
    limit: Limit,
    burst: usize,
    tokens: f64,
    /// Last time `tokens` was updated (`None`: never, i.e. Go's zero time).
    last: Option<Instant>,
    /// Latest time of a rate-limited event (past or future).
    last_event: Option<Instant>,
}

impl State {
    /// Tokens at `t`, without mutating.
    fn advance(&self, t: Instant) -> f64 {
        let burst = self.burst as f64;
        let tokens = match self.last {
            None if self.limit.0 > 0.0 => burst, // infinitely long ago
            None => self.tokens,
            Some(last) => {
                let last = last.min(t);
                self.tokens + self.limit.tokens_from_duration(sub(t, last))
            }
        };
        tokens.min(burst)
    }
}

struct Shared {
    clock: Clock,
    st: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Go's `rate.Limiter`: a token bucket of size `burst` refilled at `limit` per second,
/// starting full. Cheap to clone (clones share the bucket); `Send + Sync`.
///
/// ```
/// use std::time::Duration;
/// use ithaca_time::rate::{Limit, Limiter};
///
/// let lim = Limiter::new(Limit::every(Duration::from_secs(1)), 2);
/// assert!(lim.allow());
/// assert!(lim.allow());
/// assert!(!lim.allow()); // the burst is spent; one token per second from now
/// ```
#[derive(Clone)]
pub struct Limiter {
    sh: Arc<Shared>,
}

impl fmt::Debug for Limiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.sh.lock();
        f.debug_struct("Limiter")
            .field("limit", &st.limit)
            .field("burst", &st.burst)
            .field("tokens", &st.tokens)
            .finish()
    }
}

/// A reservation of tokens (Go's `rate.Reservation`): act after [`Reservation::delay`], or
/// give the tokens back with [`Reservation::cancel`].
///
/// ```
/// use ithaca_time::rate::{Limit, Limiter};
/// let lim = Limiter::new(Limit::new(10.0), 1);
/// let r = lim.reserve();
/// assert!(r.ok());
/// assert_eq!(r.delay(), std::time::Duration::ZERO);
/// ```
#[derive(Clone)]
pub struct Reservation {
    ok: bool,
    sh: Arc<Shared>,
    tokens: usize,
    time_to_act: Instant,
    /// The limit at reservation time (it may change later).
    limit: Limit,
}

impl fmt::Debug for Reservation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reservation")
            .field("ok", &self.ok)
            .field("tokens", &self.tokens)
            .field("time_to_act", &self.time_to_act)
            .finish()
    }
}

impl Reservation {
    /// Whether the limiter can grant the tokens within the maximum wait. A reservation that
    /// is not OK never is (for example `n > burst`).
    ///
    /// ```
    /// use ithaca_time::rate::{Limit, Limiter};
    /// let lim = Limiter::new(Limit::new(10.0), 1);
    /// assert!(!lim.reserve_n(std::time::Instant::now(), 2).ok());
    /// ```
    pub fn ok(&self) -> bool {
        self.ok
    }

    /// The instant at which the reserved event may happen (`None` if not OK).
    ///
    /// ```
    /// use ithaca_time::rate::{Limit, Limiter};
    /// let t = std::time::Instant::now();
    /// let lim = Limiter::new(Limit::new(10.0), 1);
    /// assert_eq!(lim.reserve_n(t, 1).time_to_act(), Some(t));
    /// ```
    pub fn time_to_act(&self) -> Option<Instant> {
        self.ok.then_some(self.time_to_act)
    }

    /// How long to wait from now (the limiter's clock) before acting; [`INF_DURATION`] if
    /// not OK.
    ///
    /// ```
    /// use ithaca_time::rate::{Limit, Limiter};
    /// let lim = Limiter::new(Limit::new(10.0), 1);
    /// assert!(lim.reserve().delay().is_zero());
    /// ```
    pub fn delay(&self) -> Duration {
        self.delay_from(self.sh.clock.now())
    }

    /// How long to wait from `t` before acting; [`INF_DURATION`] if not OK (Go's `DelayFrom`).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ithaca_time::rate::{Limit, Limiter};
    /// let t = Instant::now();
    /// let lim = Limiter::new(Limit::new(10.0), 1);
    /// lim.reserve_n(t, 1);
    /// assert_eq!(lim.reserve_n(t, 1).delay_from(t), Duration::from_millis(100));
    /// ```
    pub fn delay_from(&self, t: Instant) -> Duration {
        if !self.ok {
            return INF_DURATION;
        }
        self.time_to_act.saturating_duration_since(t)
    }

    /// Gives the tokens back as far as possible, now (Go's `Cancel`). A reservation that is
    /// already due gives nothing back.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ithaca_time::rate::{Limit, Limiter};
    /// let lim = Limiter::new(Limit::new(1e-3), 1);
    /// assert!(lim.allow());
    /// let r = lim.reserve(); // due in about 1000 s: tokens go to -1
    /// assert!(r.delay() > Duration::from_secs(900));
    /// r.cancel();
    /// assert!(lim.tokens() > -0.5); // the token came back
    /// ```
    pub fn cancel(&self) {
        self.cancel_at(self.sh.clock.now())
    }

    /// Gives the tokens back as if at time `t` (Go's `CancelAt`): nothing if the reservation
    /// is not OK, reserved no tokens, or is already due; minus the tokens reserved after it.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ithaca_time::rate::{Limit, Limiter};
    /// let t0 = Instant::now();
    /// let lim = Limiter::new(Limit::new(10.0), 2);
    /// lim.reserve_n(t0, 2);
    /// let r = lim.reserve_n(t0, 2); // must wait 200 ms
    /// r.cancel_at(t0 + Duration::from_millis(100));
    /// // 1 token refilled by then, plus the 2 given back, minus the 2 already spent.
    /// assert_eq!(lim.tokens_at(t0 + Duration::from_millis(100)), 1.0);
    /// ```
    pub fn cancel_at(&self, t: Instant) {
        if !self.ok {
            return;
        }
        let mut st = self.sh.lock();
        if st.limit == Limit::INF || self.tokens == 0 || self.time_to_act < t {
            return;
        }
        // Tokens reserved after this one cannot be given back.
        let last_event = st.last_event.unwrap_or(self.time_to_act);
        let restore = self.tokens as f64
            - self
                .limit
                .tokens_from_duration(sub(last_event, self.time_to_act));
        if restore <= 0.0 {
            return;
        }
        let tokens = (st.advance(t) + restore).min(st.burst as f64);
        st.last = Some(t);
        st.tokens = tokens;
        if Some(self.time_to_act) == st.last_event {
            let prev = add(
                self.time_to_act,
                self.limit.duration_from_tokens(-(self.tokens as f64)),
            );
            if prev >= t {
                st.last_event = Some(prev);
            }
        }
    }
}

/// Why a limiter wait failed.
///
/// ```
/// use ithaca_time::rate::WaitError;
/// let e = WaitError::ExceedsBurst { n: 4, burst: 3 };
/// assert_eq!(e.to_string(), "rate: Wait(n=4) exceeds limiter's burst 3");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitError {
    /// `n` is larger than the burst (and the limit is not infinite).
    ExceedsBurst {
        /// Tokens asked for.
        n: usize,
        /// The limiter's burst.
        burst: usize,
    },
    /// The tokens would only be available after the deadline given.
    WouldExceedDeadline {
        /// Tokens asked for.
        n: usize,
    },
    /// The cancel arm (for example a context's `done()`) became ready first; the tokens were
    /// given back. With a context, report `ctx.err()`.
    Cancelled,
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::ExceedsBurst { n, burst } => {
                write!(f, "rate: Wait(n={n}) exceeds limiter's burst {burst}")
            }
            WaitError::WouldExceedDeadline { n } => {
                write!(f, "rate: Wait(n={n}) would exceed context deadline")
            }
            WaitError::Cancelled => f.write_str("rate: Wait cancelled"),
        }
    }
}

impl std::error::Error for WaitError {}

enum Plan {
    Now,
    Later(Reservation, Duration),
}

impl Limiter {
    /// A limiter allowing `limit` events per second with bursts of up to `burst`, on the real
    /// clock. It starts full.
    ///
    /// ```
    /// use ithaca_time::rate::{Limit, Limiter};
    /// let lim = Limiter::new(Limit::new(0.0), 1); // starts full: one event, then never
    /// assert!(lim.allow());
    /// assert!(!lim.allow());
    /// ```
    pub fn new(limit: Limit, burst: usize) -> Limiter {
        Limiter::with_clock(limit, burst, &Clock::real())
    }

    /// A limiter on `clock` (a virtual clock makes `wait` and the plain methods deterministic).
    ///
    /// ```
    /// use std::time::Duration;
    /// use ithaca_time::{rate::{Limit, Limiter}, Clock};
    /// let clock = Clock::manual();
    /// let lim = Limiter::with_clock(Limit::new(1.0), 1, &clock);
    /// assert!(lim.allow());
    /// assert!(!lim.allow());
    /// clock.advance(Duration::from_secs(1));
    /// assert!(lim.allow());
    /// ```
    pub fn with_clock(limit: Limit, burst: usize, clock: &Clock) -> Limiter {
        Limiter {
            sh: Arc::new(Shared {
                clock: clock.clone(),
                st: Mutex::new(State {
                    limit,
                    burst,
                    tokens: burst as f64,
                    last: None,
                    last_event: None,
                }),
            }),
        }
    }

    /// The clock this limiter reads.
    ///
    /// ```
    /// use ithaca_time::rate::{Limit, Limiter};
    /// assert!(!Limiter::new(Limit::INF, 0).clock().is_virtual());
    /// ```
    pub fn clock(&self) -> &Clock {
        &self.sh.clock
    }

    /// The maximum event rate.
    ///
    /// ```
    /// use ithaca_time::rate::{Limit, Limiter};
    /// assert_eq!(Limiter::new(Limit::new(5.0), 1).limit(), Limit::new(5.0));
    /// ```
    pub fn limit(&self) -> Limit {
        self.sh.lock().limit
    }

    /// The maximum burst size.
    ///
    /// ```
    /// use ithaca_time::rate::{Limit, Limiter};
    /// assert_eq!(Limiter::new(Limit::new(5.0), 3).burst(), 3);
    /// ```
    pub fn burst(&self) -> usize {
        self.sh.lock().burst
    }

    /// Tokens available now.
    ///
    /// ```
    /// use ithaca_time::rate::{Limit, Limiter};
    /// assert_eq!(Limiter::new(Limit::new(5.0), 3).tokens(), 3.0);
    /// ```
    pub fn tokens(&self) -> f64 {
        self.tokens_at(self.sh.clock.now())
    }

    /// Tokens available at `t` (Go's `TokensAt`).
    ///
    /// ```
    /// use ithaca_time::rate::{Limit, Limiter};
    /// let t = std::time::Instant::now();
    /// let lim = Limiter::new(Limit::new(5.0), 3);
    /// assert!(lim.allow_n(t, 2));
    /// assert_eq!(lim.tokens_at(t), 1.0);
    /// ```
    pub fn tokens_at(&self, t: Instant) -> f64 {
        self.sh.lock().advance(t)
    }

    /// Whether one event may happen now; consumes a token if so.
    ///
    /// ```
    /// use ithaca_time::rate::{Limit, Limiter};
    /// assert!(Limiter::new(Limit::INF, 0).allow());
    /// ```
    pub fn allow(&self) -> bool {
        self.allow_n(self.sh.clock.now(), 1)
    }

    /// Whether `n` events may happen at `t`; consumes the tokens if so (Go's `AllowN`).
    ///
    /// ```
    /// use ithaca_time::rate::{Limit, Limiter};
    /// let lim = Limiter::new(Limit::new(10.0), 3);
    /// assert!(!lim.allow_n(std::time::Instant::now(), 4)); // more than the burst
    /// ```
    pub fn allow_n(&self, t: Instant, n: usize) -> bool {
        self.reserve_raw(t, n, Duration::ZERO).0
    }

    /// Reserves one token now (Go's `Reserve`).
    ///
    /// ```
    /// use ithaca_time::rate::{Limit, Limiter};
    /// assert!(Limiter::new(Limit::new(1.0), 1).reserve().ok());
    /// ```
    pub fn reserve(&self) -> Reservation {
        self.reserve_n(self.sh.clock.now(), 1)
    }

    /// Reserves `n` tokens at `t`, however long that takes (Go's `ReserveN`); not OK only if
    /// `n > burst` (or the limit is zero and the bucket cannot cover `n`).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ithaca_time::rate::{Limit, Limiter};
    /// let t = Instant::now();
    /// let lim = Limiter::new(Limit::new(10.0), 2);
    /// assert_eq!(lim.reserve_n(t, 2).delay_from(t), Duration::ZERO);
    /// assert_eq!(lim.reserve_n(t, 2).delay_from(t), Duration::from_millis(200));
    /// ```
    pub fn reserve_n(&self, t: Instant, n: usize) -> Reservation {
        self.reserve_within(t, n, INF_DURATION)
    }

    /// Reserves `n` tokens at `t` only if they are available within `max_wait` (Go's
    /// internal `reserveN(t, n, maxFutureReserve)`); otherwise the reservation is not OK and
    /// nothing changes.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ithaca_time::rate::{Limit, Limiter};
    /// let t = Instant::now();
    /// let lim = Limiter::new(Limit::new(10.0), 1);
    /// lim.reserve_n(t, 1);
    /// assert!(!lim.reserve_within(t, 1, Duration::from_millis(50)).ok());
    /// assert!(lim.reserve_within(t, 1, Duration::from_millis(100)).ok());
    /// ```
    pub fn reserve_within(&self, t: Instant, n: usize, max_wait: Duration) -> Reservation {
        let (ok, time_to_act, limit) = self.reserve_raw(t, n, max_wait);
        Reservation {
            ok,
            sh: self.sh.clone(),
            tokens: if ok { n } else { 0 },
            time_to_act,
            limit,
        }
    }

    /// Go's `reserveN` without building a `Reservation`: (ok, time to act, limit then).
    fn reserve_raw(&self, t: Instant, n: usize, max_wait: Duration) -> (bool, Instant, Limit) {
        let mut st = self.sh.lock();
        if st.limit == Limit::INF {
            return (true, t, st.limit);
        }
        let tokens = st.advance(t) - n as f64;
        let wait = if tokens < 0.0 {
            st.limit.duration_from_tokens(-tokens)
        } else {
            0
        };
        let max = i64::try_from(max_wait.as_nanos()).unwrap_or(i64::MAX);
        let ok = n <= st.burst && wait <= max;
        let time_to_act = if wait == 0 { t } else { add(t, wait) };
        if ok {
            st.last = Some(t);
            st.tokens = tokens;
            st.last_event = Some(time_to_act);
        }
        (ok, time_to_act, st.limit)
    }

    /// Changes the limit now (Go's `SetLimit`); outstanding reservations keep the old one.
    ///
    /// ```
    /// use ithaca_time::rate::{Limit, Limiter};
    /// let lim = Limiter::new(Limit::new(1.0), 1);
    /// lim.set_limit(Limit::INF);
    /// assert!(lim.allow() && lim.allow());
    /// ```
    pub fn set_limit(&self, limit: Limit) {
        self.set_limit_at(self.sh.clock.now(), limit)
    }

    /// Changes the limit as of `t` (Go's `SetLimitAt`).
    ///
    /// ```
    /// use ithaca_time::rate::{Limit, Limiter};
    /// let lim = Limiter::new(Limit::new(1.0), 1);
    /// lim.set_limit_at(std::time::Instant::now(), Limit::new(2.0));
    /// assert_eq!(lim.limit(), Limit::new(2.0));
    /// ```
    pub fn set_limit_at(&self, t: Instant, limit: Limit) {
        let mut st = self.sh.lock();
        st.tokens = st.advance(t);
        st.last = Some(t);
        st.limit = limit;
    }

    /// Changes the burst now (Go's `SetBurst`).
    ///
    /// ```
    /// use ithaca_time::rate::{Limit, Limiter};
    /// let lim = Limiter::new(Limit::new(1.0), 1);
    /// lim.set_burst(5);
    /// assert_eq!(lim.burst(), 5);
    /// ```
    pub fn set_burst(&self, burst: usize) {
        self.set_burst_at(self.sh.clock.now(), burst)
    }

    /// Changes the burst as of `t` (Go's `SetBurstAt`).
    ///
    /// ```
    /// use ithaca_time::rate::{Limit, Limiter};
    /// let lim = Limiter::new(Limit::new(1.0), 1);
    /// lim.set_burst_at(std::time::Instant::now(), 2);
    /// assert_eq!(lim.burst(), 2);
    /// ```
    pub fn set_burst_at(&self, t: Instant, burst: usize) {
        let mut st = self.sh.lock();
        st.tokens = st.advance(t);
        st.last = Some(t);
        st.burst = burst;
    }

    /// Steps of Go's `wait` before sleeping: burst check, cancel check, reservation.
    fn plan(
        &self,
        n: usize,
        cancel: &mut dyn Arm,
        deadline: Option<Instant>,
    ) -> Result<Plan, WaitError> {
        let (burst, limit) = {
            let st = self.sh.lock();
            (st.burst, st.limit)
        };
        if n > burst && limit != Limit::INF {
            return Err(WaitError::ExceedsBurst { n, burst });
        }
        if Select::new(&mut [cancel]).default().wait().is_some() {
            return Err(WaitError::Cancelled);
        }
        let t = self.sh.clock.now();
        let max_wait = match deadline {
            Some(d) => d.saturating_duration_since(t),
            None => INF_DURATION,
        };
        let r = self.reserve_within(t, n, max_wait);
        if !r.ok {
            return Err(WaitError::WouldExceedDeadline { n });
        }
        let delay = r.delay_from(t);
        if delay.is_zero() {
            Ok(Plan::Now)
        } else {
            Ok(Plan::Later(r, delay))
        }
    }

    /// Waits in a task until one event may happen (Go's `Wait` with a background context).
    ///
    /// # Cancel safety
    ///
    /// If dropped while waiting, the reserved token is **not** given back (the reservation
    /// was made); use [`Limiter::wait_n_or`] with a cancel arm to give tokens back.
    ///
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// use ithaca_time::rate::{Limit, Limiter};
    /// let lim = Limiter::new(Limit::new(1000.0), 1);
    /// lim.wait().await.unwrap();
    /// lim.wait().await.unwrap(); // about 1 ms later
    /// # });
    /// ```
    pub fn wait(&self) -> impl std::future::Future<Output = Result<(), WaitError>> + Send + '_ {
        self.wait_n_or(1, crate::Never::new(), None)
    }

    /// Waits in a task until `n` events may happen (Go's `WaitN`, background context).
    ///
    /// # Cancel safety
    ///
    /// As for [`Limiter::wait`].
    ///
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// use ithaca_time::rate::{Limit, Limiter, WaitError};
    /// let lim = Limiter::new(Limit::new(10.0), 3);
    /// assert_eq!(lim.wait_n(4).await, Err(WaitError::ExceedsBurst { n: 4, burst: 3 }));
    /// # });
    /// ```
    pub fn wait_n(
        &self,
        n: usize,
    ) -> impl std::future::Future<Output = Result<(), WaitError>> + Send + '_ {
        self.wait_n_or(n, crate::Never::new(), None)
    }

    /// Go's `WaitN(ctx, n)`: waits in a task until `n` events may happen, unless `cancel`
    /// (for example `ctx.done()` of `ithaca-context`) completes first, in which case the
    /// tokens are given back and [`WaitError::Cancelled`] is returned. With a `deadline`
    /// (the context's), fails at once if the tokens would come later.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped while waiting, the reservation stands (tokens not returned).
    ///
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// use std::time::{Duration, Instant};
    /// use ithaca_time::rate::{Limit, Limiter, WaitError};
    /// let lim = Limiter::new(Limit::new(1.0), 1);
    /// lim.wait().await.unwrap();
    /// // The next token comes in 1 s, after this deadline:
    /// let dl = Instant::now() + Duration::from_millis(10);
    /// let r = lim.wait_n_or(1, ithaca_time::never(), Some(dl)).await;
    /// assert_eq!(r, Err(WaitError::WouldExceedDeadline { n: 1 }));
    /// # });
    /// ```
    pub fn wait_n_or<A: Arm + 'static>(
        &self,
        n: usize,
        cancel: A,
        deadline: Option<Instant>,
    ) -> impl std::future::Future<Output = Result<(), WaitError>> + Send + '_ {
        let mut cancel = cancel;
        async move {
            let (r, delay) = match self.plan(n, &mut cancel, deadline)? {
                Plan::Now => return Ok(()),
                Plan::Later(r, d) => (r, d),
            };
            let mut timer = self.sh.clock.after(delay);
            let won = Select::new(&mut [&mut timer, &mut cancel]).biased().await;
            if won == Some(0) {
                Ok(())
            } else {
                r.cancel();
                Err(WaitError::Cancelled)
            }
        }
    }

    /// Blocking form of [`Limiter::wait`].
    ///
    /// # Blocking
    ///
    /// Parks the thread until the token is available.
    ///
    /// ```
    /// use ithaca_time::rate::{Limit, Limiter};
    /// Limiter::new(Limit::INF, 0).wait_blocking().unwrap();
    /// ```
    pub fn wait_blocking(&self) -> Result<(), WaitError> {
        self.wait_n_or_blocking(1, crate::Never::new(), None)
    }

    /// Blocking form of [`Limiter::wait_n_or`].
    ///
    /// # Blocking
    ///
    /// Parks the thread until the tokens are available or `cancel` completes.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ithaca_time::rate::{Limit, Limiter, WaitError};
    /// let lim = Limiter::new(Limit::new(0.001), 1);
    /// lim.wait_blocking().unwrap();
    /// // The next token is 1000 s away; a 5 ms timer cancels the wait.
    /// let cancel = ithaca_time::after(Duration::from_millis(5));
    /// assert_eq!(lim.wait_n_or_blocking(1, cancel, None), Err(WaitError::Cancelled));
    /// assert!(lim.tokens() > -0.5); // the reserved token was given back
    /// ```
    pub fn wait_n_or_blocking<A: Arm>(
        &self,
        n: usize,
        mut cancel: A,
        deadline: Option<Instant>,
    ) -> Result<(), WaitError> {
        let (r, delay) = match self.plan(n, &mut cancel, deadline)? {
            Plan::Now => return Ok(()),
            Plan::Later(r, d) => (r, d),
        };
        let mut timer = self.sh.clock.after(delay);
        if Select::new(&mut [&mut timer, &mut cancel]).biased().wait() == Some(0) {
            Ok(())
        } else {
            r.cancel();
            Err(WaitError::Cancelled)
        }
    }
}
