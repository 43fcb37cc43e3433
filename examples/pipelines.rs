//! Pipelines: stages connected by channels, each stage a goroutine (the Go blog's "Go
//! Concurrency Patterns: Pipelines and cancellation").
//!
//! The Go original:
//!
//! ```go
//! func gen(nums ...int) <-chan int {
//!     out := make(chan int)
//!     go func() { for _, n := range nums { out <- n }; close(out) }()
//!     return out
//! }
//! func sq(in <-chan int) <-chan int {
//!     out := make(chan int)
//!     go func() { for n := range in { out <- n * n }; close(out) }()
//!     return out
//! }
//! for n := range sq(sq(gen(2, 3))) { fmt.Println(n) } // 16 then 81
//! ```
//!
//! First by hand, then with `ithaca::patterns::pipeline`: `generate` and `stage` are the
//! blog's `gen` and `sq` (taking a context, the blog's `done`), and `Pipeline` adds typed,
//! fallible stages with their own concurrency and ordered output, where the first failure
//! cancels every stage.

use ithaca::chan::{bounded, Receiver};
use ithaca::context::Context;
use ithaca::go;
use ithaca::patterns::pipeline::{generate, stage, Pipeline, Stage};

fn gen(nums: Vec<i64>) -> Receiver<i64> {
    let (out, rx) = bounded(0);
    go!(async move {
        for n in nums {
            out.send(n).await.unwrap();
        }
        // Dropping `out` closes the channel.
    });
    rx
}

fn sq(input: Receiver<i64>) -> Receiver<i64> {
    let (out, rx) = bounded(0);
    go!(async move {
        while let Some(n) = input.recv().await {
            out.send(n * n).await.unwrap();
        }
    });
    rx
}

#[ithaca::main]
async fn main() {
    println!("by hand:");
    let out = sq(sq(gen(vec![2, 3])));
    while let Some(n) = out.recv().await {
        println!("{n}");
    }

    println!("with generate and stage:");
    let ctx = Context::background();
    let out = stage(
        &ctx,
        stage(&ctx, generate(&ctx, [2i64, 3]), |n| async move { n * n }),
        |n| async move { n * n },
    );
    while let Some(n) = out.recv().await {
        println!("{n}");
    }

    println!("a Pipeline: parse, then square with 4 workers in input order:");
    let p = Pipeline::<String>::new(&Context::background());
    let words = p.source(["1", "2", "3", "4", "5"]);
    let nums = p.stage(words, Stage::new(), |w: &str| async move {
        w.parse::<u64>().map_err(|e| format!("parse {w:?}: {e}"))
    });
    let squares = p.stage(nums, Stage::new().workers(4).ordered(), |n| async move {
        Ok(n * n)
    });
    while let Some(n) = squares.recv().await {
        println!("{n}");
    }
    println!("wait: {:?}", p.wait().await);

    println!("a Pipeline whose first stage fails:");
    let p = Pipeline::<String>::new(&Context::background());
    let nums = p.stage(
        p.source(["1", "two", "3"]),
        Stage::new(),
        |w: &str| async move { w.parse::<u64>().map_err(|e| format!("parse {w:?}: {e}")) },
    );
    let squares = p.stage(nums, Stage::new().workers(2).ordered(), |n| async move {
        Ok(n * n)
    });
    let mut got = Vec::new();
    while let Some(n) = squares.recv().await {
        got.push(n);
    }
    // "1" may or may not get through before the failure cancels the stages.
    println!(
        "received only values before the failure: {}",
        got.len() <= 1
    );
    println!("wait: {:?}", p.wait().await);
}
