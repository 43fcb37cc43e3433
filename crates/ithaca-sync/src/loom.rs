//! The `cfg(loom)` shim: every atomic and lock the wait queues of this crate use comes from
//! here, so the loom models in `tests/loom.rs` check the real code.
//!
//! Invariant: no module of this crate names `std::sync::{Mutex, Arc, atomic}` directly for
//! state that takes part in a wait/wake protocol.

pub(crate) use ithaca_core::loom::*;
