//! A guided tour of ithaca for Go programmers: `cargo run --release --example tour`.
//!
//! Each step is a few lines of Go's concurrency model in ithaca, printed as it runs:
//!
//! ```go
//! go f()                               // 1. goroutines
//! ch := make(chan T); ch <- v; <-ch    // 2-4. channels: rendezvous, buffered, close + range
//! select { case ch <- v: ...; default: }  // 5-6. select, timeouts
//! ctx, cancel := context.WithCancel(bg)   // 7. context
//! var wg sync.WaitGroup; var mu sync.Mutex // 8. sync
//! ```
//!
//! then threads and goroutines on one channel, the goroutine registry (what every goroutine
//! is blocked on, and where), and a live ping-pong benchmark against raw tokio.
//! The topic-by-topic programs are the other files in `examples/`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ithaca::chan::bounded;
use ithaca::context::Context;
use ithaca::runtime::{self, GoroutineState};
use ithaca::sync::{Mutex, WaitGroup};
use ithaca::time::after;
use ithaca::{go, select, Goroutine};

const MS: Duration = Duration::from_millis(1);

fn heading(n: u32, title: &str) {
    println!("\n== {n}. {title} ==");
}

/// 1. `go f()`: spawn goroutines, join them.
async fn goroutines() {
    heading(1, "goroutines: go!(async { .. })");
    let handles: Vec<_> = (1..=3u64).map(|i| go!(async move { i * 100 })).collect();
    let mut results = Vec::new();
    for h in handles {
        results.push(h.await.unwrap()); // a JoinHandle is Go's "wait for it" + its result
    }
    println!("three goroutines returned {results:?}");
    let many: Vec<_> = (0..100_000).map(|_| go!(async {})).collect();
    let start = Instant::now();
    for h in many {
        h.await.unwrap();
    }
    println!(
        "100000 goroutines spawned and joined (join took {:?})",
        start.elapsed()
    );
}

/// 2. `make(chan T)`: a rendezvous.
async fn rendezvous() {
    heading(2, "rendezvous channel: bounded(0)");
    let (tx, rx) = bounded::<&str>(0);
    let sender = go!(async move {
        tx.send("hello").await.unwrap();
        "sender resumed after the handoff"
    });
    // Bounded polling until the sender is parked on the channel.
    for _ in 0..1000 {
        if rx.waiting() == (0, 1) {
            break;
        }
        ithaca::time::sleep(MS).await;
    }
    println!(
        "no receiver yet, so the sender is blocked: (receivers, senders) waiting = {:?}",
        rx.waiting()
    );
    println!("received {:?}", rx.recv().await.unwrap());
    println!("{}", sender.await.unwrap());
}

/// 3. `make(chan T, n)`.
async fn buffered() {
    heading(3, "buffered channel: bounded(2)");
    let (tx, rx) = bounded::<u32>(2);
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    println!(
        "two sends completed with no receiver: len {} / cap {:?}",
        tx.len(),
        tx.capacity()
    );
    println!("a third would block; try_send says: {:?}", tx.try_send(3));
    println!("drained: {:?} {:?}", rx.recv().await, rx.recv().await);
}

/// 4. `close(ch)` and `for v := range ch`.
async fn close_and_range() {
    heading(
        4,
        "close + range: tx.close(), while let Some(v) = rx.recv().await",
    );
    let (tx, rx) = bounded::<u32>(0);
    go!(async move {
        for i in 1..=5 {
            tx.send(i).await.unwrap();
        }
        tx.close(); // or just return: dropping the last Sender closes the channel
    });
    let mut got = Vec::new();
    while let Some(v) = rx.recv().await {
        got.push(v);
    }
    println!("ranged over {got:?}, then the loop ended because the channel closed");
    let (tx, _rx) = bounded::<u8>(1);
    println!(
        "close() returns whether it closed: {}, then {}",
        tx.close(),
        tx.close()
    );
    let err = tx.send(7).await.unwrap_err();
    println!(
        "send on a closed channel: an Err holding the value ({}), not a panic",
        err.into_inner()
    );
}

/// 5. `select` with a send arm and a `default`.
async fn select_send_default() {
    heading(5, "select: send arm, recv arm, default");
    let (out_tx, out_rx) = bounded::<u32>(1);
    let (_in_tx, in_rx) = bounded::<&str>(0);
    for v in 1..=3 {
        select! {
            send(&out_tx, v) -> _ => println!("select sent {v}"),
            recv(&in_rx) -> m => println!("select received {m:?}"),
            default => println!("nothing ready: {v} stays unsent (default taken)"),
        }
    }
    println!(
        "the buffer holds exactly one value: {:?}",
        out_rx.try_recv()
    );
}

/// 6. `case <-time.After(d)`.
async fn timeouts() {
    heading(6, "timeouts: arm(after(d))");
    let (tx, rx) = bounded::<&str>(1);
    go!(async move {
        ithaca::time::sleep(50 * MS).await;
        let _ = tx.send("too late").await;
    });
    let start = Instant::now();
    select! {
        recv(&rx) -> v => println!("got {v:?}"),
        arm(after(10 * MS)) => println!("timed out after {:?}", start.elapsed()),
    }
}

/// 7. `context.WithCancel`, `<-ctx.Done()`.
async fn context_cancel() {
    heading(7, "context: with_cancel, ctx.done() as a select arm");
    let (ctx, cancel) = Context::with_cancel(&Context::background());
    let (jobs_tx, jobs_rx) = bounded::<u32>(0);
    let workers: Vec<_> = (1..=3)
        .map(|id| {
            let (ctx, jobs_rx) = (ctx.clone(), jobs_rx.clone());
            go!(async move {
                let mut done = 0;
                loop {
                    select! {
                        recv(&jobs_rx) -> _ => done += 1,
                        arm(ctx.done()) => return (id, done, ctx.err()),
                    }
                }
            })
        })
        .collect();
    for j in 0..30 {
        jobs_tx.send(j).await.unwrap();
    }
    drop(cancel); // dropping the CancelHandle cancels (or call cancel.cancel())
    let mut total = 0;
    for w in workers {
        let (id, done, err) = w.await.unwrap();
        total += done;
        println!("worker {id} stopped ({err:?}) after {done} jobs");
    }
    println!("{total} jobs in all");
}

/// 8. `sync.WaitGroup` and `sync.Mutex`.
async fn waitgroup_and_mutex() {
    heading(8, "sync: WaitGroup + Mutex");
    let log = Arc::new(Mutex::new(Vec::new()));
    let wg = WaitGroup::new();
    for i in 0..10 {
        wg.add(1);
        let (log, wg) = (log.clone(), wg.clone());
        go!(async move {
            log.lock().await.push(i); // the guard unlocks at the end of the statement
            wg.done();
        });
    }
    wg.wait().await;
    let mut v = log.lock().await.clone();
    v.sort();
    println!("10 goroutines appended under the mutex: {v:?}");
}

/// 9. One channel shared by OS threads (`_blocking` calls) and goroutines (`.await`).
async fn threads_and_goroutines() {
    heading(9, "threads and goroutines on one channel");
    let (tx, rx) = bounded::<(&str, u64)>(0);
    let (res_tx, res_rx) = bounded::<(&str, u64)>(2);
    for _ in 0..2 {
        let thread_tx = tx.clone();
        std::thread::spawn(move || {
            for i in 0..1000 {
                thread_tx.send_blocking(("thread", i)).unwrap();
            }
        });
        let goroutine_tx = tx.clone();
        go!(async move {
            for i in 0..1000 {
                goroutine_tx.send(("goroutine", i)).await.unwrap();
            }
        });
    }
    drop(tx);
    // Two consumers on the same receiver: a thread and a goroutine.
    let (rx2, res2) = (rx.clone(), res_tx.clone());
    std::thread::spawn(move || {
        let n = rx2.iter().count() as u64;
        res2.send_blocking(("thread consumer", n)).unwrap();
    });
    go!(async move {
        let mut n = 0;
        while rx.recv().await.is_some() {
            n += 1;
        }
        res_tx.send(("goroutine consumer", n)).await.unwrap();
    });
    let (a, b) = (res_rx.recv().await.unwrap(), res_rx.recv().await.unwrap());
    println!(
        "2 threads + 2 goroutines sent 4000 values; {} got {}, {} got {}: {} in all",
        a.0,
        a.1,
        b.0,
        b.1,
        a.1 + b.1
    );
}

/// 10. The goroutine registry: Go's `runtime.NumGoroutine` and a goroutine dump.
async fn registry() {
    heading(10, "the goroutine registry: num_goroutines(), snapshot()");
    let before = runtime::num_goroutines();
    let (tx, rx) = bounded::<u32>(0);
    let stuck = Goroutine::new()
        .name("stuck-reader")
        .spawn(async move { rx.recv().await });
    let id = stuck.id();
    // Bounded polling until the goroutine has blocked.
    let mut info = None;
    for _ in 0..1000 {
        let g = runtime::snapshot().into_iter().find(|g| g.id == id);
        if let Some(g) = g.filter(|g| matches!(g.state, GoroutineState::Blocked { .. })) {
            info = Some(g);
            break;
        }
        ithaca::time::sleep(MS).await;
    }
    println!(
        "num_goroutines: {before} before, {} with the reader",
        runtime::num_goroutines()
    );
    match info {
        Some(g) => {
            if let GoroutineState::Blocked {
                op,
                location,
                since,
                ..
            } = g.state
            {
                println!(
                    "goroutine {} {:?} (spawned at {}) is blocked on \"{op}\" at {location} for {:?}",
                    g.id,
                    g.name.as_deref().unwrap_or(""),
                    g.spawned_at,
                    since.elapsed()
                );
            }
        }
        None => println!("the reader did not block in time (a very busy machine?)"),
    }
    println!("a goroutine dump (Go's SIGQUIT output, as data):");
    for g in runtime::snapshot() {
        let state = match g.state {
            GoroutineState::Blocked { op, location, .. } => format!("{op}, at {location}"),
            other => format!("{other:?}").to_lowercase(),
        };
        let name = g.name.map(|n| format!(" {n:?}")).unwrap_or_default();
        println!(
            "  goroutine {}{name} [{state}] spawned at {}",
            g.id, g.spawned_at
        );
    }
    tx.send(42).await.unwrap();
    println!("after a send it finished with {:?}", stuck.await.unwrap());
}

// ---------------------------------------------------------------------------------------------
// PLACEHOLDER (step 11): the lead wires the deadlock detector in here once it lands.
// ---------------------------------------------------------------------------------------------
fn deadlock_step() {
    heading(11, "deadlock detection");
    println!("A planted bug: a goroutine waits for a value nobody sends, and main waits for it.");
    println!("Go would exit with 'all goroutines are asleep'; ithaca reports it per root:\n");
    let result = ithaca::runtime::run_detecting(async {
        let (tx, rx) = bounded::<u32>(0);
        let (done_tx, done_rx) = bounded::<u32>(0);
        ithaca::Goroutine::new()
            .name("planted-waiter")
            .spawn(async move {
                if let Some(v) = rx.recv().await {
                    let _ = done_tx.send(v).await;
                }
            });
        let got = done_rx.recv().await; // nobody ever sends on `tx`: deadlock
        drop(tx);
        got
    });
    match result {
        Ok(v) => println!("unexpected: finished with {v:?}"),
        Err(deadlock) => println!("{deadlock}"),
    }
}

/// One ping-pong run over ithaca rendezvous channels between two goroutines.
fn ping_pong_ithaca(n: u64) -> Duration {
    ithaca::run(async move {
        let (ping_tx, ping_rx) = bounded::<u64>(0);
        let (pong_tx, pong_rx) = bounded::<u64>(0);
        let echo = go!(async move {
            while let Some(v) = ping_rx.recv().await {
                if pong_tx.send(v).await.is_err() {
                    break;
                }
            }
        });
        let driver = go!(async move {
            let start = Instant::now();
            for i in 0..n {
                ping_tx.send(i).await.unwrap();
                assert_eq!(pong_rx.recv().await, Some(i));
            }
            start.elapsed()
        });
        let t = driver.await.unwrap();
        echo.await.unwrap();
        t
    })
}

/// The same over tokio `mpsc::channel(1)` between two tasks of a tokio runtime of the same
/// size (tokio has no zero-capacity channel).
fn ping_pong_tokio(rt: &tokio::runtime::Runtime, n: u64) -> Duration {
    rt.block_on(async move {
        let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel::<u64>(1);
        let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<u64>(1);
        let echo = tokio::spawn(async move {
            while let Some(v) = ping_rx.recv().await {
                if pong_tx.send(v).await.is_err() {
                    break;
                }
            }
        });
        let driver = tokio::spawn(async move {
            let start = Instant::now();
            for i in 0..n {
                ping_tx.send(i).await.unwrap();
                assert_eq!(pong_rx.recv().await, Some(i));
            }
            start.elapsed()
        });
        let t = driver.await.unwrap();
        echo.await.unwrap();
        t
    })
}

/// ithaca rendezvous channels between two *plain tokio tasks* of the same tokio runtime: the
/// channel's own cost, without the goroutine bookkeeping (registry, wait reports).
fn ping_pong_ithaca_chan_on_tokio(rt: &tokio::runtime::Runtime, n: u64) -> Duration {
    rt.block_on(async move {
        let (ping_tx, ping_rx) = bounded::<u64>(0);
        let (pong_tx, pong_rx) = bounded::<u64>(0);
        let echo = tokio::spawn(async move {
            while let Some(v) = ping_rx.recv().await {
                if pong_tx.send(v).await.is_err() {
                    break;
                }
            }
        });
        let driver = tokio::spawn(async move {
            let start = Instant::now();
            for i in 0..n {
                ping_tx.send(i).await.unwrap();
                assert_eq!(pong_rx.recv().await, Some(i));
            }
            start.elapsed()
        });
        let t = driver.await.unwrap();
        echo.await.unwrap();
        t
    })
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// 12. A live benchmark, honestly reported.
fn benchmark() {
    heading(12, "live benchmark: ping-pong, ithaca vs raw tokio");
    const N: u64 = 100_000;
    let workers = runtime::max_procs();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap();
    // Warm up, then alternate runs so that machine noise hits every contender alike.
    ping_pong_ithaca(N / 10);
    ping_pong_tokio(&rt, N / 10);
    ping_pong_ithaca_chan_on_tokio(&rt, N / 10);
    let (mut ith, mut tok, mut mixed) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        ith.push(ping_pong_ithaca(N));
        tok.push(ping_pong_tokio(&rt, N));
        mixed.push(ping_pong_ithaca_chan_on_tokio(&rt, N));
    }
    let per_msg = |d: Duration| d.as_nanos() as f64 / (2 * N) as f64;
    let (i, t, m) = (
        per_msg(median(ith)),
        per_msg(median(tok)),
        per_msg(median(mixed)),
    );
    println!("{N} round trips (2 messages each), {workers} worker thread(s), median of 5 runs:");
    println!("  ithaca bounded(0) between 2 goroutines    : {i:8.1} ns/msg");
    println!("  tokio  mpsc::channel(1) between 2 tasks   : {t:8.1} ns/msg");
    println!("  ithaca bounded(0) between 2 tokio tasks   : {m:8.1} ns/msg  (channel only)");
    let verdict = if i <= t { "faster" } else { "slower" };
    println!(
        "  ithaca goroutines + channel / tokio = {:.2}x ({verdict} than raw tokio)",
        i / t
    );
    println!("  (tokio has no zero-capacity channel: mpsc(1) buffers one value where a rendezvous");
    println!("   hands it over directly. On a busy or small machine the noise is large: compare");
    println!("   the ratios over a few runs, or use the criterion benches for real numbers.)");
}

fn main() {
    let start = Instant::now();
    println!("ithaca: Go's concurrency model in Rust — a guided tour");
    ithaca::run(async {
        goroutines().await;
        rendezvous().await;
        buffered().await;
        close_and_range().await;
        select_send_default().await;
        timeouts().await;
        context_cancel().await;
        waitgroup_and_mutex().await;
        threads_and_goroutines().await;
        registry().await;
    });
    deadlock_step();
    benchmark();
    println!("\ntour finished in {:.1?}", start.elapsed());
}
