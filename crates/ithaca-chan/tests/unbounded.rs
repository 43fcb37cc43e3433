//! Unbounded channels: a lock-free ring in front of a locked overflow list. These tests push
//! well past the ring's size (128 slots for small messages) so that values live in both
//! places, and check Go's channel rules across the boundary: FIFO, nothing lost or
//! duplicated, close drains everything, a cancelled receive's value goes back to the front.

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};
use std::thread;

use ithaca_chan::{unbounded, TryRecvError};

/// Far more than the ring holds, so most values overflow.
const MANY: u32 = 1_000;

#[test]
fn fifo_and_len_across_ring_and_overflow() {
    let (tx, rx) = unbounded::<u32>();
    let (mut next_send, mut next_recv) = (0u32, 0u32);
    // Bursts of sends larger than the ring, drained in smaller bites, so receives meet the
    // ring, the overflow and the switch back to the ring once the overflow is empty.
    for round in 0..20 {
        for _ in 0..(300 + round * 7) {
            tx.try_send(next_send).unwrap();
            next_send += 1;
        }
        assert_eq!(tx.len(), (next_send - next_recv) as usize);
        let bite = if round % 2 == 0 {
            250
        } else {
            next_send - next_recv
        };
        for _ in 0..bite {
            assert_eq!(rx.try_recv(), Ok(next_recv));
            next_recv += 1;
        }
    }
    while next_recv < next_send {
        assert_eq!(rx.try_recv(), Ok(next_recv));
        next_recv += 1;
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(rx.len(), 0);
}

#[test]
fn close_with_overflow_drains_everything() {
    let (tx, rx) = unbounded::<u32>();
    for v in 0..MANY {
        tx.try_send(v).unwrap();
    }
    tx.close();
    assert!(tx.try_send(MANY).is_err(), "send after close must fail");
    let got: Vec<u32> = rx.iter().collect();
    assert_eq!(got, (0..MANY).collect::<Vec<_>>());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

/// Producers on threads and tasks, one receiver: each producer's values arrive in its own
/// order, every value exactly once.
#[test]
fn per_sender_fifo_with_threads_and_tasks() {
    const PER: u32 = 50_000;
    let (tx, rx) = unbounded::<(u32, u32)>();
    let mut threads = Vec::new();
    for id in 0..3 {
        let tx = tx.clone();
        threads.push(thread::spawn(move || {
            for seq in 0..PER {
                tx.send_blocking((id, seq)).unwrap();
            }
        }));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let task = {
        let tx = tx.clone();
        rt.spawn(async move {
            for seq in 0..PER {
                tx.send((3, seq)).await.unwrap();
            }
        })
    };
    drop(tx);
    let mut next: HashMap<u32, u32> = HashMap::new();
    let mut count = 0u32;
    while let Some((id, seq)) = rx.recv_blocking() {
        let want = next.entry(id).or_insert(0);
        assert_eq!(seq, *want, "producer {id}: out of order");
        *want += 1;
        count += 1;
    }
    assert_eq!(count, 4 * PER);
    for t in threads {
        t.join().unwrap();
    }
    rt.block_on(task).unwrap();
}

/// Four producers, four consumers (threads and tasks): the count and sum of what arrives
/// equal what was sent.
#[test]
fn mpmc_counts_with_threads_and_tasks() {
    const PER: u64 = 50_000;
    let (tx, rx) = unbounded::<u64>();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let mut producers = Vec::new();
    for p in 0..4u64 {
        let tx = tx.clone();
        producers.push(thread::spawn(move || {
            for i in 0..PER {
                tx.send_blocking(p * PER + i).unwrap();
            }
        }));
    }
    drop(tx);
    let mut threads = Vec::new();
    for _ in 0..2 {
        let rx = rx.clone();
        threads.push(thread::spawn(move || {
            let (mut n, mut sum) = (0u64, 0u64);
            while let Some(v) = rx.recv_blocking() {
                n += 1;
                sum += v;
            }
            (n, sum)
        }));
    }
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let rx = rx.clone();
        tasks.push(rt.spawn(async move {
            let (mut n, mut sum) = (0u64, 0u64);
            while let Some(v) = rx.recv().await {
                n += 1;
                sum += v;
            }
            (n, sum)
        }));
    }
    drop(rx);
    for p in producers {
        p.join().unwrap();
    }
    let (mut n, mut sum) = (0u64, 0u64);
    for t in threads {
        let (a, b) = t.join().unwrap();
        n += a;
        sum += b;
    }
    for t in tasks {
        let (a, b) = rt.block_on(t).unwrap();
        n += a;
        sum += b;
    }
    let total = 4 * PER;
    assert_eq!(n, total);
    assert_eq!(sum, total * (total - 1) / 2);
}

/// A receive that a sender already served, cancelled while later values sit in the ring and
/// the overflow: its value goes back to the front, ahead of all of them.
#[test]
fn cancelled_receive_hands_back_ahead_of_overflow() {
    let (tx, rx) = unbounded::<u32>();
    let mut cx = Context::from_waker(Waker::noop());
    {
        let mut fut = pin!(rx.recv());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        // The first value goes to the queued receiver; the rest fill the ring and overflow.
        for v in 0..=MANY {
            tx.try_send(v).unwrap();
        }
    } // dropped without being polled again
    let got: Vec<u32> = (0..=MANY).map(|_| rx.try_recv().unwrap()).collect();
    assert_eq!(got, (0..=MANY).collect::<Vec<_>>());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}
