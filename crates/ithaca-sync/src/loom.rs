//! The `cfg(loom)` shim: every atomic and lock the wait queues of this crate use comes from
//! here, so the loom models in `tests/loom.rs` check the real code.
//!
//! Invariant: no module of this crate names `std::sync::{Mutex, Arc, atomic}` directly for
//! state that takes part in a wait/wake protocol.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

/// Locks a queue mutex. No user code ever runs while one of this crate's queue locks is held,
/// so a poisoned lock still guards consistent data and poisoning is ignored.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    #[cfg(not(loom))]
    {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }
    #[cfg(loom)]
    {
        m.lock().unwrap()
    }
}
