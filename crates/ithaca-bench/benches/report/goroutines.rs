//! Goroutine workloads: spawn, skynet, whispers, pingpong and idle memory, for ithaca
//! (`go!` on an `ithaca_rt` runtime) and raw tokio (`tokio::spawn` on a tokio runtime with
//! the same worker count). See `workloads.md` for the definitions.
//!
//! Invariants: every root runs as a spawned task on a worker; every workload checks its
//! result (a sum, the chain's final value), so a broken run cannot pass as a fast one; the
//! memory row runs in a fresh child process (this binary, re-executed with `BENCH_CHILD`).

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ithaca_rt::go;

use crate::harness::{guarded, per_op, BoxFut, Config, Measure, RowSpec, Rt, Runner, Section};

const SPAWN: usize = 1_000_000;
const SKYNET: usize = 1_000_000;
const WHISPERS: usize = 100_000;
const PINGPONG: usize = 100_000;
const IDLE: usize = 100_000;

// ------------------------------------------------------------------------------- spawn

async fn spawn_ithaca(n: usize) -> Duration {
    let t = Instant::now();
    let hs: Vec<_> = (0..n).map(|i| go!(async move { i })).collect();
    let mut sum = 0;
    for h in hs {
        sum += h.await.unwrap();
    }
    let d = t.elapsed();
    assert_eq!(sum, n * (n - 1) / 2);
    d
}

async fn spawn_tokio(n: usize) -> Duration {
    let t = Instant::now();
    let hs: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
    let mut sum = 0;
    for h in hs {
        sum += h.await.unwrap();
    }
    let d = t.elapsed();
    assert_eq!(sum, n * (n - 1) / 2);
    d
}

// ------------------------------------------------------------------------------ skynet

fn skynet_ithaca(num: usize, size: usize) -> BoxFut<usize> {
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

fn skynet_tokio(num: usize, size: usize) -> BoxFut<usize> {
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

async fn timed_skynet(leaves: usize, f: fn(usize, usize) -> BoxFut<usize>) -> Duration {
    let t = Instant::now();
    let sum = f(0, leaves).await;
    let d = t.elapsed();
    assert_eq!(sum, leaves * (leaves - 1) / 2);
    d
}

// ---------------------------------------------------------------------------- whispers

async fn whispers_ithaca(n: usize) -> Duration {
    let t = Instant::now();
    let (leftmost_tx, leftmost_rx) = ithaca_chan::bounded::<usize>(0);
    let mut left = leftmost_tx;
    for _ in 0..n {
        let (right_tx, right_rx) = ithaca_chan::bounded::<usize>(0);
        go!(async move {
            let v = right_rx.recv().await.unwrap();
            left.send(v + 1).await.unwrap();
        });
        left = right_tx;
    }
    go!(async move { left.send(1).await.unwrap() });
    let v = leftmost_rx.recv().await.unwrap();
    let d = t.elapsed();
    assert_eq!(v, n + 1);
    d
}

async fn whispers_tokio(n: usize) -> Duration {
    let t = Instant::now();
    let (leftmost_tx, leftmost_rx) = tokio::sync::oneshot::channel::<usize>();
    let mut left = leftmost_tx;
    for _ in 0..n {
        let (right_tx, right_rx) = tokio::sync::oneshot::channel::<usize>();
        tokio::spawn(async move {
            let v = right_rx.await.unwrap();
            left.send(v + 1).unwrap();
        });
        left = right_tx;
    }
    tokio::spawn(async move { left.send(1).unwrap() });
    let v = leftmost_rx.await.unwrap();
    let d = t.elapsed();
    assert_eq!(v, n + 1);
    d
}

// ---------------------------------------------------------------------------- pingpong

async fn pingpong_ithaca(trips: usize) -> Duration {
    let (s1, r1) = ithaca_chan::bounded::<usize>(0);
    let (s2, r2) = ithaca_chan::bounded::<usize>(0);
    let t = Instant::now();
    let a = go!(async move {
        for i in 0..trips {
            s1.send(i).await.unwrap();
            assert_eq!(r2.recv().await.unwrap(), i);
        }
    });
    let b = go!(async move {
        for _ in 0..trips {
            let v = r1.recv().await.unwrap();
            s2.send(v).await.unwrap();
        }
    });
    a.await.unwrap();
    b.await.unwrap();
    t.elapsed()
}

async fn pingpong_tokio(trips: usize) -> Duration {
    let (s1, mut r1) = tokio::sync::mpsc::channel::<usize>(1);
    let (s2, mut r2) = tokio::sync::mpsc::channel::<usize>(1);
    let t = Instant::now();
    let a = tokio::spawn(async move {
        for i in 0..trips {
            s1.send(i).await.unwrap();
            assert_eq!(r2.recv().await.unwrap(), i);
        }
    });
    let b = tokio::spawn(async move {
        for _ in 0..trips {
            let v = r1.recv().await.unwrap();
            s2.send(v).await.unwrap();
        }
    });
    a.await.unwrap();
    b.await.unwrap();
    t.elapsed()
}

// ------------------------------------------------------------------------- idle memory

/// Resident set size in bytes, from `/proc/self/statm` (its second field, in pages).
fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("reading /proc/self/statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|f| f.parse().ok())
        .expect("parsing /proc/self/statm");
    // SAFETY: sysconf has no preconditions; it only reads a configuration value.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * usize::try_from(page).unwrap_or(4096)
}

async fn wait_started(started: &AtomicUsize, n: usize) {
    while started.load(Ordering::Acquire) < n {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // Each goroutine counts itself just before its receive, then parks: give them time to.
    tokio::time::sleep(Duration::from_millis(20)).await;
}

/// Parks `n` goroutines, each on its own channel, and returns the resident bytes they added.
async fn idle_ithaca(n: usize) -> f64 {
    // Warm-up: let the runtime and the allocator grow their fixed structures first.
    let warm: Vec<_> = (0..1000).map(|_| go!(async {})).collect();
    for h in warm {
        h.await.unwrap();
    }
    let started = Arc::new(AtomicUsize::new(0));
    let before = rss_bytes();
    let mut senders = Vec::with_capacity(n);
    let mut handles = Vec::with_capacity(n);
    for _ in 0..n {
        let (s, r) = ithaca_chan::bounded::<usize>(0);
        let started = started.clone();
        handles.push(go!(async move {
            started.fetch_add(1, Ordering::Release);
            r.recv().await.is_none()
        }));
        senders.push(s);
    }
    wait_started(&started, n).await;
    let after = rss_bytes();
    drop(senders); // closing every channel releases every goroutine
    for h in handles {
        assert!(h.await.unwrap(), "a parked goroutine got a value");
    }
    (after.saturating_sub(before)) as f64 / n as f64
}

async fn idle_tokio(n: usize) -> f64 {
    let warm: Vec<_> = (0..1000).map(|_| tokio::spawn(async {})).collect();
    for h in warm {
        h.await.unwrap();
    }
    let started = Arc::new(AtomicUsize::new(0));
    let before = rss_bytes();
    let mut senders = Vec::with_capacity(n);
    let mut handles = Vec::with_capacity(n);
    for _ in 0..n {
        let (s, r) = tokio::sync::oneshot::channel::<usize>();
        let started = started.clone();
        handles.push(tokio::spawn(async move {
            started.fetch_add(1, Ordering::Release);
            r.await.is_err()
        }));
        senders.push(s);
    }
    wait_started(&started, n).await;
    let after = rss_bytes();
    drop(senders);
    for h in handles {
        assert!(h.await.unwrap(), "a parked task got a value");
    }
    (after.saturating_sub(before)) as f64 / n as f64
}

/// The child-process side of the idle-memory row: `BENCH_CHILD=idle:<impl>:<n>`. Prints
/// `BENCH_IDLE <bytes per goroutine>` and returns.
pub fn child(spec: &str, workers: usize) {
    let mut parts = spec.split(':');
    let (Some("idle"), Some(which), Some(n)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("BENCH_CHILD={spec:?}: expected idle:<ithaca|tokio>:<count>");
    };
    let n: usize = n.parse().expect("BENCH_CHILD count");
    let (irt, trt) = crate::harness::runtimes(workers);
    let bytes = match which {
        "ithaca" => Rt::Ithaca(irt.handle().clone()).root(idle_ithaca(n)),
        "tokio" => Rt::Tokio(trt.handle().clone()).root(idle_tokio(n)),
        other => panic!("BENCH_CHILD: unknown implementation {other:?}"),
    };
    println!("BENCH_IDLE {bytes}");
}

fn idle_in_child(which: &'static str, n: usize, workers: usize, timeout: Duration) -> Measure {
    guarded(timeout, move || {
        let exe = std::env::current_exe().expect("current_exe");
        let out = Command::new(exe)
            .env("BENCH_CHILD", format!("idle:{which}:{n}"))
            .env("BENCH_WORKERS", workers.to_string())
            .output()
            .expect("re-executing the bench binary");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let v = stdout
            .lines()
            .find_map(|l| l.strip_prefix("BENCH_IDLE "))
            .and_then(|v| v.trim().parse().ok());
        match v {
            Some(v) if out.status.success() => Measure::Value(v),
            _ => panic!(
                "idle-memory child failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    })
}

// ------------------------------------------------------------------------------ section

/// The goroutine section.
pub fn section(cfg: &Config, ithaca: &Rt, tokio: &Rt) -> Section {
    let to = cfg.timeout;
    let spawn_n = cfg.size(SPAWN, 10);
    let leaves = cfg.size_pow10(SKYNET);
    let whispers = cfg.size(WHISPERS, 10);
    let trips = cfg.size(PINGPONG, 10);
    let idle = cfg.size(IDLE, 100);
    let workers = cfg.workers;

    // A row whose two runners time a root future on their runtime.
    fn timed<FI, FT, I, T>(
        id: &str,
        unit: &'static str,
        ops: usize,
        (irt, trt): (&Rt, &Rt),
        to: Duration,
        fi: FI,
        ft: FT,
    ) -> RowSpec
    where
        FI: Fn() -> I + Send + Sync + Clone + 'static,
        FT: Fn() -> T + Send + Sync + Clone + 'static,
        I: std::future::Future<Output = Duration> + Send + 'static,
        T: std::future::Future<Output = Duration> + Send + 'static,
    {
        let (irt, trt) = (irt.clone(), trt.clone());
        let runs: Vec<Runner> = vec![
            Box::new(move || {
                let (rt, fi) = (irt.clone(), fi.clone());
                guarded(to, move || per_op(rt.root(fi()), ops))
            }),
            Box::new(move || {
                let (rt, ft) = (trt.clone(), ft.clone());
                guarded(to, move || per_op(rt.root(ft()), ops))
            }),
        ];
        RowSpec {
            id: format!("go/{id}"),
            workload: id.into(),
            cap: "-".into(),
            unit,
            runs,
        }
    }

    let rts = (ithaca, tokio);
    let rows = vec![
        timed(
            "spawn",
            "ns/goroutine",
            spawn_n,
            rts,
            to,
            move || spawn_ithaca(spawn_n),
            move || spawn_tokio(spawn_n),
        ),
        timed(
            "skynet",
            "ns/leaf",
            leaves,
            rts,
            to,
            move || timed_skynet(leaves, skynet_ithaca),
            move || timed_skynet(leaves, skynet_tokio),
        ),
        timed(
            "whispers",
            "ns/goroutine",
            whispers,
            rts,
            to,
            move || whispers_ithaca(whispers),
            move || whispers_tokio(whispers),
        ),
        timed(
            "pingpong",
            "ns/round trip",
            trips,
            rts,
            to,
            move || pingpong_ithaca(trips),
            move || pingpong_tokio(trips),
        ),
        RowSpec {
            id: "go/idle_memory".into(),
            workload: "idle_memory".into(),
            cap: "-".into(),
            unit: "bytes/goroutine",
            runs: vec![
                Box::new(move || idle_in_child("ithaca", idle, workers, to)),
                Box::new(move || idle_in_child("tokio", idle, workers, to)),
            ],
        },
    ];
    Section {
        title: format!(
            "Goroutines ({} workers; spawn {spawn_n}, skynet {leaves} leaves, whispers {whispers}, \
             pingpong {trips} round trips, idle memory {idle} goroutines)",
            cfg.workers
        ),
        impls: vec!["ithaca", "tokio"],
        rows,
    }
}
