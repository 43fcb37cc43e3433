#!/usr/bin/env bash
# Runs every example under examples/ (release) and checks the expected output of those that
# print something deterministic (examples/expected/<name>.txt, compared line by line).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --examples -q
status=0
for src in examples/*.rs; do
  name=$(basename "$src" .rs)
  out=$(mktemp)
  if ! timeout 120 cargo run --release -q --example "$name" > "$out" 2>&1; then
    echo "example $name FAILED:"; cat "$out"; status=1; continue
  fi
  if [ -f "examples/expected/$name.txt" ]; then
    if ! diff -u "examples/expected/$name.txt" "$out" > /dev/null; then
      echo "example $name: output differs from examples/expected/$name.txt:"
      diff -u "examples/expected/$name.txt" "$out" || true
      status=1; continue
    fi
  fi
  echo "example $name ok"
done
exit $status
