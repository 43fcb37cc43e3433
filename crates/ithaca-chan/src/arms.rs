//! Channel operations as select arms: [`RecvArm`] and [`SendArm`].
//!
//! An arm built on `None` is Go's nil channel: never ready, never chosen.
//!
//! # Invariants
//!
//! * A `SendArm` owns its value until the arm is chosen; while registered the value sits in
//!   the channel's send queue entry, and it comes back to the arm when the arm is unregistered
//!   without being chosen. The value is therefore delivered at most once, and only by the
//!   chosen arm.
//! * A `RecvArm` holds at most one result, set only when it was chosen.

use std::fmt;

use ithaca_core::{Arm, Outcome, Registration, Waiter};

use crate::chan::{Chan, Fast, Recv, RecvDone, SendFail, Wakes};
use crate::error::SendError;
use crate::handles::{Receiver, Sender};
use crate::loom::Arc;

/// The result an arm holds once chosen; used by the `select!` macros.
pub trait ArmOutput {
    /// What the arm yields to the select's chosen branch.
    type Output;

    /// Takes the result.
    ///
    /// # Panics
    ///
    /// If the arm was not chosen (its operation did not happen).
    fn take_output(&mut self) -> Self::Output;
}

/// A receive operation for a [`Select`](ithaca_core::Select): yields `Some(value)`, or `None`
/// if the channel is closed and drained.
///
/// ```
/// use ithaca_chan::{bounded, RecvArm, ArmOutput, Select};
/// let (tx, rx) = bounded(1);
/// tx.try_send(3).unwrap();
/// let mut a = RecvArm::new(&rx);
/// assert_eq!(Select::new(&mut [&mut a]).wait(), Some(0));
/// assert_eq!(a.take_output(), Some(3));
/// ```
pub struct RecvArm<'a, T> {
    chan: Option<&'a Chan<T>>,
    id: Option<u64>,
    out: Option<Option<T>>,
}

impl<'a, T> RecvArm<'a, T> {
    /// A receive on `rx`; `None` makes a nil arm that is never chosen.
    pub fn new(rx: impl Into<Option<&'a Receiver<T>>>) -> Self {
        RecvArm {
            chan: rx.into().map(|r| &*r.chan),
            id: None,
            out: None,
        }
    }
}

impl<T: Send> Arm for RecvArm<'_, T> {
    fn try_complete(&mut self) -> bool {
        let Some(chan) = self.chan else { return false };
        match chan.recv_fast() {
            Fast::Done(v) => {
                self.out = Some(Some(v));
                return true;
            }
            Fast::NotReady(()) => return false,
            Fast::Locked(()) => {}
        }
        let mut wakes = Wakes::default();
        let mut st = chan.lock();
        let r = chan.try_recv_locked(&mut st, None, &mut wakes);
        drop(st);
        wakes.wake();
        match r {
            Recv::Value(v) => self.out = Some(Some(v)),
            Recv::Closed => self.out = Some(None),
            Recv::Empty => return false,
        }
        true
    }

    fn register(&mut self, waiter: &Arc<Waiter>, index: usize) -> Registration {
        let Some(chan) = self.chan else {
            return Registration::Registered;
        };
        let mut st = chan.lock();
        if chan.recv_ready(&st, waiter) {
            return Registration::Ready;
        }
        let mut wakes = Wakes::default();
        self.id = Some(chan.register_recv(&mut st, waiter, index, false, &mut wakes));
        drop(st);
        wakes.wake();
        Registration::Registered
    }

    fn unregister(&mut self, _waiter: &Arc<Waiter>, outcome: Outcome) {
        let (Some(chan), Some(id)) = (self.chan, self.id.take()) else {
            return;
        };
        let cancelled = outcome == Outcome::ChosenButCancelled;
        let mut wakes = Wakes::default();
        let mut st = chan.lock();
        let done = chan.unregister_recv(&mut st, id, cancelled, &mut wakes);
        drop(st);
        wakes.wake();
        match done {
            Some(RecvDone::Value(v)) => self.out = Some(Some(v)),
            Some(RecvDone::Closed) => self.out = Some(None),
            None => {}
        }
    }

    fn version(&self) -> u64 {
        self.chan.map_or(0, Chan::version)
    }

    fn retry_helps(&self) -> bool {
        self.chan.is_some_and(Chan::retry_helps)
    }

    fn wait_reason(&self) -> &'static str {
        if self.chan.is_some() {
            "chan receive"
        } else {
            "chan receive (nil chan)"
        }
    }
}

impl<T> ArmOutput for RecvArm<'_, T> {
    type Output = Option<T>;

    fn take_output(&mut self) -> Option<T> {
        self.out
            .take()
            .expect("select: took the result of a receive arm that was not chosen")
    }
}

impl<T> Drop for RecvArm<'_, T> {
    fn drop(&mut self) {
        // A registration outlives its select only if the select itself was leaked mid-wait;
        // remove it so the channel never points at a dead arm.
        if self.id.is_some() {
            self.drop_registered();
        }
    }
}

impl<T> RecvArm<'_, T> {
    #[cold]
    fn drop_registered(&mut self) {
        if let (Some(chan), Some(id)) = (self.chan, self.id.take()) {
            let mut wakes = Wakes::default();
            let mut st = chan.lock();
            chan.unregister_recv(&mut st, id, true, &mut wakes);
            drop(st);
            wakes.wake();
        }
    }
}

impl<T> fmt::Debug for RecvArm<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvArm")
            .field("nil", &self.chan.is_none())
            .field("done", &self.out.is_some())
            .finish()
    }
}

/// A send operation for a [`Select`](ithaca_core::Select): yields `Ok(())` if the value was
/// sent, or the value back in a [`SendError`] if the channel was closed. If another arm is
/// chosen, the value stays in the arm (take it back with [`SendArm::into_value`]).
///
/// ```
/// use ithaca_chan::{bounded, SendArm, ArmOutput, Select};
/// let (tx, rx) = bounded(1);
/// let mut a = SendArm::new(&tx, "hello");
/// assert_eq!(Select::new(&mut [&mut a]).wait(), Some(0));
/// assert!(a.take_output().is_ok());
/// assert_eq!(rx.try_recv(), Ok("hello"));
/// ```
pub struct SendArm<'a, T> {
    chan: Option<&'a Chan<T>>,
    value: Option<T>,
    id: Option<u64>,
    out: Option<Result<(), SendError<T>>>,
}

impl<'a, T> SendArm<'a, T> {
    /// A send of `value` on `tx`; `None` makes a nil arm that is never chosen.
    pub fn new(tx: impl Into<Option<&'a Sender<T>>>, value: T) -> Self {
        SendArm {
            chan: tx.into().map(|t| &*t.chan),
            value: Some(value),
            id: None,
            out: None,
        }
    }

    /// The value, if this arm did not send it.
    ///
    /// ```
    /// use ithaca_chan::{bounded, SendArm};
    /// let (tx, _rx) = bounded(0);
    /// assert_eq!(SendArm::new(&tx, 5).into_value(), Some(5));
    /// ```
    pub fn into_value(mut self) -> Option<T> {
        match self.out.take() {
            Some(Err(SendError(v))) => Some(v),
            _ => self.value.take(),
        }
    }
}

impl<T: Send> Arm for SendArm<'_, T> {
    fn try_complete(&mut self) -> bool {
        let (Some(chan), Some(value)) = (self.chan, self.value.take()) else {
            return false;
        };
        let value = match chan.send_fast(value) {
            Fast::Done(()) => {
                self.out = Some(Ok(()));
                return true;
            }
            Fast::NotReady(v) => {
                self.value = Some(v);
                return false;
            }
            Fast::Locked(v) => v,
        };
        let mut wakes = Wakes::default();
        let mut st = chan.lock();
        let r = chan.try_send_locked(&mut st, value, None, &mut wakes);
        drop(st);
        wakes.wake();
        match r {
            Ok(()) => self.out = Some(Ok(())),
            Err(SendFail::Closed(v)) => self.out = Some(Err(SendError(v))),
            Err(SendFail::Full(v)) => {
                self.value = Some(v);
                return false;
            }
        }
        true
    }

    fn register(&mut self, waiter: &Arc<Waiter>, index: usize) -> Registration {
        let Some(chan) = self.chan else {
            return Registration::Registered;
        };
        let mut st = chan.lock();
        if chan.send_ready(&st, waiter) {
            return Registration::Ready;
        }
        let value = self
            .value
            .take()
            .expect("select: send arm registered without a value");
        let mut wakes = Wakes::default();
        self.id = Some(chan.register_send(&mut st, waiter, index, value, &mut wakes));
        drop(st);
        wakes.wake();
        Registration::Registered
    }

    fn unregister(&mut self, _waiter: &Arc<Waiter>, outcome: Outcome) {
        let (Some(chan), Some(id)) = (self.chan, self.id.take()) else {
            return;
        };
        let (value, closed) = match outcome {
            Outcome::NotChosen => chan.unregister_send(&mut chan.lock(), id),
            Outcome::Chosen | Outcome::ChosenButCancelled => chan.finish_chosen_send(id),
        };
        match outcome {
            Outcome::NotChosen => self.value = value,
            Outcome::Chosen | Outcome::ChosenButCancelled => {
                self.out = Some(match value {
                    Some(v) if closed => Err(SendError(v)),
                    Some(_) => unreachable!("chan: chosen send arm still holds its value"),
                    None => Ok(()),
                });
            }
        }
    }

    fn version(&self) -> u64 {
        self.chan.map_or(0, Chan::version)
    }

    fn retry_helps(&self) -> bool {
        self.chan.is_some_and(Chan::retry_helps)
    }

    fn wait_reason(&self) -> &'static str {
        if self.chan.is_some() {
            "chan send"
        } else {
            "chan send (nil chan)"
        }
    }
}

impl<T> ArmOutput for SendArm<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn take_output(&mut self) -> Result<(), SendError<T>> {
        self.out
            .take()
            .expect("select: took the result of a send arm that was not chosen")
    }
}

impl<T> Drop for SendArm<'_, T> {
    fn drop(&mut self) {
        if self.id.is_some() {
            self.drop_registered();
        }
    }
}

impl<T> SendArm<'_, T> {
    /// See `RecvArm`'s `Drop`: only a leaked select leaves a registration behind.
    #[cold]
    fn drop_registered(&mut self) {
        if let (Some(chan), Some(id)) = (self.chan, self.id.take()) {
            let (value, _) = chan.unregister_send(&mut chan.lock(), id);
            drop(value);
        }
    }
}

impl<T> fmt::Debug for SendArm<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendArm")
            .field("nil", &self.chan.is_none())
            .field("done", &self.out.is_some())
            .finish()
    }
}
