//! # ithaca-chan
//!
//! Go's channels and `select`, on one channel type that async tasks (goroutines) and plain
//! OS threads can both use — and that a `select` in either world can wait on.
//!
//! * [`bounded(0)`](bounded) is Go's unbuffered channel, a true rendezvous: a send completes
//!   only when a receiver has the value. [`bounded(n)`](bounded) buffers `n` values,
//!   [`unbounded`] grows as needed. All are multi-producer multi-consumer; handles clone.
//! * [`Sender`] can only send and [`Receiver`] can only receive (Go's `chan<- T` and
//!   `<-chan T`): misuse is a compile error.
//! * Every operation comes as `op().await` (goroutines), `op_blocking()` (threads) and
//!   `try_op()` (never waits), plus timeouts.
//! * [`close`](Sender::close) from either side wakes every waiter; receivers drain the buffer,
//!   then see `None`. Dropping the last sender or the last receiver closes the channel too.
//!   Sending on a closed channel hands the value back in the error (where Go panics).
//! * [`select!`] / [`select_blocking!`] over receive and send arms, `default`, timers and any
//!   [`Arm`]; exactly one arm's operation happens, a send arm that is not chosen never
//!   delivers, choice among ready arms is uniformly random (or `biased;`).
//! * No value is ever lost to cancellation: dropping a `recv`, `send` or `select` future at
//!   any point neither loses nor duplicates a value, on every capacity including 0.
//!
//! ```
//! use ithaca_chan::{bounded, select_blocking};
//!
//! let (tx, rx) = bounded::<String>(0);
//! let (quit_tx, quit_rx) = bounded::<()>(0);
//! let worker = std::thread::spawn(move || {
//!     let mut got = Vec::new();
//!     loop {
//!         select_blocking! {
//!             recv(&rx) -> msg => got.push(msg.unwrap()),
//!             recv(&quit_rx) -> _ => return got,
//!         }
//!     }
//! });
//! tx.send_blocking("hello".to_string()).unwrap();
//! tx.send_blocking("world".to_string()).unwrap();
//! quit_tx.send_blocking(()).unwrap();
//! assert_eq!(worker.join().unwrap(), ["hello", "world"]);
//! ```

mod arms;
mod chan;
mod error;
mod handles;
mod loom;
mod ring;
mod select;
mod wait;

pub use arms::{ArmOutput, RecvArm, SendArm};
pub use error::{RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError};
pub use handles::{
    bounded, unbounded, IntoIter, Iter, Receiver, RecvFuture, RecvStream, RecvTimeoutFuture,
    SendFuture, SendTimeoutFuture, Sender,
};
pub use ithaca_core::{Arm, Outcome, Registration, Select, SelectFuture, SelectOptions};
