//! The lock-free buffer of a bounded channel: a fixed ring of slots that senders and
//! receivers on different cores use without taking the channel's lock.
//!
//! This is D. Vyukov's bounded MPMC queue (the design crossbeam-channel's array flavour
//! also follows): every slot carries a *stamp* that says whose turn it is, and senders and
//! receivers each advance their own position word with a compare-and-swap, so a sender and a
//! receiver touch different cache lines (`tail`, `head`) except for the slot they hand over.
//!
//! # Positions and stamps
//!
//! A position packs a *lap* (how many times the ring was gone around) and an *index* into
//! the slots: `pos = lap * ONE_LAP + index`, with `index < cap` and `ONE_LAP` the smallest
//! power of two above `cap`, doubled. The bit `MARK = ONE_LAP / 2` is never part of an index;
//! in `tail` it means "closed".
//!
//! # Invariants
//!
//! 1. Slot `i` holds a value exactly while its stamp is `pos + 1`, where `pos` is the position
//!    of the push that filled it; it is free for the push at position `pos` exactly while its
//!    stamp is `pos`. A push moves the stamp from `pos` to `pos + 1` after writing the value
//!    (`Release`); a pop moves it from `pos + 1` to `pos + ONE_LAP` after reading it.
//! 2. Only the thread whose compare-and-swap moved `tail` from `pos` writes slot `pos`'s value,
//!    and only the one that moved `head` from `pos` reads it, so no two threads touch a
//!    value at once; the stamp's `Release`/`Acquire` pair orders the write before the read.
//! 3. `head <= tail` (as positions) and `tail - head <= cap`: a push never overtakes a pop by
//!    a lap. Once `MARK` is set in `tail` it stays set and no [`Ring::push`] succeeds any
//!    more; only [`Ring::push_batch`] (the channel's lock holder moving values sent before
//!    the close) still advances `tail`, keeping the mark.
//!
//! A push that won `tail` but has not yet stamped its slot makes a pop of that slot wait for
//! it (a short spin): the ring is not lock-free in the strict sense, as crossbeam's is not.

use std::mem::MaybeUninit;

use crate::loom::{AtomicUsize, Ordering};

/// Why a push failed; the value comes back.
pub(crate) enum PushError<T> {
    Full(T),
    Closed(T),
}

/// What a pop found.
pub(crate) enum Pop<T> {
    Value(T),
    Empty,
    /// Empty, and closed: no push will ever succeed again.
    Closed,
}

struct Slot<T> {
    stamp: AtomicUsize,
    value: Cell<T>,
}

/// A slot's value cell: loom's `UnsafeCell` in loom models (so they check every access),
/// std's otherwise.
#[cfg(loom)]
struct Cell<T>(loom::cell::UnsafeCell<MaybeUninit<T>>);
#[cfg(not(loom))]
struct Cell<T>(std::cell::UnsafeCell<MaybeUninit<T>>);

impl<T> Cell<T> {
    fn new() -> Self {
        #[cfg(loom)]
        return Cell(loom::cell::UnsafeCell::new(MaybeUninit::uninit()));
        #[cfg(not(loom))]
        Cell(std::cell::UnsafeCell::new(MaybeUninit::uninit()))
    }

    /// # Safety
    ///
    /// The caller is the slot's only user now, and the slot is empty (invariant 2).
    unsafe fn write(&self, value: T) {
        #[cfg(loom)]
        // SAFETY: exclusive access to an empty slot, by the caller's contract.
        self.0.with_mut(|p| unsafe { (*p).write(value) });
        #[cfg(not(loom))]
        // SAFETY: exclusive access to an empty slot, by the caller's contract.
        unsafe {
            (*self.0.get()).write(value);
        }
    }

    /// # Safety
    ///
    /// The caller is the slot's only user now, and the slot holds a value (invariant 2),
    /// which this moves out: the slot is empty afterwards.
    unsafe fn take(&self) -> T {
        #[cfg(loom)]
        // SAFETY: exclusive access to a full slot, by the caller's contract.
        return self.0.with_mut(|p| unsafe { (*p).assume_init_read() });
        #[cfg(not(loom))]
        // SAFETY: exclusive access to a full slot, by the caller's contract.
        unsafe {
            (*self.0.get()).assume_init_read()
        }
    }
}

/// Keeps `head` and `tail` on cache lines of their own.
#[repr(align(128))]
struct Padded(AtomicUsize);

pub(crate) struct Ring<T> {
    head: Padded,
    tail: Padded,
    slots: Box<[Slot<T>]>,
    one_lap: usize,
    mark: usize,
}

// SAFETY: values move between threads through the slots, one owner at a time (invariant 2),
// so sharing the ring needs only `T: Send`, as a channel does.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above: `&Ring` hands each value to exactly one popping thread.
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    /// A ring of `cap >= 1` slots, all free.
    pub(crate) fn new(cap: usize) -> Self {
        assert!(cap >= 1, "ring: capacity must be at least 1");
        let mark = (cap + 1).next_power_of_two();
        let slots = (0..cap)
            .map(|i| Slot {
                stamp: AtomicUsize::new(i),
                value: Cell::new(),
            })
            .collect();
        Ring {
            head: Padded(AtomicUsize::new(0)),
            tail: Padded(AtomicUsize::new(0)),
            slots,
            one_lap: mark * 2,
            mark,
        }
    }

    /// The bytes one slot takes.
    pub(crate) const fn slot_size() -> usize {
        std::mem::size_of::<Slot<T>>()
    }

    /// The number of slots.
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The position after `pos`: the next index, or index 0 of the next lap.
    fn next(&self, pos: usize) -> usize {
        let index = pos & (self.mark - 1);
        if index + 1 < self.capacity() {
            pos + 1
        } else {
            self.next_lap(pos)
        }
    }

    /// Index 0 of the lap after `pos`'s.
    fn next_lap(&self, pos: usize) -> usize {
        (pos & !(self.one_lap - 1)).wrapping_add(self.one_lap)
    }

    /// Appends `value` unless the ring is full or closed.
    pub(crate) fn push(&self, value: T) -> Result<(), PushError<T>> {
        let mut spins = 0u32;
        let mut tail = self.tail.0.load(Ordering::Relaxed);
        loop {
            if tail & self.mark != 0 {
                return Err(PushError::Closed(value));
            }
            let slot = &self.slots[tail & (self.mark - 1)];
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == tail {
                // The slot is free for this lap: claim the position.
                match self.tail.0.compare_exchange_weak(
                    tail,
                    self.next(tail),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: winning the CAS from `tail` makes this thread the only
                        // writer of the slot for position `tail`, and the stamp (== tail)
                        // says its previous value was popped (invariants 1 and 2).
                        unsafe { slot.value.write(value) };
                        slot.stamp.store(tail + 1, Ordering::Release);
                        return Ok(());
                    }
                    Err(t) => tail = t,
                }
            } else if stamp.wrapping_add(self.one_lap) == tail + 1 {
                // The slot still holds the value pushed a lap ago: full, unless a pop is
                // under way.
                crate::loom::fence(Ordering::SeqCst);
                let head = self.head.0.load(Ordering::Relaxed);
                if head.wrapping_add(self.one_lap) == tail {
                    return Err(PushError::Full(value));
                }
                snooze(&mut spins);
                tail = self.tail.0.load(Ordering::Relaxed);
            } else {
                // Another push moved on; look again.
                snooze(&mut spins);
                tail = self.tail.0.load(Ordering::Relaxed);
            }
        }
    }

    /// Moves values from the front of `src` into the ring, as many as there are free slots
    /// in a row at `tail`, claiming them all with one compare-and-swap; returns how many
    /// moved (0 when the ring is full, or a racing push moved `tail` first).
    ///
    /// Unlike [`Ring::push`] it works on a closed ring too, keeping the mark: the channel
    /// calls it under its lock to move values that were sent *before* the close (an
    /// unbounded channel's overflow), which receivers must still get in order.
    ///
    /// A slot is free for position `pos` exactly while its stamp is `pos` (invariant 1), and
    /// only the push that moves `tail` past `pos` may change that stamp; so the slots
    /// checked free before the compare-and-swap are still free when it succeeds (a racing
    /// push would have moved `tail` and made it fail).
    ///
    /// The run is at most two contiguous stretches of `slots` (up to the end, then from the
    /// start in the next lap), walked as slices: no per-slot position arithmetic or bounds
    /// check (callgrind, goroutine `spsc/unbounded`: the locked receive that moves a batch
    /// cost 59 instructions per value moved with a per-slot walk, 38 with this one).
    pub(crate) fn push_batch(&self, src: &mut std::collections::VecDeque<T>) -> usize {
        let marked = self.tail.0.load(Ordering::Relaxed);
        let (tail, closed) = (marked & !self.mark, marked & self.mark);
        let start = tail & (self.mark - 1);
        let want = src.len().min(self.capacity());
        // Positions: `tail + k` up to the end of `slots`, then `next_lap + k` from index 0.
        let next_lap = self.next_lap(tail);
        let first = (self.capacity() - start).min(want);
        let (before, after) = (
            &self.slots[start..start + first],
            &self.slots[..want - first],
        );
        let free = |slot: &Slot<T>, pos: usize| slot.stamp.load(Ordering::Acquire) == pos;
        let n1 = before
            .iter()
            .zip(tail..)
            .take_while(|&(slot, pos)| free(slot, pos))
            .count();
        let n2 = if n1 == first {
            after
                .iter()
                .zip(next_lap..)
                .take_while(|&(slot, pos)| free(slot, pos))
                .count()
        } else {
            0
        };
        let n = n1 + n2;
        let end = if start + n1 < self.capacity() {
            tail + n1
        } else {
            next_lap + n2
        };
        if n == 0
            || self
                .tail
                .0
                .compare_exchange(marked, end | closed, Ordering::SeqCst, Ordering::Relaxed)
                .is_err()
        {
            return 0;
        }
        let mut values = src.drain(..n);
        let runs = [(&before[..n1], tail), (&after[..n2], next_lap)];
        for (run, base) in runs {
            for ((slot, pos), value) in run.iter().zip(base..).zip(&mut values) {
                // The stamps of `tail..end` were checked free and no push can change them
                // while `tail` stays put (see the doc comment).
                // SAFETY: winning the CAS from `tail` to `end` makes this thread the slots'
                // only writer, and each free stamp says the previous value was popped
                // (invariants 1, 2).
                unsafe { slot.value.write(value) };
                slot.stamp.store(pos + 1, Ordering::Release);
            }
        }
        n
    }

    /// Removes the oldest value.
    pub(crate) fn pop(&self) -> Pop<T> {
        let mut spins = 0u32;
        let mut head = self.head.0.load(Ordering::Relaxed);
        loop {
            let slot = &self.slots[head & (self.mark - 1)];
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == head + 1 {
                match self.head.0.compare_exchange_weak(
                    head,
                    self.next(head),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: the stamp says the slot holds the value pushed at `head`
                        // (its write happened before the `Release` we `Acquire`d), and
                        // winning the CAS makes this thread its only reader (invariant 2).
                        let value = unsafe { slot.value.take() };
                        slot.stamp
                            .store(head.wrapping_add(self.one_lap), Ordering::Release);
                        return Pop::Value(value);
                    }
                    Err(h) => head = h,
                }
            } else if stamp == head {
                // Nothing stamped here yet: empty, unless a push is under way.
                crate::loom::fence(Ordering::SeqCst);
                let tail = self.tail.0.load(Ordering::Relaxed);
                if tail & !self.mark == head {
                    return if tail & self.mark != 0 {
                        Pop::Closed
                    } else {
                        Pop::Empty
                    };
                }
                snooze(&mut spins);
                head = self.head.0.load(Ordering::Relaxed);
            } else {
                snooze(&mut spins);
                head = self.head.0.load(Ordering::Relaxed);
            }
        }
    }

    /// Marks the ring closed: every later push fails.
    pub(crate) fn close(&self) {
        self.tail.0.fetch_or(self.mark, Ordering::SeqCst);
    }

    /// `head` and `tail` (closed bit cleared), `SeqCst`: a push or a pop started before the
    /// caller's preceding `SeqCst` fence shows in them.
    fn positions(&self) -> (usize, usize) {
        let tail = self.tail.0.load(Ordering::SeqCst) & !self.mark;
        let head = self.head.0.load(Ordering::SeqCst);
        (head, tail)
    }

    /// Whether a value is in the ring or being pushed (a snapshot).
    pub(crate) fn has_values(&self) -> bool {
        let (head, tail) = self.positions();
        head != tail
    }

    /// Whether a push could find a free slot now (a snapshot).
    pub(crate) fn has_room(&self) -> bool {
        let (head, tail) = self.positions();
        head.wrapping_add(self.one_lap) != tail
    }

    /// The number of values in the ring (a snapshot).
    pub(crate) fn len(&self) -> usize {
        let (head, tail) = self.positions();
        let (hi, ti) = (head & (self.mark - 1), tail & (self.mark - 1));
        if hi < ti {
            ti - hi
        } else if hi > ti {
            self.capacity() - hi + ti
        } else if head == tail {
            0
        } else {
            self.capacity()
        }
    }

    /// A number that grows with every push and every pop (for a select's version check).
    pub(crate) fn moves(&self) -> u64 {
        let (head, tail) = self.positions();
        (head as u64).wrapping_add(tail as u64)
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        while let Pop::Value(v) = self.pop() {
            drop(v);
        }
    }
}

/// Waits for a racing push or pop to finish its step (spin, then yield).
fn snooze(spins: &mut u32) {
    if cfg!(loom) || *spins >= 6 {
        crate::loom::yield_now();
    } else {
        for _ in 0..(1u32 << *spins) {
            std::hint::spin_loop();
        }
        *spins += 1;
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::collections::VecDeque;

    use super::{Pop, Ring};

    fn drain(ring: &Ring<u32>) -> Vec<u32> {
        std::iter::from_fn(|| match ring.pop() {
            Pop::Value(v) => Some(v),
            Pop::Empty | Pop::Closed => None,
        })
        .collect()
    }

    /// `push_batch` from every starting index: fills the free run, wrapping past the end
    /// of the slots into the next lap, in order, and only as far as the slots are free.
    #[test]
    fn push_batch_wraps_and_stops_at_a_full_slot() {
        for start in 0..3 {
            let ring = Ring::new(3);
            for i in 0..start {
                assert!(ring.push(i).is_ok());
                assert!(matches!(ring.pop(), Pop::Value(v) if v == i));
            }
            assert!(ring.push(100).is_ok()); // one slot taken: two are free in a row
            let mut src: VecDeque<u32> = (0..5).collect();
            assert_eq!(ring.push_batch(&mut src), 2, "start {start}");
            assert_eq!(src, [2, 3, 4]);
            assert_eq!(ring.push_batch(&mut src), 0, "full");
            assert_eq!(drain(&ring), [100, 0, 1], "start {start}");
            assert_eq!(ring.push_batch(&mut src), 3);
            assert_eq!(drain(&ring), [2, 3, 4]);
            assert!(
                ring.push(7).is_ok(),
                "positions stay consistent after the batch"
            );
            assert_eq!(drain(&ring), [7]);
        }
    }

    /// On a closed ring the batch still lands (values sent before the close) and the ring
    /// stays closed for `push`.
    #[test]
    fn push_batch_on_a_closed_ring_keeps_the_mark() {
        let ring = Ring::new(2);
        ring.close();
        let mut src: VecDeque<u32> = (0..3).collect();
        assert_eq!(ring.push_batch(&mut src), 2);
        assert!(ring.push(9).is_err());
        assert_eq!(drain(&ring), [0, 1]);
        assert!(matches!(ring.pop(), Pop::Closed));
    }
}
