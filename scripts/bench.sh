#!/usr/bin/env bash
# The benchmark report, one command: ithaca vs Go vs the Rust crates.
#
#   scripts/bench.sh                               # full report (defaults: BENCH_SCALE=1, BENCH_ROUNDS=5)
#   BENCH_SCALE=0.01 BENCH_ROUNDS=1 scripts/bench.sh   # smoke run (seconds; marked "not representative")
#
# 1. Builds and runs the Go twin (crates/ithaca-bench/go) if a Go toolchain is found (`go` on
#    PATH, or /usr/lib/go-1.19/bin/go); otherwise says how to get one and leaves Go's column out.
# 2. Runs `cargo bench -p ithaca-bench` with GO_RESULTS pointing at Go's results, which merges
#    them into the tables and writes docs/benchmarks.md and docs/benchmarks.svg.
#
# Environment (passed to both sides): BENCH_SCALE, BENCH_ROUNDS, BENCH_WORKERS (runtime workers;
# Go's GOMAXPROCS is set to the same), BENCH_FILTER, BENCH_TIMEOUT. GO=/path/to/go picks a toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

export BENCH_SCALE="${BENCH_SCALE:-1}"
export BENCH_ROUNDS="${BENCH_ROUNDS:-5}"
export BENCH_WORKERS="${BENCH_WORKERS:-$(nproc)}"
export BENCH_DOCS="$root/docs"
target="${CARGO_TARGET_DIR:-$root/target}"
work="$target/ithaca-bench"
mkdir -p "$work" "$BENCH_DOCS"

go_bin="${GO:-}"
if [[ -z "$go_bin" ]]; then
  if command -v go >/dev/null 2>&1; then
    go_bin=$(command -v go)
  elif [[ -x /usr/lib/go-1.19/bin/go ]]; then
    go_bin=/usr/lib/go-1.19/bin/go
  fi
fi

go_results="$work/go-results.jsonl"
rm -f "$go_results"
if [[ -n "$go_bin" ]]; then
  echo "== Go twin ($("$go_bin" version)), BENCH_SCALE=$BENCH_SCALE BENCH_ROUNDS=$BENCH_ROUNDS GOMAXPROCS=$BENCH_WORKERS"
  # The binary goes to the target dir (never committed); no modules are downloaded.
  (cd crates/ithaca-bench/go && GOFLAGS=-mod=mod GOPROXY=off GOCACHE="$work/gocache" \
    "$go_bin" build -o "$work/ithaca-bench-go" .)
  GOMAXPROCS="$BENCH_WORKERS" "$work/ithaca-bench-go" >"$go_results"
  export GO_RESULTS="$go_results"
else
  echo "== no Go toolchain found: Go's column will be missing."
  echo "   To get one (Debian/Ubuntu): apt-get install golang-1.19-go   (then re-run this script)"
  unset GO_RESULTS
  export GO_MISSING="no Go toolchain on this machine (apt-get install golang-1.19-go)"
fi

echo "== cargo bench -p ithaca-bench (rustc: $(rustc --version))"
RUSTC_VERSION="$(rustc --version)" cargo bench -p ithaca-bench --bench report
echo "== wrote docs/benchmarks.md and docs/benchmarks.svg"
