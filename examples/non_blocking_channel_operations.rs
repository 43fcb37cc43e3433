//! Non-blocking channel operations: `select` with a `default` case.
//!
//! The Go original:
//!
//! ```go
//! select {
//! case msg := <-messages: fmt.Println("received message", msg)
//! default:                fmt.Println("no message received")
//! }
//! ```
//!
//! `default => ..` in `select!` is taken when no arm can proceed right now. For a single
//! operation, `try_recv` / `try_send` say the same thing without a select.

use ithaca::chan::{bounded, TryRecvError, TrySendError};
use ithaca::select;

#[ithaca::main]
async fn main() {
    let (messages_tx, messages_rx) = bounded::<String>(0);
    let (_signals_tx, signals_rx) = bounded::<bool>(0);

    // A non-blocking receive: nothing is ready, so `default` runs.
    select! {
        recv(&messages_rx) -> msg => println!("received message {msg:?}"),
        default => println!("no message received"),
    }

    // A non-blocking send: `messages` is unbuffered and no receiver is waiting, so the send
    // cannot happen and `default` runs. The value is simply dropped with the select.
    let msg = "hi".to_string();
    select! {
        send(&messages_tx, msg) -> _ => println!("sent message"),
        default => println!("no message sent"),
    }

    // A multi-way non-blocking select.
    select! {
        recv(&messages_rx) -> msg => println!("received message {msg:?}"),
        recv(&signals_rx) -> sig => println!("received signal {sig:?}"),
        default => println!("no activity"),
    }

    // The same checks with `try_*`, which also say *why* nothing happened.
    match messages_rx.try_recv() {
        Ok(m) => println!("received {m}"),
        Err(TryRecvError::Empty) => println!("try_recv: empty"),
        Err(TryRecvError::Closed) => println!("try_recv: closed"),
    }
    match messages_tx.try_send("hi".to_string()) {
        Ok(()) => println!("sent"),
        Err(TrySendError::Full(v)) => println!("try_send: no receiver ready, got {v:?} back"),
        Err(TrySendError::Closed(v)) => println!("try_send: closed, got {v:?} back"),
    }

    // When a receiver *is* blocked on the channel, the non-blocking send succeeds.
    let receiver = ithaca::go!(async move { messages_rx.recv().await });
    loop {
        select! {
            send(&messages_tx, "finally".to_string()) -> _ => break,
            default => ithaca::time::sleep(std::time::Duration::from_millis(1)).await,
        }
    }
    println!("receiver got {:?}", receiver.await.unwrap());
}
