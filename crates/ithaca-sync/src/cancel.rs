//! Timeouts and cancellation for every blocking operation of this crate.
//!
//! Every `*_or_cancel` method takes any `&mut dyn Arm` as its cancel signal (a context's
//! `done()` arm, a channel receive, a timer) and runs the wait as a biased
//! [`Select`](ithaca_core::Select) whose **first** arm is the cancel arm: when both the cancel
//! signal and the resource are ready at the same instant, the cancel wins (x/sync's rule for
//! `Acquire` with an already-done context, #63615). [`Deadline`] is the arm the `*_timeout`
//! methods use; pass it yourself to wait until an [`Instant`].
//!
//! Invariant: [`Deadline`] never registers anything anywhere; it only reports its deadline so
//! the select parks (thread) or arms the timer driver (task) until then.

use std::fmt;
use std::time::{Duration, Instant};

use ithaca_core::{Arm, Outcome, Registration, Waiter};

use crate::loom::Arc;

/// An [`Arm`] that becomes ready at an instant: a deadline for any `*_or_cancel` method.
///
/// ```
/// use std::time::{Duration, Instant};
/// use ithaca_sync::{Deadline, Mutex};
///
/// let m = Mutex::new(0);
/// let _held = m.lock_blocking();
/// let mut dl = Deadline::at(Instant::now() + Duration::from_millis(5));
/// assert!(m.lock_or_cancel_blocking(&mut dl).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    at: Instant,
}

impl Deadline {
    /// A deadline at `at`.
    ///
    /// ```
    /// let d = ithaca_sync::Deadline::at(std::time::Instant::now());
    /// assert!(d.passed());
    /// ```
    pub fn at(at: Instant) -> Self {
        Deadline { at }
    }

    /// A deadline `d` from now (saturating far in the future on overflow).
    ///
    /// ```
    /// let d = ithaca_sync::Deadline::after(std::time::Duration::from_secs(60));
    /// assert!(!d.passed());
    /// ```
    pub fn after(d: Duration) -> Self {
        let now = Instant::now();
        let at = now
            .checked_add(d)
            .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600));
        Deadline { at }
    }

    /// The instant this deadline passes.
    ///
    /// ```
    /// let now = std::time::Instant::now();
    /// assert_eq!(ithaca_sync::Deadline::at(now).instant(), now);
    /// ```
    pub fn instant(&self) -> Instant {
        self.at
    }

    /// Whether the deadline has passed.
    ///
    /// ```
    /// assert!(!ithaca_sync::Deadline::after(std::time::Duration::from_secs(5)).passed());
    /// ```
    pub fn passed(&self) -> bool {
        Instant::now() >= self.at
    }
}

impl Arm for Deadline {
    fn try_complete(&mut self) -> bool {
        self.passed()
    }

    fn register(&mut self, _: &Arc<Waiter>, _: usize) -> Registration {
        if self.passed() {
            Registration::Ready
        } else {
            Registration::Registered
        }
    }

    fn unregister(&mut self, _: &Arc<Waiter>, _: Outcome) {}

    fn deadline(&self) -> Option<Instant> {
        Some(self.at)
    }

    fn wait_reason(&self) -> &'static str {
        "sleep"
    }

    fn is_durable(&self) -> bool {
        false
    }
}

/// The error of a `*_or_cancel` operation whose cancel arm completed first; the operation did
/// not happen.
///
/// ```
/// assert_eq!(ithaca_sync::Cancelled.to_string(), "operation cancelled");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Cancelled;

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// The error of a `*_timeout` operation whose time ran out; the operation did not happen.
///
/// ```
/// assert_eq!(ithaca_sync::TimedOut.to_string(), "operation timed out");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct TimedOut;

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation timed out")
    }
}

impl std::error::Error for TimedOut {}

/// Whether a wait on `cancel` (besides a durable primitive) is itself durable.
pub(crate) fn durable_with(cancel: &dyn Arm) -> bool {
    cancel.is_durable() && cancel.deadline().is_none()
}
