#!/usr/bin/env bash
# What the `diagnostics` feature of ithaca-rt costs: runs the `diag_cost` group of
# benches/goroutines.rs with the feature (default) and without it (`--no-default-features`),
# alternating, ROUNDS times (default 2), then prints each benchmark's criterion median per
# round and build, and two ratios on/off (> 1: what the registry and wait observation cost):
#   * best:  best-of-rounds median with the feature / best-of-rounds median without it;
#   * norm:  the same, each ithaca median first divided by the raw-tokio median of the same
#            run (the tokio variants do not depend on the feature: on a noisy machine this
#            cancels some of the drift between runs).
#
#   ROUNDS=3 crates/ithaca-rt/scripts/diag-cost.sh [extra criterion args]
#
# Uses $CARGO_TARGET_DIR (default: target/) and the criterion baselines `diag_{on,off}_<n>`
# there. About one minute per build per round on a 2-core machine, after the two builds.
set -euo pipefail
cd "$(dirname "$0")/../../.."
target=${CARGO_TARGET_DIR:-target}
rounds=${ROUNDS:-2}

for r in $(seq 1 "$rounds"); do
  cargo bench -p ithaca-rt --bench goroutines -- diag_cost --save-baseline "diag_on_$r" "$@"
  cargo bench -p ithaca-rt --bench goroutines --no-default-features -- \
    diag_cost --save-baseline "diag_off_$r" "$@"
done

python3 - "$target/criterion/diag_cost" "$rounds" <<'PY'
import json, os, sys
root, rounds = sys.argv[1], int(sys.argv[2])
def med(bench, build, r):
    with open(os.path.join(root, bench, f"diag_{build}_{r}", "estimates.json")) as f:
        return json.load(f)["median"]["point_estimate"] / 1e6  # ms
print("\nmedians in ms, per round (diagnostics on | off)")
for bench in sorted(os.listdir(root)):
    try:
        row = [(med(bench, "on", r), med(bench, "off", r)) for r in range(1, rounds + 1)]
    except FileNotFoundError:
        continue
    cells = "  ".join(f"{on:8.3f} | {off:8.3f}" for on, off in row)
    print(f"  {bench:24} {cells}")
print("\nratio on/off          best    norm (ithaca/tokio, best of rounds)")
for work in ("spawn_join_100k", "pingpong_10k"):
    try:
        on = [med(f"{work}_ithaca", "on", r) for r in range(1, rounds + 1)]
        off = [med(f"{work}_ithaca", "off", r) for r in range(1, rounds + 1)]
        ton = [med(f"{work}_tokio", "on", r) for r in range(1, rounds + 1)]
        toff = [med(f"{work}_tokio", "off", r) for r in range(1, rounds + 1)]
    except FileNotFoundError:
        continue
    best = min(on) / min(off)
    n_on = min(a / t for a, t in zip(on, ton))
    n_off = min(a / t for a, t in zip(off, toff))
    print(f"  {work:18} {best:6.2f}  {n_on / n_off:6.2f}  "
          f"(ithaca/tokio: {n_on:.2f} on, {n_off:.2f} off)")
PY
