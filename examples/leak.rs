//! A goroutine leak, as ithaca reports it (Go's `goleak`).
//!
//! The classic mistake: ask three replicas, keep the first answer, and let the two slower
//! goroutines block forever sending on an unbuffered channel nobody reads any more.
//!
//! `#[ithaca::test]` runs this check automatically after every test body (opt out with
//! `#[ithaca::test(leaks = "allow")]`); elsewhere, take a `runtime::Baseline` and call
//! `runtime::verify_none_leaked`. A root that returns while goroutines it started are still
//! blocked can report them too: `#[ithaca::main]` prints them by default, `block_on` when
//! asked (`runtime::LeakPolicy`, `ITHACA_LEAKS=log`), and `runtime::run_reporting_leaks`
//! returns them (last part below).
//!
//! `cargo run --example leak`

use std::time::Duration;

use ithaca::chan::bounded;
use ithaca::runtime::{self, Baseline};
use ithaca::Goroutine;

/// Queries three replicas and returns the first answer. `buffered` is the fix: with room for
/// every answer, the losers can finish.
async fn first_answer(buffered: bool) -> String {
    let (tx, rx) = bounded::<String>(if buffered { 3 } else { 0 });
    for (replica, ms) in [("a", 30u64), ("b", 5), ("c", 60)] {
        let tx = tx.clone();
        Goroutine::new()
            .name(format!("replica-{replica}"))
            .spawn(async move {
                ithaca::time::sleep(Duration::from_millis(ms)).await;
                let _ = tx.send(format!("answer from {replica}")).await;
            });
    }
    let first = rx.recv().await.unwrap();
    std::mem::forget(rx); // stands for a receiver kept alive elsewhere (e.g. in a struct)
    first
}

fn main() {
    for buffered in [false, true] {
        let base = Baseline::now().timeout(Duration::from_millis(300));
        let got = ithaca::run(first_answer(buffered));
        println!("--- buffered = {buffered}: got {got:?} ---");
        match runtime::verify_none_leaked(&base) {
            Ok(()) => println!("no goroutine leaked"),
            Err(leaked) => println!("leak: {leaked}"),
        }
    }
    println!("--- the bug again, reported when the root returns ---");
    let (got, leaks) = runtime::run_reporting_leaks(first_answer(false));
    println!("got {got:?}");
    match leaks {
        Ok(()) => println!("no goroutine leaked"),
        Err(leaked) => println!("leak: {leaked}"),
    }
}
