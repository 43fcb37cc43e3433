//! The `cfg(loom)` shim: the channel's lock and atomics come from here, so the loom models in
//! `tests/loom.rs` check the real code.

pub(crate) use ithaca_core::loom::*;
