//! [`WaitGroup`]: Go's `sync.WaitGroup`, for threads and tasks.
//!
//! One 64-bit atomic word holds everything the fast paths need:
//! `counter (i32, bits 32..64) | phase (bits 1..32) | WAITERS (bit 0)`.
//! Waiters sit in a queue under a std mutex, each tagged with the phase it saw.
//!
//! # Invariants
//!
//! * `add`/`done` change the word by one CAS; a change that brings the counter to zero while
//!   `WAITERS` is set also clears `WAITERS` and advances the phase **in the same CAS**, and
//!   then wakes (under the queue lock) exactly the entries tagged with the old phase.
//! * A waiter sets `WAITERS` with a `fetch_or` under the queue lock and queues itself only if
//!   the counter it saw in that same atomic step was non-zero, tagged with the phase it saw.
//!   So every waiter that queued before a counter's drop to zero is woken by it, and a waiter
//!   that queued after a later `add` (reuse) is not woken by the earlier drop.
//! * The counter never goes negative: `add` checks before its CAS and panics with
//!   `sync: negative WaitGroup counter`, leaving the group unchanged.

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
use crate::loom::{lock, Arc, AtomicU64, Mutex, Ordering};
use crate::sema::select_noted;

const OP: &str = "sync.WaitGroup.Wait";
const WAITERS: u64 = 1;
const PHASE_ONE: u64 = 2;
const PHASE_MASK: u64 = 0xFFFF_FFFE;
const LOW_MASK: u64 = 0xFFFF_FFFF;

fn count(s: u64) -> i32 {
    (s >> 32) as u32 as i32
}

struct Entry {
    waiter: Arc<Waiter>,
    index: usize,
    phase: u64,
}

struct Inner {
    state: AtomicU64,
    queue: Mutex<VecDeque<Entry>>,
}

/// Go's `sync.WaitGroup`: waits for a collection of tasks or threads to finish.
///
/// A `WaitGroup` is a cheap handle (`Clone` shares the same group, like passing Go's
/// `*WaitGroup`). `add(n)` before starting work, `done()` when a piece finishes,
/// `wait().await` / `wait_blocking()` until the counter is zero. It may be reused once every
/// wait of the previous round has returned. Spawning (`wg.Go(f)` in Go 1.25) belongs to the
/// runtime layer.
///
/// ```
/// use ithaca_sync::WaitGroup;
///
/// let wg = WaitGroup::new();
/// for _ in 0..4 {
///     wg.add(1);
///     let wg = wg.clone();
///     std::thread::spawn(move || wg.done());
/// }
/// wg.wait_blocking();
/// ```
#[derive(Clone)]
pub struct WaitGroup {
    inner: Arc<Inner>,
}

impl Default for WaitGroup {
    fn default() -> Self {
        WaitGroup::new()
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup")
            .field("count", &self.count())
            .finish()
    }
}

impl WaitGroup {
    /// A new group with counter zero.
    ///
    /// ```
    /// ithaca_sync::WaitGroup::new().wait_blocking(); // zero: returns at once
    /// ```
    pub fn new() -> Self {
        WaitGroup {
            inner: Arc::new(Inner {
                state: AtomicU64::new(0),
                queue: Mutex::new(VecDeque::new()),
            }),
        }
    }

    /// Adds `delta` (which may be negative) to the counter; when it reaches zero, every
    /// waiter is released.
    ///
    /// # Panics
    ///
    /// With `sync: negative WaitGroup counter` (naming the caller) if the counter would go
    /// below zero; the group is left unchanged. With `sync: WaitGroup counter overflow` past
    /// `i32::MAX`.
    ///
    /// ```
    /// let wg = ithaca_sync::WaitGroup::new();
    /// wg.add(2);
    /// wg.add(-2);
    /// wg.wait_blocking();
    /// ```
    #[track_caller]
    pub fn add(&self, delta: i32) {
        let st = &self.inner.state;
        let mut s = st.load(Ordering::Relaxed);
        loop {
            let c = i64::from(count(s)) + i64::from(delta);
            if c < 0 {
                panic!("sync: negative WaitGroup counter");
            }
            if c > i64::from(i32::MAX) {
                panic!("sync: WaitGroup counter overflow");
            }
            let mut new = ((c as u64) << 32) | (s & LOW_MASK);
            let release = c == 0 && delta != 0 && s & WAITERS != 0;
            if release {
                new = (new & !LOW_MASK) | (s.wrapping_add(PHASE_ONE) & PHASE_MASK);
            }
            match st.compare_exchange_weak(s, new, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => {
                    if release {
                        self.inner.release(s & PHASE_MASK);
                    }
                    return;
                }
                Err(x) => s = x,
            }
        }
    }

    /// Decrements the counter by one (Go's `Done`, i.e. `add(-1)`).
    ///
    /// # Panics
    ///
    /// With `sync: negative WaitGroup counter` if the counter is zero.
    ///
    /// ```
    /// let wg = ithaca_sync::WaitGroup::new();
    /// wg.add(1);
    /// wg.done();
    /// assert_eq!(wg.count(), 0);
    /// ```
    #[track_caller]
    pub fn done(&self) {
        self.add(-1);
    }

    /// The counter right now (a snapshot, for diagnostics; Go has no such method).
    ///
    /// ```
    /// let wg = ithaca_sync::WaitGroup::new();
    /// wg.add(3);
    /// assert_eq!(wg.count(), 3);
    /// # wg.add(-3);
    /// ```
    pub fn count(&self) -> i32 {
        count(self.inner.state.load(Ordering::Acquire))
    }

    /// Waits from a task until the counter is zero.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped future simply stops waiting; it consumes nothing another waiter
    /// needs.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let wg = ithaca_sync::WaitGroup::new();
    /// wg.add(1);
    /// let wg2 = wg.clone();
    /// std::thread::spawn(move || wg2.done());
    /// wg.wait().await;
    /// # });
    /// ```
    #[track_caller]
    pub fn wait(&self) -> Wait<'_> {
        Wait {
            wg: self,
            waiter: None,
            loc: Location::caller(),
        }
    }

    /// Waits from a thread until the counter is zero.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until the counter is zero; not for async code.
    ///
    /// ```
    /// let wg = ithaca_sync::WaitGroup::new();
    /// wg.add(1);
    /// let wg2 = wg.clone();
    /// let t = std::thread::spawn(move || wg2.done());
    /// wg.wait_blocking();
    /// # t.join().unwrap();
    /// ```
    #[track_caller]
    pub fn wait_blocking(&self) {
        if count(self.inner.state.load(Ordering::Acquire)) == 0 {
            return;
        }
        let w = Waiter::for_thread();
        if self.inner.register(&w, 0) == Registration::Ready {
            return;
        }
        let _blocked = diag::ThreadWait::begin(OP, true, Location::caller());
        let d = w.park(None);
        debug_assert_eq!(d, Decision::Selected(0));
    }

    /// Waits from a thread until the counter is zero or `cancel` completes (the cancel wins
    /// ties).
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until the counter is zero or `cancel` is ready.
    ///
    /// ```
    /// use ithaca_sync::{Deadline, WaitGroup};
    /// let wg = WaitGroup::new();
    /// wg.add(1);
    /// let mut soon = Deadline::after(std::time::Duration::from_millis(5));
    /// assert!(wg.wait_or_cancel_blocking(&mut soon).is_err());
    /// ```
    #[track_caller]
    pub fn wait_or_cancel_blocking(&self, cancel: &mut dyn Arm) -> Result<(), Cancelled> {
        let mut arm = self.wait_arm();
        match Select::new(&mut [cancel, &mut arm]).biased().wait() {
            Some(1) => Ok(()),
            _ => Err(Cancelled),
        }
    }

    /// Waits from a task until the counter is zero or `cancel` completes (the cancel wins
    /// ties).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`wait`](WaitGroup::wait).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// use ithaca_sync::{Deadline, WaitGroup};
    /// let wg = WaitGroup::new();
    /// let mut later = Deadline::after(std::time::Duration::from_secs(60));
    /// assert!(wg.wait_or_cancel(&mut later).await.is_ok());
    /// # });
    /// ```
    #[track_caller]
    pub fn wait_or_cancel<'a>(
        &'a self,
        cancel: &'a mut dyn Arm,
    ) -> impl Future<Output = Result<(), Cancelled>> + Send + 'a {
        let loc = Location::caller();
        async move {
            let durable = durable_with(cancel);
            let mut arm = self.wait_arm();
            let mut arms: [&mut dyn Arm; 2] = [cancel, &mut arm];
            match select_noted(&mut arms, OP, durable, loc).await {
                Some(1) => Ok(()),
                _ => Err(Cancelled),
            }
        }
    }

    /// Waits from a thread at most `timeout` for the counter to reach zero.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread for at most about `timeout`.
    ///
    /// ```
    /// let wg = ithaca_sync::WaitGroup::new();
    /// wg.add(1);
    /// assert!(wg.wait_timeout_blocking(std::time::Duration::from_millis(5)).is_err());
    /// ```
    #[track_caller]
    pub fn wait_timeout_blocking(&self, timeout: Duration) -> Result<(), TimedOut> {
        self.wait_or_cancel_blocking(&mut Deadline::after(timeout))
            .map_err(|_| TimedOut)
    }

    /// Waits from a task at most `timeout` for the counter to reach zero.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`wait`](WaitGroup::wait).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let wg = ithaca_sync::WaitGroup::new();
    /// wg.add(1);
    /// assert!(wg.wait_timeout(std::time::Duration::from_millis(5)).await.is_err());
    /// # });
    /// ```
    #[track_caller]
    pub fn wait_timeout(
        &self,
        timeout: Duration,
    ) -> impl Future<Output = Result<(), TimedOut>> + Send + '_ {
        let loc = Location::caller();
        async move {
            let mut dl = Deadline::after(timeout);
            let mut arm = self.wait_arm();
            let mut arms: [&mut dyn Arm; 2] = [&mut dl, &mut arm];
            match select_noted(&mut arms, OP, false, loc).await {
                Some(1) => Ok(()),
                _ => Err(TimedOut),
            }
        }
    }

    /// Waiting for the counter to reach zero as a select [`Arm`].
    ///
    /// ```
    /// use ithaca_core::Select;
    /// let wg = ithaca_sync::WaitGroup::new();
    /// let mut arm = wg.wait_arm();
    /// assert_eq!(Select::new(&mut [&mut arm]).wait(), Some(0));
    /// ```
    pub fn wait_arm(&self) -> WaitArm<'_> {
        WaitArm { wg: self }
    }
}

impl Inner {
    /// Queues `waiter` unless the counter is zero (then `Ready`).
    fn register(&self, waiter: &Arc<Waiter>, index: usize) -> Registration {
        let mut q = lock(&self.queue);
        let s = self.state.fetch_or(WAITERS, Ordering::AcqRel);
        if count(s) == 0 {
            if s & WAITERS == 0 {
                // Undo our bit: nobody is waiting on this phase.
                self.state.fetch_and(!WAITERS, Ordering::AcqRel);
            }
            return Registration::Ready;
        }
        q.push_back(Entry {
            waiter: waiter.clone(),
            index,
            phase: s & PHASE_MASK,
        });
        Registration::Registered
    }

    fn remove(&self, waiter: &Arc<Waiter>) {
        let mut q = lock(&self.queue);
        if let Some(pos) = q.iter().position(|e| Arc::ptr_eq(&e.waiter, waiter)) {
            q.remove(pos);
        }
    }

    /// Wakes every waiter of `phase` (the counter dropped to zero in that phase).
    fn release(&self, phase: u64) {
        // The first woken waiter inline: the common single-waiter case allocates nothing.
        let mut first = None;
        let mut rest = Vec::new();
        {
            let mut q = lock(&self.queue);
            q.retain(|e| {
                if e.phase != phase {
                    return true;
                }
                if e.waiter.try_select(e.index) {
                    if first.is_none() {
                        first = Some(e.waiter.clone());
                    } else {
                        rest.push(e.waiter.clone());
                    }
                }
                false
            });
        }
        for w in first.into_iter().chain(rest) {
            w.wake();
        }
    }
}

/// The future of [`WaitGroup::wait`].
///
/// # Cancel safety
///
/// Cancel safe: see [`WaitGroup::wait`].
#[must_use = "futures do nothing unless polled"]
pub struct Wait<'a> {
    wg: &'a WaitGroup,
    waiter: Option<Arc<Waiter>>,
    loc: &'static Location<'static>,
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait").finish_non_exhaustive()
    }
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if let Some(w) = &this.waiter {
            w.set_waker(cx.waker());
            if w.decision() == Decision::Waiting {
                diag::note_wait(OP, true, this.loc);
                return Poll::Pending;
            }
            Waiter::recycle(this.waiter.take().expect("waiter"));
            return Poll::Ready(());
        }
        let inner = &this.wg.inner;
        if count(inner.state.load(Ordering::Acquire)) == 0 {
            return Poll::Ready(());
        }
        let w = Waiter::for_task(cx.waker());
        if inner.register(&w, 0) == Registration::Ready {
            Waiter::recycle(w);
            return Poll::Ready(());
        }
        this.waiter = Some(w);
        // A release may already have claimed us.
        self.poll(cx)
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some(w) = self.waiter.take() {
            if w.try_abort() {
                self.wg.inner.remove(&w);
            }
        }
    }
}

/// Waiting on a [`WaitGroup`] as a select [`Arm`]; see [`WaitGroup::wait_arm`].
#[derive(Debug)]
pub struct WaitArm<'a> {
    wg: &'a WaitGroup,
}

impl Arm for WaitArm<'_> {
    fn try_complete(&mut self) -> bool {
        self.wg.count() == 0
    }
    fn register(&mut self, waiter: &Arc<Waiter>, index: usize) -> Registration {
        self.wg.inner.register(waiter, index)
    }
    fn unregister(&mut self, waiter: &Arc<Waiter>, outcome: Outcome) {
        if outcome == Outcome::NotChosen {
            self.wg.inner.remove(waiter);
        }
    }
    fn wait_reason(&self) -> &'static str {
        OP
    }
}
