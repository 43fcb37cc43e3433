//! # ithaca-bench: the benchmark report
//!
//! This crate has no API: it holds the benchmark report that runs ithaca, the Rust peers
//! (crossbeam-channel, flume, kanal, async-channel, tokio, tokio-util) and a Go twin on the
//! same workloads, and writes `docs/benchmarks.md` and `docs/benchmarks.svg`.
//!
//! * One command for the full report: `scripts/bench.sh` (builds and runs the Go twin in
//!   `crates/ithaca-bench/go/` when a Go toolchain is present, then
//!   `cargo bench -p ithaca-bench`, which merges Go's numbers and writes the docs).
//! * Rust side alone: `cargo bench -p ithaca-bench` (prints the tables).
//! * Smoke run: `cargo test -p ithaca-bench --benches` (tiny sizes, one round, seconds).
//!
//! Environment: `BENCH_SCALE` (sizes, default 1), `BENCH_ROUNDS` (default 5),
//! `BENCH_WORKERS` (runtime workers, default the CPU count), `BENCH_TIMEOUT` (watchdog
//! seconds per run, default 5 + 20 × `BENCH_SCALE`), `BENCH_FILTER` (row id substring),
//! `BENCH_IMPL` (implementation name substring), `GO_RESULTS` (the Go twin's output file),
//! `BENCH_DOCS` (directory to write `benchmarks.md` and `benchmarks.svg` into).
//!
#![doc = include_str!("../benches/report/workloads.md")]
