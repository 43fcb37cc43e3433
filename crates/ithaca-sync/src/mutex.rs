//! [`Mutex`]: Go's `sync.Mutex` holding its data, for threads and tasks.
//!
//! Built on the crate's fair queue (`sema` module with one token, barging on). Go's
//! two modes carry over: in *normal* mode a woken waiter competes with newcomers (good
//! throughput); a waiter that has waited more than 1 ms is handed the lock directly and
//! newcomers queue behind it (*starvation* mode), so no waiter starves.
//!
//! # Invariants
//!
//! * The data is reachable only through a [`MutexGuard`], and a guard exists only while the
//!   queue's single token is taken, so at most one guard exists at a time.
//! * Unlocking happens only in the guard's `Drop` (no manual unlock, so Go's "unlock of
//!   unlocked mutex" cannot happen).
//! * A lock future or [`LockArm`] that was handed the lock but is dropped before giving out
//!   the guard releases it (passes it on).

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ithaca_core::{Arm, Outcome, Registration, Waiter};

use crate::cancel::{Cancelled, Deadline, TimedOut};
use crate::loom::Arc;
use crate::sema::{AcquireFut, Sema, SemaArm};

const OP: &str = "sync.Mutex.Lock";

/// A mutual-exclusion lock protecting a `T` (Go's `sync.Mutex`, with the data inside as in
/// Rust's std).
///
/// Lock it from a task with [`lock`](Mutex::lock)`.await` or from a thread with
/// [`lock_blocking`](Mutex::lock_blocking); both return a [`MutexGuard`] that unlocks on
/// drop and may be held across `.await` (it is `Send` when `T: Send`). The lock is not
/// reentrant: locking it again from the holder deadlocks, as in Go. There is no poisoning: a
/// panic while the guard is held simply unlocks the mutex (as in Go and tokio).
///
/// ```
/// use std::sync::Arc;
/// use ithaca_sync::Mutex;
///
/// let m = Arc::new(Mutex::new(0));
/// let hs: Vec<_> = (0..4)
///     .map(|_| {
///         let m = m.clone();
///         std::thread::spawn(move || *m.lock_blocking() += 1)
///     })
///     .collect();
/// hs.into_iter().for_each(|h| h.join().unwrap());
/// assert_eq!(*m.lock_blocking(), 4);
/// ```
pub struct Mutex<T: ?Sized> {
    sema: Sema,
    data: UnsafeCell<T>,
}

// SAFETY: the Mutex hands out access to `T` to one guard at a time (module invariant), so it
// may be shared between threads whenever `T` may be sent between them (as std's Mutex).
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}
// SAFETY: moving the Mutex moves the `T`; the queue holds no thread-bound state.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}

// No poisoning (as tokio's Mutex): a panic while a guard is held unlocks the mutex; the data
// may be left mid-update, which the caller of `catch_unwind` must accept.
impl<T: ?Sized> std::panic::UnwindSafe for Mutex<T> {}
impl<T: ?Sized> std::panic::RefUnwindSafe for Mutex<T> {}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Some(g) => d.field("data", &&*g),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    ///
    /// ```
    /// let m = ithaca_sync::Mutex::new(5);
    /// assert_eq!(m.into_inner(), 5);
    /// ```
    pub fn new(value: T) -> Self {
        Mutex {
            sema: Sema::new(1, true),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex and returns the data.
    ///
    /// ```
    /// assert_eq!(ithaca_sync::Mutex::new("x").into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex from an async task.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future before it completes never leaves the mutex locked and
    /// never loses a wake-up. If the lock had already been handed to it, the dropped future
    /// unlocks it, waking the next waiter.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let m = ithaca_sync::Mutex::new(vec![1]);
    /// m.lock().await.push(2);
    /// assert_eq!(*m.lock().await, [1, 2]);
    /// # });
    /// ```
    #[track_caller]
    pub fn lock(&self) -> Lock<'_, T> {
        Lock {
            mutex: self,
            inner: self.sema.acquire(1, OP, Location::caller()),
        }
    }

    /// Locks the mutex from a thread.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until the lock is acquired. Do not call it from async code
    /// (it would block the executor's thread); use [`lock`](Mutex::lock) there.
    ///
    /// ```
    /// let m = ithaca_sync::Mutex::new(1);
    /// *m.lock_blocking() += 1;
    /// assert_eq!(*m.lock_blocking(), 2);
    /// ```
    #[track_caller]
    pub fn lock_blocking(&self) -> MutexGuard<'_, T> {
        self.sema.acquire_blocking(1, OP, Location::caller());
        MutexGuard::new(self)
    }

    /// Locks the mutex if it is free right now (Go's `TryLock`).
    ///
    /// ```
    /// let m = ithaca_sync::Mutex::new(());
    /// let g = m.try_lock().unwrap();
    /// assert!(m.try_lock().is_none());
    /// drop(g);
    /// assert!(m.try_lock().is_some());
    /// ```
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.sema.try_acquire(1).then(|| MutexGuard::new(self))
    }

    /// Locks the mutex from a thread unless `cancel` completes first (then `Err(Cancelled)`
    /// and the mutex was not locked). When both are ready at once, the cancel wins.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until the lock is acquired or `cancel` is ready.
    ///
    /// ```
    /// use ithaca_sync::{Deadline, Mutex};
    /// let m = Mutex::new(());
    /// let mut never = Deadline::after(std::time::Duration::from_secs(3600));
    /// assert!(m.lock_or_cancel_blocking(&mut never).is_ok());
    /// ```
    #[track_caller]
    pub fn lock_or_cancel_blocking(
        &self,
        cancel: &mut dyn Arm,
    ) -> Result<MutexGuard<'_, T>, Cancelled> {
        if self.sema.acquire_or_cancel_blocking(1, cancel, OP) {
            Ok(MutexGuard::new(self))
        } else {
            Err(Cancelled)
        }
    }

    /// Locks the mutex from a task unless `cancel` completes first (then `Err(Cancelled)`).
    /// When both are ready at once, the cancel wins.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped future never leaves the mutex locked (a lock handed to it is
    /// passed on) and leaves `cancel` as a dropped select leaves its arms.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// use ithaca_sync::{Deadline, Mutex};
    /// let m = Mutex::new(());
    /// let _g = m.lock().await;
    /// let mut soon = Deadline::after(std::time::Duration::from_millis(5));
    /// assert!(m.lock_or_cancel(&mut soon).await.is_err());
    /// # });
    /// ```
    #[track_caller]
    pub fn lock_or_cancel<'a, 'c>(
        &'a self,
        cancel: &'c mut dyn Arm,
    ) -> impl Future<Output = Result<MutexGuard<'a, T>, Cancelled>> + Send + 'c
    where
        'a: 'c,
        T: Send,
    {
        let loc = Location::caller();
        async move {
            if self.sema.acquire_or_cancel(1, cancel, OP, loc).await {
                Ok(MutexGuard::new(self))
            } else {
                Err(Cancelled)
            }
        }
    }

    /// Locks the mutex from a thread, giving up after `timeout`.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread for at most about `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let m = ithaca_sync::Mutex::new(());
    /// let g = m.lock_timeout_blocking(Duration::from_millis(10)).unwrap();
    /// assert!(m.lock_timeout_blocking(Duration::from_millis(10)).is_err());
    /// drop(g);
    /// ```
    #[track_caller]
    pub fn lock_timeout_blocking(&self, timeout: Duration) -> Result<MutexGuard<'_, T>, TimedOut> {
        self.lock_or_cancel_blocking(&mut Deadline::after(timeout))
            .map_err(|_| TimedOut)
    }

    /// Locks the mutex from a task, giving up after `timeout`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`lock`](Mutex::lock).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// use std::time::Duration;
    /// let m = ithaca_sync::Mutex::new(());
    /// let g = m.lock_timeout(Duration::from_millis(10)).await.unwrap();
    /// assert!(m.lock_timeout(Duration::from_millis(10)).await.is_err());
    /// # drop(g);
    /// # });
    /// ```
    #[track_caller]
    pub fn lock_timeout(
        &self,
        timeout: Duration,
    ) -> impl Future<Output = Result<MutexGuard<'_, T>, TimedOut>> + Send + '_
    where
        T: Send,
    {
        let loc = Location::caller();
        async move {
            let mut dl = Deadline::after(timeout);
            if self.sema.acquire_or_cancel(1, &mut dl, OP, loc).await {
                Ok(MutexGuard::new(self))
            } else {
                Err(TimedOut)
            }
        }
    }

    /// The lock acquisition as a select [`Arm`]: after a [`Select`](ithaca_core::Select)
    /// chose it, [`LockArm::into_guard`] gives the guard. A lock acquired by the arm but never
    /// taken is unlocked when the arm is dropped.
    ///
    /// ```
    /// use ithaca_core::Select;
    /// use ithaca_sync::{Deadline, Mutex};
    ///
    /// let m = Mutex::new(7);
    /// let mut arm = m.lock_arm();
    /// let mut later = Deadline::after(std::time::Duration::from_secs(60));
    /// assert_eq!(Select::new(&mut [&mut arm, &mut later]).wait(), Some(0));
    /// assert_eq!(*arm.into_guard().unwrap(), 7);
    /// ```
    pub fn lock_arm(&self) -> LockArm<'_, T> {
        LockArm {
            mutex: self,
            arm: SemaArm::new(&self.sema, 1, OP, true),
        }
    }

    /// [`lock`](Mutex::lock) reporting its wait at `loc` (for primitives built on Mutex).
    pub(crate) fn lock_at(&self, loc: &'static Location<'static>) -> Lock<'_, T> {
        Lock {
            mutex: self,
            inner: self.sema.acquire(1, OP, loc),
        }
    }

    /// [`lock_blocking`](Mutex::lock_blocking) reporting its wait at `loc`.
    pub(crate) fn lock_blocking_at(&self, loc: &'static Location<'static>) -> MutexGuard<'_, T> {
        self.sema.acquire_blocking(1, OP, loc);
        MutexGuard::new(self)
    }

    /// Whether the mutex is locked right now (a snapshot, for diagnostics).
    ///
    /// ```
    /// let m = ithaca_sync::Mutex::new(());
    /// let g = m.lock_blocking();
    /// assert!(m.is_locked());
    /// drop(g);
    /// assert!(!m.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.sema.available() == 0
    }

    /// Mutable access without locking: `&mut self` proves nobody else holds the mutex.
    ///
    /// ```
    /// let mut m = ithaca_sync::Mutex::new(1);
    /// *m.get_mut() = 2;
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

/// The future of [`Mutex::lock`].
///
/// # Cancel safety
///
/// Cancel safe: see [`Mutex::lock`].
#[must_use = "futures do nothing unless polled"]
pub struct Lock<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    inner: AcquireFut<'a>,
}

impl<T: ?Sized> fmt::Debug for Lock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock").finish_non_exhaustive()
    }
}

impl<'a, T: ?Sized> Future for Lock<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let this = &mut *self;
        Pin::new(&mut this.inner)
            .poll(cx)
            .map(|()| MutexGuard::new(this.mutex))
    }
}

/// Locking a [`Mutex`] as a select [`Arm`]; see [`Mutex::lock_arm`].
pub struct LockArm<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    arm: SemaArm<'a>,
}

impl<T: ?Sized> fmt::Debug for LockArm<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockArm")
            .field("acquired", &self.arm.held())
            .finish()
    }
}

impl<'a, T: ?Sized> LockArm<'a, T> {
    /// The guard, if a select chose this arm (the lock is held); `None` otherwise.
    ///
    /// ```
    /// let m = ithaca_sync::Mutex::new(());
    /// let arm = m.lock_arm();
    /// assert!(arm.into_guard().is_none()); // never selected
    /// ```
    pub fn into_guard(mut self) -> Option<MutexGuard<'a, T>> {
        self.arm.take().then(|| MutexGuard::new(self.mutex))
    }
}

impl<T: ?Sized + Send> Arm for LockArm<'_, T> {
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

/// Proof that a [`Mutex`] is locked: gives access to the data and unlocks on drop.
///
/// `Send` when `T: Send` (so it may be held across `.await` in a spawned task), `Sync` when
/// `T: Sync`.
///
/// ```
/// let m = ithaca_sync::Mutex::new(String::new());
/// let mut g = m.lock_blocking();
/// g.push('a');
/// drop(g); // unlocks
/// assert_eq!(*m.lock_blocking(), "a");
/// ```
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    _data: PhantomData<&'a mut T>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    fn new(mutex: &'a Mutex<T>) -> Self {
        MutexGuard {
            mutex,
            _data: PhantomData,
        }
    }

    /// The mutex this guard locks (used by [`Cond`](crate::Cond) to re-lock it).
    pub(crate) fn mutex(this: &Self) -> &'a Mutex<T> {
        this.mutex
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while the mutex's token is held (module invariant),
        // so no other reference to the data exists.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this the only access through the guard.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.sema.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
