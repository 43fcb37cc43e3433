//! Each pattern against its hand-written equivalent on raw tokio, in the same run:
//!
//! * errgroup of 10k members vs `tokio::task::JoinSet`;
//! * worker pool, 100k tiny tasks with result handles vs tokio `mpsc` + N workers + `oneshot`;
//! * pipeline, 3 stages, 100k items vs 3 tokio tasks joined by `mpsc` channels;
//! * singleflight, 1k concurrent callers of one key vs `tokio::sync::Mutex<HashMap>` +
//!   `broadcast`.
//!
//! Both sides run on multi-thread runtimes with the same number of workers, and the measured
//! future runs on a worker thread (ithaca: `block_on` roots are goroutines; tokio: the body is
//! spawned). Run: `cargo bench -p ithaca-patterns --bench patterns`.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ithaca_context::Context;
use ithaca_patterns::errgroup::Group;
use ithaca_patterns::pipeline::{Pipeline, Stage};
use ithaca_patterns::pool::Pool;
use ithaca_patterns::singleflight;

const GROUP_TASKS: usize = 10_000;
const POOL_TASKS: u64 = 100_000;
const PIPE_ITEMS: u64 = 100_000;
const SF_CALLERS: usize = 1_000;
const WORKERS: usize = 4;

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(ithaca_rt::runtime::max_procs())
        .enable_all()
        .build()
        .unwrap()
}

fn on_worker<F>(rt: &tokio::runtime::Runtime, fut: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    rt.block_on(async move { tokio::spawn(fut).await.unwrap() })
}

fn errgroup(c: &mut Criterion) {
    let rt = tokio_rt();
    let mut g = c.benchmark_group("errgroup_10k");
    g.bench_function(BenchmarkId::new("ithaca", "Group"), |b| {
        b.iter(|| {
            ithaca_rt::block_on(async {
                let g = Group::<String>::new();
                for i in 0..GROUP_TASKS {
                    g.go(async move {
                        std::hint::black_box(i);
                        Ok(())
                    });
                }
                g.wait().await.unwrap();
            })
        })
    });
    g.bench_function(BenchmarkId::new("tokio", "JoinSet"), |b| {
        b.iter(|| {
            on_worker(&rt, async {
                let mut set = tokio::task::JoinSet::new();
                for i in 0..GROUP_TASKS {
                    set.spawn(async move {
                        std::hint::black_box(i);
                        Ok::<(), String>(())
                    });
                }
                let mut first = None;
                while let Some(r) = set.join_next().await {
                    if let Err(e) = r.unwrap() {
                        first.get_or_insert(e);
                    }
                }
                assert!(first.is_none());
            })
        })
    });
    g.finish();
}

fn pool(c: &mut Criterion) {
    let rt = tokio_rt();
    let mut g = c.benchmark_group("pool_100k");
    g.bench_function(BenchmarkId::new("ithaca", "Pool"), |b| {
        b.iter(|| {
            ithaca_rt::block_on(async {
                let pool = Pool::builder().workers(WORKERS).queue(256).build();
                let mut hs = Vec::with_capacity(POOL_TASKS as usize);
                for i in 0..POOL_TASKS {
                    hs.push(pool.submit(async move { i }).await.unwrap());
                }
                let mut sum = 0;
                for h in hs {
                    sum += h.await.unwrap();
                }
                pool.shutdown().await;
                assert_eq!(sum, POOL_TASKS * (POOL_TASKS - 1) / 2);
            })
        })
    });
    g.bench_function(BenchmarkId::new("tokio", "mpsc+workers+oneshot"), |b| {
        type Job = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;
        b.iter(|| {
            on_worker(&rt, async {
                let (tx, rx) = tokio::sync::mpsc::channel::<Job>(256);
                let rx = Arc::new(tokio::sync::Mutex::new(rx));
                let workers: Vec<_> = (0..WORKERS)
                    .map(|_| {
                        let rx = rx.clone();
                        tokio::spawn(async move {
                            loop {
                                let job = rx.lock().await.recv().await;
                                match job {
                                    Some(j) => j.await,
                                    None => break,
                                }
                            }
                        })
                    })
                    .collect();
                let mut hs = Vec::with_capacity(POOL_TASKS as usize);
                for i in 0..POOL_TASKS {
                    let (otx, orx) = tokio::sync::oneshot::channel();
                    tx.send(Box::pin(async move {
                        let _ = otx.send(i);
                    }))
                    .await
                    .unwrap();
                    hs.push(orx);
                }
                let mut sum = 0;
                for h in hs {
                    sum += h.await.unwrap();
                }
                drop(tx);
                for w in workers {
                    w.await.unwrap();
                }
                assert_eq!(sum, POOL_TASKS * (POOL_TASKS - 1) / 2);
            })
        })
    });
    g.finish();
}

fn pipeline(c: &mut Criterion) {
    let rt = tokio_rt();
    let mut g = c.benchmark_group("pipeline_3x100k");
    g.bench_function(BenchmarkId::new("ithaca", "Pipeline"), |b| {
        b.iter(|| {
            ithaca_rt::block_on(async {
                let p = Pipeline::<String>::new(&Context::background());
                let s = Stage::new().buffer(64);
                let a = p.stage(p.source(0..PIPE_ITEMS), s, |n| async move { Ok(n + 1) });
                let b = p.stage(a, s, |n| async move { Ok(n * 2) });
                let c = p.stage(b, s, |n| async move { Ok(n - 1) });
                let mut sum = 0u64;
                while let Some(v) = c.recv().await {
                    sum += v;
                }
                p.wait().await.unwrap();
                std::hint::black_box(sum);
            })
        })
    });
    g.bench_function(BenchmarkId::new("tokio", "mpsc stages"), |b| {
        b.iter(|| {
            on_worker(&rt, async {
                use tokio::sync::mpsc::channel;
                let (tx0, mut rx0) = channel::<u64>(64);
                let (tx1, mut rx1) = channel::<u64>(64);
                let (tx2, mut rx2) = channel::<u64>(64);
                let (tx3, mut rx3) = channel::<u64>(64);
                tokio::spawn(async move {
                    for n in 0..PIPE_ITEMS {
                        if tx0.send(n).await.is_err() {
                            break;
                        }
                    }
                });
                tokio::spawn(async move {
                    while let Some(n) = rx0.recv().await {
                        if tx1.send(n + 1).await.is_err() {
                            break;
                        }
                    }
                });
                tokio::spawn(async move {
                    while let Some(n) = rx1.recv().await {
                        if tx2.send(n * 2).await.is_err() {
                            break;
                        }
                    }
                });
                tokio::spawn(async move {
                    while let Some(n) = rx2.recv().await {
                        if tx3.send(n - 1).await.is_err() {
                            break;
                        }
                    }
                });
                let mut sum = 0u64;
                while let Some(v) = rx3.recv().await {
                    sum += v;
                }
                std::hint::black_box(sum);
            })
        })
    });
    g.finish();
}

async fn work() -> u64 {
    // A call that takes a little while, so that callers overlap.
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    42
}

type Flights = tokio::sync::Mutex<HashMap<u32, tokio::sync::broadcast::Sender<u64>>>;

async fn tokio_singleflight(map: &Flights, key: u32) -> u64 {
    let mut m = map.lock().await;
    if let Some(tx) = m.get(&key) {
        let mut rx = tx.subscribe();
        drop(m);
        return rx.recv().await.unwrap();
    }
    let (tx, _) = tokio::sync::broadcast::channel(1);
    m.insert(key, tx.clone());
    drop(m);
    let v = work().await;
    map.lock().await.remove(&key);
    let _ = tx.send(v);
    v
}

fn singleflight(c: &mut Criterion) {
    let rt = tokio_rt();
    let mut g = c.benchmark_group("singleflight_1k_callers");
    g.bench_function(BenchmarkId::new("ithaca", "singleflight::Group"), |b| {
        b.iter(|| {
            ithaca_rt::block_on(async {
                let sf = singleflight::Group::<u32, u64>::new();
                let hs: Vec<_> = (0..SF_CALLERS)
                    .map(|_| {
                        let sf = sf.clone();
                        ithaca_rt::spawn(async move { sf.call(1, work()).await.0 })
                    })
                    .collect();
                for h in hs {
                    assert_eq!(h.await.unwrap(), 42);
                }
            })
        })
    });
    g.bench_function(BenchmarkId::new("tokio", "Mutex<HashMap>+broadcast"), |b| {
        b.iter(|| {
            on_worker(&rt, async {
                let map = Arc::new(Flights::default());
                let hs: Vec<_> = (0..SF_CALLERS)
                    .map(|_| {
                        let map = map.clone();
                        tokio::spawn(async move { tokio_singleflight(&map, 1).await })
                    })
                    .collect();
                for h in hs {
                    assert_eq!(h.await.unwrap(), 42);
                }
            })
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = errgroup, pool, pipeline, singleflight
}
criterion_main!(benches);
