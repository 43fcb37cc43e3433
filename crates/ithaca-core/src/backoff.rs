//! The retry schedule a blocking thread follows before it registers and parks.
//!
//! Parking costs both sides a system call (the sleeper's `futex` wait, the waker's `futex`
//! wake) and a registration on every channel involved. A busy partner on another core often
//! makes the operation possible within a microsecond, so a blocking receive, send or select
//! first retries a few times: spinning briefly, then yielding its time slice (crossbeam's
//! backoff). Retries are ordinary non-blocking attempts, so FIFO among *blocked* parties is
//! unchanged. Async tasks never use it: a task that cannot proceed returns `Pending`.
//!
//! # Invariants
//!
//! * A `Backoff` allows at most `SPIN_LIMIT + 1` spins and `YIELD_LIMIT - SPIN_LIMIT`
//!   yields, then [`Backoff::is_done`] stays true: a retry loop that checks it terminates.
//! * In loom models it is done from the start (no retries), so models explore the
//!   register-and-park path and stay small.

/// A bounded spin-then-yield retry schedule (see the module docs).
///
/// ```
/// use ithaca_core::backoff::Backoff;
///
/// let mut b = Backoff::new();
/// let mut retries = 0;
/// while !b.is_done() {
///     b.snooze(); // a real caller retries its operation here
///     retries += 1;
/// }
/// assert!(retries > 0 && retries < 20);
/// assert!(Backoff::exhausted().is_done());
/// ```
#[derive(Debug)]
pub struct Backoff {
    step: u32,
}

impl Backoff {
    const SPIN_LIMIT: u32 = 4;
    const YIELD_LIMIT: u32 = 8;

    /// A fresh schedule.
    pub fn new() -> Self {
        Backoff { step: 0 }
    }

    /// A schedule with no retries left (for operations that retrying cannot help, such as a
    /// rendezvous, where one party must be registered for the other to find it).
    pub fn exhausted() -> Self {
        Backoff {
            step: Self::YIELD_LIMIT + 1,
        }
    }

    /// Whether the caller should stop retrying and park.
    pub fn is_done(&self) -> bool {
        cfg!(loom) || self.step > Self::YIELD_LIMIT
    }

    /// Waits a little before the next retry: spins `2^step` times, or yields the time slice
    /// once past the spin limit. Call it without holding any lock.
    pub fn snooze(&mut self) {
        if self.step <= Self::SPIN_LIMIT {
            for _ in 0..(1u32 << self.step) {
                std::hint::spin_loop();
            }
        } else {
            std::thread::yield_now();
        }
        self.step += 1;
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new()
    }
}
