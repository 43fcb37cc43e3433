//! ithaca-sync vs std, parking_lot and tokio in the same run.
//!
//! `cargo bench -p ithaca-sync --bench sync`
//!
//! Groups: uncontended lock/unlock (threads and tasks), contended lock (4 threads / 4 tasks
//! on 2 workers), RwLock uncontended read, WaitGroup (uncontended and "actually wait" vs
//! tokio Notify), semaphore acquire/release (uncontended and 4 tasks on 2 permits).

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

const THREADS: u64 = 4;

fn current() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn multi() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

fn uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("uncontended_lock");
    let im = ithaca_sync::Mutex::new(0u64);
    g.bench_function("ithaca_blocking", |b| b.iter(|| *im.lock_blocking() += 1));
    let sm = std::sync::Mutex::new(0u64);
    g.bench_function("std", |b| b.iter(|| *sm.lock().unwrap() += 1));
    let pm = parking_lot::Mutex::new(0u64);
    g.bench_function("parking_lot", |b| b.iter(|| *pm.lock() += 1));
    let rt = current();
    g.bench_function("ithaca_async", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    *im.lock().await += 1;
                }
                t.elapsed()
            })
        })
    });
    let tm = tokio::sync::Mutex::new(0u64);
    g.bench_function("tokio_async", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    *tm.lock().await += 1;
                }
                t.elapsed()
            })
        })
    });
    g.finish();

    let mut g = c.benchmark_group("uncontended_rwlock_read");
    let irw = ithaca_sync::RwMutex::new(1u64);
    g.bench_function("ithaca_blocking", |b| b.iter(|| *irw.read_blocking()));
    let srw = std::sync::RwLock::new(1u64);
    g.bench_function("std", |b| b.iter(|| *srw.read().unwrap()));
    let prw = parking_lot::RwLock::new(1u64);
    g.bench_function("parking_lot", |b| b.iter(|| *prw.read()));
    let trw = tokio::sync::RwLock::new(1u64);
    g.bench_function("ithaca_async", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    std::hint::black_box(*irw.read().await);
                }
                t.elapsed()
            })
        })
    });
    g.bench_function("tokio_async", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    std::hint::black_box(*trw.read().await);
                }
                t.elapsed()
            })
        })
    });
    g.finish();
}

/// `iters` lock/increment/unlock operations spread over THREADS threads.
fn threads_contended<M: Send + Sync + 'static>(m: Arc<M>, iters: u64, op: fn(&M)) -> Duration {
    let per = iters / THREADS + 1;
    let start = Arc::new(std::sync::Barrier::new(THREADS as usize + 1));
    let hs: Vec<_> = (0..THREADS)
        .map(|_| {
            let (m, start) = (m.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for _ in 0..per {
                    op(&m);
                }
            })
        })
        .collect();
    start.wait();
    let t = Instant::now();
    hs.into_iter().for_each(|h| h.join().unwrap());
    t.elapsed()
}

fn contended(c: &mut Criterion) {
    let mut g = c.benchmark_group("contended_lock_4");
    let im = Arc::new(ithaca_sync::Mutex::new(0u64));
    g.bench_function("ithaca_threads", |b| {
        b.iter_custom(|n| threads_contended(im.clone(), n, |m| *m.lock_blocking() += 1))
    });
    let sm = Arc::new(std::sync::Mutex::new(0u64));
    g.bench_function("std_threads", |b| {
        b.iter_custom(|n| threads_contended(sm.clone(), n, |m| *m.lock().unwrap() += 1))
    });
    let pm = Arc::new(parking_lot::Mutex::new(0u64));
    g.bench_function("parking_lot_threads", |b| {
        b.iter_custom(|n| threads_contended(pm.clone(), n, |m| *m.lock() += 1))
    });
    let rt = multi();
    g.bench_function("ithaca_tasks", |b| {
        b.iter_custom(|n| {
            let m = im.clone();
            rt.block_on(async move {
                let per = n / THREADS + 1;
                let t = Instant::now();
                let hs: Vec<_> = (0..THREADS)
                    .map(|_| {
                        let m = m.clone();
                        tokio::spawn(async move {
                            for _ in 0..per {
                                *m.lock().await += 1;
                            }
                        })
                    })
                    .collect();
                for h in hs {
                    h.await.unwrap();
                }
                t.elapsed()
            })
        })
    });
    let tm = Arc::new(tokio::sync::Mutex::new(0u64));
    g.bench_function("tokio_tasks", |b| {
        b.iter_custom(|n| {
            let m = tm.clone();
            rt.block_on(async move {
                let per = n / THREADS + 1;
                let t = Instant::now();
                let hs: Vec<_> = (0..THREADS)
                    .map(|_| {
                        let m = m.clone();
                        tokio::spawn(async move {
                            for _ in 0..per {
                                *m.lock().await += 1;
                            }
                        })
                    })
                    .collect();
                for h in hs {
                    h.await.unwrap();
                }
                t.elapsed()
            })
        })
    });
    g.finish();
}

fn waitgroup(c: &mut Criterion) {
    let mut g = c.benchmark_group("waitgroup");
    let rt = current();
    let wg = ithaca_sync::WaitGroup::new();
    g.bench_function("ithaca_uncontended_add_done_wait", |b| {
        b.iter(|| {
            wg.add(1);
            wg.done();
            wg.wait_blocking();
        })
    });
    // "Actually wait" (Go's BenchmarkWaitGroupActuallyWait): spawn a task that signals,
    // await the signal. Same spawn cost on both sides.
    g.bench_function("ithaca_actually_wait_task", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    let wg = ithaca_sync::WaitGroup::new();
                    wg.add(1);
                    let w2 = wg.clone();
                    tokio::spawn(async move { w2.done() });
                    wg.wait().await;
                }
                t.elapsed()
            })
        })
    });
    g.bench_function("tokio_notify_actually_wait_task", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    let n = Arc::new(tokio::sync::Notify::new());
                    let n2 = n.clone();
                    tokio::spawn(async move { n2.notify_one() });
                    n.notified().await;
                }
                t.elapsed()
            })
        })
    });
    g.finish();
}

fn semaphore(c: &mut Criterion) {
    let mut g = c.benchmark_group("semaphore");
    let rt = current();
    let is = ithaca_sync::Semaphore::new(4);
    g.bench_function("ithaca_uncontended_async", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    is.acquire(1).await.unwrap();
                    is.release(1);
                }
                t.elapsed()
            })
        })
    });
    let ts = tokio::sync::Semaphore::new(4);
    g.bench_function("tokio_uncontended_async", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    drop(ts.acquire().await.unwrap());
                }
                t.elapsed()
            })
        })
    });
    let mrt = multi();
    let is = Arc::new(ithaca_sync::Semaphore::new(2));
    g.bench_function("ithaca_contended_4tasks_2permits", |b| {
        b.iter_custom(|n| {
            let s = is.clone();
            mrt.block_on(async move {
                let per = n / THREADS + 1;
                let t = Instant::now();
                let hs: Vec<_> = (0..THREADS)
                    .map(|_| {
                        let s = s.clone();
                        tokio::spawn(async move {
                            for _ in 0..per {
                                s.acquire(1).await.unwrap();
                                s.release(1);
                            }
                        })
                    })
                    .collect();
                for h in hs {
                    h.await.unwrap();
                }
                t.elapsed()
            })
        })
    });
    let ts = Arc::new(tokio::sync::Semaphore::new(2));
    g.bench_function("tokio_contended_4tasks_2permits", |b| {
        b.iter_custom(|n| {
            let s = ts.clone();
            mrt.block_on(async move {
                let per = n / THREADS + 1;
                let t = Instant::now();
                let hs: Vec<_> = (0..THREADS)
                    .map(|_| {
                        let s = s.clone();
                        tokio::spawn(async move {
                            for _ in 0..per {
                                drop(s.acquire().await.unwrap());
                            }
                        })
                    })
                    .collect();
                for h in hs {
                    h.await.unwrap();
                }
                t.elapsed()
            })
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1200));
    targets = uncontended, contended, waitgroup, semaphore
}
criterion_main!(benches);
