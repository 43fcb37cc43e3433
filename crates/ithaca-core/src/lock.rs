//! The internal lock every ithaca primitive guards its short critical sections with: a
//! test-and-test-and-set lock that spins, then yields its time slice, and never makes a
//! system call to release.
//!
//! # Why not `std::sync::Mutex`
//!
//! ithaca's critical sections are a few dozen instructions: move a value, link or unlink a
//! waiter. No user code runs under the lock, nothing allocates in the steady state, and no
//! waker is called under it (wake-ups are collected and done after unlocking). Under
//! contention std's futex mutex puts the loser to sleep in the kernel, and then the holder's
//! unlock is a `futex_wake` system call — for a channel used by two busy threads that was
//! one system call per message, the largest cost in the benchmark profile. Here the loser
//! spins briefly (the holder is about to finish) and then yields; the unlock is one store.
//! kanal and Go's runtime `lock` take the same approach for the same reason.
//!
//! The lock is built from ordinary atomics, so ThreadSanitizer sees it (it cannot see std's
//! futex mutex without an instrumented std) and `scripts/sanitize.sh` checks the production
//! lock, not a stand-in.
//!
//! # Invariants
//!
//! * `locked` is `true` exactly while one [`SpinGuard`] exists; the guard is the only way to
//!   reach `data`, and its drop releases with `Release` ordering, which the next locker's
//!   `Acquire` pairs with.
//! * The lock is never poisoned: ithaca never runs user code while holding it, so a panic
//!   cannot leave the data half-updated (see [`crate::loom::lock`]).
//! * Not fair and not for long holds: a waiter burns a time slice per `yield_now`. Every use
//!   in ithaca holds it for a bounded, short, allocation-free step.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};

use crate::loom::{AtomicBool, Ordering};

/// Spins up to `2^SPIN_STEPS - 1` pause instructions in total before yielding.
#[cfg(not(loom))]
const SPIN_STEPS: u32 = 6;

/// A short-hold lock (see the module docs). `ithaca_core::loom::Mutex` is this type outside
/// loom models.
///
/// ```
/// use ithaca_core::lock::SpinMutex;
/// let m = SpinMutex::new(vec![1]);
/// m.lock().push(2);
/// assert_eq!(*m.lock(), [1, 2]);
/// ```
#[derive(Debug, Default)]
pub struct SpinMutex<T: ?Sized> {
    locked: AtomicBool,
    data: UnsafeCell<T>,
}

// SAFETY: the lock gives one thread at a time access to `data` (invariant 1), as std's Mutex
// does; moving the mutex moves the `T`.
unsafe impl<T: ?Sized + Send> Send for SpinMutex<T> {}
// SAFETY: `&SpinMutex` hands out `data` only through an exclusive guard (invariant 1), so
// sharing it shares nothing but the ability to take turns with a `T: Send`.
unsafe impl<T: ?Sized + Send> Sync for SpinMutex<T> {}

// Like std's Mutex (which poisons instead): unwinding never leaves the lock held.
impl<T: ?Sized> std::panic::UnwindSafe for SpinMutex<T> {}
impl<T: ?Sized> std::panic::RefUnwindSafe for SpinMutex<T> {}

/// Exclusive access to a [`SpinMutex`]'s data; unlocks on drop.
#[derive(Debug)]
pub struct SpinGuard<'a, T: ?Sized> {
    m: &'a SpinMutex<T>,
}

impl<T> SpinMutex<T> {
    /// A new unlocked mutex.
    ///
    /// ```
    /// let m = ithaca_core::lock::SpinMutex::new(0u8);
    /// assert_eq!(*m.lock(), 0);
    /// ```
    #[cfg(not(loom))]
    pub const fn new(value: T) -> Self {
        SpinMutex {
            locked: AtomicBool::new(false),
            data: UnsafeCell::new(value),
        }
    }

    /// A new unlocked mutex (loom's atomics are not `const`).
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        SpinMutex {
            locked: AtomicBool::new(false),
            data: UnsafeCell::new(value),
        }
    }
}

impl<T: ?Sized> SpinMutex<T> {
    /// Locks, spinning then yielding while another thread holds it.
    ///
    /// # Blocking
    ///
    /// Waits (busy) until the holder releases; every ithaca critical section is short.
    ///
    /// ```
    /// let m = ithaca_core::lock::SpinMutex::new(1);
    /// *m.lock() += 1;
    /// assert_eq!(*m.lock(), 2);
    /// ```
    #[inline]
    pub fn lock(&self) -> SpinGuard<'_, T> {
        if self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        SpinGuard { m: self }
    }

    /// Takes the lock if it is free, without waiting.
    ///
    /// ```
    /// let m = ithaca_core::lock::SpinMutex::new(());
    /// let g = m.try_lock();
    /// assert!(g.is_some());
    /// assert!(m.try_lock().is_none());
    /// ```
    pub fn try_lock(&self) -> Option<SpinGuard<'_, T>> {
        self.locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| SpinGuard { m: self })
    }

    #[cold]
    fn lock_contended(&self) {
        let mut step = 0u32;
        loop {
            // Test before test-and-set: wait on a shared cache line, not by writing it.
            while self.locked.load(Ordering::Relaxed) {
                backoff(&mut step);
            }
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }
}

fn backoff(step: &mut u32) {
    #[cfg(loom)]
    {
        let _ = step;
        loom::thread::yield_now();
    }
    #[cfg(not(loom))]
    {
        if *step < SPIN_STEPS {
            for _ in 0..(1u32 << *step) {
                std::hint::spin_loop();
            }
            *step += 1;
        } else {
            std::thread::yield_now();
        }
    }
}

impl<T: ?Sized> Deref for SpinGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this thread holds the lock (invariant 1).
        unsafe { &*self.m.data.get() }
    }
}

impl<T: ?Sized> DerefMut for SpinGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard exists only while this thread holds the lock, exclusively.
        unsafe { &mut *self.m.data.get() }
    }
}

impl<T: ?Sized> Drop for SpinGuard<'_, T> {
    fn drop(&mut self) {
        self.m.locked.store(false, Ordering::Release);
    }
}
