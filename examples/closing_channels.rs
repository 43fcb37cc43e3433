//! Closing channels: tell receivers that no more values will come.
//!
//! The Go original:
//!
//! ```go
//! jobs, done := make(chan int, 5), make(chan bool)
//! go func() {
//!     for { j, more := <-jobs; if more { fmt.Println("received job", j) } else { done <- true; return } }
//! }()
//! for j := 1; j <= 3; j++ { jobs <- j }
//! close(jobs)
//! <-done
//! _, ok := <-jobs // ok == false
//! ```
//!
//! In ithaca `recv()` returns `Option<T>`: `Some(v)` is `v, true`, `None` is `_, false`
//! (closed and drained). Differences from Go, all stated in the types:
//! * `close()` works from either handle and returns `bool`: closing twice returns `false`
//!   where Go panics.
//! * sending on a closed channel returns `Err(SendError(v))` with the value, where Go panics.
//! * dropping the last `Sender` (or the last `Receiver`) closes the channel.

use ithaca::chan::bounded;

#[ithaca::main]
async fn main() {
    let (jobs_tx, jobs_rx) = bounded::<u32>(5);
    let (done_tx, done_rx) = bounded::<bool>(0);

    // Send the jobs and close *before* the worker starts: a closed channel still delivers
    // what is buffered, and only then reports "closed".
    for j in 1..=3 {
        jobs_tx.send(j).await.unwrap();
        println!("sent job {j}");
    }
    assert!(jobs_tx.close());
    println!("sent all jobs");

    let worker_rx = jobs_rx.clone();
    ithaca::go!(async move {
        loop {
            match worker_rx.recv().await {
                Some(j) => println!("received job {j}"),
                None => {
                    println!("received all jobs");
                    done_tx.send(true).await.unwrap();
                    return;
                }
            }
        }
    });
    done_rx.recv().await.unwrap();

    // `_, ok := <-jobs`
    let ok = jobs_rx.recv().await.is_some();
    println!("received more jobs: {ok}");

    // Where Go panics, ithaca returns values you can inspect.
    println!("close again: {}", jobs_tx.close());
    match jobs_tx.send(4).await {
        Ok(()) => println!("sent"),
        Err(e) => println!("send on closed channel: got {} back", e.into_inner()),
    }

    // Dropping the last sender closes the channel too.
    let (tx, rx) = bounded::<&str>(1);
    tx.send("last words").await.unwrap();
    drop(tx);
    println!("{:?} then {:?}", rx.recv().await, rx.recv().await);
}
