//! Throttling: how many goroutines may run a piece of code at once ([`Throttle`], over
//! [`ithaca_sync::Semaphore`]) and how often it may run ([`RateLimit`], over
//! [`ithaca_time::rate::Limiter`]).
//!
//! # Invariants
//!
//! * A [`Permit`] holds exactly one token of its throttle's semaphore and gives it back when
//!   dropped (also when the guarded code panics or its future is dropped).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ithaca_sync::Semaphore;
use ithaca_time::rate::{Limit, Limiter, WaitError};

/// Limits how many goroutines run a piece of code at once (Go's buffered-channel semaphore
/// `sem := make(chan struct{}, n)`). A cheap `Clone` handle; FIFO, no barging.
///
/// ```
/// use ithaca_patterns::throttle::Throttle;
/// # ithaca_rt::block_on(async {
/// let t = Throttle::new(2);
/// let hs: Vec<_> = (0..6).map(|i| {
///     let t = t.clone();
///     ithaca_rt::go!(async move { t.run(async move { i * 10 }).await })
/// }).collect();
/// let mut sum = 0;
/// for h in hs { sum += h.await.unwrap(); }
/// assert_eq!(sum, 150);
/// # });
/// ```
#[derive(Clone)]
pub struct Throttle {
    sem: Arc<Semaphore>,
}

impl fmt::Debug for Throttle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Throttle")
            .field("limit", &self.sem.size())
            .field("available", &self.sem.available())
            .finish()
    }
}

/// One slot of a [`Throttle`], given back on drop.
///
/// ```
/// let t = ithaca_patterns::throttle::Throttle::new(1);
/// let p = t.try_acquire().unwrap();
/// assert!(t.try_acquire().is_none());
/// drop(p);
/// assert!(t.try_acquire().is_some());
/// ```
#[must_use = "the slot is given back as soon as the permit is dropped"]
pub struct Permit {
    sem: Arc<Semaphore>,
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.sem.release(1);
    }
}

impl Throttle {
    /// At most `n` at once.
    ///
    /// # Panics
    ///
    /// If `n` is 0 (nothing could ever run).
    ///
    /// ```
    /// assert_eq!(ithaca_patterns::throttle::Throttle::new(3).limit(), 3);
    /// ```
    #[track_caller]
    pub fn new(n: usize) -> Self {
        assert!(n > 0, "throttle: a limit of 0 would never let anything run");
        Throttle {
            sem: Arc::new(Semaphore::new(n)),
        }
    }

    /// The limit.
    ///
    /// ```
    /// assert_eq!(ithaca_patterns::throttle::Throttle::new(2).limit(), 2);
    /// ```
    pub fn limit(&self) -> usize {
        self.sem.size()
    }

    /// Free slots right now.
    ///
    /// ```
    /// let t = ithaca_patterns::throttle::Throttle::new(2);
    /// let _p = t.try_acquire().unwrap();
    /// assert_eq!(t.available(), 1);
    /// ```
    pub fn available(&self) -> usize {
        self.sem.available()
    }

    /// Waits for a slot (FIFO).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped future takes no slot (a slot handed to it is passed on).
    ///
    /// ```
    /// # ithaca_rt::block_on(async {
    /// let t = ithaca_patterns::throttle::Throttle::new(1);
    /// let p = t.acquire().await;
    /// assert_eq!(t.available(), 0);
    /// drop(p);
    /// # });
    /// ```
    #[track_caller]
    pub fn acquire(&self) -> impl Future<Output = Permit> + Send + '_ {
        let fut = self.sem.acquire(1);
        async move {
            fut.await.expect("throttle: semaphore refused one token");
            Permit {
                sem: self.sem.clone(),
            }
        }
    }

    /// A slot if one is free now and nobody is queued.
    ///
    /// ```
    /// let t = ithaca_patterns::throttle::Throttle::new(1);
    /// assert!(t.try_acquire().is_some());
    /// ```
    pub fn try_acquire(&self) -> Option<Permit> {
        self.sem.try_acquire(1).then(|| Permit {
            sem: self.sem.clone(),
        })
    }

    /// Waits for a slot from a plain thread.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until a slot is free.
    ///
    /// ```
    /// let t = ithaca_patterns::throttle::Throttle::new(1);
    /// let p = t.acquire_blocking();
    /// # drop(p);
    /// ```
    #[track_caller]
    pub fn acquire_blocking(&self) -> Permit {
        self.sem
            .acquire_blocking(1)
            .expect("throttle: semaphore refused one token");
        Permit {
            sem: self.sem.clone(),
        }
    }

    /// Runs `fut` holding a slot.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future drops `fut` and gives the slot back.
    ///
    /// ```
    /// # ithaca_rt::block_on(async {
    /// let t = ithaca_patterns::throttle::Throttle::new(1);
    /// assert_eq!(t.run(async { 5 }).await, 5);
    /// # });
    /// ```
    #[track_caller]
    pub fn run<'a, F: Future + 'a>(&'a self, fut: F) -> impl Future<Output = F::Output> + 'a {
        let permit = self.acquire();
        async move {
            let _p = permit.await;
            fut.await
        }
    }

    /// Runs `f` on this thread holding a slot.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until a slot is free, then runs `f`.
    ///
    /// ```
    /// let t = ithaca_patterns::throttle::Throttle::new(2);
    /// assert_eq!(t.run_blocking(|| 1 + 1), 2);
    /// ```
    #[track_caller]
    pub fn run_blocking<R>(&self, f: impl FnOnce() -> R) -> R {
        let _p = self.acquire_blocking();
        f()
    }
}

/// Time-based throttling (gobyexample "Rate Limiting"): at most `rate` runs per second with
/// bursts of up to `burst`, over x/time/rate's token bucket. A cheap `Clone` handle.
///
/// ```
/// use std::time::{Duration, Instant};
/// use ithaca_patterns::throttle::RateLimit;
/// # ithaca_rt::block_on(async {
/// let every = RateLimit::every(Duration::from_millis(2), 1);
/// let start = Instant::now();
/// for _ in 0..4 {
///     every.wait().await;
/// }
/// assert!(start.elapsed() >= Duration::from_millis(6)); // the first is free
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct RateLimit {
    lim: Arc<Limiter>,
}

impl RateLimit {
    /// `per_second` events per second, bursts of up to `burst` (the bucket starts full).
    ///
    /// # Panics
    ///
    /// If `burst` is 0 (nothing could ever run).
    ///
    /// ```
    /// let r = ithaca_patterns::throttle::RateLimit::new(100.0, 3);
    /// assert!(r.allow() && r.allow() && r.allow());
    /// ```
    #[track_caller]
    pub fn new(per_second: f64, burst: usize) -> Self {
        assert!(
            burst > 0,
            "throttle: a burst of 0 would never let anything run"
        );
        RateLimit::from_limiter(Limiter::new(Limit::new(per_second), burst))
    }

    /// One event every `interval`, bursts of up to `burst` (Go's `rate.Every`, or a
    /// `time.Tick` gate when `burst` is 1).
    ///
    /// # Panics
    ///
    /// If `burst` is 0.
    ///
    /// ```
    /// let r = ithaca_patterns::throttle::RateLimit::every(std::time::Duration::from_secs(1), 1);
    /// assert!(r.allow());
    /// assert!(!r.allow());
    /// ```
    #[track_caller]
    pub fn every(interval: Duration, burst: usize) -> Self {
        assert!(
            burst > 0,
            "throttle: a burst of 0 would never let anything run"
        );
        RateLimit::from_limiter(Limiter::new(Limit::every(interval), burst))
    }

    /// Wraps an existing limiter (for a virtual clock, say).
    ///
    /// ```
    /// use ithaca_time::{rate::{Limit, Limiter}, Clock};
    /// let clock = Clock::manual();
    /// let r = ithaca_patterns::throttle::RateLimit::from_limiter(Limiter::with_clock(Limit::new(1.0), 1, &clock));
    /// assert!(r.allow());
    /// assert!(!r.allow());
    /// clock.advance(std::time::Duration::from_secs(1));
    /// assert!(r.allow());
    /// ```
    pub fn from_limiter(lim: Limiter) -> Self {
        RateLimit { lim: Arc::new(lim) }
    }

    /// The underlying limiter (to change its limit or burst at run time).
    ///
    /// ```
    /// let r = ithaca_patterns::throttle::RateLimit::new(5.0, 2);
    /// assert_eq!(r.limiter().burst(), 2);
    /// ```
    pub fn limiter(&self) -> &Limiter {
        &self.lim
    }

    /// Takes one event now if the bucket has a token (never waits).
    ///
    /// ```
    /// let r = ithaca_patterns::throttle::RateLimit::new(0.001, 1);
    /// assert!(r.allow());
    /// assert!(!r.allow());
    /// ```
    pub fn allow(&self) -> bool {
        self.lim.allow()
    }

    /// Waits until one event may happen.
    ///
    /// # Cancel safety
    ///
    /// Not fully: the token is reserved when the wait starts, and a dropped wait does not
    /// give it back (as [`Limiter::wait`]).
    ///
    /// ```
    /// # ithaca_rt::block_on(async {
    /// let r = ithaca_patterns::throttle::RateLimit::new(1000.0, 1);
    /// r.wait().await;
    /// # });
    /// ```
    pub fn wait(&self) -> impl Future<Output = ()> + Send + '_ {
        let w = self.lim.wait();
        async move {
            w.await
                .expect("throttle: a wait for one token cannot exceed a burst >= 1");
        }
    }

    /// Waits until one event may happen, unless `cancel` (a context's `done()`, a timer...)
    /// completes first; the token is then given back.
    ///
    /// # Cancel safety
    ///
    /// As [`wait`](RateLimit::wait).
    ///
    /// ```
    /// use std::time::Duration;
    /// # ithaca_rt::block_on(async {
    /// let r = ithaca_patterns::throttle::RateLimit::every(Duration::from_secs(3600), 1);
    /// r.wait().await;
    /// let timeout = ithaca_time::after(Duration::from_millis(5));
    /// assert!(r.wait_or(timeout).await.is_err());
    /// # });
    /// ```
    pub fn wait_or<A: ithaca_core::Arm + 'static>(
        &self,
        cancel: A,
    ) -> impl Future<Output = Result<(), WaitError>> + Send + '_ {
        self.lim.wait_n_or(1, cancel, None)
    }

    /// [`wait`](RateLimit::wait) for a plain thread.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until the token is available.
    ///
    /// ```
    /// ithaca_patterns::throttle::RateLimit::new(1000.0, 1).wait_blocking();
    /// ```
    pub fn wait_blocking(&self) {
        self.lim
            .wait_blocking()
            .expect("throttle: a wait for one token cannot exceed a burst >= 1");
    }

    /// Runs `fut` once the rate allows.
    ///
    /// # Cancel safety
    ///
    /// As [`wait`](RateLimit::wait); `fut` is dropped unrun if the wait is dropped.
    ///
    /// ```
    /// # ithaca_rt::block_on(async {
    /// let r = ithaca_patterns::throttle::RateLimit::new(1000.0, 5);
    /// assert_eq!(r.run(async { "ok" }).await, "ok");
    /// # });
    /// ```
    pub fn run<'a, F: Future + 'a>(&'a self, fut: F) -> impl Future<Output = F::Output> + 'a {
        async move {
            self.wait().await;
            fut.await
        }
    }
}
