//! Timer sources: [`After`], [`Tick`], [`Timer`], [`Ticker`], [`Never`], [`Sleep`] and the
//! handle of `after_func`, [`TimerHandle`].
//!
//! Each source is an [`Arm`] (it takes part in any `ithaca_core::Select`, from a thread or a
//! task, with no thread per timer), has an async `recv`, a blocking `recv_blocking`, and a
//! non-blocking `try_recv`. A receive yields the [`Instant`] the timer was due (Go sends the
//! time it fired).
//!
//! # Invariants
//!
//! * A source owns its timer: dropping it stops the timer (Go 1.23 collects unreferenced
//!   timers), except `after_func` callbacks, which run even if the handle is dropped.
//! * On the real clock a source reports its firing time as [`Arm::deadline`], so the select
//!   driver parks (thread) or registers with the process-wide timer (task) until then; on a
//!   virtual clock it reports none and the clock's `advance` wakes the registered waiter.
//! * After `stop`/`reset` return, no value from before is received (Go 1.23 semantics).

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use ithaca_core::timer::{self as core_timer, TimerKey};
use ithaca_core::{diag, Arm, Outcome, Registration, Select, Waiter};

use crate::arm_wait::ArmWait;
use crate::clock::Clock;
use crate::loom::Arc;
use crate::source::TimerCore;

/// The receiving side shared by every source.
#[derive(Default)]
pub(crate) struct Recv {
    core: Option<Arc<TimerCore>>,
    result: Option<Instant>,
}

impl Recv {
    fn new(core: Arc<TimerCore>) -> Self {
        Recv {
            core: Some(core),
            result: None,
        }
    }

    fn take(&mut self) -> Option<Instant> {
        self.result.take()
    }
}

impl Arm for Recv {
    fn try_complete(&mut self) -> bool {
        let Some(core) = &self.core else {
            return false;
        };
        let mut st = core.lock();
        let fired = TimerCore::sync(core, &mut st);
        let got = st.slot.take();
        drop(st);
        fired.run();
        match got {
            Some(t) => {
                self.result = Some(t);
                true
            }
            None => false,
        }
    }

    fn register(&mut self, waiter: &Arc<Waiter>, index: usize) -> Registration {
        let Some(core) = &self.core else {
            return Registration::Registered;
        };
        let mut st = core.lock();
        let fired = TimerCore::sync(core, &mut st);
        let ready = st.slot.is_some();
        if !ready {
            st.entries.push(crate::source::Entry {
                waiter: waiter.clone(),
                index,
                value: None,
            });
        }
        drop(st);
        fired.run();
        if ready {
            Registration::Ready
        } else {
            Registration::Registered
        }
    }

    fn unregister(&mut self, waiter: &Arc<Waiter>, outcome: Outcome) {
        let Some(core) = &self.core else {
            return;
        };
        let mut st = core.lock();
        let Some(e) = st.remove_entry(waiter) else {
            return;
        };
        match outcome {
            Outcome::NotChosen => {}
            Outcome::Chosen => self.result = e.value,
            Outcome::ChosenButCancelled => {
                if st.slot.is_none() {
                    st.slot = e.value;
                }
            }
        }
    }

    fn deadline(&self) -> Option<Instant> {
        let core = self.core.as_ref()?;
        if !core.is_real() {
            return None;
        }
        core.lock().when
    }

    fn wait_reason(&self) -> &'static str {
        if self.core.is_none() {
            "chan receive (nil chan)"
        } else {
            "chan receive"
        }
    }

    fn is_durable(&self) -> bool {
        false
    }
}

/// The future of `recv` on any timer source.
///
/// # Cancel safety
///
/// Cancel safe: if dropped after the timer fired for it, the value is put back, so the next
/// receive gets it.
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture<'a> {
    rx: &'a mut Recv,
    wait: ArmWait,
    location: &'static Location<'static>,
}

impl fmt::Debug for RecvFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture").finish_non_exhaustive()
    }
}

impl Future for RecvFuture<'_> {
    type Output = Instant;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Instant> {
        let this = &mut *self;
        match this.wait.poll(this.rx, cx, this.location) {
            Poll::Ready(()) => Poll::Ready(this.rx.take().expect("timer fired without a value")),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for RecvFuture<'_> {
    fn drop(&mut self) {
        self.wait.cancel(self.rx);
    }
}

macro_rules! source_common {
    ($ty:ident, $make:expr, $fire:expr) => {
        impl $ty {
            /// Receives the next value, blocking the thread (Go's `<-t.C`).
            ///
            /// # Blocking
            ///
            /// Parks the calling thread until the timer fires (forever if it never will).
            ///
            /// ```
            #[doc = concat!("let mut t = ", $make, ";")]
            #[doc = $fire]
            /// let _at: std::time::Instant = t.recv_blocking();
            /// ```
            #[track_caller]
            pub fn recv_blocking(&mut self) -> Instant {
                Select::new(&mut [&mut self.rx]).wait();
                self.rx.take().expect("timer fired without a value")
            }

            /// Receives the next value if the timer has fired, without blocking.
            ///
            /// ```
            #[doc = concat!("let mut t = ", $make, ";")]
            #[doc = $fire]
            /// assert!(t.try_recv().is_some());
            /// ```
            pub fn try_recv(&mut self) -> Option<Instant> {
                if self.rx.try_complete() {
                    self.rx.take()
                } else {
                    None
                }
            }

            /// Receives the next value in a task.
            ///
            /// # Cancel safety
            ///
            /// Cancel safe: a value taken for a dropped future is put back.
            ///
            /// ```
            #[doc = concat!("let mut t = ", $make, ";")]
            #[doc = $fire]
            /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            /// # rt.block_on(async {
            /// let _at = t.recv().await;
            /// # });
            /// ```
            #[track_caller]
            pub fn recv(&mut self) -> RecvFuture<'_> {
                RecvFuture {
                    rx: &mut self.rx,
                    wait: ArmWait::new(),
                    location: Location::caller(),
                }
            }

            /// The value received when this source won a select (`None` otherwise); takes it.
            ///
            /// ```
            /// use ithaca_core::Select;
            #[doc = concat!("let mut t = ", $make, ";")]
            #[doc = $fire]
            /// assert_eq!(Select::new(&mut [&mut t]).wait(), Some(0));
            /// assert!(t.take().is_some());
            /// ```
            pub fn take(&mut self) -> Option<Instant> {
                self.rx.take()
            }
        }

        impl Arm for $ty {
            fn try_complete(&mut self) -> bool {
                self.rx.try_complete()
            }
            fn register(&mut self, waiter: &Arc<Waiter>, index: usize) -> Registration {
                self.rx.register(waiter, index)
            }
            fn unregister(&mut self, waiter: &Arc<Waiter>, outcome: Outcome) {
                self.rx.unregister(waiter, outcome)
            }
            fn deadline(&self) -> Option<Instant> {
                self.rx.deadline()
            }
            fn wait_reason(&self) -> &'static str {
                self.rx.wait_reason()
            }
            fn is_durable(&self) -> bool {
                false
            }
        }

        impl Drop for $ty {
            fn drop(&mut self) {
                self.wait.cancel(&mut self.rx);
                if let Some(core) = &self.rx.core {
                    TimerCore::release(core);
                }
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let when = self.rx.core.as_ref().and_then(|c| c.lock().when);
                f.debug_struct(stringify!($ty))
                    .field("next", &when)
                    .finish_non_exhaustive()
            }
        }
    };
}

/// Go's `time.After(d)`: fires once, delivering the instant it was due. Also a future
/// (`after(d).await`) and an [`Arm`].
///
/// ```
/// use std::time::Duration;
/// use ithaca_core::Select;
///
/// // A select with a timeout: the other arm never completes, so the timer wins.
/// let mut never = ithaca_time::never();
/// let mut timeout = ithaca_time::after(Duration::from_millis(5));
/// assert_eq!(Select::new(&mut [&mut never, &mut timeout]).wait(), Some(1));
/// ```
pub struct After {
    rx: Recv,
    wait: ArmWait,
}

impl After {
    pub(crate) fn from_core(core: Arc<TimerCore>) -> Self {
        After {
            rx: Recv::new(core),
            wait: ArmWait::new(),
        }
    }

    /// The instant at which this fires (`None` once fired).
    ///
    /// ```
    /// let a = ithaca_time::after(std::time::Duration::from_secs(1));
    /// assert!(a.when().is_some());
    /// ```
    pub fn when(&self) -> Option<Instant> {
        self.rx.core.as_ref().and_then(|c| c.lock().when)
    }
}

source_common!(
    After,
    "ithaca_time::after(std::time::Duration::ZERO)",
    "// due at once"
);

impl Future for After {
    type Output = Instant;
    /// Completes when the timer fires.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Instant> {
        let this = &mut *self;
        match this.wait.poll(&mut this.rx, cx, Location::caller()) {
            Poll::Ready(()) => Poll::Ready(this.rx.take().expect("timer fired without a value")),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Go's `time.Tick(d)`: a periodic source; ticks are dropped for slow receivers.
/// `tick(Duration::ZERO)` never ticks (Go returns a nil channel).
///
/// ```
/// use std::time::Duration;
/// let clock = ithaca_time::Clock::manual();
/// let mut t = clock.tick(Duration::from_secs(1));
/// clock.advance(Duration::from_secs(10)); // nobody received: only one tick is kept
/// assert!(t.try_recv().is_some());
/// assert!(t.try_recv().is_none());
/// ```
pub struct Tick {
    rx: Recv,
    wait: ArmWait,
}

impl Tick {
    pub(crate) fn from_core(core: Arc<TimerCore>) -> Self {
        Tick {
            rx: Recv::new(core),
            wait: ArmWait::new(),
        }
    }

    pub(crate) fn never() -> Self {
        Tick {
            rx: Recv::default(),
            wait: ArmWait::new(),
        }
    }
}

source_common!(
    Tick,
    "ithaca_time::tick(std::time::Duration::from_millis(1))",
    "# std::thread::sleep(std::time::Duration::from_millis(2));"
);

/// Go's `time.Timer` (Go 1.23 semantics): `stop` and `reset` leave no stale value behind.
/// Dropping the timer stops it. Use [`Timer::handle`] to stop or reset it from elsewhere.
///
/// ```
/// use std::time::Duration;
/// let clock = ithaca_time::Clock::manual();
/// let mut t = clock.timer(Duration::from_secs(1));
/// clock.advance(Duration::from_secs(1)); // fired, value not received yet
/// assert!(!t.reset(Duration::from_secs(1))); // was not active; the old value is gone
/// assert!(t.try_recv().is_none());
/// clock.advance(Duration::from_secs(1));
/// assert!(t.try_recv().is_some());
/// ```
pub struct Timer {
    rx: Recv,
    wait: ArmWait,
}

impl Timer {
    /// Go's `time.NewTimer(d)` on the real clock.
    ///
    /// ```
    /// let mut t = ithaca_time::Timer::new(std::time::Duration::from_millis(1));
    /// t.recv_blocking();
    /// ```
    pub fn new(d: Duration) -> Timer {
        Clock::real().timer(d)
    }

    pub(crate) fn from_core(core: Arc<TimerCore>) -> Self {
        Timer {
            rx: Recv::new(core),
            wait: ArmWait::new(),
        }
    }

    /// Stops the timer. Returns `true` if the call stopped an active timer, `false` if it had
    /// already fired or been stopped. No value is received afterwards.
    ///
    /// ```
    /// let t = ithaca_time::Timer::new(std::time::Duration::from_secs(60));
    /// assert!(t.stop());
    /// assert!(!t.stop());
    /// ```
    pub fn stop(&self) -> bool {
        TimerCore::stop(self.core())
    }

    /// Re-arms the timer to fire `d` from now. Returns whether it was active. A value from
    /// before is never received afterwards.
    ///
    /// ```
    /// let t = ithaca_time::Timer::new(std::time::Duration::from_secs(60));
    /// assert!(t.reset(std::time::Duration::from_secs(1)));
    /// ```
    pub fn reset(&self, d: Duration) -> bool {
        TimerCore::reset(self.core(), d, None)
    }

    /// A cloneable handle that can stop or reset this timer from other threads.
    ///
    /// ```
    /// let t = ithaca_time::Timer::new(std::time::Duration::from_secs(60));
    /// let h = t.handle();
    /// std::thread::spawn(move || h.stop()).join().unwrap();
    /// assert!(!t.stop());
    /// ```
    pub fn handle(&self) -> TimerHandle {
        TimerHandle {
            core: self.core().clone(),
        }
    }

    fn core(&self) -> &Arc<TimerCore> {
        self.rx.core.as_ref().expect("a Timer always has a timer")
    }
}

source_common!(
    Timer,
    "ithaca_time::Timer::new(std::time::Duration::ZERO)",
    "// due at once"
);

/// Go's `time.Ticker`: ticks every period, dropping ticks for slow receivers. Dropping it
/// stops it.
///
/// ```
/// use std::time::Duration;
/// let clock = ithaca_time::Clock::manual();
/// let mut t = clock.ticker(Duration::from_secs(1));
/// let t0 = clock.now();
/// clock.advance(Duration::from_secs(1));
/// assert_eq!(t.try_recv(), Some(t0 + Duration::from_secs(1)));
/// ```
pub struct Ticker {
    rx: Recv,
    wait: ArmWait,
}

impl Ticker {
    /// Go's `time.NewTicker(d)` on the real clock.
    ///
    /// # Panics
    ///
    /// If `d` is zero, with Go's message "non-positive interval for NewTicker".
    ///
    /// ```
    /// let mut t = ithaca_time::Ticker::new(std::time::Duration::from_millis(1));
    /// t.recv_blocking();
    /// t.recv_blocking();
    /// ```
    pub fn new(d: Duration) -> Ticker {
        Clock::real().ticker(d)
    }

    pub(crate) fn from_core(core: Arc<TimerCore>) -> Self {
        Ticker {
            rx: Recv::new(core),
            wait: ArmWait::new(),
        }
    }

    /// Stops the ticker: no tick is received afterwards (Go does not close the channel
    /// either; a receive then blocks).
    ///
    /// ```
    /// let mut t = ithaca_time::Ticker::new(std::time::Duration::from_secs(1));
    /// t.stop();
    /// assert!(t.try_recv().is_none());
    /// ```
    pub fn stop(&self) {
        TimerCore::stop(self.core());
    }

    /// Stops the ticker and restarts it with period `d`, the next tick `d` from now.
    ///
    /// # Panics
    ///
    /// If `d` is zero: "non-positive interval for Ticker.Reset".
    ///
    /// ```
    /// let t = ithaca_time::Ticker::new(std::time::Duration::from_secs(1));
    /// t.reset(std::time::Duration::from_secs(2));
    /// ```
    pub fn reset(&self, d: Duration) {
        assert!(!d.is_zero(), "non-positive interval for Ticker.Reset");
        TimerCore::reset(self.core(), d, Some(d));
    }

    fn core(&self) -> &Arc<TimerCore> {
        self.rx.core.as_ref().expect("a Ticker always has a timer")
    }
}

source_common!(
    Ticker,
    "ithaca_time::Ticker::new(std::time::Duration::from_millis(1))",
    "# std::thread::sleep(std::time::Duration::from_millis(2));"
);

/// A handle that stops or resets a timer without receiving from it: the result of
/// `after_func`, or [`Timer::handle`]. Cloneable; dropping it changes nothing.
///
/// ```
/// let h = ithaca_time::after_func(std::time::Duration::from_secs(60), || unreachable!());
/// assert!(h.stop()); // prevented the call
/// ```
#[derive(Clone)]
pub struct TimerHandle {
    core: Arc<TimerCore>,
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("next", &self.core.lock().when)
            .finish()
    }
}

impl TimerHandle {
    pub(crate) fn from_core(core: Arc<TimerCore>) -> Self {
        TimerHandle { core }
    }

    /// Go's `Timer.Stop`: `true` if the call stopped an active timer (for `after_func`: it
    /// prevented the call). Does not wait for a callback already running.
    ///
    /// ```
    /// let h = ithaca_time::after_func(std::time::Duration::from_secs(60), || {});
    /// assert!(h.stop());
    /// assert!(!h.stop());
    /// ```
    pub fn stop(&self) -> bool {
        TimerCore::stop(&self.core)
    }

    /// Go's `Timer.Reset`: re-arms to fire `d` from now; returns whether it was active.
    ///
    /// ```
    /// let h = ithaca_time::after_func(std::time::Duration::from_secs(60), || {});
    /// assert!(h.reset(std::time::Duration::from_secs(120)));
    /// h.stop();
    /// ```
    pub fn reset(&self, d: Duration) -> bool {
        TimerCore::reset(&self.core, d, None)
    }
}

/// A source that never fires (Go's nil channel in a select): an [`Arm`] that is never ready,
/// and a future that never completes.
///
/// ```
/// use ithaca_core::Select;
/// let mut n = ithaca_time::never();
/// assert_eq!(Select::new(&mut [&mut n]).default().wait(), None);
/// ```
#[derive(Debug, Default)]
pub struct Never(());

impl Never {
    /// A new never-ready source.
    ///
    /// ```
    /// let _n = ithaca_time::Never::new();
    /// ```
    pub fn new() -> Self {
        Never(())
    }
}

impl Arm for Never {
    fn try_complete(&mut self) -> bool {
        false
    }
    fn register(&mut self, _: &Arc<Waiter>, _: usize) -> Registration {
        Registration::Registered
    }
    fn unregister(&mut self, _: &Arc<Waiter>, _: Outcome) {}
    fn wait_reason(&self) -> &'static str {
        "chan receive (nil chan)"
    }
}

impl Future for Never {
    type Output = std::convert::Infallible;
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Pending
    }
}

/// The future of `sleep(d)`.
///
/// # Cancel safety
///
/// Cancel safe: dropping it cancels its timer registration; nothing else happened.
#[must_use = "futures do nothing unless polled"]
pub struct Sleep {
    kind: SleepKind,
    location: &'static Location<'static>,
}

enum SleepKind {
    Real {
        deadline: Instant,
        key: Option<TimerKey>,
        waker: Option<Waker>,
    },
    Virtual(After),
    Done,
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep").finish_non_exhaustive()
    }
}

impl Sleep {
    pub(crate) fn new(clock: &Clock, d: Duration, location: &'static Location<'static>) -> Self {
        let kind = if d.is_zero() {
            SleepKind::Done
        } else if clock.is_virtual() {
            SleepKind::Virtual(clock.after(d))
        } else {
            SleepKind::Real {
                deadline: Instant::now() + d,
                key: None,
                waker: None,
            }
        };
        Sleep { kind, location }
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let location = self.location;
        match &mut self.kind {
            SleepKind::Done => Poll::Ready(()),
            SleepKind::Virtual(a) => {
                let r = a.wait.poll(&mut a.rx, cx, location);
                if r.is_pending() {
                    diag::note_wait("sleep", false, location);
                }
                r.map(|_| ())
            }
            SleepKind::Real {
                deadline,
                key,
                waker,
            } => {
                if Instant::now() >= *deadline {
                    if let Some(k) = key.take() {
                        core_timer::cancel(k);
                    }
                    return Poll::Ready(());
                }
                let same = waker.as_ref().is_some_and(|w| w.will_wake(cx.waker()));
                if !same || key.is_none() {
                    if let Some(k) = key.take() {
                        core_timer::cancel(k);
                    }
                    *key = Some(core_timer::register(*deadline, cx.waker()));
                    *waker = Some(cx.waker().clone());
                }
                diag::note_wait("sleep", false, location);
                Poll::Pending
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let SleepKind::Real { key: Some(k), .. } = &self.kind {
            core_timer::cancel(*k);
        }
    }
}
