//! The per-goroutine record: identity, state, what it waits on, and who reports its panic.
//!
//! One [`Record`] is allocated per goroutine (an `Arc`, shared by the registry, the running
//! task and the [`JoinHandle`](crate::JoinHandle)). It is also the goroutine's
//! [`WaitObserver`](ithaca_core::diag::WaitObserver): ithaca primitives report their waits into
//! it while the goroutine is polled.
//!
//! # Invariants
//!
//! * `id`, `name`, `location`, `parent`, `bubble` and `blocking` never change after creation.
//! * Only the thread currently polling the goroutine writes `state` (except the final `DONE`,
//!   written by the same party that deregisters it) and the wait note; readers (snapshots) see
//!   a possibly stale but never torn state: the note is behind a mutex that no user code runs
//!   under.
//! * `BLOCKED` is only set when a poll returns `Pending` after a note (during the poll the
//!   state is the internal `NOTED`, read as running), so a snapshot never shows a goroutine
//!   blocked on a wait it has not committed to yet.
//! * A panic is reported to stderr exactly once by [`ReportState`], by whichever of "the
//!   goroutine panicked" and "its JoinHandle was dropped without taking the result" happens
//!   second, so a panic nobody can observe is never lost.

use std::panic::Location;

use crate::sync::{lock, short_lock, AtomicU64, AtomicU8, Mutex, Ordering, ShortMutex};

/// Spawned (or queued for the blocking pool) and not yet polled.
pub(crate) const RUNNABLE: u8 = 0;
/// Being polled (or, for a blocking goroutine, executing).
pub(crate) const RUNNING: u8 = 1;
/// Pending after an ithaca primitive reported a wait (the note says on what).
pub(crate) const BLOCKED: u8 = 2;
/// Pending without a note: I/O, a foreign timer or future.
#[cfg_attr(not(any(loom, feature = "diagnostics")), allow(dead_code))] // `tracking` uses it
pub(crate) const WAITING: u8 = 3;
/// Finished; about to leave the registry.
pub(crate) const DONE: u8 = 4;
/// Being polled, and an ithaca primitive reported a wait during this poll (read as
/// `RUNNING`; becomes `BLOCKED` if the poll returns `Pending`).
pub(crate) const NOTED: u8 = 5;

/// Goroutine ids start at 1 (0 means "no goroutine").
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Allocates the next goroutine id (process-wide, strictly increasing in allocation order).
pub(crate) fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The last wait an ithaca primitive reported for a goroutine.
#[derive(Clone, Copy, Debug)]
pub struct Wait {
    /// Go-style wait reason.
    pub op: &'static str,
    /// Where the blocking call was made.
    pub location: &'static Location<'static>,
    /// When the wait began (`clock::now` nanoseconds).
    pub since: u64,
    /// Whether all waits noted in the poll were durable.
    pub durable: bool,
}

/// One goroutine's bookkeeping.
pub struct Record {
    /// Process-wide unique id.
    pub id: u64,
    pub(crate) name: Option<Box<str>>,
    pub(crate) location: &'static Location<'static>,
    /// 0 when spawned outside any goroutine.
    pub(crate) parent: u64,
    /// The id of the root goroutine (of `block_on`, `#[ithaca::main]`, `#[ithaca::test]`)
    /// whose spawn tree this goroutine belongs to; 0 for goroutines spawned outside any
    /// root's tree (from a plain thread). A root's bubble is its own id. Set before the
    /// record is shared, never changed afterwards.
    pub(crate) bubble: u64,
    /// Spawned with `spawn_blocking` (runs on the blocking pool, never polled).
    pub(crate) blocking: bool,
    pub(crate) state: AtomicU8,
    pub(crate) polls: AtomicU64,
    /// Written on every blocking poll, so behind the short-hold lock (see `crate::sync`).
    pub(crate) wait: ShortMutex<Option<Wait>>,
    /// Who reports an unjoined panic.
    pub report: ReportState,
    /// The runtime's panic policy (`PanicPolicy as u8`), kept here to keep the task small.
    pub(crate) policy: u8,
    /// Where the registry keeps this record (`Slot::pack`), written once right after
    /// insertion, before the goroutine can run.
    #[cfg_attr(not(any(loom, feature = "diagnostics")), allow(dead_code))]
    // `tracking` uses it
    pub(crate) slot: AtomicU64,
}

impl Record {
    /// A fresh record in state `RUNNABLE`.
    pub fn new(
        id: u64,
        name: Option<Box<str>>,
        location: &'static Location<'static>,
        parent: u64,
        blocking: bool,
    ) -> Self {
        Record {
            id,
            name,
            location,
            parent,
            bubble: 0,
            blocking,
            state: AtomicU8::new(RUNNABLE),
            polls: AtomicU64::new(0),
            wait: ShortMutex::new(None),
            report: ReportState::new(),
            policy: 0,
            slot: AtomicU64::new(u64::MAX),
        }
    }

    /// Marks the goroutine finished; true the first time only (the caller then deregisters).
    pub(crate) fn set_done(&self) -> bool {
        self.state.swap(DONE, Ordering::AcqRel) != DONE
    }

    /// Called by the polling thread at the start of each poll.
    #[cfg_attr(not(any(loom, feature = "diagnostics")), allow(dead_code))] // `tracking` uses it
    #[inline]
    pub fn begin_poll(&self) {
        self.state.store(RUNNING, Ordering::Relaxed);
        // Single writer (polls of one task are serialised), so load + store is enough.
        let n = self.polls.load(Ordering::Relaxed);
        self.polls.store(n + 1, Ordering::Relaxed);
    }

    /// Called by the polling thread when the poll returned `Pending`.
    #[cfg_attr(not(any(loom, feature = "diagnostics")), allow(dead_code))] // `tracking` uses it
    #[inline]
    pub fn end_poll_pending(&self) {
        let next = if self.state.load(Ordering::Relaxed) == NOTED {
            BLOCKED
        } else {
            WAITING
        };
        self.state.store(next, Ordering::Release);
    }

    /// Records a wait note (from the polling thread, during a poll). Several notes in one poll:
    /// the last op/location wins, `durable` is the AND of all of them, `since` is the first.
    pub fn note(&self, op: &'static str, location: &'static Location<'static>, durable: bool) {
        let first = self.state.load(Ordering::Relaxed) != NOTED;
        {
            let mut w = short_lock(&self.wait);
            let (since, durable) = match (*w, first) {
                (Some(prev), false) => (prev.since, durable && prev.durable),
                _ => (crate::clock::now(), durable),
            };
            *w = Some(Wait {
                op,
                location,
                since,
                durable,
            });
        }
        self.state.store(NOTED, Ordering::Release);
    }

    /// The current wait note, if any.
    pub fn wait(&self) -> Option<Wait> {
        *short_lock(&self.wait)
    }

    /// Whether the last poll ended blocked on a noted wait (used by the loom models).
    #[cfg_attr(not(loom), allow(dead_code))]
    pub fn is_blocked(&self) -> bool {
        self.state.load(Ordering::Acquire) == BLOCKED
    }
}

#[cfg(not(loom))]
impl ithaca_core::diag::WaitObserver for Record {
    #[inline]
    fn on_wait(&self, note: ithaca_core::diag::WaitNote) {
        self.note(note.op, note.location, note.durable);
    }
}

/// Decides who reports an unobserved panic (see the module invariants).
pub struct ReportState {
    flags: AtomicU8,
    message: Mutex<Option<String>>,
}

const DETACHED: u8 = 1;
const PANICKED: u8 = 2;

impl ReportState {
    fn new() -> Self {
        ReportState {
            flags: AtomicU8::new(0),
            message: Mutex::new(None),
        }
    }

    /// The goroutine panicked with `message` and the panic is meant for its joiner. Returns
    /// the message back if the JoinHandle is already gone, i.e. the caller must report it now.
    pub fn panicked(&self, message: String) -> Option<String> {
        *lock(&self.message) = Some(message);
        let prev = self.flags.fetch_or(PANICKED, Ordering::AcqRel);
        if prev & DETACHED != 0 {
            lock(&self.message).take()
        } else {
            None
        }
    }

    /// The JoinHandle was dropped without taking the result. Returns the panic message if the
    /// goroutine already panicked, i.e. the caller must report it now.
    pub fn detached(&self) -> Option<String> {
        let prev = self.flags.fetch_or(DETACHED, Ordering::AcqRel);
        if prev & PANICKED != 0 {
            lock(&self.message).take()
        } else {
            None
        }
    }
}
