//! The internal lock every ithaca primitive guards its short critical sections with: a
//! test-and-test-and-set lock that spins, then yields its time slice, and only then sleeps
//! in the kernel; its release makes a system call only if someone went to sleep.
//!
//! # Why not `std::sync::Mutex`
//!
//! ithaca's critical sections are a few dozen instructions: move a value, link or unlink a
//! waiter. No user code runs under the lock, nothing allocates in the steady state, and no
//! waker is called under it (wake-ups are collected and done after unlocking). Under
//! contention std's futex mutex puts the loser to sleep in the kernel after a short spin, and
//! then the holder's unlock is a `futex_wake` system call — for a channel used by two busy
//! threads that was one system call per message, the largest cost in the benchmark profile.
//! Here the loser spins longer (the holder is about to finish), then yields a few times, and
//! sleeps (a futex on Linux) only if the holder still has not finished — it was descheduled,
//! or more threads than cores want the lock. Go's runtime `lock` has the same three phases.
//!
//! The lock is built from ordinary atomics, so ThreadSanitizer sees it (it cannot see std's
//! futex mutex without an instrumented std) and `scripts/sanitize.sh` checks the production
//! lock, not a stand-in.
//!
//! # Invariants
//!
//! * `state` is `UNLOCKED` exactly while no [`SpinGuard`] exists; the guard is the only way
//!   to reach `data`, and its drop releases with `Release` ordering, which the next locker's
//!   `Acquire` pairs with.
//! * `state == SLEEPERS` whenever a thread may be asleep on it: a sleeper sets it before
//!   sleeping (and the kernel re-checks it atomically), so the unlock that sees it wakes one.
//! * The lock is never poisoned: ithaca never runs user code while holding it, so a panic
//!   cannot leave the data half-updated (see [`crate::loom::lock`]).
//! * Not fair and not for long holds: a waiter burns a time slice per `yield_now`. Every use
//!   in ithaca holds it for a bounded, short, allocation-free step.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};

use crate::loom::{AtomicU32, Ordering};

/// Spins up to `2^SPIN_STEPS - 1` pause instructions in total before yielding.
#[cfg(not(loom))]
const SPIN_STEPS: u32 = 6;

/// Then, on a plain thread, yields this many times before sleeping in the kernel (Linux);
/// elsewhere, and in loom models, it keeps yielding. A runtime worker polling a goroutine
/// does not yield at all: it sleeps right after spinning (see `backoff`).
#[cfg(not(loom))]
const THREAD_YIELDS: u32 = 32;

const UNLOCKED: u32 = 0;
const LOCKED: u32 = 1;
/// Locked, and a thread may be asleep waiting for it: the unlock must wake one.
const SLEEPERS: u32 = 2;

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
    state: AtomicU32,
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
            state: AtomicU32::new(UNLOCKED),
            data: UnsafeCell::new(value),
        }
    }

    /// A new unlocked mutex (loom's atomics are not `const`).
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        SpinMutex {
            state: AtomicU32::new(UNLOCKED),
            data: UnsafeCell::new(value),
        }
    }
}

impl<T: ?Sized> SpinMutex<T> {
    /// Locks, spinning, then yielding, then sleeping while another thread holds it.
    ///
    /// # Blocking
    ///
    /// Waits until the holder releases; every ithaca critical section is short.
    ///
    /// ```
    /// let m = ithaca_core::lock::SpinMutex::new(1);
    /// *m.lock() += 1;
    /// assert_eq!(*m.lock(), 2);
    /// ```
    #[inline]
    pub fn lock(&self) -> SpinGuard<'_, T> {
        if self
            .state
            .compare_exchange_weak(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
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
        self.state
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| SpinGuard { m: self })
    }

    #[cold]
    fn lock_contended(&self) {
        let mut step = 0u32;
        #[cfg(not(loom))]
        let yields = if crate::diag::in_goroutine() {
            0
        } else {
            THREAD_YIELDS
        };
        // Phase 1: spin, then yield, while the holder finishes its short critical section.
        loop {
            // Test before test-and-set: wait on a shared cache line, not by writing it.
            if self.state.load(Ordering::Relaxed) == UNLOCKED {
                if self
                    .state
                    .compare_exchange_weak(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return;
                }
                continue;
            }
            #[cfg(not(loom))]
            let go_on = backoff(&mut step, yields);
            #[cfg(loom)]
            let go_on = backoff(&mut step);
            if !go_on {
                break;
            }
        }
        // Phase 2: sleep. Marking the state SLEEPERS makes the holder's unlock wake one
        // sleeper; whoever wins the swap from UNLOCKED holds the lock (still marked SLEEPERS,
        // so its unlock wakes the next one: at most one spurious wake-up).
        while self.state.swap(SLEEPERS, Ordering::Acquire) != UNLOCKED {
            sleep::wait(&self.state, SLEEPERS);
        }
    }

    fn unlock(&self) {
        if self.state.swap(UNLOCKED, Ordering::Release) == SLEEPERS {
            sleep::wake_one(&self.state);
        }
    }
}

/// Waits a little before the next look at the lock; `false` once it is time to sleep.
///
/// Measured on the 2-core benchmark machine: for goroutines (runtime workers, one per core)
/// sleeping soon beats spinning and yielding by 2–3× on contended selects — a spinning
/// worker only slows the holder — while plain threads handing values back and forth gain
/// from yielding first (a sleep costs each side a system call).
#[cfg(not(loom))]
fn backoff(step: &mut u32, yields: u32) -> bool {
    if *step < SPIN_STEPS {
        for _ in 0..(1u32 << *step) {
            std::hint::spin_loop();
        }
    } else if *step < SPIN_STEPS + yields || !sleep::CAN_SLEEP {
        std::thread::yield_now();
    } else {
        return false;
    }
    *step = step.saturating_add(1);
    true
}

/// In loom models: always yield (loom explores the interleavings; there is no sleeping).
#[cfg(loom)]
fn backoff(_step: &mut u32) -> bool {
    loom::thread::yield_now();
    true
}

/// Sleeping on the state word: a futex on Linux.
#[cfg(all(target_os = "linux", not(loom)))]
mod sleep {
    use std::sync::atomic::AtomicU32;

    pub(super) const CAN_SLEEP: bool = true;

    /// Sleeps while `*state == expected` (returns at once otherwise, or spuriously).
    pub(super) fn wait(state: &AtomicU32, expected: u32) {
        // The kernel compares the word with `expected` atomically with going to sleep, so
        // an unlock between our swap and this call is not missed.
        // SAFETY: `state` is a valid, aligned u32 alive for the call; null = no timeout.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                state.as_ptr(),
                libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
                expected,
                std::ptr::null::<libc::timespec>(),
            );
        }
    }

    /// Wakes one thread sleeping in [`wait`] on `state`.
    pub(super) fn wake_one(state: &AtomicU32) {
        // SAFETY: FUTEX_WAKE uses the address only as a key; `state` is a valid address for
        // the call's duration.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                state.as_ptr(),
                libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
                1,
            );
        }
    }
}

/// Elsewhere, and in loom models, phase 1 never ends (`backoff` keeps yielding), so the lock
/// never sleeps; these exist only to keep one code path.
#[cfg(any(not(target_os = "linux"), loom))]
mod sleep {
    use crate::loom::AtomicU32;

    #[cfg(not(loom))]
    pub(super) const CAN_SLEEP: bool = false;

    pub(super) fn wait(_state: &AtomicU32, _expected: u32) {
        crate::loom::yield_now();
    }

    pub(super) fn wake_one(_state: &AtomicU32) {}
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
        self.m.unlock();
    }
}
