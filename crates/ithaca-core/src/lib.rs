//! # ithaca-core
//!
//! The bottom layer of ithaca. It owns three ideas and nothing else:
//!
//! * **Waiters** ([`waiter`]): a party that blocks — a parked OS thread or an async task's
//!   [`Waker`](std::task::Waker) — is represented by one [`Waiter`]. Its single atomic state
//!   word is the one place where a blocked operation is *chosen*: a peer that wants to complete
//!   an operation with a blocked party must win a compare-and-swap on that word first
//!   ("claim before consume").
//! * **Select** ([`select`]): the protocol that lets one waiter wait on many operations at once
//!   ([`Arm`]s) and guarantees exactly one of them happens, from a thread
//!   ([`Select::wait`]) or from a task (`.await` on a [`Select`]).
//! * **Time and reporting** ([`timer`], [`diag`]): one process-wide timer thread that wakes
//!   async waiters at deadlines, and the hook through which a blocked operation reports what it
//!   waits on and where, so the runtime can describe every goroutine's wait.
//!
//! Channels, sync primitives, contexts and timers are built on this crate; it depends on
//! nothing above it and on no runtime.
//!
//! ```
//! use ithaca_core::Waiter;
//!
//! let w = Waiter::for_thread();
//! assert!(w.is_waiting());
//! ```

pub mod backoff;
pub mod diag;
pub mod lock;
pub mod loom;
pub mod rng;
pub mod select;
mod slot;
pub mod timer;
pub mod waiter;

pub use select::{Arm, Outcome, Registration, Select, SelectFuture, SelectOptions};
pub use waiter::Waiter;
