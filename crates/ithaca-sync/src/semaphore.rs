//! [`Semaphore`]: x/sync's `semaphore.Weighted`, for threads and tasks.
//!
//! A thin layer over the crate's fair queue (`sema` module, no barging): waiters are
//! served strictly FIFO, a head that does not fit blocks later small requests (so a large
//! request is never starved), a request larger than the size fails at once, and a release
//! that would free more than the size panics.
//!
//! # Invariants
//!
//! * The free count plus the tokens held by callers is always `size`; tokens move from the
//!   queue to a waiter only by a claimed handoff, and back only by [`Semaphore::release`] or
//!   by a cancelled acquisition that was granted (it releases what it was handed).

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::time::Duration;

use ithaca_core::{Arm, Outcome, Registration, Waiter};

use crate::cancel::Deadline;
use crate::loom::Arc;
use crate::sema::{Sema, SemaArm, MAX_SIZE};

const OP: &str = "semaphore.Acquire";

/// Why an acquisition did not happen (no tokens were taken).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AcquireError {
    /// More tokens were requested than the semaphore has in all.
    TooLarge {
        /// Tokens requested.
        requested: usize,
        /// The semaphore's size.
        size: usize,
    },
    /// The cancel arm completed first.
    Cancelled,
    /// The timeout passed first.
    TimedOut,
}

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcquireError::TooLarge { requested, size } => write!(
                f,
                "semaphore: acquire of {requested} exceeds the semaphore's size {size}"
            ),
            AcquireError::Cancelled => f.write_str("semaphore: acquire cancelled"),
            AcquireError::TimedOut => f.write_str("semaphore: acquire timed out"),
        }
    }
}

impl std::error::Error for AcquireError {}

/// A weighted semaphore (x/sync's `semaphore.Weighted`): `size` tokens, acquired and released
/// in any amounts, FIFO.
///
/// Tokens are not tied to a guard: as in Go, whoever acquired `n` releases `n` with
/// [`release`](Semaphore::release).
///
/// ```
/// let s = ithaca_sync::Semaphore::new(2);
/// s.acquire_blocking(1).unwrap();
/// assert!(s.try_acquire(1));
/// assert!(!s.try_acquire(1));
/// s.release(2);
/// assert!(s.try_acquire(1));
/// # s.release(1);
/// ```
pub struct Semaphore {
    sema: Sema,
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("size", &self.sema.size())
            .field("available", &self.sema.available())
            .finish()
    }
}

impl Semaphore {
    /// A semaphore with `size` tokens, all free (Go's `NewWeighted(n)`).
    ///
    /// # Panics
    ///
    /// If `size` exceeds `usize::MAX / 2`.
    ///
    /// ```
    /// assert_eq!(ithaca_sync::Semaphore::new(3).available(), 3);
    /// ```
    pub fn new(size: usize) -> Self {
        assert!(
            size <= MAX_SIZE,
            "semaphore: size {size} too large (at most {MAX_SIZE})"
        );
        Semaphore {
            sema: Sema::new(size, false),
        }
    }

    /// The total number of tokens.
    ///
    /// ```
    /// assert_eq!(ithaca_sync::Semaphore::new(3).size(), 3);
    /// ```
    pub fn size(&self) -> usize {
        self.sema.size()
    }

    /// Free tokens right now (a snapshot).
    ///
    /// ```
    /// let s = ithaca_sync::Semaphore::new(3);
    /// assert!(s.try_acquire(2));
    /// assert_eq!(s.available(), 1);
    /// # s.release(2);
    /// ```
    pub fn available(&self) -> usize {
        self.sema.available()
    }

    fn check(&self, n: usize) -> Result<(), AcquireError> {
        if n > self.sema.size() {
            Err(AcquireError::TooLarge {
                requested: n,
                size: self.sema.size(),
            })
        } else {
            Ok(())
        }
    }

    /// Acquires `n` tokens from a task, waiting in FIFO order. Fails at once with
    /// [`AcquireError::TooLarge`] if `n` exceeds the size.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped future takes no tokens and loses no wake-up. If it was already
    /// handed the tokens, it releases them; if it was the head of the queue, the waiters
    /// behind it are served (x/sync's `TestAllocCancelDoesntStarve`).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let s = ithaca_sync::Semaphore::new(4);
    /// s.acquire(3).await.unwrap();
    /// assert!(s.acquire(5).await.is_err());
    /// s.release(3);
    /// # });
    /// ```
    #[track_caller]
    pub fn acquire(&self, n: usize) -> impl Future<Output = Result<(), AcquireError>> + Send + '_ {
        let checked = self.check(n);
        let fut = self.sema.acquire(n, OP, Location::caller());
        async move {
            checked?;
            fut.await;
            Ok(())
        }
    }

    /// Acquires `n` tokens from a thread, waiting in FIFO order. Fails at once with
    /// [`AcquireError::TooLarge`] if `n` exceeds the size.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until the tokens are granted; not for async code.
    ///
    /// ```
    /// let s = ithaca_sync::Semaphore::new(4);
    /// s.acquire_blocking(4).unwrap();
    /// assert_eq!(s.available(), 0);
    /// s.release(4);
    /// ```
    #[track_caller]
    pub fn acquire_blocking(&self, n: usize) -> Result<(), AcquireError> {
        self.check(n)?;
        self.sema.acquire_blocking(n, OP, Location::caller());
        Ok(())
    }

    /// Acquires `n` tokens if they are free and nobody is queued (Go's `TryAcquire`).
    ///
    /// ```
    /// let s = ithaca_sync::Semaphore::new(1);
    /// assert!(s.try_acquire(1));
    /// assert!(!s.try_acquire(1));
    /// s.release(1);
    /// ```
    pub fn try_acquire(&self, n: usize) -> bool {
        n <= self.sema.size() && self.sema.try_acquire(n)
    }

    /// Releases `n` tokens, serving queued waiters in FIFO order.
    ///
    /// # Panics
    ///
    /// With `semaphore: released more than held` if that would free more tokens than the
    /// size (the semaphore is left unchanged).
    ///
    /// ```
    /// let s = ithaca_sync::Semaphore::new(1);
    /// let r = std::panic::catch_unwind(|| s.release(1));
    /// assert!(r.is_err());
    /// ```
    #[track_caller]
    pub fn release(&self, n: usize) {
        if !self.sema.release(n) {
            panic!("semaphore: released more than held");
        }
    }

    /// Acquires `n` tokens from a thread unless `cancel` completes first. As in x/sync, a
    /// cancel arm that is already ready wins even when tokens are free, and a cancelled
    /// acquisition leaves the semaphore unchanged.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until the tokens are granted or `cancel` is ready.
    ///
    /// ```
    /// use ithaca_sync::{AcquireError, Deadline, Semaphore};
    /// let s = Semaphore::new(1);
    /// let mut past = Deadline::at(std::time::Instant::now());
    /// assert_eq!(s.acquire_or_cancel_blocking(1, &mut past), Err(AcquireError::Cancelled));
    /// assert_eq!(s.available(), 1);
    /// ```
    #[track_caller]
    pub fn acquire_or_cancel_blocking(
        &self,
        n: usize,
        cancel: &mut dyn Arm,
    ) -> Result<(), AcquireError> {
        self.check(n)?;
        if self.sema.acquire_or_cancel_blocking(n, cancel, OP) {
            Ok(())
        } else {
            Err(AcquireError::Cancelled)
        }
    }

    /// Acquires `n` tokens from a task unless `cancel` completes first (the cancel wins ties;
    /// a cancelled acquisition leaves the semaphore unchanged).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped future takes no tokens (tokens handed to it are released).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// use ithaca_sync::{AcquireError, Deadline, Semaphore};
    /// let s = Semaphore::new(1);
    /// s.acquire(1).await.unwrap();
    /// let mut soon = Deadline::after(std::time::Duration::from_millis(5));
    /// assert_eq!(s.acquire_or_cancel(1, &mut soon).await, Err(AcquireError::Cancelled));
    /// # });
    /// ```
    #[track_caller]
    pub fn acquire_or_cancel<'a>(
        &'a self,
        n: usize,
        cancel: &'a mut dyn Arm,
    ) -> impl Future<Output = Result<(), AcquireError>> + Send + 'a {
        let loc = Location::caller();
        async move {
            self.check(n)?;
            if self.sema.acquire_or_cancel(n, cancel, OP, loc).await {
                Ok(())
            } else {
                Err(AcquireError::Cancelled)
            }
        }
    }

    /// Acquires `n` tokens from a thread, giving up after `timeout`.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread for at most about `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ithaca_sync::{AcquireError, Semaphore};
    /// let s = Semaphore::new(2);
    /// s.acquire_timeout_blocking(2, Duration::from_millis(10)).unwrap();
    /// assert_eq!(s.acquire_timeout_blocking(1, Duration::from_millis(10)), Err(AcquireError::TimedOut));
    /// ```
    #[track_caller]
    pub fn acquire_timeout_blocking(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<(), AcquireError> {
        self.acquire_or_cancel_blocking(n, &mut Deadline::after(timeout))
            .map_err(timed_out)
    }

    /// Acquires `n` tokens from a task, giving up after `timeout`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`acquire`](Semaphore::acquire).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// use std::time::Duration;
    /// use ithaca_sync::{AcquireError, Semaphore};
    /// let s = Semaphore::new(1);
    /// s.acquire(1).await.unwrap();
    /// assert_eq!(s.acquire_timeout(1, Duration::from_millis(5)).await, Err(AcquireError::TimedOut));
    /// # });
    /// ```
    #[track_caller]
    pub fn acquire_timeout(
        &self,
        n: usize,
        timeout: Duration,
    ) -> impl Future<Output = Result<(), AcquireError>> + Send + '_ {
        let loc = Location::caller();
        async move {
            self.check(n)?;
            let mut dl = Deadline::after(timeout);
            if self.sema.acquire_or_cancel(n, &mut dl, OP, loc).await {
                Ok(())
            } else {
                Err(AcquireError::TimedOut)
            }
        }
    }

    /// Acquiring `n` tokens as a select [`Arm`]. Once a select chose it, the caller holds the
    /// tokens (release them with [`release`](Semaphore::release)); an arm that was not
    /// chosen holds nothing. An arm for more than the size is never ready.
    ///
    /// ```
    /// use ithaca_core::Select;
    /// let s = ithaca_sync::Semaphore::new(2);
    /// let mut arm = s.acquire_arm(2);
    /// assert_eq!(Select::new(&mut [&mut arm]).wait(), Some(0));
    /// assert!(arm.acquired());
    /// assert_eq!(s.available(), 0);
    /// s.release(2);
    /// ```
    pub fn acquire_arm(&self, n: usize) -> AcquireArm<'_> {
        AcquireArm {
            arm: SemaArm::new(&self.sema, n, OP, false),
        }
    }
}

fn timed_out(e: AcquireError) -> AcquireError {
    match e {
        AcquireError::Cancelled => AcquireError::TimedOut,
        e => e,
    }
}

/// Acquiring tokens of a [`Semaphore`] as a select [`Arm`]; see [`Semaphore::acquire_arm`].
pub struct AcquireArm<'a> {
    arm: SemaArm<'a>,
}

impl AcquireArm<'_> {
    /// Whether a select chose this arm, i.e. the caller now holds the tokens.
    ///
    /// ```
    /// let s = ithaca_sync::Semaphore::new(1);
    /// assert!(!s.acquire_arm(1).acquired());
    /// ```
    pub fn acquired(&self) -> bool {
        self.arm.held()
    }
}

impl fmt::Debug for AcquireArm<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquireArm")
            .field("acquired", &self.arm.held())
            .finish()
    }
}

impl Arm for AcquireArm<'_> {
    fn try_complete(&mut self) -> bool {
        self.arm.try_complete()
    }
    fn register(&mut self, waiter: &Arc<Waiter>, index: usize) -> Registration {
        self.arm.register(waiter, index)
    }
    fn unregister(&mut self, waiter: &Arc<Waiter>, outcome: Outcome) {
        self.arm.unregister(waiter, outcome)
    }
    fn wait_reason(&self) -> &'static str {
        OP
    }
}
