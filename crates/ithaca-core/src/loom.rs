//! The `cfg(loom)` shim: every atomic, lock and park used by this crate comes from here, so the
//! loom models in `tests/loom.rs` check the real code.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex};
#[cfg(loom)]
pub(crate) use loom::thread::{current, park, Thread};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex};
#[cfg(not(loom))]
pub(crate) use std::thread::{current, park, Thread};

#[cfg(loom)]
pub(crate) type MutexGuardAlias<'a, T> = loom::sync::MutexGuard<'a, T>;
#[cfg(not(loom))]
pub(crate) type MutexGuardAlias<'a, T> = std::sync::MutexGuard<'a, T>;
