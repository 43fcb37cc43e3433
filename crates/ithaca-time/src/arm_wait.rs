//! Waiting on one [`Arm`] from a task, without a [`Select`](ithaca_core::Select) borrowing it.
//!
//! [`ArmWait`] is the state a hand-written future keeps to wait on a single arm it owns
//! (a timer's receive, a context's `done()`), so the type itself can implement `Future` and
//! stay `Unpin`. It follows the select protocol of `ithaca-core` with one arm, index 0.
//!
//! # Invariants
//!
//! * `waiter` is `Some` exactly while the arm holds a registration for it.
//! * `timer` is `Some` only while `waiter` is: a process-wide timer registration at the arm's
//!   [`Arm::deadline`], cancelled when the wait ends.
//! * The owner must call [`ArmWait::cancel`] from its `Drop` (a registration must never
//!   outlive the owner: a peer could otherwise claim a waiter nobody reads).

use std::panic::Location;
use std::task::{Context, Poll};
use std::time::Instant;

use ithaca_core::timer::{self, TimerKey};
use ithaca_core::waiter::Decision;
use ithaca_core::{diag, Arm, Outcome, Registration, Waiter};

use crate::loom::Arc;

/// The registration state of a future that waits on one [`Arm`].
///
/// ```
/// use std::future::Future;
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
/// use ithaca_time::arm_wait::ArmWait;
///
/// /// A future that completes when its `After` fires.
/// struct Fired { after: ithaca_time::After, wait: ArmWait }
/// impl Future for Fired {
///     type Output = ();
///     fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
///         let this = &mut *self;
///         this.wait.poll(&mut this.after, cx, std::panic::Location::caller())
///     }
/// }
/// impl Drop for Fired {
///     fn drop(&mut self) { self.wait.cancel(&mut self.after) }
/// }
/// let f = Fired { after: ithaca_time::after(std::time::Duration::ZERO), wait: ArmWait::new() };
/// futures_lite_block_on(f);
/// # fn futures_lite_block_on<F: Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = Context::from_waker(std::task::Waker::noop());
/// #     loop { if let Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } std::thread::yield_now(); }
/// # }
/// ```
#[derive(Debug, Default)]
pub struct ArmWait {
    waiter: Option<Arc<Waiter>>,
    timer: Option<TimerKey>,
    deadline: Option<Instant>,
}

impl ArmWait {
    /// A wait that has registered nothing yet.
    pub const fn new() -> Self {
        ArmWait {
            waiter: None,
            timer: None,
            deadline: None,
        }
    }

    /// Whether a registration is outstanding.
    pub fn is_registered(&self) -> bool {
        self.waiter.is_some()
    }

    /// Polls the wait: `Ready(())` once `arm`'s operation completed (its result is then in the
    /// arm), otherwise registers with the arm (and the timer driver for its deadline) and
    /// returns `Pending`. Reports the wait to [`diag`] with `location`.
    pub fn poll<A: Arm + ?Sized>(
        &mut self,
        arm: &mut A,
        cx: &mut Context<'_>,
        location: &'static Location<'static>,
    ) -> Poll<()> {
        loop {
            if let Some(w) = &self.waiter {
                w.set_waker(cx.waker());
                let mut d = w.decision();
                if d == Decision::Waiting {
                    match self.deadline {
                        Some(dl) if Instant::now() >= dl => d = abort_or_decision(w),
                        _ => {
                            diag::note_wait(arm.wait_reason(), arm.is_durable(), location);
                            return Poll::Pending;
                        }
                    }
                }
                let chosen = d == Decision::Selected(0);
                self.finish(arm, chosen, false);
                if chosen {
                    return Poll::Ready(());
                }
                continue;
            }
            if arm.try_complete() {
                return Poll::Ready(());
            }
            let w = Waiter::for_task(cx.waker());
            if arm.register(&w, 0) == Registration::Ready {
                // Nothing was registered, so nobody can have chosen `w`: poll again.
                Waiter::recycle(w);
                continue;
            }
            self.deadline = arm.deadline();
            self.timer = self.deadline.map(|dl| timer::register(dl, cx.waker()));
            self.waiter = Some(w);
        }
    }

    /// Ends an outstanding registration because the owning future is dropped. If a peer
    /// already chose the arm, the arm is told [`Outcome::ChosenButCancelled`] so it can keep
    /// its result (a timer puts its tick back).
    pub fn cancel<A: Arm + ?Sized>(&mut self, arm: &mut A) {
        if let Some(w) = &self.waiter {
            let chosen = abort_or_decision(w) == Decision::Selected(0);
            self.finish(arm, chosen, true);
        }
    }

    fn finish<A: Arm + ?Sized>(&mut self, arm: &mut A, chosen: bool, cancelled: bool) {
        if let Some(key) = self.timer.take() {
            timer::cancel(key);
        }
        self.deadline = None;
        if let Some(w) = self.waiter.take() {
            let outcome = match (chosen, cancelled) {
                (false, _) => Outcome::NotChosen,
                (true, false) => Outcome::Chosen,
                (true, true) => Outcome::ChosenButCancelled,
            };
            arm.unregister(&w, outcome);
            Waiter::recycle(w);
        }
    }
}

fn abort_or_decision(w: &Waiter) -> Decision {
    if w.try_abort() {
        Decision::Aborted
    } else {
        w.decision()
    }
}
