//! WaitGroup tests, mirroring Go's `src/sync/waitgroup_test.go`.
mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use common::{eventually, panic_msg, rt, Signal};
use ithaca_core::Select;
use ithaca_sync::{Deadline, WaitGroup};

/// Go `TestWaitGroup` (`testWaitGroup`): n threads do `wg1.Done(); wg2.Wait()`; after
/// `wg1.Wait()` none may have passed `wg2.Wait()` until wg2's n `Done`s. Repeated 8x on the
/// same groups (reuse).
#[test]
fn barrier_and_reuse_threads() {
    let (wg1, wg2) = (WaitGroup::new(), WaitGroup::new());
    let n = 16;
    for _ in 0..8 {
        wg1.add(n);
        wg2.add(n);
        let exited = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..n)
            .map(|_| {
                let (wg1, wg2, exited) = (wg1.clone(), wg2.clone(), exited.clone());
                std::thread::spawn(move || {
                    wg1.done();
                    wg2.wait_blocking();
                    exited.fetch_add(1, SeqCst);
                })
            })
            .collect();
        wg1.wait_blocking();
        for _ in 0..n {
            std::thread::sleep(Duration::from_micros(50)); // give a wrong exit a chance
            assert_eq!(exited.load(SeqCst), 0, "a thread passed wg2.Wait too early");
            wg2.done();
        }
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(exited.load(SeqCst), n as usize);
    }
}

/// Go `TestWaitGroup`, async tasks.
#[test]
fn barrier_and_reuse_tasks() {
    rt().block_on(async {
        let (wg1, wg2) = (WaitGroup::new(), WaitGroup::new());
        let n = 16;
        for _ in 0..8 {
            wg1.add(n);
            wg2.add(n);
            let exited = Arc::new(AtomicUsize::new(0));
            let hs: Vec<_> = (0..n)
                .map(|_| {
                    let (wg1, wg2, exited) = (wg1.clone(), wg2.clone(), exited.clone());
                    tokio::spawn(async move {
                        wg1.done();
                        wg2.wait().await;
                        exited.fetch_add(1, SeqCst);
                    })
                })
                .collect();
            wg1.wait().await;
            for _ in 0..n {
                tokio::task::yield_now().await;
                assert_eq!(exited.load(SeqCst), 0);
                wg2.done();
            }
            for h in hs {
                h.await.unwrap();
            }
            assert_eq!(exited.load(SeqCst), n as usize);
        }
    });
}

/// Go `TestWaitGroupMisuse`: `Add(1); Done(); Done()` panics with exactly
/// `sync: negative WaitGroup counter`, and the panic names the caller's line.
#[test]
fn negative_counter_panics() {
    let wg = WaitGroup::new();
    wg.add(1);
    wg.done();
    let line = line!() + 1;
    let r = std::panic::catch_unwind(|| wg.done());
    let msg = panic_msg(&*r.unwrap_err());
    assert_eq!(msg, "sync: negative WaitGroup counter");
    // The group is left unchanged (counter 0) and usable.
    assert_eq!(wg.count(), 0);
    wg.add(1);
    wg.done();
    wg.wait_blocking();
    // The location: a panic hook sees the caller's file and line.
    let seen = Arc::new(std::sync::Mutex::new(None));
    let s2 = seen.clone();
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        *s2.lock().unwrap() = info.location().map(|l| (l.file().to_string(), l.line()));
    }));
    let line2 = line!() + 1;
    let _ = std::panic::catch_unwind(|| wg.add(-1));
    std::panic::set_hook(prev);
    let (file, l) = seen.lock().unwrap().clone().unwrap();
    assert!(
        file.ends_with("waitgroup.rs") && file.contains("tests"),
        "{file}"
    );
    assert_eq!(l, line2);
    let _ = line;
}

/// Go `TestWaitGroupRace`: 1000x two threads increment and Done; after Wait the count must be
/// 2 (no early wake-up).
#[test]
fn no_early_wakeup() {
    for _ in 0..300 {
        let wg = WaitGroup::new();
        let n = Arc::new(AtomicUsize::new(0));
        wg.add(2);
        for _ in 0..2 {
            let (wg, n) = (wg.clone(), n.clone());
            std::thread::spawn(move || {
                n.fetch_add(1, SeqCst);
                wg.done();
            });
        }
        wg.wait_blocking();
        assert_eq!(n.load(SeqCst), 2);
    }
}

/// Several thread waiters, the timeout / cancel forms and the select Arm of Wait.
#[test]
fn many_waiters_and_arm() {
    let wg = WaitGroup::new();
    wg.add(1);
    let passed = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..4)
        .map(|_| {
            let (wg, passed) = (wg.clone(), passed.clone());
            std::thread::spawn(move || {
                wg.wait_blocking();
                passed.fetch_add(1, SeqCst);
            })
        })
        .collect();
    // Timeout / cancel forms.
    assert!(wg.wait_timeout_blocking(Duration::from_millis(5)).is_err());
    let sig = Signal::new();
    sig.fire();
    assert!(wg.wait_or_cancel_blocking(&mut sig.arm()).is_err());
    // The Arm: not ready while counter is 1.
    let mut arm = wg.wait_arm();
    let mut dl = Deadline::after(Duration::from_millis(5));
    assert_eq!(Select::new(&mut [&mut arm, &mut dl]).wait(), Some(1));
    std::thread::sleep(Duration::from_millis(2));
    assert_eq!(passed.load(SeqCst), 0);
    wg.done();
    hs.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(passed.load(SeqCst), 4);
    let mut arm = wg.wait_arm();
    assert_eq!(Select::new(&mut [&mut arm]).wait(), Some(0));
}

/// Dropping queued async waits many times leaves no entry behind and loses nothing.
#[test]
fn cancelled_async_waits() {
    rt().block_on(async {
        let wg = WaitGroup::new();
        wg.add(1);
        for _ in 0..200 {
            let r = tokio::time::timeout(Duration::from_micros(10), wg.wait()).await;
            assert!(r.is_err());
        }
        assert!(wg.wait_timeout(Duration::from_millis(2)).await.is_err());
        let wg2 = wg.clone();
        let h = tokio::spawn(async move { wg2.wait().await });
        wg.done();
        h.await.unwrap();
    });
    let wg = WaitGroup::new();
    eventually("zero", || wg.count() == 0);
}
