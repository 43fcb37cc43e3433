//! Waiting for one channel operation: the blocking loop for threads and the poll state
//! machines for async futures and streams.
//!
//! Each wait is the one-arm case of the select protocol (see `ithaca_core::select`): try under
//! the lock; if the operation cannot proceed, register a waiter (arm 0) under the same lock;
//! wait until a peer claims the waiter (or the deadline passes and the waiter aborts itself);
//! then unregister and collect the result.
//!
//! # Invariants
//!
//! * A registered wait is always unregistered: on completion, on timeout, and (for futures)
//!   in `cancel`, which `Drop` calls. A cancelled receive that a peer already claimed gives
//!   its value back to the channel, so a dropped future never loses a value.
//! * Wake-ups are done after the channel lock is released.
//! * A single receive registers `inline`: on a rendezvous or capacity-1 channel a claiming
//!   sender may hand the value over in the waiter's slot (see `Chan::register_recv`).
//!   Whenever the owner learns it was claimed (woken, timed out too late, or cancelled), it
//!   first takes the slot's value (`Waiter::take_slot`); only without one does it collect
//!   the outcome under the lock.

use std::panic::Location;
use std::task::{Context, Poll};
use std::time::Instant;

use ithaca_core::backoff::Backoff;
use ithaca_core::timer::{self, TimerKey};
use ithaca_core::waiter::Decision;
use ithaca_core::{diag, Waiter};

use crate::chan::{Chan, Fast, Recv, RecvDone, SendFail, Wakes};
use crate::error::{RecvTimeoutError, SendTimeoutError};
use crate::loom::Arc;

/// A blocking operation's retry schedule (see `ithaca_core::backoff`), exhausted from the
/// start where retrying cannot help ([`Chan::retry_helps`]).
fn backoff_for<T>(chan: &Chan<T>) -> Backoff {
    if chan.retry_helps() {
        Backoff::new()
    } else {
        Backoff::exhausted()
    }
}

/// Whether the owner of `waiter` must honour a peer's claim after its wait ended.
fn claimed_after_wait(waiter: &Waiter, d: Decision) -> bool {
    match d {
        Decision::Selected(_) => true,
        Decision::Aborted => false,
        Decision::Waiting => !waiter.try_abort(),
    }
}

pub(crate) fn recv_blocking<T>(
    chan: &Chan<T>,
    deadline: Option<Instant>,
    location: &'static Location<'static>,
) -> Result<T, RecvTimeoutError> {
    let mut wakes = Wakes::default();
    let mut backoff = backoff_for(chan);
    let mut st = loop {
        match chan.recv_fast() {
            Fast::Done(v) => return Ok(v),
            Fast::NotReady(()) if !backoff.is_done() => {
                // The locked try would find the same empty channel.
                backoff.snooze();
                continue;
            }
            Fast::NotReady(()) | Fast::Locked(()) => {}
        }
        let mut st = chan.lock();
        match chan.try_recv_locked(&mut st, None, &mut wakes) {
            Recv::Value(v) => {
                drop(st);
                wakes.wake();
                return Ok(v);
            }
            Recv::Closed => return Err(RecvTimeoutError::Closed),
            Recv::Empty => {}
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(RecvTimeoutError::Timeout);
        }
        if backoff.is_done() {
            // Register under the same lock as the last try.
            break st;
        }
        drop(st);
        // The try may have accepted a queued sender (ring mode): wake it before waiting.
        wakes.flush();
        backoff.snooze();
    };
    let waiter = Waiter::for_thread();
    let id = chan.register_recv(&mut st, &waiter, 0, true, &mut wakes);
    drop(st);
    // Wakes what the last try and the registration collected (a queued sender the ring
    // accepted, say) before this thread parks.
    wakes.flush();
    let decision = {
        let _blocked = diag::ThreadWait::begin(reason_recv(deadline), deadline.is_none(), location);
        waiter.park(deadline)
    };
    // Settle the decision; the entry's status then tells whether a peer claimed it.
    if claimed_after_wait(&waiter, decision) {
        // SAFETY: this thread owns `waiter`, saw the claim, and registered it (inline) for
        // this one receive of `T`s.
        if let Some(v) = unsafe { waiter.take_slot::<T>() } {
            return Ok(v);
        }
    }
    let mut st = chan.lock();
    let done = chan.unregister_recv(&mut st, id, false, &mut wakes);
    drop(st);
    wakes.wake();
    match done {
        Some(RecvDone::Value(v)) => Ok(v),
        Some(RecvDone::Closed) => Err(RecvTimeoutError::Closed),
        None => Err(RecvTimeoutError::Timeout),
    }
}

pub(crate) fn send_blocking<T>(
    chan: &Chan<T>,
    value: T,
    deadline: Option<Instant>,
    location: &'static Location<'static>,
) -> Result<(), SendTimeoutError<T>> {
    let mut wakes = Wakes::default();
    let mut backoff = backoff_for(chan);
    let mut value = value;
    let mut st = loop {
        value = match chan.send_fast(value) {
            Fast::Done(()) => return Ok(()),
            Fast::NotReady(v) if !backoff.is_done() => {
                // The locked try would find the same full channel.
                value = v;
                backoff.snooze();
                continue;
            }
            Fast::NotReady(v) | Fast::Locked(v) => v,
        };
        let mut st = chan.lock();
        value = match chan.try_send_locked(&mut st, value, None, &mut wakes) {
            Ok(()) => {
                drop(st);
                wakes.wake();
                return Ok(());
            }
            Err(SendFail::Closed(v)) => return Err(SendTimeoutError::Closed(v)),
            Err(SendFail::Full(v)) => v,
        };
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(SendTimeoutError::Timeout(value));
        }
        if backoff.is_done() {
            break st;
        }
        drop(st);
        wakes.flush();
        backoff.snooze();
    };
    let waiter = Waiter::for_thread();
    let id = chan.register_send(&mut st, &waiter, 0, value, &mut wakes);
    drop(st);
    // Wakes what the last try and the registration collected (a queued sender the ring
    // accepted, say) before this thread parks.
    wakes.flush();
    let decision = {
        let _blocked = diag::ThreadWait::begin(reason_send(deadline), deadline.is_none(), location);
        waiter.park(deadline)
    };
    let chosen = claimed_after_wait(&waiter, decision);
    let (value, closed) = if chosen {
        chan.finish_chosen_send(id)
    } else {
        chan.unregister_send(&mut chan.lock(), id)
    };
    match (chosen, value) {
        (true, None) => Ok(()),
        (true, Some(v)) if closed => Err(SendTimeoutError::Closed(v)),
        (_, Some(v)) => Err(SendTimeoutError::Timeout(v)),
        (false, None) => unreachable!("chan: unclaimed send lost its value"),
    }
}

fn reason_recv(deadline: Option<Instant>) -> &'static str {
    if deadline.is_some() {
        "chan receive (with timeout)"
    } else {
        "chan receive"
    }
}

fn reason_send(deadline: Option<Instant>) -> &'static str {
    if deadline.is_some() {
        "chan send (with timeout)"
    } else {
        "chan send"
    }
}

/// An async wait's registration: the waiter, the entry id and the timer for a deadline.
struct Registered {
    waiter: Arc<Waiter>,
    id: u64,
    timer: Option<TimerKey>,
}

impl Registered {
    fn new(waiter: Arc<Waiter>, id: u64, deadline: Option<Instant>, cx: &Context<'_>) -> Self {
        let timer = deadline.map(|d| timer::register(d, cx.waker()));
        Registered { waiter, id, timer }
    }

    /// Polls the decision: `None` while still waiting (and the deadline has not passed),
    /// otherwise whether a peer claimed us.
    fn check(&self, cx: &Context<'_>, deadline: Option<Instant>) -> Option<bool> {
        self.waiter.set_waker(cx.waker());
        match self.waiter.decision() {
            Decision::Waiting => match deadline {
                Some(d) if Instant::now() >= d => Some(!self.waiter.try_abort()),
                _ => None,
            },
            d => Some(claimed_after_wait(&self.waiter, d)),
        }
    }

    fn release(self) {
        if let Some(key) = self.timer {
            timer::cancel(key);
        }
        Waiter::recycle(self.waiter);
    }
}

/// The state of an async receive, shared by [`RecvFuture`](crate::RecvFuture) and
/// [`RecvStream`](crate::RecvStream).
#[derive(Default)]
pub(crate) struct RecvWait {
    reg: Option<Registered>,
}

impl RecvWait {
    /// Polls the receive. On a channel with a ring the lock-free attempt is made here,
    /// inline, so that a receive that completes at once does not pay the register saves of
    /// the large out-of-line rest ([`RecvWait::poll_full`]); without a ring every receive
    /// takes the lock and the rest is called directly.
    #[inline]
    pub(crate) fn poll<T>(
        &mut self,
        chan: &Chan<T>,
        cx: &mut Context<'_>,
        deadline: Option<Instant>,
        location: &'static Location<'static>,
    ) -> Poll<Result<T, RecvTimeoutError>> {
        if self.reg.is_none() && chan.has_ring() {
            if let Fast::Done(v) = chan.recv_fast() {
                return Poll::Ready(Ok(v));
            }
        }
        self.poll_full(chan, cx, deadline, location)
    }

    /// [`RecvWait::poll`] after its lock-free attempt (if any): collects the outcome of a
    /// registration, or tries under the lock and registers.
    #[inline(never)]
    fn poll_full<T>(
        &mut self,
        chan: &Chan<T>,
        cx: &mut Context<'_>,
        deadline: Option<Instant>,
        location: &'static Location<'static>,
    ) -> Poll<Result<T, RecvTimeoutError>> {
        let mut wakes = Wakes::default();
        if let Some(reg) = &self.reg {
            let Some(claimed) = reg.check(cx, deadline) else {
                diag::note_wait(reason_recv(deadline), deadline.is_none(), location);
                return Poll::Pending;
            };
            let reg = self.reg.take().expect("registered");
            if claimed {
                // SAFETY: this future owns the waiter, saw the claim, and registered it
                // (inline) for this one receive of `T`s.
                if let Some(v) = unsafe { reg.waiter.take_slot::<T>() } {
                    reg.release();
                    return Poll::Ready(Ok(v));
                }
            }
            let mut st = chan.lock();
            let done = chan.unregister_recv(&mut st, reg.id, false, &mut wakes);
            drop(st);
            wakes.wake();
            reg.release();
            return Poll::Ready(match done {
                Some(RecvDone::Value(v)) => Ok(v),
                Some(RecvDone::Closed) => Err(RecvTimeoutError::Closed),
                None => Err(RecvTimeoutError::Timeout),
            });
        }
        let mut st = chan.lock();
        match chan.try_recv_locked(&mut st, None, &mut wakes) {
            Recv::Value(v) => {
                drop(st);
                wakes.wake();
                return Poll::Ready(Ok(v));
            }
            Recv::Closed => return Poll::Ready(Err(RecvTimeoutError::Closed)),
            Recv::Empty => {}
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Poll::Ready(Err(RecvTimeoutError::Timeout));
        }
        let waiter = Waiter::for_task(cx.waker());
        let id = chan.register_recv(&mut st, &waiter, 0, true, &mut wakes);
        drop(st);
        wakes.wake();
        self.reg = Some(Registered::new(waiter, id, deadline, cx));
        diag::note_wait(reason_recv(deadline), deadline.is_none(), location);
        Poll::Pending
    }

    /// Abandons a pending receive without losing a value (see the module invariants).
    #[inline]
    pub(crate) fn cancel<T>(&mut self, chan: &Chan<T>) {
        if self.reg.is_some() {
            self.cancel_registered(chan);
        }
    }

    #[inline(never)]
    fn cancel_registered<T>(&mut self, chan: &Chan<T>) {
        if let Some(reg) = self.reg.take() {
            let claimed = !reg.waiter.try_abort();
            let handed = if claimed {
                // SAFETY: as in `poll`: the owner saw the claim of its inline registration.
                unsafe { reg.waiter.take_slot::<T>() }
            } else {
                None
            };
            let mut wakes = Wakes::default();
            let mut st = chan.lock();
            match handed {
                // The claimer removed the entry already (invariant 5 of `chan.rs`).
                Some(v) => chan.give_back(&mut st, v, &mut wakes),
                None => {
                    chan.unregister_recv(&mut st, reg.id, true, &mut wakes);
                }
            }
            drop(st);
            wakes.wake();
            reg.release();
        }
    }
}

/// The state of an async send: the value until it is handed to the channel, then the
/// registration.
pub(crate) struct SendWait<T> {
    value: Option<T>,
    reg: Option<Registered>,
}

impl<T> SendWait<T> {
    pub(crate) fn new(value: T) -> Self {
        SendWait {
            value: Some(value),
            reg: None,
        }
    }

    /// Polls the send; the lock-free attempt inline on a channel with a ring, as
    /// [`RecvWait::poll`].
    #[inline]
    pub(crate) fn poll(
        &mut self,
        chan: &Chan<T>,
        cx: &mut Context<'_>,
        deadline: Option<Instant>,
        location: &'static Location<'static>,
    ) -> Poll<Result<(), SendTimeoutError<T>>> {
        if self.reg.is_none() && chan.has_ring() {
            if let Some(value) = self.value.take() {
                match chan.send_fast(value) {
                    Fast::Done(()) => return Poll::Ready(Ok(())),
                    Fast::NotReady(v) | Fast::Locked(v) => self.value = Some(v),
                }
            }
        }
        self.poll_full(chan, cx, deadline, location)
    }

    /// [`SendWait::poll`] after its lock-free attempt (if any): collects the outcome of a
    /// registration, or tries under the lock and registers.
    #[inline(never)]
    fn poll_full(
        &mut self,
        chan: &Chan<T>,
        cx: &mut Context<'_>,
        deadline: Option<Instant>,
        location: &'static Location<'static>,
    ) -> Poll<Result<(), SendTimeoutError<T>>> {
        if let Some(reg) = &self.reg {
            let Some(chosen) = reg.check(cx, deadline) else {
                diag::note_wait(reason_send(deadline), deadline.is_none(), location);
                return Poll::Pending;
            };
            let reg = self.reg.take().expect("registered");
            let (value, closed) = if chosen {
                chan.finish_chosen_send(reg.id)
            } else {
                chan.unregister_send(&mut chan.lock(), reg.id)
            };
            reg.release();
            return Poll::Ready(match (chosen, value) {
                (true, None) => Ok(()),
                (true, Some(v)) if closed => Err(SendTimeoutError::Closed(v)),
                (_, Some(v)) => Err(SendTimeoutError::Timeout(v)),
                (false, None) => unreachable!("chan: unclaimed send lost its value"),
            });
        }
        let value = self
            .value
            .take()
            .expect("send future polled after completion");
        let mut wakes = Wakes::default();
        let mut st = chan.lock();
        let value = match chan.try_send_locked(&mut st, value, None, &mut wakes) {
            Ok(()) => {
                drop(st);
                wakes.wake();
                return Poll::Ready(Ok(()));
            }
            Err(SendFail::Closed(v)) => return Poll::Ready(Err(SendTimeoutError::Closed(v))),
            Err(SendFail::Full(v)) => v,
        };
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Poll::Ready(Err(SendTimeoutError::Timeout(value)));
        }
        let waiter = Waiter::for_task(cx.waker());
        let id = chan.register_send(&mut st, &waiter, 0, value, &mut wakes);
        drop(st);
        wakes.wake();
        self.reg = Some(Registered::new(waiter, id, deadline, cx));
        diag::note_wait(reason_send(deadline), deadline.is_none(), location);
        Poll::Pending
    }

    /// Abandons a pending send. If a peer already took the value, the send happened;
    /// otherwise the value is dropped here, exactly once.
    #[inline]
    pub(crate) fn cancel(&mut self, chan: &Chan<T>) {
        if self.reg.is_some() {
            self.cancel_registered(chan);
        }
    }

    #[inline(never)]
    fn cancel_registered(&mut self, chan: &Chan<T>) {
        if let Some(reg) = self.reg.take() {
            let (value, _) = if reg.waiter.try_abort() {
                chan.unregister_send(&mut chan.lock(), reg.id)
            } else {
                chan.finish_chosen_send(reg.id)
            };
            drop(value);
            reg.release();
        }
    }
}
