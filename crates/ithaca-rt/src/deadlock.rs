//! Deadlock detection: Go's "fatal error: all goroutines are asleep - deadlock!", made safe
//! for a library that shares the process with threads and runtimes it does not control.
//!
//! The rules are documented on [`Deadlock`].
//!
//! # Invariants
//!
//! * A watch is registered before its root goroutine is spawned and removed after the root's
//!   waiter stopped waiting; each watch is reported at most once.
//! * The detector only reads: it never wakes or cancels a goroutine itself (the waiter
//!   cancels its own root), and holds no registry lock while formatting a report.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::Thread;
use std::time::Duration;

use crate::dump::Dump;
use crate::record::BLOCKED;
use crate::runtime::snapshot;
use crate::sync::lock;
use crate::threads;
use crate::tracking;

/// What happens when the deadlock detector proves that a root goroutine can never finish.
///
/// Set per runtime with [`Builder::deadlock_policy`](crate::runtime::Builder::deadlock_policy);
/// the default runtime reads the `ITHACA_DEADLOCK` environment variable (`panic`, `log`,
/// `abort`, `off`) and defaults to `Panic`.
///
/// ```
/// use ithaca_rt::runtime::{Builder, DeadlockPolicy};
/// let rt = Builder::new().deadlock_policy(DeadlockPolicy::Off).build().unwrap();
/// assert_eq!(rt.block_on(async { 1 }), 1);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeadlockPolicy {
    /// (Default.) Cancel the root goroutine and panic the thread waiting for it (in
    /// `block_on`, `#[ithaca::main]`, `#[ithaca::test]`) with the report.
    #[default]
    Panic,
    /// Print the report to stderr once; keep waiting.
    Log,
    /// Print the report and exit the process with status 2, like Go.
    Abort,
    /// Do not watch this runtime's roots.
    Off,
}

impl DeadlockPolicy {
    /// Parses `panic` / `log` / `abort` / `off` (the `ITHACA_DEADLOCK` values).
    pub(crate) fn from_env() -> Result<Option<DeadlockPolicy>, String> {
        use DeadlockPolicy::*;
        let choices = [
            ("panic", Panic),
            ("log", Log),
            ("abort", Abort),
            ("off", Off),
            ("0", Off),
            ("false", Off),
        ];
        crate::runtime::policy_from_env("ITHACA_DEADLOCK", &choices)
    }
}

/// A proven deadlock: the report Go prints as "fatal error: all goroutines are asleep -
/// deadlock!", with the goroutines of the stuck root's bubble and where each one waits.
///
/// ```
/// # ithaca_rt::runtime::assume_test_harness(); // doctest binaries are harness-like
/// let err = ithaca_rt::runtime::run_detecting(async {
///     let (tx, rx) = ithaca_chan::bounded::<i32>(0);
///     rx.recv().await; // nobody will ever send: tx is ours
///     drop(tx);
/// })
/// .unwrap_err();
/// assert!(err.to_string().starts_with("fatal error: all goroutines are asleep - deadlock!"));
/// assert_eq!(err.goroutines().len(), 1);
/// ```
///
/// # What is watched
///
/// Every root goroutine — the future of [`block_on`](crate::block_on) / [`run`](crate::run),
/// `#[ithaca::main]`, `#[ithaca::test]`, [`run_detecting`](crate::runtime::run_detecting) —
/// starts a *bubble* (as in Go's `testing/synctest`): the root and every goroutine spawned
/// from inside it, transitively ([`GoroutineInfo::bubble`](crate::runtime::GoroutineInfo)).
/// While a root runs, one process-wide detector thread (`ithaca-deadlock`) checks every
/// [`deadlock_check_interval`](set_deadlock_check_interval) (default 20 ms). The detector
/// sleeps (parked, no cost) while no root is running.
///
/// # When a deadlock is reported (what the detector can prove)
///
/// A check *passes* when all of these hold at once:
///
/// 1. every live goroutine **in the process** (not only in the bubble) is `Blocked` on an
///    ithaca primitive with a **durable** wait: a channel operation, a `select` without timer
///    or deadline arms (also over nil channels, and the empty select), `Mutex`/`RwMutex`
///    lock, `WaitGroup::wait`, `Cond::wait`, a semaphore — waits only another ithaca party
///    can end. A goroutine that is runnable, running, sleeping or waiting on a timer or
///    deadline, or `Waiting` on I/O or a foreign future (tokio I/O, a tokio channel...) fails
///    the check;
/// 2. no plain thread is blocked in an ithaca primitive
///    ([`diag::blocked_threads`](ithaca_core::diag::blocked_threads) counts only the threads
///    parked in `block_on` for their roots);
/// 3. every ithaca runtime is idle: each worker is parked, the global run queue is empty, and
///    the runtime runs no task besides the registered goroutines (so a raw `tokio::spawn`
///    task is seen and keeps the detector silent);
/// 4. every OS thread of the process is accounted for (Linux `/proc/self/task`): ithaca's
///    runtime and service threads, threads parked in `block_on`, and — in a test binary run
///    through `#[ithaca::test]` or after [`assume_test_harness`] — libtest's main thread.
///    **Any other thread keeps the detector silent while it exists**, whatever it does: it
///    might hold a channel handle.
///
/// A deadlock is reported when two consecutive checks pass with an identical fingerprint
/// (the same goroutines with the same `polls` counters, the same worker park counters): no
/// goroutine was polled and no worker woke up in between. Then nothing in the process can
/// make progress, so the report is a proof, and the goroutines named are those of the
/// bubble whose root is waiting (the report also goes to every other watched root whose
/// bubble is stuck). Latency: between one and two check intervals after the last goroutine
/// blocks (20–60 ms by default).
///
/// # When it stays silent (and why it cannot do better)
///
/// * While a plain thread, a foreign runtime or a `tokio::spawn` task exists: it could hold a
///   sender. This includes other (non-ithaca) tests running in parallel in the same test
///   binary: the report comes once they are done.
/// * While a goroutine anywhere sleeps, waits on a timer or deadline, or on I/O (a server
///   accepting connections): it could send later. Go's detector behaves the same way for
///   timers and network waits.
/// * On systems other than Linux (threads cannot be listed).
/// * When the crate is built without the `diagnostics` feature: there is no registry to
///   prove anything with, so the detector never starts (`run_detecting` then simply waits).
/// * Partial deadlocks — a few goroutines stuck on each other while others keep running — are
///   not reported: proving that nobody else holds a handle to the channel they wait on would
///   need reachability information Rust does not have. Go does not report them either. What
///   ithaca adds instead: channels close when their last sender (or receiver) is dropped, so a
///   receiver whose senders are all gone is woken with `None` rather than stuck; the leak
///   check of `#[ithaca::test]` ([`verify_none_leaked`](crate::runtime::verify_none_leaked))
///   catches goroutines a test left blocked; a root that *returns* while goroutines it
///   started are still durably blocked reports them per its
///   [`LeakPolicy`](crate::runtime::LeakPolicy) (logged by default for `#[ithaca::main]`,
///   [`run_reporting_leaks`](crate::runtime::run_reporting_leaks) returns them); and
///   [`dump`](crate::runtime::dump) / SIGQUIT show any goroutine blocked for minutes.
/// * One case the inventory cannot see: tokio's own blocking pool running a raw
///   `tokio::task::spawn_blocking` closure (or a `tokio::fs` call) that nobody awaits. Await
///   it (the awaiting goroutine is then `Waiting`) or use [`spawn_blocking`](crate::spawn_blocking),
///   whose goroutines are registered.
///
/// # What happens on a report
///
/// The waiting root's [`DeadlockPolicy`] decides: `Panic` (default) panics the thread
/// waiting in `block_on` (or the test) with the report, after cancelling the root goroutine;
/// [`run_detecting`](crate::runtime::run_detecting) returns it as `Err(Deadlock)`; `Log`
/// prints it once and keeps waiting; `Abort` prints it and exits with status 2, like Go.
#[derive(Clone, Debug)]
pub struct Deadlock {
    root: u64,
    dump: Dump,
}

impl Deadlock {
    /// The id of the root goroutine (its bubble's id).
    ///
    /// ```
    /// # ithaca_rt::runtime::assume_test_harness();
    /// let err = ithaca_rt::runtime::run_detecting(async {
    ///     let mu = ithaca_sync::Mutex::new(());
    ///     let _g = mu.lock().await;
    ///     let _again = mu.lock().await; // Go's double Lock
    /// })
    /// .unwrap_err();
    /// assert!(err.goroutines().iter().any(|g| g.id == err.root()));
    /// ```
    pub fn root(&self) -> u64 {
        self.root
    }

    /// The goroutines of the bubble, each blocked forever, sorted by id.
    ///
    /// ```
    /// # ithaca_rt::runtime::assume_test_harness();
    /// let err = ithaca_rt::runtime::run_detecting(async {
    ///     let wg = ithaca_sync::WaitGroup::new();
    ///     wg.add(1);
    ///     wg.wait().await;
    /// })
    /// .unwrap_err();
    /// assert_eq!(err.goroutines()[0].id, err.root());
    /// ```
    pub fn goroutines(&self) -> &[crate::runtime::GoroutineInfo] {
        self.dump.goroutines()
    }

    /// The dump of the bubble's goroutines.
    ///
    /// ```
    /// # ithaca_rt::runtime::assume_test_harness();
    /// let err = ithaca_rt::runtime::run_detecting(async {
    ///     ithaca_chan::select! {}; // Go's `select {}`
    /// })
    /// .unwrap_err();
    /// assert!(err.dump().to_json().contains("\"durable\":true"));
    /// ```
    pub fn dump(&self) -> &Dump {
        &self.dump
    }
}

impl fmt::Display for Deadlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "fatal error: all goroutines are asleep - deadlock!\n\n{}",
            self.dump
        )
    }
}

impl std::error::Error for Deadlock {}

/// One root goroutine being waited for.
pub(crate) struct Watch {
    bubble: u64,
    tid: i32,
    thread: Thread,
    policy: DeadlockPolicy,
    reported: AtomicBool,
    report: Mutex<Option<Deadlock>>,
}

static WATCHES: Mutex<Vec<Arc<Watch>>> = Mutex::new(Vec::new());
static ROOT_WAITERS: AtomicUsize = AtomicUsize::new(0);
static INTERVAL_US: AtomicU64 = AtomicU64::new(20_000);
static HARNESS: AtomicBool = AtomicBool::new(false);
static DETECTOR: OnceLock<Thread> = OnceLock::new();

/// Sets how often the deadlock detector checks (process-wide; default 20 ms). A deadlock is
/// reported one to two intervals after it forms; each check that finds something runnable
/// costs a registry pass that stops at the first goroutine not durably blocked.
///
/// # Panics
///
/// If `d` is zero.
///
/// ```
/// ithaca_rt::runtime::set_deadlock_check_interval(std::time::Duration::from_millis(10));
/// assert_eq!(ithaca_rt::runtime::deadlock_check_interval().as_millis(), 10);
/// ```
#[track_caller]
pub fn set_deadlock_check_interval(d: Duration) {
    assert!(
        !d.is_zero(),
        "ithaca: the deadlock check interval must be positive"
    );
    let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1);
    INTERVAL_US.store(us, Ordering::Relaxed);
}

/// The deadlock detector's check interval (see [`set_deadlock_check_interval`]).
///
/// ```
/// assert!(ithaca_rt::runtime::deadlock_check_interval() > std::time::Duration::ZERO);
/// ```
pub fn deadlock_check_interval() -> Duration {
    Duration::from_micros(INTERVAL_US.load(Ordering::Relaxed))
}

/// Declares that this process is a libtest test binary, whose main thread only collects test
/// results: the deadlock detector then accounts for it (see [`Deadlock`], rule 4).
/// `#[ithaca::test]` calls it; call it yourself before
/// [`run_detecting`](crate::runtime::run_detecting) in a plain `#[test]`. Never call it in a
/// program whose main thread might hold a channel handle while another thread runs a root.
///
/// ```
/// ithaca_rt::runtime::assume_test_harness();
/// ```
pub fn assume_test_harness() {
    HARNESS.store(true, Ordering::Relaxed);
}

/// Unregisters a watch when its root's waiter stops waiting.
pub(crate) struct WatchGuard(Arc<Watch>);

/// Registers the calling thread as waiting for the root goroutine `bubble`.
pub(crate) fn watch(bubble: u64, policy: DeadlockPolicy) -> WatchGuard {
    // Without the registry there is nothing to prove a deadlock with.
    let policy = if tracking::ENABLED {
        policy
    } else {
        DeadlockPolicy::Off
    };
    let w = Arc::new(Watch {
        bubble,
        tid: threads::tid(),
        thread: std::thread::current(),
        policy,
        reported: AtomicBool::new(false),
        report: Mutex::new(None),
    });
    ROOT_WAITERS.fetch_add(1, Ordering::SeqCst);
    lock(&WATCHES).push(w.clone());
    if policy != DeadlockPolicy::Off {
        detector().unpark();
    }
    WatchGuard(w)
}

impl WatchGuard {
    /// The deadlock report for this root, if the detector delivered one.
    pub(crate) fn take_report(&self) -> Option<Deadlock> {
        lock(&self.0.report).take()
    }
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        let mut ws = lock(&WATCHES);
        if let Some(i) = ws.iter().position(|w| Arc::ptr_eq(w, &self.0)) {
            ws.swap_remove(i);
        }
        drop(ws);
        ROOT_WAITERS.fetch_sub(1, Ordering::SeqCst);
    }
}

fn detector() -> &'static Thread {
    DETECTOR.get_or_init(|| {
        std::thread::Builder::new()
            .name("ithaca-deadlock".into())
            .spawn(detector_main)
            .expect("ithaca: cannot start the deadlock detector thread")
            .thread()
            .clone()
    })
}

/// What two consecutive passing checks must agree on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Fingerprint {
    goroutines: u64,
    polls: u64,
    ids: u64,
    parks: u64,
}

fn detector_main() {
    threads::register_current();
    let mut prev: Option<Fingerprint> = None;
    loop {
        let active = lock(&WATCHES)
            .iter()
            .any(|w| w.policy != DeadlockPolicy::Off && !w.reported.load(Ordering::Relaxed));
        if !active {
            prev = None;
            std::thread::park();
            continue;
        }
        std::thread::sleep(deadlock_check_interval());
        let watches: Vec<Arc<Watch>> = lock(&WATCHES).clone();
        match check(&watches) {
            Some(fp) if prev == Some(fp) => {
                report(&watches);
                prev = None;
            }
            fp => prev = fp,
        }
    }
}

fn mix(id: u64) -> u64 {
    // splitmix64 finaliser: a sum of mixed ids identifies the set of goroutines.
    let mut z = id.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One check (see [`Deadlock`]); `Some` when everything is durably stuck.
fn check(watches: &[Arc<Watch>]) -> Option<Fingerprint> {
    // 2. plain threads in ithaca primitives, other than root waiters.
    if ithaca_core::diag::blocked_threads() != ROOT_WAITERS.load(Ordering::SeqCst) {
        return None;
    }
    // 1. every goroutine durably blocked.
    let mut fp = Fingerprint::default();
    let all = tracking::for_each(|r| {
        if r.state.load(crate::sync::Ordering::Acquire) != BLOCKED {
            return false;
        }
        match r.wait() {
            Some(w) if w.durable => {}
            _ => return false,
        }
        fp.goroutines += 1;
        fp.polls = fp
            .polls
            .wrapping_add(r.polls.load(crate::sync::Ordering::Relaxed));
        fp.ids = fp.ids.wrapping_add(mix(r.id));
        true
    });
    if !all || fp.goroutines == 0 {
        return None;
    }
    // 3. runtimes idle, no unregistered task.
    let mut tasks = 0u64;
    let idle = crate::runtime::for_each_live_runtime(|m| {
        if m.global_queue_depth() != 0 {
            return false;
        }
        tasks += m.num_alive_tasks() as u64;
        for w in 0..m.num_workers() {
            let c = m.worker_park_unpark_count(w);
            if c % 2 == 0 {
                return false; // this worker is active
            }
            fp.parks = fp.parks.wrapping_add(c);
        }
        true
    });
    if !idle || tasks != fp.goroutines {
        return None;
    }
    // 4. every OS thread accounted for.
    let tids: Vec<i32> = watches.iter().map(|w| w.tid).collect();
    if !threads::all_accounted(&tids, HARNESS.load(Ordering::Relaxed)) {
        return None;
    }
    Some(fp)
}

fn report(watches: &[Arc<Watch>]) {
    let all = snapshot();
    for w in watches {
        if w.policy == DeadlockPolicy::Off || w.reported.load(Ordering::Relaxed) {
            continue;
        }
        let members: Vec<_> = all
            .iter()
            .filter(|g| g.bubble == Some(w.bubble))
            .cloned()
            .collect();
        if members.is_empty() {
            continue; // the root finished meanwhile
        }
        w.reported.store(true, Ordering::Relaxed);
        let d = Deadlock {
            root: w.bubble,
            dump: Dump::of_some(members),
        };
        match w.policy {
            DeadlockPolicy::Panic => {
                *lock(&w.report) = Some(d);
                w.thread.unpark();
            }
            DeadlockPolicy::Log => eprintln!("ithaca: {d}"),
            DeadlockPolicy::Abort => {
                eprintln!("{d}");
                eprintln!("ithaca: DeadlockPolicy::Abort: exiting with status 2");
                std::process::exit(2);
            }
            DeadlockPolicy::Off => {}
        }
    }
}
