//! Wait reporting: how a blocked operation tells the runtime what it waits on, and where.
//!
//! Every ithaca primitive that blocks calls [`note_wait`] (async: just before returning
//! `Pending`; threads: through [`ThreadWait`] around the park) with a short Go-style
//! description (`"chan receive"`, `"select"`, `"sync.Mutex.Lock"`) and the caller's source
//! location, captured with `#[track_caller]`.
//!
//! The runtime (a layer above) installs a [`WaitObserver`] for the duration of each poll of a
//! goroutine with [`observe`]; the note lands there. Outside a goroutine the note is counted
//! as a blocked plain thread. This crate keeps no registry of its own.
//!
//! # Invariants
//!
//! * The observer slot is thread-local and restored when [`observe`] returns, also on panic,
//!   so a note never reaches the wrong goroutine.
//! * Reporting never blocks and never allocates.

use std::cell::RefCell;
use std::panic::Location;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// What a blocked party waits on, as the runtime records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitNote {
    /// Go-style wait reason, e.g. `"chan receive"`, `"chan send"`, `"select"`.
    pub op: &'static str,
    /// Where the blocking call was made.
    pub location: &'static Location<'static>,
    /// Whether only another ithaca party can end this wait (a channel, lock or wait group),
    /// as opposed to time passing (a timer, a deadline) — the deadlock detector counts only
    /// durable waits.
    pub durable: bool,
}

/// Receives wait notes for the goroutine being polled on this thread.
pub trait WaitObserver: Send + Sync {
    /// The goroutine is about to block on `note`.
    fn on_wait(&self, note: WaitNote);
}

thread_local! {
    static OBSERVER: RefCell<Option<Arc<dyn WaitObserver>>> = const { RefCell::new(None) };
}

static BLOCKED_THREADS: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` with `observer` receiving this thread's wait notes, then restores the previous one.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use ithaca_core::diag::{self, WaitNote, WaitObserver};
///
/// struct Last(Mutex<Option<&'static str>>);
/// impl WaitObserver for Last {
///     fn on_wait(&self, note: WaitNote) { *self.0.lock().unwrap() = Some(note.op); }
/// }
/// let last = Arc::new(Last(Mutex::new(None)));
/// diag::observe(last.clone(), || diag::note_wait("chan receive", true, std::panic::Location::caller()));
/// assert_eq!(*last.0.lock().unwrap(), Some("chan receive"));
/// ```
pub fn observe<R>(observer: Arc<dyn WaitObserver>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Arc<dyn WaitObserver>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let prev = self.0.take();
            let _ = OBSERVER.try_with(|o| *o.borrow_mut() = prev);
        }
    }
    let prev = OBSERVER.with(|o| o.borrow_mut().replace(observer));
    let _restore = Restore(prev);
    f()
}

/// Whether an observer (a goroutine) is active on this thread.
pub fn in_goroutine() -> bool {
    OBSERVER.try_with(|o| o.borrow().is_some()).unwrap_or(false)
}

/// Reports that the current goroutine is about to block on `op` at `location`.
/// Does nothing outside a goroutine.
pub fn note_wait(op: &'static str, durable: bool, location: &'static Location<'static>) {
    let _ = OBSERVER.try_with(|o| {
        if let Some(obs) = o.borrow().as_ref() {
            obs.on_wait(WaitNote {
                op,
                location,
                durable,
            });
        }
    });
}

/// The number of plain threads (not goroutines) blocked in an ithaca primitive right now.
///
/// ```
/// assert_eq!(ithaca_core::diag::blocked_threads(), 0);
/// ```
pub fn blocked_threads() -> usize {
    BLOCKED_THREADS.load(Ordering::Relaxed)
}

/// Marks a plain thread as blocked in an ithaca primitive while alive.
///
/// ```
/// let w = ithaca_core::diag::ThreadWait::begin("chan receive", true, std::panic::Location::caller());
/// drop(w);
/// ```
#[derive(Debug)]
pub struct ThreadWait(());

impl ThreadWait {
    /// Starts a blocked period; the count drops again when the guard is dropped.
    pub fn begin(op: &'static str, durable: bool, location: &'static Location<'static>) -> Self {
        note_wait(op, durable, location);
        BLOCKED_THREADS.fetch_add(1, Ordering::Relaxed);
        ThreadWait(())
    }
}

impl Drop for ThreadWait {
    fn drop(&mut self) {
        BLOCKED_THREADS.fetch_sub(1, Ordering::Relaxed);
    }
}
