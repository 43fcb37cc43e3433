//! WaitGroups: wait for several goroutines to finish.
//!
//! The Go original:
//!
//! ```go
//! var wg sync.WaitGroup
//! for i := 1; i <= 5; i++ {
//!     wg.Add(1)
//!     go func() { defer wg.Done(); worker(i) }()
//! }
//! wg.Wait()
//! ```
//!
//! `ithaca::sync::WaitGroup` is a cheap `Clone` handle (Go passes `*sync.WaitGroup`).
//! `wg.wait().await` in goroutines, `wg.wait_blocking()` on threads; both kinds can be in one
//! group. Go 1.25's `wg.Go(f)` is `wg.add(1)` + a goroutine that calls `wg.done()` (a guard
//! makes the `done` happen even on panic, like Go's `defer`). Workers finish in any order.

use std::time::Duration;

use ithaca::sync::WaitGroup;

async fn worker(id: u32) {
    println!("Worker {id} starting");
    ithaca::time::sleep(Duration::from_millis(50)).await; // an expensive task
    println!("Worker {id} done");
}

/// Calls `wg.done()` when dropped: Go's `defer wg.Done()`.
struct Done(WaitGroup);
impl Drop for Done {
    fn drop(&mut self) {
        self.0.done();
    }
}

#[ithaca::main]
async fn main() {
    let wg = WaitGroup::new();
    for i in 1..=5 {
        wg.add(1);
        let done = Done(wg.clone());
        ithaca::go!(async move {
            let _done = done;
            worker(i).await;
        });
    }
    // Block until the counter goes back to 0: all the workers said they are done.
    wg.wait().await;
    println!("all workers done");

    // Goroutines and plain threads in one group.
    let wg = WaitGroup::new();
    wg.add(2);
    let w = wg.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(10));
        println!("a thread is done");
        w.done();
    });
    let w = wg.clone();
    ithaca::go!(async move {
        ithaca::time::sleep(Duration::from_millis(20)).await;
        println!("a goroutine is done");
        w.done();
    });
    wg.wait().await;
    println!("thread and goroutine done");
}
