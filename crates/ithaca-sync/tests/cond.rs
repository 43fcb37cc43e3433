//! Cond tests, mirroring Go's `src/sync/cond_test.go`.
mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use common::{eventually, rt, Signal};
use ithaca_sync::{Cond, Mutex};

/// Go `TestCondSignal`: n=2 waiters; each Signal wakes exactly one; a final Signal with no
/// waiters is a no-op.
#[test]
fn signal_wakes_exactly_one() {
    let s = Arc::new((Mutex::new(()), Cond::new()));
    let n = 2;
    let (running_tx, running_rx) = mpsc::channel();
    let (awake_tx, awake_rx) = mpsc::channel();
    for _ in 0..n {
        let (s, running_tx, awake_tx) = (s.clone(), running_tx.clone(), awake_tx.clone());
        std::thread::spawn(move || {
            let g = s.0.lock_blocking();
            running_tx.send(()).unwrap();
            let _g = s.1.wait_blocking(g);
            awake_tx.send(()).unwrap();
        });
    }
    for _ in 0..n {
        running_rx.recv().unwrap(); // wait for everyone to run
    }
    let mut left = n;
    while left > 0 {
        let g = s.0.lock_blocking(); // waiters are queued once they released the lock
        assert!(awake_rx.try_recv().is_err(), "thread ran without signal");
        s.1.signal();
        drop(g);
        awake_rx
            .recv_timeout(Duration::from_secs(5))
            .expect("no one woke");
        std::thread::sleep(Duration::from_millis(1));
        assert!(awake_rx.try_recv().is_err(), "too many threads awake");
        left -= 1;
    }
    s.1.signal();
}

/// Go `TestCondSignalGenerations`: 100 waiters queue one by one; after each Signal the woken
/// one is the oldest (FIFO).
#[test]
fn signal_generations_fifo() {
    let s = Arc::new((Mutex::new(()), Cond::new()));
    let n = 100;
    let (awake_tx, awake_rx) = mpsc::channel();
    let (running_tx, running_rx) = mpsc::channel();
    for i in 0..n {
        let (s1, awake_tx, running_tx) = (s.clone(), awake_tx.clone(), running_tx.clone());
        std::thread::spawn(move || {
            let g = s1.0.lock_blocking();
            running_tx.send(i).unwrap();
            let _g = s1.1.wait_blocking(g);
            awake_tx.send(i).unwrap();
        });
        if i > 0 {
            let a = awake_rx.recv().unwrap();
            assert_eq!(a, i - 1, "wrong goroutine woke up");
        }
        running_rx.recv().unwrap();
        let _g = s.0.lock_blocking(); // thread i is queued
        s.1.signal();
    }
    assert_eq!(awake_rx.recv().unwrap(), n - 1);
}

/// Go `TestCondBroadcast`: n waiters x rounds; each Broadcast wakes all of them, once each.
#[test]
fn broadcast_wakes_all_once() {
    let n = 50;
    let rounds = 30;
    let s = Arc::new((Mutex::new(0usize), Cond::new()));
    let (tx, rx) = mpsc::channel();
    let exited = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..n)
        .map(|id| {
            let (s, tx, exited) = (s.clone(), tx.clone(), exited.clone());
            std::thread::spawn(move || {
                let mut g = s.0.lock_blocking();
                for round in 0..rounds {
                    // Announce being about to wait in this round, then wait for it to change.
                    tx.send((id, round)).unwrap();
                    while *g == round {
                        g = s.1.wait_blocking(g);
                    }
                }
                exited.fetch_add(1, SeqCst);
            })
        })
        .collect();
    for round in 0..rounds {
        let mut seen = vec![false; n];
        for _ in 0..n {
            let (id, r) = rx.recv().unwrap();
            assert_eq!(r, round);
            assert!(!seen[id], "waiter {id} woke twice in round {round}");
            seen[id] = true;
        }
        // Everyone announced and releases the lock only inside wait: take it, advance, broadcast.
        let mut g = s.0.lock_blocking();
        eventually("all waiting", || s.1.waiters() == n);
        *g += 1;
        s.1.broadcast();
        drop(g);
    }
    hs.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(exited.load(SeqCst), n);
}

/// Go `TestCondSignalStealing`: a waiter already in Wait receives a Broadcast even if a new
/// waiter arrives concurrently.
#[test]
fn signal_stealing() {
    for _ in 0..200 {
        let s = Arc::new((Mutex::new(false), Cond::new()));
        let (tx, rx) = mpsc::channel();
        let s1 = s.clone();
        std::thread::spawn(move || {
            let g = s1.0.lock_blocking();
            tx.send(()).unwrap();
            let _g = s1.1.wait_blocking(g);
            tx.send(()).unwrap();
        });
        rx.recv().unwrap();
        let _g = s.0.lock_blocking(); // first waiter is queued now
        drop(_g);
        let s2 = s.clone();
        let late = std::thread::spawn(move || {
            let mut g = s2.0.lock_blocking();
            while !*g {
                g = s2.1.wait_blocking(g);
            }
        });
        let mut g = s.0.lock_blocking();
        s.1.broadcast();
        *g = true;
        drop(g);
        rx.recv_timeout(Duration::from_secs(2))
            .expect("first waiter didn't get broadcast");
        // Release the late one.
        while !late.is_finished() {
            s.1.broadcast();
            std::thread::yield_now();
        }
        late.join().unwrap();
    }
}

/// Async waits: FIFO signal order among tasks, timeout, cancel, and dropped-after-signal
/// futures pass the signal on.
#[test]
fn async_wait_timeout_cancel_pass_on() {
    rt().block_on(async {
        let s = Arc::new((Mutex::new(0), Cond::new()));
        let g = s.0.lock().await;
        let (g, r) = s.1.wait_timeout(g, Duration::from_millis(3)).await;
        assert!(r.is_err());
        let sig = Signal::new();
        sig.fire();
        let (g, r) = s.1.wait_or_cancel(g, &mut sig.arm()).await;
        assert!(r.is_err());
        drop(g);

        // A signalled-then-dropped wait passes the signal on.
        let g = s.0.lock().await;
        let mut fut1 = Box::pin(s.1.wait(g));
        assert!(futures_poll(&mut fut1).is_none()); // queued, mutex unlocked
        let s2 = s.clone();
        let second = tokio::spawn(async move {
            let g = s2.0.lock().await;
            let _g = s2.1.wait(g).await;
        });
        eventually("both queued", || s.1.waiters() == 2);
        s.1.signal(); // goes to fut1 (FIFO)...
        drop(fut1); // ...which drops: the signal passes to `second`
        tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("signal lost by a dropped wait")
            .unwrap();
    });
}

fn futures_poll<F: std::future::Future + Unpin>(f: &mut F) -> Option<F::Output> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::Pin::new(f).poll(&mut cx) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}

/// Thread wait with timeout returns Err and relocks; a signal within the time gives Ok.
#[test]
fn blocking_timeout_and_signal() {
    let s = Arc::new((Mutex::new(false), Cond::new()));
    let g = s.0.lock_blocking();
    let (g, r) = s.1.wait_timeout_blocking(g, Duration::from_millis(3));
    assert!(r.is_err());
    assert!(s.0.is_locked());
    drop(g);
    let s2 = s.clone();
    let t = std::thread::spawn(move || {
        let g = s2.0.lock_blocking();
        let (_g, r) = s2.1.wait_timeout_blocking(g, Duration::from_secs(30));
        r.is_ok()
    });
    eventually("queued", || s.1.waiters() == 1);
    s.1.signal();
    assert!(t.join().unwrap());
}
