#!/usr/bin/env bash
# Slow tier: run ithaca-chan's and ithaca-core's unit and integration tests (not doctests, not
# the trybuild compile-fail test, not loom) under ThreadSanitizer and AddressSanitizer, then
# the ithaca-chan test binaries under valgrind memcheck.
#
#   scripts/sanitize.sh            # everything: tsan, asan, valgrind
#   scripts/sanitize.sh tsan       # one of: tsan asan valgrind
#
# Needs the nightly toolchain (`rustup toolchain install nightly`). `-Zbuild-std` is not used
# (the rust-src component is not installed here), so std itself is NOT instrumented, and
# `-Cunsafe-allow-abi-mismatch=sanitizer` is needed to link against it. Consequences:
# * TSAN cannot see synchronisation done inside the pre-built std: the contended path of
#   `std::sync::Mutex` (futex), `Thread::park`, std's mpmc channel (used by libtest), and
#   the `fence(Acquire)` in `Arc`'s drop. Every access under a contended std Mutex is then
#   reported as a race. ithaca's own internal lock (ithaca-core/src/lock.rs, a spin-then-
#   yield lock on an atomic) is made of instrumented atomics, so TSAN sees the production
#   lock itself; and the suppressions below name exactly the std internals that TSAN cannot see:
#     race:alloc::sync::Arc*drop   Arc's refcount fence (a known TSAN/Rust false positive)
#     race:std::sync::mpmc::       libtest's result channel
#     race:test::                  libtest internals
#   and ithaca-chan's tests are built with tokio's `parking_lot` feature, so tokio's
#   scheduler locks are visible too. Any report with an ithaca frame outside an Arc drop is
#   real.
# * Miri is not available here (the miri component cannot be installed offline); loom covers
#   the interleavings of the synchronisation structures instead (see docs/testing.md).
#
# Environment: SANITIZE_CRATES (default: ithaca-core ithaca-chan ithaca-sync), SANITIZE_ROOT
# (workspace, default this repository), CARGO_TARGET_DIR (default
# target/sanitize), ITHACA_STRESS_N / ITHACA_CANCEL_N / PROPTEST_CASES /
# ITHACA_MODEL_CONCURRENT_CASES (scaled down by default: sanitizers are 5-20x slower),
# SANITIZE_TIMEOUT (seconds per cargo invocation).
set -euo pipefail

# SANITIZE_ROOT: the workspace to test (default: this script's repository).
cd "${SANITIZE_ROOT:-$(dirname "$0")/..}"
MODES=("${@:-tsan asan valgrind}")
MODES=(${MODES[*]})
TARGET=x86_64-unknown-linux-gnu
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/sanitize}"
export ITHACA_STRESS_N="${ITHACA_STRESS_N:-20000}"
export ITHACA_CANCEL_N="${ITHACA_CANCEL_N:-20000}"
export PROPTEST_CASES="${PROPTEST_CASES:-64}"
export ITHACA_MODEL_CONCURRENT_CASES="${ITHACA_MODEL_CONCURRENT_CASES:-8}"
TIMEOUT="${SANITIZE_TIMEOUT:-900}"

# Every integration test of the two crates except the trybuild and loom ones.
test_args() {
    local crate=$1 f name
    echo "-p $crate --lib"
    for f in crates/"$crate"/tests/*.rs; do
        name=$(basename "$f" .rs)
        case "$name" in perm | loom) continue ;; esac
        echo "--test $name"
    done
}

failed=()

run_sanitizer() {
    local san=$1
    echo "=== $san sanitizer ==="
    local flags="-Zsanitizer=$san -Cunsafe-allow-abi-mismatch=sanitizer -Cdebuginfo=1"
    if [ "$san" = address ]; then
        export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:abort_on_error=0:halt_on_error=1:allocator_may_return_null=1"
    else
        local supp
        supp=$(mktemp)
        # std::sync::OnceLock publishes its value through std's uninstrumented Once: the same
        # false-positive class as std's Mutex (ithaca-sync's OnceValue sits on it). tokio's
        # runtime seed generator (util/rand/rt.rs) uses std::sync::Mutex directly, even with
        # tokio's parking_lot feature: two workers starting at once are reported there.
        printf '%s\n' 'race:alloc::sync::Arc*drop' 'race:std::sync::mpmc::' 'race:test::' \
            'race:std::sync::once_lock::OnceLock*initialize' \
            'race:tokio::util::rand::' >"$supp"
        export TSAN_OPTIONS="suppressions=$supp:halt_on_error=0:second_deadlock_stack=1:history_size=4:report_signal_unsafe=0:exitcode=66"
    fi
    for crate in ${SANITIZE_CRATES:-ithaca-core ithaca-chan ithaca-sync}; do
        local features=""
        # tokio's own scheduler state sits under std::sync::Mutex unless it uses parking_lot
        # (an instrumented crate): the same false positives as above, avoided the same way.
        if [ "$san" = thread ] && [ "$crate" != ithaca-core ]; then features="--features tokio/parking_lot"; fi
        # shellcheck disable=SC2046
        if ! RUSTFLAGS="$flags" RUSTDOCFLAGS="$flags" timeout "$TIMEOUT" \
            cargo +nightly test --target "$TARGET" $features $(test_args "$crate" | tr '\n' ' ') -- --test-threads=2; then
            failed+=("$san:$crate")
        fi
    done
}

run_valgrind() {
    echo "=== valgrind memcheck ==="
    # Plain (debug) test binaries; valgrind is ~50x slower: keep the counts small.
    local bins
    # shellcheck disable=SC2046
    bins=$(cargo test --target "$TARGET" $(test_args ithaca-chan | tr '\n' ' ') --no-run \
        --message-format=json 2>/dev/null |
        sed -n 's/.*"executable":"\([^"]*\)".*/\1/p')
    for bin in $bins; do
        echo "--- $(basename "$bin")"
        if ! ITHACA_STRESS_N=2000 ITHACA_CANCEL_N=2000 PROPTEST_CASES=16 ITHACA_MODEL_CONCURRENT_CASES=2 \
            timeout "$TIMEOUT" valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite --show-leak-kinds=definite --fair-sched=yes \
            -q "$bin" --test-threads=1 -q; then
            failed+=("valgrind:$(basename "$bin")")
        fi
    done
}

for mode in "${MODES[@]}"; do
    case "$mode" in
    tsan) run_sanitizer thread ;;
    asan) run_sanitizer address ;;
    valgrind) run_valgrind ;;
    *) echo "unknown mode $mode (tsan, asan, valgrind)" >&2; exit 2 ;;
    esac
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "sanitize: all clean (${MODES[*]})"
