//! Once / OnceFunc / OnceValue tests, mirroring Go's `src/sync/once_test.go` and
//! `src/sync/oncefunc_test.go`.
mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};

use common::{panic_msg, rt};
use ithaca_sync::{Once, OnceFunc, OnceValue};

/// Go `TestOnce`: 10 callers of `once.Do(increment)`; the result is exactly 1, and every
/// caller sees 1 after Do returns (callers wait for the running call).
#[test]
fn once_runs_once_and_callers_wait() {
    let once = Arc::new(Once::new());
    let n = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(10));
    let hs: Vec<_> = (0..10)
        .map(|_| {
            let (once, n, start) = (once.clone(), n.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                once.call_once_blocking(|| {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    n.fetch_add(1, SeqCst);
                });
                assert_eq!(n.load(SeqCst), 1, "once failed inside run");
            })
        })
        .collect();
    hs.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(n.load(SeqCst), 1);
}

/// Go `TestOnce` from async tasks.
#[test]
fn once_async() {
    rt().block_on(async {
        let once = Arc::new(Once::new());
        let n = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..10)
            .map(|_| {
                let (once, n) = (once.clone(), n.clone());
                tokio::spawn(async move {
                    once.call_once(|| {
                        n.fetch_add(1, SeqCst);
                    })
                    .await;
                    assert_eq!(n.load(SeqCst), 1);
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        assert_eq!(n.load(SeqCst), 1);
    });
}

/// Go `TestOncePanic`: f panics → Do panics; a second Do does not call f (and returns).
#[test]
fn once_panic() {
    let once = Once::new();
    let r = catch_unwind(AssertUnwindSafe(|| {
        once.call_once_blocking(|| panic!("failed"));
    }));
    assert_eq!(panic_msg(&*r.unwrap_err()), "failed");
    assert!(once.is_done());
    once.call_once_blocking(|| panic!("Once.Do called twice"));
}

/// Go `TestOnceFunc` / `TestOnceValue`: f runs once for many concurrent callers, all get the
/// value.
#[test]
fn once_value_concurrent() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let v = Arc::new(OnceValue::new(move || {
        c2.fetch_add(1, SeqCst);
        42
    }));
    let hs: Vec<_> = (0..8)
        .map(|_| {
            let v = v.clone();
            std::thread::spawn(move || *v.get_blocking())
        })
        .collect();
    for h in hs {
        assert_eq!(h.join().unwrap(), 42);
    }
    assert_eq!(calls.load(SeqCst), 1);
    let f = OnceFunc::new(|| {
        calls.fetch_add(1, SeqCst);
    });
    f.call_blocking();
    f.call_blocking();
    assert_eq!(calls.load(SeqCst), 2);
}

/// Go `TestOnceFuncPanic` / `TestOnceValuePanic`: a panic in f re-panics on every call with
/// the same value, and f is not re-run.
#[test]
fn once_value_repanics_every_call() {
    let calls = AtomicUsize::new(0);
    let v: OnceValue<u32, _> = OnceValue::new(|| {
        calls.fetch_add(1, SeqCst);
        panic!("x{}", 7)
    });
    for _ in 0..3 {
        let r = catch_unwind(AssertUnwindSafe(|| *v.get_blocking()));
        assert_eq!(panic_msg(&*r.unwrap_err()), "x7");
    }
    let r = catch_unwind(AssertUnwindSafe(|| v.try_get().copied()));
    assert_eq!(panic_msg(&*r.unwrap_err()), "x7");
    assert_eq!(calls.load(SeqCst), 1);

    let f = OnceFunc::new(|| panic!("boom"));
    for _ in 0..3 {
        let r = catch_unwind(AssertUnwindSafe(|| f.call_blocking()));
        assert_eq!(panic_msg(&*r.unwrap_err()), "boom");
    }
}

/// Async OnceValue: the re-panic reaches awaiting tasks too.
#[test]
fn once_value_async_repanics() {
    rt().block_on(async {
        let v = Arc::new(OnceValue::new(|| -> String { panic!("async boom") }));
        for _ in 0..3 {
            let v = v.clone();
            let e = tokio::spawn(async move { v.get().await.len() })
                .await
                .unwrap_err();
            assert_eq!(panic_msg(&*e.into_panic()), "async boom");
        }
    });
}
