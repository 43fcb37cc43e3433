//! Helpers shared by the Go-port and model tests (each test file includes this with
//! `mod common;`, so not every helper is used by every file).
#![allow(dead_code)]

use std::thread;
use std::time::Duration;

/// Polls `cond` until it holds (bounded: 10 s), then returns; panics with `what` otherwise.
/// Synchronisation by bounded polling, never sleep-and-hope.
pub fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..10_000 {
        if cond() {
            return;
        }
        thread::sleep(Duration::from_millis(1));
    }
    panic!("condition never held: {what}");
}

/// Runs `f` on a thread and reports whether it finished within `patience`. Used to check
/// Go's "this always blocks" rules: a short wait only *gives a chance* to a wrong
/// implementation to return; the blocked thread is leaked (it may block forever).
pub fn returns_within(patience: Duration, f: impl FnOnce() + Send + 'static) -> bool {
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    rx.recv_timeout(patience).is_ok()
}

/// A multi-thread tokio runtime standing in for Go's scheduler (goroutines = tasks).
pub fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A scale factor from the environment (`ITHACA_GO_SCALE`, default 1) for the loop counts
/// of the Go ports, so a soak run can multiply them.
pub fn scaled(n: usize) -> usize {
    let k: usize = std::env::var("ITHACA_GO_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    n * k.max(1)
}
