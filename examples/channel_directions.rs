//! Channel directions: send-only and receive-only channel parameters.
//!
//! The Go original:
//!
//! ```go
//! func ping(pings chan<- string, msg string) { pings <- msg }
//! func pong(pings <-chan string, pongs chan<- string) { msg := <-pings; pongs <- msg }
//!
//! pings, pongs := make(chan string, 1), make(chan string, 1)
//! ping(pings, "passed message")
//! pong(pings, pongs)
//! fmt.Println(<-pongs)
//! ```
//!
//! In ithaca a channel is always a pair: `Sender<T>` is Go's `chan<- T` and `Receiver<T>` is
//! `<-chan T`. There is no bidirectional handle, so a function's signature says which way it
//! uses a channel, and receiving on a `Sender` does not compile (`Sender` has no `recv`
//! method).

use ithaca::chan::{bounded, Receiver, Sender};

// Only accepts a channel for sending values.
async fn ping(pings: &Sender<String>, msg: &str) {
    pings.send(msg.to_string()).await.unwrap();
}

// Accepts one channel for receives (`pings`) and a second for sends (`pongs`).
async fn pong(pings: &Receiver<String>, pongs: &Sender<String>) {
    let msg = pings.recv().await.unwrap();
    pongs.send(msg).await.unwrap();
}

#[ithaca::main]
async fn main() {
    let (pings_tx, pings_rx) = bounded::<String>(1);
    let (pongs_tx, pongs_rx) = bounded::<String>(1);
    ping(&pings_tx, "passed message").await;
    pong(&pings_rx, &pongs_tx).await;
    println!("{}", pongs_rx.recv().await.unwrap());

    // Handles move into goroutines by value; clone them to share a direction with several.
    let (tx, rx) = bounded::<u32>(0);
    for id in 1..=3 {
        let tx = tx.clone();
        ithaca::go!(async move { tx.send(id).await.unwrap() });
    }
    drop(tx); // main keeps no sender, so the channel closes when the three are done
    let mut ids = Vec::new();
    while let Some(id) = rx.recv().await {
        ids.push(id);
    }
    ids.sort();
    println!("three senders delivered {ids:?}");
}
