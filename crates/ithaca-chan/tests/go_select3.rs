//! Port of Go's `test/chan/select3.go`, the spec's table of what blocks and what does not:
//! nil channels block (alone or in a select), unless there is a `default`; a closed channel
//! never blocks a receive (it yields "closed"); a buffer with room never blocks a send and
//! one with a value never blocks a receive; `select {}` and a select of only nil cases block
//! forever; a select that sends and receives on the same unbuffered channel does not
//! rendezvous with itself and blocks.
//!
//! Written from the behaviour described in go-semantics.md §1.9 / §2.1, not copied. Go's
//! `testBlock(always, f)` waits 100 ms; here "always blocks" gives a wrong implementation
//! 50 ms to return (the blocked thread is leaked, as in Go), and "never blocks" must return.
//! Differs from Go: sends on a closed channel (plain or a chosen select case) return the
//! value in an error where Go panics; there is no nil channel value, only `None` arms.

mod common;

use std::time::Duration;

use ithaca_chan::{bounded, select, select_blocking, Receiver, Sender};

const PATIENCE: Duration = Duration::from_millis(50);
const NEVER_LIMIT: Duration = Duration::from_secs(10);

fn always_blocks(what: &str, f: impl FnOnce() + Send + 'static) {
    assert!(
        !common::returns_within(PATIENCE, f),
        "{what}: returned, but must block forever"
    );
}

fn never_blocks(what: &str, f: impl FnOnce() + Send + 'static) {
    assert!(
        common::returns_within(NEVER_LIMIT, f),
        "{what}: blocked, but must not"
    );
}

fn nil_rx() -> Option<&'static Receiver<i32>> {
    None
}

fn nil_tx() -> Option<&'static Sender<i32>> {
    None
}

fn closed() -> (Sender<i32>, Receiver<i32>) {
    let (tx, rx) = bounded(0);
    tx.close();
    (tx, rx)
}

#[test]
fn select3_nil_channels_block() {
    // Go: `<-nilch` and `nilch <- 7` block forever (a one-case select is the plain op).
    always_blocks(
        "receive from nil",
        || select_blocking! { recv(nil_rx()) -> _v => {} },
    );
    always_blocks(
        "send to nil",
        || select_blocking! { send(nil_tx(), 7) -> _r => {} },
    );
    // A nil case in a select with a channel that is never ready.
    always_blocks("select nil recv + idle", || {
        let (_tx, rx) = bounded::<i32>(0);
        select_blocking! {
            recv(nil_rx()) -> _v => {},
            recv(&rx) -> _v => {},
        }
    });
    always_blocks("select nil send + idle", || {
        let (_tx, rx) = bounded::<i32>(0);
        select_blocking! {
            send(nil_tx(), 7) -> _r => {},
            recv(&rx) -> _v => {},
        }
    });
    always_blocks("select with only nil cases", || {
        select_blocking! {
            recv(nil_rx()) -> _v => {},
            send(nil_tx(), 7) -> _r => {},
        }
    });
}

#[test]
fn select3_empty_select_blocks() {
    always_blocks("select {}", || select_blocking! {});
}

#[test]
fn select3_default_never_blocks() {
    never_blocks("select nil recv + default", || {
        let d = select_blocking! { recv(nil_rx()) -> _v => false, default => true };
        assert!(d, "a nil case was chosen");
    });
    never_blocks("select nil send + default", || {
        let d = select_blocking! { send(nil_tx(), 7) -> _r => false, default => true };
        assert!(d, "a nil case was chosen");
    });
    never_blocks("select default only", || select_blocking! { default => {} });
    never_blocks("select idle + default", || {
        let (_tx, rx) = bounded::<i32>(0);
        let d = select_blocking! { recv(&rx) -> _v => false, default => true };
        assert!(d);
    });
}

#[test]
fn select3_closed_channel_never_blocks_receive() {
    never_blocks("receive from closed", || {
        let (_tx, rx) = closed();
        assert_eq!(rx.recv_blocking(), None);
        assert_eq!(rx.recv_blocking(), None, "again");
    });
    never_blocks("range over closed", || {
        let (_tx, rx) = closed();
        assert_eq!(rx.iter().count(), 0);
    });
    never_blocks("select receive from closed", || {
        let (_tx, rx) = closed();
        assert_eq!(select_blocking! { recv(&rx) -> v => v }, None);
    });
    never_blocks("select closed + idle", || {
        let (_tx, rx) = closed();
        let (_itx, idle) = bounded::<i32>(0);
        let got = select_blocking! {
            recv(&idle) -> _v => Some(-1),
            recv(&rx) -> v => v,
        };
        assert_eq!(got, None);
    });
    never_blocks("select closed + default chooses closed", || {
        let (_tx, rx) = closed();
        let chose_closed = select_blocking! { recv(&rx) -> v => v.is_none(), default => false };
        assert!(chose_closed, "closed receive is ready: it beats default");
    });
}

#[test]
fn select3_closed_channel_send_does_not_block() {
    // Go panics here; ithaca returns the value.
    never_blocks("send to closed", || {
        let (tx, _rx) = closed();
        assert_eq!(tx.send_blocking(7).unwrap_err().into_inner(), 7);
    });
    never_blocks("select send to closed", || {
        let (tx, _rx) = closed();
        let r = select_blocking! { send(&tx, 7) -> r => r };
        assert_eq!(r.unwrap_err().into_inner(), 7);
    });
    never_blocks("select send to closed + default", || {
        let (tx, _rx) = closed();
        let r = select_blocking! { send(&tx, 7) -> r => Some(r), default => None };
        assert_eq!(r.expect("default taken").unwrap_err().into_inner(), 7);
    });
}

#[test]
fn select3_buffers() {
    never_blocks("send to buffer with room", || {
        let (tx, _rx) = bounded(1);
        tx.send_blocking(7).unwrap();
    });
    never_blocks("receive from buffer with a value", || {
        let (tx, rx) = bounded(1);
        tx.send_blocking(7).unwrap();
        assert_eq!(rx.recv_blocking(), Some(7));
    });
    never_blocks("select send to buffer with room", || {
        let (tx, _rx) = bounded(1);
        select_blocking! { send(&tx, 7) -> r => r.unwrap() }
    });
    never_blocks("select receive from buffer with a value", || {
        let (tx, rx) = bounded(1);
        tx.send_blocking(7).unwrap();
        assert_eq!(select_blocking! { recv(&rx) -> v => v }, Some(7));
    });
    always_blocks("send to full buffer", || {
        let (tx, _rx) = bounded(1);
        tx.send_blocking(7).unwrap();
        let _ = tx.send_blocking(8);
    });
    always_blocks("receive from empty buffer", || {
        let (_tx, rx) = bounded::<i32>(1);
        let _ = rx.recv_blocking();
    });
    always_blocks("send to unbuffered without receiver", || {
        let (tx, _rx) = bounded(0);
        let _ = tx.send_blocking(7);
    });
}

#[test]
fn select3_select_does_not_see_itself() {
    always_blocks("select send+recv on one unbuffered channel", || {
        let (tx, rx) = bounded::<i32>(0);
        select_blocking! {
            send(&tx, 1) -> _r => {},
            recv(&rx) -> _v => {},
        }
    });
}

/// The same table, in async code: blocking means the future stays pending.
#[test]
fn select3_async() {
    let rt = common::runtime(2);
    rt.block_on(async {
        let pending = |f: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>| async move {
            tokio::time::timeout(PATIENCE, f).await.is_err()
        };
        assert!(pending(Box::pin(async { select! {} })).await, "select {{}}");
        assert!(
            pending(Box::pin(async {
                select! { recv(nil_rx()) -> _v => {}, send(nil_tx(), 7) -> _r => {} }
            }))
            .await,
            "only nil cases"
        );
        assert!(
            pending(Box::pin(async {
                let (tx, rx) = bounded::<i32>(0);
                select! { send(&tx, 1) -> _r => {}, recv(&rx) -> _v => {} }
            }))
            .await,
            "self select"
        );
        let (_tx, rx) = closed();
        assert_eq!(select! { recv(&rx) -> v => v, default => Some(0) }, None);
        let d = select! { recv(nil_rx()) -> _v => false, default => true };
        assert!(d);
        let (tx, _rx) = closed();
        assert_eq!(tx.send(7).await.unwrap_err().into_inner(), 7);
    });
}
