//! # ithaca-patterns
//!
//! Go's concurrency patterns as library types, built on ithaca's goroutines, channels,
//! `sync`, `context` and `time`. Each module is one pattern; each teaches itself with the Go
//! code it replaces.
//!
//! | Pattern | Go | ithaca |
//! |---|---|---|
//! | [`errgroup`] | `golang.org/x/sync/errgroup` | [`errgroup::Group`], [`errgroup::ResultGroup`] |
//! | [`pool`] | ants, pond, conc `pool` | [`pool::Pool`] |
//! | [`pipeline`] | the Go blog's "Pipelines and cancellation" | [`pipeline::generate`], [`pipeline::stage`], [`pipeline::fan_out`], [`pipeline::merge`], [`pipeline::collect`], [`pipeline::Pipeline`] |
//! | [`throttle`] | `sem := make(chan struct{}, n)`, `rate.Limiter` | [`throttle::Throttle`], [`throttle::RateLimit`] |
//! | [`singleflight`] | `golang.org/x/sync/singleflight` | [`singleflight::Group`] |
//! | [`iter`] | conc `iter.Map`, `stream` | [`iter::map`], [`iter::map_stream`] |
//!
//! ## errgroup
//!
//! ```go
//! g, ctx := errgroup.WithContext(ctx)
//! for _, url := range urls {
//!     g.Go(func() error { return fetch(ctx, url) })
//! }
//! if err := g.Wait(); err != nil { ... }
//! ```
//!
//! ```
//! use ithaca_context::Context;
//! use ithaca_patterns::errgroup::Group;
//! # async fn fetch(_ctx: Context, url: &str) -> Result<(), String> {
//! #     if url.ends_with("404") { Err(format!("{url}: not found")) } else { Ok(()) }
//! # }
//! # ithaca_rt::block_on(async {
//! let (g, ctx) = Group::with_context(&Context::background());
//! for url in ["a.example", "b.example/404"] {
//!     let ctx = ctx.clone();
//!     g.go(async move { fetch(ctx, url).await });
//! }
//! assert_eq!(g.wait().await, Err("b.example/404: not found".to_string()));
//! assert!(ctx.is_done()); // the first error cancelled the others' context
//! # });
//! ```
//!
//! Unlike Go, a panicking member does not crash the process: `wait` re-raises it after every
//! member finished, naming the member goroutine and its spawn site.
//!
//! ## Worker pool
//!
//! ```go
//! pool := pond.NewPool(4)
//! task := pool.SubmitErr(func() error { ... })
//! err := task.Wait()
//! pool.StopAndWait()
//! ```
//!
//! ```
//! use ithaca_patterns::pool::Pool;
//! # ithaca_rt::block_on(async {
//! let pool = Pool::new(4);
//! let ok = pool.submit(async { 1 + 1 }).await.unwrap();
//! let bad = pool.submit(async { panic!("bad input") }).await.unwrap();
//! assert_eq!(ok.await.unwrap(), 2);
//! assert_eq!(bad.await.unwrap_err().panic_message(), Some("bad input"));
//! pool.shutdown().await; // drain, then stop the workers
//! assert_eq!((pool.stats().done, pool.stats().failed), (2, 1));
//! # });
//! ```
//!
//! ## Pipelines, fan-out, fan-in
//!
//! ```go
//! done := make(chan struct{})
//! defer close(done)
//! in := gen(done, 2, 3)
//! c1 := sq(done, in)
//! c2 := sq(done, in)
//! for n := range merge(done, c1, c2) { fmt.Println(n) }
//! ```
//!
//! ```
//! use ithaca_context::Context;
//! use ithaca_patterns::pipeline::{collect, fan_out, generate, merge};
//! # ithaca_rt::block_on(async {
//! let (ctx, _cancel) = Context::with_cancel(&Context::background()); // defer close(done)
//! let input = generate(&ctx, [2, 3]);
//! let squares = fan_out(&ctx, input, 2, |n| async move { n * n });
//! let mut got: Vec<i32> = collect(&merge(&ctx, squares)).await; // for n := range ...
//! got.sort();
//! assert_eq!(got, [4, 9]);
//! # });
//! ```
//!
//! [`pipeline::Pipeline`] adds fallible stages with their own concurrency, ordered output,
//! and cancellation of every stage by the first failure.
//!
//! ## Throttling
//!
//! ```go
//! sem := make(chan struct{}, 3)
//! sem <- struct{}{}; work(); <-sem
//! limiter := time.Tick(200 * time.Millisecond)
//! <-limiter; handle(req)
//! ```
//!
//! ```
//! use std::time::Duration;
//! use ithaca_patterns::throttle::{RateLimit, Throttle};
//! # ithaca_rt::block_on(async {
//! let sem = Throttle::new(3);
//! let v = sem.run(async { "work" }).await;
//! let limiter = RateLimit::every(Duration::from_millis(1), 1);
//! limiter.wait().await;
//! # let _ = v;
//! # });
//! ```
//!
//! ## singleflight
//!
//! ```go
//! v, err, shared := g.Do("user:42", func() (any, error) { return load(42) })
//! ```
//!
//! ```
//! use ithaca_patterns::singleflight::Group;
//! # ithaca_rt::block_on(async {
//! let g = Group::new();
//! let (v, shared) = g.call("user:42", async { Ok::<_, String>(42) }).await;
//! assert_eq!((v, shared), (Ok(42), false));
//! # });
//! ```
//!
//! ## Ordered concurrent map
//!
//! ```go
//! lens := iter.Map(words, func(w *string) int { return len(*w) })
//! ```
//!
//! ```
//! # ithaca_rt::block_on(async {
//! let lens = ithaca_patterns::iter::map(["go", "rust"], 8, |w: &str| async move { w.len() }).await;
//! assert_eq!(lens, [2, 4]);
//! # });
//! ```
//!
//! ## Panics and cancellation
//!
//! Every pattern catches or reports panics instead of losing them: errgroup and
//! [`iter::map`] re-raise in the waiter, the pool hands the panic to the task's handle,
//! singleflight re-raises in every caller. Every async method documents its cancel safety;
//! every blocking one (`*_blocking`) must not be called from async code.

// Async methods spell out `impl Future<Output = ..> + Send + '_` so that the `Send` promise is
// part of the signature (checked here, documented for users), which `async fn` cannot say.
#![allow(clippy::manual_async_fn)]

pub mod errgroup;
pub mod iter;
pub mod pipeline;
pub mod pool;
pub mod singleflight;
pub mod throttle;
mod util;
