//! RwMutex tests, mirroring Go's `src/sync/rwmutex_test.go`.
mod common;

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use common::{eventually, rt, Signal};
use ithaca_sync::RwMutex;

/// Go `TestParallelReaders`: k readers must all hold RLock at the same time.
#[test]
fn parallel_readers() {
    for k in [1, 3, 4] {
        let rw = Arc::new(RwMutex::new(()));
        let (locked_tx, locked_rx) = mpsc::channel();
        let (unlock_tx, unlock_rx) = mpsc::channel::<()>();
        let unlock_rx = Arc::new(std::sync::Mutex::new(unlock_rx));
        let hs: Vec<_> = (0..k)
            .map(|_| {
                let (rw, locked_tx, unlock_rx) = (rw.clone(), locked_tx.clone(), unlock_rx.clone());
                std::thread::spawn(move || {
                    let _g = rw.read_blocking();
                    locked_tx.send(()).unwrap();
                    unlock_rx.lock().unwrap().recv().unwrap();
                })
            })
            .collect();
        for _ in 0..k {
            locked_rx
                .recv_timeout(Duration::from_secs(5))
                .expect("readers did not hold the lock together");
        }
        for _ in 0..k {
            unlock_tx.send(()).unwrap();
        }
        hs.into_iter().for_each(|h| h.join().unwrap());
    }
}

/// Go `TestRWMutex` / `HammerRWMutex`: an activity counter (readers +1, writer +10000) never
/// shows a writer alongside anyone. Threads and tasks mixed.
#[test]
fn hammer() {
    let rw = Arc::new(RwMutex::new(()));
    let activity = Arc::new(AtomicI32::new(0));
    let reader = |rw: &RwMutex<()>, a: &AtomicI32| {
        let _g = rw.read_blocking();
        let n = a.fetch_add(1, SeqCst) + 1;
        assert!((1..10000).contains(&n), "rlock({n})");
        std::hint::spin_loop();
        a.fetch_sub(1, SeqCst);
    };
    let writer = |rw: &RwMutex<()>, a: &AtomicI32| {
        let _g = rw.write_blocking();
        let n = a.fetch_add(10000, SeqCst) + 10000;
        assert_eq!(n, 10000, "wlock({n})");
        std::hint::spin_loop();
        a.fetch_sub(10000, SeqCst);
    };
    let hs: Vec<_> = (0..6)
        .map(|i| {
            let (rw, a) = (rw.clone(), activity.clone());
            std::thread::spawn(move || {
                for _ in 0..500 {
                    if i < 2 {
                        writer(&rw, &a)
                    } else {
                        reader(&rw, &a)
                    }
                }
            })
        })
        .collect();
    rt().block_on(async {
        let ts: Vec<_> = (0..4)
            .map(|i| {
                let (rw, a) = (rw.clone(), activity.clone());
                tokio::spawn(async move {
                    for _ in 0..300 {
                        if i == 0 {
                            let _g = rw.write().await;
                            assert_eq!(a.fetch_add(10000, SeqCst), 0);
                            tokio::task::yield_now().await;
                            a.fetch_sub(10000, SeqCst);
                        } else {
                            let _g = rw.read().await;
                            assert!(a.fetch_add(1, SeqCst) < 10000);
                            tokio::task::yield_now().await;
                            a.fetch_sub(1, SeqCst);
                        }
                    }
                })
            })
            .collect();
        for t in ts {
            t.await.unwrap();
        }
    });
    hs.into_iter().for_each(|h| h.join().unwrap());
}

/// Writer preference (Go: "a blocked Lock call excludes new readers from acquiring the
/// lock"): with a reader holding the lock and a writer queued, a new reader waits; once the
/// first reader leaves, the writer goes before that new reader.
#[test]
fn queued_writer_blocks_new_readers() {
    let rw = Arc::new(RwMutex::new(0));
    let r1 = rw.read_blocking();
    let rw2 = rw.clone();
    let writer = std::thread::spawn(move || {
        *rw2.write_blocking() = 1;
    });
    // Wait for the writer to be queued: then try_read must fail although only readers hold it.
    eventually("writer queued", || rw.try_read().is_none());
    let rw3 = rw.clone();
    let saw = Arc::new(AtomicBool::new(false));
    let saw2 = saw.clone();
    let reader2 = std::thread::spawn(move || {
        let g = rw3.read_blocking();
        saw2.store(true, SeqCst);
        *g
    });
    std::thread::sleep(Duration::from_millis(5)); // give a wrong barging reader a chance
    assert!(!saw.load(SeqCst), "new reader overtook the queued writer");
    drop(r1);
    writer.join().unwrap();
    assert_eq!(reader2.join().unwrap(), 1, "reader ran before the writer");
}

/// Go `TestRLocker`-like: the writer waits until both (non-recursive) read locks are gone;
/// plus try/cancel forms.
#[test]
fn writer_waits_for_readers_and_cancel() {
    let rw = Arc::new(RwMutex::new(()));
    let (a, b) = (rw.read_blocking(), rw.read_blocking());
    let sig = Signal::new();
    let (rw2, s2) = (rw.clone(), sig.clone());
    let t = std::thread::spawn(move || rw2.write_or_cancel_blocking(&mut s2.arm()).is_ok());
    eventually("writer queued", || rw.try_read().is_none());
    sig.fire();
    assert!(!t.join().unwrap());
    // The cancelled writer no longer blocks readers.
    assert!(rw.try_read().is_some());
    drop(a);
    assert!(rw.try_write().is_none());
    drop(b);
    assert!(rw.try_write().is_some());
}

/// Cancelled async write futures never leave the lock held; readers still get in.
#[test]
fn dropped_write_futures() {
    rt().block_on(async {
        let rw = Arc::new(RwMutex::new(0));
        for i in 0..500u64 {
            let r = rw.read().await;
            let d = Duration::from_nanos(i % 5 * 1000);
            let (res, ()) = tokio::join!(tokio::time::timeout(d, rw.write()), async {
                tokio::task::yield_now().await;
                drop(r);
            });
            drop(res);
        }
        let g = tokio::time::timeout(Duration::from_secs(5), rw.write())
            .await
            .expect("lost");
        drop(g);
        assert!(rw.try_read().is_some());
    });
}
