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

use std::cell::Cell;
use std::panic::Location;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// The observer of the goroutine being polled on this thread, lifetime erased: it is set only
/// by [`observe`], which borrows the observer for the whole time the pointer is installed
/// and restores the previous value before returning (also when unwinding).
type ObserverPtr = Option<NonNull<dyn WaitObserver + 'static>>;

thread_local! {
    static OBSERVER: Cell<ObserverPtr> = const { Cell::new(None) };
}

static BLOCKED_THREADS: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` with `observer` receiving this thread's wait notes, then restores the previous one.
///
/// Borrowing (not cloning an `Arc`) keeps the runtime's per-poll cost to two thread-local
/// writes.
///
/// ```
/// use std::sync::Mutex;
/// use ithaca_core::diag::{self, WaitNote, WaitObserver};
///
/// struct Last(Mutex<Option<&'static str>>);
/// impl WaitObserver for Last {
///     fn on_wait(&self, note: WaitNote) { *self.0.lock().unwrap() = Some(note.op); }
/// }
/// let last = Last(Mutex::new(None));
/// diag::observe(&last, || diag::note_wait("chan receive", true, std::panic::Location::caller()));
/// assert_eq!(*last.0.lock().unwrap(), Some("chan receive"));
/// ```
pub fn observe<R>(observer: &dyn WaitObserver, f: impl FnOnce() -> R) -> R {
    struct Restore(ObserverPtr);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = OBSERVER.try_with(|o| o.set(self.0));
        }
    }
    let ptr: NonNull<dyn WaitObserver + '_> = NonNull::from(observer);
    // The erased pointer is dereferenced only by `note_wait` while it is installed, and it
    // is installed only until `_restore` drops at the end of this call.
    // SAFETY: only the lifetime bound changes (same layout); `observer` outlives the install.
    let ptr: NonNull<dyn WaitObserver + 'static> = unsafe { std::mem::transmute(ptr) };
    let prev = OBSERVER.with(|o| o.replace(Some(ptr)));
    let _restore = Restore(prev);
    f()
}

/// Whether an observer (a goroutine) is active on this thread.
pub fn in_goroutine() -> bool {
    OBSERVER.try_with(|o| o.get().is_some()).unwrap_or(false)
}

/// Reports that the current goroutine is about to block on `op` at `location`.
/// Does nothing outside a goroutine.
pub fn note_wait(op: &'static str, durable: bool, location: &'static Location<'static>) {
    if let Some(obs) = OBSERVER.try_with(Cell::get).ok().flatten() {
        // SAFETY: a pointer in OBSERVER is installed by `observe`, whose borrow of the
        // observer outlives the installation (see there); this runs on the same thread,
        // inside `observe`'s `f`.
        let obs = unsafe { obs.as_ref() };
        obs.on_wait(WaitNote {
            op,
            location,
            durable,
        });
    }
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
