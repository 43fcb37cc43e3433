//! A worker pool (Go's ants / pond / conc `pool`): a resizable set of worker goroutines
//! taking tasks from one bounded queue.
//!
//! This module owns [`Pool`], its [`Builder`], the result handle [`TaskHandle`], the errors
//! [`TaskError`], [`SubmitError`] and [`TrySubmitError`], and the metrics [`PoolStats`].
//!
//! # Invariants
//!
//! * The queue is an ithaca channel of capacity `queue`: `submit` waits while it is full
//!   (backpressure), `try_submit` fails instead.
//! * A task is run inside `catch_unwind`: a panic becomes the task's [`TaskError`] and
//!   counts in `failed`; the worker goes on with the next task.
//! * `queued` counts tasks accepted and not yet taken by a worker; `running` those being
//!   run; `done` those finished (panicked ones included); `failed` those that panicked.
//!   A task dropped unrun (immediate shutdown) leaves `queued` and counts in none of the
//!   others; its handle reports [`TaskError::is_cancelled`].
//! * Shrinking queues one `Exit` message per worker to remove, behind the tasks already
//!   queued; growing spawns workers at once.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskCx, Poll};

use ithaca_chan::{bounded, Receiver, Sender, TrySendError};
use ithaca_context::{CancelHandle, Context};
use ithaca_rt::{Goroutine, JoinHandle};
use tokio::sync::oneshot;

use crate::util::{catch_unwind, lock, panic_message, Panic};

type Job = Pin<Box<dyn Future<Output = bool> + Send + 'static>>;

enum Msg {
    Run(Job),
    Exit,
}

/// Why a task produced no value: it panicked, or it was dropped unrun by an immediate
/// shutdown.
///
/// ```
/// use ithaca_patterns::pool::Pool;
/// # ithaca_rt::block_on(async {
/// let pool = Pool::new(1);
/// let h = pool.submit(async { panic!("bad input") }).await.unwrap();
/// let err = h.await.unwrap_err();
/// assert_eq!(err.panic_message(), Some("bad input"));
/// # });
/// ```
pub struct TaskError {
    panic: Option<(String, Mutex<Panic>)>,
}

impl TaskError {
    fn cancelled() -> Self {
        TaskError { panic: None }
    }

    fn panicked(p: Panic) -> Self {
        TaskError {
            panic: Some((panic_message(&p), Mutex::new(p))),
        }
    }

    /// Whether the task panicked.
    ///
    /// ```
    /// # ithaca_rt::block_on(async {
    /// let pool = ithaca_patterns::pool::Pool::new(1);
    /// let h = pool.submit(async { panic!() }).await.unwrap();
    /// assert!(h.await.unwrap_err().is_panic());
    /// # });
    /// ```
    pub fn is_panic(&self) -> bool {
        self.panic.is_some()
    }

    /// Whether the task was dropped without running (the pool was shut down with
    /// [`Pool::shutdown_now`]).
    ///
    /// ```
    /// # ithaca_rt::block_on(async {
    /// let pool = ithaca_patterns::pool::Pool::new(1);
    /// let (tx, rx) = ithaca_chan::bounded::<()>(0);
    /// let _busy = pool.submit(async move { rx.recv().await; }).await.unwrap();
    /// let queued = pool.submit(async { 1 }).await.unwrap();
    /// pool.shutdown_now();
    /// drop(tx);
    /// assert!(queued.await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.panic.is_none()
    }

    /// The panic message, if the task panicked.
    ///
    /// ```
    /// # ithaca_rt::block_on(async {
    /// let pool = ithaca_patterns::pool::Pool::new(1);
    /// let h = pool.submit(async { panic!("n = {}", 3) }).await.unwrap();
    /// assert_eq!(h.await.unwrap_err().panic_message(), Some("n = 3"));
    /// # });
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        self.panic.as_ref().map(|(m, _)| m.as_str())
    }

    /// The panic payload, to re-raise with [`std::panic::resume_unwind`]; `None` if the task
    /// did not panic.
    ///
    /// ```
    /// # ithaca_rt::block_on(async {
    /// let pool = ithaca_patterns::pool::Pool::new(1);
    /// let h = pool.submit(async { std::panic::panic_any(42u8) }).await.unwrap();
    /// let p = h.await.unwrap_err().into_panic().unwrap();
    /// assert_eq!(*p.downcast::<u8>().unwrap(), 42);
    /// # });
    /// ```
    pub fn into_panic(self) -> Option<Panic> {
        self.panic.map(|(_, p)| {
            p.into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        })
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.panic {
            Some((m, _)) => write!(f, "pool: task panicked: {m}"),
            None => f.write_str("pool: task dropped unrun (the pool was shut down)"),
        }
    }
}

impl fmt::Debug for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskError")
            .field("panic", &self.panic_message())
            .finish()
    }
}

impl std::error::Error for TaskError {}

/// The result of one submitted task: `.await` it (or [`wait_blocking`](TaskHandle::wait_blocking)
/// from a thread). Dropping it does not cancel the task.
///
/// ```
/// # ithaca_rt::block_on(async {
/// let pool = ithaca_patterns::pool::Pool::new(2);
/// let h = pool.submit(async { 6 * 7 }).await.unwrap();
/// assert_eq!(h.await.unwrap(), 42);
/// # });
/// ```
pub struct TaskHandle<T> {
    rx: oneshot::Receiver<Result<T, TaskError>>,
}

impl<T> fmt::Debug for TaskHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle").finish_non_exhaustive()
    }
}

impl<T> Future for TaskHandle<T> {
    type Output = Result<T, TaskError>;

    /// # Cancel safety
    ///
    /// Cancel safe: dropping the `.await` loses only the result; the task still runs.
    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskCx<'_>) -> Poll<Self::Output> {
        match Pin::new(&mut self.rx).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(r)) => Poll::Ready(r),
            Poll::Ready(Err(_)) => Poll::Ready(Err(TaskError::cancelled())),
        }
    }
}

impl<T> TaskHandle<T> {
    /// Waits for the result from a plain thread.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread. Panics if called from async code.
    ///
    /// ```
    /// let pool = ithaca_patterns::pool::Pool::new(1);
    /// let h = pool.submit_blocking(async { "done" }).unwrap();
    /// assert_eq!(h.wait_blocking().unwrap(), "done");
    /// ```
    pub fn wait_blocking(self) -> Result<T, TaskError> {
        self.rx
            .blocking_recv()
            .unwrap_or_else(|_| Err(TaskError::cancelled()))
    }
}

/// Why [`Pool::submit`] refused a task: the pool is shut down.
///
/// ```
/// # ithaca_rt::block_on(async {
/// let pool = ithaca_patterns::pool::Pool::new(1);
/// pool.shutdown().await;
/// assert!(pool.submit(async {}).await.is_err());
/// # });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubmitError;

impl fmt::Display for SubmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("pool: submit on a pool that is shut down")
    }
}

impl std::error::Error for SubmitError {}

/// Why [`Pool::try_submit`] refused a task.
///
/// ```
/// use ithaca_patterns::pool::{Pool, TrySubmitError};
/// let pool = Pool::builder().workers(1).queue(0).build();
/// // No worker is parked waiting yet (or it is busy): a rendezvous queue may be "full".
/// let r = pool.try_submit(async {});
/// assert!(matches!(r, Ok(_) | Err(TrySubmitError::Full)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrySubmitError {
    /// The queue is full.
    Full,
    /// The pool is shut down.
    Closed,
}

impl fmt::Display for TrySubmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySubmitError::Full => f.write_str("pool: queue full"),
            TrySubmitError::Closed => f.write_str("pool: submit on a pool that is shut down"),
        }
    }
}

impl std::error::Error for TrySubmitError {}

/// A snapshot of a pool's counters (see the module invariants).
///
/// ```
/// let pool = ithaca_patterns::pool::Pool::new(3);
/// let s = pool.stats();
/// assert_eq!((s.workers, s.queued, s.running, s.done, s.failed), (3, 0, 0, 0, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Target number of workers.
    pub workers: usize,
    /// Tasks accepted and not yet started.
    pub queued: usize,
    /// Tasks being run.
    pub running: usize,
    /// Tasks finished (failed ones included).
    pub done: usize,
    /// Tasks that panicked.
    pub failed: usize,
}

#[derive(Default)]
struct Counters {
    queued: AtomicUsize,
    running: AtomicUsize,
    done: AtomicUsize,
    failed: AtomicUsize,
}

struct Inner {
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
    ctx: Context,
    cancel: Option<CancelHandle>,
    counters: Arc<Counters>,
    workers: Mutex<Workers>,
    name: String,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropping the last handle is a graceful shutdown (the channel closes, the workers
        // drain it), not a cancellation.
        if let Some(c) = self.cancel.take() {
            c.disarm();
        }
    }
}

struct Workers {
    target: usize,
    next_id: usize,
    handles: Vec<JoinHandle<()>>,
}

/// Configures a [`Pool`].
///
/// ```
/// use ithaca_context::Context;
/// let pool = ithaca_patterns::pool::Pool::builder()
///     .workers(8)
///     .queue(1024)
///     .name("resize")
///     .context(&Context::background())
///     .build();
/// assert_eq!(pool.stats().workers, 8);
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    workers: usize,
    queue: Option<usize>,
    name: String,
    parent: Option<Context>,
}

impl Builder {
    /// Number of workers (default: [`runtime::max_procs`](ithaca_rt::runtime::max_procs)).
    ///
    /// ```
    /// assert_eq!(ithaca_patterns::pool::Pool::builder().workers(2).build().stats().workers, 2);
    /// ```
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n;
        self
    }

    /// Queue capacity (default: 64 per worker); 0 makes `submit` a rendezvous with a free
    /// worker.
    ///
    /// ```
    /// let pool = ithaca_patterns::pool::Pool::builder().workers(1).queue(0).build();
    /// # drop(pool);
    /// ```
    pub fn queue(mut self, cap: usize) -> Self {
        self.queue = Some(cap);
        self
    }

    /// Names the pool: workers are goroutines named `"{name}-worker-{i}"` (default `"pool"`).
    ///
    /// ```
    /// let pool = ithaca_patterns::pool::Pool::builder().name("img").build();
    /// # drop(pool);
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The parent of the pool's context ([`Pool::context`]): cancelling it shuts the pool
    /// down immediately, as [`Pool::shutdown_now`] does.
    ///
    /// ```
    /// use ithaca_context::Context;
    /// let (ctx, cancel) = Context::with_cancel(&Context::background());
    /// let pool = ithaca_patterns::pool::Pool::builder().context(&ctx).build();
    /// cancel.cancel();
    /// assert!(pool.context().is_done());
    /// ```
    pub fn context(mut self, parent: &Context) -> Self {
        self.parent = Some(parent.clone());
        self
    }

    /// Starts the workers.
    ///
    /// # Panics
    ///
    /// If `workers` is 0.
    ///
    /// ```
    /// let pool = ithaca_patterns::pool::Pool::builder().workers(4).build();
    /// assert_eq!(pool.stats().workers, 4);
    /// ```
    #[track_caller]
    pub fn build(self) -> Pool {
        assert!(self.workers > 0, "pool: a pool needs at least one worker");
        let cap = self.queue.unwrap_or(64 * self.workers);
        let (tx, rx) = bounded(cap);
        let parent = self.parent.unwrap_or_else(Context::background);
        let (ctx, cancel) = Context::with_cancel(&parent);
        let inner = Arc::new(Inner {
            tx,
            rx,
            ctx,
            cancel: Some(cancel),
            counters: Arc::default(),
            workers: Mutex::new(Workers {
                target: 0,
                next_id: 0,
                handles: Vec::new(),
            }),
            name: self.name,
        });
        let pool = Pool { inner };
        pool.resize(self.workers);
        pool
    }
}

async fn worker(rx: Receiver<Msg>, ctx: Context, c: Arc<Counters>) {
    while let Some(msg) = rx.recv().await {
        let job = match msg {
            Msg::Exit => return,
            Msg::Run(job) => job,
        };
        c.queued.fetch_sub(1, Ordering::Relaxed);
        if ctx.is_done() {
            // Immediate shutdown: drop unrun tasks (their handles report cancelled).
            drop(job);
            continue;
        }
        c.running.fetch_add(1, Ordering::Relaxed);
        let panicked = job.await;
        c.running.fetch_sub(1, Ordering::Relaxed);
        if panicked {
            c.failed.fetch_add(1, Ordering::Relaxed);
        }
        c.done.fetch_add(1, Ordering::Relaxed);
    }
}

/// A pool of worker goroutines running submitted futures from a bounded queue. A cheap
/// `Clone` handle.
///
/// | Go (ants / pond) | ithaca |
/// |---|---|
/// | `ants.NewPool(n)`, `pond.NewPool(n)` | [`Pool::new(n)`](Pool::new), [`Pool::builder`] |
/// | `pool.Submit(f)` (blocks when full) | `pool.submit(fut).await` → [`TaskHandle`] |
/// | non-blocking submit | [`try_submit`](Pool::try_submit) |
/// | `pool.Tune(n)` | [`resize`](Pool::resize) |
/// | `pool.StopAndWait()` | [`shutdown`](Pool::shutdown) (drain) |
/// | `pool.Stop()` + ctx cancel | [`shutdown_now`](Pool::shutdown_now) |
/// | `Running()`, `SubmittedTasks()`, `FailedTasks()` | [`stats`](Pool::stats) |
///
/// A panicking task does not kill its worker: the panic is the task's [`TaskError`] and
/// counts in [`PoolStats::failed`].
///
/// ```
/// use ithaca_patterns::pool::Pool;
/// # ithaca_rt::block_on(async {
/// let pool = Pool::new(4);
/// let mut handles = Vec::new();
/// for i in 0..10u64 {
///     handles.push(pool.submit(async move { i * 2 }).await.unwrap());
/// }
/// let mut sum = 0;
/// for h in handles {
///     sum += h.await.unwrap();
/// }
/// assert_eq!(sum, 90);
/// pool.shutdown().await;
/// # });
/// ```
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("name", &self.inner.name)
            .field("stats", &self.stats())
            .finish()
    }
}

fn make_job<F>(fut: F) -> (Job, TaskHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    let job: Job = Box::pin(async move {
        let r = catch_unwind(fut).await;
        let panicked = r.is_err();
        let _ = tx.send(r.map_err(TaskError::panicked));
        panicked
    });
    (job, TaskHandle { rx })
}

impl Pool {
    /// A pool of `workers` workers with the default queue (64 per worker).
    ///
    /// # Panics
    ///
    /// If `workers` is 0.
    ///
    /// ```
    /// let pool = ithaca_patterns::pool::Pool::new(2);
    /// let h = pool.submit_blocking(async { 1 }).unwrap();
    /// assert_eq!(h.wait_blocking().unwrap(), 1);
    /// ```
    #[track_caller]
    pub fn new(workers: usize) -> Pool {
        Pool::builder().workers(workers).build()
    }

    /// A [`Builder`] with the defaults.
    ///
    /// ```
    /// let pool = ithaca_patterns::pool::Pool::builder().workers(3).build();
    /// assert_eq!(pool.stats().workers, 3);
    /// ```
    pub fn builder() -> Builder {
        Builder {
            workers: ithaca_rt::runtime::max_procs(),
            queue: None,
            name: "pool".to_owned(),
            parent: None,
        }
    }

    /// The pool's context: cancelled by [`shutdown_now`](Pool::shutdown_now) (or by the
    /// parent given to [`Builder::context`]). Tasks that should stop early watch it.
    ///
    /// ```
    /// let pool = ithaca_patterns::pool::Pool::new(1);
    /// assert!(!pool.context().is_done());
    /// pool.shutdown_now();
    /// assert!(pool.context().is_done());
    /// ```
    pub fn context(&self) -> &Context {
        &self.inner.ctx
    }

    /// Queues `fut`, waiting while the queue is full (backpressure), and returns the handle
    /// to its result. Fails if the pool is shut down.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before the task was queued, the task is dropped
    /// and never runs; once queued, it runs (and its result is dropped with the handle).
    ///
    /// ```
    /// # ithaca_rt::block_on(async {
    /// let pool = ithaca_patterns::pool::Pool::new(1);
    /// let h = pool.submit(async { "hi" }).await.unwrap();
    /// assert_eq!(h.await.unwrap(), "hi");
    /// # });
    /// ```
    pub fn submit<F>(
        &self,
        fut: F,
    ) -> impl Future<Output = Result<TaskHandle<F::Output>, SubmitError>> + Send + '_
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (job, handle) = make_job(fut);
        async move {
            if self.inner.ctx.is_done() {
                return Err(SubmitError);
            }
            let c = &self.inner.counters;
            c.queued.fetch_add(1, Ordering::Relaxed);
            match self.inner.tx.send(Msg::Run(job)).await {
                Ok(()) => Ok(handle),
                Err(_) => {
                    c.queued.fetch_sub(1, Ordering::Relaxed);
                    Err(SubmitError)
                }
            }
        }
    }

    /// Queues `fut` if there is room now.
    ///
    /// ```
    /// # ithaca_rt::block_on(async {
    /// let pool = ithaca_patterns::pool::Pool::builder().workers(1).queue(4).build();
    /// let h = pool.try_submit(async { 5 }).unwrap();
    /// assert_eq!(h.await.unwrap(), 5);
    /// # });
    /// ```
    pub fn try_submit<F>(&self, fut: F) -> Result<TaskHandle<F::Output>, TrySubmitError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if self.inner.ctx.is_done() {
            return Err(TrySubmitError::Closed);
        }
        let (job, handle) = make_job(fut);
        let c = &self.inner.counters;
        c.queued.fetch_add(1, Ordering::Relaxed);
        match self.inner.tx.try_send(Msg::Run(job)) {
            Ok(()) => Ok(handle),
            Err(e) => {
                c.queued.fetch_sub(1, Ordering::Relaxed);
                Err(match e {
                    TrySendError::Full(_) => TrySubmitError::Full,
                    TrySendError::Closed(_) => TrySubmitError::Closed,
                })
            }
        }
    }

    /// [`submit`](Pool::submit) for a plain thread.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread while the queue is full.
    ///
    /// ```
    /// let pool = ithaca_patterns::pool::Pool::new(1);
    /// let h = pool.submit_blocking(async { 2 + 2 }).unwrap();
    /// assert_eq!(h.wait_blocking().unwrap(), 4);
    /// ```
    pub fn submit_blocking<F>(&self, fut: F) -> Result<TaskHandle<F::Output>, SubmitError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if self.inner.ctx.is_done() {
            return Err(SubmitError);
        }
        let (job, handle) = make_job(fut);
        let c = &self.inner.counters;
        c.queued.fetch_add(1, Ordering::Relaxed);
        match self.inner.tx.send_blocking(Msg::Run(job)) {
            Ok(()) => Ok(handle),
            Err(_) => {
                c.queued.fetch_sub(1, Ordering::Relaxed);
                Err(SubmitError)
            }
        }
    }

    /// Sets the number of workers (ants' `Tune`). Growing spawns workers at once; shrinking
    /// retires workers after the tasks already queued.
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    ///
    /// ```
    /// let pool = ithaca_patterns::pool::Pool::new(2);
    /// pool.resize(6);
    /// assert_eq!(pool.stats().workers, 6);
    /// pool.resize(1);
    /// assert_eq!(pool.stats().workers, 1);
    /// ```
    #[track_caller]
    pub fn resize(&self, n: usize) {
        assert!(n > 0, "pool: a pool needs at least one worker");
        let mut w = lock(&self.inner.workers);
        w.handles.retain(|h| !h.is_finished());
        if n > w.target {
            for _ in w.target..n {
                let id = w.next_id;
                w.next_id += 1;
                let h = Goroutine::new()
                    .name(format!("{}-worker-{id}", self.inner.name))
                    .spawn(worker(
                        self.inner.rx.clone(),
                        self.inner.ctx.clone(),
                        self.inner.counters.clone(),
                    ));
                w.handles.push(h);
            }
        } else {
            let mut pending = 0;
            for _ in n..w.target {
                match self.inner.tx.try_send(Msg::Exit) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => pending += 1,
                    Err(TrySendError::Closed(_)) => break,
                }
            }
            if pending > 0 {
                let tx = self.inner.tx.clone();
                ithaca_rt::spawn(async move {
                    for _ in 0..pending {
                        if tx.send(Msg::Exit).await.is_err() {
                            break;
                        }
                    }
                });
            }
        }
        w.target = n;
    }

    /// The pool's counters right now.
    ///
    /// ```
    /// # ithaca_rt::block_on(async {
    /// let pool = ithaca_patterns::pool::Pool::new(1);
    /// pool.submit(async {}).await.unwrap().await.unwrap();
    /// assert_eq!(pool.stats().done, 1);
    /// # });
    /// ```
    pub fn stats(&self) -> PoolStats {
        let c = &self.inner.counters;
        PoolStats {
            workers: lock(&self.inner.workers).target,
            queued: c.queued.load(Ordering::Relaxed),
            running: c.running.load(Ordering::Relaxed),
            done: c.done.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
        }
    }

    fn take_workers(&self) -> Vec<JoinHandle<()>> {
        std::mem::take(&mut lock(&self.inner.workers).handles)
    }

    fn drop_queued(&self) {
        self.inner.tx.close();
        while let Ok(msg) = self.inner.rx.try_recv() {
            if let Msg::Run(job) = msg {
                self.inner.counters.queued.fetch_sub(1, Ordering::Relaxed);
                drop(job);
            }
        }
    }

    /// Graceful shutdown (pond's `StopAndWait`): refuses new tasks, lets the workers finish
    /// every queued task, and waits for them to exit.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the pool is closed at the first poll; dropping the future only stops
    /// the waiting (the workers still drain the queue).
    ///
    /// ```
    /// # ithaca_rt::block_on(async {
    /// let pool = ithaca_patterns::pool::Pool::new(2);
    /// let h = pool.submit(async { 1 }).await.unwrap();
    /// pool.shutdown().await;
    /// assert_eq!(h.await.unwrap(), 1); // queued work was done
    /// assert_eq!(pool.stats().done, 1);
    /// # });
    /// ```
    pub fn shutdown(&self) -> impl Future<Output = ()> + Send + '_ {
        async move {
            self.inner.tx.close();
            for h in self.take_workers() {
                let _ = h.await;
            }
        }
    }

    /// [`shutdown`](Pool::shutdown) for a plain thread.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until the queue is drained and the workers exit.
    ///
    /// ```
    /// let pool = ithaca_patterns::pool::Pool::new(2);
    /// let h = pool.submit_blocking(async { 1 }).unwrap();
    /// pool.shutdown_blocking();
    /// assert_eq!(h.wait_blocking().unwrap(), 1);
    /// ```
    pub fn shutdown_blocking(&self) {
        self.inner.tx.close();
        for h in self.take_workers() {
            let _ = h.join();
        }
    }

    /// Immediate shutdown: cancels the pool's [`context`](Pool::context), refuses new
    /// tasks and drops every queued task unrun (their handles report
    /// [`TaskError::is_cancelled`]). Running tasks are not interrupted; those that watch the
    /// context stop early. Does not wait (call [`shutdown`](Pool::shutdown) after it to
    /// wait for the workers).
    ///
    /// ```
    /// let pool = ithaca_patterns::pool::Pool::new(1);
    /// pool.shutdown_now();
    /// assert!(pool.try_submit(async {}).is_err());
    /// ```
    pub fn shutdown_now(&self) {
        if let Some(c) = &self.inner.cancel {
            c.cancel();
        }
        self.drop_queued();
    }
}
