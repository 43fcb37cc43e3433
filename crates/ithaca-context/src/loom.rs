//! The `cfg(loom)` shim: every lock and shared pointer of this crate's synchronisation state
//! comes from here, so the loom models in `tests/loom.rs` check the real code.
//!
//! Invariant: the waiter type of `ithaca-core` and the `Arc` used here are the same type under
//! both configurations (core's shim switches to loom's `Arc` under `cfg(loom)` too).

#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

/// Locks `m`, ignoring poisoning: no user code runs while a lock of this crate is held, so the
/// data stays consistent even if a panic crossed a lock.
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

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, Ordering};
