//! Rate limiting: control how often something happens, steadily or in bursts.
//!
//! The Go original:
//!
//! ```go
//! limiter := time.Tick(200 * time.Millisecond)
//! for req := range requests { <-limiter; fmt.Println("request", req, time.Now()) }
//!
//! burstyLimiter := make(chan time.Time, 3)
//! for i := 0; i < 3; i++ { burstyLimiter <- time.Now() }
//! go func() { for t := range time.Tick(200 * time.Millisecond) { burstyLimiter <- t } }()
//! for req := range burstyRequests { <-burstyLimiter; fmt.Println("request", req, time.Now()) }
//! ```
//!
//! The same two limiters built from a ticker and a buffered channel, then the ready-made
//! token bucket `ithaca::time::rate::Limiter` (Go's `golang.org/x/time/rate`). The period
//! here is 50 ms instead of 200 ms. Each line says whether the request went at once or had
//! to wait for the limiter.

use std::time::{Duration, Instant};

use ithaca::chan::bounded;
use ithaca::time::rate::{Limit, Limiter};

const PERIOD: Duration = Duration::from_millis(50);

/// Prints one served request: "at once" if it came less than a quarter period after the
/// previous one (or the start), else "after waiting". (A timer never fires early, but it
/// may fire late on a busy machine, so the gap after a late request can be short.)
fn served(kind: &str, req: u32, prev: &mut Instant) {
    let now = Instant::now();
    let how = if now - *prev < PERIOD / 4 {
        "at once"
    } else {
        "after waiting"
    };
    println!("{kind} request {req}: {how}");
    *prev = now;
}

#[ithaca::main]
async fn main() {
    // Steady: one request per tick.
    let (tx, requests) = bounded::<u32>(5);
    for i in 1..=5 {
        tx.send(i).await.unwrap();
    }
    tx.close();
    let mut limiter = ithaca::time::tick(PERIOD);
    let mut prev = Instant::now();
    while let Some(req) = requests.recv().await {
        limiter.recv().await;
        served("steady", req, &mut prev);
    }

    // Bursty: up to 3 at once, then one per tick. The limiter is a buffered channel of
    // permits, pre-filled with 3 and refilled by a goroutine from a ticker.
    let (permit_tx, bursty_limiter) = bounded::<Instant>(3);
    for _ in 0..3 {
        permit_tx.send(Instant::now()).await.unwrap();
    }
    let refill = ithaca::go!(async move {
        let mut tick = ithaca::time::tick(PERIOD);
        loop {
            let t = tick.recv().await;
            if permit_tx.send(t).await.is_err() {
                return; // the limiter was dropped: stop refilling
            }
        }
    });
    let mut prev = Instant::now();
    for req in 1..=5 {
        bursty_limiter.recv().await.unwrap();
        served("bursty", req, &mut prev);
    }
    drop(bursty_limiter);
    refill.await.unwrap();

    // The same with a token bucket: `rate.NewLimiter(rate.Every(period), burst)`.
    let steady = Limiter::new(Limit::every(PERIOD), 1);
    steady.wait().await.unwrap(); // the bucket starts full: take its token first
    let mut prev = Instant::now();
    for req in 1..=3 {
        steady.wait().await.unwrap();
        served("Limiter(burst 1)", req, &mut prev);
    }
    let bursty = Limiter::new(Limit::every(PERIOD), 3);
    let mut prev = Instant::now();
    for req in 1..=5 {
        bursty.wait().await.unwrap();
        served("Limiter(burst 3)", req, &mut prev);
    }
    // `allow()` never waits: the bucket is empty now.
    println!("allow() right now: {}", bursty.allow());
}
