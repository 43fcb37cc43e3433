//! Ordered concurrent map (conc's `iter.Map` and `stream`): apply an async function to many
//! inputs with `n` workers, getting the results back in input order.
//!
//! This module owns [`map`] (an iterator in, a `Vec` out) and [`map_stream`] (a channel in,
//! a channel out).
//!
//! # Invariants
//!
//! * [`map`]: workers take `(index, item)` pairs from one shared iterator and keep
//!   `(index, result)` pairs; the results are put in index order at the end, so the output
//!   has exactly one result per input, in input order.
//! * [`map_stream`] is an ordered [`Pipeline`] stage: at most
//!   `workers` items are in flight, and its output closes after the last result.

use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use ithaca_chan::Receiver;
use ithaca_context::Context;

use crate::pipeline::{Pipeline, Stage};
use crate::util::lock;

struct StopOnPanic<'a>(&'a AtomicBool);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

/// Applies `f` to every item with `workers` goroutines and returns the results in input
/// order (conc's `iter.Map`).
///
/// # Panics
///
/// If `workers` is 0; if `f` panics, the panic is re-raised (after the other workers
/// stopped) naming the worker goroutine.
///
/// # Cancel safety
///
/// Dropping the future stops collecting; the workers finish the items they hold and stop.
///
/// ```
/// # ithaca_rt::block_on(async {
/// let lens = ithaca_patterns::iter::map(["a", "bbb", "cc"], 2, |s: &str| async move { s.len() }).await;
/// assert_eq!(lens, [1, 3, 2]);
/// # });
/// ```
#[track_caller]
pub fn map<I, U, F, Fut>(
    items: I,
    workers: usize,
    f: F,
) -> impl Future<Output = Vec<U>> + Send + 'static
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
    U: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = U> + Send + 'static,
{
    assert!(workers > 0, "iter: map with 0 workers");
    let src = Arc::new(Mutex::new(items.into_iter().enumerate()));
    let stop = Arc::new(AtomicBool::new(false));
    let f = Arc::new(f);
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let (src, f, stop) = (src.clone(), f.clone(), stop.clone());
            ithaca_rt::Goroutine::new()
                .name("iter::map worker")
                .spawn(async move {
                    // A panicking worker stops the others at their next item.
                    let _guard = StopOnPanic(&stop);
                    let mut out = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let next = lock(&src).next();
                        let Some((i, item)) = next else { break };
                        out.push((i, f(item).await));
                    }
                    out
                })
        })
        .collect();
    async move {
        let mut all = Vec::new();
        let mut panic = None;
        for h in handles {
            match h.await {
                Ok(part) => all.extend(part),
                Err(e) => {
                    panic.get_or_insert(e);
                }
            }
        }
        if let Some(e) = panic {
            panic!("iter: map worker {e}");
        }
        all.sort_unstable_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, u)| u).collect()
    }
}

/// Applies `f` to every value received from `input` with `workers` goroutines, sending the
/// results on the returned channel in input order (conc's `stream`); stops when `input`
/// closes, `ctx` is done, or the returned receiver is dropped.
///
/// # Panics
///
/// If `workers` is 0.
///
/// ```
/// use ithaca_context::Context;
/// use ithaca_patterns::{iter::map_stream, pipeline::{collect, generate}};
/// # ithaca_rt::block_on(async {
/// let ctx = Context::background();
/// let out = map_stream(&ctx, generate(&ctx, 1..=5u64), 3, |n| async move { n * 10 });
/// assert_eq!(collect(&out).await, [10, 20, 30, 40, 50]);
/// # });
/// ```
#[track_caller]
pub fn map_stream<T, U, F, Fut>(
    ctx: &Context,
    input: Receiver<T>,
    workers: usize,
    f: F,
) -> Receiver<U>
where
    T: Send + 'static,
    U: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = U> + Send + 'static,
{
    let p = Pipeline::<Infallible>::new(ctx);
    let f = Arc::new(f);
    p.stage(input, Stage::new().workers(workers).ordered(), move |t| {
        let fut = f(t);
        async move { Ok(fut.await) }
    })
}
