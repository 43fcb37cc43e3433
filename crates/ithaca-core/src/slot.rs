//! A waiter's hand-off slot: room for one value that a peer gives a blocked receiver
//! together with its claim ([`Waiter::select_with`](crate::Waiter::select_with)), so the
//! receiver collects it without taking its channel's lock a second time.
//!
//! # Invariants
//!
//! 1. One party at a time uses the slot. A peer uses it from writing it until its claim's
//!    outcome: it holds the lock of the only queue the waiter's entry sits in, so no other
//!    peer claims meanwhile, and the owner reads the slot only after a claim succeeded. The
//!    owner uses it after it saw that claim, until it waits again.
//! 2. `full` says whether the slot holds a value. The peer sets it before its claim's
//!    compare-and-swap, whose release publishes the value along with the claim; whoever
//!    takes the value out clears it: the peer, if its claim failed, else the owner.
//! 3. A value is taken out exactly once, as the type it was put in as (the callers'
//!    contract), so the slot never drops anything; a waiter waits again only with its slot
//!    empty.

use std::mem::{align_of, size_of, MaybeUninit};

use crate::loom::{AtomicBool, Ordering};

/// The slot's room: four words (a `String`, a `Vec`, a pair of `u64`s fit).
type Room = MaybeUninit<[usize; 4]>;

pub(crate) struct Slot {
    full: AtomicBool,
    #[cfg(loom)]
    room: loom::cell::UnsafeCell<Room>,
    #[cfg(not(loom))]
    room: std::cell::UnsafeCell<Room>,
}

impl Slot {
    pub(crate) fn new() -> Self {
        Slot {
            full: AtomicBool::new(false),
            #[cfg(loom)]
            room: loom::cell::UnsafeCell::new(MaybeUninit::uninit()),
            #[cfg(not(loom))]
            room: std::cell::UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// Whether a `T` fits the slot's room (size and alignment).
    pub(crate) const fn fits<T>() -> bool {
        size_of::<T>() <= size_of::<Room>() && align_of::<T>() <= align_of::<Room>()
    }

    /// Whether the slot holds no value (for the owner's checks before it waits again).
    pub(crate) fn is_empty(&self) -> bool {
        !self.full.load(Ordering::Relaxed)
    }

    /// Puts `value` in.
    ///
    /// # Safety
    ///
    /// `Slot::fits::<T>()`, the caller has the slot to itself (invariant 1), and it is empty.
    pub(crate) unsafe fn put<T>(&self, value: T) {
        debug_assert!(Self::fits::<T>() && self.is_empty());
        #[cfg(loom)]
        // SAFETY: the room is large and aligned enough for a `T` and nobody else uses it
        // (the caller's contract).
        self.room
            .with_mut(|p| unsafe { p.cast::<T>().write(value) });
        #[cfg(not(loom))]
        // SAFETY: as above.
        unsafe {
            self.room.get().cast::<T>().write(value);
        }
        self.full.store(true, Ordering::Relaxed);
    }

    /// Takes the value out, if there is one.
    ///
    /// # Safety
    ///
    /// The caller has the slot to itself (invariant 1) and, if it is full, it holds a `T`.
    pub(crate) unsafe fn take<T>(&self) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        self.full.store(false, Ordering::Relaxed);
        #[cfg(loom)]
        // SAFETY: the slot was full with a `T` (caller's contract); clearing `full` first
        // makes this the value's only read (invariant 3).
        return Some(self.room.with(|p| unsafe { p.cast::<T>().read() }));
        #[cfg(not(loom))]
        // SAFETY: as above.
        Some(unsafe { self.room.get().cast::<T>().read() })
    }
}
