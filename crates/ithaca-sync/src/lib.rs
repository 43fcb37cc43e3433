//! # ithaca-sync
//!
//! Go's `sync` package and `golang.org/x/sync/semaphore`, usable **from plain OS threads and
//! from any async executor** (this crate depends on neither tokio nor the ithaca runtime).
//!
//! | Go | ithaca-sync |
//! |---|---|
//! | `sync.WaitGroup` | [`WaitGroup`] (cheap `Clone` handle) |
//! | `sync.Mutex` | [`Mutex<T>`] with [`MutexGuard`] |
//! | `sync.RWMutex` | [`RwMutex<T>`] with read/write guards |
//! | `sync.Cond` | [`Cond`] (works with [`Mutex`]) |
//! | `sync.Once`, `OnceFunc`, `OnceValue(s)` | [`Once`], [`OnceFunc`], [`OnceValue`] |
//! | `semaphore.Weighted` | [`Semaphore`] |
//! | `sync/atomic` | [`atomic`] (a mapping onto `std::sync::atomic`) |
//!
//! ## Naming convention: async first, `_blocking` for threads
//!
//! Every waiting operation comes in two forms, named the same way everywhere in this crate:
//!
//! * the **plain name is async**: `mutex.lock().await`, `wg.wait().await`,
//!   `sem.acquire(n).await`, `cond.wait(guard).await`, `once.call_once(f).await`;
//! * the **`_blocking` suffix parks the calling thread**: `mutex.lock_blocking()`,
//!   `wg.wait_blocking()`, `sem.acquire_blocking(n)`, `cond.wait_blocking(guard)`,
//!   `once.call_once_blocking(f)`.
//!
//! Both forms share one queue, so threads and tasks can contend for the same lock. Each also
//! has `try_*` (never waits), `*_timeout` and `*_or_cancel(&mut dyn Arm)` variants, where the
//! cancel signal is any [`ithaca_core::Arm`] (a context's `done()`, a channel receive, a
//! [`Deadline`]); the cancel wins when both are ready. Waiting itself is an `Arm` too
//! ([`Mutex::lock_arm`], [`RwMutex::read_arm`], [`Semaphore::acquire_arm`],
//! [`WaitGroup::wait_arm`]), so a `select` can wait on a lock next to channels and timers.
//!
//! Async methods document `# Cancel safety` (a dropped future never leaves a lock held or a
//! wake-up lost: a lock or tokens handed to a dropped future are passed on); blocking methods
//! document `# Blocking` and must not be called from async code.
//!
//! ## Fairness
//!
//! Queues are FIFO. The [`Mutex`] follows Go's two modes: a woken waiter competes with
//! newcomers, but one that has waited more than 1 ms is handed the lock directly. [`RwMutex`]
//! and [`Semaphore`] never let a newcomer overtake a queued waiter, so a waiting writer blocks
//! new readers and a large acquire is not starved by small ones.
//!
//! ## Diagnostics
//!
//! Every blocked wait reports through [`ithaca_core::diag`] with a Go-style reason
//! (`"sync.Mutex.Lock"`, `"sync.RWMutex.RLock"`, `"sync.RWMutex.Lock"`, `"sync.WaitGroup.Wait"`,
//! `"sync.Cond.Wait"`, `"semaphore.Acquire"`) and the caller's source location.
//!
//! ```
//! use std::sync::Arc;
//! use ithaca_sync::{Mutex, WaitGroup};
//!
//! let total = Arc::new(Mutex::new(0));
//! let wg = WaitGroup::new();
//! for i in 1..=3 {
//!     wg.add(1);
//!     let (total, wg) = (total.clone(), wg.clone());
//!     std::thread::spawn(move || {
//!         *total.lock_blocking() += i;
//!         wg.done();
//!     });
//! }
//! wg.wait_blocking();
//! assert_eq!(*total.lock_blocking(), 6);
//! ```

pub mod atomic;
mod cancel;
mod cond;
mod loom;
mod mutex;
mod once;
mod rwmutex;
mod sema;
mod semaphore;
mod waitgroup;

pub use cancel::{Cancelled, Deadline, TimedOut};
pub use cond::{Cond, CondWait};
pub use mutex::{Lock, LockArm, Mutex, MutexGuard};
pub use once::{Once, OnceFunc, OnceValue};
pub use rwmutex::{
    Read, RwMutex, RwMutexReadGuard, RwMutexWriteGuard, RwReadArm, RwWriteArm, Write,
};
pub use semaphore::{AcquireArm, AcquireError, Semaphore};
pub use waitgroup::{Wait, WaitArm, WaitGroup};
