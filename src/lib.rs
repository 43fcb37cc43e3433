//! # ithaca
//!
//! Go's concurrency model in Rust: goroutines on a tokio multi-thread runtime, Go channels
//! shared by async tasks and plain threads, a `select` over receive **and** send arms with
//! `default`, and Go's `sync`, `context` and `time` — one coherent API over the workspace's
//! crates.
//!
//! | Go | ithaca |
//! |---|---|
//! | `go f()` | [`go!`]`(async { .. })`, [`spawn`] |
//! | `make(chan T, n)` | [`chan::bounded`]`(n)`, [`chan::unbounded`] |
//! | `select { .. }` | [`select!`] (goroutines), [`select_blocking!`] (threads) |
//! | `sync.WaitGroup`, `sync.Mutex`, ... | [`sync`] |
//! | `context.Context` | [`context::Context`] |
//! | `time.After`, `time.Ticker`, `rate.Limiter` | [`time`] |
//! | `runtime.NumGoroutine()` | [`runtime::num_goroutines`] |
//!
//! ```
//! use ithaca::chan::bounded;
//!
//! #[ithaca::main]
//! async fn main() {
//!     let (tx, rx) = bounded(0);
//!     ithaca::go!(async move { tx.send("ping").await.unwrap() });
//!     assert_eq!(rx.recv().await, Some("ping"));
//! }
//! ```

/// Go channels and `select` (re-export of `ithaca-chan`).
pub use ithaca_chan as chan;
/// Go's `context` (re-export of `ithaca-context`).
pub use ithaca_context as context;
/// The bottom layer: waiters, the select protocol, wait reporting (re-export of `ithaca-core`).
pub use ithaca_core as core;
/// Go concurrency patterns: errgroup, worker pool, pipelines, throttling, singleflight
/// (re-export of `ithaca-patterns`).
pub use ithaca_patterns as patterns;
/// Go's `sync` and `x/sync/semaphore` (re-export of `ithaca-sync`).
pub use ithaca_sync as sync;
/// Go's `time` and `x/time/rate` (re-export of `ithaca-time`).
pub use ithaca_time as time;

pub use ithaca_chan::{select, select_blocking};
pub use ithaca_rt::runtime;
pub use ithaca_rt::{
    block_on, current_id, go, main, run, spawn, spawn_blocking, test, Goroutine, JoinError,
    JoinHandle,
};

/// The README's examples compile and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
