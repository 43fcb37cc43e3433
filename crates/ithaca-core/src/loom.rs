//! The `cfg(loom)` shim shared by every ithaca crate: the atomics, locks, `Arc` and thread
//! parking that the synchronisation code uses come from here — std's normally, loom's under
//! `--cfg loom` — so each crate's loom models (`tests/loom.rs`) check the real code.
//!
//! Invariant: code in ithaca's crates that takes part in a loom model never names
//! `std::sync` directly; it goes through this module.

#[cfg(loom)]
pub use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
#[cfg(loom)]
pub use loom::sync::{Arc, Mutex, MutexGuard};
#[cfg(loom)]
pub use loom::thread::{current, park, Thread};

#[cfg(all(not(loom), ithaca_sanitize))]
pub use sanitize::{Mutex, MutexGuard};
#[cfg(not(loom))]
pub use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub use std::sync::Arc;
#[cfg(all(not(loom), not(ithaca_sanitize)))]
pub use std::sync::{Mutex, MutexGuard};
#[cfg(not(loom))]
pub use std::thread::{current, park, Thread};

/// Locks `m`, ignoring poisoning: ithaca runs no user code while holding its internal locks
/// (values are moved, never dropped, under them), so the data stays consistent even if a
/// thread panicked elsewhere while holding one.
///
/// ```
/// let m = ithaca_core::loom::Mutex::new(1);
/// *ithaca_core::loom::lock(&m) += 1;
/// assert_eq!(*ithaca_core::loom::lock(&m), 2);
/// ```
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    #[cfg(not(loom))]
    {
        m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
    #[cfg(loom)]
    {
        m.lock().unwrap()
    }
}

/// A lock made of instrumented atomics, used only by `scripts/sanitize.sh`
/// (`--cfg ithaca_sanitize`): std cannot be rebuilt with ThreadSanitizer here (no rust-src),
/// so its futex mutex is invisible to TSan and every access under a contended std lock would
/// be reported as a race. A spin-then-yield lock on an `AtomicBool` is visible to it.
#[cfg(all(not(loom), ithaca_sanitize))]
mod sanitize {
    use std::cell::UnsafeCell;
    use std::ops::{Deref, DerefMut};
    use std::sync::atomic::{AtomicBool, Ordering};

    /// See the module docs.
    #[derive(Debug, Default)]
    pub struct Mutex<T: ?Sized> {
        locked: AtomicBool,
        data: UnsafeCell<T>,
    }

    // SAFETY: the lock gives one thread at a time access to `data`, as std's Mutex does.
    unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
    // SAFETY: as above: `&Mutex` only hands out `data` through an exclusive guard.
    unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

    // Like std's Mutex (which poisons instead): unwinding never leaves the lock held.
    impl<T: ?Sized> std::panic::UnwindSafe for Mutex<T> {}
    impl<T: ?Sized> std::panic::RefUnwindSafe for Mutex<T> {}

    /// See the module docs.
    #[derive(Debug)]
    pub struct MutexGuard<'a, T: ?Sized> {
        m: &'a Mutex<T>,
    }

    impl<T> Mutex<T> {
        /// A new unlocked mutex.
        pub const fn new(value: T) -> Self {
            Mutex {
                locked: AtomicBool::new(false),
                data: UnsafeCell::new(value),
            }
        }
    }

    impl<T: ?Sized> Mutex<T> {
        /// Locks, spinning then yielding; never poisoned.
        pub fn lock(&self) -> std::sync::LockResult<MutexGuard<'_, T>> {
            while self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                std::thread::yield_now();
            }
            Ok(MutexGuard { m: self })
        }
    }

    impl<T: ?Sized> Deref for MutexGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            // SAFETY: the guard exists only while this thread holds the lock.
            unsafe { &*self.m.data.get() }
        }
    }

    impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            // SAFETY: the guard exists only while this thread holds the lock, exclusively.
            unsafe { &mut *self.m.data.get() }
        }
    }

    impl<T: ?Sized> Drop for MutexGuard<'_, T> {
        fn drop(&mut self) {
            self.m.locked.store(false, Ordering::Release);
        }
    }
}
