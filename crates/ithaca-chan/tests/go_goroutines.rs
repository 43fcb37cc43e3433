//! Port of Go's `test/chan/goroutines.go`: a chain of many goroutines, each doing
//! `left <- <-right` over unbuffered channels; a 1 injected at the right end must come out
//! at the left. Checks mass creation, rendezvous along the chain, and teardown.
//!
//! Written from the behaviour described in go-semantics.md §2.1, not copied. Goroutines are
//! tokio tasks (10 000 of them, Go's default count); a thread version uses a shorter chain.

mod common;

use std::thread;

use ithaca_chan::bounded;

#[test]
fn goroutines_chain_of_10000_tasks() {
    let n = common::scaled(10_000);
    let rt = common::runtime(2);
    let got = rt.block_on(async move {
        let (leftmost_tx, leftmost) = bounded::<i32>(0);
        let mut left = leftmost_tx;
        let mut links = Vec::with_capacity(n);
        for _ in 0..n {
            let (right_tx, right) = bounded::<i32>(0);
            let l = left;
            links.push(tokio::spawn(async move {
                let v = right.recv().await.unwrap();
                l.send(v).await.unwrap();
            }));
            left = right_tx;
        }
        tokio::spawn(async move { left.send(1).await.unwrap() });
        let got = leftmost.recv().await;
        for l in links {
            l.await.unwrap();
        }
        got
    });
    assert_eq!(got, Some(1));
}

#[test]
fn goroutines_chain_of_threads() {
    let n = common::scaled(200);
    let (leftmost_tx, leftmost) = bounded::<i32>(0);
    let mut left = leftmost_tx;
    let mut links = Vec::with_capacity(n);
    for _ in 0..n {
        let (right_tx, right) = bounded::<i32>(0);
        let l = left;
        links.push(thread::spawn(move || {
            l.send_blocking(right.recv_blocking().unwrap()).unwrap()
        }));
        left = right_tx;
    }
    thread::spawn(move || left.send_blocking(1).unwrap());
    assert_eq!(leftmost.recv_blocking(), Some(1));
    for l in links {
        l.join().unwrap();
    }
}
