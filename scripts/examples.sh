#!/usr/bin/env bash
# Runs every example under examples/ and checks the expected output of those that print
# something deterministic (examples/expected/<name>.txt, compared exactly).
# Uses the dev profile that `cargo test` has already built (CI time); set
# EXAMPLES_PROFILE=release to run them optimised.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=()
[ "${EXAMPLES_PROFILE:-dev}" = release ] && profile=(--release)
cargo build "${profile[@]}" --examples -q
status=0
count=0
for src in examples/*.rs; do
  name=$(basename "$src" .rs)
  out=$(mktemp)
  count=$((count + 1))
  err=$(mktemp)
  if ! timeout 120 cargo run "${profile[@]}" -q --example "$name" > "$out" 2> "$err"; then
    echo "example $name FAILED:"; cat "$out" "$err"; status=1; continue
  fi
  if [ -f "examples/expected/$name.txt" ] && ! diff -u "examples/expected/$name.txt" "$out" > /dev/null; then
    echo "example $name: output differs from examples/expected/$name.txt:"
    diff -u "examples/expected/$name.txt" "$out" || true
    status=1; continue
  fi
  echo "example $name ok"
done
if [ $status -eq 0 ]; then echo "examples: $count passed, 0 failed"; fi
exit $status
