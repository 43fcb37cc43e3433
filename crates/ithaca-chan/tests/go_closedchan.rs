//! Port of Go's `test/closedchan.go`: operations on a closed channel, unbuffered ("sync")
//! and buffered ("async", holding one value), through several implementations of each
//! operation — plain ops, a one-case select, a select with an extra never-ready case, and
//! the async (`.await`) forms. A receive returns the buffered value first, then "closed"
//! (Go's zero value and `ok == false`) without blocking, every time; a non-blocking receive
//! is *selected* (closed beats `default`); a send does not deliver.
//!
//! Written from the behaviour described in go-semantics.md §2.2, not copied.
//! Differs from Go: a send (plain or non-blocking) on a closed channel returns the value in an
//! error instead of panicking; closing twice returns `false` instead of panicking; Go's
//! `close(nil)` has no counterpart (there is no nil handle to close).

use futures_lite::future::block_on;
use ithaca_chan::{bounded, select, select_blocking, Receiver, Sender, TryRecvError, TrySendError};

/// How each operation is spelled.
#[derive(Clone, Copy, Debug)]
enum Impl {
    /// `recv_blocking` / `try_recv` / `send_blocking` / `try_send`.
    Plain,
    /// A one-case `select_blocking!` (plus `default` for the non-blocking forms).
    Select,
    /// As `Select`, with an extra case on a channel that is never ready.
    SelectDummy,
    /// `.await` forms and `select!` in async code.
    Async,
}

struct Chan {
    tx: Sender<i32>,
    rx: Receiver<i32>,
    how: Impl,
    dummy: Receiver<i32>,
    _dummy_tx: Sender<i32>,
}

impl Chan {
    fn new(tx: Sender<i32>, rx: Receiver<i32>, how: Impl) -> Chan {
        let (dtx, drx) = bounded(0);
        Chan {
            tx,
            rx,
            how,
            dummy: drx,
            _dummy_tx: dtx,
        }
    }

    /// A blocking receive: `Some(v)` or `None` for closed.
    fn recv(&self) -> Option<i32> {
        match self.how {
            Impl::Plain => self.rx.recv_blocking(),
            Impl::Select => select_blocking! { recv(&self.rx) -> v => v },
            Impl::SelectDummy => select_blocking! {
                recv(&self.rx) -> v => v,
                recv(&self.dummy) -> _v => panic!("dummy case chosen"),
            },
            Impl::Async => block_on(self.rx.recv()),
        }
    }

    /// A non-blocking receive: (value, selected).
    fn nbrecv(&self) -> (Option<i32>, bool) {
        match self.how {
            Impl::Plain => match self.rx.try_recv() {
                Ok(v) => (Some(v), true),
                Err(TryRecvError::Closed) => (None, true),
                Err(TryRecvError::Empty) => (None, false),
            },
            Impl::Select => select_blocking! {
                recv(&self.rx) -> v => (v, true),
                default => (None, false),
            },
            Impl::SelectDummy => select_blocking! {
                recv(&self.dummy) -> _v => panic!("dummy case chosen"),
                recv(&self.rx) -> v => (v, true),
                default => (None, false),
            },
            Impl::Async => block_on(async {
                select! {
                    recv(&self.rx) -> v => (v, true),
                    default => (None, false),
                }
            }),
        }
    }

    /// A blocking send: `Err(v)` if it did not deliver.
    fn send(&self, v: i32) -> Result<(), i32> {
        match self.how {
            Impl::Plain => self.tx.send_blocking(v).map_err(|e| e.into_inner()),
            Impl::Select => {
                select_blocking! { send(&self.tx, v) -> r => r.map_err(|e| e.into_inner()) }
            }
            Impl::SelectDummy => select_blocking! {
                recv(&self.dummy) -> _v => panic!("dummy case chosen"),
                send(&self.tx, v) -> r => r.map_err(|e| e.into_inner()),
            },
            Impl::Async => block_on(self.tx.send(v)).map_err(|e| e.into_inner()),
        }
    }

    /// A non-blocking send: `Ok(true)` sent, `Ok(false)` took default, `Err(v)` closed.
    fn nbsend(&self, v: i32) -> Result<bool, i32> {
        match self.how {
            Impl::Plain => match self.tx.try_send(v) {
                Ok(()) => Ok(true),
                Err(TrySendError::Full(_)) => Ok(false),
                Err(TrySendError::Closed(v)) => Err(v),
            },
            Impl::Select => select_blocking! {
                send(&self.tx, v) -> r => r.map(|()| true).map_err(|e| e.into_inner()),
                default => Ok(false),
            },
            Impl::SelectDummy => select_blocking! {
                send(&self.tx, v) -> r => r.map(|()| true).map_err(|e| e.into_inner()),
                recv(&self.dummy) -> _v => panic!("dummy case chosen"),
                default => Ok(false),
            },
            Impl::Async => block_on(async {
                select! {
                    send(&self.tx, v) -> r => r.map(|()| true).map_err(|e| e.into_inner()),
                    default => Ok(false),
                }
            }),
        }
    }
}

const IMPLS: [Impl; 4] = [Impl::Plain, Impl::Select, Impl::SelectDummy, Impl::Async];

fn closed_sync(how: Impl) -> Chan {
    let (tx, rx) = bounded(0);
    assert!(tx.close());
    Chan::new(tx, rx, how)
}

fn closed_async(how: Impl) -> Chan {
    let (tx, rx) = bounded(2);
    tx.send_blocking(1).unwrap();
    assert!(tx.close());
    Chan::new(tx, rx, how)
}

/// Go's `test1`: a closed, drained channel.
fn test1(c: &Chan) {
    for _ in 0..3 {
        assert_eq!(c.recv(), None, "{:?}: recv on closed", c.how);
        assert_eq!(
            c.nbrecv(),
            (None, true),
            "{:?}: nb recv on closed must be selected",
            c.how
        );
    }
    // Go panics on both sends; ithaca hands the value back and does not deliver it.
    assert_eq!(c.nbsend(1), Err(1), "{:?}: nb send on closed", c.how);
    assert_eq!(c.recv(), None, "{:?}: the value must be discarded", c.how);
    assert_eq!(c.send(2), Err(2), "{:?}: send on closed", c.how);
    assert_eq!(c.recv(), None, "{:?}: the value must be discarded", c.how);
    assert!(c.tx.is_closed() && c.rx.is_closed());
    assert_eq!(c.rx.len(), 0);
}

#[test]
fn closedchan_sync() {
    for how in IMPLS {
        test1(&closed_sync(how));
    }
}

#[test]
fn closedchan_async_buffered_value_first() {
    for how in IMPLS {
        // Go's testasync1/2: a blocking receive gets the buffered 1 first.
        let c = closed_async(how);
        assert_eq!(
            (c.rx.len(), c.rx.capacity()),
            (1, Some(2)),
            "len after close"
        );
        assert_eq!(c.recv(), Some(1), "{how:?}: recv buffered value");
        test1(&c);
        // Go's testasync3/4: so does a non-blocking one.
        let c = closed_async(how);
        assert_eq!(
            c.nbrecv(),
            (Some(1), true),
            "{how:?}: nb recv buffered value"
        );
        test1(&c);
    }
}

#[test]
fn closedchan_double_close() {
    // Go panics "close of closed channel"; ithaca returns false, from either side.
    let (tx, rx) = bounded::<i32>(0);
    assert!(tx.close());
    assert!(!tx.close());
    assert!(!rx.close());
    let (tx, rx) = bounded::<i32>(3);
    assert!(rx.close());
    assert!(!tx.close());
}
