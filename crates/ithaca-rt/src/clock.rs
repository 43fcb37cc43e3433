//! A cheap, coarse monotonic clock for "blocked since" stamps.
//!
//! Stamping every blocking poll with `Instant::now()` costs about as much as the rest of the
//! per-poll bookkeeping together (about 30 ns on a VM); the wait's start time only matters at
//! millisecond precision (Go shows minutes). On Linux this reads `CLOCK_MONOTONIC_COARSE`
//! (the vDSO's last tick, resolution a few ms); elsewhere it falls back to `Instant`.
//!
//! # Invariants
//!
//! * [`now`] is monotonic (never decreases) and counts nanoseconds.
//! * [`to_instant`] maps a stamp back to an `Instant`, off by at most the clock's resolution.

use std::time::{Duration, Instant};

/// Nanoseconds on the coarse monotonic clock.
#[cfg(target_os = "linux")]
#[inline]
pub(crate) fn now() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call, and
    // CLOCK_MONOTONIC_COARSE is a clock id every Linux since 2.6.32 supports.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    if rc != 0 {
        return fallback_now();
    }
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// Nanoseconds on the coarse monotonic clock.
#[cfg(not(target_os = "linux"))]
#[inline]
pub(crate) fn now() -> u64 {
    fallback_now()
}

fn fallback_now() -> u64 {
    static BASE: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let base = *BASE.get_or_init(Instant::now);
    u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The `Instant` corresponding to stamp `t` (taken with [`now`]).
pub(crate) fn to_instant(t: u64) -> Instant {
    let ago = Duration::from_nanos(now().saturating_sub(t));
    let now = Instant::now();
    now.checked_sub(ago).unwrap_or(now)
}
