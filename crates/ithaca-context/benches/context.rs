//! ithaca-context benchmarks against tokio-util's `CancellationToken`, in the same run:
//! * create a child of a long-lived root and cancel it (`with_cancel` + `cancel` vs
//!   `child_token` + `cancel`);
//! * build 1000 children of a fresh root, then cancel the root (propagation).
#![allow(missing_docs)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use ithaca_context::Context;
use tokio_util::sync::CancellationToken;

fn create_cancel(c: &mut Criterion) {
    let mut g = c.benchmark_group("child_create_cancel");
    let (root, _h) = Context::with_cancel(&Context::background());
    g.bench_function("ithaca", |b| {
        b.iter(|| {
            let (ctx, h) = Context::with_cancel(&root);
            h.cancel();
            ctx
        })
    });
    let token = CancellationToken::new();
    g.bench_function("tokio_util", |b| {
        b.iter(|| {
            let t = token.child_token();
            t.cancel();
            t
        })
    });
    g.finish();

    let mut g = c.benchmark_group("tree_1000_cancel_root");
    g.bench_function("ithaca", |b| {
        b.iter(|| {
            let (root, rh) = Context::with_cancel(&Context::background());
            let kids: Vec<_> = (0..1000).map(|_| Context::with_cancel(&root)).collect();
            rh.cancel();
            kids
        })
    });
    g.bench_function("tokio_util", |b| {
        b.iter(|| {
            let root = CancellationToken::new();
            let kids: Vec<_> = (0..1000).map(|_| root.child_token()).collect();
            root.cancel();
            kids
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = create_cancel
}
criterion_main!(benches);
