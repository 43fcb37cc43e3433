//! Alone in its binary: it counts every goroutine of the process.

use std::time::Duration;

use ithaca_context::Context;
use ithaca_patterns::pipeline::{Pipeline, Stage};

/// A 3-stage pipeline (ordered and unordered stages, several workers each) cancelled
/// mid-flight leaves no goroutine behind: `num_goroutines` returns to its baseline.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn cancelled_pipeline_leaves_no_goroutine() {
    let baseline = ithaca_rt::runtime::num_goroutines();
    let (parent, cancel) = Context::with_cancel(&Context::background());
    let p = Pipeline::<String>::new(&parent);
    let nums = p.source(0u64..); // endless
    let sq = p.stage(
        nums,
        Stage::new().workers(4).ordered(),
        |n: u64| async move { Ok(n * n) },
    );
    let plus = p.stage(sq, Stage::new().workers(3), |n| async move { Ok(n + 1) });
    let text = p.stage(
        plus,
        Stage::new().workers(2).ordered().buffer(4),
        |n| async move { Ok(n.to_string()) },
    );
    for _ in 0..100 {
        assert!(text.recv().await.is_some());
    }
    assert!(ithaca_rt::runtime::num_goroutines() > baseline + 10);
    cancel.cancel(); // mid-flight: every stage is blocked or busy
    assert_eq!(p.wait().await, Ok(()));
    drop(text);
    let mut tries = 0;
    while ithaca_rt::runtime::num_goroutines() != baseline {
        tries += 1;
        assert!(
            tries < 1000,
            "{} goroutines left behind",
            ithaca_rt::runtime::num_goroutines() - baseline
        );
        ithaca_time::sleep(Duration::from_millis(1)).await;
    }
}
