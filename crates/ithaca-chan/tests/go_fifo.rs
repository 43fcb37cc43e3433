//! Port of Go's `test/chan/fifo.go`: `AsynchFifo` (a buffered channel yields values in the
//! order sent) and `SynchFifo` (a daisy chain of goroutines, each allowed to receive only
//! after its predecessor has: parked receivers on an unbuffered channel are served in
//! arrival order and each gets the value meant for it).
//!
//! Written from the behaviour described in go-semantics.md §2.1, not copied.

mod common;

use std::thread;

use ithaca_chan::{bounded, Receiver, Sender};

const N: usize = 10;

#[test]
fn asynch_fifo() {
    let (tx, rx) = bounded(N);
    for i in 0..N {
        tx.send_blocking(i).unwrap();
    }
    for i in 0..N {
        assert_eq!(rx.recv_blocking(), Some(i), "AsynchFifo");
    }
}

/// Go's `Chain`: wait for the go-ahead, receive, check it is my value, pass the go-ahead on.
fn chain(ch: Receiver<usize>, val: usize, go_ahead: Receiver<()>, next: Sender<()>) {
    go_ahead.recv_blocking().unwrap();
    assert_eq!(ch.recv_blocking(), Some(val), "SynchFifo: out of order");
    next.send_blocking(()).unwrap();
}

#[test]
fn synch_fifo_threads() {
    for _ in 0..common::scaled(20) {
        let (tx, ch) = bounded::<usize>(0);
        let (start, mut go_ahead) = bounded::<()>(0);
        let mut links = Vec::new();
        for i in 0..N {
            let (next_tx, next_rx) = bounded::<()>(0);
            let (ch, prev) = (ch.clone(), go_ahead);
            links.push(thread::spawn(move || chain(ch, i, prev, next_tx)));
            go_ahead = next_rx;
        }
        start.send_blocking(()).unwrap();
        for i in 0..N {
            tx.send_blocking(i).unwrap();
        }
        go_ahead.recv_blocking().unwrap();
        for l in links {
            l.join().unwrap();
        }
    }
}

#[test]
fn synch_fifo_tasks() {
    let rt = common::runtime(2);
    rt.block_on(async {
        for _ in 0..common::scaled(20) {
            let (tx, ch) = bounded::<usize>(0);
            let (start, mut go_ahead) = bounded::<()>(0);
            let mut links = Vec::new();
            for i in 0..N {
                let (next_tx, next_rx) = bounded::<()>(0);
                let (ch, prev) = (ch.clone(), go_ahead);
                links.push(tokio::spawn(async move {
                    prev.recv().await.unwrap();
                    assert_eq!(ch.recv().await, Some(i), "SynchFifo: out of order");
                    next_tx.send(()).await.unwrap();
                }));
                go_ahead = next_rx;
            }
            start.send(()).await.unwrap();
            for i in 0..N {
                tx.send(i).await.unwrap();
            }
            go_ahead.recv().await.unwrap();
            for l in links {
                l.await.unwrap();
            }
        }
    });
}
