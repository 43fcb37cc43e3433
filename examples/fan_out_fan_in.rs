//! Fan-out, fan-in, and stopping short (the Go blog's "Pipelines and cancellation").
//!
//! The Go original:
//!
//! ```go
//! in := gen(2, 3)
//! // Fan out: two goroutines read from the same channel.
//! c1 := sq(in)
//! c2 := sq(in)
//! // Fan in: merge their outputs into one channel.
//! for n := range merge(c1, c2) { fmt.Println(n) } // 4 then 9, or 9 then 4
//!
//! done := make(chan struct{})
//! defer close(done)
//! out := merge(done, sq(done, in1), sq(done, in2))
//! fmt.Println(<-out) // take one value, then return: done stops every stage
//! ```
//!
//! `ithaca::patterns::pipeline::{fan_out, merge}` take a `Context` where the blog passes
//! `done`; cancelling it stops every goroutine of the pipeline. The merged values arrive in
//! any order, so this program sorts them before printing.

use ithaca::context::Context;
use ithaca::patterns::pipeline::{collect, fan_out, generate, merge};

#[ithaca::main]
async fn main() {
    let ctx = Context::background();
    let input = generate(&ctx, 1..=10i64);
    let workers = fan_out(&ctx, input, 3, |n| async move { n * n });
    println!("fanned out to {} workers", workers.len());
    let mut squares = collect(&merge(&ctx, workers)).await;
    squares.sort_unstable();
    println!("squares: {squares:?}");

    // Stopping short: take one value, then cancel; every stage returns.
    let before = ithaca::runtime::num_goroutines();
    let (ctx, cancel) = Context::with_cancel(&Context::background());
    let a = fan_out(&ctx, generate(&ctx, 1i64..), 2, |n| async move { n * n });
    let out = merge(&ctx, a);
    let first = out.recv().await.unwrap();
    println!("first value is a square: {}", [1, 4, 9].contains(&first));
    cancel.cancel();
    while out.recv().await.is_some() {} // closes once every stage has returned
    let mut tries = 0;
    while ithaca::runtime::num_goroutines() > before && tries < 1000 {
        ithaca::time::sleep(std::time::Duration::from_millis(1)).await;
        tries += 1;
    }
    println!(
        "goroutines left behind: {}",
        ithaca::runtime::num_goroutines() - before
    );
}
