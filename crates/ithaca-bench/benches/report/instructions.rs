//! Instruction counts: one goroutine-flavour channel row, one implementation, on a
//! one-thread tokio runtime, for `scripts/instructions.sh` to run under valgrind.
//!
//! This machine's timings drift by tens of percent between runs; the number of instructions
//! a workload executes on one thread does not (the scheduling is deterministic), so it
//! shows what a change does to the cost of each operation, free of the noise. It does not
//! show what contention costs (cache-line transfers, atomics under contention, parking):
//! the timed report does. Every implementation, ithaca included, runs its channels on the
//! same plain tokio runtime here, so the figures compare channels, not runtimes.

use crate::channels;
use crate::harness::{Config, Measure, Rt};

/// Runs the row and implementation named by `spec` (`<row id> <implementation>`, e.g.
/// `chan/goroutine/mpsc/1 kanal`) once, and prints `ops <count>` (the messages or round
/// trips the row's unit is per) or `na <why>`.
pub fn child(spec: &str) {
    let (id, imp) = spec
        .split_once(' ')
        .unwrap_or_else(|| panic!("BENCH_INSTR={spec:?}: expected '<row id> <implementation>'"));
    let cfg = Config::from_env();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("building a current-thread runtime");
    let one = Rt::Tokio(rt.handle().clone());
    // Only `Runtime::block_on` runs a current-thread runtime's tasks: this thread does, until
    // the row is done; the row's root waits on it through the handle.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let driver = std::thread::spawn(move || {
        rt.block_on(async move {
            let _ = stopped.await;
        });
    });
    let sections = channels::sections(&cfg, &one, &one);
    let (section, row) = channels::find_row(&sections, id, "BENCH_INSTR");
    assert!(
        id.starts_with("chan/goroutine/"),
        "BENCH_INSTR: {id:?} is not a goroutine-flavour row (thread rows are not deterministic)"
    );
    let col = section
        .impls
        .iter()
        .position(|n| *n == imp)
        .unwrap_or_else(|| {
            panic!(
                "BENCH_INSTR: no implementation {imp:?} in {:?}",
                section.impls
            )
        });
    let measure = (row.runs[col])();
    let _ = stop.send(());
    driver.join().expect("the runtime's thread");
    match measure {
        Measure::Value(_) => println!("ops {}", channels::ops(&cfg, id)),
        Measure::Na(why) => println!("na {why}"),
        Measure::Hung => panic!("BENCH_INSTR: {spec} hung"),
    }
}
