//! Worker pools: a fixed number of workers take jobs from a queue.
//!
//! The Go original (gobyexample "Worker Pools"):
//!
//! ```go
//! func worker(id int, jobs <-chan int, results chan<- int) {
//!     for j := range jobs { time.Sleep(time.Second); results <- j * 2 }
//! }
//! jobs := make(chan int, 5); results := make(chan int, 5)
//! for w := 1; w <= 3; w++ { go worker(w, jobs, results) }
//! for j := 1; j <= 5; j++ { jobs <- j }
//! close(jobs)
//! for a := 1; a <= 5; a++ { <-results }
//! ```
//!
//! First the same program with channels and `go!`, then `ithaca::patterns::pool::Pool`,
//! which packages it: a bounded queue with backpressure, one result handle per job, panics
//! caught per job, graceful or immediate shutdown, and metrics. Jobs sleep 50 ms instead of
//! a second; the three workers run them concurrently, so five jobs take about two rounds.

use std::time::{Duration, Instant};

use ithaca::chan::{bounded, Receiver, Sender};
use ithaca::go;
use ithaca::patterns::pool::Pool;

async fn worker(jobs: Receiver<u64>, results: Sender<u64>) {
    while let Some(j) = jobs.recv().await {
        ithaca::time::sleep(Duration::from_millis(50)).await;
        results.send(j * 2).await.unwrap();
    }
}

#[ithaca::main]
async fn main() {
    // By hand, as in Go.
    let (jobs_tx, jobs) = bounded(5);
    let (results, results_rx) = bounded(5);
    for _ in 1..=3 {
        go!(worker(jobs.clone(), results.clone()));
    }
    let start = Instant::now();
    for j in 1..=5 {
        jobs_tx.send(j).await.unwrap();
    }
    jobs_tx.close();
    let mut sum = 0;
    for _ in 1..=5 {
        sum += results_rx.recv().await.unwrap();
    }
    println!(
        "by hand: sum of results = {sum}, in about two rounds: {}",
        start.elapsed() < Duration::from_millis(140)
    );

    // With the pool: each submit returns a handle to that job's result.
    let pool = Pool::builder().workers(3).queue(5).name("worker").build();
    let start = Instant::now();
    let mut handles = Vec::new();
    for j in 1..=5u64 {
        handles.push(
            pool.submit(async move {
                ithaca::time::sleep(Duration::from_millis(50)).await;
                j * 2
            })
            .await
            .unwrap(),
        );
    }
    for (j, h) in (1..=5).zip(handles) {
        println!("job {j} -> {}", h.await.unwrap());
    }
    println!(
        "pool: in about two rounds: {}",
        start.elapsed() < Duration::from_millis(140)
    );
    pool.shutdown().await; // drain the queue, then stop the workers
    let s = pool.stats();
    println!(
        "pool stats: done {}, failed {}, queued {}",
        s.done, s.failed, s.queued
    );
}
