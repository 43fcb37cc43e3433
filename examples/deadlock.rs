//! A deadlock, as ithaca reports it: Go's "fatal error: all goroutines are asleep -
//! deadlock!" with every goroutine involved and the line where each one waits.
//!
//! The classic mistake: a worker pool whose job channel is never closed. The workers wait
//! for more jobs forever and `main` waits for the workers forever.
//!
//! In `#[ithaca::main]` or `#[ithaca::test]` the report panics `main` / the test (or, with
//! `ITHACA_DEADLOCK=abort`, exits with status 2 like Go). Here the buggy part runs under
//! `runtime::run_detecting`, which returns the report as an `Err` instead, so the example
//! can print it and go on with the fixed version.
//!
//! `cargo run --example deadlock`

use std::sync::Arc;

use ithaca::chan::bounded;
use ithaca::runtime;
use ithaca::sync::WaitGroup;
use ithaca::Goroutine;

/// Squares `1..=n` on three workers; `close_jobs` is the fix.
async fn squares(n: u32, close_jobs: bool) -> u32 {
    let (jobs_tx, jobs_rx) = bounded::<u32>(0);
    let (res_tx, res_rx) = bounded::<u32>(n as usize);
    let wg = Arc::new(WaitGroup::new());
    for w in 1..=3 {
        wg.add(1);
        let (jobs, res, wg) = (jobs_rx.clone(), res_tx.clone(), wg.clone());
        Goroutine::new()
            .name(format!("worker-{w}"))
            .spawn(async move {
                while let Some(j) = jobs.recv().await {
                    res.send(j * j).await.unwrap();
                }
                wg.done();
            });
    }
    drop(jobs_rx);
    for j in 1..=n {
        jobs_tx.send(j).await.unwrap();
    }
    if close_jobs {
        jobs_tx.close();
    }
    wg.wait().await; // the bug: without close, the workers never finish
    drop(res_tx);
    let mut sum = 0;
    while let Some(v) = res_rx.recv().await {
        sum += v;
    }
    sum
}

fn main() {
    println!("--- buggy version (job channel never closed) ---");
    match runtime::run_detecting(squares(5, false)) {
        Ok(sum) => println!("unexpected: finished with {sum}"),
        Err(deadlock) => println!("{deadlock}"),
    }
    println!("--- fixed version ---");
    let sum = runtime::run_detecting(squares(5, true)).expect("no deadlock once fixed");
    println!("sum of squares: {sum}");
}
