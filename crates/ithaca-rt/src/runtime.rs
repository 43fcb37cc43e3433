//! Runtimes, and what every goroutine is doing right now.
//!
//! # Which runtime runs a goroutine
//!
//! ithaca runs goroutines as tasks of a tokio **multi-thread** runtime, so tokio-based
//! libraries (`tokio::net`, axum, hyper, ...) work inside goroutines unchanged. There is
//! always a runtime to spawn on, as in Go:
//!
//! * Code running on a thread of an ithaca [`Runtime`] (a goroutine, a
//!   [`spawn_blocking`](crate::spawn_blocking) closure) spawns onto that runtime.
//! * Everywhere else — `main`, a plain thread, a task of a *foreign* tokio runtime — goroutines
//!   go to the process-wide **default runtime**, started on first use with one worker per CPU
//!   (or `ITHACA_MAXPROCS` workers), or configured beforehand with [`Builder::install`].
//!   Spawning from inside a foreign tokio runtime therefore does not put the goroutine on that
//!   runtime: it lands on the ithaca runtime so that the registry, panic policy and
//!   diagnostics apply to it. Awaiting its [`JoinHandle`] from the foreign
//!   runtime works (wakers are runtime-agnostic).
//!
//! ```
//! use ithaca_rt::runtime::{self, Builder, PanicPolicy};
//!
//! let rt = Builder::new()
//!     .worker_threads(2)
//!     .thread_name("my-worker")
//!     .panic_policy(PanicPolicy::Propagate)
//!     .build()
//!     .unwrap();
//! let n = rt.block_on(async {
//!     // Inside, `go!` spawns onto `rt`.
//!     let h = ithaca_rt::go!(async { std::thread::current().name().unwrap().to_owned() });
//!     h.await.unwrap()
//! });
//! assert_eq!(n, "my-worker");
//! ```
//!
//! # Observing goroutines
//!
//! Every goroutine (async or blocking) is registered from spawn to exit in a sharded registry:
//! [`num_goroutines`], [`snapshot`] and [`summary`] read it. While a goroutine is polled,
//! ithaca primitives report what they are about to wait on
//! ([`ithaca_core::diag::note_wait`]); a poll that then returns `Pending` leaves the goroutine
//! [`Blocked`](GoroutineState::Blocked) on that operation, while a `Pending` without such a
//! report (tokio I/O, a foreign channel) leaves it [`Waiting`](GoroutineState::Waiting).
//!
//! ```
//! # ithaca_rt::block_on(async {
//! use ithaca_rt::runtime;
//! let (tx, rx) = tokio::sync::oneshot::channel::<()>();
//! let h = ithaca_rt::Goroutine::new().name("sleeper").spawn(async move { rx.await.ok(); });
//! let id = h.id();
//! // Bounded polling: the goroutine reaches its await point soon.
//! for _ in 0..10_000 {
//!     let s = runtime::snapshot();
//!     if s.iter().any(|g| g.id == id && g.state == runtime::GoroutineState::Waiting) { break; }
//!     tokio::task::yield_now().await;
//! }
//! let g = runtime::snapshot().into_iter().find(|g| g.id == id).unwrap();
//! assert_eq!(g.name.as_deref(), Some("sleeper"));
//! assert_eq!(g.state, runtime::GoroutineState::Waiting);
//! tx.send(()).unwrap();
//! h.await.unwrap();
//! # });
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::panic::Location;
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use crate::join::JoinHandle;
use crate::record::{Record, BLOCKED, DONE, NOTED, RUNNABLE, RUNNING};
use crate::sync::Ordering;
use crate::task::{self, Registration, Task};
use crate::tracking;

pub use crate::deadlock::{
    assume_test_harness, deadlock_check_interval, set_deadlock_check_interval, Deadlock,
    DeadlockPolicy,
};
pub use crate::dump::{dump, Dump};
pub use crate::leak::{
    run_reporting_leaks, verify_none_leaked, Baseline, LeakPolicy, Leaked, ROOT_LEAK_GRACE,
};
pub use crate::sigquit::{install_sigquit_dump, install_sigquit_handler};

/// What happens when a goroutine panics.
///
/// In every mode the standard panic hook prints the panic as usual; the modes differ in what
/// ithaca adds.
///
/// ```
/// use ithaca_rt::runtime::{Builder, PanicPolicy};
/// let rt = Builder::new().worker_threads(1).panic_policy(PanicPolicy::Log).build().unwrap();
/// let e = rt.spawn(async { panic!("logged") }).join().unwrap_err();
/// assert_eq!(e.panic_message(), Some("logged"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PanicPolicy {
    /// (Default.) The panic is delivered to the joiner as a [`JoinError`](crate::JoinError).
    /// If nobody can receive it (the JoinHandle was dropped, before or after the panic),
    /// ithaca prints a report naming the goroutine (id, name, spawn location), so a panic is
    /// never lost silently.
    #[default]
    Propagate = 0,
    /// Like Go: print the report, then exit the process with status 2.
    Abort = 1,
    /// Print the report at panic time, always; the joiner still gets the `JoinError`.
    Log = 2,
}

impl PanicPolicy {
    pub(crate) fn from_u8(v: u8) -> Self {
        match v {
            1 => PanicPolicy::Abort,
            2 => PanicPolicy::Log,
            _ => PanicPolicy::Propagate,
        }
    }
}

/// Configures and builds a [`Runtime`] (tokio multi-thread scheduler, I/O and time enabled).
///
/// ```
/// let rt = ithaca_rt::runtime::Builder::new().worker_threads(2).build().unwrap();
/// assert_eq!(rt.handle().max_procs(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    worker_threads: Option<usize>,
    max_blocking_threads: Option<usize>,
    thread_name: String,
    thread_stack_size: Option<usize>,
    panic_policy: PanicPolicy,
    deadlock_policy: Option<DeadlockPolicy>,
    leak_policy: Option<LeakPolicy>,
    dump_on_sigquit: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads `ITHACA_MAXPROCS`: `Ok(None)` if unset.
fn maxprocs_env() -> io::Result<Option<usize>> {
    match std::env::var("ITHACA_MAXPROCS") {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Ok(s) => match s.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("ITHACA_MAXPROCS must be a positive integer, got {s:?}"),
            )),
        },
        Err(e) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("ITHACA_MAXPROCS is not valid unicode: {e}"),
        )),
    }
}

impl Builder {
    /// Defaults: one worker per CPU (overridden by the `ITHACA_MAXPROCS` environment
    /// variable), threads named `ithaca-worker`, tokio's blocking pool limits,
    /// [`PanicPolicy::Propagate`].
    ///
    /// ```
    /// let rt = ithaca_rt::runtime::Builder::new().build().unwrap();
    /// assert!(rt.handle().max_procs() >= 1);
    /// ```
    pub fn new() -> Self {
        Builder {
            worker_threads: None,
            max_blocking_threads: None,
            thread_name: "ithaca-worker".to_owned(),
            thread_stack_size: None,
            panic_policy: PanicPolicy::Propagate,
            deadlock_policy: None,
            leak_policy: None,
            dump_on_sigquit: false,
        }
    }

    /// The number of worker threads that run goroutines (Go's `GOMAXPROCS`). Takes precedence
    /// over `ITHACA_MAXPROCS`.
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    ///
    /// ```
    /// let rt = ithaca_rt::runtime::Builder::new().worker_threads(3).build().unwrap();
    /// assert_eq!(rt.handle().max_procs(), 3);
    /// ```
    #[track_caller]
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "ithaca: Builder::worker_threads must be at least 1");
        self.worker_threads = Some(n);
        self
    }

    /// The most threads the blocking pool ([`spawn_blocking`](crate::spawn_blocking)) may
    /// start (tokio's default: 512).
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    ///
    /// ```
    /// let rt = ithaca_rt::runtime::Builder::new().max_blocking_threads(4).build().unwrap();
    /// assert_eq!(rt.spawn_blocking(|| 1).join().unwrap(), 1);
    /// ```
    #[track_caller]
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        assert!(
            n > 0,
            "ithaca: Builder::max_blocking_threads must be at least 1"
        );
        self.max_blocking_threads = Some(n);
        self
    }

    /// The name of the runtime's threads (workers and blocking pool).
    ///
    /// ```
    /// let rt = ithaca_rt::runtime::Builder::new().thread_name("w").build().unwrap();
    /// let n = rt.block_on(async { std::thread::current().name().map(str::to_owned) });
    /// assert_eq!(n.as_deref(), Some("w"));
    /// ```
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.thread_name = name.into();
        self
    }

    /// The stack size of the runtime's threads, in bytes.
    ///
    /// ```
    /// let rt = ithaca_rt::runtime::Builder::new().thread_stack_size(4 << 20).build().unwrap();
    /// assert_eq!(rt.block_on(async { 1 }), 1);
    /// ```
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Self {
        self.thread_stack_size = Some(bytes);
        self
    }

    /// What a goroutine panic does (see [`PanicPolicy`]).
    ///
    /// ```
    /// use ithaca_rt::runtime::{Builder, PanicPolicy};
    /// let rt = Builder::new().panic_policy(PanicPolicy::Propagate).build().unwrap();
    /// assert!(rt.spawn(async { panic!() }).join().is_err());
    /// ```
    pub fn panic_policy(&mut self, policy: PanicPolicy) -> &mut Self {
        self.panic_policy = policy;
        self
    }

    /// What happens when the deadlock detector proves that a root goroutine of this runtime
    /// can never finish (see [`DeadlockPolicy`] and the detector's rules in
    /// [`Deadlock`]). Default: the `ITHACA_DEADLOCK` environment variable, else
    /// [`DeadlockPolicy::Panic`].
    ///
    /// ```
    /// use ithaca_rt::runtime::{Builder, DeadlockPolicy};
    /// let rt = Builder::new().deadlock_policy(DeadlockPolicy::Log).build().unwrap();
    /// assert_eq!(rt.block_on(async { 2 }), 2);
    /// ```
    pub fn deadlock_policy(&mut self, policy: DeadlockPolicy) -> &mut Self {
        self.deadlock_policy = Some(policy);
        self
    }

    /// What this runtime's roots (`block_on`, `#[ithaca::main]`...) do when they return while
    /// goroutines they started are still durably blocked (see [`LeakPolicy`]). Default: the
    /// `ITHACA_LEAKS` environment variable, else `Log` for `#[ithaca::main]` and `Off` for
    /// the other roots.
    ///
    /// ```
    /// use ithaca_rt::runtime::{Builder, LeakPolicy};
    /// let rt = Builder::new().leak_policy(LeakPolicy::Log).build().unwrap();
    /// assert_eq!(rt.block_on(async { 2 }), 2); // nothing left behind: nothing printed
    /// ```
    pub fn leak_policy(&mut self, policy: LeakPolicy) -> &mut Self {
        self.leak_policy = Some(policy);
        self
    }

    /// Whether building the runtime also installs the `SIGQUIT` goroutine dump
    /// ([`install_sigquit_dump`]); default `false`. Installation failures (non-Linux) make
    /// [`build`](Builder::build) fail.
    ///
    /// ```
    /// let rt = ithaca_rt::runtime::Builder::new().dump_on_sigquit(true).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn dump_on_sigquit(&mut self, on: bool) -> &mut Self {
        self.dump_on_sigquit = on;
        self
    }

    /// Builds the runtime (its worker threads start now).
    ///
    /// # Errors
    ///
    /// If `ITHACA_MAXPROCS` is set but not a positive integer (and no
    /// [`worker_threads`](Builder::worker_threads) was given), if `ITHACA_DEADLOCK` is set
    /// but invalid (and no [`deadlock_policy`](Builder::deadlock_policy) was given), likewise
    /// for `ITHACA_LEAKS` and [`leak_policy`](Builder::leak_policy), if the
    /// SIGQUIT dump was asked for and cannot be installed, or if tokio cannot start.
    ///
    /// ```
    /// let rt = ithaca_rt::runtime::Builder::new().worker_threads(1).build().unwrap();
    /// assert_eq!(rt.block_on(async { 2 + 2 }), 4);
    /// ```
    pub fn build(&self) -> io::Result<Runtime> {
        let workers = match self.worker_threads {
            Some(n) => n,
            None => match maxprocs_env()? {
                Some(n) => n,
                None => std::thread::available_parallelism().map_or(1, |n| n.get()),
            },
        };
        let deadlock = match self.deadlock_policy {
            Some(p) => p,
            None => DeadlockPolicy::from_env()
                .map_err(|m| io::Error::new(io::ErrorKind::InvalidInput, m))?
                .unwrap_or_default(),
        };
        let leaks = match self.leak_policy {
            Some(p) => Some(p),
            None => LeakPolicy::from_env()
                .map_err(|m| io::Error::new(io::ErrorKind::InvalidInput, m))?,
        };
        if self.dump_on_sigquit {
            install_sigquit_dump()?;
        }
        let shared = Arc::new(Shared {
            tokio: OnceLock::new(),
            policy: self.panic_policy,
            deadlock,
            leaks,
        });
        let on_start = Arc::downgrade(&shared);
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.enable_all()
            .worker_threads(workers)
            .thread_name(self.thread_name.clone())
            .on_thread_start(move || {
                crate::threads::register_current();
                enter_context(&on_start)
            })
            .on_thread_stop(|| {
                leave_context();
                crate::threads::unregister_current();
            });
        if let Some(n) = self.max_blocking_threads {
            b.max_blocking_threads(n);
        }
        if let Some(s) = self.thread_stack_size {
            b.thread_stack_size(s);
        }
        let rt = b.build()?;
        let _ = shared.tokio.set(rt.handle().clone());
        let alive = Arc::new(());
        {
            let mut list = crate::sync::lock(&RUNTIMES);
            list.retain(|(w, _)| w.strong_count() > 0);
            list.push((Arc::downgrade(&alive), rt.handle().clone()));
        }
        Ok(Runtime {
            handle: Handle { shared },
            tokio: rt,
            _alive: alive,
        })
    }

    /// Builds the runtime and makes it the process-wide default (the one `go!` uses outside
    /// any ithaca runtime). Call it early in `main`, before anything spawns.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::AlreadyExists`] if the default runtime already started (something
    /// spawned a goroutine first, or `install` was called before); otherwise as
    /// [`build`](Builder::build).
    ///
    /// ```
    /// use ithaca_rt::runtime::Builder;
    /// let h = Builder::new().worker_threads(2).install().unwrap();
    /// assert_eq!(h.max_procs(), 2);
    /// assert_eq!(ithaca_rt::runtime::max_procs(), 2);
    /// assert!(Builder::new().install().is_err());
    /// ```
    pub fn install(&self) -> io::Result<Handle> {
        let already = || {
            io::Error::new(
                io::ErrorKind::AlreadyExists,
                "ithaca: the default runtime is already running; call Builder::install before \
                 the first goroutine is spawned",
            )
        };
        if DEFAULT.get().is_some() {
            return Err(already());
        }
        let rt = self.build()?;
        let handle = rt.handle().clone();
        match DEFAULT.set(rt) {
            Ok(()) => Ok(handle),
            Err(rt) => {
                // Lost a race with another first user; shut ours down without blocking.
                rt.tokio.shutdown_background();
                Err(already())
            }
        }
    }
}

struct Shared {
    tokio: OnceLock<tokio::runtime::Handle>,
    policy: PanicPolicy,
    deadlock: DeadlockPolicy,
    /// `None`: each kind of root's default (see [`LeakPolicy`]).
    leaks: Option<LeakPolicy>,
}

/// Every ithaca runtime built, with a liveness token dropped with its [`Runtime`] (for the
/// deadlock detector, which checks that they are idle).
type RuntimeList = Vec<(Weak<()>, tokio::runtime::Handle)>;
static RUNTIMES: std::sync::Mutex<RuntimeList> = std::sync::Mutex::new(Vec::new());

/// Calls `f` with the metrics of every live ithaca runtime; stops at the first `false`.
pub(crate) fn for_each_live_runtime(
    mut f: impl FnMut(&tokio::runtime::RuntimeMetrics) -> bool,
) -> bool {
    let list: Vec<tokio::runtime::Handle> = crate::sync::lock(&RUNTIMES)
        .iter()
        .filter(|(w, _)| w.strong_count() > 0)
        .map(|(_, h)| h.clone())
        .collect();
    list.iter().all(|h| f(&h.metrics()))
}

thread_local! {
    /// The ithaca runtime this thread belongs to (set for its worker and blocking threads).
    static CONTEXT: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

fn enter_context(shared: &Weak<Shared>) {
    if let Some(shared) = shared.upgrade() {
        let _ = CONTEXT.try_with(|c| *c.borrow_mut() = Some(Handle { shared }));
    }
}

fn leave_context() {
    let _ = CONTEXT.try_with(|c| c.borrow_mut().take());
}

static DEFAULT: OnceLock<Runtime> = OnceLock::new();

fn default_runtime() -> &'static Runtime {
    DEFAULT.get_or_init(|| {
        Builder::new()
            .build()
            .unwrap_or_else(|e| panic!("ithaca: cannot start the default runtime: {e}"))
    })
}

/// Calls `f` with the runtime `go!` uses on this thread.
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(&Handle) -> R) -> R {
    let mut f = Some(f);
    let r = CONTEXT
        .try_with(|c| {
            c.borrow()
                .as_ref()
                .map(|h| (f.take().expect("called once"))(h))
        })
        .ok()
        .flatten();
    match r {
        Some(r) => r,
        None => (f.take().expect("called once"))(default_runtime().handle()),
    }
}

/// An ithaca runtime: a tokio multi-thread runtime whose tasks are registered goroutines.
///
/// Dropping it shuts it down: unfinished goroutines are dropped (their joiners get a
/// cancelled [`JoinError`](crate::JoinError)). Like a tokio runtime, it must not be dropped
/// from async code; use [`shutdown_background`](Runtime::shutdown_background) there.
///
/// ```
/// let rt = ithaca_rt::runtime::Runtime::new().unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
pub struct Runtime {
    handle: Handle,
    tokio: tokio::runtime::Runtime,
    _alive: Arc<()>,
}

impl Runtime {
    /// A runtime with [`Builder::new`]'s defaults.
    ///
    /// # Errors
    ///
    /// As [`Builder::build`].
    ///
    /// ```
    /// let rt = ithaca_rt::runtime::Runtime::new().unwrap();
    /// # drop(rt);
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A cloneable handle to spawn onto this runtime from anywhere.
    ///
    /// ```
    /// let rt = ithaca_rt::runtime::Runtime::new().unwrap();
    /// let h = rt.handle().clone();
    /// let r = std::thread::spawn(move || h.spawn(async { 5 }).join()).join().unwrap();
    /// assert_eq!(r.unwrap(), 5);
    /// ```
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Spawns a goroutine onto this runtime (see [`spawn`](crate::spawn)).
    ///
    /// ```
    /// let rt = ithaca_rt::runtime::Runtime::new().unwrap();
    /// assert_eq!(rt.spawn(async { 3 }).join().unwrap(), 3);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn_inner(None, Location::caller(), fut)
    }

    /// Runs blocking code as a goroutine on this runtime's blocking pool (see
    /// [`spawn_blocking`](crate::spawn_blocking)).
    ///
    /// ```
    /// let rt = ithaca_rt::runtime::Runtime::new().unwrap();
    /// assert_eq!(rt.spawn_blocking(|| 3).join().unwrap(), 3);
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle
            .spawn_blocking_inner(None, Location::caller(), f)
    }

    /// Runs `fut` as the root goroutine of this runtime and blocks until it finishes (see
    /// [`block_on`](crate::block_on)).
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until the root goroutine finishes.
    ///
    /// # Panics
    ///
    /// If called from inside an async goroutine; re-raises the root goroutine's panic.
    ///
    /// ```
    /// let rt = ithaca_rt::runtime::Runtime::new().unwrap();
    /// assert_eq!(rt.block_on(async { ithaca_rt::current_id().is_some() }), true);
    /// ```
    #[track_caller]
    pub fn block_on<F>(&self, fut: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.block_on_inner(None, Location::caller(), fut)
    }

    /// Shuts the runtime down, waiting at most `timeout` for its threads (goroutines still
    /// blocked in blocking code are abandoned after that).
    ///
    /// ```
    /// let rt = ithaca_rt::runtime::Runtime::new().unwrap();
    /// rt.shutdown_timeout(std::time::Duration::from_millis(100));
    /// ```
    pub fn shutdown_timeout(self, timeout: Duration) {
        self.tokio.shutdown_timeout(timeout);
    }

    /// Shuts the runtime down without waiting; usable from async code.
    ///
    /// ```
    /// let rt = ithaca_rt::runtime::Runtime::new().unwrap();
    /// rt.shutdown_background();
    /// ```
    pub fn shutdown_background(self) {
        self.tokio.shutdown_background();
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("handle", &self.handle)
            .finish()
    }
}

/// A cloneable reference to a [`Runtime`], to spawn onto it from anywhere.
///
/// ```
/// let h = ithaca_rt::runtime::Handle::current();
/// assert_eq!(h.spawn(async { 1 }).join().unwrap(), 1);
/// ```
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("panic_policy", &self.shared.policy)
            .finish_non_exhaustive()
    }
}

impl Handle {
    /// The runtime [`go!`](crate::go) uses on this thread: the ithaca runtime this thread
    /// belongs to, or the process-wide default one (started now if needed).
    ///
    /// ```
    /// let h = ithaca_rt::runtime::Handle::current();
    /// assert!(h.max_procs() >= 1);
    /// ```
    pub fn current() -> Handle {
        with_current(Handle::clone)
    }

    fn tokio(&self) -> &tokio::runtime::Handle {
        self.shared
            .tokio
            .get()
            .expect("ithaca: runtime used before it finished building")
    }

    /// The runtime's number of worker threads (Go's `GOMAXPROCS`).
    ///
    /// ```
    /// let rt = ithaca_rt::runtime::Builder::new().worker_threads(2).build().unwrap();
    /// assert_eq!(rt.handle().max_procs(), 2);
    /// ```
    pub fn max_procs(&self) -> usize {
        self.tokio().metrics().num_workers()
    }

    /// Spawns a goroutine onto this runtime (see [`spawn`](crate::spawn)).
    ///
    /// ```
    /// let h = ithaca_rt::runtime::Handle::current();
    /// assert_eq!(h.spawn(async { 2 }).join().unwrap(), 2);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_inner(None, Location::caller(), fut)
    }

    /// Runs blocking code as a goroutine on this runtime's blocking pool (see
    /// [`spawn_blocking`](crate::spawn_blocking)).
    ///
    /// ```
    /// let h = ithaca_rt::runtime::Handle::current();
    /// assert_eq!(h.spawn_blocking(|| 2).join().unwrap(), 2);
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.spawn_blocking_inner(None, Location::caller(), f)
    }

    /// Runs `fut` as a root goroutine on this runtime and blocks until it finishes (see
    /// [`block_on`](crate::block_on)).
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until the root goroutine finishes.
    ///
    /// # Panics
    ///
    /// If called from inside an async goroutine; re-raises the root goroutine's panic.
    ///
    /// ```
    /// let h = ithaca_rt::runtime::Handle::current();
    /// assert_eq!(h.block_on(async { 7 }), 7);
    /// ```
    #[track_caller]
    pub fn block_on<F>(&self, fut: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.block_on_inner(None, Location::caller(), fut)
    }

    #[inline]
    pub(crate) fn spawn_inner<F>(
        &self,
        name: Option<Box<str>>,
        location: &'static Location<'static>,
        fut: F,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let reg = Registration::new(name, location, false, self.shared.policy, false);
        let rec = reg.rec.clone();
        let raw = self.tokio().spawn(Task::new(reg, fut));
        JoinHandle::new(raw, rec)
    }

    pub(crate) fn spawn_blocking_inner<F, R>(
        &self,
        name: Option<Box<str>>,
        location: &'static Location<'static>,
        f: F,
    ) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let reg = Registration::new(name, location, true, self.shared.policy, false);
        let rec = reg.rec.clone();
        let raw = self.tokio().spawn_blocking(task::blocking_body(reg, f));
        JoinHandle::new(raw, rec)
    }

    #[track_caller]
    pub(crate) fn block_on_inner<F>(
        &self,
        name: Option<Box<str>>,
        location: &'static Location<'static>,
        fut: F,
    ) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.block_on_with(name, location, fut, LeakPolicy::Off)
    }

    /// `block_on_inner` with `default_leaks` as the leak policy unless the runtime sets one.
    #[track_caller]
    pub(crate) fn block_on_with<F>(
        &self,
        name: Option<Box<str>>,
        location: &'static Location<'static>,
        fut: F,
        default_leaks: LeakPolicy,
    ) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let leaks = self.shared.leaks.unwrap_or(default_leaks);
        let label = (leaks != LeakPolicy::Off).then(|| name.clone());
        let (res, root) = self.root_inner(name, location, fut, self.shared.deadlock);
        let v = match res {
            Ok(v) => v,
            Err(d) => panic!("{d}"),
        };
        if let Some(label) = label {
            if let Err(leaked) = crate::leak::root_leaks(root) {
                let who = match label {
                    Some(n) => format!("root goroutine {root} {n:?}"),
                    None => format!("root goroutine {root}"),
                };
                let msg = crate::leak::root_report(&who, &leaked);
                match leaks {
                    LeakPolicy::Panic => panic!("{msg}"),
                    LeakPolicy::Log => eprintln!("{msg}"),
                    LeakPolicy::Off => {}
                }
            }
        }
        v
    }

    /// Runs `fut` as a root, then returns the leak report of its bubble (see
    /// [`run_reporting_leaks`]).
    #[track_caller]
    pub(crate) fn root_with_leaks<F>(
        &self,
        location: &'static Location<'static>,
        fut: F,
    ) -> (F::Output, Result<(), Leaked>)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (res, root) = self.root_inner(None, location, fut, self.shared.deadlock);
        match res {
            Ok(v) => (v, crate::leak::root_leaks(root)),
            Err(d) => panic!("{d}"),
        }
    }

    /// Runs `fut` as a root goroutine (a new bubble) and parks until it finishes or the
    /// deadlock detector reports it (only with `DeadlockPolicy::Panic`: the root is then
    /// cancelled). Returns the root's id too.
    #[track_caller]
    pub(crate) fn root_inner<F>(
        &self,
        name: Option<Box<str>>,
        location: &'static Location<'static>,
        fut: F,
        policy: DeadlockPolicy,
    ) -> (Result<F::Output, Deadlock>, u64)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        task::assert_may_block("block_on");
        let reg = Registration::new(name, location, false, self.shared.policy, true);
        let root = reg.rec.id;
        let watch = crate::deadlock::watch(root, policy);
        let rec = reg.rec.clone();
        let raw = self.tokio().spawn(Task::new(reg, fut));
        let mut h = JoinHandle::new(raw, rec);
        let res = {
            let _wait = ithaca_core::diag::ThreadWait::begin("block_on", false, location);
            let waker = task::thread_waker();
            let mut cx = std::task::Context::from_waker(&waker);
            loop {
                if let std::task::Poll::Ready(r) = std::pin::Pin::new(&mut h).poll(&mut cx) {
                    break Ok(r);
                }
                if let Some(d) = watch.take_report() {
                    h.abort();
                    break Err(d);
                }
                std::thread::park();
            }
        };
        drop(watch);
        let out = match res {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Ok(Err(e)) => panic!("ithaca: block_on: root {e}"),
            Err(d) => Err(d),
        };
        (out, root)
    }

    /// Runs `fut` as a root goroutine on this runtime, blocks until it finishes, and returns
    /// `Err` if the deadlock detector proves it never will (see
    /// [`run_detecting`]).
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until the root finishes or is found deadlocked.
    ///
    /// # Errors
    ///
    /// [`Deadlock`], after cancelling the root goroutine.
    ///
    /// # Panics
    ///
    /// If called from inside an async goroutine; re-raises the root goroutine's panic.
    ///
    /// ```
    /// let h = ithaca_rt::runtime::Handle::current();
    /// assert_eq!(h.run_detecting(async { 7 }).unwrap(), 7);
    /// ```
    #[track_caller]
    pub fn run_detecting<F>(&self, fut: F) -> Result<F::Output, Deadlock>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.root_inner(None, Location::caller(), fut, DeadlockPolicy::Panic)
            .0
    }
}

/// Runs `fut` as a root goroutine on the current runtime and blocks until it finishes, like
/// [`block_on`](crate::block_on), but returns a proven deadlock as `Err` (whatever the
/// runtime's [`DeadlockPolicy`]) instead of panicking: the root goroutine is then cancelled
/// and the [`Deadlock`] names every goroutine of its bubble and where it waits. See
/// [`Deadlock`]'s documentation for exactly when a deadlock is reported.
///
/// In a test binary, call [`assume_test_harness`] first (or use `#[ithaca::test]`), or
/// libtest's main thread keeps the detector silent.
///
/// # Blocking
///
/// Parks the calling thread until the root finishes or is found deadlocked.
///
/// # Errors
///
/// [`Deadlock`] when every goroutine is durably blocked and nothing else in the process can
/// wake them.
///
/// # Panics
///
/// If called from inside an async goroutine; re-raises the root goroutine's panic.
///
/// ```
/// ithaca_rt::runtime::assume_test_harness();
/// let err = ithaca_rt::runtime::run_detecting(async {
///     let (tx, rx) = ithaca_chan::bounded::<i32>(0);
///     let _keep = rx; // a receiver exists, but never receives
///     tx.send(1).await.unwrap(); // Go: `ch <- 1` with no receiver
/// })
/// .unwrap_err();
/// let g = &err.goroutines()[0];
/// assert!(matches!(g.state, ithaca_rt::runtime::GoroutineState::Blocked { op: "chan send", .. }));
/// ```
#[track_caller]
pub fn run_detecting<F>(fut: F) -> Result<F::Output, Deadlock>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let location = Location::caller();
    with_current(Handle::clone)
        .root_inner(None, location, fut, DeadlockPolicy::Panic)
        .0
}

/// Runs `fut` as a goroutine named `name` on the current runtime and blocks until it finishes,
/// then applies the runtime's [`LeakPolicy`] (default `Log`). What `#[ithaca::main]` expands
/// to; not a public API.
#[doc(hidden)]
#[track_caller]
pub fn __block_on_root<R, F>(name: &'static str, fut: F) -> R
where
    F: Future<Output = R> + Send + 'static,
    R: Send + 'static,
{
    let location = Location::caller();
    with_current(|h| h.clone()).block_on_with(Some(name.into()), location, fut, LeakPolicy::Log)
}

/// What `#[ithaca::test]` expands to; not a public API. Runs the test body as a root
/// goroutine named after the test, with deadlock detection (libtest's main thread accounted
/// for), then, unless `check_leaks` is false, fails the test if goroutines of its bubble are
/// still alive 1 s after the body returned.
#[doc(hidden)]
#[track_caller]
pub fn __block_on_test<R, F>(name: &'static str, check_leaks: bool, fut: F) -> R
where
    F: Future<Output = R> + Send + 'static,
    R: Send + 'static,
{
    assume_test_harness();
    let location = Location::caller();
    let h = with_current(|h| h.clone());
    let policy = h.shared.deadlock;
    let (res, root) = h.root_inner(Some(name.into()), location, fut, policy);
    match res {
        Ok(v) => {
            if check_leaks {
                crate::leak::check_test(name, root);
            }
            v
        }
        Err(d) => panic!("{d}"),
    }
}

/// The number of worker threads of the runtime [`go!`](crate::go) uses here (Go's
/// `runtime.GOMAXPROCS(0)`).
///
/// ```
/// assert!(ithaca_rt::runtime::max_procs() >= 1);
/// ```
pub fn max_procs() -> usize {
    with_current(Handle::max_procs)
}

/// The number of live goroutines, on all ithaca runtimes, the root goroutine of
/// [`block_on`](crate::block_on) and blocking goroutines included (Go's
/// `runtime.NumGoroutine`). Exact when no goroutine is being spawned or finishing. Kept (as a
/// sharded counter) without the `diagnostics` feature too.
///
/// ```
/// # ithaca_rt::block_on(async {
/// assert!(ithaca_rt::runtime::num_goroutines() >= 1); // this one
/// # });
/// ```
pub fn num_goroutines() -> usize {
    tracking::len()
}

/// Async or blocking goroutine.
///
/// ```
/// use ithaca_rt::runtime::{snapshot, GoroutineKind};
/// # ithaca_rt::block_on(async {
/// let me = ithaca_rt::current_id().unwrap();
/// let g = snapshot().into_iter().find(|g| g.id == me).unwrap();
/// assert_eq!(g.kind, GoroutineKind::Async);
/// # });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GoroutineKind {
    /// A future polled by the scheduler ([`spawn`](crate::spawn), [`go!`](crate::go)).
    Async,
    /// A closure on the blocking pool ([`spawn_blocking`](crate::spawn_blocking)).
    Blocking,
}

/// What a goroutine is doing, as of the last time its state was recorded.
///
/// ```
/// use ithaca_rt::runtime::{snapshot, GoroutineState};
/// # ithaca_rt::block_on(async {
/// let me = ithaca_rt::current_id().unwrap();
/// let g = snapshot().into_iter().find(|g| g.id == me).unwrap();
/// assert_eq!(g.state, GoroutineState::Running); // it is taking the snapshot
/// # });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GoroutineState {
    /// Spawned and not yet started. (A goroutine that was woken but not yet re-polled still
    /// shows its previous `Blocked`/`Waiting` state: wakes are not tracked, to keep them free;
    /// compare [`GoroutineInfo::polls`] across snapshots to see progress.)
    Runnable,
    /// Being polled right now (a blocking goroutine: executing its closure). A wait reported
    /// during the poll only shows as `Blocked` once the poll has returned `Pending`.
    Running,
    /// Parked in an ithaca primitive that reported the wait.
    Blocked {
        /// Go-style wait reason: `"chan receive"`, `"select"`, `"sync.Mutex.Lock"`...
        op: &'static str,
        /// Where the blocking call was made.
        location: &'static Location<'static>,
        /// When this wait began.
        since: Instant,
        /// Whether only another ithaca party can end the wait (see
        /// [`WaitNote::durable`](ithaca_core::diag::WaitNote::durable)); with several waits in
        /// one poll, whether all of them are durable.
        durable: bool,
    },
    /// Pending without a report from an ithaca primitive: tokio I/O, a foreign timer,
    /// channel or future.
    Waiting,
    /// Finished, leaving the registry.
    Done,
}

/// One goroutine, as [`snapshot`] saw it.
///
/// ```
/// # ithaca_rt::block_on(async {
/// let me = ithaca_rt::current_id().unwrap();
/// let g = ithaca_rt::runtime::snapshot().into_iter().find(|g| g.id == me).unwrap();
/// assert!(g.polls >= 1);
/// # });
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct GoroutineInfo {
    /// Unique, process-wide, assigned in spawn order.
    pub id: u64,
    /// Its name, if given with [`Goroutine::name`](crate::Goroutine::name).
    pub name: Option<String>,
    /// Where it was spawned (`go!`/`spawn` call site).
    pub spawned_at: &'static Location<'static>,
    /// The goroutine that spawned it (`None`: spawned from outside any goroutine).
    pub parent: Option<u64>,
    /// The root goroutine (of `block_on`, `#[ithaca::main]`, `#[ithaca::test]`) whose spawn
    /// tree it belongs to — its *bubble*, as in Go's `testing/synctest`; a root's bubble is
    /// itself. `None` when it was spawned from a plain thread outside any root.
    pub bubble: Option<u64>,
    /// Async or blocking.
    pub kind: GoroutineKind,
    /// What it is doing.
    pub state: GoroutineState,
    /// How many times it has been polled (0 for blocking goroutines).
    pub polls: u64,
}

impl GoroutineInfo {
    fn of(rec: &Record) -> Self {
        let state = match rec.state.load(Ordering::Acquire) {
            RUNNABLE => GoroutineState::Runnable,
            RUNNING | NOTED => GoroutineState::Running,
            BLOCKED => match rec.wait() {
                Some(w) => GoroutineState::Blocked {
                    op: w.op,
                    location: w.location,
                    since: crate::clock::to_instant(w.since),
                    durable: w.durable,
                },
                None => GoroutineState::Waiting,
            },
            DONE => GoroutineState::Done,
            _ => GoroutineState::Waiting,
        };
        GoroutineInfo {
            id: rec.id,
            name: rec.name.as_deref().map(str::to_owned),
            spawned_at: rec.location,
            parent: (rec.parent != 0).then_some(rec.parent),
            bubble: (rec.bubble != 0).then_some(rec.bubble),
            kind: if rec.blocking {
                GoroutineKind::Blocking
            } else {
                GoroutineKind::Async
            },
            state,
            polls: rec.polls.load(Ordering::Relaxed),
        }
    }
}

/// Every live goroutine, sorted by id. Takes each registry shard's lock briefly; goroutines
/// keep running meanwhile, so the states are a near-instant, not an atomic, picture.
///
/// Empty when the crate is built without the `diagnostics` feature (no registry).
///
/// ```
/// # ithaca_rt::block_on(async {
/// let h = ithaca_rt::Goroutine::new().name("x").spawn(std::future::pending::<()>());
/// assert!(ithaca_rt::runtime::snapshot().iter().any(|g| g.id == h.id() && g.name.as_deref() == Some("x")));
/// # });
/// ```
pub fn snapshot() -> Vec<GoroutineInfo> {
    let mut v: Vec<GoroutineInfo> = tracking::records()
        .iter()
        .map(|r| GoroutineInfo::of(r))
        .collect();
    v.sort_unstable_by_key(|g| g.id);
    v
}

/// Counts by state, plus the plain threads blocked in ithaca primitives.
///
/// ```
/// let s = ithaca_rt::runtime::summary();
/// assert_eq!(s.goroutines, s.runnable + s.running + s.blocked + s.waiting + s.done);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Live goroutines (as in [`num_goroutines`], but counted in the same pass as the rest).
    pub goroutines: usize,
    /// Spawned, not yet started.
    pub runnable: usize,
    /// Being polled / executing.
    pub running: usize,
    /// Blocked in an ithaca primitive.
    pub blocked: usize,
    /// Of `blocked`, those whose wait is durable (only another ithaca party can end it).
    pub durably_blocked: usize,
    /// Pending on I/O or a foreign future.
    pub waiting: usize,
    /// Finished, leaving the registry.
    pub done: usize,
    /// Plain threads (not goroutines) blocked in an ithaca primitive right now
    /// ([`ithaca_core::diag::blocked_threads`]).
    pub blocked_threads: usize,
}

/// Counts goroutines by state (see [`Summary`]). Without the `diagnostics` feature, only
/// `blocked_threads` is counted (use [`num_goroutines`] for the number of goroutines).
///
/// ```
/// # ithaca_rt::block_on(async {
/// assert!(ithaca_rt::runtime::summary().running >= 1);
/// # });
/// ```
pub fn summary() -> Summary {
    let mut s = Summary {
        blocked_threads: ithaca_core::diag::blocked_threads(),
        ..Summary::default()
    };
    for g in tracking::records().iter().map(|r| GoroutineInfo::of(r)) {
        s.goroutines += 1;
        match g.state {
            GoroutineState::Runnable => s.runnable += 1,
            GoroutineState::Running => s.running += 1,
            GoroutineState::Blocked { durable, .. } => {
                s.blocked += 1;
                s.durably_blocked += usize::from(durable);
            }
            GoroutineState::Waiting => s.waiting += 1,
            GoroutineState::Done => s.done += 1,
        }
    }
    s
}

/// Reads a policy from environment variable `var`: `Ok(None)` if unset; the value is matched
/// case-insensitively against `choices` (name, policy); anything else is an error naming the
/// variable, the accepted names and the bad value. (`ITHACA_DEADLOCK`, `ITHACA_LEAKS`.)
pub(crate) fn policy_from_env<P: Copy>(
    var: &str,
    choices: &[(&str, P)],
) -> Result<Option<P>, String> {
    match std::env::var(var) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(e) => Err(format!("{var} is not valid unicode: {e}")),
        Ok(v) => {
            let key = v.trim().to_ascii_lowercase();
            match choices.iter().find(|(name, _)| *name == key) {
                Some(&(_, p)) => Ok(Some(p)),
                None => {
                    let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                    Err(format!(
                        "{var} must be one of {}; got {v:?}",
                        names.join(", ")
                    ))
                }
            }
        }
    }
}

#[cfg(test)]
mod policy_env_tests {
    use super::policy_from_env;

    #[test]
    fn parses_unset_known_and_bad_values() {
        // A variable only this test uses, so parallel tests are unaffected.
        const VAR: &str = "ITHACA_TEST_POLICY_FROM_ENV";
        let choices = [("on", 1), ("off", 0)];
        std::env::remove_var(VAR);
        assert_eq!(policy_from_env(VAR, &choices), Ok(None));
        std::env::set_var(VAR, " OFF ");
        assert_eq!(policy_from_env(VAR, &choices), Ok(Some(0)));
        std::env::set_var(VAR, "maybe");
        let err = policy_from_env(VAR, &choices).unwrap_err();
        assert_eq!(
            err,
            "ITHACA_TEST_POLICY_FROM_ENV must be one of on, off; got \"maybe\""
        );
        std::env::remove_var(VAR);
    }
}
