//! Stateful goroutines: one goroutine owns the state; the others ask it over channels.
//!
//! The Go original:
//!
//! ```go
//! type readOp struct { key int; resp chan int }
//! type writeOp struct { key, val int; resp chan bool }
//! go func() {
//!     state := map[int]int{}
//!     for { select {
//!         case read := <-reads:   read.resp <- state[read.key]
//!         case write := <-writes: state[write.key] = write.val; write.resp <- true } }
//! }()
//! ```
//!
//! "Share memory by communicating": no mutex, because only the owner touches the map.
//! Each request carries its own reply channel. In ithaca the owner can also tell when every
//! client is gone: both request channels close when their last sender is dropped, and the
//! owner returns the final state instead of running forever.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;

use ithaca::chan::{bounded, Sender};
use ithaca::{go, select};

struct ReadOp {
    key: u32,
    resp: Sender<u32>,
}

struct WriteOp {
    key: u32,
    val: u32,
    resp: Sender<bool>,
}

#[ithaca::main]
async fn main() {
    let read_ops = Arc::new(AtomicU64::new(0));
    let write_ops = Arc::new(AtomicU64::new(0));
    let (reads_tx, reads) = bounded::<ReadOp>(0);
    let (writes_tx, writes) = bounded::<WriteOp>(0);

    // The owner of the state.
    let owner = go!(async move {
        let mut state: HashMap<u32, u32> = HashMap::new();
        let (mut reads_open, mut writes_open) = (true, true);
        while reads_open || writes_open {
            select! {
                recv(reads_open.then_some(&reads)) -> read => match read {
                    Some(read) => {
                        let _ = read.resp.send(state.get(&read.key).copied().unwrap_or(0)).await;
                    }
                    None => reads_open = false, // like setting a Go channel to nil
                },
                recv(writes_open.then_some(&writes)) -> write => match write {
                    Some(write) => {
                        state.insert(write.key, write.val);
                        let _ = write.resp.send(true).await;
                    }
                    None => writes_open = false,
                },
            }
        }
        state
    });

    // 100 readers, 100 reads each.
    let mut clients = Vec::new();
    for _ in 0..100 {
        let (reads_tx, read_ops) = (reads_tx.clone(), read_ops.clone());
        clients.push(go!(async move {
            for i in 0..100u32 {
                let (resp, resp_rx) = bounded(1);
                reads_tx.send(ReadOp { key: i % 5, resp }).await.unwrap();
                resp_rx.recv().await.unwrap();
                read_ops.fetch_add(1, SeqCst);
            }
        }));
    }
    // 10 writers, 100 writes each; writer w writes only key w % 5, always the value w.
    for w in 0..10u32 {
        let (writes_tx, write_ops) = (writes_tx.clone(), write_ops.clone());
        clients.push(go!(async move {
            for _ in 0..100 {
                let (resp, resp_rx) = bounded(1);
                let op = WriteOp {
                    key: w % 5,
                    val: w,
                    resp,
                };
                writes_tx.send(op).await.unwrap();
                resp_rx.recv().await.unwrap();
                write_ops.fetch_add(1, SeqCst);
            }
        }));
    }
    drop((reads_tx, writes_tx)); // main keeps no senders: the clients hold the last ones
    for c in clients {
        c.await.unwrap();
    }

    println!("readOps: {}", read_ops.load(SeqCst));
    println!("writeOps: {}", write_ops.load(SeqCst));
    let state = owner.await.unwrap();
    let mut keys: Vec<_> = state.keys().copied().collect();
    keys.sort();
    println!("the owner returned its state: keys {keys:?}");
    // Key k was written only by writers k and k + 5.
    let ok = state.iter().all(|(k, v)| *v == *k || *v == *k + 5);
    println!("every value came from a writer of that key: {ok}");
}
