//! Leak checks (uber-go/goleak semantics, go-semantics.md §2.9 and §4.4): `#[ithaca::test]`
//! fails a test that leaves goroutines running; `verify_none_leaked` for other code.
#![cfg(all(not(loom), feature = "diagnostics"))]

use std::time::Duration;

use ithaca_chan::bounded;
use ithaca_rt::runtime::{self, Baseline};
use ithaca_rt::{go, Goroutine};

// goleak TestVerifyNone (leak case): a goroutine still blocked after the test body returned.
#[ithaca_rt::test(crate = ::ithaca_rt)]
#[should_panic(expected = "leaked 1 goroutine(s)")]
async fn test_that_leaks_a_goroutine_fails() {
    let (tx, rx) = bounded::<()>(0);
    Goroutine::new()
        .name("leaky")
        .spawn(async move { rx.recv().await });
    std::mem::forget(tx); // keep the channel open forever
}

// goleak's retry: goroutines that are finishing when the body returns are not leaks.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn goroutines_finishing_after_the_body_are_not_leaks() {
    let (tx, rx) = bounded::<()>(0);
    for _ in 0..10 {
        let tx = tx.clone();
        go!(async move {
            ithaca_time::sleep(Duration::from_millis(20)).await;
            drop(tx);
        });
    }
    drop(tx);
    let _ = rx.try_recv();
}

// Opt-out per test.
#[ithaca_rt::test(crate = ::ithaca_rt, leaks = "allow")]
async fn opt_out_allows_leaks() {
    let (tx, rx) = bounded::<()>(0);
    go!(async move { rx.recv().await });
    std::mem::forget(tx);
}

// goleak IgnoreCurrent: goroutines alive at the baseline are not reported; new ones are,
// with their dump.
#[test]
fn verify_none_leaked_reports_only_new_goroutines() {
    let (tx_old, rx_old) = bounded::<()>(0);
    let old = go!(async move { rx_old.recv().await });
    let base = Baseline::now().timeout(Duration::from_millis(100));
    assert!(runtime::verify_none_leaked(&base).is_ok());
    let (tx_new, rx_new) = bounded::<()>(0);
    let line = line!() + 3;
    let new = Goroutine::new()
        .name("fresh")
        .spawn(async move { rx_new.recv().await });
    let err = runtime::verify_none_leaked(&base).unwrap_err();
    assert_eq!(err.goroutines().len(), 1, "{err}");
    assert_eq!(err.goroutines()[0].id, new.id());
    let text = err.to_string();
    assert!(
        text.starts_with("found 1 unexpected goroutine(s):"),
        "{text}"
    );
    assert!(text.contains("name: fresh"), "{text}");
    assert!(text.contains(&format!("{}:{line}:", file!())), "{text}");
    // Ignore filters (goleak IgnoreTopFunction).
    let base2 = Baseline::now()
        .timeout(Duration::from_millis(50))
        .ignore(|g| g.name.as_deref() == Some("daemon"));
    let (tx_d, rx_d) = bounded::<()>(0);
    let daemon = Goroutine::new()
        .name("daemon")
        .spawn(async move { rx_d.recv().await });
    assert!(runtime::verify_none_leaked(&base2).is_ok());
    drop((tx_old, tx_new, tx_d));
    for h in [old, new, daemon] {
        h.join().unwrap();
    }
}

#[test]
fn verify_none_leaked_waits_for_finishing_goroutines() {
    let base = Baseline::now();
    let (tx, rx) = bounded::<()>(0);
    let hs: Vec<_> = (0..100)
        .map(|_| {
            let rx = rx.clone();
            go!(async move { rx.recv().await })
        })
        .collect();
    drop(tx);
    drop(hs); // detached: they finish on their own, after the check started
    assert!(runtime::verify_none_leaked(&base).is_ok());
}
