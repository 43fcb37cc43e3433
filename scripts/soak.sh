#!/usr/bin/env bash
# Soak mode: the stress, cancel-safety, Go-port and model tests of ithaca-chan with big counts,
# in release. Takes tens of minutes; run it before a release or after touching the channel's
# state machine.
#
#   scripts/soak.sh
#
# Counts (override by environment):
#   ITHACA_STRESS_N=10000000   messages through tests/cancel.rs mixed_threads_and_tasks_*
#   ITHACA_CANCEL_N=1000000    receives (mostly cancelled) in cancelled_receives_lose_nothing
#   ITHACA_GO_SCALE=20         multiplier for the loop counts of the tests/go_*.rs ports
#   PROPTEST_CASES=1000000     sequential model cases (tests/model.rs)
#   ITHACA_MODEL_CONCURRENT_CASES=20000  concurrent model cases
set -euo pipefail

cd "$(dirname "$0")/.."
export ITHACA_STRESS_N="${ITHACA_STRESS_N:-10000000}"
export ITHACA_CANCEL_N="${ITHACA_CANCEL_N:-1000000}"
export ITHACA_GO_SCALE="${ITHACA_GO_SCALE:-20}"
export PROPTEST_CASES="${PROPTEST_CASES:-1000000}"
export ITHACA_MODEL_CONCURRENT_CASES="${ITHACA_MODEL_CONCURRENT_CASES:-20000}"

args=()
for f in crates/ithaca-chan/tests/*.rs; do
    name=$(basename "$f" .rs)
    case "$name" in perm | loom) continue ;; esac
    args+=(--test "$name")
done

echo "soak: STRESS_N=$ITHACA_STRESS_N CANCEL_N=$ITHACA_CANCEL_N GO_SCALE=$ITHACA_GO_SCALE" \
    "PROPTEST_CASES=$PROPTEST_CASES CONCURRENT_CASES=$ITHACA_MODEL_CONCURRENT_CASES"
time cargo test -p ithaca-chan --release "${args[@]}" -- --test-threads=1
