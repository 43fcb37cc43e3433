//! Channels: the pipes that connect goroutines.
//!
//! The Go original:
//!
//! ```go
//! messages := make(chan string)
//! go func() { messages <- "ping" }()
//! msg := <-messages
//! fmt.Println(msg)
//! ```
//!
//! `bounded(0)` is Go's unbuffered channel: a rendezvous, the send completes only when a
//! receiver takes the value. A channel is a pair of handles, `Sender` and `Receiver`; both
//! clone (many senders, many receivers).

use ithaca::chan::bounded;
use ithaca::go;

#[ithaca::main]
async fn main() {
    // `make(chan string)`
    let (messages_tx, messages_rx) = bounded::<String>(0);

    // `go func() { messages <- "ping" }()`: the send waits until main receives.
    go!(async move {
        messages_tx.send("ping".to_string()).await.unwrap();
    });

    // `msg := <-messages`. `recv` returns `Option<T>`: `None` means closed (see
    // closing_channels.rs).
    let msg = messages_rx.recv().await.unwrap();
    println!("{msg}");

    // The same channel type works between a plain OS thread and a goroutine: the thread uses
    // the `_blocking` calls, the goroutine `.await`s.
    let (tx, rx) = bounded::<u32>(0);
    std::thread::spawn(move || {
        for i in 1..=3 {
            tx.send_blocking(i * 10).unwrap(); // parks the thread until a receiver takes it
        }
    });
    let mut got = Vec::new();
    while let Some(v) = rx.recv().await {
        got.push(v); // ends with `None` when the thread returns and drops `tx`
    }
    println!("from a thread: {got:?}");
}
