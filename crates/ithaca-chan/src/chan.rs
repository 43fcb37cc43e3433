//! The shared state of one channel and every state transition on it.
//!
//! This module owns the data structure; the handle, future and select-arm modules only call
//! the `*_locked` functions here while holding the channel's lock, and wake the waiters these
//! functions hand back after releasing it.
//!
//! # The data structure (after Go's `runtime/chan.go`)
//!
//! One mutex protects `State`: the buffer `buf`, the queue of blocked senders `sendq` (each
//! entry owns the value it wants to send), the queue of blocked receivers `recvq`, the
//! outcomes handed to claimed receivers and not yet collected (`delivered`; a single
//! receive gets its value in its waiter's slot instead, see invariant 5), and the `closed`
//! flag.
//!
//! # The ring (bounded channels, `cap >= 1`, up to `RING_MAX_BYTES` of slots; unbounded ones)
//!
//! A bounded channel keeps its values in a lock-free [`Ring`] instead of `buf`, so that while
//! nobody is blocked a send and a receive take no lock and touch different cache lines. The
//! lock still owns the wait queues, and two lock-held overflow lists: `buf` becomes the
//! *front* (values handed back by cancelled receivers: the oldest values) and `late` the
//! *back* (values of blocked senders that a receiver accepted but a racing lock-free send
//! beat into the freed slot; and, at capacity 1 while more senders are queued, every
//! accepted sender's value — see `Chan::keeps_late`). Values leave in the order front,
//! ring, late.
//!
//! `gate` mirrors, for lock-free readers, what would make a lock-free operation wrong:
//! whether receivers or senders are queued and whether front or late hold values (one bit
//! each, so that a queue growing or shrinking without emptying writes nothing to the line
//! every lock-free operation reads). It is written only under the lock. A lock-free send
//! runs only while `gate == 0`; a lock-free receive only while no receiver is queued and
//! front and late are empty. The handoff
//! between the two worlds is a Dekker pair: a lock-free push (or pop), a `SeqCst`
//! compare-and-swap, is followed by a `SeqCst` look at `gate`; a registration stores
//! `gate`, fences, and then looks at the ring. At least one of the two sees the other
//! (see `Chan::gate_after_ring_op`), and whoever does runs `settle`
//! (under the lock), which gives buffered values to queued receivers and moves queued
//! senders' values into the ring.
//!
//! An unbounded channel has a small ring too (`UNBOUNDED_RING_SLOTS`), and `late` is its
//! overflow: a send that finds the ring full, or `late` non-empty, appends to `late` under the
//! lock and never waits. Order is still front, ring, late, so the `late` bit in `gate` stops
//! lock-free *sends* (they would overtake the overflow) but not lock-free receives (the
//! ring's values are the older ones). A receive that finds the ring empty while `late` holds
//! values takes the head of `late` under the lock and moves the next ones into the ring in
//! one batch ([`Ring::push_batch`]: one compare-and-swap claims the slots), so a backlog is
//! received lock-free, a ring at a time, and the receiver outpaces senders that each take
//! the lock; once `late` is drained, sends return to the ring. Measured with per-path
//! counters (thread `spsc/unbounded`, 200,000 messages): without the batch move, 199,871
//! receives took the lock (the receiver was no faster than the senders, so the backlog
//! never drained); with it, 1,550 did. Moving values one `push` at a time cost more than
//! taking them from `late` under the lock.
//!
//! # Invariants
//!
//! 1. `buf.len() <= cap`, except that a value handed back by a cancelled receiver is pushed
//!    at the *front* and may make `buf.len() == cap + 1` until it is received.
//! 2. Values leave in FIFO order: the buffer is a FIFO, blocked senders are served in arrival
//!    order, and a receive from a full buffer with blocked senders takes the head and moves
//!    the first blocked sender's value to the tail (Go's rule).
//! 3. If `recvq` holds a claimable entry, `buf` is empty: a sender that finds a claimable
//!    receiver hands the value to it directly instead of buffering.
//! 4. An entry is *claimable* while its waiter is still waiting. A peer claims it with
//!    `Waiter::try_select(entry.arm)` — the only way an entry's value is touched by anyone
//!    but its owner — and wakes the waiter. Entries whose waiter is no longer waiting are
//!    skipped, never removed, by peers.
//! 5. An unclaimed entry is removed only by its owner (`unregister_*`, by `id`). A claimed
//!    entry is removed by its claimer, under the same lock as the claim: a receiver that
//!    takes a blocked sender's value drops the sender's entry (the sender learns the outcome
//!    from its waiter and completes without the lock); a sender (or `close`) that claims a
//!    blocked receiver moves the outcome — the value, or "closed" — to `delivered`, where
//!    the receiver collects it by `id`; a single receive (`inline` entry: not a select, no
//!    ring or a one-slot one, and the value fits) gets the value with the claim in its
//!    waiter's slot instead (`Waiter::select_with`) and completes without the lock, like a
//!    sender. `close` sets a claimed *sender*'s `closed` flag and leaves the entry to its
//!    owner, who must get the value back. So queues hold no claimed receivers, and
//!    `gate`'s receiver bit stands only for receivers that may still be chosen. Ids grow
//!    with every registration, so each queue is sorted by id and removal is a binary
//!    search.
//! 6. A waiter never pairs with itself: a select with a send and a receive arm on the same
//!    channel skips its own entries (Go's `TestSelfSelect`).
//! 7. After `closed` is set it is never cleared; every claimable entry is claimed, with a
//!    `Closed` outcome; receivers still drain `buf` before they see "closed".
//! 8. Ring mode: `gate` equals `gate_of(state)` whenever the lock is free. After `settle`,
//!    no claimable receiver is queued while a value is buffered, and no claimable sender is
//!    queued while the ring has room and `late` is empty (invariant 3's ring form).

use std::collections::VecDeque;
use std::mem::ManuallyDrop;

use ithaca_core::Waiter;

use crate::loom::{fence, Arc, AtomicBool, AtomicU64, AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::ring::{Pop, PushError, Ring};

/// The most memory a [`Ring`] takes (it is allocated whole, up front); a bounded channel
/// whose ring would be larger keeps its values in `buf`, which grows on demand, under the
/// lock — a large capacity costs memory only when it is used.
const RING_MAX_BYTES: usize = 1 << 20;

/// An unbounded channel's ring: this many slots, fewer for large messages (at most
/// `UNBOUNDED_RING_BYTES`), and no ring below `UNBOUNDED_RING_MIN` slots. Two slots in loom
/// models, so that they reach the overflow into `late`.
#[cfg(not(loom))]
const UNBOUNDED_RING_SLOTS: usize = 128;
#[cfg(loom)]
const UNBOUNDED_RING_SLOTS: usize = 2;
const UNBOUNDED_RING_BYTES: usize = 4096;
#[cfg(not(loom))]
const UNBOUNDED_RING_MIN: usize = 8;
#[cfg(loom)]
const UNBOUNDED_RING_MIN: usize = 2;

/// `gate` bits: some receiver queued, some sender queued, values in front, values in late.
const GATE_RECV: u64 = 1;
const GATE_SEND: u64 = 1 << 1;
const GATE_FRONT: u64 = 1 << 2;
const GATE_LATE: u64 = 1 << 3;

/// Buffer slots allocated up front; larger buffers grow on demand.
const PREALLOCATE: usize = 1024;

/// The most bytes a channel buffer may hold: Go's `maxAlloc` on 64-bit (2^48). A larger
/// `bounded(cap)` panics with Go's `makechan: size out of range` instead of aborting on OOM.
pub(crate) const MAX_BUFFER_BYTES: usize = 1 << 48;

pub(crate) struct SendEntry<T> {
    id: u64,
    waiter: Arc<Waiter>,
    arm: usize,
    value: Option<T>,
    /// Set by `close` when it claims the entry: the owner takes its value back.
    closed: bool,
}

pub(crate) struct RecvEntry {
    id: u64,
    waiter: Arc<Waiter>,
    arm: usize,
    /// A single receive on a channel without a ring whose values fit the waiter's hand-off
    /// slot: a claiming sender puts the value there ([`Waiter::select_with`]) instead of in
    /// `delivered` (see `register_recv`).
    inline: bool,
}

pub(crate) struct State<T> {
    buf: VecDeque<T>,
    sendq: VecDeque<SendEntry<T>>,
    recvq: VecDeque<RecvEntry>,
    /// Outcomes of claimed receive entries (removed from `recvq` by the claimer), in claim
    /// order, until their owners collect them.
    delivered: VecDeque<(u64, RecvDone<T>)>,
    next_id: u64,
    closed: bool,
    /// Ring mode: values of accepted blocked senders that found the ring full again.
    late: VecDeque<T>,
    /// The last value stored into `Chan::gate` (only lock holders write it).
    gate: u64,
}

/// The channel object shared by all handles.
///
/// Laid out in two parts on separate cache lines: what lock holders write on every blocking
/// operation ([`Locked`]) and what the lock-free paths read on every operation (`ring`,
/// `gate`, `closed`, `cap`). Mixed together, a lock-free send or receive on one core missed
/// the cache whenever a lock holder on the other core had just written the queues next to
/// the field it read: in a `perf` profile of four goroutines sending to one on a
/// capacity-1 channel, the load of `ring` took 13% of the send future's samples, 5% with
/// this layout. (Same-run A/Bs of the report rows could not separate the layouts from the
/// machine's noise; a channel's allocation grows from about 280 to 512 bytes.)
pub(crate) struct Chan<T> {
    locked: Locked<T>,
    /// The buffer of a bounded channel with `cap >= 1` whose slots fit `RING_MAX_BYTES`.
    /// Boxed: a ring keeps `head` and `tail` on cache lines of their own, and a rendezvous
    /// or unbounded channel (one per idle goroutine, often) should not carry that padding.
    ring: Option<Box<Ring<T>>>,
    /// See the module docs ("The ring").
    gate: AtomicU64,
    /// Capacity; `None` for unbounded.
    cap: Option<usize>,
    /// Mirrors `State::closed` for lock-free reads.
    closed: AtomicBool,
    pub(crate) senders: AtomicUsize,
    pub(crate) receivers: AtomicUsize,
}

/// The fields written under the lock, on cache lines of their own (see [`Chan`]).
#[repr(align(128))]
struct Locked<T> {
    state: Mutex<State<T>>,
    /// Mirrors `buf.len()` for lock-free `len()` (a snapshot, as Go's `len(ch)`).
    len: AtomicUsize,
    /// Bumped (under the lock) by every change that may make an operation *become* ready —
    /// a receive (a value buffered into an empty buffer or handed back, a sender queued,
    /// close) or a send (a full buffer freed a slot, a receiver queued, close) — and by
    /// nothing else: a change that only makes operations unready (a hand-off to a queued
    /// party, the buffer filling or emptying) cannot invalidate the proof it serves. Read by
    /// a select with a default to prove that no arm was ready at one instant (see
    /// `ithaca_core::select`): each arm was unready when polled, and none became ready since.
    version: AtomicU64,
}

/// Waiters to wake once the lock is released. Most operations wake at most one.
///
/// Declare it before the lock guard: it also wakes whatever it still holds when dropped,
/// and locals drop in reverse order, so that happens after the guard released the lock.
#[derive(Default)]
pub(crate) struct Wakes {
    /// The first waiter collected (most operations wake at most one).
    one: ManuallyDrop<Option<Arc<Waiter>>>,
    /// The others (close, settle); allocated only when needed.
    more: ManuallyDrop<Vec<Arc<Waiter>>>,
}

// Both fields are `ManuallyDrop` so that a `Wakes` (several per operation) has no drop glue
// of its own: its `Drop` is two tests, and only a non-empty collector calls out of line. The
// slow path moves the contents out with `take` (leaving `None` and an empty `Vec`, which own
// nothing), so nothing is ever leaked and no `unsafe` is needed. callgrind, uncontended
// unbounded send+receive pair: 255 instructions with plain fields, 227 with the list boxed,
// 196 like this.

impl Wakes {
    #[inline]
    fn push(&mut self, w: Arc<Waiter>) {
        match &mut *self.one {
            one @ None => *one = Some(w),
            Some(_) => self.push_more(w),
        }
    }

    #[cold]
    fn push_more(&mut self, w: Arc<Waiter>) {
        self.more.push(w);
    }

    /// Wakes everyone collected. Call after dropping the channel lock.
    #[inline]
    pub(crate) fn wake(self) {
        // `Drop` does it.
    }

    /// Wakes everyone collected so far and keeps collecting. Call without the lock.
    #[inline]
    pub(crate) fn flush(&mut self) {
        if self.one.is_some() {
            self.flush_all();
        }
    }

    #[inline(never)]
    fn flush_all(&mut self) {
        if let Some(first) = self.one.take() {
            first.wake();
        }
        if !self.more.is_empty() {
            for w in self.more.drain(..) {
                w.wake();
            }
        }
    }

    /// Wakes what is left and frees the overflow list.
    #[cold]
    #[inline(never)]
    fn drop_slow(&mut self) {
        self.flush_all();
        drop(std::mem::take(&mut *self.more));
    }
}

impl Drop for Wakes {
    #[inline]
    fn drop(&mut self) {
        if self.more.capacity() != 0 {
            self.drop_slow();
        } else {
            self.flush();
        }
    }
}

/// Result of a lock-free attempt ([`Chan::send_fast`], [`Chan::recv_fast`]); `B` is what the
/// caller gets back when the attempt did not complete (a send's value).
pub(crate) enum Fast<T, B> {
    /// Completed.
    Done(T),
    /// Cannot complete now, and the locked path would find the same: no need to lock
    /// for a non-blocking attempt.
    NotReady(B),
    /// The locked path has to decide.
    Locked(B),
}

/// Result of a receive attempt.
pub(crate) enum Recv<T> {
    Value(T),
    Closed,
    Empty,
}

/// Result of a send attempt that did not complete.
pub(crate) enum SendFail<T> {
    Full(T),
    Closed(T),
}

/// What a receive registration's owner learns when it unregisters.
pub(crate) enum RecvDone<T> {
    Value(T),
    Closed,
}

/// Removes element `i`; the head (the usual case: queues are FIFO) without `remove`'s
/// general shifting.
#[inline]
fn remove_at<E>(q: &mut VecDeque<E>, i: usize) -> Option<E> {
    if i == 0 {
        q.pop_front()
    } else {
        q.remove(i)
    }
}

/// Removes and returns the first entry for which `claim` (which claims it) succeeds, trying
/// the head on its own first: it is the usual winner, and a general iterator over a
/// `VecDeque` costs a few dozen instructions more per claim (callgrind).
///
/// The claim paths split in two on purpose: the empty-queue test is inlined into every
/// operation, this search is not. Inlining the whole claim made the callers' code larger
/// and slower (callgrind, uncontended unbounded send+receive pair: 197 -> 246
/// instructions; rendezvous ping-pong +2.7%).
#[inline]
fn claim_first<E>(q: &mut VecDeque<E>, mut claim: impl FnMut(&E) -> bool) -> Option<E> {
    let i = if claim(q.front()?) {
        0
    } else {
        q.iter().skip(1).position(claim)? + 1
    };
    remove_at(q, i)
}

/// Where the entry with `id` sits in a queue sorted by id (invariant 5): the head first,
/// else a binary search.
#[inline]
fn position_of<E>(q: &VecDeque<E>, id: u64, key: impl Fn(&E) -> u64) -> Option<usize> {
    if key(q.front()?) == id {
        Some(0)
    } else {
        q.binary_search_by_key(&id, key).ok()
    }
}

fn is_other_waiting(entry_waiter: &Arc<Waiter>, me: Option<&Arc<Waiter>>) -> bool {
    me.is_none_or(|me| !Arc::ptr_eq(entry_waiter, me)) && entry_waiter.is_waiting()
}

impl<T> Chan<T> {
    pub(crate) fn new(cap: Option<usize>) -> Self {
        // The buffer grows up to `cap` on demand (then stays: the steady state allocates
        // nothing), so a large capacity costs memory only when it is used.
        let slots = match cap {
            Some(c) => Some(c).filter(|&c| c >= 1 && c <= RING_MAX_BYTES / Ring::<T>::slot_size()),
            None => Some(UNBOUNDED_RING_SLOTS.min(UNBOUNDED_RING_BYTES / Ring::<T>::slot_size()))
                .filter(|&c| c >= UNBOUNDED_RING_MIN),
        };
        let ring = slots.map(|c| Box::new(Ring::new(c)));
        let buf = match cap {
            Some(c) if ring.is_none() => VecDeque::with_capacity(c.min(PREALLOCATE)),
            _ => VecDeque::new(),
        };
        Chan {
            locked: Locked {
                state: Mutex::new(State {
                    buf,
                    sendq: VecDeque::new(),
                    recvq: VecDeque::new(),
                    delivered: VecDeque::new(),
                    next_id: 0,
                    closed: false,
                    late: VecDeque::new(),
                    gate: 0,
                }),
                len: AtomicUsize::new(0),
                version: AtomicU64::new(0),
            },
            ring,
            gate: AtomicU64::new(0),
            cap,
            closed: AtomicBool::new(false),
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(1),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State<T>> {
        crate::loom::lock(&self.locked.state)
    }

    /// Whether values go through the lock-free [`Ring`] (see "The ring").
    #[inline]
    pub(crate) fn has_ring(&self) -> bool {
        self.ring.is_some()
    }

    pub(crate) fn capacity(&self) -> Option<usize> {
        self.cap
    }

    pub(crate) fn len(&self) -> usize {
        match &self.ring {
            Some(ring) => {
                let st = self.lock();
                ring.len() + st.buf.len() + st.late.len()
            }
            None => self.locked.len.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn has_room(&self, st: &State<T>) -> bool {
        match self.cap {
            Some(c) => st.buf.len() < c,
            None => true,
        }
    }

    pub(crate) fn version(&self) -> u64 {
        let v = self.locked.version.load(Ordering::SeqCst);
        match &self.ring {
            // Lock-free pushes and pops do not bump `version`; they move the ring's positions.
            Some(ring) => v.wrapping_add(ring.moves()),
            None => v,
        }
    }

    /// Called under the lock after a change that may make an operation ready.
    fn bump(&self) {
        self.locked.version.store(
            self.locked.version.load(Ordering::Relaxed).wrapping_add(1),
            Ordering::SeqCst,
        );
    }

    fn sync_len(&self, st: &State<T>) {
        self.locked.len.store(st.buf.len(), Ordering::Relaxed);
    }

    /// Claims the first claimable blocked sender (not `me`), takes its value and removes its
    /// entry (invariant 5's exception): the sender learns it was chosen from its waiter and
    /// need not take the lock again (see [`Chan::finish_chosen_send`]).
    #[inline]
    fn claim_sender(st: &mut State<T>, me: Option<&Arc<Waiter>>, wakes: &mut Wakes) -> Option<T> {
        if st.sendq.is_empty() {
            return None;
        }
        Self::claim_queued_sender(st, me, wakes)
    }

    /// The out-of-line part of [`Chan::claim_sender`] (see [`claim_first`]).
    fn claim_queued_sender(
        st: &mut State<T>,
        me: Option<&Arc<Waiter>>,
        wakes: &mut Wakes,
    ) -> Option<T> {
        let e = claim_first(&mut st.sendq, |e| {
            is_other_waiting(&e.waiter, me) && e.waiter.try_select(e.arm)
        })?;
        wakes.push(e.waiter);
        e.value
    }

    /// Claims the first claimable blocked receiver (not `me`), removes its entry and leaves
    /// `value` for it in `delivered` (invariant 5); gives the value back if there is none.
    #[inline]
    fn give_to_receiver(
        st: &mut State<T>,
        value: T,
        me: Option<&Arc<Waiter>>,
        wakes: &mut Wakes,
    ) -> Result<(), T> {
        if st.recvq.is_empty() {
            return Err(value);
        }
        Self::give_to_queued_receiver(st, value, me, wakes)
    }

    /// The out-of-line part of [`Chan::give_to_receiver`]: claims the first claimable
    /// entry, handing the value over with the claim to a single receive (its waiter's slot)
    /// or through `delivered` (a select's arm).
    fn give_to_queued_receiver(
        st: &mut State<T>,
        value: T,
        me: Option<&Arc<Waiter>>,
        wakes: &mut Wakes,
    ) -> Result<(), T> {
        let mut value = value;
        for i in 0..st.recvq.len() {
            let e = &st.recvq[i];
            if !is_other_waiting(&e.waiter, me) {
                continue;
            }
            if e.inline {
                // SAFETY: `inline` entries are single receives of `T`s that fit the slot
                // (`register_recv`'s contract), registered only in this queue, whose lock
                // we hold; their owners take a claimed value out (`wait.rs`).
                match unsafe { e.waiter.select_with(e.arm, value) } {
                    Ok(()) => {}
                    Err(v) => {
                        value = v;
                        continue;
                    }
                }
            } else if e.waiter.try_select(e.arm) {
                st.delivered.push_back((e.id, RecvDone::Value(value)));
            } else {
                continue;
            }
            let e = remove_at(&mut st.recvq, i).expect("the claimed entry");
            wakes.push(e.waiter);
            return Ok(());
        }
        Err(value)
    }

    /// What `gate` must say about `st` (ring mode).
    fn gate_of(st: &State<T>) -> u64 {
        let recv = if st.recvq.is_empty() { 0 } else { GATE_RECV };
        let send = if st.sendq.is_empty() { 0 } else { GATE_SEND };
        let front = if st.buf.is_empty() { 0 } else { GATE_FRONT };
        let late = if st.late.is_empty() { 0 } else { GATE_LATE };
        recv | send | front | late
    }

    /// Publishes `gate` after a locked change (ring mode) with a plain `Release` store.
    /// Enough everywhere but in a registration ([`Chan::sync_gate_fenced`]): a lock-free
    /// operation that still reads the old value either takes the locked path for nothing
    /// (the gate opened) or races an operation it is concurrent with anyway (a value handed
    /// back to the front, an overflow into `late`), and nobody then looks at the ring
    /// expecting that operation to have seen the new value. (A select that blocks
    /// unregisters from every arm's channel: one fence fewer per arm.)
    #[inline]
    fn sync_gate(&self, st: &mut State<T>) {
        self.store_gate(st, Ordering::Release);
    }

    /// [`Chan::sync_gate`] for a registration: a `SeqCst` store, then a fence, so that the
    /// caller's next look at the ring (`settle`) is ordered after it — the registration
    /// half of the Dekker pair in the module docs. A registration that finds its bit set
    /// already stores nothing: the registration that set it made the pair, and its `settle`
    /// (under the lock, before this one) saw every lock-free operation that missed the bit;
    /// later ones see it and settle.
    #[inline]
    fn sync_gate_fenced(&self, st: &mut State<T>) {
        if self.store_gate(st, Ordering::SeqCst) {
            fence(Ordering::SeqCst);
        }
    }

    /// Stores `gate_of(st)` with `order` if it changed (ring mode); returns whether it did.
    #[inline]
    fn store_gate(&self, st: &mut State<T>, order: Ordering) -> bool {
        if self.ring.is_none() {
            return false;
        }
        let g = Self::gate_of(st);
        if g == st.gate {
            return false;
        }
        st.gate = g;
        self.gate.store(g, order);
        true
    }

    /// Whether a blocking operation (or a blocking select's arm) should retry before it
    /// registers and parks: not on a rendezvous, where one party must be registered for the
    /// other to find it, so backing off only delays the meeting (see
    /// `ithaca_core::backoff`).
    pub(crate) fn retry_helps(&self) -> bool {
        self.cap != Some(0)
    }

    /// A send without the lock. `Fast::NotReady` (with the value back) when the send
    /// cannot complete now and the locked path would find the same: a bounded ring that is
    /// full with nobody queued, still open. `Fast::Locked` when the locked path has to
    /// decide (no ring, somebody queued, an unbounded ring's overflow, closed).
    pub(crate) fn send_fast(&self, value: T) -> Fast<(), T> {
        let Some(ring) = &self.ring else {
            return Fast::Locked(value);
        };
        if self.gate.load(Ordering::Acquire) != 0 {
            return Fast::Locked(value);
        }
        match ring.push(value) {
            Ok(()) => {
                // The push half of the Dekker pair: a receiver that queued meanwhile is
                // either seen here or sees the value when it looks at the ring.
                if self.gate_after_ring_op() & GATE_RECV != 0 {
                    self.settle_now();
                }
                Fast::Done(())
            }
            Err(PushError::Full(v)) if self.cap.is_some() && self.lock_free_idle() => {
                // Full with nobody queued before and after the push: a locked try would
                // find the same. (No look at the ring's positions before pushing: `head`
                // is the receivers' cache line.)
                Fast::NotReady(v)
            }
            Err(PushError::Full(v) | PushError::Closed(v)) => Fast::Locked(v),
        }
    }

    /// The lock-free half of the Dekker pair (module docs): `gate`, read after a push's or
    /// pop's `SeqCst` compare-and-swap on the ring. A `SeqCst` load suffices: with the
    /// registration's `SeqCst` store and fence before its `SeqCst` look at the ring's
    /// positions, the single order of `SeqCst` operations puts either this load after the
    /// store (it sees the queued party) or the compare-and-swap before the registrant's look
    /// (it sees the value or the room). It saves the fence a lock-free push or pop paid here
    /// (same-run A/B, 7 rounds: thread `spsc/1000` 0.62×, `mpsc`/`mpmc/1000` 0.85–0.87×,
    /// goroutine `mpsc/1000` 0.68×). loom models `SeqCst` loads and stores more weakly than
    /// that (tokio-rs/loom#180; only its fences are sequentially consistent), so its models
    /// check the same order written with a fence.
    #[inline]
    fn gate_after_ring_op(&self) -> u64 {
        #[cfg(loom)]
        {
            fence(Ordering::SeqCst);
            self.gate.load(Ordering::Relaxed)
        }
        #[cfg(not(loom))]
        self.gate.load(Ordering::SeqCst)
    }

    /// Whether nobody is queued, nothing waits in front or `late`, and the channel is open
    /// (read without the lock): with the ring empty (full), a locked receive (send) would
    /// find nothing more.
    fn lock_free_idle(&self) -> bool {
        self.gate.load(Ordering::Acquire) == 0 && !self.is_closed()
    }

    /// A receive without the lock. `Fast::NotReady` when the channel is empty and the
    /// locked path would find the same: ring mode, nobody queued, nothing in front or
    /// `late`, the ring empty, still open. `Fast::Locked` when the locked path has to decide
    /// (no ring, receivers queued, values in front or late, closed).
    pub(crate) fn recv_fast(&self) -> Fast<T, ()> {
        let Some(ring) = &self.ring else {
            return Fast::Locked(());
        };
        // Also with only senders queued: the pop would have to settle (move a queued
        // sender's value into the freed slot) under the lock anyway, and the locked receive
        // does both under one acquisition. An unbounded channel's `late` values are younger
        // than the ring's, so they do not stop a pop; the locked receive that finds the ring
        // empty takes the head of `late` (see "The ring").
        let stop = if self.cap.is_none() {
            !GATE_LATE
        } else {
            u64::MAX
        };
        let gate = self.gate.load(Ordering::Acquire);
        if gate & stop != 0 {
            return Fast::Locked(());
        }
        if gate != 0 && !ring.has_values() {
            // An unbounded channel's backlog: values only in `late` (see `try_recv_ring`).
            return Fast::Locked(());
        }
        match ring.pop() {
            Pop::Value(v) => {
                if self.gate_after_ring_op() & GATE_SEND != 0 {
                    self.settle_now();
                }
                Fast::Done(v)
            }
            // Empty with nobody queued and nothing in front or `late` before and after the
            // pop: a locked try would find nothing either (a select polling empty arms, a
            // `try_recv` on an empty channel: no lock).
            Pop::Empty if gate == 0 && self.lock_free_idle() => Fast::NotReady(()),
            Pop::Empty | Pop::Closed => Fast::Locked(()),
        }
    }

    fn settle_now(&self) {
        let mut wakes = Wakes::default();
        let mut st = self.lock();
        self.settle(&mut st, &mut wakes);
        drop(st);
        wakes.wake();
    }

    /// Ring mode, under the lock: hands buffered values (front, ring, late, in that order) to
    /// queued receivers, then moves late values and queued senders' values into the ring
    /// while it has room (invariant 8). Does nothing without a ring.
    #[inline]
    fn settle(&self, st: &mut State<T>, wakes: &mut Wakes) {
        if let Some(ring) = &self.ring {
            self.settle_ring(ring, st, wakes);
        }
    }

    /// [`Chan::settle`] with a ring: the checks inline (most calls move nothing), the moves
    /// out of line.
    #[inline]
    fn settle_ring(&self, ring: &Ring<T>, st: &mut State<T>, wakes: &mut Wakes) {
        if st.recvq.is_empty() && st.sendq.is_empty() && !self.refills(st) {
            // Nobody to hand a value to and nothing to move: the common case, kept cheap
            // (no look at the ring's positions, which live on the other parties' lines).
            self.sync_gate(st);
            return;
        }
        // A cheap look first (a registration lands here every time, and usually nothing
        // raced it): values for queued receivers, or room for late or queued senders'
        // values. Both tests are supersets of what `settle_moves` acts on, and they read the
        // ring after `gate` was published, as the Dekker pair requires.
        let can_give = !st.recvq.is_empty()
            && (!st.buf.is_empty() || !st.late.is_empty() || ring.has_values());
        let can_fill = (self.refills(st) || !st.sendq.is_empty()) && ring.has_room();
        if can_give || can_fill {
            self.settle_moves(ring, st, wakes);
        } else {
            self.sync_gate(st);
        }
    }

    /// The part of [`Chan::settle`] that moves values.
    #[inline(never)]
    fn settle_moves(&self, ring: &Ring<T>, st: &mut State<T>, wakes: &mut Wakes) {
        let mut changed = false;
        loop {
            let mut moved = false;
            let mut pushed = false;
            while st.recvq.iter().any(|e| e.waiter.is_waiting()) {
                let v = match st.buf.pop_front() {
                    Some(v) => v,
                    None => match ring.pop() {
                        Pop::Value(v) => v,
                        Pop::Empty | Pop::Closed => match st.late.pop_front() {
                            Some(v) => v,
                            None => break,
                        },
                    },
                };
                match Self::give_to_receiver(st, v, None, wakes) {
                    Ok(()) => moved = true,
                    Err(v) => {
                        // Every queued receiver gave up meanwhile: the value stays the oldest.
                        st.buf.push_front(v);
                        break;
                    }
                }
            }
            while self.refills(st) {
                let Some(v) = st.late.pop_front() else { break };
                match ring.push(v) {
                    Ok(()) => pushed = true,
                    Err(PushError::Full(v) | PushError::Closed(v)) => {
                        st.late.push_front(v);
                        break;
                    }
                }
            }
            while !st.sendq.is_empty() && Self::ring_room(st, ring) {
                if !self.move_sender_in(ring, st, wakes) {
                    break;
                }
                pushed = true;
            }
            changed |= moved || pushed;
            // Only values that entered the ring in this pass can be new for a receiver.
            let more = pushed && st.recvq.iter().any(|e| e.waiter.is_waiting());
            if !more {
                break;
            }
        }
        if changed {
            self.bump();
        }
        self.sync_gate(st);
    }

    /// Ring mode, under the lock: whether `settle` should move `late` values into the ring.
    /// A bounded channel's `late` holds accepted senders' values that must enter the ring
    /// before any new send. An unbounded channel's `late` is its overflow, moved in batches
    /// by the receive that finds the ring empty (`try_recv_ring`), not value by value here.
    #[inline]
    fn refills(&self, st: &State<T>) -> bool {
        self.cap.is_some() && !st.late.is_empty() && !self.keeps_late(st)
    }

    /// Ring mode, under the lock: whether an accepted sender's value stays in `late` instead
    /// of entering the ring. While senders are queued the channel is full and `gate` keeps
    /// every operation on the locked path, so the ring's atomics (on lines the other
    /// parties write) buy nothing. Only at capacity 1, where a value in `late` means the
    /// channel is full: at larger capacities nothing enters the ring while `late` holds
    /// values (`ring_room`), so a sender arriving after a receive would wait behind `late`
    /// with slots free.
    #[inline]
    fn keeps_late(&self, st: &State<T>) -> bool {
        self.cap == Some(1) && !st.sendq.is_empty()
    }

    /// Ring mode, under the lock: whether a queued or new sender's value fits. Values in
    /// front count against the capacity (invariant 1: a hand-back may overfill the buffer,
    /// and then senders wait), and nothing enters the ring while `late` holds values.
    fn ring_room(st: &State<T>, ring: &Ring<T>) -> bool {
        st.late.is_empty()
            && if st.buf.is_empty() {
                ring.has_room()
            } else {
                st.buf.len() + ring.len() < ring.capacity()
            }
    }

    /// Ring mode of [`Chan::try_recv_locked`].
    fn try_recv_ring(
        &self,
        ring: &Ring<T>,
        st: &mut State<T>,
        me: Option<&Arc<Waiter>>,
        wakes: &mut Wakes,
    ) -> Recv<T> {
        let got = match st.buf.pop_front() {
            Some(v) => Some(v),
            // With `late` holding values, look at the ring's positions before popping: a
            // pop that finds the ring empty pays a `SeqCst` fence.
            None if !st.late.is_empty() && !ring.has_values() => {
                let v = st.late.pop_front();
                if self.cap.is_none() {
                    // An unbounded channel's backlog: the next values go to the ring in
                    // one batch, for lock-free receives (see "The ring").
                    ring.push_batch(&mut st.late);
                }
                v
            }
            None => match ring.pop() {
                Pop::Value(v) => Some(v),
                Pop::Empty | Pop::Closed => st.late.pop_front(),
            },
        };
        let r = match got {
            Some(v) => Recv::Value(v),
            None => match Self::claim_sender(st, me, wakes) {
                Some(v) => Recv::Value(v),
                None if st.closed => Recv::Closed,
                None => Recv::Empty,
            },
        };
        // A freed slot may take a queued sender's value. (Queued receivers need nothing
        // here: by invariant 8 nothing was buffered for them but racing lock-free pushes,
        // whose senders settle.)
        if st.sendq.is_empty() && !self.refills(st) {
            self.sync_gate(st);
        } else if st.recvq.is_empty() && st.buf.is_empty() && st.late.is_empty() {
            self.refill_from_sender(ring, st, wakes);
        } else {
            self.settle(st, wakes);
        }
        r
    }

    /// The common case of `settle` after a receive from a full ring with senders queued
    /// (nobody else queued, nothing in front or `late`): Go's rule, the first queued sender's
    /// value takes the freed slot. Falls back to `settle` if the ring still has room after
    /// (a racing lock-free pop).
    fn refill_from_sender(&self, ring: &Ring<T>, st: &mut State<T>, wakes: &mut Wakes) {
        if !self.move_sender_in(ring, st, wakes) {
            self.sync_gate(st);
            return;
        }
        // A value entered the ring: a receive may become ready (see `version`).
        self.bump();
        if !st.sendq.is_empty() && Self::ring_room(st, ring) {
            self.settle(st, wakes);
        } else {
            self.sync_gate(st);
        }
    }

    /// Claims the first claimable queued sender and pushes its value into the ring (or to
    /// the back of `late`: if a lock-free send took the slot, or while more senders are
    /// queued at capacity 1, see [`Chan::keeps_late`]). `false` if nobody was claimed.
    fn move_sender_in(&self, ring: &Ring<T>, st: &mut State<T>, wakes: &mut Wakes) -> bool {
        let Some(v) = Self::claim_sender(st, None, wakes) else {
            return false;
        };
        if self.keeps_late(st) {
            st.late.push_back(v);
        } else if let Err(PushError::Full(v) | PushError::Closed(v)) = ring.push(v) {
            // A lock-free send took the slot: the accepted value waits at the back.
            st.late.push_back(v);
        }
        true
    }

    /// Ring mode of [`Chan::try_send_locked`].
    fn try_send_ring(
        &self,
        ring: &Ring<T>,
        st: &mut State<T>,
        value: T,
        me: Option<&Arc<Waiter>>,
        wakes: &mut Wakes,
    ) -> Result<(), SendFail<T>> {
        if st.closed {
            return Err(SendFail::Closed(value));
        }
        // No `settle` first: with receivers queued, invariant 8 leaves nothing buffered but
        // values of racing lock-free sends, which those senders hand out themselves (after
        // their fence they see the queued receivers). Not reading the ring here keeps a
        // queued channel's hand-off to the lock's cache line.
        let value = match Self::give_to_receiver(st, value, me, wakes) {
            // The claimed receiver left the queue (invariant 5): publish the new count. No
            // `bump`: a hand-off makes no operation ready (see `version`).
            Ok(()) => {
                self.sync_gate(st);
                return Ok(());
            }
            Err(v) => v,
        };
        // Queued senders (still queued after `settle`: the ring is full) go first; values
        // handed back to the front count against the capacity (see `ring_room`).
        let no_room = !st.late.is_empty()
            || (!st.buf.is_empty() && st.buf.len() + ring.len() >= ring.capacity())
            || st.sendq.iter().any(|e| is_other_waiting(&e.waiter, me));
        let value = if no_room {
            value
        } else {
            match ring.push(value) {
                Ok(()) => return Ok(()),
                Err(PushError::Full(v)) => v,
                Err(PushError::Closed(v)) => return Err(SendFail::Closed(v)),
            }
        };
        if self.cap.is_some() {
            return Err(SendFail::Full(value));
        }
        // Unbounded: the ring is full, or older values wait in `late`; queue behind them.
        st.late.push_back(value);
        if st.late.len() == 1 {
            // The first overflow value (the ring's moves cover the rest; see `version`).
            self.bump();
        }
        self.sync_gate(st);
        Ok(())
    }

    /// Non-blocking receive under the lock. `me` is the caller's own waiter, if it is
    /// registered elsewhere on this channel (select), so it never pairs with itself.
    pub(crate) fn try_recv_locked(
        &self,
        st: &mut State<T>,
        me: Option<&Arc<Waiter>>,
        wakes: &mut Wakes,
    ) -> Recv<T> {
        if let Some(ring) = &self.ring {
            return self.try_recv_ring(ring, st, me, wakes);
        }
        if let Some(v) = st.buf.pop_front() {
            // A send became ready only if the buffer stopped being full and no queued
            // sender's value takes the freed slot.
            if self.has_room(st) {
                match Self::claim_sender(st, me, wakes) {
                    Some(moved) => st.buf.push_back(moved),
                    None if self.cap == Some(st.buf.len() + 1) => self.bump(),
                    None => {}
                }
            }
            self.sync_len(st);
            return Recv::Value(v);
        }
        if let Some(v) = Self::claim_sender(st, me, wakes) {
            // No `bump`: taking a queued sender's value makes no operation ready.
            return Recv::Value(v);
        }
        if st.closed {
            Recv::Closed
        } else {
            Recv::Empty
        }
    }

    /// Non-blocking send under the lock.
    pub(crate) fn try_send_locked(
        &self,
        st: &mut State<T>,
        value: T,
        me: Option<&Arc<Waiter>>,
        wakes: &mut Wakes,
    ) -> Result<(), SendFail<T>> {
        if let Some(ring) = &self.ring {
            return self.try_send_ring(ring, st, value, me, wakes);
        }
        if st.closed {
            return Err(SendFail::Closed(value));
        }
        let value = match Self::give_to_receiver(st, value, me, wakes) {
            // No `bump`: a hand-off makes no operation ready (see `version`).
            Ok(()) => return Ok(()),
            Err(v) => v,
        };
        if self.has_room(st) {
            st.buf.push_back(value);
            self.sync_len(st);
            // A receive became ready only if the buffer stopped being empty.
            if st.buf.len() == 1 {
                self.bump();
            }
            Ok(())
        } else {
            Err(SendFail::Full(value))
        }
    }

    /// Whether a receive could complete now (for select registration).
    pub(crate) fn recv_ready(&self, st: &State<T>, me: &Arc<Waiter>) -> bool {
        !st.buf.is_empty()
            || !st.late.is_empty()
            || self.ring.as_deref().is_some_and(Ring::has_values)
            || st.closed
            || st
                .sendq
                .iter()
                .any(|e| is_other_waiting(&e.waiter, Some(me)))
    }

    /// Whether a send could complete now (for select registration).
    pub(crate) fn send_ready(&self, st: &State<T>, me: &Arc<Waiter>) -> bool {
        st.closed
            || match &self.ring {
                Some(ring) => self.cap.is_none() || Self::ring_room(st, ring),
                None => self.has_room(st),
            }
            || st
                .recvq
                .iter()
                .any(|e| is_other_waiting(&e.waiter, Some(me)))
    }

    /// Appends a blocked receiver; returns its id. In ring mode this is the registration
    /// half of the Dekker pair: publish `gate`, then settle, which hands this receiver (or
    /// an older one) a value that a lock-free send pushed meanwhile; wake `wakes` after
    /// unlocking.
    ///
    /// `inline`: the waiter waits for this one receive only (not a select), so on a channel
    /// without a ring (rendezvous) or with a one-slot ring a claiming sender may hand the
    /// value over in the waiter's slot if it fits; the owner must then take a claimed value
    /// out with [`Waiter::take_slot`] before anything else (see `wait.rs`). Not with a
    /// larger ring: a receiver that completes without the lock comes back for the next
    /// value sooner, finds the ring empty more often and blocks more (same-run A/B,
    /// goroutine `mpsc/1000`, `mpmc/1000`, `spsc/1000`: 1.2–2× slower with the slot). At
    /// capacity 1 there is no run of values to find empty: instructions per message
    /// (`scripts/instructions.sh`) `spsc/1` 1,029 → 985, `mpmc/1` 1,167 → 1,104, and
    /// 9–11-round A/Bs read 0.71–1.08× on the goroutine rows, 0.94× on thread `spsc/1`.
    pub(crate) fn register_recv(
        &self,
        st: &mut State<T>,
        waiter: &Arc<Waiter>,
        arm: usize,
        inline: bool,
        wakes: &mut Wakes,
    ) -> u64 {
        self.bump();
        st.next_id += 1;
        let id = st.next_id;
        st.recvq.push_back(RecvEntry {
            id,
            waiter: waiter.clone(),
            arm,
            inline: inline
                && (self.ring.is_none() || self.cap == Some(1))
                && Waiter::slot_fits::<T>(),
        });
        self.sync_gate_fenced(st);
        self.settle(st, wakes);
        id
    }

    /// Appends a blocked sender holding `value`; returns its id. In ring mode, as
    /// [`Chan::register_recv`]: a slot a lock-free receive freed meanwhile takes the value.
    pub(crate) fn register_send(
        &self,
        st: &mut State<T>,
        waiter: &Arc<Waiter>,
        arm: usize,
        value: T,
        wakes: &mut Wakes,
    ) -> u64 {
        self.bump();
        st.next_id += 1;
        let id = st.next_id;
        st.sendq.push_back(SendEntry {
            id,
            waiter: waiter.clone(),
            arm,
            value: Some(value),
            closed: false,
        });
        self.sync_gate_fenced(st);
        self.settle(st, wakes);
        id
    }

    /// Removes the receive registration `id` and returns what a claiming peer left for it,
    /// if any: an unclaimed entry is still in `recvq`; a claimed one was moved by its claimer
    /// to `delivered` with its outcome. When `cancelled`, a delivered value goes back to the
    /// channel instead (to the next waiting receiver, else the head of the buffer), so it is
    /// never lost.
    pub(crate) fn unregister_recv(
        &self,
        st: &mut State<T>,
        id: u64,
        cancelled: bool,
        wakes: &mut Wakes,
    ) -> Option<RecvDone<T>> {
        let done = if let Some(pos) = position_of(&st.recvq, id, |e| e.id) {
            // Never claimed (a claimer removes the entry): nothing to collect.
            remove_at(&mut st.recvq, pos);
            None
        } else {
            // Claimed: the outcome waits in `delivered` (claim order, not id order).
            let pos = st.delivered.iter().position(|d| d.0 == id)?;
            let (_, done) = remove_at(&mut st.delivered, pos)?;
            self.recv_outcome(st, done, cancelled, wakes)
        };
        self.sync_gate(st);
        done
    }

    /// A claimed receive's value that its owner no longer wants (a cancelled future that
    /// found it in its waiter's slot) goes back to the channel, never lost: to the next
    /// waiting receiver, else the head of the buffer.
    pub(crate) fn give_back(&self, st: &mut State<T>, value: T, wakes: &mut Wakes) {
        let _ = self.recv_outcome(st, RecvDone::Value(value), true, wakes);
        self.sync_gate(st);
    }

    fn recv_outcome(
        &self,
        st: &mut State<T>,
        done: RecvDone<T>,
        cancelled: bool,
        wakes: &mut Wakes,
    ) -> Option<RecvDone<T>> {
        match done {
            RecvDone::Value(v) if cancelled => {
                if let Err(v) = Self::give_to_receiver(st, v, None, wakes) {
                    st.buf.push_front(v);
                    self.sync_len(st);
                }
                self.bump();
                None
            }
            done => Some(done),
        }
    }

    /// What the owner of send entry `id` does once a peer chose it: a receiver that took the
    /// value removed the entry already (see `claim_sender`), so while the channel is open the
    /// send is done without the lock; only a closed channel may still hold the entry (with
    /// the value, chosen by `close`), which [`Chan::unregister_send`] then collects.
    ///
    /// The owner saw the choice through its waiter's state with `Acquire`; `close` stores
    /// `closed` before it chooses waiters, so a `Closed` choice is never read as `open`.
    pub(crate) fn finish_chosen_send(&self, id: u64) -> (Option<T>, bool) {
        if self.is_closed() {
            self.unregister_send(&mut self.lock(), id)
        } else {
            (None, false)
        }
    }

    /// Removes the send entry `id`. Returns the value if it was not sent: not chosen, or
    /// chosen because the channel closed. The flag says whether the channel closed.
    pub(crate) fn unregister_send(&self, st: &mut State<T>, id: u64) -> (Option<T>, bool) {
        let e = position_of(&st.sendq, id, |e| e.id).and_then(|i| remove_at(&mut st.sendq, i));
        self.sync_gate(st);
        match e {
            Some(e) => (e.value, e.closed),
            None => (None, false),
        }
    }

    /// (blocked receivers, blocked senders) that are still waiting: a snapshot for
    /// diagnostics and tests.
    pub(crate) fn waiting(&self) -> (usize, usize) {
        let st = self.lock();
        let r = st.recvq.iter().filter(|e| e.waiter.is_waiting()).count();
        let s = st.sendq.iter().filter(|e| e.waiter.is_waiting()).count();
        (r, s)
    }

    /// Closes the channel: claims every claimable waiter with a "closed" outcome.
    /// Returns whether this call closed it.
    pub(crate) fn close(&self) -> bool {
        let mut wakes = Wakes::default();
        {
            let mut st = self.lock();
            if st.closed {
                return false;
            }
            st.closed = true;
            self.closed.store(true, Ordering::Release);
            if let Some(ring) = &self.ring {
                ring.close();
            }
            self.bump();
            // Claimed receivers leave the queue, their outcome in `delivered` (as a claiming
            // sender does); the others (gave up, or chosen elsewhere) wait for their owners.
            for e in std::mem::take(&mut st.recvq) {
                if e.waiter.try_select(e.arm) {
                    st.delivered.push_back((e.id, RecvDone::Closed));
                    wakes.push(e.waiter);
                } else {
                    st.recvq.push_back(e);
                }
            }
            self.sync_gate(&mut st);
            for e in st.sendq.iter_mut() {
                if e.waiter.try_select(e.arm) {
                    e.closed = true;
                    wakes.push(e.waiter.clone());
                }
            }
        }
        wakes.wake();
        true
    }
}
