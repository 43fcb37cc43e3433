//! Port of Go's `test/chan/doubleselect.go`: a select with four send cases, repeated many
//! times, feeding four forwarding goroutines that merge into one channel. No value may be
//! delivered twice (two cases of one select firing) and — checked here too — none lost.
//!
//! Written from the behaviour described in go-semantics.md §2.1, not copied. Go closes the
//! four channels with `defer close`; here the sender closes them explicitly the same way.

mod common;

use std::thread;

use ithaca_chan::{bounded, select, select_blocking, Receiver, Sender};

fn check_exactly_once(n: usize, got: impl IntoIterator<Item = usize>) {
    let mut seen = vec![false; n];
    let mut count = 0;
    for v in got {
        assert!(!seen[v], "got duplicate value {v}");
        seen[v] = true;
        count += 1;
    }
    assert_eq!(count, n, "values lost");
}

#[test]
fn doubleselect_threads() {
    let n = common::scaled(10_000);
    let chans: Vec<(Sender<usize>, Receiver<usize>)> = (0..4).map(|_| bounded(0)).collect();
    let txs: Vec<Sender<usize>> = chans.iter().map(|c| c.0.clone()).collect();
    let sender = thread::spawn(move || {
        for i in 0..n {
            select_blocking! {
                send(&txs[0], i) -> r => r.unwrap(),
                send(&txs[1], i) -> r => r.unwrap(),
                send(&txs[2], i) -> r => r.unwrap(),
                send(&txs[3], i) -> r => r.unwrap(),
            }
        }
        for tx in &txs {
            tx.close();
        }
    });
    let (cmux_tx, cmux) = bounded::<usize>(0);
    let muxes: Vec<_> = chans
        .into_iter()
        .map(|(_, rx)| {
            let out = cmux_tx.clone();
            thread::spawn(move || {
                for v in &rx {
                    out.send_blocking(v).unwrap();
                }
            })
        })
        .collect();
    // Go closes cmux after four `done`s; here the muxes' senders drop when they finish.
    drop(cmux_tx);
    check_exactly_once(n, cmux.iter());
    sender.join().unwrap();
    for m in muxes {
        m.join().unwrap();
    }
}

#[test]
fn doubleselect_tasks() {
    let n = common::scaled(10_000);
    let rt = common::runtime(2);
    let got = rt.block_on(async move {
        let chans: Vec<(Sender<usize>, Receiver<usize>)> = (0..4).map(|_| bounded(0)).collect();
        let txs: Vec<Sender<usize>> = chans.iter().map(|c| c.0.clone()).collect();
        tokio::spawn(async move {
            for i in 0..n {
                select! {
                    send(&txs[0], i) -> r => r.unwrap(),
                    send(&txs[1], i) -> r => r.unwrap(),
                    send(&txs[2], i) -> r => r.unwrap(),
                    send(&txs[3], i) -> r => r.unwrap(),
                }
            }
            for tx in &txs {
                tx.close();
            }
        });
        let (cmux_tx, cmux) = bounded::<usize>(0);
        let (done_tx, done_rx) = bounded::<()>(0);
        for (_, rx) in chans {
            let (out, done) = (cmux_tx.clone(), done_tx.clone());
            tokio::spawn(async move {
                while let Some(v) = rx.recv().await {
                    out.send(v).await.unwrap();
                }
                done.send(()).await.unwrap();
            });
        }
        // Go's closer goroutine: four `<-done`, then close(cmux).
        let closer = cmux_tx.clone();
        drop((cmux_tx, done_tx));
        tokio::spawn(async move {
            for _ in 0..4 {
                done_rx.recv().await.unwrap();
            }
            assert!(closer.close(), "cmux closed before all muxes finished");
        });
        let mut got = Vec::with_capacity(n);
        while let Some(v) = cmux.recv().await {
            got.push(v);
        }
        got
    });
    check_exactly_once(n, got);
}
