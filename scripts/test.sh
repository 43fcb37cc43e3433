#!/usr/bin/env bash
# The whole test suite: unit, integration, doc and compile-fail tests of every crate, the
# rustdoc build without warnings, the loom models on small configurations, and every example
# (the tour included).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace
echo "== the runtime with its diagnostics compiled out (feature \`diagnostics\` off)"
cargo test -q -p ithaca-rt --no-default-features --lib --tests
cargo check -q -p ithaca --no-default-features --lib
echo "== the tracing spans (feature \`tracing\`)"
cargo test -q -p ithaca-rt --features tracing --test tracing
echo "== rustdoc (no warnings)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps -q
echo "== loom models (small configurations)"
RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 CARGO_TARGET_DIR=target/loom \
  cargo test --release -p ithaca-core -p ithaca-chan -p ithaca-sync -p ithaca-time -p ithaca-context --test loom
echo "== examples"
scripts/examples.sh
