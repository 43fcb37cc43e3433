//! Waiters: the one representation of a blocked party.
//!
//! A [`Waiter`] stands for one blocking operation or one `select` that has to wait. It is
//! shared (`Arc`) between the blocked party and the wait queues of every channel or primitive
//! it registered with.
//!
//! # Invariants
//!
//! * `state` starts at [`WAITING`](Waiter::is_waiting) and leaves it **exactly once**, by a
//!   compare-and-swap, to either *aborted* (the blocked party gave up: timeout, cancellation,
//!   or it found an arm ready while registering) or *selected(i)* (a peer chose arm `i` and
//!   completed, or will complete, that arm's operation on the waiter's behalf).
//! * A peer may touch the operation of an arm (take a sender's value, fill a receiver's slot)
//!   only after it won that compare-and-swap, and only while it holds the lock of the queue the
//!   waiter's entry sits in. The owner removes its entries under the same lock, so after the
//!   owner's unregister no peer can claim it any more.
//! * Waking is separate from choosing: [`Waiter::wake`] only unparks the thread or wakes the
//!   task, which then reads `state`. A wake that arrives late (after the waiter was reused) is
//!   a harmless spurious wake-up, because every wait re-checks `state` in a loop.
//! * A thread's waiter is cached per thread and reused only when no queue or peer holds a
//!   reference to it (`Arc::strong_count == 1`); task waiters are pooled the same way, so the
//!   steady state allocates nothing.
//! * A task waiter's waker is written only by its owner (the future that registered it),
//!   under the waker lock, and the owner records the waker's identity (data and vtable
//!   pointers) in `waker_id` at the same time. Peers only read the waker (under the lock, to
//!   wake it); the owner reads `waker_id` without the lock — nobody else writes it — so a
//!   re-poll with the same waker (the common case) costs no lock.
//! * A waiter that waits on one operation may receive its value with the claim, in its
//!   hand-off slot ([`Waiter::select_with`]; the slot's rules are in `slot.rs`); its owner
//!   takes the value out before it waits again.

#[cfg(not(loom))]
use std::cell::{Cell, RefCell};
use std::fmt;
use std::task::Waker;
use std::time::Instant;

use crate::loom::{current, lock, park, Arc, AtomicUsize, Mutex, Ordering, Thread};
use crate::slot::Slot;

const WAITING: usize = 0;
const ABORTED: usize = 1;
const SELECTED_BASE: usize = 2;

/// What a [`Waiter`]'s state says after it left "waiting".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Still waiting: nobody chose it and it did not give up.
    Waiting,
    /// The blocked party gave up (timeout, cancellation, or it saw an arm ready).
    Aborted,
    /// A peer chose arm `i`.
    Selected(usize),
}

enum Target {
    Thread(Thread),
    Task {
        /// A pooled waiter keeps its waker (see `recycle`), so there always is one.
        waker: Mutex<Waker>,
        /// The stored waker's data and vtable addresses; see the module invariants.
        waker_id: [AtomicUsize; 2],
    },
}

/// What `Waker::will_wake` compares: the data and vtable pointers.
#[inline]
fn waker_id(waker: &Waker) -> [usize; 2] {
    [
        waker.data() as usize,
        std::ptr::from_ref(waker.vtable()) as usize,
    ]
}

/// One blocked party: a parked thread or an async task, plus the atomic word that decides
/// which of its operations happens.
///
/// ```
/// use ithaca_core::waiter::{Decision, Waiter};
///
/// let w = Waiter::for_thread();
/// assert!(w.try_select(1)); // a peer chooses arm 1 ...
/// assert!(!w.try_abort()); // ... so the owner can no longer give up
/// assert_eq!(w.decision(), Decision::Selected(1));
/// ```
pub struct Waiter {
    state: AtomicUsize,
    target: Target,
    slot: Slot,
}

// SAFETY: the only field that is not `Sync` by itself is the hand-off slot, whose one
// `UnsafeCell` is used by one party at a time under the rules in `slot.rs`, which
// `select_with` and `take_slot` make their callers keep (they are `unsafe`).
unsafe impl Sync for Waiter {}

impl fmt::Debug for Waiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter")
            .field("decision", &self.decision())
            .finish()
    }
}

#[cfg(not(loom))]
thread_local! {
    static THREAD_WAITER: RefCell<Option<Arc<Waiter>>> = const { RefCell::new(None) };
    /// The last recycled task waiter: most tasks wait on one thing at a time.
    static TASK_LAST: Cell<Option<Arc<Waiter>>> = const { Cell::new(None) };
    static TASK_POOL: RefCell<Vec<Arc<Waiter>>> = const { RefCell::new(Vec::new()) };
}

#[cfg(not(loom))]
const TASK_POOL_MAX: usize = 64;

impl Waiter {
    /// A fresh waiter for the current thread, in the waiting state.
    ///
    /// Reuses this thread's cached waiter when nothing else references it.
    ///
    /// # Panics
    ///
    /// Inside a goroutine's poll (see [`diag::in_goroutine`](crate::diag::in_goroutine)):
    /// parking there would block a runtime worker thread and, with it, every goroutine queued
    /// on that worker. Every blocking operation of ithaca asks for its waiter before it
    /// registers anywhere, so the panic leaves no trace in any queue.
    pub fn for_thread() -> Arc<Waiter> {
        assert!(
            !crate::diag::in_goroutine(),
            "ithaca: a blocking operation (a `*_blocking` method, `Select::wait`, \
             `select_blocking!`, a blocking iterator) was called inside a goroutine, where it \
             would park a runtime worker thread; use the async form (`.await`) in goroutines, \
             or run blocking code with `ithaca::spawn_blocking`"
        );
        #[cfg(not(loom))]
        {
            THREAD_WAITER
                .try_with(|cell| {
                    let mut cell = cell.borrow_mut();
                    if let Some(w) = cell.as_ref() {
                        if Arc::strong_count(w) == 1 {
                            debug_assert!(w.slot.is_empty(), "a waiter reused with a value");
                            w.state.store(WAITING, Ordering::Relaxed);
                            return w.clone();
                        }
                    }
                    let w = Arc::new(Self::new_thread());
                    *cell = Some(w.clone());
                    w
                })
                .unwrap_or_else(|_| Arc::new(Self::new_thread()))
        }
        #[cfg(loom)]
        {
            Arc::new(Self::new_thread())
        }
    }

    fn new_thread() -> Waiter {
        Waiter {
            state: AtomicUsize::new(WAITING),
            target: Target::Thread(current()),
            slot: Slot::new(),
        }
    }

    /// A fresh waiter for an async task, in the waiting state, that wakes `waker`.
    ///
    /// Taken from a per-thread pool when one is free; give it back with [`Waiter::recycle`].
    pub fn for_task(waker: &Waker) -> Arc<Waiter> {
        #[cfg(not(loom))]
        {
            let pooled = TASK_LAST
                .try_with(Cell::take)
                .ok()
                .flatten()
                .or_else(|| TASK_POOL.try_with(|p| p.borrow_mut().pop()).ok().flatten());
            if let Some(w) = pooled {
                // Pooled waiters are unique (see `recycle`): no peer looks at it any more.
                debug_assert!(w.slot.is_empty(), "a waiter reused with a value");
                w.state.store(WAITING, Ordering::Relaxed);
                w.set_waker(waker);
                return w;
            }
        }
        let [d, v] = waker_id(waker);
        Arc::new(Waiter {
            state: AtomicUsize::new(WAITING),
            target: Target::Task {
                waker: Mutex::new(waker.clone()),
                waker_id: [AtomicUsize::new(d), AtomicUsize::new(v)],
            },
            slot: Slot::new(),
        })
    }

    /// Returns a task waiter to this thread's pool if no queue or peer still holds it.
    ///
    /// The waiter keeps its waker, so the next wait of the same task on this thread skips
    /// cloning it again. That keeps the task's allocation (not its future, which the
    /// runtime drops when the task finishes) alive until the waiter is reused or the thread
    /// exits: at most `TASK_POOL_MAX + 1` tasks per thread.
    pub fn recycle(this: Arc<Waiter>) {
        #[cfg(not(loom))]
        {
            if Arc::strong_count(&this) != 1 || !matches!(this.target, Target::Task { .. }) {
                return;
            }
            let Ok(Some(this)) = TASK_LAST.try_with(|c| c.replace(Some(this))) else {
                return;
            };
            let _ = TASK_POOL.try_with(|p| {
                let mut p = p.borrow_mut();
                if p.len() < TASK_POOL_MAX {
                    p.push(this);
                }
            });
        }
        #[cfg(loom)]
        drop(this);
    }

    /// Replaces the waker a task waiter wakes (a future may move between tasks' wakers).
    /// Only the waiter's owner may call it (see the module invariants); when `waker` wakes
    /// the same task as the stored one, it takes no lock.
    #[inline]
    pub fn set_waker(&self, waker: &Waker) {
        if let Target::Task { waker_id: id, .. } = &self.target {
            let [d, v] = waker_id(waker);
            if id[0].load(Ordering::Relaxed) != d || id[1].load(Ordering::Relaxed) != v {
                self.replace_waker(waker);
            }
        }
    }

    #[cold]
    fn replace_waker(&self, waker: &Waker) {
        if let Target::Task {
            waker: slot,
            waker_id: id,
        } = &self.target
        {
            let [d, v] = waker_id(waker);
            let mut slot = lock(slot);
            *slot = waker.clone();
            id[0].store(d, Ordering::Relaxed);
            id[1].store(v, Ordering::Relaxed);
        }
    }

    /// Whether nobody has chosen this waiter and it has not given up.
    pub fn is_waiting(&self) -> bool {
        self.state.load(Ordering::Acquire) == WAITING
    }

    /// The current decision.
    pub fn decision(&self) -> Decision {
        match self.state.load(Ordering::Acquire) {
            WAITING => Decision::Waiting,
            ABORTED => Decision::Aborted,
            s => Decision::Selected(s - SELECTED_BASE),
        }
    }

    /// A peer claims arm `arm` of this waiter. Returns `false` if the waiter was already
    /// chosen or gave up; the peer must then leave the waiter's operation alone.
    pub fn try_select(&self, arm: usize) -> bool {
        self.state
            .compare_exchange(
                WAITING,
                SELECTED_BASE + arm,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// Whether values of type `T` fit the hand-off slot of [`Waiter::select_with`] (at most
    /// four words, aligned to at most a word).
    ///
    /// ```
    /// use ithaca_core::Waiter;
    ///
    /// assert!(Waiter::slot_fits::<String>());
    /// assert!(!Waiter::slot_fits::<[u64; 8]>());
    /// ```
    pub const fn slot_fits<T>() -> bool {
        Slot::fits::<T>()
    }

    /// A peer claims arm `arm` (as [`Waiter::try_select`]) and hands the owner `value` with
    /// the claim, in the waiter's slot, where the owner takes it ([`Waiter::take_slot`])
    /// without any lock. Returns the value if the waiter was already chosen or gave up.
    ///
    /// # Safety
    ///
    /// * `Waiter::slot_fits::<T>()`.
    /// * The waiter waits on one operation, registered in one queue whose lock the caller
    ///   holds (so no other peer uses the slot meanwhile), and its owner takes a claimed
    ///   value out with `take_slot::<T>` before it waits again.
    ///
    /// ```
    /// use ithaca_core::waiter::{Decision, Waiter};
    ///
    /// let w = Waiter::for_thread();
    /// // SAFETY: `String` fits, and this example is both the only peer and the owner.
    /// assert!(unsafe { w.select_with(0, String::from("hi")) }.is_ok());
    /// assert_eq!(w.decision(), Decision::Selected(0));
    /// assert_eq!(unsafe { w.take_slot::<String>() }.as_deref(), Some("hi"));
    /// ```
    pub unsafe fn select_with<T>(&self, arm: usize, value: T) -> Result<(), T> {
        // SAFETY: the caller's contract gives this peer the slot to itself until its claim
        // (slot invariant 1); the slot is empty because the owner empties it before it
        // waits again.
        unsafe { self.slot.put(value) };
        if self.try_select(arm) {
            return Ok(());
        }
        // SAFETY: the claim failed, so the owner never reads the slot for this wait; this
        // peer still has it to itself, and it holds the `T` just put.
        let value = unsafe { self.slot.take::<T>() };
        Err(value.expect("ithaca: the value just put in a waiter's slot"))
    }

    /// The owner takes the value a peer handed over with [`Waiter::select_with`], if the
    /// claim it saw was one of those (`None` after a plain [`Waiter::try_select`]).
    ///
    /// # Safety
    ///
    /// Only the owner calls it, after it saw a claim ([`Decision::Selected`]), with the `T`
    /// the peers hand over.
    ///
    /// ```
    /// use ithaca_core::Waiter;
    ///
    /// let w = Waiter::for_thread();
    /// assert!(w.try_select(0)); // a claim without a value ...
    /// // SAFETY: this example is the owner and saw the claim; no peer hands over a value.
    /// assert_eq!(unsafe { w.take_slot::<u64>() }, None); // ... leaves the slot empty
    /// ```
    pub unsafe fn take_slot<T>(&self) -> Option<T> {
        // SAFETY: after the claim the slot is the owner's (slot invariant 1; the claim's
        // release, which the owner's acquire of `state` saw, published the value), and a
        // full slot holds a `T` (the caller's contract).
        unsafe { self.slot.take::<T>() }
    }

    /// The blocked party gives up. Returns `false` if a peer chose it first: the chosen arm's
    /// operation has happened (or is being completed) and must be honoured.
    pub fn try_abort(&self) -> bool {
        self.state
            .compare_exchange(WAITING, ABORTED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Wakes the blocked thread or task so it re-reads the state.
    pub fn wake(&self) {
        match &self.target {
            Target::Thread(t) => t.unpark(),
            Target::Task { waker: slot, .. } => {
                // Cloned out so that no foreign code runs under the lock.
                let waker = lock(slot).clone();
                waker.wake();
            }
        }
    }

    /// Parks the current thread until the state leaves waiting or `deadline` passes, and
    /// returns the decision (still [`Decision::Waiting`] on timeout).
    ///
    /// # Blocking
    ///
    /// Blocks the calling thread; must be called from the thread this waiter was made for.
    pub fn park(&self, deadline: Option<Instant>) -> Decision {
        // A short spin first: a partner on another core often answers within a few hundred
        // nanoseconds, and parking costs a system call on each side.
        let mut spins = SPIN_ROUNDS;
        while spins > 0 {
            let d = self.decision();
            if d != Decision::Waiting {
                return d;
            }
            std::hint::spin_loop();
            spins -= 1;
        }
        loop {
            let d = self.decision();
            if d != Decision::Waiting {
                return d;
            }
            match deadline {
                None => park(),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Decision::Waiting;
                    }
                    park_timeout(deadline - now);
                }
            }
        }
    }
}

#[cfg(not(loom))]
const SPIN_ROUNDS: usize = 64;
#[cfg(loom)]
const SPIN_ROUNDS: usize = 0;

#[cfg(not(loom))]
fn park_timeout(d: std::time::Duration) {
    std::thread::park_timeout(d);
}

#[cfg(loom)]
fn park_timeout(_d: std::time::Duration) {
    // loom has no time: treat a timed park as a yield, the models use no deadlines.
    loom::thread::yield_now();
}
