//! The `cfg(loom)` shim: every atomic and lock that the registry, the wait-note cell and the
//! panic-report state use comes from here, so the loom models in `tests/loom.rs` check the
//! real code.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};

#[cfg(not(loom))]
#[cfg_attr(not(feature = "diagnostics"), allow(unused_imports))] // the registry's
pub(crate) use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
#[cfg(not(loom))]
#[cfg_attr(not(feature = "diagnostics"), allow(unused_imports))] // the registry's
pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

/// Locks `m`, ignoring poisoning: no code that can panic runs while these locks are held, so
/// a poisoned lock still guards consistent data.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    #[cfg(loom)]
    {
        m.lock().unwrap()
    }
    #[cfg(not(loom))]
    {
        m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// ithaca's short-hold lock (std's `Mutex`'s unlock also checks `thread::panicking()`), for
/// state written on every poll: the wait note. loom's `Mutex` under `cfg(loom)`.
pub(crate) use ithaca_core::loom::{lock as short_lock, Mutex as ShortMutex};
