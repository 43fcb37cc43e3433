//! What the `diagnostics` cargo feature switches: the goroutine registry and the per-poll
//! wait observer. Everything else in the crate goes through this module, so the feature is
//! one `cfg` here rather than `cfg`s sprinkled through the runtime.
//!
//! * With `diagnostics` (the default): every goroutine's [`Record`] is inserted into the
//!   sharded [`Registry`](crate::registry::Registry) at spawn and removed at exit; each poll
//!   updates the record's state and runs inside `diag::observe` (which borrows the record), so waits reported by ithaca
//!   primitives land in the record. Snapshots, dumps, the deadlock detector and leak checks
//!   read the registry.
//! * Without it: the record (id, name, spawn site, panic-report state: what `JoinHandle` and
//!   `JoinError` need) is still allocated, but never registered; polls run the future
//!   directly (no state stores, no observer, no `Arc` clone). Only a sharded live-goroutine
//!   counter remains, so [`num_goroutines`](crate::runtime::num_goroutines) keeps working;
//!   [`records`] is always empty, so snapshots and dumps are empty, leak checks pass and the
//!   deadlock detector never starts.
//!
//! # Invariants
//!
//! * [`register`] is called once per goroutine before its task is handed to tokio, and
//!   [`deregister`] once after (the caller, `task::Registration`, guarantees both).
//! * [`poll`] runs `f` exactly once and returns its result unchanged.

use std::sync::Arc;

use crate::record::Record;

pub(crate) use imp::{deregister, for_each, len, poll, records, register, ENABLED};

#[cfg(feature = "diagnostics")]
mod imp {
    use std::sync::{Arc, LazyLock};
    use std::task::Poll;

    use ithaca_core::diag;

    use crate::record::Record;
    use crate::registry::{Registry, Slot};
    use crate::sync::Ordering;

    /// The registry and wait observation are compiled in.
    pub(crate) const ENABLED: bool = true;

    /// The process-wide registry.
    static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
        let cpus = std::thread::available_parallelism().map_or(4, |n| n.get());
        Registry::new((cpus * 4).clamp(8, 256))
    });

    #[inline]
    pub(crate) fn register(rec: &Arc<Record>) {
        let slot = REGISTRY.insert(super::shard_hint(), rec.clone());
        rec.slot.store(slot.pack(), Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn deregister(rec: &Record) {
        let slot = Slot::unpack(rec.slot.load(Ordering::Relaxed));
        drop(REGISTRY.remove(slot));
    }

    pub(crate) fn len() -> usize {
        REGISTRY.len()
    }

    pub(crate) fn records() -> Vec<Arc<Record>> {
        REGISTRY.records()
    }

    pub(crate) fn for_each(f: impl FnMut(&Record) -> bool) -> bool {
        REGISTRY.for_each(f)
    }

    #[inline]
    pub(crate) fn poll<R>(rec: &Arc<Record>, f: impl FnOnce() -> Poll<R>) -> Poll<R> {
        rec.begin_poll();
        let res = diag::observe(&**rec, f);
        if res.is_pending() {
            rec.end_poll_pending();
        }
        res
    }
}

#[cfg(not(feature = "diagnostics"))]
mod imp {
    use std::sync::atomic::{AtomicIsize, Ordering};
    use std::sync::Arc;
    use std::task::Poll;

    use crate::record::Record;

    /// The registry and wait observation are compiled out.
    pub(crate) const ENABLED: bool = false;

    const SHARDS: usize = 64;

    // One counter per cache line (128: adjacent-line prefetch), so spawners and exiting
    // goroutines on different threads do not contend.
    #[repr(align(128))]
    struct Counter(AtomicIsize);

    /// Live goroutines, sharded: a goroutine may increment one shard and decrement another,
    /// only the sum is meaningful.
    static LIVE: [Counter; SHARDS] = [const { Counter(AtomicIsize::new(0)) }; SHARDS];

    #[inline]
    fn shard() -> &'static AtomicIsize {
        &LIVE[super::shard_hint() % SHARDS].0
    }

    #[inline]
    pub(crate) fn register(_rec: &Arc<Record>) {
        shard().fetch_add(1, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn deregister(_rec: &Record) {
        shard().fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn len() -> usize {
        let n: isize = LIVE.iter().map(|c| c.0.load(Ordering::Relaxed)).sum();
        n.max(0) as usize
    }

    pub(crate) fn records() -> Vec<Arc<Record>> {
        Vec::new()
    }

    pub(crate) fn for_each(_f: impl FnMut(&Record) -> bool) -> bool {
        true
    }

    #[inline]
    pub(crate) fn poll<R>(_rec: &Arc<Record>, f: impl FnOnce() -> Poll<R>) -> Poll<R> {
        f()
    }
}

/// This thread's shard index (handed out round-robin on first use).
fn shard_hint() -> usize {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    SHARD
        .try_with(|s| {
            let mut v = s.get();
            if v == usize::MAX {
                v = NEXT_SHARD.fetch_add(1, Ordering::Relaxed);
                s.set(v);
            }
            v
        })
        .unwrap_or(0)
}

// Keep the signatures of both implementations in step (a type error here means they drifted).
const _: fn(&Arc<Record>) = register;
const _: fn(&Record) = deregister;
