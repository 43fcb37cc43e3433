//! Channel benchmarks: ithaca against crossbeam-channel, flume, kanal, async-channel and
//! tokio mpsc, in the same run, on the crossbeam/Go workload set.
//!
//! Workloads (T = 4, N messages of `usize` per row; crossbeam's `benchmarks/` definitions):
//! * `spsc`: one sender, one receiver.
//! * `mpsc`: T senders (N/T each), one receiver.
//! * `mpmc`: T senders, T receivers.
//! * `select_rx`: T channels, a sender on each; one receiver selects over the T channels.
//! * `select_both`: T channels; T parties select over T send arms, T parties select over T
//!   receive arms.
//! * `pingpong`: two parties bounce a value over two rendezvous channels (ns per round trip).
//!
//! Capacities 0 (rendezvous), 1, 1000 and unbounded. Two flavours: `thread` (blocking calls on
//! OS threads) and `goroutine` (async tasks on a 2-worker tokio runtime; for ithaca these are
//! the same channels). A peer that cannot run a row prints `n/a` (tokio and async-channel
//! refuse capacity 0; tokio mpsc has one receiver; only crossbeam and flume have a select,
//! thread-only, and flume's send arms are not exclusive).
//!
//! Each cell is the median of `ROUNDS` runs in ns per message; `ratio` is ithaca's time over
//! the best peer's in the same run (< 1 means ithaca is faster).
//!
//! Run: `cargo bench -p ithaca-chan --bench channels` (env `BENCH_N`, `BENCH_ROUNDS`,
//! `BENCH_FILTER=row substring`, `BENCH_IMPL=implementation substring`).

use std::future::Future;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

const T: usize = 4;

#[derive(Clone, Copy, Debug)]
enum Cap {
    Zero,
    One,
    Thousand,
    Unbounded,
}

impl Cap {
    fn n(self) -> Option<usize> {
        match self {
            Cap::Zero => Some(0),
            Cap::One => Some(1),
            Cap::Thousand => Some(1000),
            Cap::Unbounded => None,
        }
    }
    fn label(self) -> &'static str {
        match self {
            Cap::Zero => "0",
            Cap::One => "1",
            Cap::Thousand => "1000",
            Cap::Unbounded => "unbounded",
        }
    }
}

// ---------------------------------------------------------------- blocking (thread) flavour

trait Blocking: 'static {
    type S: Clone + Send + 'static;
    type R: Clone + Send + 'static;
    const NAME: &'static str;
    const SELECT: bool = false;
    fn new(cap: Cap) -> Option<(Self::S, Self::R)>;
    fn send(s: &Self::S, v: usize);
    fn recv(r: &Self::R) -> usize;
    fn select_recv(_rs: &[Self::R]) -> usize {
        unreachable!()
    }
    fn select_send(_ss: &[Self::S], _v: usize) {
        unreachable!()
    }
}

struct Ithaca;
impl Blocking for Ithaca {
    type S = ithaca_chan::Sender<usize>;
    type R = ithaca_chan::Receiver<usize>;
    const NAME: &'static str = "ithaca";
    const SELECT: bool = true;
    fn new(cap: Cap) -> Option<(Self::S, Self::R)> {
        Some(match cap.n() {
            Some(n) => ithaca_chan::bounded(n),
            None => ithaca_chan::unbounded(),
        })
    }
    fn send(s: &Self::S, v: usize) {
        s.send_blocking(v).unwrap();
    }
    fn recv(r: &Self::R) -> usize {
        r.recv_blocking().unwrap()
    }
    fn select_recv(rs: &[Self::R]) -> usize {
        ithaca_chan::select_blocking! {
            recv(&rs[0]) -> v => v.unwrap(),
            recv(&rs[1]) -> v => v.unwrap(),
            recv(&rs[2]) -> v => v.unwrap(),
            recv(&rs[3]) -> v => v.unwrap(),
        }
    }
    fn select_send(ss: &[Self::S], v: usize) {
        ithaca_chan::select_blocking! {
            send(&ss[0], v) -> r => r.unwrap(),
            send(&ss[1], v) -> r => r.unwrap(),
            send(&ss[2], v) -> r => r.unwrap(),
            send(&ss[3], v) -> r => r.unwrap(),
        }
    }
}

struct Crossbeam;
impl Blocking for Crossbeam {
    type S = crossbeam_channel::Sender<usize>;
    type R = crossbeam_channel::Receiver<usize>;
    const NAME: &'static str = "crossbeam";
    const SELECT: bool = true;
    fn new(cap: Cap) -> Option<(Self::S, Self::R)> {
        Some(match cap.n() {
            Some(n) => crossbeam_channel::bounded(n),
            None => crossbeam_channel::unbounded(),
        })
    }
    fn send(s: &Self::S, v: usize) {
        s.send(v).unwrap();
    }
    fn recv(r: &Self::R) -> usize {
        r.recv().unwrap()
    }
    fn select_recv(rs: &[Self::R]) -> usize {
        crossbeam_channel::select! {
            recv(rs[0]) -> v => v.unwrap(),
            recv(rs[1]) -> v => v.unwrap(),
            recv(rs[2]) -> v => v.unwrap(),
            recv(rs[3]) -> v => v.unwrap(),
        }
    }
    fn select_send(ss: &[Self::S], v: usize) {
        crossbeam_channel::select! {
            send(ss[0], v) -> r => r.unwrap(),
            send(ss[1], v) -> r => r.unwrap(),
            send(ss[2], v) -> r => r.unwrap(),
            send(ss[3], v) -> r => r.unwrap(),
        }
    }
}

struct Flume;
impl Blocking for Flume {
    type S = flume::Sender<usize>;
    type R = flume::Receiver<usize>;
    const NAME: &'static str = "flume";
    fn new(cap: Cap) -> Option<(Self::S, Self::R)> {
        Some(match cap.n() {
            Some(n) => flume::bounded(n),
            None => flume::unbounded(),
        })
    }
    fn send(s: &Self::S, v: usize) {
        s.send(v).unwrap();
    }
    fn recv(r: &Self::R) -> usize {
        r.recv().unwrap()
    }
}

struct Kanal;
impl Blocking for Kanal {
    type S = kanal::Sender<usize>;
    type R = kanal::Receiver<usize>;
    const NAME: &'static str = "kanal";
    fn new(cap: Cap) -> Option<(Self::S, Self::R)> {
        Some(match cap.n() {
            Some(n) => kanal::bounded(n),
            None => kanal::unbounded(),
        })
    }
    fn send(s: &Self::S, v: usize) {
        s.send(v).unwrap();
    }
    fn recv(r: &Self::R) -> usize {
        r.recv().unwrap()
    }
}

fn run_threads(parties: Vec<Box<dyn FnOnce() + Send>>) -> Duration {
    let barrier = std::sync::Arc::new(Barrier::new(parties.len() + 1));
    let hs: Vec<_> = parties
        .into_iter()
        .map(|f| {
            let b = barrier.clone();
            thread::spawn(move || {
                b.wait();
                f();
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    for h in hs {
        h.join().unwrap();
    }
    start.elapsed()
}

/// One timed run of `workload` for implementation `C`; `None` if `C` cannot do it.
fn blocking_run<C: Blocking>(workload: &str, cap: Cap, n: usize) -> Option<Duration> {
    let mut parties: Vec<Box<dyn FnOnce() + Send>> = Vec::new();
    // The original handles stay alive for the whole run: a sender finishing early must not
    // close its channel (a closed channel's receive arm is ready, as in Go).
    let mut keep = Vec::new();
    match workload {
        "spsc" | "mpsc" | "mpmc" => {
            let (s, r) = C::new(cap)?;
            let (senders, receivers) = match workload {
                "spsc" => (1, 1),
                "mpsc" => (T, 1),
                _ => (T, T),
            };
            for _ in 0..senders {
                let s = s.clone();
                parties.push(Box::new(move || {
                    (0..n / senders).for_each(|i| C::send(&s, i))
                }));
            }
            for _ in 0..receivers {
                let r = r.clone();
                parties.push(Box::new(move || {
                    (0..n / receivers).for_each(|_| {
                        C::recv(&r);
                    })
                }));
            }
        }
        "select_rx" | "select_both" => {
            if !C::SELECT {
                return None;
            }
            let chans: Vec<_> = (0..T).map(|_| C::new(cap)).collect::<Option<_>>()?;
            let ss: Vec<C::S> = chans.iter().map(|c| c.0.clone()).collect();
            let rs: Vec<C::R> = chans.iter().map(|c| c.1.clone()).collect();
            keep.push(chans);
            if workload == "select_rx" {
                for s in ss {
                    parties.push(Box::new(move || (0..n / T).for_each(|i| C::send(&s, i))));
                }
                parties.push(Box::new(move || {
                    (0..n).for_each(|_| {
                        C::select_recv(&rs);
                    })
                }));
            } else {
                for _ in 0..T {
                    let ss = ss.clone();
                    parties.push(Box::new(move || {
                        (0..n / T).for_each(|i| C::select_send(&ss, i))
                    }));
                    let rs = rs.clone();
                    parties.push(Box::new(move || {
                        (0..n / T).for_each(|_| {
                            C::select_recv(&rs);
                        })
                    }));
                }
            }
        }
        "pingpong" => {
            let (s1, r1) = C::new(Cap::Zero)?;
            let (s2, r2) = C::new(Cap::Zero)?;
            parties.push(Box::new(move || {
                for i in 0..n {
                    C::send(&s1, i);
                    C::recv(&r2);
                }
            }));
            parties.push(Box::new(move || {
                for _ in 0..n {
                    let v = C::recv(&r1);
                    C::send(&s2, v);
                }
            }));
        }
        _ => unreachable!(),
    }
    let elapsed = run_threads(parties);
    drop(keep);
    Some(elapsed)
}

// ------------------------------------------------------------ async (goroutine) flavour

trait Async: 'static {
    type S: Clone + Send + Sync + 'static;
    type R: Clone + Send + Sync + 'static;
    const NAME: &'static str;
    const SELECT: bool = false;
    const MPMC: bool = true;
    fn new(cap: Cap) -> Option<(Self::S, Self::R)>;
    fn send(s: &Self::S, v: usize) -> impl Future<Output = ()> + Send;
    fn recv(r: &Self::R) -> impl Future<Output = usize> + Send;
    fn select_recv(_rs: &[Self::R]) -> impl Future<Output = usize> + Send {
        async { unreachable!() }
    }
    fn select_send(_ss: &[Self::S], _v: usize) -> impl Future<Output = ()> + Send {
        async { unreachable!() }
    }
}

struct IthacaAsync;
impl Async for IthacaAsync {
    type S = ithaca_chan::Sender<usize>;
    type R = ithaca_chan::Receiver<usize>;
    const NAME: &'static str = "ithaca";
    const SELECT: bool = true;
    fn new(cap: Cap) -> Option<(Self::S, Self::R)> {
        Ithaca::new(cap)
    }
    async fn send(s: &Self::S, v: usize) {
        s.send(v).await.unwrap();
    }
    async fn recv(r: &Self::R) -> usize {
        r.recv().await.unwrap()
    }
    async fn select_recv(rs: &[Self::R]) -> usize {
        ithaca_chan::select! {
            recv(&rs[0]) -> v => v.unwrap(),
            recv(&rs[1]) -> v => v.unwrap(),
            recv(&rs[2]) -> v => v.unwrap(),
            recv(&rs[3]) -> v => v.unwrap(),
        }
    }
    async fn select_send(ss: &[Self::S], v: usize) {
        ithaca_chan::select! {
            send(&ss[0], v) -> r => r.unwrap(),
            send(&ss[1], v) -> r => r.unwrap(),
            send(&ss[2], v) -> r => r.unwrap(),
            send(&ss[3], v) -> r => r.unwrap(),
        }
    }
}

struct FlumeAsync;
impl Async for FlumeAsync {
    type S = flume::Sender<usize>;
    type R = flume::Receiver<usize>;
    const NAME: &'static str = "flume";
    fn new(cap: Cap) -> Option<(Self::S, Self::R)> {
        Flume::new(cap)
    }
    async fn send(s: &Self::S, v: usize) {
        s.send_async(v).await.unwrap();
    }
    async fn recv(r: &Self::R) -> usize {
        r.recv_async().await.unwrap()
    }
}

struct KanalAsync;
impl Async for KanalAsync {
    type S = kanal::AsyncSender<usize>;
    type R = kanal::AsyncReceiver<usize>;
    const NAME: &'static str = "kanal";
    fn new(cap: Cap) -> Option<(Self::S, Self::R)> {
        Some(match cap.n() {
            Some(n) => kanal::bounded_async(n),
            None => kanal::unbounded_async(),
        })
    }
    async fn send(s: &Self::S, v: usize) {
        s.send(v).await.unwrap();
    }
    async fn recv(r: &Self::R) -> usize {
        r.recv().await.unwrap()
    }
}

struct AsyncChannel;
impl Async for AsyncChannel {
    type S = async_channel::Sender<usize>;
    type R = async_channel::Receiver<usize>;
    const NAME: &'static str = "async-channel";
    fn new(cap: Cap) -> Option<(Self::S, Self::R)> {
        match cap.n() {
            Some(0) => None, // panics on capacity 0
            Some(n) => Some(async_channel::bounded(n)),
            None => Some(async_channel::unbounded()),
        }
    }
    async fn send(s: &Self::S, v: usize) {
        s.send(v).await.unwrap();
    }
    async fn recv(r: &Self::R) -> usize {
        r.recv().await.unwrap()
    }
}

/// tokio mpsc: single consumer (its receiver is not Clone), so it runs spsc/mpsc only; the
/// receiver is shared behind a mutex that only one task ever locks.
struct TokioMpsc;
#[derive(Clone)]
enum TokioTx {
    Bounded(tokio::sync::mpsc::Sender<usize>),
    Unbounded(tokio::sync::mpsc::UnboundedSender<usize>),
}
#[allow(clippy::large_enum_variant)]
enum TokioRx {
    Bounded(tokio::sync::mpsc::Receiver<usize>),
    Unbounded(tokio::sync::mpsc::UnboundedReceiver<usize>),
}
impl Async for TokioMpsc {
    type S = TokioTx;
    type R = std::sync::Arc<tokio::sync::Mutex<TokioRx>>;
    const NAME: &'static str = "tokio-mpsc";
    const MPMC: bool = false;
    fn new(cap: Cap) -> Option<(Self::S, Self::R)> {
        let (s, r) = match cap.n() {
            Some(0) => return None, // panics on capacity 0
            Some(n) => {
                let (s, r) = tokio::sync::mpsc::channel(n);
                (TokioTx::Bounded(s), TokioRx::Bounded(r))
            }
            None => {
                let (s, r) = tokio::sync::mpsc::unbounded_channel();
                (TokioTx::Unbounded(s), TokioRx::Unbounded(r))
            }
        };
        Some((s, std::sync::Arc::new(tokio::sync::Mutex::new(r))))
    }
    async fn send(s: &Self::S, v: usize) {
        match s {
            TokioTx::Bounded(s) => s.send(v).await.unwrap(),
            TokioTx::Unbounded(s) => s.send(v).unwrap(),
        }
    }
    async fn recv(r: &Self::R) -> usize {
        let mut r = r.lock().await;
        match &mut *r {
            TokioRx::Bounded(r) => r.recv().await.unwrap(),
            TokioRx::Unbounded(r) => r.recv().await.unwrap(),
        }
    }
}

fn async_run<C: Async>(
    rt: &tokio::runtime::Runtime,
    workload: &str,
    cap: Cap,
    n: usize,
) -> Option<Duration> {
    let mut tasks: Vec<std::pin::Pin<Box<dyn Future<Output = ()> + Send>>> = Vec::new();
    let mut keep = Vec::new();
    match workload {
        "spsc" | "mpsc" | "mpmc" => {
            if workload == "mpmc" && !C::MPMC {
                return None;
            }
            let (s, r) = C::new(cap)?;
            let (senders, receivers) = match workload {
                "spsc" => (1, 1),
                "mpsc" => (T, 1),
                _ => (T, T),
            };
            for _ in 0..senders {
                let s = s.clone();
                tasks.push(Box::pin(async move {
                    for i in 0..n / senders {
                        C::send(&s, i).await;
                    }
                }));
            }
            for _ in 0..receivers {
                let r = r.clone();
                tasks.push(Box::pin(async move {
                    for _ in 0..n / receivers {
                        C::recv(&r).await;
                    }
                }));
            }
        }
        "select_rx" | "select_both" => {
            if !C::SELECT {
                return None;
            }
            let chans: Vec<_> = (0..T).map(|_| C::new(cap)).collect::<Option<_>>()?;
            let ss: Vec<C::S> = chans.iter().map(|c| c.0.clone()).collect();
            let rs: Vec<C::R> = chans.iter().map(|c| c.1.clone()).collect();
            keep.push(chans);
            if workload == "select_rx" {
                for s in ss {
                    tasks.push(Box::pin(async move {
                        for i in 0..n / T {
                            C::send(&s, i).await;
                        }
                    }));
                }
                tasks.push(Box::pin(async move {
                    for _ in 0..n {
                        C::select_recv(&rs).await;
                    }
                }));
            } else {
                for _ in 0..T {
                    let ss = ss.clone();
                    tasks.push(Box::pin(async move {
                        for i in 0..n / T {
                            C::select_send(&ss, i).await;
                        }
                    }));
                    let rs = rs.clone();
                    tasks.push(Box::pin(async move {
                        for _ in 0..n / T {
                            C::select_recv(&rs).await;
                        }
                    }));
                }
            }
        }
        "pingpong" => {
            let (s1, r1) = C::new(Cap::Zero)?;
            let (s2, r2) = C::new(Cap::Zero)?;
            tasks.push(Box::pin(async move {
                for i in 0..n {
                    C::send(&s1, i).await;
                    C::recv(&r2).await;
                }
            }));
            tasks.push(Box::pin(async move {
                for _ in 0..n {
                    let v = C::recv(&r1).await;
                    C::send(&s2, v).await;
                }
            }));
        }
        _ => unreachable!(),
    }
    // The root waits from a spawned task, not from block_on (which is not a worker thread).
    // A watchdog: a peer that loses a wake-up hangs forever; report it instead of stalling.
    let elapsed = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(30), rt_spawn_all(tasks)).await
    });
    match elapsed {
        Ok(d) => {
            drop(keep);
            Some(d)
        }
        Err(_) => {
            eprintln!(
                "{} hung on {workload} cap {}: lost wake-up (its tasks are leaked)",
                C::NAME,
                cap.label()
            );
            std::mem::forget(keep);
            Some(HUNG)
        }
    }
}

/// Marks a run that never finished.
const HUNG: Duration = Duration::MAX;

async fn rt_spawn_all(tasks: Vec<std::pin::Pin<Box<dyn Future<Output = ()> + Send>>>) -> Duration {
    tokio::spawn(async move {
        let start = Instant::now();
        let hs: Vec<_> = tasks.into_iter().map(tokio::spawn).collect();
        for h in hs {
            h.await.unwrap();
        }
        start.elapsed()
    })
    .await
    .unwrap()
}

// ------------------------------------------------------------------------------- driver

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

type Runner<'a> = Box<dyn Fn(&str, Cap, usize) -> Option<Duration> + 'a>;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run tiny then.
    let is_bench = std::env::args().any(|a| a == "--bench");
    let n = env("BENCH_N", if is_bench { 200_000 } else { 2_000 });
    let rounds = env("BENCH_ROUNDS", if is_bench { 5 } else { 1 });
    let filter = std::env::var("BENCH_FILTER").unwrap_or_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    let thread_impls: Vec<(&str, Runner)> = vec![
        (Ithaca::NAME, Box::new(blocking_run::<Ithaca>)),
        (Crossbeam::NAME, Box::new(blocking_run::<Crossbeam>)),
        (Flume::NAME, Box::new(blocking_run::<Flume>)),
        (Kanal::NAME, Box::new(blocking_run::<Kanal>)),
    ];
    let rt_ref = &rt;
    let async_impls: Vec<(&str, Runner)> = vec![
        (
            IthacaAsync::NAME,
            Box::new(move |w: &str, c, n| async_run::<IthacaAsync>(rt_ref, w, c, n)),
        ),
        (
            FlumeAsync::NAME,
            Box::new(move |w: &str, c, n| async_run::<FlumeAsync>(rt_ref, w, c, n)),
        ),
        (
            KanalAsync::NAME,
            Box::new(move |w: &str, c, n| async_run::<KanalAsync>(rt_ref, w, c, n)),
        ),
        (
            AsyncChannel::NAME,
            Box::new(move |w: &str, c, n| async_run::<AsyncChannel>(rt_ref, w, c, n)),
        ),
        (
            TokioMpsc::NAME,
            Box::new(move |w: &str, c, n| async_run::<TokioMpsc>(rt_ref, w, c, n)),
        ),
    ];

    println!("# ithaca-chan benchmarks: ns per message (median of {rounds}), N = {n}, T = {T}\n");
    for (flavour, impls) in [("thread", &thread_impls), ("goroutine", &async_impls)] {
        print!("| {flavour} | cap |");
        for (name, _) in impls.iter() {
            print!(" {name} |");
        }
        println!(" ratio to best peer |");
        println!("|---|---|{}---|", "---|".repeat(impls.len()));
        for workload in [
            "spsc",
            "mpsc",
            "mpmc",
            "select_rx",
            "select_both",
            "pingpong",
        ] {
            let caps: &[Cap] = if workload == "pingpong" {
                &[Cap::Zero]
            } else {
                &[Cap::Zero, Cap::One, Cap::Thousand, Cap::Unbounded]
            };
            for &cap in caps {
                let row = format!("{flavour}/{workload}/{}", cap.label());
                if !filter.is_empty() && !row.contains(&filter) {
                    continue;
                }
                // Rounds interleave the implementations, so drift hits all of them alike.
                let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); impls.len()];
                let mut supported = vec![true; impls.len()];
                for _ in 0..rounds {
                    // A peer that hung once is not run again in this row.
                    for (k, (name, run)) in impls.iter().enumerate() {
                        if std::env::var_os("BENCH_TRACE").is_some() {
                            eprintln!("running {row} {name}");
                        }
                        let only = std::env::var("BENCH_IMPL").unwrap_or_default();
                        if !only.is_empty() && !name.contains(&only) {
                            supported[k] = false;
                        }
                        if supported[k] && !samples[k].contains(&HUNG) {
                            match run(workload, cap, n) {
                                Some(d) => samples[k].push(d),
                                None => supported[k] = false,
                            }
                        }
                    }
                }
                let hung: Vec<bool> = samples.iter().map(|s| s.contains(&HUNG)).collect();
                let ns: Vec<Option<f64>> = samples
                    .into_iter()
                    .zip(&supported)
                    .zip(&hung)
                    .map(|((s, &ok), &h)| {
                        (ok && !h).then(|| median(s).as_nanos() as f64 / n as f64)
                    })
                    .collect();
                print!("| {workload} | {} |", cap.label());
                for (v, h) in ns.iter().zip(&hung) {
                    match v {
                        Some(v) => print!(" {v:.0} |"),
                        None if *h => print!(" hung |"),
                        None => print!(" n/a |"),
                    }
                }
                let best_peer = ns[1..]
                    .iter()
                    .flatten()
                    .cloned()
                    .fold(f64::INFINITY, f64::min);
                match ns[0] {
                    Some(me) if best_peer.is_finite() => println!(" {:.2} |", me / best_peer),
                    _ => println!(" — |"),
                }
            }
        }
        println!();
    }
}
