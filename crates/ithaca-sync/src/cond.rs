//! [`Cond`]: Go's `sync.Cond`, working with the ithaca [`Mutex`], for threads and tasks.
//!
//! A FIFO queue of waiters under a std mutex, plus an atomic length so `signal` and
//! `broadcast` with nobody waiting take no lock.
//!
//! # Invariants
//!
//! * A waiter is queued **before** it unlocks the user's mutex, so a `signal` made under that
//!   mutex after the waiter started waiting always finds it (Go's "atomically unlocks L and
//!   suspends").
//! * `signal` claims queue entries from the front until one claim succeeds, so signals are
//!   delivered in FIFO order (Go's notifyList tickets) and a waiter that gave up never
//!   swallows a signal.
//! * A waiter is woken only by a claim (`signal`/`broadcast`), never spuriously. A cancelled
//!   async wait that had already been signalled passes the signal on to the next waiter.
//! * `len` equals the number of queued entries whenever the queue lock is free.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ithaca_core::diag;
use ithaca_core::waiter::Decision;
use ithaca_core::{Arm, Outcome, Registration, Select, Waiter};

use crate::cancel::{durable_with, Cancelled, Deadline, TimedOut};
use crate::loom::{lock, Arc, AtomicUsize, Mutex as StdMutex, Ordering};
use crate::mutex::{Lock, Mutex, MutexGuard};
use crate::sema::select_noted;

const OP: &str = "sync.Cond.Wait";

/// A condition variable (Go's `sync.Cond`) for the ithaca [`Mutex`].
///
/// Unlike Go's, a `Cond` is not bound to one mutex: [`wait`](Cond::wait) takes the guard of
/// whichever [`Mutex`] protects the condition, unlocks it while waiting and returns it locked
/// again. As in Go there are no spurious wake-ups, but the woken waiter competes for the mutex
/// like anyone else, so re-check the condition in a loop.
///
/// ```
/// use std::sync::Arc;
/// use ithaca_sync::{Cond, Mutex};
///
/// let pair = Arc::new((Mutex::new(false), Cond::new()));
/// let p2 = pair.clone();
/// std::thread::spawn(move || {
///     *p2.0.lock_blocking() = true;
///     p2.1.signal();
/// });
/// let mut ready = pair.0.lock_blocking();
/// while !*ready {
///     ready = pair.1.wait_blocking(ready);
/// }
/// ```
pub struct Cond {
    queue: StdMutex<VecDeque<(Arc<Waiter>, usize)>>,
    len: AtomicUsize,
}

impl Default for Cond {
    fn default() -> Self {
        Cond::new()
    }
}

impl fmt::Debug for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cond")
            .field("waiters", &self.len.load(Ordering::Relaxed))
            .finish()
    }
}

impl Cond {
    /// A condition variable with no waiters.
    ///
    /// ```
    /// ithaca_sync::Cond::new().signal(); // nobody waiting: no-op
    /// ```
    pub fn new() -> Self {
        Cond {
            queue: StdMutex::new(VecDeque::new()),
            len: AtomicUsize::new(0),
        }
    }

    /// Wakes the longest-waiting waiter, if any (Go's `Signal`).
    ///
    /// ```
    /// let c = ithaca_sync::Cond::new();
    /// c.signal();
    /// ```
    pub fn signal(&self) {
        if self.len.load(Ordering::SeqCst) == 0 {
            return;
        }
        let woken = {
            let mut q = lock(&self.queue);
            let mut woken = None;
            while let Some((w, i)) = q.pop_front() {
                if w.try_select(i) {
                    woken = Some(w);
                    break;
                }
            }
            self.len.store(q.len(), Ordering::SeqCst);
            woken
        };
        if let Some(w) = woken {
            w.wake();
        }
    }

    /// Wakes every waiter (Go's `Broadcast`).
    ///
    /// ```
    /// let c = ithaca_sync::Cond::new();
    /// c.broadcast();
    /// ```
    pub fn broadcast(&self) {
        if self.len.load(Ordering::SeqCst) == 0 {
            return;
        }
        let all: Vec<_> = {
            let mut q = lock(&self.queue);
            self.len.store(0, Ordering::SeqCst);
            q.drain(..).filter(|(w, i)| w.try_select(*i)).collect()
        };
        for (w, _) in all {
            w.wake();
        }
    }

    /// The number of waiters right now (a snapshot).
    ///
    /// ```
    /// assert_eq!(ithaca_sync::Cond::new().waiters(), 0);
    /// ```
    pub fn waiters(&self) -> usize {
        self.len.load(Ordering::SeqCst)
    }

    fn register(&self, waiter: &Arc<Waiter>, index: usize) {
        let mut q = lock(&self.queue);
        q.push_back((waiter.clone(), index));
        self.len.store(q.len(), Ordering::SeqCst);
    }

    fn remove(&self, waiter: &Arc<Waiter>) {
        let mut q = lock(&self.queue);
        if let Some(pos) = q.iter().position(|(w, _)| Arc::ptr_eq(w, waiter)) {
            q.remove(pos);
        }
        self.len.store(q.len(), Ordering::SeqCst);
    }

    /// Unlocks the guard's mutex, waits for a signal, and locks it again (from a thread).
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until signalled and the mutex is re-acquired; not for async
    /// code.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ithaca_sync::{Cond, Mutex};
    /// let s = Arc::new((Mutex::new(0), Cond::new()));
    /// let s2 = s.clone();
    /// let t = std::thread::spawn(move || {
    ///     let mut g = s2.0.lock_blocking();
    ///     while *g == 0 { g = s2.1.wait_blocking(g); }
    ///     *g
    /// });
    /// *s.0.lock_blocking() = 9;
    /// s.1.broadcast();
    /// # while !t.is_finished() { s.1.broadcast(); std::thread::yield_now(); }
    /// assert_eq!(t.join().unwrap(), 9);
    /// ```
    #[track_caller]
    pub fn wait_blocking<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let loc = Location::caller();
        let mutex = MutexGuard::mutex(&guard);
        let w = Waiter::for_thread();
        self.register(&w, 0);
        drop(guard);
        {
            let _blocked = diag::ThreadWait::begin(OP, true, loc);
            let d = w.park(None);
            debug_assert_eq!(d, Decision::Selected(0));
        }
        drop(w);
        mutex.lock_blocking_at(loc)
    }

    /// Unlocks the guard's mutex, waits for a signal, and locks it again (from a task).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future never leaves the mutex locked by it and never loses a signal: if
    /// it had been signalled, the signal is passed on to the next waiter. Dropping it before
    /// its first poll just unlocks the mutex (the guard is dropped).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use ithaca_sync::{Cond, Mutex};
    /// let s = Arc::new((Mutex::new(false), Cond::new()));
    /// let s2 = s.clone();
    /// let t = tokio::spawn(async move {
    ///     let mut g = s2.0.lock().await;
    ///     while !*g { g = s2.1.wait(g).await; }
    /// });
    /// *s.0.lock().await = true;
    /// while !t.is_finished() { s.1.signal(); tokio::task::yield_now().await; }
    /// # });
    /// ```
    #[track_caller]
    pub fn wait<'a, 'c, T: ?Sized>(&'c self, guard: MutexGuard<'a, T>) -> CondWait<'a, 'c, T> {
        CondWait {
            cond: self,
            state: WaitState::Init(guard),
            loc: Location::caller(),
        }
    }

    /// [`wait_blocking`](Cond::wait_blocking) that gives up when `cancel` completes first.
    /// Returns the guard (always locked again) and whether the wait was signalled
    /// (`Ok`) or cancelled (`Err`).
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until signalled or cancelled, then until the mutex is
    /// re-acquired.
    ///
    /// ```
    /// use ithaca_sync::{Cond, Deadline, Mutex};
    /// let (m, c) = (Mutex::new(()), Cond::new());
    /// let mut soon = Deadline::after(std::time::Duration::from_millis(5));
    /// let (_g, r) = c.wait_or_cancel_blocking(m.lock_blocking(), &mut soon);
    /// assert!(r.is_err());
    /// ```
    #[track_caller]
    pub fn wait_or_cancel_blocking<'a, T: ?Sized + Send>(
        &self,
        guard: MutexGuard<'a, T>,
        cancel: &mut dyn Arm,
    ) -> (MutexGuard<'a, T>, Result<(), Cancelled>) {
        let loc = Location::caller();
        let mutex = MutexGuard::mutex(&guard);
        let mut arm = CondArm {
            cond: self,
            guard: Some(guard),
        };
        let r = Select::new(&mut [cancel, &mut arm]).biased().wait();
        let guard = match arm.guard.take() {
            Some(g) => g,
            None => mutex.lock_blocking_at(loc),
        };
        (guard, if r == Some(1) { Ok(()) } else { Err(Cancelled) })
    }

    /// [`wait`](Cond::wait) that gives up when `cancel` completes first. Returns the guard
    /// (always locked again) and whether the wait was signalled (`Ok`) or cancelled (`Err`).
    ///
    /// # Cancel safety
    ///
    /// As [`wait`](Cond::wait): a signal consumed by a dropped future is passed on.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// use ithaca_sync::{Cond, Deadline, Mutex};
    /// let (m, c) = (Mutex::new(()), Cond::new());
    /// let mut soon = Deadline::after(std::time::Duration::from_millis(5));
    /// let (_g, r) = c.wait_or_cancel(m.lock().await, &mut soon).await;
    /// assert!(r.is_err());
    /// # });
    /// ```
    #[track_caller]
    pub fn wait_or_cancel<'a, 'c, T: ?Sized + Send>(
        &'c self,
        guard: MutexGuard<'a, T>,
        cancel: &'c mut dyn Arm,
    ) -> impl Future<Output = (MutexGuard<'a, T>, Result<(), Cancelled>)> + Send + 'c
    where
        'a: 'c,
    {
        let loc = Location::caller();
        async move {
            let durable = durable_with(cancel);
            let mutex = MutexGuard::mutex(&guard);
            let mut arm = CondArm {
                cond: self,
                guard: Some(guard),
            };
            let r = {
                let mut arms: [&mut dyn Arm; 2] = [cancel, &mut arm];
                select_noted(&mut arms, OP, durable, loc).await
            };
            let guard = match arm.guard.take() {
                Some(g) => g,
                None => mutex.lock_at(loc).await,
            };
            (guard, if r == Some(1) { Ok(()) } else { Err(Cancelled) })
        }
    }

    /// [`wait_blocking`](Cond::wait_blocking) with a timeout; `Err(TimedOut)` if no signal
    /// came in time (the guard is locked again either way).
    ///
    /// # Blocking
    ///
    /// Parks the calling thread for about `timeout` at most, then until the mutex is
    /// re-acquired.
    ///
    /// ```
    /// use ithaca_sync::{Cond, Mutex};
    /// let (m, c) = (Mutex::new(()), Cond::new());
    /// let (_g, r) = c.wait_timeout_blocking(m.lock_blocking(), std::time::Duration::from_millis(5));
    /// assert!(r.is_err());
    /// ```
    #[track_caller]
    pub fn wait_timeout_blocking<'a, T: ?Sized + Send>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> (MutexGuard<'a, T>, Result<(), TimedOut>) {
        let (g, r) = self.wait_or_cancel_blocking(guard, &mut Deadline::after(timeout));
        (g, r.map_err(|_| TimedOut))
    }

    /// [`wait`](Cond::wait) with a timeout; `Err(TimedOut)` if no signal came in time (the
    /// guard is locked again either way).
    ///
    /// # Cancel safety
    ///
    /// As [`wait`](Cond::wait).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// use ithaca_sync::{Cond, Mutex};
    /// let (m, c) = (Mutex::new(()), Cond::new());
    /// let (_g, r) = c.wait_timeout(m.lock().await, std::time::Duration::from_millis(5)).await;
    /// assert!(r.is_err());
    /// # });
    /// ```
    #[track_caller]
    pub fn wait_timeout<'a, 'c, T: ?Sized + Send>(
        &'c self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> impl Future<Output = (MutexGuard<'a, T>, Result<(), TimedOut>)> + Send + 'c
    where
        'a: 'c,
    {
        let loc = Location::caller();
        async move {
            let mutex = MutexGuard::mutex(&guard);
            let mut dl = Deadline::after(timeout);
            let mut arm = CondArm {
                cond: self,
                guard: Some(guard),
            };
            let r = {
                let mut arms: [&mut dyn Arm; 2] = [&mut dl, &mut arm];
                select_noted(&mut arms, OP, false, loc).await
            };
            let guard = match arm.guard.take() {
                Some(g) => g,
                None => mutex.lock_at(loc).await,
            };
            (guard, if r == Some(1) { Ok(()) } else { Err(TimedOut) })
        }
    }
}

/// A cond wait as a select arm: registering queues the waiter and **then** unlocks the mutex.
struct CondArm<'c, 'a, T: ?Sized> {
    cond: &'c Cond,
    guard: Option<MutexGuard<'a, T>>,
}

impl<T: ?Sized + Send> Arm for CondArm<'_, '_, T> {
    fn try_complete(&mut self) -> bool {
        false
    }
    fn register(&mut self, waiter: &Arc<Waiter>, index: usize) -> Registration {
        self.cond.register(waiter, index);
        self.guard = None;
        Registration::Registered
    }
    fn unregister(&mut self, waiter: &Arc<Waiter>, outcome: Outcome) {
        match outcome {
            Outcome::NotChosen => self.cond.remove(waiter),
            Outcome::Chosen => {}
            Outcome::ChosenButCancelled => self.cond.signal(),
        }
    }
    fn wait_reason(&self) -> &'static str {
        OP
    }
}

enum WaitState<'a, T: ?Sized> {
    Init(MutexGuard<'a, T>),
    Waiting(&'a Mutex<T>, Arc<Waiter>),
    Relock(Lock<'a, T>),
    Done,
}

/// The future of [`Cond::wait`]; resolves to the guard, locked again.
///
/// # Cancel safety
///
/// See [`Cond::wait`].
#[must_use = "futures do nothing unless polled"]
pub struct CondWait<'a, 'c, T: ?Sized> {
    cond: &'c Cond,
    state: WaitState<'a, T>,
    loc: &'static Location<'static>,
}

impl<T: ?Sized> fmt::Debug for CondWait<'_, '_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CondWait").finish_non_exhaustive()
    }
}

impl<'a, T: ?Sized> Future for CondWait<'a, '_, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let this = &mut *self;
        loop {
            match std::mem::replace(&mut this.state, WaitState::Done) {
                WaitState::Init(guard) => {
                    let mutex = MutexGuard::mutex(&guard);
                    let w = Waiter::for_task(cx.waker());
                    this.cond.register(&w, 0);
                    drop(guard);
                    this.state = WaitState::Waiting(mutex, w);
                }
                WaitState::Waiting(mutex, w) => {
                    w.set_waker(cx.waker());
                    if w.decision() == Decision::Waiting {
                        this.state = WaitState::Waiting(mutex, w);
                        diag::note_wait(OP, true, this.loc);
                        return Poll::Pending;
                    }
                    Waiter::recycle(w);
                    this.state = WaitState::Relock(mutex.lock_at(this.loc));
                }
                WaitState::Relock(mut lock) => match Pin::new(&mut lock).poll(cx) {
                    Poll::Ready(g) => return Poll::Ready(g),
                    Poll::Pending => {
                        this.state = WaitState::Relock(lock);
                        return Poll::Pending;
                    }
                },
                WaitState::Done => panic!("CondWait polled after completion"),
            }
        }
    }
}

impl<T: ?Sized> Drop for CondWait<'_, '_, T> {
    fn drop(&mut self) {
        if let WaitState::Waiting(_, w) = &self.state {
            if w.try_abort() {
                self.cond.remove(w);
            } else {
                // We were signalled but will not use it: pass the signal on.
                self.cond.signal();
            }
        }
    }
}
