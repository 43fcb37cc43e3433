//! # ithaca-rt: goroutines on tokio
//!
//! A *goroutine* is a future (or, with [`spawn_blocking`], a blocking closure) that ithaca runs
//! concurrently with everything else. Goroutines are tokio tasks on a multi-thread runtime, so
//! anything built on tokio (`tokio::net`, axum, hyper, `tokio::time`) works inside them
//! unchanged. What ithaca adds on top of `tokio::spawn`:
//!
//! * **There is always a runtime**, as in Go: [`go!`] works from `main`, from a plain thread,
//!   from inside a goroutine. If no ithaca runtime runs this thread, a process-wide default one
//!   starts on first use (one worker per CPU, or `ITHACA_MAXPROCS`; configure it with
//!   [`runtime::Builder`]).
//! * **Every goroutine is registered**: id, name, spawn location, parent, and what it is
//!   blocked on, where and since when ([`runtime::snapshot`], [`runtime::num_goroutines`]).
//! * **Panics are never lost**: the joiner gets a [`JoinError`] naming the goroutine and where
//!   it was spawned; a panic nobody can join is printed; or the process exits like Go
//!   ([`runtime::PanicPolicy`]).
//! * **Join from anywhere**: `.await` a [`JoinHandle`] in async code, or
//!   [`join`](JoinHandle::join) it from a plain thread.
//!
//! ## Spawning
//!
//! ```
//! use ithaca_rt::go;
//!
//! // From a plain thread (here: the doctest's main thread): the default runtime starts.
//! let h = go!(async {
//!     // Inside a goroutine: spawn more, await them.
//!     let children: Vec<_> = (0..10u64).map(|i| go!(async move { i * i })).collect();
//!     let mut sum = 0;
//!     for c in children {
//!         sum += c.await.unwrap();
//!     }
//!     sum
//! });
//! assert_eq!(h.join().unwrap(), 285);
//! ```
//!
//! ## The root goroutine
//!
//! [`block_on`] (alias [`run`]) and the `#[ithaca::main]` / `#[ithaca::test]` attributes run
//! the root future *as a goroutine* on a worker thread, not on the calling thread, and park
//! the caller until it finishes: a future polled on tokio's `block_on` thread is not on a
//! worker, and message passing with it is about 20x slower. The root future must therefore be
//! `Send + 'static`.
//!
//! ```
//! #[ithaca_rt::main(crate = ::ithaca_rt)]
//! async fn main() {
//!     let worker = std::thread::current().name().map(str::to_owned);
//!     assert_eq!(worker.as_deref(), Some("ithaca-worker"));
//! }
//! ```
//!
//! ## Names, panics and joins
//!
//! ```
//! use ithaca_rt::Goroutine;
//!
//! let h = Goroutine::new().name("worker-1").spawn(async { panic!("boom") });
//! let err = h.join().unwrap_err();
//! assert_eq!(err.name(), Some("worker-1"));
//! assert_eq!(err.panic_message(), Some("boom"));
//! assert_eq!(err.spawned_at().line(), line!() - 4);
//! ```
//!
//! ## Blocking code
//!
//! Blocking a worker thread stalls every goroutine queued on it. Run blocking code with
//! [`spawn_blocking`]: it goes to tokio's blocking pool and is registered as a goroutine of
//! kind [`Blocking`](runtime::GoroutineKind::Blocking).
//!
//! ```
//! # ithaca_rt::block_on(async {
//! let len = ithaca_rt::spawn_blocking(|| std::fs::read_dir(".").map(|d| d.count()).unwrap_or(0))
//!     .await
//!     .unwrap();
//! # let _ = len;
//! # });
//! ```
//!
//! ## Diagnostics Go has (and Rust usually lacks)
//!
//! * **Goroutine dumps**: [`runtime::dump`] prints every goroutine Go-style (`goroutine 7
//!   [chan receive]:`, its name, the line it waits at, who created it) or as JSON;
//!   [`runtime::install_sigquit_dump`] prints one on `SIGQUIT` (Ctrl-\\), like Go.
//! * **Deadlock detection**: when every goroutine of a root's spawn tree (its *bubble*) is
//!   durably blocked on ithaca primitives and nothing else in the process could wake them,
//!   `block_on`, `#[ithaca::main]` and `#[ithaca::test]` panic with Go's "fatal error: all
//!   goroutines are asleep - deadlock!" and the dump of the goroutines involved;
//!   [`runtime::run_detecting`] returns it as an `Err`. The rules that make a report a proof
//!   (and when the detector stays silent) are on [`runtime::Deadlock`].
//! * **Leak checks**: `#[ithaca::test]` fails a test whose goroutines outlive its body
//!   (goleak semantics; `#[ithaca::test(leaks = "allow")]` opts out);
//!   [`runtime::verify_none_leaked`] does the same check anywhere. When a root returns
//!   while goroutines it started are still durably blocked, `#[ithaca::main]` prints them
//!   (and `block_on` can, or panic: [`runtime::LeakPolicy`], `ITHACA_LEAKS`);
//!   [`runtime::run_reporting_leaks`] returns them.
//! * **Tracing**: with the `tracing` cargo feature, every goroutine runs inside a `tracing`
//!   span `goroutine{id, name, spawned_at}` (target `ithaca::goroutine`).
//!
//! ```
//! ithaca_rt::runtime::assume_test_harness(); // doctests run like tests
//! let err = ithaca_rt::runtime::run_detecting(async {
//!     let (tx, rx) = ithaca_chan::bounded::<i32>(0);
//!     let got = rx.recv().await; // nobody else has `tx`: blocked forever
//!     drop(tx);
//!     got
//! })
//! .unwrap_err();
//! let report = err.to_string();
//! assert!(report.starts_with("fatal error: all goroutines are asleep - deadlock!"));
//! assert!(report.contains("[chan receive]:"));
//! ```
//!
//! ## Costs, and the `diagnostics` feature
//!
//! A goroutine costs one tokio task plus one registry record (one allocation, one uncontended
//! shard lock at spawn and at exit); each poll adds a few relaxed stores, a thread-local swap
//! and the `diag::observe` hook. `benches/goroutines.rs` measures it against raw tokio. The
//! deadlock detector is one thread, parked while no root goroutine runs, otherwise waking
//! every 20 ms for a registry pass that stops at the first goroutine not durably blocked.
//!
//! The registry and the per-poll wait observation are the cargo feature `diagnostics`, on by
//! default. Without it (`default-features = false`) a goroutine is a tokio task plus a small
//! record that is never registered (id, name, spawn site: [`JoinHandle`] and [`JoinError`]
//! keep them, and panics are still reported with them), and a poll is the user's poll inside
//! `catch_unwind`. Everything still compiles, but:
//!
//! * [`runtime::num_goroutines`] still counts (a sharded counter);
//! * [`runtime::snapshot`], [`runtime::dump`] and SIGQUIT dumps are empty, and
//!   [`runtime::summary`] counts nothing but blocked threads;
//! * the deadlock detector is disabled (a deadlocked `block_on` hangs, as a tokio program
//!   would);
//! * leak checks ([`runtime::verify_none_leaked`], `#[ithaca::test]`) pass trivially.
//!
//! `scripts/diag-cost.sh` measures what the feature costs (spawn + join, and a block/wake
//! round trip between two goroutines).

#![cfg_attr(loom, allow(dead_code, unused_imports))]

mod clock;
mod record;
#[cfg(any(loom, feature = "diagnostics"))]
mod registry;
mod sync;
#[cfg(not(loom))]
mod tracking;

#[cfg(not(loom))]
mod deadlock;
#[cfg(not(loom))]
mod dump;
#[cfg(not(loom))]
mod leak;
#[cfg(not(loom))]
mod sigquit;
#[cfg(not(loom))]
mod threads;

#[cfg(not(loom))]
mod goroutine;
#[cfg(not(loom))]
mod join;
#[cfg(not(loom))]
pub mod runtime;
#[cfg(not(loom))]
mod task;

#[cfg(not(loom))]
pub use goroutine::Goroutine;
#[cfg(not(loom))]
pub use ithaca_macros::{main, test};
#[cfg(not(loom))]
pub use join::{JoinError, JoinHandle};

#[cfg(not(loom))]
use std::future::Future;
#[cfg(not(loom))]
use std::panic::Location;

/// Spawns a goroutine: `go!(future)` is [`spawn(future)`](spawn), with the `go!` call site
/// recorded as its spawn location. Returns a [`JoinHandle`]; ignore it to detach (Go-like).
///
/// ```
/// use ithaca_rt::go;
/// let h = go!(async { "hi" });
/// assert_eq!(h.join().unwrap(), "hi");
/// assert_eq!(go!(async {}).spawned_at().line(), line!());
/// ```
#[cfg(not(loom))]
#[macro_export]
macro_rules! go {
    ($fut:expr $(,)?) => {
        $crate::spawn($fut)
    };
}

/// Spawns `fut` as a goroutine on the current runtime (the ithaca runtime this thread belongs
/// to, else the process-wide default runtime, started on first use).
///
/// Works from anywhere: a goroutine, a plain thread, `main`, a task of a foreign tokio
/// runtime (the goroutine still runs on the ithaca runtime; see [`runtime`]).
///
/// ```
/// let h = ithaca_rt::spawn(async { 1 + 1 });
/// assert_eq!(h.join().unwrap(), 2);
/// ```
#[cfg(not(loom))]
#[track_caller]
pub fn spawn<F>(fut: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let location = Location::caller();
    runtime::with_current(|h| h.spawn_inner(None, location, fut))
}

/// Runs blocking code `f` as a goroutine on the current runtime's blocking pool.
///
/// The goroutine is registered (kind [`Blocking`](runtime::GoroutineKind::Blocking), state
/// `Running` while `f` executes); [`current_id`] works inside `f`, and a panic in `f` follows
/// the runtime's panic policy.
///
/// ```
/// let h = ithaca_rt::spawn_blocking(|| {
///     std::thread::sleep(std::time::Duration::from_millis(1));
///     ithaca_rt::current_id().is_some()
/// });
/// assert!(h.join().unwrap());
/// ```
#[cfg(not(loom))]
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let location = Location::caller();
    runtime::with_current(|h| h.spawn_blocking_inner(None, location, f))
}

/// Runs `fut` as the root goroutine on the current runtime and blocks the calling thread
/// until it finishes, returning its output.
///
/// The future runs on a worker thread (not on the caller), so it must be `Send + 'static`.
///
/// # Blocking
///
/// Parks the calling thread (counted as a blocked thread in [`runtime::summary`]).
///
/// # Panics
///
/// If called from inside an async goroutine (it would block a worker: `.await` instead).
/// If the root goroutine panics, the panic is resumed on the calling thread.
///
/// ```
/// let v = ithaca_rt::block_on(async {
///     let h = ithaca_rt::go!(async { 20 });
///     h.await.unwrap() + 1
/// });
/// assert_eq!(v, 21);
/// ```
#[cfg(not(loom))]
#[track_caller]
pub fn block_on<F>(fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let location = Location::caller();
    runtime::with_current(runtime::Handle::clone).block_on_inner(None, location, fut)
}

/// Same as [`block_on`]; reads better as the body of `main`.
///
/// # Blocking
///
/// As [`block_on`].
///
/// # Panics
///
/// As [`block_on`].
///
/// ```
/// // The whole body of `fn main`:
/// ithaca_rt::run(async {
///     ithaca_rt::go!(async { println!("hello from a goroutine") })
///         .await
///         .unwrap();
/// });
/// ```
#[cfg(not(loom))]
#[track_caller]
pub fn run<F>(fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let location = Location::caller();
    runtime::with_current(runtime::Handle::clone).block_on_inner(None, location, fut)
}

/// The id of the goroutine calling it (`None` on a plain thread, or in a task of a foreign
/// runtime). Inside a [`spawn_blocking`] closure, that goroutine's id.
///
/// ```
/// assert_eq!(ithaca_rt::current_id(), None);
/// let h = ithaca_rt::go!(async { ithaca_rt::current_id() });
/// let id = h.id();
/// assert_eq!(h.join().unwrap(), Some(id));
/// ```
#[cfg(not(loom))]
pub fn current_id() -> Option<u64> {
    match task::current_id() {
        0 => None,
        id => Some(id),
    }
}

/// Internals exposed to the loom models in `tests/loom.rs` only.
#[cfg(loom)]
#[doc(hidden)]
pub mod __loom {
    pub use crate::record::{Record, ReportState};
    pub use crate::registry::{Registry, Slot};
}
