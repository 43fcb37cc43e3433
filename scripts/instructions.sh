#!/usr/bin/env bash
# Instructions per message of every goroutine-flavour channel row: ithaca vs the Rust crates,
# counted by valgrind on a one-thread tokio runtime.
#
#   scripts/instructions.sh                 # every row; writes docs/instructions.md (~2 min)
#   scripts/instructions.sh mpsc/1          # rows whose id contains "mpsc/1"; prints only
#
# Why: this machine's timings drift by tens of percent between runs, so a 10% change to a
# channel's code is invisible in the timed report (scripts/bench.sh). The instructions a
# workload executes on one thread are deterministic: run this before and after a change.
# What it cannot show is what contention costs (cache-line transfers, parking); the timed
# report does. Each row runs twice (BENCH_SCALE 0.05 and 0.25); the difference divided by
# the difference in messages cancels start-up costs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
filter="${1:-}"

if ! command -v valgrind >/dev/null 2>&1; then
  echo "instructions.sh: valgrind is not installed (Debian/Ubuntu: apt-get install valgrind)" >&2
  exit 1
fi

bin=$(cargo bench -p ithaca-bench --bench report --no-run --message-format=json 2>/dev/null |
  grep -o '"executable":"[^"]*report-[^"]*"' | tail -1 | cut -d'"' -f4)
[[ -x "$bin" ]] || { echo "instructions.sh: could not build the report binary" >&2; exit 1; }

impls=(ithaca flume kanal async-channel tokio-mpsc)
rows=()
for w in spsc mpsc mpmc select_rx select_both; do
  for c in 0 1 1000 unbounded; do rows+=("chan/goroutine/$w/$c"); done
done
rows+=("chan/goroutine/pingpong/0")

# One measurement: "<row> <impl> <instructions per op>" or "<row> <impl> na".
measure() {
  local row=$1 imp=$2 out1 out2 i1 i2 o1 o2
  out1=$(BENCH_INSTR="$row $imp" BENCH_SCALE=0.05 valgrind --tool=cachegrind --cache-sim=no \
    --cachegrind-out-file=/dev/null "$bin" --bench 2>&1)
  if grep -q '^na ' <<<"$out1"; then
    echo "$row $imp na"
    return
  fi
  out2=$(BENCH_INSTR="$row $imp" BENCH_SCALE=0.25 valgrind --tool=cachegrind --cache-sim=no \
    --cachegrind-out-file=/dev/null "$bin" --bench 2>&1)
  i1=$(grep -o 'I *refs: *[0-9,]*' <<<"$out1" | tr -dc '0-9')
  i2=$(grep -o 'I *refs: *[0-9,]*' <<<"$out2" | tr -dc '0-9')
  o1=$(grep '^ops ' <<<"$out1" | cut -d' ' -f2)
  o2=$(grep '^ops ' <<<"$out2" | cut -d' ' -f2)
  if [[ -z "$i1" || -z "$i2" || -z "$o1" || -z "$o2" ]]; then
    echo "instructions.sh: $row $imp failed:" >&2
    tail -5 <<<"$out2" >&2
    exit 1
  fi
  echo "$row $imp $(((i2 - i1) / (o2 - o1)))"
}
export -f measure
export bin

jobs=()
for r in "${rows[@]}"; do
  [[ -z "$filter" || "$r" == *"$filter"* ]] || continue
  for i in "${impls[@]}"; do jobs+=("$r $i"); done
done
[[ ${#jobs[@]} -gt 0 ]] || { echo "instructions.sh: no row matches '$filter'" >&2; exit 1; }
results=$(printf '%s\n' "${jobs[@]}" | xargs -P "$(nproc)" -L 1 bash -c 'measure "$0" "$1"')

read -r -d '' tabulate <<'EOF' || true
import sys
impls = sys.argv[1].split()
cells, order = {}, []
for line in sys.stdin.read().split("\n"):
    if not line.strip():
        continue
    row, imp, v = line.split()
    if row not in order:
        order.append(row)
    cells[(row, imp)] = None if v == "na" else int(v)
key = lambda r: (["spsc", "mpsc", "mpmc", "select_rx", "select_both", "pingpong"].index(r.split("/")[2]),
                 ["0", "1", "1000", "unbounded"].index(r.split("/")[3]))
print("| row | " + " | ".join(impls) + " | ithaca / best peer |")
print("|---|" + "---:|" * (len(impls) + 1))
for row in sorted(order, key=key):
    vals = [cells.get((row, i)) for i in impls]
    peers = [v for v in vals[1:] if v is not None]
    ratio = f"{vals[0] / min(peers):.2f}" if peers and vals[0] else "—"
    fmt = lambda v: "n/a" if v is None else str(v)
    print(f"| {row.removeprefix('chan/goroutine/')} | " + " | ".join(fmt(v) for v in vals) + f" | {ratio} |")
EOF
table=$(python3 -c "$tabulate" "${impls[*]}" <<<"$results")

echo "$table"
if [[ -z "$filter" ]]; then
  {
    echo "# Instructions per message (goroutine-flavour channel rows)"
    echo
    echo "Written by \`scripts/instructions.sh\` at $(git rev-parse --short HEAD) on $(date -u +%Y-%m-%d)."
    echo "Instructions executed per message (per round trip for ping-pong), counted by valgrind"
    echo "(\`cachegrind --cache-sim=no\`) with every task on one thread (a current-thread tokio"
    echo "runtime; ithaca's channels run on plain tokio here too), as the difference between two"
    echo "sizes of the same run. Deterministic, unlike this machine's timings: use it to see"
    echo "what a change does to the work per operation. It does not show what contention costs"
    echo "(cache-line transfers, atomics that other cores hold, parking) — see"
    echo "[benchmarks.md](benchmarks.md) for time. \`n/a\`: the crate cannot do the row (no"
    echo "capacity 0, no select)."
    echo
    echo "$table"
  } >"$root/docs/instructions.md"
  echo "wrote docs/instructions.md"
fi
