//! The sharded goroutine registry: every live goroutine's [`Record`], findable for snapshots.
//!
//! There is no global lock on spawn: the registry is split into shards (a power of two, about
//! four per CPU), each a mutex-protected slab. A thread always inserts into "its" shard (a
//! thread-local index handed out round-robin), so concurrent spawners on different threads do
//! not contend; removal locks the shard the record was inserted in, wherever the goroutine
//! finished.
//!
//! # Invariants
//!
//! * A record is in exactly one slab slot from `insert` until `remove` of the [`Slot`] that
//!   `insert` returned; `remove` is called at most once per slot (the owner,
//!   `task::Registration`, guarantees this).
//! * `Shard::len` equals the number of occupied slots of that shard whenever its lock is free
//!   (it is only written under the lock), so [`Registry::len`] is exact when no spawn or exit
//!   is in flight, and otherwise off by at most the number in flight.
//! * No user code and no allocation-heavy work runs under a shard lock; records are cloned out
//!   (`Arc` clone) and inspected after the lock is released, or visited in place by
//!   [`Registry::for_each`] with a short closure (atomic loads and the record's own wait-note
//!   lock, which is never held while a shard lock is taken, so the lock order is shard ->
//!   note).

use crate::record::Record;
use crate::sync::{lock, Arc, AtomicUsize, Mutex, Ordering};

/// Where a record lives in the registry; returned by [`Registry::insert`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    shard: u32,
    index: u32,
}

impl Slot {
    /// The slot as one word (for `Record::slot`).
    pub(crate) fn pack(self) -> u64 {
        (u64::from(self.shard) << 32) | u64::from(self.index)
    }

    /// The inverse of [`Slot::pack`].
    pub(crate) fn unpack(v: u64) -> Slot {
        Slot {
            shard: (v >> 32) as u32,
            index: v as u32,
        }
    }
}

enum Entry {
    Occupied(Arc<Record>),
    /// Next free index, or `u32::MAX`.
    Vacant(u32),
}

struct Slab {
    entries: Vec<Entry>,
    free: u32,
}

// Padded to keep shards on separate cache lines (128: adjacent-line prefetch, as tokio does).
#[repr(align(128))]
struct Shard {
    slab: Mutex<Slab>,
    len: AtomicUsize,
}

/// The registry (one process-wide instance lives in `runtime`; loom models build their own).
pub struct Registry {
    shards: Box<[Shard]>,
    mask: usize,
}

impl Registry {
    /// A registry with `shards` shards (rounded up to a power of two, at least 1).
    pub fn new(shards: usize) -> Self {
        let n = shards.max(1).next_power_of_two();
        let shards = (0..n)
            .map(|_| Shard {
                slab: Mutex::new(Slab {
                    entries: Vec::new(),
                    free: u32::MAX,
                }),
                len: AtomicUsize::new(0),
            })
            .collect::<Vec<_>>()
            .into_boxed_slice();
        Registry {
            shards,
            mask: n - 1,
        }
    }

    /// Inserts `rec` into shard `hint` (modulo the shard count).
    pub fn insert(&self, hint: usize, rec: Arc<Record>) -> Slot {
        let shard_ix = hint & self.mask;
        let shard = &self.shards[shard_ix];
        let mut slab = lock(&shard.slab);
        let index = if slab.free != u32::MAX {
            let ix = slab.free;
            let next = match slab.entries[ix as usize] {
                Entry::Vacant(next) => next,
                Entry::Occupied(_) => unreachable!("registry free list points at a live entry"),
            };
            slab.free = next;
            slab.entries[ix as usize] = Entry::Occupied(rec);
            ix
        } else {
            let ix = u32::try_from(slab.entries.len())
                .ok()
                .filter(|&ix| ix != u32::MAX)
                .expect("ithaca: more than 4 billion goroutines in one registry shard");
            slab.entries.push(Entry::Occupied(rec));
            ix
        };
        shard
            .len
            .store(shard.len.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        Slot {
            shard: shard_ix as u32,
            index,
        }
    }

    /// Removes the record at `slot` and returns it (dropped by the caller, outside the lock).
    pub fn remove(&self, slot: Slot) -> Option<Arc<Record>> {
        let shard = &self.shards[slot.shard as usize];
        let mut slab = lock(&shard.slab);
        let free = slab.free;
        let entry = std::mem::replace(&mut slab.entries[slot.index as usize], Entry::Vacant(free));
        match entry {
            Entry::Occupied(rec) => {
                slab.free = slot.index;
                shard
                    .len
                    .store(shard.len.load(Ordering::Relaxed) - 1, Ordering::Relaxed);
                Some(rec)
            }
            vacant => {
                // Double remove: put the entry back untouched.
                slab.entries[slot.index as usize] = vacant;
                None
            }
        }
    }

    /// The number of registered records (see the module invariants for its precision).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.len.load(Ordering::Relaxed))
            .sum()
    }

    /// Clones out every registered record, one shard lock at a time.
    pub fn records(&self) -> Vec<Arc<Record>> {
        let mut out = Vec::with_capacity(self.len() + 16);
        for shard in self.shards.iter() {
            let slab = lock(&shard.slab);
            out.extend(slab.entries.iter().filter_map(|e| match e {
                Entry::Occupied(r) => Some(r.clone()),
                Entry::Vacant(_) => None,
            }));
        }
        out
    }

    /// Visits every registered record without cloning it, holding one shard lock at a time;
    /// stops at the first `false` from `f` and returns `false` then. `f` must be short and
    /// must not spawn or finish goroutines (it runs under a shard lock).
    #[cfg_attr(loom, allow(dead_code))]
    pub fn for_each(&self, mut f: impl FnMut(&Record) -> bool) -> bool {
        for shard in self.shards.iter() {
            let slab = lock(&shard.slab);
            for e in slab.entries.iter() {
                if let Entry::Occupied(r) = e {
                    if !f(r) {
                        return false;
                    }
                }
            }
        }
        true
    }
}
