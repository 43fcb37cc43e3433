//! Tickers: do something repeatedly at regular intervals.
//!
//! The Go original:
//!
//! ```go
//! ticker := time.NewTicker(500 * time.Millisecond)
//! done := make(chan bool)
//! go func() {
//!     for { select { case <-done: return; case t := <-ticker.C: fmt.Println("Tick at", t) } }
//! }()
//! time.Sleep(1600 * time.Millisecond); ticker.Stop(); done <- true
//! ```
//!
//! `ithaca::time::Ticker` is a select arm (`arm(&mut ticker)`, then `ticker.take()` gives the
//! tick's instant). Ticks are dropped for slow receivers, as in Go. Here the goroutine
//! reports each tick to main, and main stops after three — a deterministic version of Go's
//! "sleep 1600 ms and see how many ticks happened".

use std::time::{Duration, Instant};

use ithaca::chan::bounded;
use ithaca::select;
use ithaca::time::Ticker;

const PERIOD: Duration = Duration::from_millis(50);

#[ithaca::main]
async fn main() {
    let start = Instant::now();
    let mut ticker = Ticker::new(PERIOD);
    let (done_tx, done_rx) = bounded::<()>(0);
    let (ticks_tx, ticks_rx) = bounded::<Instant>(0);

    let g = ithaca::go!(async move {
        loop {
            select! {
                recv(&done_rx) -> _ => return ticker, // hand the ticker back to main
                arm(&mut ticker) => {
                    let t = ticker.take().unwrap();
                    let _ = ticks_tx.send(t).await;
                }
            }
        }
    });

    let mut last = start;
    for n in 1..=3 {
        let t = ticks_rx.recv().await.unwrap();
        println!(
            "tick {n} (at least one period after the previous: {})",
            t - last >= PERIOD
        );
        last = t;
    }
    done_tx.send(()).await.unwrap();
    let ticker = g.await.unwrap();
    ticker.stop();
    println!("Ticker stopped");
    println!(
        "three ticks took at least 3 periods: {}",
        start.elapsed() >= 3 * PERIOD
    );

    // `time.Tick(d)` is `ithaca::time::tick(d)`; in a goroutine receive with `recv`.
    let mut tick = ithaca::time::tick(Duration::from_millis(10));
    for _ in 0..2 {
        tick.recv().await;
    }
    println!("tick(): two ticks received");
}
