//! Go's `sync/atomic` in Rust: use [`std::sync::atomic`] directly.
//!
//! Every Go atomic operation is **sequentially consistent**, so the Go-parity choice of
//! ordering is always [`Ordering::SeqCst`] (weaker orderings are a Rust-only optimisation,
//! worth it only with a proof). The types are re-exported here for discoverability.
//!
//! | Go (`sync/atomic`) | Rust (`std::sync::atomic`) |
//! |---|---|
//! | `atomic.Int32`, `atomic.Int64` | [`AtomicI32`], [`AtomicI64`] |
//! | `atomic.Uint32`, `atomic.Uint64`, `atomic.Uintptr` | [`AtomicU32`], [`AtomicU64`], [`AtomicUsize`] |
//! | `atomic.Bool` | [`AtomicBool`] |
//! | `atomic.Pointer[T]` | [`AtomicPtr<T>`] (raw pointer: reading through it needs `unsafe` and a reclamation scheme) |
//! | `x.Load()` / `x.Store(v)` | `x.load(SeqCst)` / `x.store(v, SeqCst)` |
//! | `x.Add(d)` (returns the **new** value) | `x.fetch_add(d, SeqCst) + d` (`fetch_add` returns the **old** value; wrapping) |
//! | `x.Swap(v)` (returns old) | `x.swap(v, SeqCst)` |
//! | `x.CompareAndSwap(old, new) bool` | `x.compare_exchange(old, new, SeqCst, SeqCst).is_ok()` |
//! | `x.And(m)` / `x.Or(m)` (Go 1.23, return old) | `x.fetch_and(m, SeqCst)` / `x.fetch_or(m, SeqCst)` |
//! | `atomic.Value` | no lock-free equivalent here; see below |
//!
//! ```
//! use ithaca_sync::atomic::{AtomicI64, Ordering::SeqCst};
//!
//! let n = AtomicI64::new(0);
//! let new = n.fetch_add(5, SeqCst) + 5; // Go: n.Add(5)
//! assert_eq!(new, 5);
//! assert!(n.compare_exchange(5, 7, SeqCst, SeqCst).is_ok()); // Go: n.CompareAndSwap(5, 7)
//! assert_eq!(n.load(SeqCst), 7);
//! ```
//!
//! # Why there is no `AtomicValue<T>`
//!
//! Go's `atomic.Value` gives lock-free `Load` of an arbitrary value because Go has a garbage
//! collector: a reader can hold the old value while a writer replaces it. In Rust, a
//! lock-free load of an `Arc<T>` from a shared slot must increment the reference count of an
//! object that a concurrent store may be freeing at that very moment; making that safe needs
//! hazard pointers, epochs or a debt list (what the `arc-swap` and `crossbeam-epoch` crates
//! implement with carefully reviewed `unsafe` code). This crate keeps `unsafe` to the guards of
//! its locks, so it does not reimplement that: use `arc-swap::ArcSwap` for Go's
//! `atomic.Value`/`atomic.Pointer[T]` with lock-free reads, or a [`RwMutex`](crate::RwMutex)
//! `<Arc<T>>` (readers clone the `Arc` under a read lock) when a short lock is acceptable.

pub use std::sync::atomic::{
    AtomicBool, AtomicI32, AtomicI64, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};
