//! Internal helpers shared by the patterns: catching a panic out of a future, reading a panic
//! payload, a lock that ignores poisoning, and channel operations that give up when a context
//! is done.
//!
//! # Invariants
//!
//! * No lock taken through [`lock`] is ever held across an `.await` or a call into user code,
//!   so poisoning can only come from a bug in this crate; it is ignored rather than spread.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Mutex, MutexGuard};
use std::task::Poll;

use ithaca_chan::{select, Receiver, Sender, TryRecvError, TrySendError};
use ithaca_context::Context;

/// A panic payload.
pub(crate) type Panic = Box<dyn Any + Send + 'static>;

/// Runs `fut` to completion, turning a panic in any of its polls into `Err(payload)`.
pub(crate) async fn catch_unwind<F: Future>(fut: F) -> Result<F::Output, Panic> {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(move |cx| {
        match std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(p) => Poll::Ready(Err(p)),
        }
    })
    .await
}

/// The message of a panic payload (`&str` and `String` payloads; others read `Box<dyn Any>`).
pub(crate) fn panic_message(p: &Panic) -> String {
    if let Some(s) = p.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

/// Locks `m`, ignoring poisoning (see the module invariants).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Sends `v` unless the channel is closed or `ctx` is done first. True if sent.
pub(crate) async fn send_or_done<T: Send>(tx: &Sender<T>, v: T, ctx: &Context) -> bool {
    match tx.try_send(v) {
        Ok(()) => true,
        Err(TrySendError::Closed(_)) => false,
        Err(TrySendError::Full(v)) => {
            if ctx.is_done() {
                return false;
            }
            select! {
                send(tx, v) -> r => r.is_ok(),
                arm(ctx.done()) => false,
            }
        }
    }
}

/// Receives a value unless the channel is closed and drained or `ctx` is done first.
pub(crate) async fn recv_or_done<T: Send>(rx: &Receiver<T>, ctx: &Context) -> Option<T> {
    if ctx.is_done() {
        return None;
    }
    match rx.try_recv() {
        Ok(v) => Some(v),
        Err(TryRecvError::Closed) => None,
        Err(TryRecvError::Empty) => select! {
            recv(rx) -> v => v,
            arm(ctx.done()) => None,
        },
    }
}
