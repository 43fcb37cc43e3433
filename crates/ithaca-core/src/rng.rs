//! A tiny per-thread pseudo-random generator (wyrand) for select's fair choice.
//!
//! Invariant: never shared between threads (under `cfg(loom)` it always answers 0, as loom
//! models must be deterministic); seeded once per thread from the thread's address
//! and the clock, so two threads do not walk the same sequence.

use std::cell::Cell;

thread_local! {
    static STATE: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let local = 0u8;
    let addr = &local as *const u8 as u64;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    addr ^ nanos.rotate_left(32) ^ 0x9E37_79B9_7F4A_7C15
}

/// One wyrand step on a local copy of the state.
#[inline]
fn step(state: &mut u64, n: usize) -> usize {
    *state = state.wrapping_add(0xa076_1d64_78bd_642f);
    let t = u128::from(*state) * u128::from(*state ^ 0xe703_7ed1_a0b4_28db);
    let r = ((t >> 64) as u64) ^ (t as u64);
    // Lemire's multiply-shift reduction: unbiased enough for n far below 2^32.
    ((u128::from(r) * n as u128) >> 64) as usize
}

/// A uniformly distributed number in `0..n` (`n > 0`), from this thread's generator.
///
/// ```
/// let x = ithaca_core::rng::below(6);
/// assert!(x < 6);
/// ```
pub fn below(n: usize) -> usize {
    debug_assert!(n > 0);
    // loom explores interleavings of a deterministic program: no randomness there.
    if cfg!(loom) {
        return 0;
    }
    STATE.with(|s| {
        let mut v = s.get();
        let r = step(&mut v, n);
        s.set(v);
        r
    })
}

/// Fills `order` with a uniformly random permutation of `0..order.len()` (Fisher–Yates).
/// One access to the thread's generator for the whole permutation.
///
/// ```
/// let mut o = [0u16; 5];
/// ithaca_core::rng::permutation(&mut o);
/// let mut s = o; s.sort();
/// assert_eq!(s, [0, 1, 2, 3, 4]);
/// ```
pub fn permutation(order: &mut [u16]) {
    for (i, slot) in order.iter_mut().enumerate() {
        *slot = i as u16;
    }
    if cfg!(loom) {
        // Deterministic, as `below` is there (it answers 0).
        for i in (1..order.len()).rev() {
            order.swap(i, 0);
        }
        return;
    }
    if order.len() < 2 {
        return;
    }
    STATE.with(|s| {
        let mut v = s.get();
        for i in (1..order.len()).rev() {
            let j = step(&mut v, i + 1);
            order.swap(i, j);
        }
        s.set(v);
    });
}
