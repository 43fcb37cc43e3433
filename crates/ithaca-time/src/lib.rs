//! # ithaca-time
//!
//! Go's `time` package for ithaca — `After`, `Tick`, `Timer`, `Ticker`, `AfterFunc`,
//! `Sleep` — and `golang.org/x/time/rate`'s token-bucket [`rate::Limiter`], usable from plain
//! threads (blocking) and from any async executor. No tokio, no runtime.
//!
//! * Every timer source is an [`ithaca_core::Arm`], so it takes part in any select (the
//!   timeout arm of Go's `select { case v := <-ch: case <-time.After(d): }`), with no thread
//!   per timer: on the real clock a source reports its firing time as the arm's deadline,
//!   so a blocked select parks with a timeout (thread) or registers with ithaca-core's one
//!   process-wide timer thread (task).
//! * Go 1.23 semantics: after [`Timer::stop`]/[`Timer::reset`] return no stale value is
//!   received; dropping a source stops it; tickers drop ticks for slow receivers.
//! * A [`Clock`] abstraction: [`Clock::real`] or a virtual [`Clock::manual`] that moves only
//!   when told ([`Clock::advance`], [`Clock::advance_to_next`]), for deterministic tests.
//!
//! ```
//! use std::time::Duration;
//! use ithaca_core::Select;
//!
//! let clock = ithaca_time::Clock::manual();
//! let mut fast = clock.after(Duration::from_secs(1));
//! let mut slow = clock.after(Duration::from_secs(2));
//! clock.advance(Duration::from_secs(5)); // both fire, in deadline order
//! let (a, b) = (fast.recv_blocking(), slow.recv_blocking());
//! assert!(a < b);
//! assert_eq!(Select::new(&mut [&mut ithaca_time::never()]).default().wait(), None);
//! ```

pub mod arm_wait;
mod clock;
mod loom;
pub mod rate;
mod source;
mod timer;

use std::time::Duration;

pub use clock::Clock;
pub use timer::{After, Never, RecvFuture, Sleep, Tick, Ticker, Timer, TimerHandle};

/// Go's `time.After(d)` on the real clock: fires once, `d` from now.
///
/// ```
/// let at = ithaca_time::after(std::time::Duration::from_millis(1)).recv_blocking();
/// assert!(at <= std::time::Instant::now());
/// ```
pub fn after(d: Duration) -> After {
    Clock::real().after(d)
}

/// Go's `time.Tick(d)` on the real clock; `tick(Duration::ZERO)` never ticks (Go: nil).
///
/// ```
/// let mut t = ithaca_time::tick(std::time::Duration::from_millis(1));
/// let a = t.recv_blocking();
/// let b = t.recv_blocking();
/// assert!(b > a);
/// ```
pub fn tick(d: Duration) -> Tick {
    Clock::real().tick(d)
}

/// A source that never fires: Go's nil channel in a select.
///
/// ```
/// use ithaca_core::Select;
/// assert_eq!(Select::new(&mut [&mut ithaca_time::never()]).default().wait(), None);
/// ```
pub fn never() -> Never {
    Never::new()
}

/// Go's `time.AfterFunc(d, f)` on the real clock: runs `f` on a new thread after `d`.
/// `stop` on the handle does not wait for `f`; dropping the handle does not cancel the call.
///
/// ```
/// let (tx, rx) = std::sync::mpsc::channel();
/// ithaca_time::after_func(std::time::Duration::from_millis(1), move || tx.send(7).unwrap());
/// assert_eq!(rx.recv().unwrap(), 7);
/// ```
pub fn after_func(d: Duration, f: impl Fn() + Send + Sync + 'static) -> TimerHandle {
    Clock::real().after_func(d, f)
}

/// Go's `time.Sleep(d)` in a task, on the real clock (`d == 0` returns at once).
///
/// # Cancel safety
///
/// Cancel safe: dropping the future cancels its timer registration.
///
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// ithaca_time::sleep(std::time::Duration::from_millis(1)).await;
/// # });
/// ```
#[track_caller]
pub fn sleep(d: Duration) -> Sleep {
    Sleep::new(&Clock::real(), d, std::panic::Location::caller())
}

/// Go's `time.Sleep(d)` for a plain thread, on the real clock.
///
/// # Blocking
///
/// Blocks the calling thread for at least `d`; reports the wait as `"sleep"`.
///
/// ```
/// let t = std::time::Instant::now();
/// ithaca_time::sleep_blocking(std::time::Duration::from_millis(2));
/// assert!(t.elapsed() >= std::time::Duration::from_millis(2));
/// ```
#[track_caller]
pub fn sleep_blocking(d: Duration) {
    Clock::real().sleep_blocking(d)
}
