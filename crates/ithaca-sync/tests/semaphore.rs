//! Weighted semaphore tests, mirroring `golang.org/x/sync/semaphore/semaphore_test.go`.
mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use common::{eventually, panic_msg, rt, Signal};
use ithaca_core::Select;
use ithaca_sync::{AcquireError, Deadline, Semaphore};

/// x/sync `TestWeighted`: workers i = 1..=n hammer Acquire(i)/Release(i) with short random
/// sleeps; the in-use total never exceeds the size.
#[test]
fn weighted_hammer() {
    let n = 4;
    let sem = Arc::new(Semaphore::new(n));
    let in_use = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (1..=n)
        .map(|i| {
            let (sem, in_use) = (sem.clone(), in_use.clone());
            std::thread::spawn(move || {
                for k in 0..2000 / n {
                    sem.acquire_blocking(i).unwrap();
                    let now = in_use.fetch_add(i, SeqCst) + i;
                    assert!(now <= n, "in use {now} > size {n}");
                    if k % 50 == 0 {
                        std::thread::sleep(Duration::from_micros(
                            ithaca_core::rng::below(200) as u64
                        ));
                    }
                    in_use.fetch_sub(i, SeqCst);
                    sem.release(i);
                }
            })
        })
        .collect();
    hs.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(sem.available(), n);
}

/// x/sync `TestWeightedPanic`: releasing an unacquired weight panics with
/// `semaphore: released more than held`.
#[test]
fn over_release_panics() {
    let s = Semaphore::new(1);
    let r = std::panic::catch_unwind(|| s.release(1));
    assert_eq!(
        panic_msg(&*r.unwrap_err()),
        "semaphore: released more than held"
    );
    assert_eq!(s.available(), 1);
}

/// x/sync `TestWeightedTryAcquire`.
#[test]
fn try_acquire_sequence() {
    let s = Semaphore::new(2);
    let mut tries = vec![];
    s.acquire_blocking(1).unwrap();
    tries.push(s.try_acquire(1));
    tries.push(s.try_acquire(1));
    s.release(2);
    tries.push(s.try_acquire(1));
    s.acquire_blocking(1).unwrap();
    tries.push(s.try_acquire(1));
    assert_eq!(tries, [true, false, true, false]);
}

/// x/sync `TestWeightedAcquire`: the same with a 10 ms timeout acquire.
#[test]
fn acquire_with_timeout_sequence() {
    let s = Semaphore::new(2);
    let t = || {
        s.acquire_timeout_blocking(1, Duration::from_millis(10))
            .is_ok()
    };
    let mut tries = vec![];
    s.acquire_blocking(1).unwrap();
    tries.push(t());
    tries.push(t());
    s.release(2);
    tries.push(t());
    s.acquire_blocking(1).unwrap();
    tries.push(t());
    assert_eq!(tries, [true, false, true, false]);
}

/// x/sync `TestWeightedDoesntBlockIfTooBig`: an acquire larger than the size fails at once
/// (our rule) and does not block the others.
#[test]
fn too_big_fails_and_does_not_block_others() {
    let s = Semaphore::new(1);
    assert_eq!(
        s.acquire_blocking(2),
        Err(AcquireError::TooLarge {
            requested: 2,
            size: 1
        })
    );
    assert!(!s.try_acquire(2));
    // As a select arm it is simply never ready and blocks nobody.
    let mut big = s.acquire_arm(2);
    let mut dl = Deadline::after(Duration::from_millis(3));
    assert_eq!(Select::new(&mut [&mut big, &mut dl]).wait(), Some(1));
    rt().block_on(async {
        assert!(s.acquire(5).await.is_err());
        s.acquire(1).await.unwrap();
        s.release(1);
    });
}

/// x/sync `TestLargeAcquireDoesntStarve`: Acquire(n) while n threads churn Acquire(1) must
/// eventually succeed (FIFO, no barging).
#[test]
fn large_acquire_does_not_starve() {
    let n = 3;
    let s = Arc::new(Semaphore::new(n));
    let running = Arc::new(AtomicBool::new(true));
    s.acquire_blocking(n).unwrap(); // take all, start churners, then release
    let hs: Vec<_> = (0..n)
        .map(|_| {
            let (s, running) = (s.clone(), running.clone());
            std::thread::spawn(move || {
                while running.load(SeqCst) {
                    s.acquire_blocking(1).unwrap();
                    std::hint::spin_loop();
                    s.release(1);
                }
            })
        })
        .collect();
    s.release(n);
    std::thread::sleep(Duration::from_millis(2));
    s.acquire_timeout_blocking(n, Duration::from_secs(5))
        .expect("large acquire starved");
    running.store(false, SeqCst);
    s.release(n);
    hs.into_iter().for_each(|h| h.join().unwrap());
}

/// x/sync `TestAllocCancelDoesntStarve`: cancelling the head waiter (Acquire(10)) lets the
/// small waiter queued behind it in.
#[test]
fn cancelled_head_wakes_those_behind() {
    let s = Arc::new(Semaphore::new(10));
    s.acquire_blocking(1).unwrap(); // 9 left: Acquire(10) must queue
    let sig = Signal::new();
    let (s2, sig2) = (s.clone(), sig.clone());
    let big = std::thread::spawn(move || s2.acquire_or_cancel_blocking(10, &mut sig2.arm()));
    eventually("big queued", || {
        // try_acquire fails once anybody is queued; give back what it took before that.
        let got = s.try_acquire(1);
        if got {
            s.release(1);
        }
        !got
    });
    let s3 = s.clone();
    let small = std::thread::spawn(move || s3.acquire_blocking(1));
    std::thread::sleep(Duration::from_millis(2));
    assert!(
        !small.is_finished(),
        "small overtook the queued large acquire"
    );
    sig.fire();
    assert_eq!(big.join().unwrap(), Err(AcquireError::Cancelled));
    small
        .join()
        .unwrap()
        .expect("small not woken after head cancelled");
    s.release(2);
    assert_eq!(s.available(), 10);
}

/// x/sync `TestWeightedAcquireCanceled` (#63615): an already-done cancel fails even when
/// tokens are free, and a cancelled acquire leaves the count unchanged.
#[test]
fn cancelled_acquire_leaves_state() {
    let s = Semaphore::new(2);
    let sig = Signal::new();
    sig.fire();
    assert_eq!(
        s.acquire_or_cancel_blocking(1, &mut sig.arm()),
        Err(AcquireError::Cancelled)
    );
    assert_eq!(s.available(), 2);
    s.acquire_blocking(2).unwrap();
    let mut dl = Deadline::after(Duration::from_millis(3));
    assert!(s.acquire_or_cancel_blocking(1, &mut dl).is_err());
    s.release(2);
    assert_eq!(s.available(), 2);
}

/// Dropped async acquire futures (many, at random points, racing with releases) never lose
/// or leak tokens.
#[test]
fn dropped_acquire_futures_lose_nothing() {
    rt().block_on(async {
        let s = Arc::new(Semaphore::new(3));
        let stop = Arc::new(AtomicBool::new(false));
        let churn: Vec<_> = (0..2)
            .map(|i| {
                let (s, stop) = (s.clone(), stop.clone());
                tokio::spawn(async move {
                    while !stop.load(SeqCst) {
                        s.acquire(i + 1).await.unwrap();
                        tokio::task::yield_now().await;
                        s.release(i + 1);
                    }
                })
            })
            .collect();
        for i in 0..2000u64 {
            let d = Duration::from_nanos(i % 7 * 700);
            let n = (i % 3 + 1) as usize;
            if let Ok(Ok(())) = tokio::time::timeout(d, s.acquire(n)).await {
                s.release(n);
            }
            if i % 100 == 0 {
                let mut dl = Deadline::after(Duration::from_micros(i % 50));
                if s.acquire_or_cancel(n, &mut dl).await.is_ok() {
                    s.release(n);
                }
            }
        }
        stop.store(true, SeqCst);
        for h in churn {
            h.await.unwrap();
        }
        tokio::time::timeout(Duration::from_secs(5), s.acquire(3))
            .await
            .expect("tokens lost")
            .unwrap();
        s.release(3);
        assert_eq!(s.available(), 3);
    });
}
