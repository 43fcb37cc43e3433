//! Sync workloads: mutex (uncontended, 4-way contended), semaphore (uncontended, 4 tasks on
//! 2 permits), wait group, context create+cancel; ithaca-sync / ithaca-context on ithaca
//! goroutines against tokio's `Mutex`, `Semaphore`, `Notify` and tokio-util's
//! `CancellationToken` on tokio tasks. See `workloads.md` for the definitions.
//!
//! Invariants: every workload checks its result (the counter's final value), so a broken run
//! cannot pass as a fast one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ithaca_rt::go;

use crate::harness::{guarded, per_op, BoxFut, Config, RowSpec, Rt, Runner, Section};

const OPS: usize = 1_000_000;
const WG_ROUNDS: usize = 100_000;
const K: usize = 4;

// ------------------------------------------------------------------------------- mutex

fn mutex_ithaca(n: usize, tasks: usize) -> BoxFut<Duration> {
    Box::pin(async move {
        let m = Arc::new(ithaca_sync::Mutex::new(0usize));
        let t = Instant::now();
        let hs: Vec<_> = (0..tasks)
            .map(|_| {
                let m = m.clone();
                go!(async move {
                    for _ in 0..n / tasks {
                        *m.lock().await += 1;
                    }
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        let d = t.elapsed();
        assert_eq!(*m.lock().await, n / tasks * tasks);
        d
    })
}

fn mutex_tokio(n: usize, tasks: usize) -> BoxFut<Duration> {
    Box::pin(async move {
        let m = Arc::new(tokio::sync::Mutex::new(0usize));
        let t = Instant::now();
        let hs: Vec<_> = (0..tasks)
            .map(|_| {
                let m = m.clone();
                tokio::spawn(async move {
                    for _ in 0..n / tasks {
                        *m.lock().await += 1;
                    }
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        let d = t.elapsed();
        assert_eq!(*m.lock().await, n / tasks * tasks);
        d
    })
}

// --------------------------------------------------------------------------- semaphore

fn sema_ithaca(n: usize, tasks: usize, permits: usize) -> BoxFut<Duration> {
    Box::pin(async move {
        let s = Arc::new(ithaca_sync::Semaphore::new(permits));
        let t = Instant::now();
        let hs: Vec<_> = (0..tasks)
            .map(|_| {
                let s = s.clone();
                go!(async move {
                    for _ in 0..n / tasks {
                        s.acquire(1).await.unwrap();
                        s.release(1);
                    }
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        let d = t.elapsed();
        assert_eq!(s.available(), permits);
        d
    })
}

fn sema_tokio(n: usize, tasks: usize, permits: usize) -> BoxFut<Duration> {
    Box::pin(async move {
        let s = Arc::new(tokio::sync::Semaphore::new(permits));
        let t = Instant::now();
        let hs: Vec<_> = (0..tasks)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move {
                    for _ in 0..n / tasks {
                        drop(s.acquire().await.unwrap());
                    }
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        let d = t.elapsed();
        assert_eq!(s.available_permits(), permits);
        d
    })
}

// --------------------------------------------------------------------------- waitgroup

fn waitgroup_ithaca(n: usize) -> BoxFut<Duration> {
    Box::pin(async move {
        let t = Instant::now();
        for _ in 0..n {
            let wg = ithaca_sync::WaitGroup::new();
            wg.add(1);
            let w2 = wg.clone();
            go!(async move { w2.done() });
            wg.wait().await;
        }
        t.elapsed()
    })
}

fn waitgroup_tokio(n: usize) -> BoxFut<Duration> {
    Box::pin(async move {
        let t = Instant::now();
        for _ in 0..n {
            let notify = Arc::new(tokio::sync::Notify::new());
            let n2 = notify.clone();
            tokio::spawn(async move { n2.notify_one() });
            notify.notified().await;
        }
        t.elapsed()
    })
}

// ----------------------------------------------------------------------------- context

fn context_ithaca(n: usize) -> BoxFut<Duration> {
    Box::pin(async move {
        let (root, _root_cancel) =
            ithaca_context::Context::with_cancel(&ithaca_context::Context::background());
        let t = Instant::now();
        for _ in 0..n {
            let (ctx, cancel) = ithaca_context::Context::with_cancel(&root);
            cancel.cancel();
            assert!(ctx.err().is_some());
        }
        t.elapsed()
    })
}

fn context_tokio(n: usize) -> BoxFut<Duration> {
    Box::pin(async move {
        let root = tokio_util::sync::CancellationToken::new();
        let t = Instant::now();
        for _ in 0..n {
            let child = root.child_token();
            child.cancel();
            assert!(child.is_cancelled());
        }
        t.elapsed()
    })
}

// ------------------------------------------------------------------------------ section

/// The sync section.
pub fn section(cfg: &Config, ithaca: &Rt, tokio: &Rt) -> Section {
    let to = cfg.timeout;
    let ops = cfg.size_multiple(OPS, K);
    let wg = cfg.size(WG_ROUNDS, 10);

    let row = |id: &str, unit: &'static str, count: usize, fi: BoxMaker, ft: BoxMaker| {
        let (irt, trt) = (ithaca.clone(), tokio.clone());
        let (fi, ft) = (Arc::new(fi), Arc::new(ft));
        let runs: Vec<Runner> = vec![
            Box::new(move || {
                let (rt, fi) = (irt.clone(), fi.clone());
                guarded(to, move || per_op(rt.root(fi()), count))
            }),
            Box::new(move || {
                let (rt, ft) = (trt.clone(), ft.clone());
                guarded(to, move || per_op(rt.root(ft()), count))
            }),
        ];
        RowSpec {
            id: format!("sync/{id}"),
            workload: id.into(),
            cap: "-".into(),
            unit,
            runs,
        }
    };
    let rows = vec![
        row(
            "mutex",
            "ns/lock",
            ops,
            Box::new(move || mutex_ithaca(ops, 1)),
            Box::new(move || mutex_tokio(ops, 1)),
        ),
        row(
            "mutex_contended",
            "ns/lock",
            ops,
            Box::new(move || mutex_ithaca(ops, K)),
            Box::new(move || mutex_tokio(ops, K)),
        ),
        row(
            "semaphore",
            "ns/acquire",
            ops,
            Box::new(move || sema_ithaca(ops, 1, 4)),
            Box::new(move || sema_tokio(ops, 1, 4)),
        ),
        row(
            "semaphore_contended",
            "ns/acquire",
            ops,
            Box::new(move || sema_ithaca(ops, K, 2)),
            Box::new(move || sema_tokio(ops, K, 2)),
        ),
        row(
            "waitgroup",
            "ns/round",
            wg,
            Box::new(move || waitgroup_ithaca(wg)),
            Box::new(move || waitgroup_tokio(wg)),
        ),
        row(
            "context",
            "ns/child",
            ops,
            Box::new(move || context_ithaca(ops)),
            Box::new(move || context_tokio(ops)),
        ),
    ];
    Section {
        title: format!(
            "Sync ({} workers; {ops} ops per row, wait group {wg} rounds, contended: {K} goroutines)",
            cfg.workers
        ),
        impls: vec!["ithaca", "tokio"],
        rows,
    }
}

/// Makes one run's root future.
type BoxMaker = Box<dyn Fn() -> BoxFut<Duration> + Send + Sync>;
