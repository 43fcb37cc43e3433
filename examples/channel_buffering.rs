//! Channel buffering: a channel that accepts a limited number of values without a receiver.
//!
//! The Go original:
//!
//! ```go
//! messages := make(chan string, 2)
//! messages <- "buffered"
//! messages <- "channel"
//! fmt.Println(<-messages)
//! fmt.Println(<-messages)
//! ```
//!
//! `bounded(n)` is `make(chan T, n)`; `unbounded()` has no Go counterpart (it never blocks
//! a sender). `len()` and `capacity()` are Go's `len(ch)` and `cap(ch)`.

use ithaca::chan::{bounded, unbounded, TrySendError};

#[ithaca::main]
async fn main() {
    // `make(chan string, 2)`
    let (tx, rx) = bounded::<&str>(2);

    // No receiver is waiting, yet both sends complete at once: they fit in the buffer.
    tx.send("buffered").await.unwrap();
    tx.send("channel").await.unwrap();
    println!("len = {}, cap = {:?}", tx.len(), tx.capacity());

    // A third send would block; `try_send` tells us so without waiting.
    match tx.try_send("overflow") {
        Err(TrySendError::Full(v)) => println!("buffer full, {v:?} handed back"),
        other => println!("unexpected: {other:?}"),
    }

    println!("{}", rx.recv().await.unwrap());
    println!("{}", rx.recv().await.unwrap());
    println!("len = {}", rx.len());

    // An unbounded channel grows as needed; `capacity()` is `None`.
    let (utx, urx) = unbounded::<u32>();
    for i in 0..1000 {
        utx.send(i).await.unwrap();
    }
    println!("unbounded: len = {}, cap = {:?}", urx.len(), urx.capacity());
}
