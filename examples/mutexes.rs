//! Mutexes: safely access shared state from several goroutines.
//!
//! The Go original:
//!
//! ```go
//! type Container struct { mu sync.Mutex; counters map[string]int }
//! func (c *Container) inc(name string) { c.mu.Lock(); defer c.mu.Unlock(); c.counters[name]++ }
//!
//! doIncrement := func(name string, n int) { for i := 0; i < n; i++ { c.inc(name) }; wg.Done() }
//! wg.Add(3); go doIncrement("a", 10000); go doIncrement("a", 10000); go doIncrement("b", 10000)
//! wg.Wait(); fmt.Println(c.counters)
//! ```
//!
//! `ithaca::sync::Mutex<T>` *owns* the data it protects: the only way to the map is through
//! the guard, and the guard unlocks when dropped (Go's `defer mu.Unlock()`). `lock().await`
//! in goroutines, `lock_blocking()` on threads — one queue for both.

use std::collections::BTreeMap;
use std::sync::Arc;

use ithaca::sync::{Mutex, WaitGroup};

struct Container {
    counters: Mutex<BTreeMap<&'static str, u64>>,
}

impl Container {
    async fn inc(&self, name: &'static str) {
        let mut counters = self.counters.lock().await;
        *counters.entry(name).or_default() += 1;
    } // guard dropped: unlocked

    fn inc_blocking(&self, name: &'static str) {
        *self.counters.lock_blocking().entry(name).or_default() += 1;
    }
}

#[ithaca::main]
async fn main() {
    let c = Arc::new(Container {
        counters: Mutex::new(BTreeMap::from([("a", 0), ("b", 0)])),
    });
    let wg = WaitGroup::new();

    for (name, n) in [("a", 10_000), ("a", 10_000), ("b", 10_000)] {
        wg.add(1);
        let (c, wg) = (c.clone(), wg.clone());
        ithaca::go!(async move {
            for _ in 0..n {
                c.inc(name).await;
            }
            wg.done();
        });
    }
    // A plain thread contends for the same lock.
    wg.add(1);
    let (c2, wg2) = (c.clone(), wg.clone());
    std::thread::spawn(move || {
        for _ in 0..5_000 {
            c2.inc_blocking("thread");
        }
        wg2.done();
    });

    wg.wait().await;
    println!("{:?}", *c.counters.lock().await);
}
