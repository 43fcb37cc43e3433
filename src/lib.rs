//! # ithaca
//!
//! Go's concurrency model in Rust. This umbrella crate re-exports one coherent API.

pub use ithaca_core as core;
