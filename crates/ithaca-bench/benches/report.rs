//! # The benchmark report: ithaca vs Go vs the Rust crates
//!
//! `cargo bench -p ithaca-bench` runs every workload below on ithaca and its Rust peers in
//! one process, interleaving them round by round, and prints markdown tables of medians and
//! same-round ratios. `scripts/bench.sh` runs the Go twin (`go/main.go`) first and passes its
//! results in `GO_RESULTS`, which adds a Go column and a ratio to Go; with `BENCH_DOCS=dir`
//! the report is also written to `dir/benchmarks.md` with the plot `dir/benchmarks.svg`.
//!
//! `cargo test -p ithaca-bench --benches` (no `--bench` argument) is a smoke run: tiny sizes,
//! one round.
//!
//! Environment: `BENCH_SCALE`, `BENCH_ROUNDS`, `BENCH_WORKERS`, `BENCH_TIMEOUT`,
//! `BENCH_FILTER` (row id substring, e.g. `chan/goroutine/spsc`), `BENCH_IMPL`
//! (implementation substring), `BENCH_TRACE` (print each run as it starts), `GO_RESULTS`,
//! `BENCH_DOCS`; `BENCH_INSTR` (one row on one thread, for `scripts/instructions.sh`);
//! `BENCH_REGIME` (one goroutine row: task polls and worker migrations per message).
//!
#![doc = include_str!("report/workloads.md")]

#[path = "report/channels.rs"]
mod channels;
#[path = "report/goroutines.rs"]
mod goroutines;
#[path = "report/harness.rs"]
mod harness;
#[path = "report/instructions.rs"]
mod instructions;
#[path = "report/output.rs"]
mod output;
#[path = "report/regime.rs"]
mod regime;
#[path = "report/sync.rs"]
mod sync;

use std::io::Write as _;

use harness::{measure_row, Config, Rt, SectionResult};
use output::GoResults;

fn main() {
    // The idle-memory row re-executes this binary to measure in a fresh process.
    if let Ok(spec) = std::env::var("BENCH_CHILD") {
        let cfg = Config::from_env();
        goroutines::child(&spec, cfg.workers);
        return;
    }
    // `scripts/instructions.sh` runs one row this way under valgrind.
    if let Ok(spec) = std::env::var("BENCH_INSTR") {
        instructions::child(&spec);
        return;
    }
    if let Ok(id) = std::env::var("BENCH_REGIME") {
        regime::run(&id);
        return;
    }
    let cfg = Config::from_env();
    let go = GoResults::from_env();
    if let Some(why) = &go.missing {
        eprintln!("note: no Go column: {why}");
    }
    let (irt, trt) = harness::runtimes(cfg.workers);
    let ithaca = Rt::Ithaca(irt.handle().clone());
    let tokio = Rt::Tokio(trt.handle().clone());

    let mut sections = channels::sections(&cfg, &ithaca, &tokio);
    sections.push(goroutines::section(&cfg, &ithaca, &tokio));
    sections.push(sync::section(&cfg, &ithaca, &tokio));

    println!(
        "# ithaca benchmark report (BENCH_SCALE={}, BENCH_ROUNDS={}, {} workers{})\n",
        cfg.scale,
        cfg.rounds,
        cfg.workers,
        if output::is_smoke(&cfg) {
            "; smoke run, not representative"
        } else {
            ""
        }
    );
    let started = std::time::Instant::now();
    let mut results = Vec::new();
    for s in sections {
        let mut rows = Vec::new();
        for row in &s.rows {
            if !cfg.filter.is_empty() && !row.id.contains(&cfg.filter) {
                continue;
            }
            let r = measure_row(&cfg, &s.impls, row);
            // Progress on stderr; the tables go to stdout once each section is complete.
            let cells: Vec<String> = s
                .impls
                .iter()
                .zip(&r.cells)
                .map(|(n, c)| format!("{n}={c:?}"))
                .collect();
            eprintln!(
                "[{:>6.1}s] {} {}",
                started.elapsed().as_secs_f64(),
                r.id,
                cells.join(" ")
            );
            rows.push(r);
        }
        if rows.is_empty() {
            continue;
        }
        let res = SectionResult {
            title: s.title,
            impls: s.impls,
            rows,
        };
        println!("{}", output::section_markdown(&res, &go));
        let _ = std::io::stdout().flush();
        results.push(res);
    }
    eprintln!("total {:.1}s", started.elapsed().as_secs_f64());

    if let Some(dir) = std::env::var_os("BENCH_DOCS") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("creating BENCH_DOCS");
        let svg = dir.join("benchmarks.svg");
        output::plot(&svg, &go, &results, output::is_smoke(&cfg)).expect("rendering the plot");
        let md = dir.join("benchmarks.md");
        std::fs::write(&md, output::document(&cfg, &go, &results, "benchmarks.svg"))
            .expect("writing benchmarks.md");
        eprintln!("wrote {} and {}", md.display(), svg.display());
    }
    // Leaked tasks of a hung peer must not keep the process alive.
    irt.shutdown_background();
    trt.shutdown_background();
}
