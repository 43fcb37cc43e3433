//! Atomic counters: shared state updated without locks.
//!
//! The Go original:
//!
//! ```go
//! var ops atomic.Uint64
//! var wg sync.WaitGroup
//! for i := 0; i < 50; i++ {
//!     wg.Add(1)
//!     go func() { for c := 0; c < 1000; c++ { ops.Add(1) }; wg.Done() }()
//! }
//! wg.Wait(); fmt.Println("ops:", ops.Load())
//! ```
//!
//! Rust's `std::sync::atomic` types (re-exported as `ithaca::sync::atomic`) are Go's
//! `sync/atomic`. Go's atomics are all sequentially consistent, so `SeqCst` is the
//! Go-equivalent ordering. Sharing needs an `Arc` (Go's garbage collector does that job).

use std::sync::Arc;

use ithaca::sync::atomic::{AtomicU64, Ordering::SeqCst};
use ithaca::sync::WaitGroup;

#[ithaca::main]
async fn main() {
    let ops = Arc::new(AtomicU64::new(0));
    let wg = WaitGroup::new();

    for _ in 0..50 {
        wg.add(1);
        let (ops, wg) = (ops.clone(), wg.clone());
        ithaca::go!(async move {
            for _ in 0..1000 {
                ops.fetch_add(1, SeqCst); // Go: ops.Add(1)
            }
            wg.done();
        });
    }
    wg.wait().await;
    println!("ops: {}", ops.load(SeqCst));

    // A plain `+= 1` on shared data would not compile: `ops` is behind an `Arc`, and Rust
    // only hands out `&mut` to one owner. Go's data race is a compile error here.

    // Go's `CompareAndSwap`: exactly one of 10 goroutines wins.
    let owner = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (1..=10)
        .map(|id| {
            let owner = owner.clone();
            ithaca::go!(async move { owner.compare_exchange(0, id, SeqCst, SeqCst).is_ok() })
        })
        .collect();
    let mut winners = 0;
    for h in handles {
        winners += usize::from(h.await.unwrap());
    }
    println!("CompareAndSwap winners: {winners}");
}
