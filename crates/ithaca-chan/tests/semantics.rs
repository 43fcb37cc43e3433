//! Go channel rules (reference: go-semantics.md §1), one test per rule, from threads.
//! Where ithaca deliberately differs from Go the test says so in one line.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use ithaca_chan::{bounded, unbounded, RecvTimeoutError, TryRecvError, TrySendError};

/// Polls `cond` until it holds, for at most 5 s.
fn eventually(mut cond: impl FnMut() -> bool) {
    for _ in 0..5000 {
        if cond() {
            return;
        }
        thread::sleep(Duration::from_millis(1));
    }
    panic!("condition never held");
}

#[test]
fn ch01_unbuffered_send_waits_for_receiver() {
    let (tx, rx) = bounded::<i32>(0);
    assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    let t = thread::spawn(move || {
        tx.send_blocking(5).unwrap();
        d.store(1, Ordering::SeqCst);
    });
    // Give a wrong implementation a chance to complete the send without a receiver.
    thread::sleep(Duration::from_millis(20));
    assert_eq!(
        done.load(Ordering::SeqCst),
        0,
        "rendezvous send returned before a receive"
    );
    assert_eq!(rx.recv_blocking(), Some(5));
    t.join().unwrap();
    assert_eq!(done.load(Ordering::SeqCst), 1);
}

#[test]
fn ch02_buffered_sends_do_not_block_until_full() {
    let (tx, rx) = bounded(3);
    for i in 0..3 {
        tx.try_send(i).unwrap();
    }
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    assert_eq!((tx.len(), tx.capacity()), (3, Some(3)));
    assert_eq!(rx.try_recv(), Ok(0));
}

#[test]
fn ch04_zero_sized_messages() {
    let (tx, rx) = bounded::<()>(0);
    let t = thread::spawn(move || {
        for _ in 0..1000 {
            tx.send_blocking(()).unwrap();
        }
    });
    assert_eq!(rx.iter().count(), 1000);
    t.join().unwrap();
    let (tx, rx) = bounded::<[u8; 0]>(10);
    tx.try_send([]).unwrap();
    assert_eq!(rx.len(), 1);
}

#[test]
fn ch13_send_on_closed_returns_value() {
    // Differs from Go: Go panics "send on closed channel"; ithaca hands the value back.
    let (tx, rx) = bounded::<String>(1);
    assert!(tx.close());
    let err = tx.send_blocking("v".into()).unwrap_err();
    assert_eq!(err.to_string(), "send on closed channel");
    assert_eq!(err.into_inner(), "v");
    assert_eq!(
        tx.try_send("w".into()),
        Err(TrySendError::Closed("w".into()))
    );
    assert_eq!(rx.recv_blocking(), None);
}

#[test]
fn ch14_blocked_sender_wakes_on_close_with_its_value() {
    let (tx, rx) = bounded::<i32>(0);
    let t = thread::spawn(move || tx.send_blocking(9));
    eventually(|| rx.waiting().1 == 1);
    rx.close();
    assert_eq!(t.join().unwrap().unwrap_err().into_inner(), 9);
}

#[test]
fn ch22_closed_channel_drains_then_reports_closed() {
    let (tx, rx) = bounded(3);
    tx.try_send(1).unwrap();
    tx.close();
    assert_eq!(
        rx.len(),
        1,
        "len still counts buffered values after close (CH-41)"
    );
    assert_eq!(rx.recv_blocking(), Some(1));
    assert_eq!(rx.recv_blocking(), None);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn ch24_close_wakes_all_blocked_receivers() {
    let (tx, rx) = bounded::<i32>(0);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let rx = rx.clone();
            thread::spawn(move || rx.recv_blocking())
        })
        .collect();
    eventually(|| tx.waiting().0 == 4);
    tx.close();
    for t in threads {
        assert_eq!(t.join().unwrap(), None);
    }
}

#[test]
fn ch26_full_buffer_with_blocked_senders_keeps_global_fifo() {
    // Go: cap 2 full (100, 101) plus parked senders 0, 1, 2 receive as [100 101 0 1 2].
    let (tx, rx) = bounded(2);
    tx.try_send(100).unwrap();
    tx.try_send(101).unwrap();
    let mut senders = Vec::new();
    for i in 0..3 {
        let tx = tx.clone();
        senders.push(thread::spawn(move || tx.send_blocking(i).unwrap()));
        eventually(|| rx.waiting().1 == i as usize + 1);
    }
    let got: Vec<i32> = (0..5).map(|_| rx.recv_blocking().unwrap()).collect();
    assert_eq!(got, [100, 101, 0, 1, 2]);
    for s in senders {
        s.join().unwrap();
    }
}

/// A capacity whose ring would exceed 1 MiB keeps its values in a buffer that grows on
/// demand under the lock (a different code path from small buffers): same rules.
#[test]
fn ch26_large_buffer_full_then_fifo_with_blocked_sender() {
    const CAP: usize = 20_000; // 20,000 slots of 72 bytes: over the ring's 1 MiB
    let (tx, rx) = bounded::<[u64; 8]>(CAP);
    for i in 0..CAP as u64 {
        tx.try_send([i; 8]).unwrap();
    }
    assert_eq!(tx.len(), CAP);
    assert!(matches!(tx.try_send([0; 8]), Err(TrySendError::Full(_))));
    let tx2 = tx.clone();
    let parked = thread::spawn(move || tx2.send_blocking([u64::MAX; 8]).unwrap());
    eventually(|| rx.waiting().1 == 1);
    for i in 0..CAP as u64 {
        assert_eq!(rx.recv_blocking(), Some([i; 8]));
    }
    assert_eq!(
        rx.recv_blocking(),
        Some([u64::MAX; 8]),
        "the parked sender's value is last"
    );
    parked.join().unwrap();
}

#[test]
fn ch27_nonblocking_recv_on_closed_prefers_data() {
    let (tx, rx) = bounded(1);
    tx.try_send(1).unwrap();
    drop(tx);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn ch40_len_and_cap() {
    let (tx, _rx) = bounded::<u8>(0);
    assert_eq!((tx.len(), tx.capacity()), (0, Some(0)));
    let (tx, _rx) = unbounded::<u8>();
    assert_eq!(tx.capacity(), None);
}

#[test]
#[should_panic(expected = "makechan: size out of range")]
fn ch03_oversized_capacity_panics_with_go_message() {
    let _ = bounded::<u64>(usize::MAX / 2);
}

#[test]
fn ch50_fifo_per_sender_every_capacity() {
    for cap in [0usize, 1, 2, 10, 100] {
        let (tx, rx) = bounded(cap);
        let t = thread::spawn(move || {
            for i in 0..200 {
                tx.send_blocking(i).unwrap();
            }
        });
        let got: Vec<i32> = rx.iter().collect();
        assert_eq!(got, (0..200).collect::<Vec<_>>(), "cap {cap}");
        t.join().unwrap();
    }
}

#[test]
fn ch51_blocked_receivers_served_in_arrival_order() {
    let (tx, rx) = bounded::<i32>(0);
    let (order_tx, order_rx) = unbounded::<(usize, i32)>();
    let mut threads = Vec::new();
    for k in 0..5 {
        let rx = rx.clone();
        let order_tx = order_tx.clone();
        let rx_probe = tx.clone();
        threads.push(thread::spawn(move || {
            let v = rx.recv_blocking().unwrap();
            order_tx.send_blocking((k, v)).unwrap();
        }));
        eventually(|| rx_probe.waiting().0 == k + 1);
    }
    for v in 0..5 {
        tx.send_blocking(v * 10).unwrap();
    }
    for t in threads {
        t.join().unwrap();
    }
    drop(order_tx);
    let mut got: Vec<_> = order_rx.iter().collect();
    got.sort();
    assert_eq!(got, [(0, 0), (1, 10), (2, 20), (3, 30), (4, 40)]);
}

#[test]
fn drop_of_last_sender_closes() {
    let (tx, rx) = bounded::<i32>(0);
    let tx2 = tx.clone();
    drop(tx);
    assert!(!rx.is_closed());
    drop(tx2);
    assert!(rx.is_closed());
    assert_eq!(rx.recv_blocking(), None);
}

#[test]
fn drop_of_last_receiver_closes_and_wakes_sender() {
    let (tx, rx) = bounded::<i32>(0);
    let t = thread::spawn(move || tx.send_blocking(1));
    eventually(|| rx.waiting().1 == 1);
    drop(rx);
    assert_eq!(t.join().unwrap().unwrap_err().into_inner(), 1);
}

#[test]
fn timeouts_expire_and_give_values_back() {
    let (tx, rx) = bounded::<i32>(0);
    assert_eq!(
        rx.recv_blocking_timeout(Duration::from_millis(5)),
        Err(RecvTimeoutError::Timeout)
    );
    let err = tx
        .send_blocking_timeout(3, Duration::from_millis(5))
        .unwrap_err();
    assert_eq!(err.into_inner(), 3);
    // Nothing was left behind by the timed-out operations.
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(tx.try_send(4), Err(TrySendError::Full(4)));
}

#[test]
fn mpmc_threads_move_every_message_once() {
    const N: usize = 20_000;
    for cap in [0usize, 1, 64] {
        let (tx, rx) = bounded::<usize>(cap);
        let sum = Arc::new(AtomicUsize::new(0));
        let count = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(8));
        let mut hs = Vec::new();
        for p in 0..4 {
            let tx = tx.clone();
            let start = start.clone();
            hs.push(thread::spawn(move || {
                start.wait();
                for i in 0..N {
                    tx.send_blocking(p * N + i).unwrap();
                }
            }));
        }
        for _ in 0..4 {
            let rx = rx.clone();
            let (sum, count, start) = (sum.clone(), count.clone(), start.clone());
            hs.push(thread::spawn(move || {
                start.wait();
                for v in rx.iter() {
                    sum.fetch_add(v, Ordering::Relaxed);
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        drop((tx, rx));
        for h in hs {
            h.join().unwrap();
        }
        let n = 4 * N;
        assert_eq!(count.load(Ordering::Relaxed), n, "cap {cap}");
        assert_eq!(sum.load(Ordering::Relaxed), n * (n - 1) / 2, "cap {cap}");
    }
}

#[test]
fn blocking_call_inside_a_goroutine_is_refused_clearly() {
    // A blocking receive inside a goroutine would park a runtime worker; it panics instead,
    // before registering anything on the channel.
    struct Goroutine;
    impl ithaca_core::diag::WaitObserver for Goroutine {
        fn on_wait(&self, _: ithaca_core::diag::WaitNote) {}
    }
    let (tx, rx) = bounded::<i32>(0);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ithaca_core::diag::observe(&Goroutine, || rx.recv_blocking())
    }));
    let payload = r.unwrap_err();
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap();
    assert!(msg.contains("inside a goroutine"), "{msg}");
    assert_eq!(rx.waiting(), (0, 0), "nothing was left registered");
    assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
}
