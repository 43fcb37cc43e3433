//! Timeouts: bound how long an operation may take.
//!
//! The Go original:
//!
//! ```go
//! c1 := make(chan string, 1)
//! go func() { time.Sleep(2 * time.Second); c1 <- "result 1" }()
//! select {
//! case res := <-c1: fmt.Println(res)
//! case <-time.After(1 * time.Second): fmt.Println("timeout 1")
//! }
//! ```
//!
//! `ithaca::time::after(d)` is `time.After(d)`: a timer that works as a select arm
//! (`arm(after(d)) => ..`). Channels also have `recv_timeout` / `send_timeout` for the
//! single-operation case.

use std::time::Duration;

use ithaca::chan::{bounded, RecvTimeoutError};
use ithaca::time::after;
use ithaca::{go, select};

const MS: Duration = Duration::from_millis(1);

#[ithaca::main]
async fn main() {
    // The result takes 200 ms but we only wait 50 ms. The channel is buffered so that the
    // late sender does not block forever when nobody receives (a goroutine leak in Go).
    let (c1_tx, c1_rx) = bounded::<String>(1);
    go!(async move {
        ithaca::time::sleep(200 * MS).await;
        let _ = c1_tx.send("result 1".to_string()).await;
    });
    select! {
        recv(&c1_rx) -> res => println!("{}", res.unwrap()),
        arm(after(50 * MS)) => println!("timeout 1"),
    }

    // With a longer timeout (300 ms), the 50 ms result arrives first.
    let (c2_tx, c2_rx) = bounded::<String>(1);
    go!(async move {
        ithaca::time::sleep(50 * MS).await;
        let _ = c2_tx.send("result 2".to_string()).await;
    });
    select! {
        recv(&c2_rx) -> res => println!("{}", res.unwrap()),
        arm(after(300 * MS)) => println!("timeout 2"),
    }

    // The one-operation shorthand: `recv_timeout`.
    let (_c3_tx, c3_rx) = bounded::<String>(1);
    match c3_rx.recv_timeout(20 * MS).await {
        Ok(v) => println!("{v}"),
        Err(RecvTimeoutError::Timeout) => println!("timeout 3 (recv_timeout)"),
        Err(RecvTimeoutError::Closed) => println!("closed"),
    }

    // Blocking code (a plain thread, or here a blocking goroutine) does the same with
    // `select_blocking!` or `recv_blocking_timeout`.
    let t = ithaca::spawn_blocking(move || {
        ithaca::select_blocking! {
            recv(&c3_rx) -> v => println!("{v:?}"),
            arm(after(20 * MS)) => println!("timeout 4 (on a thread)"),
        }
    });
    t.await.unwrap();
}
