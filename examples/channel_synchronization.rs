//! Channel synchronization: wait for a goroutine to finish by receiving from a channel.
//!
//! The Go original:
//!
//! ```go
//! func worker(done chan bool) {
//!     fmt.Print("working..."); time.Sleep(time.Second); fmt.Println("done")
//!     done <- true
//! }
//! done := make(chan bool, 1)
//! go worker(done)
//! <-done
//! ```
//!
//! The same in ithaca. (A `JoinHandle` or a `WaitGroup` often says it more directly; see
//! goroutines.rs and waitgroups.rs.)

use std::io::Write;
use std::time::Duration;

use ithaca::chan::{bounded, Sender};

async fn worker(done: Sender<bool>) {
    print!("working...");
    std::io::stdout().flush().unwrap();
    ithaca::time::sleep(Duration::from_millis(50)).await;
    println!("done");
    // Notify that we are done.
    done.send(true).await.unwrap();
}

#[ithaca::main]
async fn main() {
    let (done_tx, done_rx) = bounded::<bool>(1);
    ithaca::go!(worker(done_tx));

    // Block until we receive a notification from the worker.
    done_rx.recv().await.unwrap();

    // Variant: signal completion by *closing* the channel instead of sending on it. Here the
    // worker just drops its Sender when it returns, which closes the channel, and the
    // receive returns `None`.
    let (done_tx, done_rx) = bounded::<()>(0);
    ithaca::go!(async move {
        let _done = done_tx; // dropped (closing the channel) when this goroutine returns
        println!("second worker finished");
    });
    assert_eq!(done_rx.recv().await, None);
    println!("main saw the channel close");
}
