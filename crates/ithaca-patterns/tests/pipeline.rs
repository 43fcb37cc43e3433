//! Pipelines, fan-out, fan-in: ordering, backpressure, failure and cancellation.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ithaca_context::Context;
use ithaca_patterns::pipeline::{collect, fan_out, generate, merge, stage, Pipeline, Stage};

/// An ordered stage with many workers and uneven work keeps the input order.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn ordered_stage_keeps_input_order() {
    let p = Pipeline::<String>::new(&Context::background());
    let out = p.stage(
        p.source(0..300u64),
        Stage::new().workers(8).ordered(),
        |n| async move {
            ithaca_time::sleep(Duration::from_micros((n * 37 % 11) * 20)).await;
            Ok(n * 2)
        },
    );
    let got: Vec<u64> = collect(&out).await;
    assert_eq!(got, (0..300).map(|n| n * 2).collect::<Vec<_>>());
    p.wait().await.unwrap();
}

/// An unordered stage delivers every value exactly once.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn unordered_stage_delivers_everything() {
    let p = Pipeline::<String>::new(&Context::background());
    let out = p.stage(
        p.source(0..1000u64),
        Stage::new().workers(5),
        |n| async move { Ok(n) },
    );
    let mut got: Vec<u64> = collect(&out).await;
    got.sort_unstable();
    assert_eq!(got, (0..1000).collect::<Vec<_>>());
    p.wait().await.unwrap();
}

/// The first failing stage cancels the whole pipeline (upstream stops producing) and `wait`
/// returns its error.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn first_failing_stage_cancels_everything() {
    let p = Pipeline::<String>::new(&Context::background());
    let produced = Arc::new(AtomicUsize::new(0));
    let pr = produced.clone();
    let nums = p.source((0u64..).inspect(move |_| {
        pr.fetch_add(1, Ordering::SeqCst);
    }));
    let checked = p.stage(nums, Stage::new().workers(2), |n| async move {
        if n == 20 {
            Err(format!("item {n} is bad"))
        } else {
            Ok(n)
        }
    });
    let out = p.stage(checked, Stage::new().workers(2).ordered(), |n| async move {
        Ok(n)
    });
    while out.recv().await.is_some() {}
    assert_eq!(p.wait().await, Err("item 20 is bad".to_string()));
    assert!(p.context().is_done());
    let n = produced.load(Ordering::SeqCst);
    assert!(n < 100, "the source kept producing: {n}");
}

/// Backpressure end to end: a consumer that stops reading stops the source (nothing is
/// produced beyond the channels' small capacity).
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn backpressure_reaches_the_source() {
    let p = Pipeline::<String>::new(&Context::background());
    let produced = Arc::new(AtomicUsize::new(0));
    let pr = produced.clone();
    let nums = p.source((0u64..).inspect(move |_| {
        pr.fetch_add(1, Ordering::SeqCst);
    }));
    let a = p.stage(
        nums,
        Stage::new().workers(2).buffer(3),
        |n| async move { Ok(n) },
    );
    let b = p.stage(
        a,
        Stage::new().workers(2).ordered(),
        |n| async move { Ok(n) },
    );
    assert!(b.recv().await.is_some());
    ithaca_time::sleep(Duration::from_millis(20)).await; // give a runaway source a chance
    let n = produced.load(Ordering::SeqCst);
    assert!(n < 30, "source ran ahead of a stalled consumer: {n}");
    p.cancel();
    p.wait().await.unwrap();
}

/// The Go blog's square example: gen -> fan out to two `sq` -> merge.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn blog_fan_out_fan_in() {
    let ctx = Context::background();
    let input = generate(&ctx, 1..=100i64);
    let outs = fan_out(&ctx, input, 2, |n| async move { n * n });
    let mut got: Vec<i64> = collect(&merge(&ctx, outs)).await;
    got.sort_unstable();
    assert_eq!(got, (1..=100).map(|n| n * n).collect::<Vec<_>>());
}

/// The blog's "stopping short": the consumer reads one value and cancels; every stage exits.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn blog_stopping_short() {
    let (ctx, cancel) = Context::with_cancel(&Context::background());
    let sq = stage(&ctx, generate(&ctx, 0u64..), |n| async move { n * n });
    let merged = merge(&ctx, [sq]);
    assert_eq!(merged.recv().await, Some(0));
    cancel.cancel();
    // The output closes once every stage has returned.
    let mut tries = 0;
    while merged.recv().await.is_some() {
        tries += 1;
        assert!(tries < 10, "stage kept sending after the cancel");
    }
}
