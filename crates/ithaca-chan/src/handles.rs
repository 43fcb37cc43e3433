//! The channel handles: [`Sender`] (send-only) and [`Receiver`] (receive-only), their
//! operations in both worlds, close and drop-close.
//!
//! # Invariants
//!
//! * `Chan::senders` / `Chan::receivers` count live handles of each side; the handle whose
//!   drop takes a count to zero closes the channel (Go never closes implicitly; Rust drops,
//!   so the last handle of a side closing it is what makes a blocked peer wake instead of
//!   leaking).

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::chan::{Chan, Fast, Recv, SendFail, Wakes};
use crate::error::{RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError};
use crate::loom::{Arc, Ordering};
use crate::wait::{self, RecvWait, SendWait};

/// Creates a channel with room for `cap` buffered values; `bounded(0)` is Go's unbuffered
/// channel: a send completes only when a receiver takes the value (a rendezvous).
///
/// # Panics
///
/// If `cap` values of `T` would need more than 2^48 bytes (Go's `maxAlloc`), with Go's message
/// `makechan: size out of range`. Zero-sized values have no limit.
///
/// ```
/// let (tx, rx) = ithaca_chan::bounded(2);
/// tx.try_send(1).unwrap();
/// tx.try_send(2).unwrap();
/// assert!(tx.try_send(3).is_err()); // full
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
#[track_caller]
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let fits = cap
        .checked_mul(std::mem::size_of::<T>())
        .is_some_and(|bytes| bytes <= crate::chan::MAX_BUFFER_BYTES);
    assert!(fits, "makechan: size out of range (capacity {cap})");
    new(Some(cap))
}

/// Creates a channel whose buffer grows as needed: sends never block.
///
/// The first values go to a small lock-free ring allocated with the channel (up to 128
/// slots, at most 4 KiB; none for messages of about 500 bytes or more); while a backlog
/// exceeds it, the rest queue in a list that grows on demand and keeps its memory for reuse.
///
/// ```
/// let (tx, rx) = ithaca_chan::unbounded();
/// for i in 0..1000 {
///     tx.try_send(i).unwrap();
/// }
/// assert_eq!(rx.len(), 1000);
/// ```
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    new(None)
}

fn new<T>(cap: Option<usize>) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan::new(cap));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// The sending half of a channel. Cloneable (many senders); dropping the last one closes the
/// channel.
///
/// Methods come in three flavours: `send(v).await` in async code (goroutines),
/// `send_blocking(v)` on plain threads, and `try_send(v)` that never waits.
pub struct Sender<T> {
    pub(crate) chan: Arc<Chan<T>>,
}

/// The receiving half of a channel. Cloneable (many receivers, each value goes to one of
/// them); dropping the last one closes the channel.
///
/// Methods come in three flavours: `recv().await` in async code (goroutines),
/// `recv_blocking()` on plain threads, and `try_recv()` that never waits. A closed channel
/// still delivers what is buffered; then receives return `None` (Go's `v, ok := <-ch` with
/// `ok == false`).
pub struct Receiver<T> {
    pub(crate) chan: Arc<Chan<T>>,
}

fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

macro_rules! shared_methods {
    () => {
        /// Closes the channel (Go's `close(ch)`), from either side. Blocked receivers and
        /// senders wake: receivers drain what is buffered, then get `None`; senders get their
        /// value back in an error. Returns `true` if this call closed it, `false` if it was
        /// already closed (where Go would panic).
        ///
        /// ```
        /// let (tx, rx) = ithaca_chan::bounded::<i32>(1);
        /// assert!(tx.close());
        /// assert!(!rx.close());
        /// ```
        pub fn close(&self) -> bool {
            self.chan.close()
        }

        /// Whether the channel is closed (a snapshot: it may close right after).
        ///
        /// ```
        /// let (tx, rx) = ithaca_chan::unbounded::<()>();
        /// drop(rx);
        /// assert!(tx.is_closed());
        /// ```
        pub fn is_closed(&self) -> bool {
            self.chan.is_closed()
        }

        /// Number of values buffered (Go's `len(ch)`), a snapshot.
        ///
        /// ```
        /// let (tx, rx) = ithaca_chan::bounded(4);
        /// tx.try_send('a').unwrap();
        /// assert_eq!((tx.len(), rx.len()), (1, 1));
        /// ```
        pub fn len(&self) -> usize {
            self.chan.len()
        }

        /// Whether nothing is buffered.
        ///
        /// ```
        /// let (_tx, rx) = ithaca_chan::bounded::<u8>(4);
        /// assert!(rx.is_empty());
        /// ```
        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }

        /// The buffer's capacity (Go's `cap(ch)`): `Some(0)` for a rendezvous channel,
        /// `None` for an unbounded one.
        ///
        /// ```
        /// assert_eq!(ithaca_chan::bounded::<u8>(0).0.capacity(), Some(0));
        /// assert_eq!(ithaca_chan::unbounded::<u8>().1.capacity(), None);
        /// ```
        pub fn capacity(&self) -> Option<usize> {
            self.chan.capacity()
        }

        /// How many receivers and senders are blocked on this channel right now, as
        /// `(receivers, senders)`: a snapshot for diagnostics and tests (a blocked select
        /// counts once per arm on this channel).
        ///
        /// ```
        /// let (tx, rx) = ithaca_chan::bounded::<u8>(0);
        /// assert_eq!(rx.waiting(), (0, 0));
        /// # drop(tx);
        /// ```
        pub fn waiting(&self) -> (usize, usize) {
            self.chan.waiting()
        }

        /// Whether two handles belong to the same channel.
        ///
        /// ```
        /// let (tx, rx) = ithaca_chan::bounded::<u8>(0);
        /// assert!(tx.same_channel(&tx.clone()));
        /// ```
        pub fn same_channel(&self, other: &Self) -> bool {
            Arc::ptr_eq(&self.chan, &other.chan)
        }
    };
}

impl<T> Sender<T> {
    /// Sends `value`, waiting for room (or, on a rendezvous channel, for a receiver to take it).
    /// Returns the value in the error if the channel is closed.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes never duplicates the value and never leaves it
    /// in the channel half-sent: either the send happened (a receiver took the value) or the
    /// value is dropped with the future.
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let (tx, rx) = ithaca_chan::bounded(1);
    /// tx.send(42).await.unwrap();
    /// assert_eq!(rx.recv().await, Some(42));
    /// # });
    /// ```
    #[track_caller]
    pub fn send(&self, value: T) -> SendFuture<'_, T> {
        SendFuture {
            chan: &self.chan,
            wait: SendWait::new(value),
            deadline: None,
            location: Location::caller(),
        }
    }

    /// Like [`send`](Self::send), giving up after `timeout`.
    ///
    /// # Cancel safety
    ///
    /// As for [`send`](Self::send).
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// use std::time::Duration;
    /// let (tx, _rx) = ithaca_chan::bounded(0);
    /// let err = tx.send_timeout(1, Duration::from_millis(5)).await.unwrap_err();
    /// assert_eq!(err.into_inner(), 1);
    /// # });
    /// ```
    #[track_caller]
    pub fn send_timeout(&self, value: T, timeout: Duration) -> SendTimeoutFuture<'_, T> {
        SendTimeoutFuture(SendFuture {
            chan: &self.chan,
            wait: SendWait::new(value),
            deadline: deadline_after(timeout),
            location: Location::caller(),
        })
    }

    /// Sends `value` from a plain thread, parking until it is accepted.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread. Do not call it on an async executor's thread; use
    /// [`send`](Self::send) there.
    ///
    /// ```
    /// let (tx, rx) = ithaca_chan::bounded(0);
    /// let t = std::thread::spawn(move || rx.recv_blocking());
    /// tx.send_blocking("hi").unwrap();
    /// assert_eq!(t.join().unwrap(), Some("hi"));
    /// ```
    #[track_caller]
    pub fn send_blocking(&self, value: T) -> Result<(), SendError<T>> {
        wait::send_blocking(&self.chan, value, None, Location::caller())
            .map_err(|e| SendError(e.into_inner()))
    }

    /// Like [`send_blocking`](Self::send_blocking), giving up after `timeout`.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread for at most `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, _rx) = ithaca_chan::bounded(0);
    /// assert!(tx.send_blocking_timeout(1, Duration::from_millis(1)).is_err());
    /// ```
    #[track_caller]
    pub fn send_blocking_timeout(
        &self,
        value: T,
        timeout: Duration,
    ) -> Result<(), SendTimeoutError<T>> {
        wait::send_blocking(
            &self.chan,
            value,
            deadline_after(timeout),
            Location::caller(),
        )
    }

    /// Sends without waiting: succeeds if there is room, or a receiver is waiting (Go's
    /// `select` with one send case and a `default`).
    ///
    /// ```
    /// use ithaca_chan::TrySendError;
    /// let (tx, rx) = ithaca_chan::bounded(1);
    /// assert_eq!(tx.try_send(1), Ok(()));
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// drop(rx);
    /// assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let value = match self.chan.send_fast(value) {
            Fast::Done(()) => return Ok(()),
            Fast::NotReady(v) => return Err(TrySendError::Full(v)),
            Fast::Locked(v) => v,
        };
        let mut wakes = Wakes::default();
        let mut st = self.chan.lock();
        let r = self.chan.try_send_locked(&mut st, value, None, &mut wakes);
        drop(st);
        wakes.wake();
        r.map_err(|e| match e {
            SendFail::Full(v) => TrySendError::Full(v),
            SendFail::Closed(v) => TrySendError::Closed(v),
        })
    }

    shared_methods!();
}

impl<T> Receiver<T> {
    /// Receives a value, waiting until one is sent. Returns `None` once the channel is closed
    /// and everything buffered has been received.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped after a sender handed it a value, the value goes
    /// back to the head of the channel for the next receiver. No value is ever lost.
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let (tx, rx) = ithaca_chan::unbounded();
    /// tx.send("x").await.unwrap();
    /// drop(tx);
    /// assert_eq!(rx.recv().await, Some("x"));
    /// assert_eq!(rx.recv().await, None); // closed and drained
    /// # });
    /// ```
    #[track_caller]
    pub fn recv(&self) -> RecvFuture<'_, T> {
        RecvFuture {
            chan: &self.chan,
            wait: RecvWait::default(),
            deadline: None,
            location: Location::caller(),
        }
    }

    /// Like [`recv`](Self::recv), giving up after `timeout`.
    ///
    /// # Cancel safety
    ///
    /// As for [`recv`](Self::recv).
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// use std::time::Duration;
    /// use ithaca_chan::RecvTimeoutError;
    /// let (_tx, rx) = ithaca_chan::bounded::<u8>(0);
    /// assert_eq!(rx.recv_timeout(Duration::from_millis(5)).await, Err(RecvTimeoutError::Timeout));
    /// # });
    /// ```
    #[track_caller]
    pub fn recv_timeout(&self, timeout: Duration) -> RecvTimeoutFuture<'_, T> {
        RecvTimeoutFuture(RecvFuture {
            chan: &self.chan,
            wait: RecvWait::default(),
            deadline: deadline_after(timeout),
            location: Location::caller(),
        })
    }

    /// Receives from a plain thread, parking until a value arrives; `None` once closed and
    /// drained.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread. Do not call it on an async executor's thread; use
    /// [`recv`](Self::recv) there.
    ///
    /// ```
    /// let (tx, rx) = ithaca_chan::bounded(0);
    /// std::thread::spawn(move || tx.send_blocking(5));
    /// assert_eq!(rx.recv_blocking(), Some(5));
    /// ```
    #[track_caller]
    pub fn recv_blocking(&self) -> Option<T> {
        wait::recv_blocking(&self.chan, None, Location::caller()).ok()
    }

    /// Like [`recv_blocking`](Self::recv_blocking), giving up after `timeout`.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread for at most `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, rx) = ithaca_chan::bounded::<u8>(1);
    /// drop(tx);
    /// assert_eq!(rx.recv_blocking_timeout(Duration::from_secs(1)), Err(ithaca_chan::RecvTimeoutError::Closed));
    /// ```
    #[track_caller]
    pub fn recv_blocking_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        wait::recv_blocking(&self.chan, deadline_after(timeout), Location::caller())
    }

    /// Receives without waiting (Go's `select` with one receive case and a `default`). A closed
    /// channel that still holds values returns them first.
    ///
    /// ```
    /// let (tx, rx) = ithaca_chan::bounded(1);
    /// tx.try_send(9).unwrap();
    /// tx.close();
    /// assert_eq!(rx.try_recv(), Ok(9));
    /// assert_eq!(rx.try_recv(), Err(ithaca_chan::TryRecvError::Closed));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.chan.recv_fast() {
            Fast::Done(v) => return Ok(v),
            Fast::NotReady(()) => return Err(TryRecvError::Empty),
            Fast::Locked(()) => {}
        }
        let mut wakes = Wakes::default();
        let mut st = self.chan.lock();
        let r = self.chan.try_recv_locked(&mut st, None, &mut wakes);
        drop(st);
        wakes.wake();
        match r {
            Recv::Value(v) => Ok(v),
            Recv::Closed => Err(TryRecvError::Closed),
            Recv::Empty => Err(TryRecvError::Empty),
        }
    }

    /// A blocking iterator over received values (Go's `for v := range ch` on a thread); it
    /// ends when the channel is closed and drained.
    ///
    /// # Blocking
    ///
    /// Each `next()` parks the calling thread until a value arrives.
    ///
    /// ```
    /// let (tx, rx) = ithaca_chan::unbounded();
    /// for i in 0..3 { tx.try_send(i).unwrap(); }
    /// drop(tx);
    /// assert_eq!(rx.iter().collect::<Vec<_>>(), [0, 1, 2]);
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self }
    }

    /// Iterates over what can be received without waiting.
    ///
    /// ```
    /// let (tx, rx) = ithaca_chan::unbounded();
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.try_iter().count(), 1);
    /// ```
    pub fn try_iter(&self) -> impl Iterator<Item = T> + '_ {
        std::iter::from_fn(move || self.try_recv().ok())
    }

    /// An async [`Stream`](futures_core::Stream) of received values (Go's `for v := range ch`
    /// in a goroutine); it ends when the channel is closed and drained.
    ///
    /// # Cancel safety
    ///
    /// Dropping the stream between items loses nothing; a value handed to a pending
    /// `next()` that is then dropped goes back to the channel.
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// use futures_lite::StreamExt;
    /// let (tx, rx) = ithaca_chan::unbounded();
    /// tx.send(1).await.unwrap();
    /// drop(tx);
    /// assert_eq!(rx.stream().collect::<Vec<_>>().await, [1]);
    /// # });
    /// ```
    #[track_caller]
    pub fn stream(&self) -> RecvStream<'_, T> {
        RecvStream {
            chan: &self.chan,
            wait: RecvWait::default(),
            location: Location::caller(),
        }
    }

    shared_methods!();
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.senders.fetch_add(1, Ordering::Relaxed);
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.chan.receivers.fetch_add(1, Ordering::Relaxed);
        Receiver {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.chan.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.chan.close();
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.chan.receivers.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.chan.close();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future of [`Sender::send`].
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'a, T> {
    chan: &'a Chan<T>,
    wait: SendWait<T>,
    deadline: Option<Instant>,
    location: &'static Location<'static>,
}

impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    // `always`: a shim over the wait's inline lock-free attempt (see `wait.rs`); left to
    // itself the compiler kept it out of line, a second frame on every operation.
    #[inline(always)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.wait
            .poll(this.chan, cx, this.deadline, this.location)
            .map(|r| r.map_err(|e| SendError(e.into_inner())))
    }
}

impl<T> Drop for SendFuture<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.wait.cancel(self.chan);
    }
}

/// The future of [`Sender::send_timeout`].
#[must_use = "futures do nothing unless polled"]
pub struct SendTimeoutFuture<'a, T>(SendFuture<'a, T>);

impl<T> Future for SendTimeoutFuture<'_, T> {
    type Output = Result<(), SendTimeoutError<T>>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let f = &mut self.0;
        f.wait.poll(f.chan, cx, f.deadline, f.location)
    }
}

/// The future of [`Receiver::recv`].
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture<'a, T> {
    chan: &'a Chan<T>,
    wait: RecvWait,
    deadline: Option<Instant>,
    location: &'static Location<'static>,
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Option<T>;

    // `always`: a shim over the wait's inline lock-free attempt (see `wait.rs`); left to
    // itself the compiler kept it out of line, a second frame on every operation.
    #[inline(always)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = &mut *self;
        this.wait
            .poll(this.chan, cx, this.deadline, this.location)
            .map(Result::ok)
    }
}

impl<T> Drop for RecvFuture<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.wait.cancel(self.chan);
    }
}

/// The future of [`Receiver::recv_timeout`].
#[must_use = "futures do nothing unless polled"]
pub struct RecvTimeoutFuture<'a, T>(RecvFuture<'a, T>);

impl<T> Future for RecvTimeoutFuture<'_, T> {
    type Output = Result<T, RecvTimeoutError>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let f = &mut self.0;
        f.wait.poll(f.chan, cx, f.deadline, f.location)
    }
}

/// The stream of [`Receiver::stream`].
#[must_use = "streams do nothing unless polled"]
pub struct RecvStream<'a, T> {
    chan: &'a Chan<T>,
    wait: RecvWait,
    location: &'static Location<'static>,
}

impl<T> futures_core::Stream for RecvStream<'_, T> {
    type Item = T;

    #[inline]
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = &mut *self;
        this.wait
            .poll(this.chan, cx, None, this.location)
            .map(Result::ok)
    }
}

impl<T> Drop for RecvStream<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.wait.cancel(self.chan);
    }
}

/// The blocking iterator of [`Receiver::iter`].
#[derive(Debug)]
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;

    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.rx.recv_blocking()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

/// The owning blocking iterator of `Receiver` (`for v in rx`).
#[derive(Debug)]
pub struct IntoIter<T> {
    rx: Receiver<T>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.rx.recv_blocking()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self }
    }
}
