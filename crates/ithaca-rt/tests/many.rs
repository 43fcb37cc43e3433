//! 100,000 goroutines spawned from inside goroutines; the registry returns to its baseline.
//! Alone in its binary so that no other test's goroutines move the count.
#![cfg(not(loom))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ithaca_rt::{go, runtime};

#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn hundred_thousand_goroutines_complete_and_leave_the_registry() {
    let baseline = runtime::num_goroutines();
    let done = Arc::new(AtomicUsize::new(0));
    let parents: Vec<_> = (0..100)
        .map(|_| {
            let done = done.clone();
            go!(async move {
                let kids: Vec<_> = (0..1000)
                    .map(|_| {
                        let done = done.clone();
                        go!(async move {
                            done.fetch_add(1, Ordering::Relaxed);
                        })
                    })
                    .collect();
                for k in kids {
                    k.await.unwrap();
                }
            })
        })
        .collect();
    assert!(runtime::num_goroutines() > baseline);
    for p in parents {
        p.await.unwrap();
    }
    assert_eq!(done.load(Ordering::Relaxed), 100_000);
    // Bounded polling: every goroutine deregisters before its joiner is woken, so this
    // should hold at once; allow a few seconds regardless.
    let deadline = Instant::now() + Duration::from_secs(5);
    while runtime::num_goroutines() != baseline {
        assert!(
            Instant::now() < deadline,
            "num_goroutines stuck at {} (baseline {baseline})",
            runtime::num_goroutines()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    if cfg!(feature = "diagnostics") {
        // Without the registry, `summary` sees no goroutines (only the count is kept).
        assert_eq!(runtime::summary().goroutines, baseline);
    }
}
