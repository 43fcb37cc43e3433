//! The `cfg(loom)` shim: every lock and shared pointer of this crate's synchronisation state
//! comes from here, so the loom models in `tests/loom.rs` check the real code.
//!
//! Invariant: the waiter type of `ithaca-core` and the `Arc` used here are the same type under
//! both configurations (core's shim switches to loom's `Arc` under `cfg(loom)` too).

pub(crate) use ithaca_core::loom::*;
