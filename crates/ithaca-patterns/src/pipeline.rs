//! Pipelines, fan-out and fan-in (the Go blog's "Go Concurrency Patterns: Pipelines and
//! cancellation"): stages are goroutines connected by ithaca channels.
//!
//! This module owns the free functions [`generate`], [`stage`], [`fan_out`] and [`merge`]
//! (cancelled by a [`Context`], as the blog's `done` channel), and [`Pipeline`]: typed,
//! fallible stages with per-stage concurrency and ordered or unordered output, run as one
//! errgroup so that the first failing stage cancels all of them.
//!
//! # Invariants
//!
//! * Every blocking send and receive of a stage also waits on the context: once it is done,
//!   every stage goroutine returns at its next channel operation, dropping its channel
//!   handles, so downstream stages see their input close and upstream ones see their output
//!   close. No goroutine is left behind.
//! * Backpressure is end to end: a stage only takes an input when its output has room
//!   (channels are bounded; `buffer` defaults to 0, Go's unbuffered channel).
//! * Ordered stages keep at most `workers + buffer` items in flight: the dispatcher queues
//!   one result slot per item in input order, and the emitter forwards the slots in that
//!   order.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use ithaca_chan::{bounded, Receiver, Sender};
use ithaca_context::{Cause, Context};
use tokio::sync::oneshot;

use crate::errgroup::Group;
use crate::util::{recv_or_done, send_or_done};

/// The blog's `gen`: a goroutine that sends every item of `items` on the returned (unbuffered)
/// channel, then closes it; it stops early when `ctx` is done or the receiver is dropped.
///
/// ```
/// use ithaca_context::Context;
/// use ithaca_patterns::pipeline::generate;
/// # ithaca_rt::block_on(async {
/// let rx = generate(&Context::background(), [1, 2, 3]);
/// let mut got = Vec::new();
/// while let Some(v) = rx.recv().await { got.push(v); }
/// assert_eq!(got, [1, 2, 3]);
/// # });
/// ```
#[track_caller]
pub fn generate<I>(ctx: &Context, items: I) -> Receiver<I::Item>
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
{
    let (tx, rx) = bounded(0);
    let ctx = ctx.clone();
    let items = items.into_iter();
    ithaca_rt::spawn(async move {
        for v in items {
            if !send_or_done(&tx, v, &ctx).await {
                return;
            }
        }
    });
    rx
}

async fn map_loop<A, B, F, Fut>(input: Receiver<A>, out: Sender<B>, ctx: Context, f: Arc<F>)
where
    A: Send,
    B: Send,
    F: Fn(A) -> Fut,
    Fut: Future<Output = B>,
{
    while let Some(a) = recv_or_done(&input, &ctx).await {
        let b = f(a).await;
        if !send_or_done(&out, b, &ctx).await {
            return;
        }
    }
}

/// The blog's `sq`: one goroutine applying `f` to every input, sending the results on the
/// returned (unbuffered) channel; it stops when the input closes, `ctx` is done, or the
/// output's receiver is dropped.
///
/// ```
/// use ithaca_context::Context;
/// use ithaca_patterns::pipeline::{generate, stage};
/// # ithaca_rt::block_on(async {
/// let ctx = Context::background();
/// let sq = stage(&ctx, generate(&ctx, [2, 3]), |n| async move { n * n });
/// assert_eq!((sq.recv().await, sq.recv().await, sq.recv().await), (Some(4), Some(9), None));
/// # });
/// ```
#[track_caller]
pub fn stage<A, B, F, Fut>(ctx: &Context, input: Receiver<A>, f: F) -> Receiver<B>
where
    A: Send + 'static,
    B: Send + 'static,
    F: Fn(A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = B> + Send + 'static,
{
    let (tx, rx) = bounded(0);
    ithaca_rt::spawn(map_loop(input, tx, ctx.clone(), Arc::new(f)));
    rx
}

/// Fan-out: `n` goroutines read from the same `input` and apply `f`, each sending on its own
/// output channel (the blog's `c1 := sq(done, in); c2 := sq(done, in)`). Combine them with
/// [`merge`].
///
/// # Panics
///
/// If `n` is 0.
///
/// ```
/// use ithaca_context::Context;
/// use ithaca_patterns::pipeline::{collect, fan_out, generate, merge};
/// # ithaca_rt::block_on(async {
/// let ctx = Context::background();
/// let outs = fan_out(&ctx, generate(&ctx, 1..=4), 2, |n| async move { n * n });
/// assert_eq!(outs.len(), 2);
/// let mut got: Vec<i32> = collect(&merge(&ctx, outs)).await;
/// got.sort();
/// assert_eq!(got, [1, 4, 9, 16]);
/// # });
/// ```
#[track_caller]
pub fn fan_out<A, B, F, Fut>(ctx: &Context, input: Receiver<A>, n: usize, f: F) -> Vec<Receiver<B>>
where
    A: Send + 'static,
    B: Send + 'static,
    F: Fn(A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = B> + Send + 'static,
{
    assert!(n > 0, "pipeline: fan_out to 0 workers");
    let f = Arc::new(f);
    (0..n)
        .map(|_| {
            let (tx, rx) = bounded(0);
            ithaca_rt::spawn(map_loop(input.clone(), tx, ctx.clone(), f.clone()));
            rx
        })
        .collect()
}

/// Fan-in (the blog's `merge`): one goroutine per input forwards its values to the returned
/// (unbuffered) channel, which closes once every input is closed and drained (or `ctx` is
/// done, or the output's receiver is dropped). Values from one input keep their order.
///
/// ```
/// use ithaca_context::Context;
/// use ithaca_patterns::pipeline::{generate, merge};
/// # ithaca_rt::block_on(async {
/// let ctx = Context::background();
/// let all = merge(&ctx, [generate(&ctx, [1, 2]), generate(&ctx, [10, 20])]);
/// let mut got = Vec::new();
/// while let Some(v) = all.recv().await { got.push(v); }
/// got.sort();
/// assert_eq!(got, [1, 2, 10, 20]);
/// # });
/// ```
#[track_caller]
pub fn merge<T, I>(ctx: &Context, inputs: I) -> Receiver<T>
where
    T: Send + 'static,
    I: IntoIterator<Item = Receiver<T>>,
{
    let (tx, rx) = bounded(0);
    for input in inputs {
        let (tx, ctx) = (tx.clone(), ctx.clone());
        ithaca_rt::spawn(async move {
            while let Some(v) = recv_or_done(&input, &ctx).await {
                if !send_or_done(&tx, v, &ctx).await {
                    return;
                }
            }
        });
    }
    rx
}

/// Receives every value until `rx` is closed and drained (Go's `for v := range ch`,
/// collected). Use it in goroutines: `rx.into_iter()` blocks the thread instead.
///
/// # Cancel safety
///
/// Values received before the future is dropped are lost with it.
///
/// ```
/// use ithaca_context::Context;
/// use ithaca_patterns::pipeline::{collect, generate};
/// # ithaca_rt::block_on(async {
/// let rx = generate(&Context::background(), ['a', 'b']);
/// assert_eq!(collect(&rx).await, ['a', 'b']);
/// # });
/// ```
pub async fn collect<T: Send>(rx: &Receiver<T>) -> Vec<T> {
    let mut out = Vec::new();
    while let Some(v) = rx.recv().await {
        out.push(v);
    }
    out
}

/// How a [`Pipeline`] stage runs: its number of workers, whether its output keeps the input
/// order, and its output buffer.
///
/// ```
/// use ithaca_patterns::pipeline::Stage;
/// let s = Stage::new().workers(8).ordered().buffer(16);
/// assert_eq!((s.get_workers(), s.is_ordered(), s.get_buffer()), (8, true, 16));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stage {
    workers: usize,
    ordered: bool,
    buffer: usize,
}

impl Default for Stage {
    fn default() -> Self {
        Self::new()
    }
}

impl Stage {
    /// One worker, unordered (which with one worker is input order), unbuffered output.
    ///
    /// ```
    /// assert_eq!(ithaca_patterns::pipeline::Stage::new().get_workers(), 1);
    /// ```
    pub fn new() -> Self {
        Stage {
            workers: 1,
            ordered: false,
            buffer: 0,
        }
    }

    /// Runs `n` workers concurrently.
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    ///
    /// ```
    /// assert_eq!(ithaca_patterns::pipeline::Stage::new().workers(4).get_workers(), 4);
    /// ```
    #[track_caller]
    pub fn workers(mut self, n: usize) -> Self {
        assert!(n > 0, "pipeline: a stage needs at least one worker");
        self.workers = n;
        self
    }

    /// Emits results in input order (otherwise in completion order).
    ///
    /// ```
    /// assert!(ithaca_patterns::pipeline::Stage::new().ordered().is_ordered());
    /// ```
    pub fn ordered(mut self) -> Self {
        self.ordered = true;
        self
    }

    /// Gives the stage's output channel a buffer of `n` (default 0).
    ///
    /// ```
    /// assert_eq!(ithaca_patterns::pipeline::Stage::new().buffer(3).get_buffer(), 3);
    /// ```
    pub fn buffer(mut self, n: usize) -> Self {
        self.buffer = n;
        self
    }

    /// The number of workers.
    ///
    /// ```
    /// assert_eq!(ithaca_patterns::pipeline::Stage::new().get_workers(), 1);
    /// ```
    pub fn get_workers(&self) -> usize {
        self.workers
    }

    /// Whether the output keeps the input order.
    ///
    /// ```
    /// assert!(!ithaca_patterns::pipeline::Stage::new().is_ordered());
    /// ```
    pub fn is_ordered(&self) -> bool {
        self.ordered
    }

    /// The output buffer.
    ///
    /// ```
    /// assert_eq!(ithaca_patterns::pipeline::Stage::new().get_buffer(), 0);
    /// ```
    pub fn get_buffer(&self) -> usize {
        self.buffer
    }
}

/// A pipeline of typed, fallible stages run as one errgroup: the first stage to fail (or a
/// cancel of the parent context, or [`cancel`](Pipeline::cancel)) cancels every stage, and
/// [`wait`](Pipeline::wait) returns the first error.
///
/// ```
/// use ithaca_context::Context;
/// use ithaca_patterns::pipeline::{Pipeline, Stage};
/// # ithaca_rt::block_on(async {
/// let p = Pipeline::<String>::new(&Context::background());
/// let nums = p.source(1..=5);
/// let squares = p.stage(nums, Stage::new().workers(3).ordered(), |n: u64| async move { Ok(n * n) });
/// let strings = p.stage(squares, Stage::new(), |n| async move { Ok(n.to_string()) });
/// let mut got = Vec::new();
/// while let Some(s) = strings.recv().await { got.push(s); }
/// assert_eq!(got, ["1", "4", "9", "16", "25"]);
/// p.wait().await.unwrap();
/// # });
/// ```
pub struct Pipeline<E = Cause> {
    group: Group<E>,
    ctx: Context,
}

impl<E> fmt::Debug for Pipeline<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

impl<E: fmt::Display + Send + 'static> Pipeline<E> {
    /// An empty pipeline whose stages run under a child of `parent`.
    ///
    /// ```
    /// use ithaca_context::Context;
    /// let p = ithaca_patterns::pipeline::Pipeline::<String>::new(&Context::background());
    /// assert!(!p.context().is_done());
    /// ```
    pub fn new(parent: &Context) -> Self {
        let (group, ctx) = Group::with_context(parent);
        Pipeline { group, ctx }
    }

    /// The pipeline's context: done once a stage failed, the pipeline was cancelled, or
    /// [`wait`](Pipeline::wait) returned.
    ///
    /// ```
    /// use ithaca_context::Context;
    /// let p = ithaca_patterns::pipeline::Pipeline::<String>::new(&Context::background());
    /// p.cancel();
    /// assert!(p.context().is_done());
    /// ```
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Cancels every stage (cause: a [`MemberError`](crate::errgroup::MemberError) saying
    /// so); `wait` then returns `Ok(())` unless a stage had failed first.
    ///
    /// ```
    /// use ithaca_context::Context;
    /// # ithaca_rt::block_on(async {
    /// let p = ithaca_patterns::pipeline::Pipeline::<String>::new(&Context::background());
    /// let naturals = p.source(0u64..);
    /// assert_eq!(naturals.recv().await, Some(0));
    /// p.cancel();
    /// p.wait().await.unwrap();
    /// # });
    /// ```
    pub fn cancel(&self) {
        self.group.cancel_context("pipeline: cancelled");
    }

    /// A source stage: sends every item of `items` downstream.
    ///
    /// ```
    /// use ithaca_context::Context;
    /// # ithaca_rt::block_on(async {
    /// let p = ithaca_patterns::pipeline::Pipeline::<String>::new(&Context::background());
    /// let rx = p.source(["a", "b"]);
    /// assert_eq!(ithaca_patterns::pipeline::collect(&rx).await, ["a", "b"]);
    /// # p.wait().await.unwrap();
    /// # });
    /// ```
    #[track_caller]
    pub fn source<I>(&self, items: I) -> Receiver<I::Item>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
    {
        let (tx, rx) = bounded(0);
        let ctx = self.ctx.clone();
        let items = items.into_iter();
        self.group.go_named("pipeline source", async move {
            for v in items {
                if !send_or_done(&tx, v, &ctx).await {
                    break;
                }
            }
            Ok(())
        });
        rx
    }

    /// A stage applying `f` to every value of `input` with `opts.workers` workers; an `Err`
    /// fails the pipeline. Returns the stage's output channel, closed when the stage ends.
    ///
    /// ```
    /// use ithaca_context::Context;
    /// use ithaca_patterns::pipeline::{Pipeline, Stage};
    /// # ithaca_rt::block_on(async {
    /// let p = Pipeline::<String>::new(&Context::background());
    /// let out = p.stage(p.source(1..=100), Stage::new().workers(4), |n: i32| async move {
    ///     if n == 50 { Err(format!("bad item {n}")) } else { Ok(n) }
    /// });
    /// while out.recv().await.is_some() {}
    /// assert_eq!(p.wait().await, Err("bad item 50".to_string()));
    /// # });
    /// ```
    #[track_caller]
    pub fn stage<A, B, F, Fut>(&self, input: Receiver<A>, opts: Stage, f: F) -> Receiver<B>
    where
        A: Send + 'static,
        B: Send + 'static,
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<B, E>> + Send + 'static,
    {
        let (out_tx, out_rx) = bounded(opts.buffer);
        let f = Arc::new(f);
        if opts.ordered && opts.workers > 1 {
            self.ordered_stage(input, out_tx, opts, f);
        } else {
            for _ in 0..opts.workers {
                let (input, out, ctx, f) =
                    (input.clone(), out_tx.clone(), self.ctx.clone(), f.clone());
                self.group.go_named("pipeline stage worker", async move {
                    while let Some(a) = recv_or_done(&input, &ctx).await {
                        let b = f(a).await?;
                        if !send_or_done(&out, b, &ctx).await {
                            break;
                        }
                    }
                    Ok(())
                });
            }
        }
        out_rx
    }

    #[track_caller]
    fn ordered_stage<A, B, F, Fut>(
        &self,
        input: Receiver<A>,
        out: Sender<B>,
        opts: Stage,
        f: Arc<F>,
    ) where
        A: Send + 'static,
        B: Send + 'static,
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<B, E>> + Send + 'static,
    {
        type Slot<B> = oneshot::Receiver<B>;
        let (work_tx, work_rx) = bounded::<(A, oneshot::Sender<B>)>(0);
        let (order_tx, order_rx) = bounded::<Slot<B>>(opts.workers + opts.buffer);
        // Dispatcher: one result slot per item, queued in input order.
        let ctx = self.ctx.clone();
        self.group
            .go_named("pipeline ordered dispatcher", async move {
                while let Some(a) = recv_or_done(&input, &ctx).await {
                    let (stx, srx) = oneshot::channel();
                    if !send_or_done(&order_tx, srx, &ctx).await
                        || !send_or_done(&work_tx, (a, stx), &ctx).await
                    {
                        break;
                    }
                }
                Ok(())
            });
        for _ in 0..opts.workers {
            let (work_rx, ctx, f) = (work_rx.clone(), self.ctx.clone(), f.clone());
            self.group.go_named("pipeline stage worker", async move {
                while let Some((a, slot)) = recv_or_done(&work_rx, &ctx).await {
                    let b = f(a).await?;
                    let _ = slot.send(b);
                }
                Ok(())
            });
        }
        drop(work_rx);
        // Emitter: forwards the slots in input order. A slot whose worker failed or stopped
        // is dropped unfilled: the emitter stops there.
        let ctx = self.ctx.clone();
        self.group.go_named("pipeline ordered emitter", async move {
            while let Some(slot) = recv_or_done(&order_rx, &ctx).await {
                let Ok(b) = slot.await else { break };
                if !send_or_done(&out, b, &ctx).await {
                    break;
                }
            }
            Ok(())
        });
    }

    /// Waits for every stage to end and returns the first stage error; then cancels the
    /// pipeline's context.
    ///
    /// # Panics
    ///
    /// If a stage panicked (re-raised as [`Group::wait`] does).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe (as [`Group::wait`]).
    ///
    /// ```
    /// use ithaca_context::Context;
    /// # ithaca_rt::block_on(async {
    /// let p = ithaca_patterns::pipeline::Pipeline::<String>::new(&Context::background());
    /// drop(p.source([1, 2, 3])); // nobody reads: the source stops
    /// assert_eq!(p.wait().await, Ok(()));
    /// # });
    /// ```
    pub fn wait(&self) -> impl Future<Output = Result<(), E>> + Send + '_ {
        self.group.wait()
    }

    /// [`wait`](Pipeline::wait) for a plain thread.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until every stage has ended.
    ///
    /// ```
    /// use ithaca_context::Context;
    /// let p = ithaca_patterns::pipeline::Pipeline::<String>::new(&Context::background());
    /// let rx = p.source([1]);
    /// assert_eq!(rx.recv_blocking(), Some(1));
    /// assert_eq!(p.wait_blocking(), Ok(()));
    /// ```
    pub fn wait_blocking(&self) -> Result<(), E> {
        self.group.wait_blocking()
    }
}
