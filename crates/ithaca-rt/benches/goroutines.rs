//! Goroutines vs raw tokio tasks on the same multi-thread runtime configuration.
//!
//! `cargo bench -p ithaca-rt --bench goroutines`
//!
//! * `spawn_join_1M`: a root task spawns 1,000,000 trivial tasks, then awaits them all.
//! * `skynet_1M`: the skynet benchmark (10-ary tree of tasks, 1,000,000 leaves, sum of leaf
//!   ids), every node spawned and awaited.
//! * `poll_100k`: one task yielding 100,000 times (per-poll overhead of the wrapper).
//! * `noted_poll_100k`: one goroutine returning `Pending` 100,000 times after a
//!   `diag::note_wait` (the cost of recording a blocked state).
//! * `observe`: `diag::observe` alone (installing and restoring the observer).
//! * `diag_cost/spawn_join_100k`: as `spawn_join_1M`, 100,000 tasks (short, for
//!   `scripts/diag-cost.sh`, which runs this group with and without the `diagnostics` feature).
//! * `diag_cost/pingpong_10k`: 10,000 round trips between two goroutines over two unbuffered
//!   ithaca channels: every message is a block and a wake on each side. The `tokio` variant
//!   runs the same code (same ithaca channels) in raw tokio tasks: the floor without any
//!   goroutine wrapper.
//!
//! Roots always run as spawned tasks (ithaca: `block_on` does that; tokio: we spawn the root)
//! so both sides run on workers.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::future::Future;
use std::hint::black_box;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ithaca_core::diag::{self, WaitNote, WaitObserver};
use ithaca_rt::go;
use ithaca_rt::runtime::{Builder, Runtime};

const N: u64 = 1_000_000;
const POLLS: u64 = 100_000;
const SMALL_N: u64 = 100_000;
const ROUND_TRIPS: u64 = 10_000;

fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn ithaca_rt() -> Runtime {
    Builder::new().worker_threads(workers()).build().unwrap()
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers())
        .thread_name("tokio-worker")
        .enable_all()
        .build()
        .unwrap()
}

fn tokio_root<F>(rt: &tokio::runtime::Runtime, f: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    rt.block_on(async { tokio::spawn(f).await.unwrap() })
}

async fn spawn_join_ithaca(n: u64) -> u64 {
    let hs: Vec<_> = (0..n).map(|i| go!(async move { i })).collect();
    let mut sum = 0;
    for h in hs {
        sum += h.await.unwrap();
    }
    sum
}

async fn spawn_join_tokio(n: u64) -> u64 {
    let hs: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
    let mut sum = 0;
    for h in hs {
        sum += h.await.unwrap();
    }
    sum
}

type BoxFut = Pin<Box<dyn Future<Output = u64> + Send>>;

fn skynet_ithaca(num: u64, size: u64) -> BoxFut {
    Box::pin(async move {
        if size == 1 {
            return num;
        }
        let sub = size / 10;
        let hs: Vec<_> = (0..10)
            .map(|i| go!(skynet_ithaca(num + i * sub, sub)))
            .collect();
        let mut sum = 0;
        for h in hs {
            sum += h.await.unwrap();
        }
        sum
    })
}

fn skynet_tokio(num: u64, size: u64) -> BoxFut {
    Box::pin(async move {
        if size == 1 {
            return num;
        }
        let sub = size / 10;
        let hs: Vec<_> = (0..10)
            .map(|i| tokio::spawn(skynet_tokio(num + i * sub, sub)))
            .collect();
        let mut sum = 0;
        for h in hs {
            sum += h.await.unwrap();
        }
        sum
    })
}

async fn yield_loop() {
    for _ in 0..POLLS {
        tokio::task::yield_now().await;
    }
}

/// Returns `Pending` once after noting a wait, waking itself first (a stand-in for a primitive
/// whose wait ends at once).
struct NotedYield(bool, &'static Location<'static>);

impl Future for NotedYield {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        diag::note_wait("bench.wait", true, self.1);
        Poll::Pending
    }
}

async fn noted_loop() {
    for _ in 0..POLLS {
        NotedYield(false, Location::caller()).await;
    }
}

fn big(c: &mut Criterion) {
    let irt = ithaca_rt();
    let trt = tokio_rt();

    let mut g = c.benchmark_group("spawn_join_1M");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements(N));
    g.bench_function(BenchmarkId::new("ithaca", N), |b| {
        b.iter(|| assert_eq!(irt.block_on(spawn_join_ithaca(N)), N * (N - 1) / 2))
    });
    g.bench_function(BenchmarkId::new("tokio", N), |b| {
        b.iter(|| assert_eq!(tokio_root(&trt, spawn_join_tokio(N)), N * (N - 1) / 2))
    });
    g.finish();

    let mut g = c.benchmark_group("skynet_1M");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements(N));
    g.bench_function(BenchmarkId::new("ithaca", N), |b| {
        b.iter(|| assert_eq!(irt.block_on(skynet_ithaca(0, N)), N * (N - 1) / 2))
    });
    g.bench_function(BenchmarkId::new("tokio", N), |b| {
        b.iter(|| assert_eq!(tokio_root(&trt, skynet_tokio(0, N)), N * (N - 1) / 2))
    });
    g.finish();

    let mut g = c.benchmark_group("poll_100k");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(POLLS));
    g.bench_function("ithaca", |b| b.iter(|| irt.block_on(yield_loop())));
    g.bench_function("tokio", |b| b.iter(|| tokio_root(&trt, yield_loop())));
    g.bench_function("ithaca_noted", |b| b.iter(|| irt.block_on(noted_loop())));
    g.bench_function("tokio_noted", |b| b.iter(|| tokio_root(&trt, noted_loop())));
    g.finish();
}

/// The echoing side of the ping-pong: returns how many messages it echoed.
async fn echo(rx: ithaca_chan::Receiver<u64>, tx: ithaca_chan::Sender<u64>) -> u64 {
    let mut n = 0;
    while let Some(v) = rx.recv().await {
        tx.send(v + 1).await.unwrap();
        n += 1;
    }
    n
}

/// `ROUND_TRIPS` ping-pongs with an echoing task that `spawn` starts at once (it returns a
/// future for the task's result); returns the echo count.
async fn pingpong<H>(spawn: impl FnOnce(BoxFut) -> H) -> u64
where
    H: Future<Output = u64>,
{
    let (ping_tx, ping_rx) = ithaca_chan::bounded::<u64>(0);
    let (pong_tx, pong_rx) = ithaca_chan::bounded::<u64>(0);
    let echoer = spawn(Box::pin(echo(ping_rx, pong_tx)));
    for i in 0..ROUND_TRIPS {
        ping_tx.send(i).await.unwrap();
        assert_eq!(pong_rx.recv().await, Some(i + 1));
    }
    drop(ping_tx);
    echoer.await
}

async fn pingpong_ithaca() -> u64 {
    pingpong(|f| {
        let h = go!(f);
        async move { h.await.unwrap() }
    })
    .await
}

async fn pingpong_tokio() -> u64 {
    pingpong(|f| {
        let h = tokio::spawn(f);
        async move { h.await.unwrap() }
    })
    .await
}

/// The group `scripts/diag-cost.sh` compares across builds with and without `diagnostics`.
fn diag_cost(c: &mut Criterion) {
    let irt = ithaca_rt();
    let trt = tokio_rt();
    let mut g = c.benchmark_group("diag_cost");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    g.bench_function("spawn_join_100k/ithaca", |b| {
        b.iter(|| {
            let sum = irt.block_on(spawn_join_ithaca(SMALL_N));
            assert_eq!(sum, SMALL_N * (SMALL_N - 1) / 2)
        })
    });
    g.bench_function("spawn_join_100k/tokio", |b| {
        b.iter(|| {
            let sum = tokio_root(&trt, spawn_join_tokio(SMALL_N));
            assert_eq!(sum, SMALL_N * (SMALL_N - 1) / 2)
        })
    });
    g.bench_function("pingpong_10k/ithaca", |b| {
        b.iter(|| assert_eq!(irt.block_on(pingpong_ithaca()), ROUND_TRIPS))
    });
    g.bench_function("pingpong_10k/tokio", |b| {
        b.iter(|| assert_eq!(tokio_root(&trt, pingpong_tokio()), ROUND_TRIPS))
    });
    g.finish();
}

struct Sink;
impl WaitObserver for Sink {
    fn on_wait(&self, note: WaitNote) {
        black_box(note);
    }
}

fn micro(c: &mut Criterion) {
    let obs: Arc<dyn WaitObserver> = Arc::new(Sink);
    let mut g = c.benchmark_group("observe");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(1));
    g.bench_function("arc_clone_drop", |b| {
        b.iter(|| drop(black_box(obs.clone())))
    });
    g.bench_function("observe_with_clone", |b| {
        b.iter(|| diag::observe(&*obs, || black_box(1)))
    });
    g.bench_function("instant_now", |b| b.iter(std::time::Instant::now));
    #[cfg(target_os = "linux")]
    g.bench_function("clock_monotonic_coarse", |b| {
        b.iter(|| {
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: `ts` is a valid out-pointer for the call.
            unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
            black_box(ts.tv_nsec)
        })
    });
    g.finish();
}

criterion_group!(benches, big, micro, diag_cost);
criterion_main!(benches);
