//! [`RwMutex`]: Go's `sync.RWMutex` holding its data, for threads and tasks.
//!
//! Built on the crate's fair queue (`sema` module) with `MAX_READERS` tokens: a read
//! lock takes one token, a write lock takes all of them. Because the queue is strictly FIFO
//! (no barging), **a waiting writer blocks new readers** (Go's rule, which also forbids
//! recursive read locking), and when the writer unlocks, all readers queued behind it are
//! granted together.
//!
//! # Invariants
//!
//! * A [`RwMutexWriteGuard`] exists only while all `MAX_READERS` tokens are taken; a
//!   [`RwMutexReadGuard`] only while at least one token is taken by it. So a writer never
//!   coexists with a reader or another writer.
//! * Unlocking happens only in the guards' `Drop`.

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use ithaca_core::{Arm, Outcome, Registration, Waiter};

use crate::cancel::Cancelled;
use crate::loom::Arc;
use crate::sema::{AcquireFut, Sema, SemaArm};

const MAX_READERS: usize = 1 << 30;
const OP_R: &str = "sync.RWMutex.RLock";
const OP_W: &str = "sync.RWMutex.Lock";

/// A reader/writer lock protecting a `T` (Go's `sync.RWMutex`): any number of readers or one
/// writer; writer-preferring and FIFO.
///
/// `read`/`write` (`.await`) lock from tasks, `read_blocking`/`write_blocking` from threads.
///
/// ```
/// let rw = ithaca_sync::RwMutex::new(1);
/// {
///     let a = rw.read_blocking();
///     let b = rw.read_blocking(); // readers share
///     assert_eq!(*a + *b, 2);
///     assert!(rw.try_write().is_none());
/// }
/// *rw.write_blocking() = 5;
/// assert_eq!(*rw.read_blocking(), 5);
/// ```
pub struct RwMutex<T: ?Sized> {
    sema: Sema,
    data: UnsafeCell<T>,
}

// SAFETY: readers on several threads get `&T` at once (needs `T: Sync`); a writer gets
// `&mut T` from any thread (needs `T: Send`) — the same bounds as std's RwLock.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwMutex<T> {}
// SAFETY: moving the lock moves the `T`; the queue holds no thread-bound state.
unsafe impl<T: ?Sized + Send> Send for RwMutex<T> {}

// No poisoning, as `Mutex`: a panic while a guard is held unlocks.
impl<T: ?Sized> std::panic::UnwindSafe for RwMutex<T> {}
impl<T: ?Sized> std::panic::RefUnwindSafe for RwMutex<T> {}

impl<T: Default> Default for RwMutex<T> {
    fn default() -> Self {
        RwMutex::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwMutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwMutex");
        match self.try_read() {
            Some(g) => d.field("data", &&*g),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<T> RwMutex<T> {
    /// A new unlocked lock holding `value`.
    ///
    /// ```
    /// assert_eq!(ithaca_sync::RwMutex::new(3).into_inner(), 3);
    /// ```
    pub fn new(value: T) -> Self {
        RwMutex {
            sema: Sema::new(MAX_READERS, false),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock and returns the data.
    ///
    /// ```
    /// assert_eq!(ithaca_sync::RwMutex::new('x').into_inner(), 'x');
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwMutex<T> {
    /// Read-locks from a task (Go's `RLock`). Waits while a writer holds the lock **or is
    /// queued**.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped future never leaves a read lock held and never loses a wake-up
    /// (a read lock handed to it is released again).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let rw = ithaca_sync::RwMutex::new(2);
    /// assert_eq!(*rw.read().await, 2);
    /// # });
    /// ```
    #[track_caller]
    pub fn read(&self) -> Read<'_, T> {
        Read {
            rw: self,
            inner: self.sema.acquire(1, OP_R, Location::caller()),
        }
    }

    /// Write-locks from a task (Go's `Lock`).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped future never leaves the lock held and never loses a wake-up;
    /// dropping a queued writer lets the readers queued behind it in.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let rw = ithaca_sync::RwMutex::new(2);
    /// *rw.write().await += 1;
    /// assert_eq!(*rw.read().await, 3);
    /// # });
    /// ```
    #[track_caller]
    pub fn write(&self) -> Write<'_, T> {
        Write {
            rw: self,
            inner: self.sema.acquire(MAX_READERS, OP_W, Location::caller()),
        }
    }

    /// Read-locks from a thread.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until the read lock is granted; not for async code.
    ///
    /// ```
    /// let rw = ithaca_sync::RwMutex::new(2);
    /// assert_eq!(*rw.read_blocking(), 2);
    /// ```
    #[track_caller]
    pub fn read_blocking(&self) -> RwMutexReadGuard<'_, T> {
        self.sema.acquire_blocking(1, OP_R, Location::caller());
        RwMutexReadGuard::new(self)
    }

    /// Write-locks from a thread.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until the write lock is granted; not for async code.
    ///
    /// ```
    /// let rw = ithaca_sync::RwMutex::new(2);
    /// *rw.write_blocking() *= 10;
    /// assert_eq!(*rw.read_blocking(), 20);
    /// ```
    #[track_caller]
    pub fn write_blocking(&self) -> RwMutexWriteGuard<'_, T> {
        self.sema
            .acquire_blocking(MAX_READERS, OP_W, Location::caller());
        RwMutexWriteGuard::new(self)
    }

    /// Read-locks if possible right now (Go's `TryRLock`): fails while a writer holds the
    /// lock or is queued.
    ///
    /// ```
    /// let rw = ithaca_sync::RwMutex::new(());
    /// let w = rw.write_blocking();
    /// assert!(rw.try_read().is_none());
    /// drop(w);
    /// assert!(rw.try_read().is_some());
    /// ```
    pub fn try_read(&self) -> Option<RwMutexReadGuard<'_, T>> {
        self.sema
            .try_acquire(1)
            .then(|| RwMutexReadGuard::new(self))
    }

    /// Write-locks if possible right now (Go's `TryLock`).
    ///
    /// ```
    /// let rw = ithaca_sync::RwMutex::new(());
    /// let r = rw.read_blocking();
    /// assert!(rw.try_write().is_none());
    /// drop(r);
    /// assert!(rw.try_write().is_some());
    /// ```
    pub fn try_write(&self) -> Option<RwMutexWriteGuard<'_, T>> {
        self.sema
            .try_acquire(MAX_READERS)
            .then(|| RwMutexWriteGuard::new(self))
    }

    /// Read-locks from a thread unless `cancel` completes first (the cancel wins ties).
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until the read lock is granted or `cancel` is ready.
    ///
    /// ```
    /// use ithaca_sync::{Deadline, RwMutex};
    /// let rw = RwMutex::new(());
    /// let _w = rw.write_blocking();
    /// let mut soon = Deadline::after(std::time::Duration::from_millis(5));
    /// assert!(rw.read_or_cancel_blocking(&mut soon).is_err());
    /// ```
    #[track_caller]
    pub fn read_or_cancel_blocking(
        &self,
        cancel: &mut dyn Arm,
    ) -> Result<RwMutexReadGuard<'_, T>, Cancelled> {
        if self.sema.acquire_or_cancel_blocking(1, cancel, OP_R) {
            Ok(RwMutexReadGuard::new(self))
        } else {
            Err(Cancelled)
        }
    }

    /// Write-locks from a thread unless `cancel` completes first (the cancel wins ties).
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until the write lock is granted or `cancel` is ready.
    ///
    /// ```
    /// use ithaca_sync::{Deadline, RwMutex};
    /// let rw = RwMutex::new(());
    /// let _r = rw.read_blocking();
    /// let mut soon = Deadline::after(std::time::Duration::from_millis(5));
    /// assert!(rw.write_or_cancel_blocking(&mut soon).is_err());
    /// ```
    #[track_caller]
    pub fn write_or_cancel_blocking(
        &self,
        cancel: &mut dyn Arm,
    ) -> Result<RwMutexWriteGuard<'_, T>, Cancelled> {
        if self
            .sema
            .acquire_or_cancel_blocking(MAX_READERS, cancel, OP_W)
        {
            Ok(RwMutexWriteGuard::new(self))
        } else {
            Err(Cancelled)
        }
    }

    /// Read-locks from a task unless `cancel` completes first (the cancel wins ties).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped future never leaves a read lock held.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// use ithaca_sync::{Deadline, RwMutex};
    /// let rw = RwMutex::new(());
    /// let mut later = Deadline::after(std::time::Duration::from_secs(60));
    /// assert!(rw.read_or_cancel(&mut later).await.is_ok());
    /// # });
    /// ```
    #[track_caller]
    pub fn read_or_cancel<'a, 'c>(
        &'a self,
        cancel: &'c mut dyn Arm,
    ) -> impl Future<Output = Result<RwMutexReadGuard<'a, T>, Cancelled>> + Send + 'c
    where
        'a: 'c,
        T: Send + Sync,
    {
        let loc = Location::caller();
        async move {
            if self.sema.acquire_or_cancel(1, cancel, OP_R, loc).await {
                Ok(RwMutexReadGuard::new(self))
            } else {
                Err(Cancelled)
            }
        }
    }

    /// Write-locks from a task unless `cancel` completes first (the cancel wins ties).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped future never leaves the lock held.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// use ithaca_sync::{Deadline, RwMutex};
    /// let rw = RwMutex::new(());
    /// let _r = rw.read().await;
    /// let mut soon = Deadline::after(std::time::Duration::from_millis(5));
    /// assert!(rw.write_or_cancel(&mut soon).await.is_err());
    /// # });
    /// ```
    #[track_caller]
    pub fn write_or_cancel<'a, 'c>(
        &'a self,
        cancel: &'c mut dyn Arm,
    ) -> impl Future<Output = Result<RwMutexWriteGuard<'a, T>, Cancelled>> + Send + 'c
    where
        'a: 'c,
        T: Send + Sync,
    {
        let loc = Location::caller();
        async move {
            if self
                .sema
                .acquire_or_cancel(MAX_READERS, cancel, OP_W, loc)
                .await
            {
                Ok(RwMutexWriteGuard::new(self))
            } else {
                Err(Cancelled)
            }
        }
    }

    /// Read-locking as a select [`Arm`]; [`RwReadArm::into_guard`] after it was chosen.
    ///
    /// ```
    /// use ithaca_core::Select;
    /// let rw = ithaca_sync::RwMutex::new(1);
    /// let mut arm = rw.read_arm();
    /// assert_eq!(Select::new(&mut [&mut arm]).wait(), Some(0));
    /// assert_eq!(*arm.into_guard().unwrap(), 1);
    /// ```
    pub fn read_arm(&self) -> RwReadArm<'_, T> {
        RwReadArm {
            rw: self,
            arm: SemaArm::new(&self.sema, 1, OP_R, true),
        }
    }

    /// Write-locking as a select [`Arm`]; [`RwWriteArm::into_guard`] after it was chosen.
    ///
    /// ```
    /// use ithaca_core::Select;
    /// let rw = ithaca_sync::RwMutex::new(1);
    /// let mut arm = rw.write_arm();
    /// assert_eq!(Select::new(&mut [&mut arm]).wait(), Some(0));
    /// *arm.into_guard().unwrap() = 2;
    /// assert_eq!(*rw.read_blocking(), 2);
    /// ```
    pub fn write_arm(&self) -> RwWriteArm<'_, T> {
        RwWriteArm {
            rw: self,
            arm: SemaArm::new(&self.sema, MAX_READERS, OP_W, true),
        }
    }

    /// Mutable access without locking: `&mut self` proves nobody else holds the lock.
    ///
    /// ```
    /// let mut rw = ithaca_sync::RwMutex::new(1);
    /// *rw.get_mut() += 1;
    /// assert_eq!(rw.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

/// The future of [`RwMutex::read`].
///
/// # Cancel safety
///
/// Cancel safe: see [`RwMutex::read`].
#[must_use = "futures do nothing unless polled"]
pub struct Read<'a, T: ?Sized> {
    rw: &'a RwMutex<T>,
    inner: AcquireFut<'a>,
}

impl<'a, T: ?Sized> Future for Read<'a, T> {
    type Output = RwMutexReadGuard<'a, T>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        Pin::new(&mut this.inner)
            .poll(cx)
            .map(|()| RwMutexReadGuard::new(this.rw))
    }
}

impl<T: ?Sized> fmt::Debug for Read<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Read").finish_non_exhaustive()
    }
}

/// The future of [`RwMutex::write`].
///
/// # Cancel safety
///
/// Cancel safe: see [`RwMutex::write`].
#[must_use = "futures do nothing unless polled"]
pub struct Write<'a, T: ?Sized> {
    rw: &'a RwMutex<T>,
    inner: AcquireFut<'a>,
}

impl<'a, T: ?Sized> Future for Write<'a, T> {
    type Output = RwMutexWriteGuard<'a, T>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        Pin::new(&mut this.inner)
            .poll(cx)
            .map(|()| RwMutexWriteGuard::new(this.rw))
    }
}

impl<T: ?Sized> fmt::Debug for Write<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Write").finish_non_exhaustive()
    }
}

/// Read-locking an [`RwMutex`] as a select [`Arm`]; see [`RwMutex::read_arm`].
pub struct RwReadArm<'a, T: ?Sized> {
    rw: &'a RwMutex<T>,
    arm: SemaArm<'a>,
}

impl<'a, T: ?Sized> RwReadArm<'a, T> {
    /// The read guard, if a select chose this arm.
    ///
    /// ```
    /// let rw = ithaca_sync::RwMutex::new(());
    /// assert!(rw.read_arm().into_guard().is_none());
    /// ```
    pub fn into_guard(mut self) -> Option<RwMutexReadGuard<'a, T>> {
        self.arm.take().then(|| RwMutexReadGuard::new(self.rw))
    }
}

impl<T: ?Sized> fmt::Debug for RwReadArm<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwReadArm")
            .field("acquired", &self.arm.held())
            .finish()
    }
}

impl<T: ?Sized + Send + Sync> Arm for RwReadArm<'_, T> {
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
        OP_R
    }
}

/// Write-locking an [`RwMutex`] as a select [`Arm`]; see [`RwMutex::write_arm`].
pub struct RwWriteArm<'a, T: ?Sized> {
    rw: &'a RwMutex<T>,
    arm: SemaArm<'a>,
}

impl<'a, T: ?Sized> RwWriteArm<'a, T> {
    /// The write guard, if a select chose this arm.
    ///
    /// ```
    /// let rw = ithaca_sync::RwMutex::new(());
    /// assert!(rw.write_arm().into_guard().is_none());
    /// ```
    pub fn into_guard(mut self) -> Option<RwMutexWriteGuard<'a, T>> {
        self.arm.take().then(|| RwMutexWriteGuard::new(self.rw))
    }
}

impl<T: ?Sized> fmt::Debug for RwWriteArm<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwWriteArm")
            .field("acquired", &self.arm.held())
            .finish()
    }
}

impl<T: ?Sized + Send + Sync> Arm for RwWriteArm<'_, T> {
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
        OP_W
    }
}

/// A held read lock on an [`RwMutex`]; unlocks (Go's `RUnlock`) on drop.
///
/// ```
/// let rw = ithaca_sync::RwMutex::new(vec![1]);
/// let g = rw.read_blocking();
/// assert_eq!(g.len(), 1);
/// ```
#[must_use = "if unused the RwMutex will immediately unlock"]
pub struct RwMutexReadGuard<'a, T: ?Sized> {
    rw: &'a RwMutex<T>,
    _data: PhantomData<&'a T>,
}

impl<'a, T: ?Sized> RwMutexReadGuard<'a, T> {
    fn new(rw: &'a RwMutex<T>) -> Self {
        RwMutexReadGuard {
            rw,
            _data: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for RwMutexReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a read guard holds a token, so no write guard exists (module invariant);
        // only shared references to the data exist.
        unsafe { &*self.rw.data.get() }
    }
}

impl<T: ?Sized> Drop for RwMutexReadGuard<'_, T> {
    fn drop(&mut self) {
        self.rw.sema.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwMutexReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A held write lock on an [`RwMutex`]; unlocks on drop.
///
/// ```
/// let rw = ithaca_sync::RwMutex::new(0);
/// *rw.write_blocking() = 1;
/// assert_eq!(*rw.read_blocking(), 1);
/// ```
#[must_use = "if unused the RwMutex will immediately unlock"]
pub struct RwMutexWriteGuard<'a, T: ?Sized> {
    rw: &'a RwMutex<T>,
    _data: PhantomData<&'a mut T>,
}

impl<'a, T: ?Sized> RwMutexWriteGuard<'a, T> {
    fn new(rw: &'a RwMutex<T>) -> Self {
        RwMutexWriteGuard {
            rw,
            _data: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for RwMutexWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a write guard holds every token, so it is the only guard (module invariant).
        unsafe { &*self.rw.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwMutexWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this the only access.
        unsafe { &mut *self.rw.data.get() }
    }
}

impl<T: ?Sized> Drop for RwMutexWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.rw.sema.release(MAX_READERS);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwMutexWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
