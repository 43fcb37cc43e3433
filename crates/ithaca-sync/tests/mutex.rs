//! Mutex tests, mirroring Go's `src/sync/mutex_test.go`, plus cancellation properties.
mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{rt, Signal};
use ithaca_core::Select;
use ithaca_sync::{Deadline, Mutex};

/// Go `TestMutex`: TryLock fails while locked and succeeds when unlocked; then 10 threads x
/// 1000 Lock/Unlock, every third iteration a TryLock; the protected counter stays exact.
#[test]
fn try_lock_and_hammer_threads() {
    let m = Arc::new(Mutex::new(0u64));
    let g = m.lock_blocking();
    assert!(
        m.try_lock().is_none(),
        "TryLock succeeded with mutex locked"
    );
    drop(g);
    assert!(m.try_lock().is_some(), "TryLock failed with mutex unlocked");

    let iters = 1000;
    let hs: Vec<_> = (0..10)
        .map(|_| {
            let m = m.clone();
            std::thread::spawn(move || {
                let mut done = 0;
                for i in 0..iters {
                    if i % 3 == 0 {
                        if let Some(mut g) = m.try_lock() {
                            *g += 1;
                            done += 1;
                        }
                        continue;
                    }
                    let mut g = m.lock_blocking();
                    let v = *g;
                    std::hint::black_box(&v);
                    *g = v + 1;
                    done += 1;
                }
                done
            })
        })
        .collect();
    let total: u64 = hs.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(*m.lock_blocking(), total);
}

/// Go `TestMutex` for tasks: mutual exclusion held across `.await`, tasks and threads mixed.
#[test]
fn mutual_exclusion_tasks_and_threads() {
    let m = Arc::new(Mutex::new(0u64));
    let inside = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (m, inside) = (m.clone(), inside.clone());
            std::thread::spawn(move || {
                for _ in 0..500 {
                    let mut g = m.lock_blocking();
                    assert!(!inside.swap(true, SeqCst), "two holders at once");
                    *g += 1;
                    inside.store(false, SeqCst);
                }
            })
        })
        .collect();
    rt().block_on(async {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let (m, inside) = (m.clone(), inside.clone());
                tokio::spawn(async move {
                    for _ in 0..500 {
                        let mut g = m.lock().await;
                        assert!(!inside.swap(true, SeqCst), "two holders at once");
                        tokio::task::yield_now().await; // held across an await
                        *g += 1;
                        inside.store(false, SeqCst);
                    }
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
    });
    threads.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(*m.lock_blocking(), 3000);
}

/// Go `TestMutexFairness`: one thread holds the lock in a loop (Lock; sleep 100us; Unlock);
/// another must acquire it 10 times within 10 s (starvation mode hands it over).
#[test]
fn fairness_no_starvation() {
    let m = Arc::new(Mutex::new(()));
    let stop = Arc::new(AtomicBool::new(false));
    let hog = {
        let (m, stop) = (m.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(SeqCst) {
                let _g = m.lock_blocking();
                std::thread::sleep(Duration::from_micros(100));
            }
        })
    };
    let start = Instant::now();
    for _ in 0..10 {
        std::thread::sleep(Duration::from_micros(100));
        let _g = m.lock_blocking();
    }
    let took = start.elapsed();
    stop.store(true, SeqCst);
    hog.join().unwrap();
    assert!(
        took < Duration::from_secs(10),
        "can't acquire Mutex in 10s ({took:?})"
    );
}

/// Same as Go `TestMutexFairness`, with the hog and the victim as async tasks.
#[test]
fn fairness_no_starvation_tasks() {
    rt().block_on(async {
        let m = Arc::new(Mutex::new(()));
        let stop = Arc::new(AtomicBool::new(false));
        let hog = {
            let (m, stop) = (m.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(SeqCst) {
                    let _g = m.lock().await;
                    tokio::time::sleep(Duration::from_micros(100)).await;
                }
            })
        };
        let start = Instant::now();
        for _ in 0..10 {
            let _g = m.lock().await;
        }
        assert!(start.elapsed() < Duration::from_secs(10));
        stop.store(true, SeqCst);
        hog.await.unwrap();
    });
}

/// Lock-or-cancel: a fired cancel arm makes a blocked lock return `Err` and the lock is never
/// left held; counted over many rounds with a holder releasing concurrently.
#[test]
fn lock_or_cancel_cancels_and_never_leaks() {
    let m = Arc::new(Mutex::new(0u32));
    let (mut ok, mut cancelled) = (0, 0);
    for i in 0..300 {
        let sig = Signal::new();
        let g = m.lock_blocking();
        let (m2, sig2) = (m.clone(), sig.clone());
        let t = std::thread::spawn(move || {
            let mut arm = sig2.arm();
            match m2.lock_or_cancel_blocking(&mut arm) {
                Ok(mut g) => {
                    *g += 1;
                    true
                }
                Err(_) => false,
            }
        });
        // Race the cancel against the unlock.
        if i % 2 == 0 {
            sig.fire();
            drop(g);
        } else {
            drop(g);
            sig.fire();
        }
        if t.join().unwrap() {
            ok += 1;
        } else {
            cancelled += 1;
        }
        // Never left held:
        assert!(m.try_lock().is_some(), "round {i}: lock left held");
    }
    assert_eq!(*m.lock_blocking(), ok);
    assert_eq!(ok + cancelled, 300);
    // Already-cancelled wins even when the lock is free.
    let sig = Signal::new();
    sig.fire();
    assert!(m.lock_or_cancel_blocking(&mut sig.arm()).is_err());
    assert!(!m.is_locked());
}

/// Lock-or-cancel and timeouts from tasks.
#[test]
fn lock_or_cancel_async() {
    rt().block_on(async {
        let m = Arc::new(Mutex::new(0u32));
        let g = m.lock().await;
        assert!(m.lock_timeout(Duration::from_millis(5)).await.is_err());
        let sig = Signal::new();
        let (m2, s2) = (m.clone(), sig.clone());
        let h = tokio::spawn(async move {
            let mut arm = s2.arm();
            m2.lock_or_cancel(&mut arm).await.is_ok()
        });
        tokio::time::sleep(Duration::from_millis(2)).await;
        sig.fire();
        assert!(!h.await.unwrap(), "cancel did not cancel");
        drop(g);
        assert!(m.try_lock().is_some());
        let mut dl = Deadline::after(Duration::from_secs(60));
        assert!(m.lock_or_cancel(&mut dl).await.is_ok());
        assert!(!m.is_locked());
    });
}

/// Cancelled async lock futures (dropped mid-wait, possibly just after being handed the
/// lock) never lose the lock: afterwards it is free and every later lock succeeds.
#[test]
fn dropped_lock_futures_never_lose_the_lock() {
    rt().block_on(async {
        let m = Arc::new(Mutex::new(0u64));
        let holders = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        // Churners lock and unlock continuously.
        let churn: Vec<_> = (0..2)
            .map(|_| {
                let (m, stop, holders) = (m.clone(), stop.clone(), holders.clone());
                tokio::spawn(async move {
                    while !stop.load(SeqCst) {
                        let mut g = m.lock().await;
                        assert_eq!(holders.fetch_add(1, SeqCst), 0);
                        *g += 1;
                        holders.fetch_sub(1, SeqCst);
                        drop(g);
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        // Many lock futures dropped at random points.
        for i in 0..2000u64 {
            let d = Duration::from_nanos(i % 7 * 500);
            let _ = tokio::time::timeout(d, m.lock()).await;
        }
        stop.store(true, SeqCst);
        for h in churn {
            h.await.unwrap();
        }
        let g = tokio::time::timeout(Duration::from_secs(5), m.lock())
            .await
            .expect("lock lost by a dropped future");
        drop(g);
        assert!(!m.is_locked());
    });
}

/// The lock as a select arm, against a deadline, with handoff from a thread.
#[test]
fn lock_arm_in_select() {
    let m = Arc::new(Mutex::new(1));
    let g = m.lock_blocking();
    {
        let mut arm = m.lock_arm();
        let mut dl = Deadline::after(Duration::from_millis(5));
        assert_eq!(Select::new(&mut [&mut arm, &mut dl]).wait(), Some(1));
        assert!(arm.into_guard().is_none());
    }
    let m2 = m.clone();
    let t = std::thread::spawn(move || {
        let mut arm = m2.lock_arm();
        let mut dl = Deadline::after(Duration::from_secs(60));
        let r = Select::new(&mut [&mut arm, &mut dl]).wait();
        assert_eq!(r, Some(0));
        *arm.into_guard().unwrap() += 1;
    });
    std::thread::sleep(Duration::from_millis(2));
    drop(g);
    t.join().unwrap();
    assert_eq!(*m.lock_blocking(), 2);
    // An arm chosen but dropped without taking the guard unlocks.
    {
        let mut arm = m.lock_arm();
        assert_eq!(Select::new(&mut [&mut arm]).wait(), Some(0));
    }
    assert!(!m.is_locked());
}

/// Guards are Send (held across .await in spawned tasks) when T: Send.
#[test]
fn guard_is_send() {
    fn is_send<T: Send>(_: &T) {}
    let m = Mutex::new(1);
    let g = m.lock_blocking();
    is_send(&g);
    is_send(&m.lock());
}
