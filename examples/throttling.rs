//! Throttling: limit how many goroutines run something at once, and how often it runs.
//!
//! The Go originals:
//!
//! ```go
//! sem := make(chan struct{}, 2) // at most 2 at once
//! for _, job := range jobs {
//!     go func() { sem <- struct{}{}; defer func() { <-sem }(); work(job) }()
//! }
//!
//! limiter := rate.NewLimiter(rate.Every(20*time.Millisecond), 1)
//! for req := range requests { limiter.Wait(ctx); handle(req) }
//! ```
//!
//! `ithaca::patterns::throttle::Throttle` is the buffered-channel semaphore (over
//! `ithaca::sync::Semaphore`, FIFO, released even if the work panics), and `RateLimit` the
//! time-based throttle (over `ithaca::time::rate::Limiter`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ithaca::patterns::throttle::{RateLimit, Throttle};

#[ithaca::main]
async fn main() {
    let sem = Throttle::new(2);
    let active = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let jobs: Vec<_> = (1..=6)
        .map(|job| {
            let (sem, active, peak) = (sem.clone(), active.clone(), peak.clone());
            ithaca::go!(async move {
                sem.run(async {
                    let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    ithaca::time::sleep(Duration::from_millis(10)).await;
                    active.fetch_sub(1, Ordering::SeqCst);
                    job * 100
                })
                .await
            })
        })
        .collect();
    let mut total = 0;
    for j in jobs {
        total += j.await.unwrap();
    }
    println!(
        "6 jobs, total {total}, at most {} at once",
        peak.load(Ordering::SeqCst)
    );

    // One request every 20 ms; a burst of 3 goes through at once first.
    let limiter = RateLimit::every(Duration::from_millis(20), 3);
    let start = Instant::now();
    for req in 1..=3 {
        limiter.wait().await;
        println!(
            "bursty request {req}: at once: {}",
            start.elapsed() < Duration::from_millis(10)
        );
    }
    for req in 4..=5 {
        limiter.wait().await;
        println!(
            "request {req}: waited: {}",
            start.elapsed() >= Duration::from_millis(20 * (req - 3))
        );
    }
}
