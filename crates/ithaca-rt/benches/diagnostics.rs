//! Diagnostics costs: dumping 100,000 goroutines, and the deadlock detector's latency.
//!
//! `cargo bench -p ithaca-rt --bench diagnostics`
//!
//! * `dump_100k/{snapshot,display,json}`: `runtime::dump()` of 100,000 goroutines blocked on
//!   a channel, then formatting it Go-style or as JSON.
//! * `deadlock_latency/{20ms,5ms}`: `run_detecting` of a root that deadlocks at once
//!   (receive with no sender), until the `Err(Deadlock)` is back, at two check intervals.
//!   The floor is two check intervals (a report needs two identical passing checks).

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use ithaca_chan::bounded;
use ithaca_rt::{go, runtime};

const N: usize = 100_000;

fn dump_100k(c: &mut Criterion) {
    let (tx, rx) = bounded::<()>(0);
    let hs: Vec<_> = (0..N)
        .map(|_| {
            let rx = rx.clone();
            go!(async move { rx.recv().await })
        })
        .collect();
    let t0 = Instant::now();
    while runtime::summary().blocked < N {
        assert!(t0.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut g = c.benchmark_group("dump_100k");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(3));
    g.bench_function("snapshot", |b| b.iter(|| black_box(runtime::dump())));
    let d = runtime::dump();
    g.bench_function("display", |b| b.iter(|| black_box(d.to_string())));
    g.bench_function("json", |b| b.iter(|| black_box(d.to_json())));
    g.finish();
    drop(tx);
    for h in hs {
        h.join().unwrap();
    }
}

fn deadlock_latency(c: &mut Criterion) {
    let mut g = c.benchmark_group("deadlock_latency");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(3));
    for ms in [20u64, 5] {
        g.bench_function(format!("{ms}ms"), |b| {
            runtime::set_deadlock_check_interval(Duration::from_millis(ms));
            b.iter(|| {
                let r = runtime::run_detecting(async {
                    let (tx, rx) = bounded::<i32>(0);
                    rx.recv().await;
                    drop(tx);
                });
                assert!(r.is_err());
            })
        });
    }
    runtime::set_deadlock_check_interval(Duration::from_millis(20));
    g.finish();
}

criterion_group!(benches, dump_100k, deadlock_latency);
criterion_main!(benches);
