//! Error types. Where Go panics on a condition a caller can meet at run time (sending on a
//! closed channel), ithaca returns an error that hands the value back.

use std::fmt;

/// A send failed because the channel is closed; the value is handed back.
///
/// ```
/// let (tx, rx) = ithaca_chan::bounded::<i32>(1);
/// rx.close();
/// let err = tx.try_send(7).unwrap_err();
/// assert_eq!(format!("{err:?}"), "Closed(..)");
/// assert_eq!(err.into_inner(), 7);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Why a non-blocking send failed; the value is handed back.
///
/// ```
/// use ithaca_chan::TrySendError;
/// let (tx, _rx) = ithaca_chan::bounded::<i32>(0);
/// assert_eq!(tx.try_send(1), Err(TrySendError::Full(1))); // nobody is receiving
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// The buffer is full (or, on a rendezvous channel, no receiver is waiting).
    Full(T),
    /// The channel is closed.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(v) | TrySendError::Closed(v) => v,
        }
    }
}

/// Why a send with a timeout failed; the value is handed back.
///
/// ```
/// use std::time::Duration;
/// use ithaca_chan::SendTimeoutError;
/// let (tx, _rx) = ithaca_chan::bounded::<i32>(0);
/// let err = tx.send_blocking_timeout(5, Duration::from_millis(1)).unwrap_err();
/// assert_eq!(err, SendTimeoutError::Timeout(5));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SendTimeoutError<T> {
    /// The time ran out.
    Timeout(T),
    /// The channel is closed.
    Closed(T),
}

impl<T> SendTimeoutError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(v) | SendTimeoutError::Closed(v) => v,
        }
    }
}

/// Why a non-blocking receive returned nothing.
///
/// ```
/// use ithaca_chan::TryRecvError;
/// let (tx, rx) = ithaca_chan::bounded::<i32>(1);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing is buffered and no sender is waiting.
    Empty,
    /// The channel is closed and drained.
    Closed,
}

/// Why a receive with a timeout returned nothing.
///
/// ```
/// use std::time::Duration;
/// use ithaca_chan::RecvTimeoutError;
/// let (_tx, rx) = ithaca_chan::bounded::<i32>(1);
/// assert_eq!(rx.recv_blocking_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvTimeoutError {
    /// The time ran out.
    Timeout,
    /// The channel is closed and drained.
    Closed,
}

/// `Debug` shows the variant but not the value (`T` need not be `Debug`); `Display` says what
/// went wrong in Go's words.
macro_rules! value_error_impls {
    ($ty:ident, $($variant:pat => ($name:expr, $msg:expr)),+) => {
        impl<T> fmt::Debug for $ty<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                #[allow(unused_variables)]
                let name = match self { $($variant => $name),+ };
                write!(f, "{name}(..)")
            }
        }
        impl<T> fmt::Display for $ty<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                #[allow(unused_variables)]
                let msg = match self { $($variant => $msg),+ };
                f.write_str(msg)
            }
        }
        impl<T> std::error::Error for $ty<T> {}
    };
}

value_error_impls!(SendError, SendError(_) => ("SendError", "send on closed channel"));
value_error_impls!(TrySendError,
    TrySendError::Full(_) => ("Full", "send on full channel"),
    TrySendError::Closed(_) => ("Closed", "send on closed channel"));
value_error_impls!(SendTimeoutError,
    SendTimeoutError::Timeout(_) => ("Timeout", "timed out sending on channel"),
    SendTimeoutError::Closed(_) => ("Closed", "send on closed channel"));

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "receive on empty channel",
            TryRecvError::Closed => "receive on closed channel",
        })
    }
}
impl std::error::Error for TryRecvError {}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecvTimeoutError::Timeout => "timed out receiving on channel",
            RecvTimeoutError::Closed => "receive on closed channel",
        })
    }
}
impl std::error::Error for RecvTimeoutError {}
