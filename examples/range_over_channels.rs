//! Range over channels: receive until the channel is closed.
//!
//! The Go original:
//!
//! ```go
//! queue := make(chan string, 2)
//! queue <- "one"
//! queue <- "two"
//! close(queue)
//! for elem := range queue { fmt.Println(elem) }
//! ```
//!
//! In a goroutine, `for v := range ch` is `while let Some(v) = rx.recv().await`, or
//! `rx.stream()` (a `futures::Stream`). On a plain thread, a `&Receiver` is an iterator:
//! `for v in &rx`.

use futures_lite::StreamExt;
use ithaca::chan::bounded;

#[ithaca::main]
async fn main() {
    let (tx, queue) = bounded::<&str>(2);
    tx.send("one").await.unwrap();
    tx.send("two").await.unwrap();
    tx.close();

    // The loop ends after the two buffered values, because the channel is closed.
    while let Some(elem) = queue.recv().await {
        println!("{elem}");
    }

    // As a Stream, with its combinators.
    let (tx, rx) = bounded::<u32>(0);
    ithaca::go!(async move {
        for i in 1..=5 {
            tx.send(i).await.unwrap();
        }
        // `tx` dropped here: the channel closes and the stream ends.
    });
    let squares: Vec<u32> = rx.stream().map(|i| i * i).collect().await;
    println!("squares from a stream: {squares:?}");

    // In blocking code (a plain thread, or here a blocking goroutine): `for v in &rx`.
    let (tx, rx) = bounded::<char>(0);
    let t = ithaca::spawn_blocking(move || {
        let mut s = String::new();
        for c in &rx {
            s.push(c);
        }
        s
    });
    for c in "range".chars() {
        tx.send(c).await.unwrap();
    }
    drop(tx);
    println!("blocking code ranged over: {:?}", t.await.unwrap());
}
