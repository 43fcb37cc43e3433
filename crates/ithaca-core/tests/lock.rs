//! Stress test of the internal lock (`ithaca_core::lock::SpinMutex`) with more threads than
//! cores, so every phase runs: spinning, yielding, and sleeping in the kernel (Linux futex).
//! Counts updates: a lost one means two threads were inside at once.
#![cfg(not(loom))]

use std::sync::{Arc, Barrier};

use ithaca_core::lock::SpinMutex;

#[test]
fn oversubscribed_threads_lose_no_update() {
    const THREADS: usize = 8;
    const ITERS: usize = 100_000;
    // A plain (non-atomic) counter plus a slow-ish critical section, so holders get
    // descheduled while holding the lock and waiters reach the sleeping phase.
    let m = Arc::new(SpinMutex::new((0usize, [0u64; 8])));
    let start = Arc::new(Barrier::new(THREADS));
    let hs: Vec<_> = (0..THREADS)
        .map(|t| {
            let (m, start) = (m.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for i in 0..ITERS {
                    let mut g = m.lock();
                    let n = g.0;
                    for (k, x) in g.1.iter_mut().enumerate() {
                        *x = x.wrapping_mul(31).wrapping_add((i ^ t ^ k) as u64);
                    }
                    g.0 = n + 1;
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(
        m.lock().0,
        THREADS * ITERS,
        "an update under the lock was lost"
    );
    assert!(m.try_lock().is_some(), "the lock must end up free");
}
