//! Clocks: the real one, and a virtual one that moves only when told.
//!
//! Owns: [`Clock`] and the virtual clock's queue of pending timers.
//!
//! # Invariants
//!
//! * A virtual clock's `now` never goes backwards. [`Clock::advance`] fires the timers due on
//!   the way **in deadline order** (ties in creation order), with `now` set to each timer's
//!   deadline while it fires, and leaves `now` at the target.
//! * The queue holds every virtual timer whose `when` is set, under the key stored in the
//!   timer (`vkey`). The clock's lock is never held while a timer's lock is taken (the order
//!   is timer, then clock), so firing pops a key, releases the clock, then fires the timer.
//! * Timers of a virtual clock never report [`Arm::deadline`](ithaca_core::Arm::deadline)
//!   (that is real time); they wake their waiters themselves when the clock reaches them.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use crate::loom::{lock, Arc, Mutex};
use crate::source::{Func, TimerCore};
use crate::timer::{After, Sleep, Tick, Ticker, Timer, TimerHandle};

pub(crate) type VKey = (Instant, u64);

pub(crate) struct VClock {
    st: Mutex<VSt>,
}

struct VSt {
    now: Instant,
    seq: u64,
    timers: BTreeMap<VKey, Arc<TimerCore>>,
}

impl VClock {
    pub(crate) fn insert(&self, when: Instant, core: Arc<TimerCore>) -> VKey {
        let mut st = lock(&self.st);
        st.seq += 1;
        let key = (when, st.seq);
        st.timers.insert(key, core);
        key
    }

    pub(crate) fn remove(&self, key: VKey) {
        let removed = lock(&self.st).timers.remove(&key);
        drop(removed); // outside the lock: it may be the last reference to a timer
    }
}

/// A source of time for timers, sleeps, rate limiters and context deadlines: the real clock,
/// or a virtual clock for deterministic tests.
///
/// A virtual clock starts at the real `Instant::now()` of its creation and then moves only
/// when told: [`Clock::advance`] (by a duration) or [`Clock::advance_to_next`] (to the next
/// pending timer). The latter is the hook for auto-advance: a runtime that finds every
/// goroutine blocked can call it, like Go's `testing/synctest` (the goroutine runtime of
/// `ithaca-rt` is expected to drive it; this crate does not advance by itself).
///
/// Cloning is cheap; clones share the same time.
///
/// ```
/// use std::time::Duration;
/// use ithaca_time::Clock;
///
/// let clock = Clock::manual();
/// let t0 = clock.now();
/// let mut a = clock.after(Duration::from_secs(3600));
/// assert_eq!(a.try_recv(), None);
/// clock.advance(Duration::from_secs(3600)); // instant, no real waiting
/// assert_eq!(a.try_recv(), Some(t0 + Duration::from_secs(3600)));
/// ```
#[derive(Clone, Default)]
pub struct Clock {
    v: Option<Arc<VClock>>,
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.v {
            None => f.write_str("Clock::real"),
            Some(_) => f
                .debug_struct("Clock::manual")
                .field("pending", &self.pending())
                .finish(),
        }
    }
}

impl Clock {
    /// The real clock (`Instant::now()`); the same as `Clock::default()`.
    ///
    /// ```
    /// assert!(!ithaca_time::Clock::real().is_virtual());
    /// ```
    pub fn real() -> Clock {
        Clock { v: None }
    }

    /// A new virtual clock, starting at the current real instant and moving only when told.
    ///
    /// ```
    /// let c = ithaca_time::Clock::manual();
    /// let t = c.now();
    /// std::thread::sleep(std::time::Duration::from_millis(2));
    /// assert_eq!(c.now(), t);
    /// ```
    pub fn manual() -> Clock {
        Clock {
            v: Some(Arc::new(VClock {
                st: Mutex::new(VSt {
                    now: Instant::now(),
                    seq: 0,
                    timers: BTreeMap::new(),
                }),
            })),
        }
    }

    /// Whether this is a virtual clock.
    pub fn is_virtual(&self) -> bool {
        self.v.is_some()
    }

    pub(crate) fn virtual_clock(&self) -> Option<&Arc<VClock>> {
        self.v.as_ref()
    }

    /// The current time of this clock.
    ///
    /// ```
    /// let c = ithaca_time::Clock::real();
    /// assert!(c.now() <= std::time::Instant::now());
    /// ```
    pub fn now(&self) -> Instant {
        match &self.v {
            None => Instant::now(),
            Some(v) => lock(&v.st).now,
        }
    }

    /// Moves a virtual clock forward by `d`, firing every timer due on the way in deadline
    /// order. Timers that the firing creates or resets (a ticker's next tick) fire too if
    /// they fall inside the window.
    ///
    /// # Panics
    ///
    /// On the real clock: "ithaca-time: advance called on the real clock".
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = ithaca_time::Clock::manual();
    /// let t0 = c.now();
    /// c.advance(Duration::from_secs(5));
    /// assert_eq!(c.now() - t0, Duration::from_secs(5));
    /// ```
    pub fn advance(&self, d: Duration) {
        let target = self.now() + d;
        self.advance_to(target);
    }

    /// Moves a virtual clock forward to `t` (no-op if `t` is not in the future), firing the
    /// timers due on the way like [`Clock::advance`].
    ///
    /// # Panics
    ///
    /// On the real clock.
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = ithaca_time::Clock::manual();
    /// let t = c.now() + Duration::from_millis(7);
    /// c.advance_to(t);
    /// assert_eq!(c.now(), t);
    /// ```
    pub fn advance_to(&self, t: Instant) {
        let v = self
            .v
            .as_ref()
            .expect("ithaca-time: advance called on the real clock");
        loop {
            let next = {
                let mut st = lock(&v.st);
                match st.timers.first_key_value() {
                    Some((k, _)) if k.0 <= t => {
                        let (k, core) = st.timers.pop_first().expect("checked above");
                        if k.0 > st.now {
                            st.now = k.0;
                        }
                        Some((k, core))
                    }
                    _ => {
                        if t > st.now {
                            st.now = t;
                        }
                        None
                    }
                }
            };
            match next {
                Some((k, core)) => TimerCore::fire_virtual(&core, k),
                None => return,
            }
        }
    }

    /// Jumps a virtual clock to its earliest pending timer and fires it (and any others due at
    /// that instant). Returns the new time, or `None` if no timer is pending (the clock does
    /// not move). A runtime calls this when every participant is blocked, to auto-advance.
    ///
    /// # Panics
    ///
    /// On the real clock.
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = ithaca_time::Clock::manual();
    /// assert_eq!(c.advance_to_next(), None);
    /// let mut a = c.after(Duration::from_secs(9));
    /// let t = c.advance_to_next().unwrap();
    /// assert_eq!(a.try_recv(), Some(t));
    /// ```
    pub fn advance_to_next(&self) -> Option<Instant> {
        let v = self
            .v
            .as_ref()
            .expect("ithaca-time: advance_to_next called on the real clock");
        let next = lock(&v.st).timers.first_key_value().map(|(k, _)| k.0)?;
        self.advance_to(next);
        Some(next)
    }

    /// The time of the earliest pending timer of a virtual clock (`None` on the real clock or
    /// when nothing is pending).
    ///
    /// ```
    /// let c = ithaca_time::Clock::manual();
    /// let _t = c.after(std::time::Duration::from_secs(1));
    /// assert_eq!(c.next_deadline(), Some(c.now() + std::time::Duration::from_secs(1)));
    /// ```
    pub fn next_deadline(&self) -> Option<Instant> {
        let v = self.v.as_ref()?;
        let st = lock(&v.st);
        st.timers.first_key_value().map(|(k, _)| k.0)
    }

    /// Number of pending timers of a virtual clock (0 on the real clock).
    ///
    /// ```
    /// let c = ithaca_time::Clock::manual();
    /// let t = c.after(std::time::Duration::from_secs(1));
    /// assert_eq!(c.pending(), 1);
    /// drop(t); // dropping an unfired timer stops it
    /// assert_eq!(c.pending(), 0);
    /// ```
    pub fn pending(&self) -> usize {
        self.v.as_ref().map_or(0, |v| lock(&v.st).timers.len())
    }

    /// Go's `time.After(d)` on this clock: fires once, `d` from now.
    ///
    /// ```
    /// let c = ithaca_time::Clock::manual();
    /// let mut a = c.after(std::time::Duration::ZERO);
    /// assert!(a.try_recv().is_some());
    /// ```
    pub fn after(&self, d: Duration) -> After {
        After::from_core(TimerCore::new(self, Some(self.now() + d), None, None))
    }

    /// Go's `time.Tick(d)` on this clock: ticks every `d`; `d == 0` gives a source that never
    /// ticks (Go returns a nil channel).
    ///
    /// ```
    /// let c = ithaca_time::Clock::manual();
    /// let mut t = c.tick(std::time::Duration::from_secs(1));
    /// c.advance(std::time::Duration::from_secs(1));
    /// assert!(t.try_recv().is_some());
    /// ```
    pub fn tick(&self, d: Duration) -> Tick {
        if d.is_zero() {
            return Tick::never();
        }
        Tick::from_core(TimerCore::new(self, Some(self.now() + d), Some(d), None))
    }

    /// Go's `time.NewTimer(d)` on this clock.
    ///
    /// ```
    /// let c = ithaca_time::Clock::manual();
    /// let t = c.timer(std::time::Duration::from_secs(1));
    /// assert!(t.stop());
    /// ```
    pub fn timer(&self, d: Duration) -> Timer {
        Timer::from_core(TimerCore::new(self, Some(self.now() + d), None, None))
    }

    /// Go's `time.NewTicker(d)` on this clock.
    ///
    /// # Panics
    ///
    /// If `d` is zero: "non-positive interval for NewTicker".
    ///
    /// ```
    /// let c = ithaca_time::Clock::manual();
    /// let mut t = c.ticker(std::time::Duration::from_secs(1));
    /// c.advance(std::time::Duration::from_secs(1));
    /// assert!(t.try_recv().is_some());
    /// ```
    pub fn ticker(&self, d: Duration) -> Ticker {
        assert!(!d.is_zero(), "non-positive interval for NewTicker");
        Ticker::from_core(TimerCore::new(self, Some(self.now() + d), Some(d), None))
    }

    /// Go's `time.AfterFunc(d, f)` on this clock: runs `f` on a new thread once `d` passed
    /// (each time, if reset after firing). The handle's `stop` does not wait for `f`.
    /// Dropping the handle does not cancel the call.
    ///
    /// ```
    /// let c = ithaca_time::Clock::manual();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let _h = c.after_func(std::time::Duration::from_secs(1), move || tx.send(()).unwrap());
    /// c.advance(std::time::Duration::from_secs(1));
    /// rx.recv().unwrap();
    /// ```
    pub fn after_func(&self, d: Duration, f: impl Fn() + Send + Sync + 'static) -> TimerHandle {
        let func = Func {
            f: std::sync::Arc::new(f),
            inline: false,
        };
        TimerHandle::from_core(TimerCore::new(self, Some(self.now() + d), None, Some(func)))
    }

    /// Calls `f` **inline** at `when`: on the process-wide timer thread for the real clock, or
    /// in the thread that advances a virtual clock. `f` must be short and must not block (it
    /// delays every other timer); use [`Clock::after_func`] for user code. This is how
    /// `ithaca-context` fires deadlines without a thread per context.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    /// use std::sync::Arc;
    /// let c = ithaca_time::Clock::manual();
    /// let hit = Arc::new(AtomicBool::new(false));
    /// let h2 = hit.clone();
    /// let _h = c.call_at(c.now(), move || h2.store(true, SeqCst));
    /// c.advance(std::time::Duration::ZERO);
    /// assert!(hit.load(SeqCst));
    /// ```
    pub fn call_at(&self, when: Instant, f: impl Fn() + Send + Sync + 'static) -> TimerHandle {
        let func = Func {
            f: std::sync::Arc::new(f),
            inline: true,
        };
        TimerHandle::from_core(TimerCore::new(self, Some(when), None, Some(func)))
    }

    /// Sleeps `d` on this clock in a task (a virtual clock's sleep ends when the clock is
    /// advanced past it).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future stops its timer; nothing else happened.
    ///
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// ithaca_time::Clock::real().sleep(std::time::Duration::from_millis(1)).await;
    /// # });
    /// ```
    #[track_caller]
    pub fn sleep(&self, d: Duration) -> Sleep {
        Sleep::new(self, d, std::panic::Location::caller())
    }

    /// Sleeps `d` on this clock, blocking the thread.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread: for `d` real time, or (virtual clock) until another thread
    /// advances the clock past the deadline. Reports the wait as `"sleep"`.
    ///
    /// ```
    /// ithaca_time::Clock::real().sleep_blocking(std::time::Duration::from_millis(1));
    /// ```
    #[track_caller]
    pub fn sleep_blocking(&self, d: Duration) {
        let location = std::panic::Location::caller();
        if d.is_zero() {
            return;
        }
        if self.is_virtual() {
            let mut a = self.after(d);
            let _g = ithaca_core::diag::ThreadWait::begin("sleep", false, location);
            ithaca_core::Select::new(&mut [&mut a]).wait();
            return;
        }
        let _g = ithaca_core::diag::ThreadWait::begin("sleep", false, location);
        let deadline = Instant::now() + d;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            std::thread::sleep(deadline - now);
        }
    }
}
