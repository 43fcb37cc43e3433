//! Select: wait on several channel operations at once.
//!
//! The Go original:
//!
//! ```go
//! c1, c2 := make(chan string), make(chan string)
//! go func() { time.Sleep(1 * time.Second); c1 <- "one" }()
//! go func() { time.Sleep(2 * time.Second); c2 <- "two" }()
//! for i := 0; i < 2; i++ {
//!     select {
//!     case msg1 := <-c1: fmt.Println("received", msg1)
//!     case msg2 := <-c2: fmt.Println("received", msg2) } }
//! ```
//!
//! `select!` takes `recv(&rx) -> v => ..` and `send(&tx, value) -> r => ..` arms. Exactly one
//! arm's operation happens; among ready arms one is chosen at random, as in Go. A send arm
//! that is not chosen sends nothing (its value is dropped with the select).

use std::time::Duration;

use ithaca::chan::bounded;
use ithaca::{go, select};

#[ithaca::main]
async fn main() {
    let (c1_tx, c1_rx) = bounded::<&str>(0);
    let (c2_tx, c2_rx) = bounded::<&str>(0);

    go!(async move {
        ithaca::time::sleep(Duration::from_millis(50)).await;
        c1_tx.send("one").await.unwrap();
    });
    go!(async move {
        ithaca::time::sleep(Duration::from_millis(150)).await;
        c2_tx.send("two").await.unwrap();
    });

    // A goroutine that returns drops its `Sender`, which *closes* the channel, and a closed
    // channel is always ready in a select (its receive yields `None`). So instead of Go's
    // "receive twice", loop until both channels are closed, switching an arm off once its
    // channel is closed: an arm on `None` is Go's nil channel, never chosen.
    let (mut c1, mut c2) = (Some(&c1_rx), Some(&c2_rx));
    while c1.is_some() || c2.is_some() {
        select! {
            recv(c1) -> msg => match msg {
                Some(msg) => println!("received {msg}"),
                None => c1 = None,
            },
            recv(c2) -> msg => match msg {
                Some(msg) => println!("received {msg}"),
                None => c2 = None,
            },
        }
    }

    // A select with a *send* arm (from the Go tour):
    //
    //     for { select { case c <- x: x, y = y, x+y; case <-quit: return } }
    let (c_tx, c_rx) = bounded::<u64>(0);
    let (quit_tx, quit_rx) = bounded::<()>(0);
    go!(async move {
        let mut fib = Vec::new();
        for _ in 0..10 {
            fib.push(c_rx.recv().await.unwrap());
        }
        println!("{fib:?}");
        quit_tx.send(()).await.unwrap();
    });
    let (mut x, mut y) = (0u64, 1u64);
    loop {
        select! {
            send(&c_tx, x) -> sent => {
                sent.unwrap();
                (x, y) = (y, x + y);
            }
            recv(&quit_rx) -> _ => {
                println!("quit");
                break; // `break` and `return` in an arm act on the enclosing loop / fn
            }
        }
    }
}
