//! The `cfg(loom)` shim shared by every ithaca crate: the atomics, locks, `Arc` and thread
//! parking that the synchronisation code uses come from here — std's normally, loom's under
//! `--cfg loom` — so each crate's loom models (`tests/loom.rs`) check the real code.
//!
//! Outside loom models `Mutex` is [`SpinMutex`](crate::lock::SpinMutex), the short-hold lock
//! ithaca's primitives use (see [`crate::lock`] for why not std's).
//!
//! Invariant: code in ithaca's crates that takes part in a loom model never names
//! `std::sync` directly; it goes through this module.

#[cfg(loom)]
pub use loom::sync::atomic::{
    fence, AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};
#[cfg(loom)]
pub use loom::sync::{Arc, Mutex, MutexGuard};
#[cfg(loom)]
pub use loom::thread::{current, park, yield_now, Thread};

#[cfg(not(loom))]
pub use crate::lock::{SpinGuard as MutexGuard, SpinMutex as Mutex};
#[cfg(not(loom))]
pub use std::sync::atomic::{
    fence, AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};
#[cfg(not(loom))]
pub use std::sync::Arc;
#[cfg(not(loom))]
pub use std::thread::{current, park, yield_now, Thread};

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
        m.lock()
    }
    #[cfg(loom)]
    {
        m.lock().unwrap()
    }
}
