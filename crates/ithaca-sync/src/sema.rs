//! The fair weighted wait queue behind [`Mutex`](crate::Mutex), [`RwMutex`](crate::RwMutex)
//! and [`Semaphore`](crate::Semaphore).
//!
//! A `Sema` has `size` tokens. `state` holds the number of free tokens plus the `QUEUED` bit,
//! which is set exactly while the wait queue is non-empty. Waiting parties sit in a FIFO
//! `VecDeque` of entries under a std mutex; each entry holds the party's [`Waiter`], the arm
//! index to claim it with, and how many tokens it wants.
//!
//! # Invariants
//!
//! * **Fast path.** While `QUEUED` is clear, tokens are taken and given back by one
//!   compare-and-swap on `state`, without the queue lock.
//! * **Slow path.** `QUEUED` is set and cleared only under the queue lock, and while it is set
//!   `state` changes only under the queue lock. A party that is about to wait sets `QUEUED`
//!   (under the lock) with a CAS that also proves the tokens it wants are not free, so a
//!   release that races with it either happened before (the party sees the tokens) or fails
//!   its fast-path CAS and takes the lock (and finds the party queued): no lost wake-up.
//! * **FIFO.** Tokens are granted to the head entry only; a head that does not fit blocks
//!   everyone behind it (x/sync's rule, so a large request is not starved by small ones).
//!   A newcomer never overtakes a non-empty queue, except in *barging* mode (the Mutex).
//! * **Claim before consume.** A releaser pops the head, claims its waiter with
//!   [`Waiter::try_select`] and only then subtracts the tokens (a *handoff*: the tokens never
//!   become free in between). An entry whose claim fails (its owner gave up) is discarded.
//! * **Barging (Mutex only, Go's normal mode).** A plain (non-select) waiter that has waited
//!   less than [`STARVE`] is not handed the lock: it is claimed with the `RETRY` index, the
//!   token is left free, and the waiter competes with newcomers; losing, it goes back to the
//!   **front** of the queue keeping its original arrival time. A waiter older than `STARVE`
//!   (Go's starvation mode) and every select waiter get a direct handoff.
//! * **Nothing is lost on cancel.** An owner that gives up first wins `try_abort` and removes
//!   its entry (then re-runs the grant loop, since the removed entry may have been a blocking
//!   head). If a peer claimed it first, the owner honours the claim: granted tokens are
//!   released again (passed on), and a `RETRY` wake-up is passed on by re-running the grant
//!   loop.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
#[cfg(not(loom))]
use std::time::{Duration, Instant};

use ithaca_core::diag;
use ithaca_core::waiter::Decision;
use ithaca_core::{Arm, Outcome, Registration, Select, Waiter};

use crate::loom::{lock, Arc, AtomicUsize, Mutex, MutexGuard, Ordering};

/// Arm index a plain waiter is claimed with when it is handed the tokens.
pub(crate) const GRANTED: usize = 0;
/// Arm index a plain waiter is claimed with when it should retry (barging mode).
pub(crate) const RETRY: usize = 1;

const QUEUED: usize = 1 << (usize::BITS - 1);
/// The largest size a `Sema` can have.
pub(crate) const MAX_SIZE: usize = QUEUED - 1;

/// Go's `starvationThresholdNs`: a Mutex waiter older than this is handed the lock directly.
#[cfg(not(loom))]
pub(crate) const STARVE: Duration = Duration::from_millis(1);

#[cfg(not(loom))]
type Since = Option<Instant>;
// loom has no deterministic clock: under loom a waiter "starves" after one lost retry.
#[cfg(loom)]
type Since = Option<()>;

struct Entry {
    waiter: Arc<Waiter>,
    index: usize,
    n: usize,
    /// A plain lock/acquire (may be woken with `RETRY`), not a select arm.
    plain: bool,
    /// When the waiter queued (the starvation clock outside loom).
    #[cfg_attr(loom, allow(dead_code))]
    since: Since,
    /// Lost retries so far (the loom build's starvation clock).
    #[cfg_attr(not(loom), allow(dead_code))]
    retries: u32,
}

impl Entry {
    fn starving(&self) -> bool {
        #[cfg(not(loom))]
        {
            self.since.is_none_or(|s| s.elapsed() >= STARVE)
        }
        #[cfg(loom)]
        {
            self.retries >= 1
        }
    }
}

/// Waiters to wake once the queue lock is dropped.
#[derive(Default)]
struct Wakes {
    first: Option<Arc<Waiter>>,
    rest: Vec<Arc<Waiter>>,
}

impl Wakes {
    fn push(&mut self, w: Arc<Waiter>) {
        if self.first.is_none() {
            self.first = Some(w);
        } else {
            self.rest.push(w);
        }
    }

    fn wake(self) {
        if let Some(w) = self.first {
            w.wake();
        }
        for w in self.rest {
            w.wake();
        }
    }
}

/// What [`Sema::enqueue`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Enq {
    /// The tokens were free and are now taken.
    Acquired,
    /// The tokens are free; nothing was taken or queued (`take == false`).
    Ready,
    /// The waiter is queued.
    Enqueued,
}

/// The fair weighted queue; see the module doc.
pub(crate) struct Sema {
    state: AtomicUsize,
    size: usize,
    barging: bool,
    queue: Mutex<VecDeque<Entry>>,
}

impl std::fmt::Debug for Sema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.state.load(Ordering::Relaxed);
        f.debug_struct("Sema")
            .field("size", &self.size)
            .field("free", &(s & !QUEUED))
            .field("queued", &(s & QUEUED != 0))
            .finish()
    }
}

impl Sema {
    pub(crate) fn new(size: usize, barging: bool) -> Self {
        assert!(
            size <= MAX_SIZE,
            "semaphore: size {size} too large (at most {MAX_SIZE})"
        );
        Sema {
            state: AtomicUsize::new(size),
            size,
            barging,
            queue: Mutex::new(VecDeque::new()),
        }
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Free tokens right now (a snapshot).
    pub(crate) fn available(&self) -> usize {
        self.state.load(Ordering::Acquire) & !QUEUED
    }

    /// The one-CAS fast path: takes `n` tokens if nobody is queued and they are free.
    #[inline]
    pub(crate) fn try_acquire_fast(&self, n: usize) -> bool {
        let s = self.state.load(Ordering::Relaxed);
        s & QUEUED == 0
            && s >= n
            && self
                .state
                .compare_exchange(s, s - n, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
    }

    /// Takes `n` tokens without waiting: fails if they are not free, or (except in barging
    /// mode) if anybody is queued.
    pub(crate) fn try_acquire(&self, n: usize) -> bool {
        loop {
            let s = self.state.load(Ordering::Relaxed);
            if s & QUEUED == 0 {
                if s < n {
                    return false;
                }
                if self
                    .state
                    .compare_exchange_weak(s, s - n, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return true;
                }
                continue;
            }
            if !self.barging {
                return false;
            }
            let _q = lock(&self.queue);
            let s = self.state.load(Ordering::Acquire);
            if s & QUEUED == 0 {
                continue;
            }
            if (s & !QUEUED) < n {
                return false;
            }
            self.state.store(s - n, Ordering::Release);
            return true;
        }
    }

    /// Gives back `n` tokens and hands them to queued waiters in FIFO order. Returns `false`
    /// (changing nothing) if that would make more than `size` tokens free.
    #[inline]
    pub(crate) fn release(&self, n: usize) -> bool {
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if s & QUEUED != 0 {
                return self.release_slow(n);
            }
            let Some(new) = s.checked_add(n).filter(|&v| v <= self.size) else {
                return false;
            };
            match self
                .state
                .compare_exchange_weak(s, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(x) => s = x,
            }
        }
    }

    #[cold]
    fn release_slow(&self, n: usize) -> bool {
        let mut q = lock(&self.queue);
        let s = self.state.load(Ordering::Acquire);
        if s & QUEUED == 0 {
            // The queue emptied meanwhile: back to the lock-free path.
            drop(q);
            return self.release(n);
        }
        let Some(free) = (s & !QUEUED).checked_add(n).filter(|&v| v <= self.size) else {
            return false;
        };
        let wakes = self.grant(&mut q, free);
        drop(q);
        wakes.wake();
        true
    }

    /// Re-runs the grant loop (a `RETRY` wake-up that was not used is passed on).
    pub(crate) fn kick(&self) {
        let mut q = lock(&self.queue);
        let s = self.state.load(Ordering::Acquire);
        if s & QUEUED == 0 {
            return;
        }
        let wakes = self.grant(&mut q, s & !QUEUED);
        drop(q);
        wakes.wake();
    }

    /// The grant loop. Called with the queue locked and `QUEUED` set (so `state` is stable);
    /// `free` is the number of free tokens. Stores the new state.
    fn grant(&self, q: &mut MutexGuard<'_, VecDeque<Entry>>, mut free: usize) -> Wakes {
        let mut wakes = Wakes::default();
        while let Some(head) = q.front() {
            if head.n > free {
                break;
            }
            let head = q.pop_front().expect("front exists");
            if self.barging && head.plain && !head.starving() {
                if head.waiter.try_select(RETRY) {
                    wakes.push(head.waiter);
                    break;
                }
                continue;
            }
            if head.waiter.try_select(head.index) {
                free -= head.n;
                wakes.push(head.waiter);
            }
        }
        let new = if q.is_empty() { free } else { free | QUEUED };
        self.state.store(new, Ordering::Release);
        wakes
    }

    /// Takes the tokens if they are free and nobody is ahead (`take`), or reports `Ready`
    /// (`!take`), or queues `waiter` (at the front when `front`: a barging retry).
    #[allow(clippy::too_many_arguments)]
    fn enqueue(
        &self,
        n: usize,
        waiter: &Arc<Waiter>,
        index: usize,
        plain: bool,
        since: Since,
        retries: u32,
        front: bool,
        take: bool,
    ) -> Enq {
        let mut q = lock(&self.queue);
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            if s & QUEUED == 0 {
                if s >= n {
                    if !take {
                        return Enq::Ready;
                    }
                    match self.state.compare_exchange(
                        s,
                        s - n,
                        Ordering::Acquire,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => return Enq::Acquired,
                        Err(x) => s = x,
                    }
                    continue;
                }
                match self.state.compare_exchange(
                    s,
                    s | QUEUED,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => break,
                    Err(x) => s = x,
                }
                continue;
            }
            if self.barging && (s & !QUEUED) >= n {
                if !take {
                    return Enq::Ready;
                }
                self.state.store(s - n, Ordering::Release);
                return Enq::Acquired;
            }
            break;
        }
        let e = Entry {
            waiter: waiter.clone(),
            index,
            n,
            plain,
            since,
            retries,
        };
        if front {
            q.push_front(e);
        } else {
            q.push_back(e);
        }
        Enq::Enqueued
    }

    /// Removes `waiter`'s entry (after its owner won `try_abort`), then re-runs the grant
    /// loop: the removed entry may have been a head that blocked smaller requests.
    pub(crate) fn remove(&self, waiter: &Arc<Waiter>) {
        let mut q = lock(&self.queue);
        if let Some(pos) = q.iter().position(|e| Arc::ptr_eq(&e.waiter, waiter)) {
            q.remove(pos);
        }
        let s = self.state.load(Ordering::Acquire);
        if s & QUEUED == 0 {
            return;
        }
        let wakes = self.grant(&mut q, s & !QUEUED);
        drop(q);
        wakes.wake();
    }

    fn new_since(&self) -> Since {
        if !self.barging {
            return None;
        }
        #[cfg(not(loom))]
        {
            Some(Instant::now())
        }
        #[cfg(loom)]
        {
            Some(())
        }
    }

    /// Takes `n` tokens, parking the thread until they are granted.
    ///
    /// The caller checked `n <= size`.
    pub(crate) fn acquire_blocking(
        &self,
        n: usize,
        op: &'static str,
        loc: &'static Location<'static>,
    ) {
        if self.try_acquire_fast(n) {
            return;
        }
        self.acquire_blocking_slow(n, op, loc);
    }

    #[cold]
    fn acquire_blocking_slow(&self, n: usize, op: &'static str, loc: &'static Location<'static>) {
        #[cfg(not(loom))]
        if self.barging {
            // Go's active spinning: the holder is likely running and about to unlock.
            for i in 0..SPINS {
                for _ in 0..(1 << i) {
                    std::hint::spin_loop();
                }
                if self.try_acquire_fast(n) {
                    return;
                }
            }
        }
        let since = self.new_since();
        let mut retries = 0;
        loop {
            let w = Waiter::for_thread();
            let enq = self.enqueue(n, &w, GRANTED, true, since, retries, retries > 0, true);
            if enq == Enq::Acquired {
                return;
            }
            let d = {
                let _blocked = diag::ThreadWait::begin(op, true, loc);
                w.park(None)
            };
            match d {
                Decision::Selected(GRANTED) => return,
                Decision::Selected(RETRY) => retries += 1,
                d => unreachable!("sync: lock waiter woke with {d:?}"),
            }
        }
    }

    /// The future of a plain async acquire of `n` tokens (the caller checked `n <= size`).
    pub(crate) fn acquire(
        &self,
        n: usize,
        op: &'static str,
        loc: &'static Location<'static>,
    ) -> AcquireFut<'_> {
        AcquireFut {
            sema: self,
            n,
            waiter: None,
            started: false,
            since: None,
            retries: 0,
            op,
            loc,
        }
    }

    /// Takes `n` tokens unless `cancel` completes first (cancel wins ties). Parks the thread.
    #[track_caller]
    pub(crate) fn acquire_or_cancel_blocking(
        &self,
        n: usize,
        cancel: &mut dyn Arm,
        op: &'static str,
    ) -> bool {
        let mut arm = SemaArm::new(self, n, op, false);
        let r = Select::new(&mut [cancel, &mut arm]).biased().wait();
        r == Some(1) && arm.take()
    }

    /// Async form of [`Sema::acquire_or_cancel_blocking`].
    pub(crate) async fn acquire_or_cancel(
        &self,
        n: usize,
        cancel: &mut dyn Arm,
        op: &'static str,
        loc: &'static Location<'static>,
    ) -> bool {
        let durable = crate::cancel::durable_with(cancel);
        let mut arm = SemaArm::new(self, n, op, false);
        let won = {
            let mut arms: [&mut dyn Arm; 2] = [cancel, &mut arm];
            select_noted(&mut arms, op, durable, loc).await == Some(1)
        };
        won && arm.take()
    }
}

#[cfg(not(loom))]
const SPINS: u32 = 4;

/// Runs a biased async select over `arms`, reporting blocked polls as `op` at `loc`.
pub(crate) async fn select_noted(
    arms: &mut [&mut dyn Arm],
    op: &'static str,
    durable: bool,
    loc: &'static Location<'static>,
) -> Option<usize> {
    let mut sf = std::future::IntoFuture::into_future(Select::new(arms).biased());
    std::future::poll_fn(|cx| {
        let r = Pin::new(&mut sf).poll(cx);
        if r.is_pending() {
            diag::note_wait(op, durable, loc);
        }
        r
    })
    .await
}

/// A plain async acquire; see [`Sema::acquire`].
///
/// Cancel safety: dropped while queued, it removes its entry; dropped after it was granted
/// the tokens, it releases them (passing them on); dropped after a `RETRY` wake-up, it
/// passes the wake-up on.
pub(crate) struct AcquireFut<'a> {
    sema: &'a Sema,
    n: usize,
    waiter: Option<Arc<Waiter>>,
    started: bool,
    since: Since,
    retries: u32,
    op: &'static str,
    loc: &'static Location<'static>,
}

impl Future for AcquireFut<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        loop {
            if let Some(w) = &this.waiter {
                w.set_waker(cx.waker());
                match w.decision() {
                    Decision::Waiting => {
                        diag::note_wait(this.op, true, this.loc);
                        return Poll::Pending;
                    }
                    Decision::Selected(GRANTED) => {
                        Waiter::recycle(this.waiter.take().expect("waiter"));
                        return Poll::Ready(());
                    }
                    Decision::Selected(RETRY) => {
                        Waiter::recycle(this.waiter.take().expect("waiter"));
                        this.retries += 1;
                    }
                    d => unreachable!("sync: lock waiter woke with {d:?}"),
                }
            } else if !this.started {
                this.started = true;
                if this.sema.try_acquire_fast(this.n) {
                    return Poll::Ready(());
                }
                this.since = this.sema.new_since();
            }
            let w = Waiter::for_task(cx.waker());
            let enq = this.sema.enqueue(
                this.n,
                &w,
                GRANTED,
                true,
                this.since,
                this.retries,
                this.retries > 0,
                true,
            );
            if enq == Enq::Acquired {
                Waiter::recycle(w);
                return Poll::Ready(());
            }
            this.waiter = Some(w);
        }
    }
}

impl Drop for AcquireFut<'_> {
    fn drop(&mut self) {
        let Some(w) = self.waiter.take() else { return };
        if w.try_abort() {
            self.sema.remove(&w);
            return;
        }
        match w.decision() {
            Decision::Selected(GRANTED) => {
                self.sema.release(self.n);
            }
            Decision::Selected(RETRY) => self.sema.kick(),
            _ => {}
        }
    }
}

/// Acquisition of `n` tokens as a select [`Arm`]; always a direct handoff (a select cannot
/// retry).
///
/// Holds the tokens once chosen; [`SemaArm::take`] hands them to the caller. Dropped while
/// holding them, it releases them if `release_on_drop`.
pub(crate) struct SemaArm<'a> {
    sema: &'a Sema,
    n: usize,
    held: bool,
    release_on_drop: bool,
    op: &'static str,
}

impl<'a> SemaArm<'a> {
    pub(crate) fn new(sema: &'a Sema, n: usize, op: &'static str, release_on_drop: bool) -> Self {
        SemaArm {
            sema,
            n,
            held: false,
            release_on_drop,
            op,
        }
    }

    /// Whether the arm holds the tokens; passes them to the caller (the arm forgets them).
    pub(crate) fn take(&mut self) -> bool {
        std::mem::take(&mut self.held)
    }

    pub(crate) fn held(&self) -> bool {
        self.held
    }
}

impl Arm for SemaArm<'_> {
    fn try_complete(&mut self) -> bool {
        if self.n > self.sema.size {
            return false;
        }
        if !self.held {
            self.held = self.sema.try_acquire(self.n);
        }
        self.held
    }

    fn register(&mut self, waiter: &Arc<Waiter>, index: usize) -> Registration {
        if self.n > self.sema.size {
            // Can never be granted: wait for the other arms only.
            return Registration::Registered;
        }
        match self
            .sema
            .enqueue(self.n, waiter, index, false, None, 0, false, false)
        {
            Enq::Enqueued => Registration::Registered,
            Enq::Ready | Enq::Acquired => Registration::Ready,
        }
    }

    fn unregister(&mut self, waiter: &Arc<Waiter>, outcome: Outcome) {
        if self.n > self.sema.size {
            return;
        }
        match outcome {
            Outcome::NotChosen => self.sema.remove(waiter),
            Outcome::Chosen => self.held = true,
            Outcome::ChosenButCancelled => {
                self.sema.release(self.n);
            }
        }
    }

    fn wait_reason(&self) -> &'static str {
        self.op
    }
}

impl Drop for SemaArm<'_> {
    fn drop(&mut self) {
        if self.held && self.release_on_drop {
            self.sema.release(self.n);
        }
    }
}
