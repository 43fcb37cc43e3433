//! Timers: do something once in the future, or cancel it before it happens.
//!
//! The Go original:
//!
//! ```go
//! timer1 := time.NewTimer(2 * time.Second)
//! <-timer1.C
//! fmt.Println("Timer 1 fired")
//! timer2 := time.NewTimer(time.Second)
//! go func() { <-timer2.C; fmt.Println("Timer 2 fired") }()
//! if timer2.Stop() { fmt.Println("Timer 2 stopped") }
//! ```
//!
//! `ithaca::time::Timer` follows Go 1.23: after `stop`/`reset` no stale value is received,
//! and dropping a timer stops it. A goroutine receives with `timer.recv().await`
//! (`timer.recv_blocking()` on a plain thread), or uses the timer as a select arm. Since the
//! goroutine owns the timer, main stops it through a `TimerHandle`.

use std::time::{Duration, Instant};

use ithaca::select;
use ithaca::time::Timer;

const MS: Duration = Duration::from_millis(1);

#[ithaca::main]
async fn main() {
    let start = Instant::now();
    let mut timer1 = Timer::new(100 * MS);
    // `<-timer1.C`: wait until it fires; the value is the instant it was due.
    let fired_at = timer1.recv().await;
    println!(
        "Timer 1 fired (after at least 100 ms: {})",
        fired_at.duration_since(start) >= 100 * MS
    );

    // Timer 2 is received by a goroutine and stopped by main before it fires.
    let mut timer2 = Timer::new(50 * MS);
    let handle = timer2.handle();
    let (done_tx, done_rx) = ithaca::chan::bounded::<()>(0);
    ithaca::go!(async move {
        select! {
            arm(&mut timer2) => println!("Timer 2 fired"),
            recv(&done_rx) -> _ => println!("goroutine: gave up on timer 2"),
        }
    });
    if handle.stop() {
        println!("Timer 2 stopped");
    }
    // Give timer 2 enough time to fire, if it was ever going to, then release the goroutine.
    ithaca::time::sleep(100 * MS).await;
    done_tx.send(()).await.unwrap();

    // `reset` re-arms a timer; `after(d).await` is the one-shot `<-time.After(d)`.
    let mut timer3 = Timer::new(Duration::from_secs(60));
    timer3.reset(10 * MS);
    timer3.recv().await;
    println!("Timer 3 fired after a reset");
    ithaca::time::after(10 * MS).await;
    println!("after(10ms) fired");
}
