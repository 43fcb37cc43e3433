//! Channel workloads (moved here from `ithaca-chan/benches/channels.rs`, so each workload
//! has one definition): spsc, mpsc, mpmc, select_rx, select_both and pingpong, at capacities
//! 0, 1, 1000 and unbounded, in a thread flavour (blocking calls on OS threads) and a
//! goroutine flavour (async tasks), for ithaca and crossbeam-channel, flume, kanal,
//! async-channel and tokio mpsc. See `workloads.md` for the definitions.
//!
//! Invariants: the original handles of every channel stay alive for the whole run (a sender
//! finishing early must not close its channel: a closed channel's receive arm is ready, as in
//! Go); message counts are multiples of `T`, so every party's share is whole.

use std::future::Future;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use crate::harness::{guarded, per_op, BoxFut, Config, Measure, RowSpec, Rt, Runner, Section};

/// Parties per side.
const T: usize = 4;
/// Messages per row at scale 1.
const N: usize = 200_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Workload {
    Spsc,
    Mpsc,
    Mpmc,
    SelectRx,
    SelectBoth,
    Pingpong,
}

impl Workload {
    const ALL: [Workload; 6] = [
        Workload::Spsc,
        Workload::Mpsc,
        Workload::Mpmc,
        Workload::SelectRx,
        Workload::SelectBoth,
        Workload::Pingpong,
    ];
    fn name(self) -> &'static str {
        match self {
            Workload::Spsc => "spsc",
            Workload::Mpsc => "mpsc",
            Workload::Mpmc => "mpmc",
            Workload::SelectRx => "select_rx",
            Workload::SelectBoth => "select_both",
            Workload::Pingpong => "pingpong",
        }
    }
    fn caps(self) -> &'static [Cap] {
        match self {
            Workload::Pingpong => &[Cap::Zero],
            _ => &[Cap::Zero, Cap::One, Cap::Thousand, Cap::Unbounded],
        }
    }
    /// (senders, receivers) for the plain workloads.
    fn parties(self) -> (usize, usize) {
        match self {
            Workload::Spsc => (1, 1),
            Workload::Mpsc => (T, 1),
            _ => (T, T),
        }
    }
    /// What the row reports per: messages, or round trips for pingpong (`n/2` of them).
    fn ops(self, n: usize) -> usize {
        match self {
            Workload::Pingpong => n / 2,
            _ => n,
        }
    }
}

const NO_SELECT: &str = "no exclusive select over send and receive arms";

// ---------------------------------------------------------------- blocking (thread) flavour

trait Blocking: 'static {
    type S: Clone + Send + 'static;
    type R: Clone + Send + 'static;
    const NAME: &'static str;
    /// `Err(why)` if this implementation has no select.
    const SELECT: Result<(), &'static str> = Err(NO_SELECT);
    fn new(cap: Cap) -> (Self::S, Self::R);
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
    const SELECT: Result<(), &'static str> = Ok(());
    fn new(cap: Cap) -> (Self::S, Self::R) {
        match cap.n() {
            Some(n) => ithaca_chan::bounded(n),
            None => ithaca_chan::unbounded(),
        }
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
    const SELECT: Result<(), &'static str> = Ok(());
    fn new(cap: Cap) -> (Self::S, Self::R) {
        match cap.n() {
            Some(n) => crossbeam_channel::bounded(n),
            None => crossbeam_channel::unbounded(),
        }
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
    // flume's `Selector` can deliver on two send arms at once (seen in ithaca-chan's tests).
    fn new(cap: Cap) -> (Self::S, Self::R) {
        match cap.n() {
            Some(n) => flume::bounded(n),
            None => flume::unbounded(),
        }
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
    fn new(cap: Cap) -> (Self::S, Self::R) {
        match cap.n() {
            Some(n) => kanal::bounded(n),
            None => kanal::unbounded(),
        }
    }
    fn send(s: &Self::S, v: usize) {
        s.send(v).unwrap();
    }
    fn recv(r: &Self::R) -> usize {
        r.recv().unwrap()
    }
}

type Party = Box<dyn FnOnce() + Send>;

/// Runs the parties on their own threads, released together by a barrier, and returns the
/// time from the first party's start to the last party's end (measured by the parties
/// themselves: the coordinating thread may be scheduled late on a loaded machine).
fn run_threads(parties: Vec<Party>) -> Duration {
    let barrier = Arc::new(Barrier::new(parties.len()));
    let hs: Vec<_> = parties
        .into_iter()
        .map(|f| {
            let b = barrier.clone();
            thread::spawn(move || {
                b.wait();
                let start = Instant::now();
                f();
                (start, Instant::now())
            })
        })
        .collect();
    let spans: Vec<(Instant, Instant)> = hs.into_iter().map(|h| h.join().unwrap()).collect();
    let first = spans.iter().map(|s| s.0).min().unwrap();
    let last = spans.iter().map(|s| s.1).max().unwrap();
    last - first
}

/// One timed run of `w` for implementation `C` on OS threads.
fn blocking_run<C: Blocking>(w: Workload, cap: Cap, n: usize, timeout: Duration) -> Measure {
    if matches!(w, Workload::SelectRx | Workload::SelectBoth) {
        if let Err(why) = C::SELECT {
            return Measure::Na(why);
        }
    }
    guarded(timeout, move || {
        let mut parties: Vec<Party> = Vec::new();
        let mut keep = Vec::new();
        match w {
            Workload::Spsc | Workload::Mpsc | Workload::Mpmc => {
                let (s, r) = C::new(cap);
                let (senders, receivers) = w.parties();
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
                keep.push((s, r));
            }
            Workload::SelectRx | Workload::SelectBoth => {
                let chans: Vec<_> = (0..T).map(|_| C::new(cap)).collect();
                let ss: Vec<C::S> = chans.iter().map(|c| c.0.clone()).collect();
                let rs: Vec<C::R> = chans.iter().map(|c| c.1.clone()).collect();
                keep.extend(chans);
                if w == Workload::SelectRx {
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
            Workload::Pingpong => {
                let (s1, r1) = C::new(Cap::Zero);
                let (s2, r2) = C::new(Cap::Zero);
                let trips = w.ops(n);
                parties.push(Box::new(move || {
                    for i in 0..trips {
                        C::send(&s1, i);
                        C::recv(&r2);
                    }
                }));
                parties.push(Box::new(move || {
                    for _ in 0..trips {
                        let v = C::recv(&r1);
                        C::send(&s2, v);
                    }
                }));
            }
        }
        let elapsed = run_threads(parties);
        drop(keep);
        per_op(elapsed, w.ops(n))
    })
}

// ------------------------------------------------------------ async (goroutine) flavour

trait Async: 'static {
    type S: Clone + Send + Sync + 'static;
    type R: Clone + Send + Sync + 'static;
    const NAME: &'static str;
    const SELECT: Result<(), &'static str> = Err(NO_SELECT);
    const MPMC: Result<(), &'static str> = Ok(());
    /// `Err(why)` if this capacity is not supported.
    fn new(cap: Cap) -> Result<(Self::S, Self::R), &'static str>;
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
    const SELECT: Result<(), &'static str> = Ok(());
    fn new(cap: Cap) -> Result<(Self::S, Self::R), &'static str> {
        Ok(Ithaca::new(cap))
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
    fn new(cap: Cap) -> Result<(Self::S, Self::R), &'static str> {
        Ok(Flume::new(cap))
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
    fn new(cap: Cap) -> Result<(Self::S, Self::R), &'static str> {
        Ok(match cap.n() {
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
    fn new(cap: Cap) -> Result<(Self::S, Self::R), &'static str> {
        match cap.n() {
            Some(0) => Err("no capacity 0 (panics)"),
            Some(n) => Ok(async_channel::bounded(n)),
            None => Ok(async_channel::unbounded()),
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
    type R = Arc<tokio::sync::Mutex<TokioRx>>;
    const NAME: &'static str = "tokio-mpsc";
    const MPMC: Result<(), &'static str> = Err("single receiver");
    fn new(cap: Cap) -> Result<(Self::S, Self::R), &'static str> {
        let (s, r) = match cap.n() {
            Some(0) => return Err("no capacity 0 (panics)"),
            Some(n) => {
                let (s, r) = tokio::sync::mpsc::channel(n);
                (TokioTx::Bounded(s), TokioRx::Bounded(r))
            }
            None => {
                let (s, r) = tokio::sync::mpsc::unbounded_channel();
                (TokioTx::Unbounded(s), TokioRx::Unbounded(r))
            }
        };
        Ok((s, Arc::new(tokio::sync::Mutex::new(r))))
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

/// One timed run of `w` for implementation `C` as tasks on `rt`.
fn async_run<C: Async>(rt: Rt, w: Workload, cap: Cap, n: usize, timeout: Duration) -> Measure {
    let cap_used = if w == Workload::Pingpong {
        Cap::Zero
    } else {
        cap
    };
    if let Err(why) = C::new(cap_used) {
        return Measure::Na(why);
    }
    match w {
        Workload::Mpmc => {
            if let Err(why) = C::MPMC {
                return Measure::Na(why);
            }
        }
        Workload::SelectRx | Workload::SelectBoth => {
            if let Err(why) = C::SELECT {
                return Measure::Na(why);
            }
        }
        _ => {}
    }
    guarded(timeout, move || {
        let mut tasks: Vec<BoxFut<()>> = Vec::new();
        let mut keep = Vec::new();
        let new = || C::new(cap_used).unwrap();
        match w {
            Workload::Spsc | Workload::Mpsc | Workload::Mpmc => {
                let (s, r) = new();
                let (senders, receivers) = w.parties();
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
                keep.push((s, r));
            }
            Workload::SelectRx | Workload::SelectBoth => {
                let chans: Vec<_> = (0..T).map(|_| new()).collect();
                let ss: Vec<C::S> = chans.iter().map(|c| c.0.clone()).collect();
                let rs: Vec<C::R> = chans.iter().map(|c| c.1.clone()).collect();
                keep.extend(chans);
                if w == Workload::SelectRx {
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
            Workload::Pingpong => {
                let (s1, r1) = new();
                let (s2, r2) = new();
                let trips = w.ops(n);
                tasks.push(Box::pin(async move {
                    for i in 0..trips {
                        C::send(&s1, i).await;
                        C::recv(&r2).await;
                    }
                }));
                tasks.push(Box::pin(async move {
                    for _ in 0..trips {
                        let v = C::recv(&r1).await;
                        C::send(&s2, v).await;
                    }
                }));
            }
        }
        let rt2 = rt.clone();
        let elapsed = rt.root(async move { rt2.spawn_all(tasks).await });
        drop(keep);
        per_op(elapsed, w.ops(n))
    })
}

// ------------------------------------------------------------------------------- sections

/// The messages of one run of a channel row (every party gets a whole share).
fn messages(cfg: &Config) -> usize {
    cfg.size_multiple(N, 2 * T)
}

/// The operations (messages, or round trips for ping-pong) one run of row `id` reports per.
pub fn ops(cfg: &Config, id: &str) -> usize {
    let n = messages(cfg);
    let w = Workload::ALL
        .into_iter()
        .find(|w| id.contains(&format!("/{}/", w.name())))
        .unwrap_or_else(|| panic!("no workload in row id {id:?}"));
    w.ops(n)
}

/// The channel row `id` and its section, for the one-row modes (`BENCH_INSTR`,
/// `BENCH_REGIME`); `mode` names the mode in the panic if there is no such row.
pub fn find_row<'a>(sections: &'a [Section], id: &str, mode: &str) -> (&'a Section, &'a RowSpec) {
    sections
        .iter()
        .flat_map(|s| s.rows.iter().map(move |r| (s, r)))
        .find(|(_, r)| r.id == id)
        .unwrap_or_else(|| panic!("{mode}: no channel row {id:?}"))
}

/// The two channel sections (thread flavour, goroutine flavour).
pub fn sections(cfg: &Config, ithaca: &Rt, tokio: &Rt) -> Vec<Section> {
    let n = messages(cfg);
    let to = cfg.timeout;
    let mut thread_rows = Vec::new();
    let mut task_rows = Vec::new();
    for w in Workload::ALL {
        for &cap in w.caps() {
            let unit = if w == Workload::Pingpong {
                "ns/round trip"
            } else {
                "ns/msg"
            };
            let runs: Vec<Runner> = vec![
                Box::new(move || blocking_run::<Ithaca>(w, cap, n, to)),
                Box::new(move || blocking_run::<Crossbeam>(w, cap, n, to)),
                Box::new(move || blocking_run::<Flume>(w, cap, n, to)),
                Box::new(move || blocking_run::<Kanal>(w, cap, n, to)),
            ];
            thread_rows.push(RowSpec {
                id: format!("chan/thread/{}/{}", w.name(), cap.label()),
                workload: w.name().into(),
                cap: cap.label().into(),
                unit,
                runs,
            });
            let (i, t) = (ithaca.clone(), tokio.clone());
            let runs: Vec<Runner> = vec![
                Box::new(move || async_run::<IthacaAsync>(i.clone(), w, cap, n, to)),
                Box::new({
                    let t = t.clone();
                    move || async_run::<FlumeAsync>(t.clone(), w, cap, n, to)
                }),
                Box::new({
                    let t = t.clone();
                    move || async_run::<KanalAsync>(t.clone(), w, cap, n, to)
                }),
                Box::new({
                    let t = t.clone();
                    move || async_run::<AsyncChannel>(t.clone(), w, cap, n, to)
                }),
                Box::new(move || async_run::<TokioMpsc>(t.clone(), w, cap, n, to)),
            ];
            task_rows.push(RowSpec {
                id: format!("chan/goroutine/{}/{}", w.name(), cap.label()),
                workload: w.name().into(),
                cap: cap.label().into(),
                unit,
                runs,
            });
        }
    }
    vec![
        Section {
            title: format!(
                "Channels, thread flavour (OS threads, blocking calls; N = {n}, T = {T})"
            ),
            impls: vec![Ithaca::NAME, Crossbeam::NAME, Flume::NAME, Kanal::NAME],
            rows: thread_rows,
        },
        Section {
            title: format!(
                "Channels, goroutine flavour (async tasks on {} workers; N = {n}, T = {T})",
                cfg.workers
            ),
            impls: vec![
                IthacaAsync::NAME,
                FlumeAsync::NAME,
                KanalAsync::NAME,
                AsyncChannel::NAME,
                TokioMpsc::NAME,
            ],
            rows: task_rows,
        },
    ]
}
