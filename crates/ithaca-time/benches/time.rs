//! ithaca-time benchmarks against peers, in the same run:
//! * rate limiter `allow` vs `governor` (direct, not keyed), allowed and denied paths;
//! * arming + cancelling a sleep (create, poll once, drop) vs `tokio::time::sleep`;
//! * a real 1 ms sleep from a task vs `tokio::time::sleep`.
#![allow(missing_docs)]

use std::future::Future;
use std::num::NonZeroU32;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use governor::{Quota, RateLimiter};
use ithaca_time::rate::{Limit, Limiter};

fn limiter(c: &mut Criterion) {
    let mut g = c.benchmark_group("limiter_allow");
    // Allowed path: a rate so high every call is granted.
    let lim = Limiter::new(Limit::new(1e12), 1_000_000);
    g.bench_function("ithaca/allowed", |b| b.iter(|| lim.allow()));
    let gov = RateLimiter::direct(
        Quota::per_second(NonZeroU32::new(u32::MAX).unwrap())
            .allow_burst(NonZeroU32::new(1_000_000).unwrap()),
    );
    g.bench_function("governor/allowed", |b| b.iter(|| gov.check().is_ok()));
    // Denied path: the bucket is empty and refills once an hour.
    let lim = Limiter::new(Limit::every(Duration::from_secs(3600)), 1);
    lim.allow();
    g.bench_function("ithaca/denied", |b| b.iter(|| lim.allow()));
    let gov = RateLimiter::direct(Quota::per_hour(NonZeroU32::new(1).unwrap()));
    let _ = gov.check();
    g.bench_function("governor/denied", |b| b.iter(|| gov.check().is_ok()));
    g.finish();
}

fn poll_once<F: Future>(f: F) -> bool {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    matches!(f.as_mut().poll(&mut cx), Poll::Ready(_))
}

fn sleep_overhead(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("sleep_arm_cancel");
    g.bench_function("ithaca/sleep", |b| {
        b.iter(|| poll_once(ithaca_time::sleep(Duration::from_secs(1))))
    });
    g.bench_function("ithaca/after_future", |b| {
        b.iter(|| poll_once(ithaca_time::after(Duration::from_secs(1))))
    });
    {
        let _e = rt.enter();
        g.bench_function("tokio/sleep", |b| {
            b.iter(|| poll_once(tokio::time::sleep(Duration::from_secs(1))))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("sleep_1ms_task");
    g.sample_size(20);
    g.bench_function("ithaca/sleep", |b| {
        b.iter(|| rt.block_on(async { ithaca_time::sleep(Duration::from_millis(1)).await }))
    });
    g.bench_function("tokio/sleep", |b| {
        b.iter(|| rt.block_on(async { tokio::time::sleep(Duration::from_millis(1)).await }))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = limiter, sleep_overhead
}
criterion_main!(benches);
