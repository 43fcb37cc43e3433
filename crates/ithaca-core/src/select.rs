//! The select protocol: wait on many operations, complete exactly one.
//!
//! An operation that can take part in a select is an [`Arm`]: a channel receive or send, a
//! timer, a context's `done()`, or any user type that implements the trait. [`Select`] runs a
//! set of arms from a thread ([`Select::wait`]) or from a task (`.await`).
//!
//! # The protocol
//!
//! 1. **Poll.** The arms are visited in a uniformly random order (Go's `pollorder`), or in
//!    order when `biased`. The first arm whose [`Arm::try_complete`] succeeds wins: the
//!    operation happened, nothing was registered anywhere, the select is over.
//! 2. **Default.** If no arm was ready and the select has a default, the default is taken.
//! 3. **Register.** A [`Waiter`] in the waiting state is registered with every arm, in the
//!    same order. If an arm reports [`Registration::Ready`] instead (it became ready since the
//!    poll), the selector tries to **abort** its waiter: if that succeeds it unregisters what
//!    it registered and starts again at 1; if it fails, a peer chose one of the already
//!    registered arms first, and that choice stands.
//! 4. **Wait.** The thread parks (with a timeout at the earliest [`Arm::deadline`]) or the task
//!    returns `Pending` (with the timer driver set to wake it at that deadline). A peer that
//!    completes an operation with a registered arm first claims the waiter with
//!    [`Waiter::try_select`] — the single compare-and-swap that decides the select — then
//!    performs the operation on the arm's entry and wakes the waiter. When a deadline passes,
//!    the selector aborts its waiter and goes back to 1, where the timer arm is ready.
//! 5. **Unregister.** Every arm is unregistered with its [`Outcome`]; the chosen arm collects
//!    its result (a received value, or the news that its channel closed).
//!
//! Because a peer must win the compare-and-swap before touching an arm, and the owner removes
//! its entries before reusing the waiter, **exactly one arm's operation happens**, and an arm
//! that is not chosen never delivers its value.
//!
//! # Cancellation
//!
//! Dropping the future of an async select that is registered aborts the waiter. If a peer
//! chose an arm first, that arm is unregistered with [`Outcome::ChosenButCancelled`]: a send
//! arm's value has been delivered (the send happened), and a receive arm must give its value
//! back to its channel, so a cancelled select never loses a value.

use std::future::{Future, IntoFuture};
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::backoff::Backoff;
use crate::diag;
use crate::loom::Arc;
use crate::rng;
use crate::timer::{self, TimerKey};
use crate::waiter::{Decision, Waiter};

/// The answer of [`Arm::register`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Registration {
    /// The waiter is registered; a peer may choose it from now on.
    Registered,
    /// The arm could complete right now, so it registered nothing: the selector should
    /// start over.
    Ready,
}

/// How an arm's registration ends, passed to [`Arm::unregister`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Another arm was chosen, or the select gave up: remove the registration. A send arm
    /// keeps its value.
    NotChosen,
    /// A peer chose this arm: remove the registration and collect the result.
    Chosen,
    /// A peer chose this arm, but the select was cancelled before it could report it: the arm
    /// must not lose its result (a receive arm gives the value back to its channel).
    ChosenButCancelled,
}

/// One operation that can take part in a select.
///
/// Implementations keep their own result (a received value, a send's returned value) for the
/// caller to take after the select reports which arm won. Every method may be called from any
/// thread; none of them blocks for long (they take at most a channel's lock).
///
/// ```
/// use std::sync::Arc;
/// use ithaca_core::{Arm, Outcome, Registration, Select, Waiter};
///
/// /// An arm that is always ready (like a closed channel's receive).
/// struct Ready(bool);
/// impl Arm for Ready {
///     fn try_complete(&mut self) -> bool { self.0 = true; true }
///     fn register(&mut self, _: &Arc<Waiter>, _: usize) -> Registration { Registration::Ready }
///     fn unregister(&mut self, _: &Arc<Waiter>, _: Outcome) {}
/// }
/// let mut a = Ready(false);
/// assert_eq!(Select::new(&mut [&mut a]).wait(), Some(0));
/// assert!(a.0);
/// ```
pub trait Arm: Send {
    /// Performs the operation now if it can proceed without blocking; returns whether it did.
    /// Called only while this select is registered nowhere.
    fn try_complete(&mut self) -> bool;

    /// Registers `waiter` as waiting on this operation, as arm number `index`. Returns
    /// [`Registration::Ready`] (registering nothing) if the operation could proceed now.
    fn register(&mut self, waiter: &Arc<Waiter>, index: usize) -> Registration;

    /// Removes the registration made by [`Arm::register`]; see [`Outcome`].
    fn unregister(&mut self, waiter: &Arc<Waiter>, outcome: Outcome);

    /// A time at which this arm becomes ready by itself (timers), if any.
    fn deadline(&self) -> Option<Instant> {
        None
    }

    /// Go-style wait reason reported when a select on this arm alone blocks.
    fn wait_reason(&self) -> &'static str {
        "select"
    }

    /// Whether only another party's action can make this arm ready (channels, locks), as
    /// opposed to the passage of time.
    fn is_durable(&self) -> bool {
        true
    }

    /// A counter that changes whenever this arm may have *become* ready (for a channel: any
    /// change of its state). A select with a default reads it before polling and again after;
    /// it takes the default only if no arm's counter moved, so the default is taken at an
    /// instant when no arm was ready (Go's `TestNonblockSelectRace`). Arms that cannot tell
    /// return a constant.
    fn version(&self) -> u64 {
        0
    }

    /// Whether a blocking select ([`Select::wait`]) should retry this arm a few times
    /// (spinning, then yielding; see [`crate::backoff`]) before it registers and parks: true
    /// for an operation that a busy peer usually makes possible within microseconds without
    /// this select being registered, such as a send or receive on a buffered channel. A
    /// select retries if any of its arms says so; async selects never retry.
    fn retry_helps(&self) -> bool {
        false
    }
}

impl<A: Arm + ?Sized> Arm for &mut A {
    fn try_complete(&mut self) -> bool {
        (**self).try_complete()
    }
    fn register(&mut self, waiter: &Arc<Waiter>, index: usize) -> Registration {
        (**self).register(waiter, index)
    }
    fn unregister(&mut self, waiter: &Arc<Waiter>, outcome: Outcome) {
        (**self).unregister(waiter, outcome)
    }
    fn deadline(&self) -> Option<Instant> {
        (**self).deadline()
    }
    fn wait_reason(&self) -> &'static str {
        (**self).wait_reason()
    }
    fn is_durable(&self) -> bool {
        (**self).is_durable()
    }
    fn version(&self) -> u64 {
        (**self).version()
    }
    fn retry_helps(&self) -> bool {
        (**self).retry_helps()
    }
}

/// Options of a select: [`Select::biased`], [`Select::default`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SelectOptions {
    /// Poll arms in the order given instead of a random order.
    pub biased: bool,
    /// Take the default (return `None`) if no arm is ready at the poll.
    pub default: bool,
}

/// A select over a set of [`Arm`]s: Go's `select` statement as a builder.
///
/// `wait()` runs it on the current thread; `.await` runs it in a task. Both return the index
/// of the arm that completed, or `None` when the select has a default and no arm was ready.
/// The `select!` macro of `ithaca-chan` is sugar for this type.
///
/// ```
/// use std::sync::Arc;
/// use ithaca_core::{Arm, Outcome, Registration, Select, Waiter};
///
/// struct Never;
/// impl Arm for Never {
///     fn try_complete(&mut self) -> bool { false }
///     fn register(&mut self, _: &Arc<Waiter>, _: usize) -> Registration { Registration::Registered }
///     fn unregister(&mut self, _: &Arc<Waiter>, _: Outcome) {}
/// }
/// // No arm is ready, so the default is taken.
/// assert_eq!(Select::new(&mut [&mut Never]).default().wait(), None);
/// ```
#[must_use = "a select does nothing until `.wait()` or `.await`"]
pub struct Select<'a, 'b> {
    arms: &'a mut [&'b mut dyn Arm],
    opts: SelectOptions,
    location: &'static Location<'static>,
    reason: Option<&'static str>,
}

impl<'a, 'b> Select<'a, 'b> {
    /// A select over `arms`, fair (random order), without default.
    #[track_caller]
    pub fn new(arms: &'a mut [&'b mut dyn Arm]) -> Self {
        assert!(
            arms.len() <= usize::from(u16::MAX),
            "select: too many arms ({}), at most 65535",
            arms.len()
        );
        Select {
            arms,
            opts: SelectOptions::default(),
            location: Location::caller(),
            reason: None,
        }
    }

    /// Polls the arms in the order given, so earlier arms win ties (`select_biased`).
    pub fn biased(mut self) -> Self {
        self.opts.biased = true;
        self
    }

    /// Adds Go's `default`: if no arm is ready at the poll, return `None` at once.
    #[allow(clippy::should_implement_trait)]
    pub fn default(mut self) -> Self {
        self.opts.default = true;
        self
    }

    /// Reports `location` as where this select waits, instead of the caller of
    /// [`Select::new`] (for wrappers that capture their own caller with `#[track_caller]`).
    pub fn with_location(mut self, location: &'static Location<'static>) -> Self {
        self.location = location;
        self
    }

    /// Reports `reason` (a Go-style wait reason such as `"sync.Mutex.Lock"`) while this
    /// select blocks, instead of `"select"` (for wrappers such as lock-or-cancel).
    pub fn with_reason(mut self, reason: &'static str) -> Self {
        self.reason = Some(reason);
        self
    }

    /// Sets both options at once (used by macros).
    pub fn options(mut self, opts: SelectOptions) -> Self {
        self.opts = opts;
        self
    }

    /// Runs the select on the current thread.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until an arm completes (or returns at once with a default).
    /// A select with no arms and no default blocks forever, as in Go. Before it registers
    /// and parks, a select with an arm whose [`Arm::retry_helps`] polls its arms again a few
    /// times, spinning and then yielding ([`crate::backoff`]).
    pub fn wait(self) -> Option<usize> {
        let Select {
            arms,
            opts,
            location,
            reason,
        } = self;
        let mut buf = [0u16; INLINE_ARMS];
        let mut heap = Vec::new();
        let order = order_slice(arms.len(), &mut buf, &mut heap);
        let mut backoff = if arms.iter().any(|a| a.retry_helps()) {
            Backoff::new()
        } else {
            Backoff::exhausted()
        };
        loop {
            if let Some(done) = poll_arms(arms, order, opts) {
                return done;
            }
            if !backoff.is_done() {
                backoff.snooze();
                continue;
            }
            let waiter = Waiter::for_thread();
            let (registered, ready) = register_arms(arms, order, &waiter);
            let decision = if ready {
                abort_or_decision(&waiter)
            } else {
                let (described, durable, deadline) = describe(arms);
                let _blocked =
                    diag::ThreadWait::begin(reason.unwrap_or(described), durable, location);
                match waiter.park(deadline) {
                    Decision::Waiting => abort_or_decision(&waiter),
                    d => d,
                }
            };
            let chosen = chosen(decision);
            for &i in &order[..registered] {
                let i = usize::from(i);
                arms[i].unregister(&waiter, outcome_for(i, chosen, false));
            }
            if chosen.is_some() {
                return chosen;
            }
        }
    }
}

impl<'a, 'b> IntoFuture for Select<'a, 'b> {
    type Output = Option<usize>;
    type IntoFuture = SelectFuture<'a, 'b>;

    fn into_future(self) -> SelectFuture<'a, 'b> {
        SelectFuture {
            sel: self,
            waiter: None,
            timer: None,
            deadline: None,
            note: ("select", true),
        }
    }
}

const INLINE_ARMS: usize = 32;

fn order_slice<'o>(
    n: usize,
    buf: &'o mut [u16; INLINE_ARMS],
    heap: &'o mut Vec<u16>,
) -> &'o mut [u16] {
    if n <= INLINE_ARMS {
        &mut buf[..n]
    } else {
        heap.resize(n, 0);
        &mut heap[..]
    }
}

/// Steps 1 and 2: `Some(result)` if an arm completed or the default was taken.
fn poll_arms(
    arms: &mut [&mut dyn Arm],
    order: &mut [u16],
    opts: SelectOptions,
) -> Option<Option<usize>> {
    loop {
        if opts.biased {
            for (i, o) in order.iter_mut().enumerate() {
                *o = i as u16;
            }
        } else {
            rng::permutation(order);
        }
        // Only a select with a default needs a consistent view of all arms at one instant.
        let before = if opts.default { versions(arms) } else { 0 };
        for &i in order.iter() {
            let i = usize::from(i);
            if arms[i].try_complete() {
                return Some(Some(i));
            }
        }
        if !opts.default {
            return None;
        }
        // Each arm was not ready when polled; if none changed since, none is ready now.
        if versions(arms) == before {
            return Some(None);
        }
    }
}

/// A combined fingerprint of the arms' versions (a sum that wraps: any single change moves it).
fn versions(arms: &[&mut dyn Arm]) -> u64 {
    arms.iter().enumerate().fold(0u64, |acc, (i, a)| {
        acc.wrapping_add(a.version().wrapping_mul(2 * i as u64 + 1))
    })
}

/// Step 3: returns how many arms (a prefix of `order`) are registered, and whether an arm
/// reported ready (which stops the registration).
fn register_arms(arms: &mut [&mut dyn Arm], order: &[u16], waiter: &Arc<Waiter>) -> (usize, bool) {
    for (n, &i) in order.iter().enumerate() {
        let i = usize::from(i);
        if arms[i].register(waiter, i) == Registration::Ready {
            return (n, true);
        }
    }
    (order.len(), false)
}

fn abort_or_decision(waiter: &Waiter) -> Decision {
    if waiter.try_abort() {
        Decision::Aborted
    } else {
        waiter.decision()
    }
}

fn chosen(d: Decision) -> Option<usize> {
    match d {
        Decision::Selected(i) => Some(i),
        Decision::Aborted => None,
        Decision::Waiting => unreachable!("select: waiter still waiting after its wait ended"),
    }
}

fn outcome_for(i: usize, chosen: Option<usize>, cancelled: bool) -> Outcome {
    match (chosen == Some(i), cancelled) {
        (false, _) => Outcome::NotChosen,
        (true, false) => Outcome::Chosen,
        (true, true) => Outcome::ChosenButCancelled,
    }
}

/// The wait reason, durability and earliest deadline of a blocked select.
fn describe(arms: &[&mut dyn Arm]) -> (&'static str, bool, Option<Instant>) {
    let reason = match arms {
        [] => "select (no cases)",
        [one] => one.wait_reason(),
        _ => "select",
    };
    let deadline = arms.iter().filter_map(|a| a.deadline()).min();
    let durable = deadline.is_none() && arms.iter().all(|a| a.is_durable());
    (reason, durable, deadline)
}

/// The future of an async [`Select`] (`select.await`).
///
/// # Cancel safety
///
/// Dropping it never loses a value: if no arm was chosen yet, nothing happened; if a peer
/// chose a send arm, that send happened; if a peer chose a receive arm, the value goes back to
/// the front of its channel.
#[must_use = "futures do nothing unless polled"]
pub struct SelectFuture<'a, 'b> {
    sel: Select<'a, 'b>,
    /// `Some` while every arm is registered with this waiter.
    waiter: Option<Arc<Waiter>>,
    timer: Option<TimerKey>,
    deadline: Option<Instant>,
    /// The wait reason and durability reported while blocked (computed at registration).
    note: (&'static str, bool),
}

impl SelectFuture<'_, '_> {
    /// Unregisters every arm, cancels the timer and recycles the waiter.
    fn finish(&mut self, chosen: Option<usize>, cancelled: bool) {
        if let Some(key) = self.timer.take() {
            timer::cancel(key);
        }
        if let Some(w) = self.waiter.take() {
            for (i, arm) in self.sel.arms.iter_mut().enumerate() {
                arm.unregister(&w, outcome_for(i, chosen, cancelled));
            }
            Waiter::recycle(w);
        }
    }
}

impl Future for SelectFuture<'_, '_> {
    type Output = Option<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<usize>> {
        let this = &mut *self;
        let mut buf = [0u16; INLINE_ARMS];
        let mut heap = Vec::new();
        loop {
            if let Some(w) = &this.waiter {
                w.set_waker(cx.waker());
                let mut d = w.decision();
                if d == Decision::Waiting {
                    match this.deadline {
                        Some(dl) if Instant::now() >= dl => d = abort_or_decision(w),
                        _ => {
                            let (reason, durable) = this.note;
                            diag::note_wait(reason, durable, this.sel.location);
                            return Poll::Pending;
                        }
                    }
                }
                let chosen = chosen(d);
                this.finish(chosen, false);
                if chosen.is_some() {
                    return Poll::Ready(chosen);
                }
                continue;
            }
            let arms = &mut *this.sel.arms;
            let order = order_slice(arms.len(), &mut buf, &mut heap);
            if let Some(done) = poll_arms(arms, order, this.sel.opts) {
                return Poll::Ready(done);
            }
            let waiter = Waiter::for_task(cx.waker());
            let (registered, ready) = register_arms(arms, order, &waiter);
            if ready {
                let chosen = chosen(abort_or_decision(&waiter));
                for &i in &order[..registered] {
                    let i = usize::from(i);
                    arms[i].unregister(&waiter, outcome_for(i, chosen, false));
                }
                Waiter::recycle(waiter);
                if chosen.is_some() {
                    return Poll::Ready(chosen);
                }
                continue;
            }
            let (described, durable, deadline) = describe(arms);
            this.note = (this.sel.reason.unwrap_or(described), durable);
            this.deadline = deadline;
            this.timer = deadline.map(|dl| timer::register(dl, cx.waker()));
            this.waiter = Some(waiter);
            // Loop: a peer may already have chosen us while we registered.
        }
    }
}

impl Drop for SelectFuture<'_, '_> {
    fn drop(&mut self) {
        if let Some(w) = &self.waiter {
            let chosen = chosen(abort_or_decision(w));
            self.finish(chosen, true);
        }
    }
}
