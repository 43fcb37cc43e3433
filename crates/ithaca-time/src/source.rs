//! The shared state of one timer (one-shot or periodic, channel or callback) and how it fires.
//!
//! Owns: [`TimerCore`], the state behind `After`, `Tick`, `Timer`, `Ticker` and `after_func`.
//!
//! # Invariants
//!
//! * `when` is the next firing time (`None`: stopped or fired one-shot). A timer *fires* when
//!   someone observes `now >= when` under the lock ([`TimerCore::due`]): a receive or a
//!   registration on the real clock (lazily, the select driver parks until
//!   [`Arm::deadline`](ithaca_core::Arm::deadline)), the virtual clock's `advance`, or the
//!   process-wide timer thread for callbacks and for timers reset while a select waits on them.
//! * A fired value goes first to a registered waiter that wins [`Waiter::try_select`] (its
//!   entry gets the value), else into `slot` (a one-value buffer); if `slot` is full the value
//!   is dropped (a ticker drops ticks for slow receivers, as Go does).
//! * `stop`/`reset` clear `slot`: after they return no stale value is received (Go 1.23).
//! * On a virtual clock the timer is in the clock's queue under `vkey` exactly while `when` is
//!   `Some`; lock order is timer, then clock.

use std::sync::Arc as StdArc;
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use ithaca_core::timer::{self, TimerKey};
use ithaca_core::Waiter;

use crate::clock::{Clock, VKey};
use crate::loom::{lock, Arc, Mutex, MutexGuard};

/// A callback of `after_func` (runs on a new thread) or of an internal deadline (runs inline).
#[derive(Clone)]
pub(crate) struct Func {
    pub(crate) f: StdArc<dyn Fn() + Send + Sync>,
    pub(crate) inline: bool,
}

pub(crate) struct Entry {
    pub(crate) waiter: Arc<Waiter>,
    pub(crate) index: usize,
    pub(crate) value: Option<Instant>,
}

pub(crate) struct St {
    pub(crate) when: Option<Instant>,
    pub(crate) period: Option<Duration>,
    pub(crate) slot: Option<Instant>,
    pub(crate) entries: Vec<Entry>,
    pub(crate) vkey: Option<VKey>,
    rkey: Option<TimerKey>,
    /// Real clock: keep an active timer-thread registration (callbacks, or a timer reset
    /// while selects wait on it).
    active: bool,
    func: Option<Func>,
}

pub(crate) struct TimerCore {
    pub(crate) clock: Clock,
    st: Mutex<St>,
}

/// What firing produced, acted on after the lock is released.
#[derive(Default)]
pub(crate) struct Fired {
    wake: Option<Arc<Waiter>>,
    run: Option<Func>,
}

impl Fired {
    pub(crate) fn run(self) {
        if let Some(w) = self.wake {
            w.wake();
        }
        if let Some(func) = self.run {
            if func.inline {
                (func.f)();
            } else {
                let f = func.f;
                std::thread::Builder::new()
                    .name("ithaca-after-func".into())
                    .spawn(move || f())
                    .expect("ithaca-time: could not start the thread of an after_func callback");
            }
        }
    }
}

struct FireWaker(Arc<TimerCore>);

impl Wake for FireWaker {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref()
    }
    fn wake_by_ref(self: &StdArc<Self>) {
        let core = &self.0;
        let mut st = core.lock();
        st.rkey = None;
        let fired = TimerCore::due(core, &mut st, core.clock.now());
        drop(st);
        fired.run();
    }
}

/// The next firing time of a periodic timer that fired at `w`, skipping ticks already missed
/// at `now` (Go: "drops ticks to make up for slow receivers").
fn next_tick(w: Instant, p: Duration, now: Instant) -> Instant {
    let next = w + p;
    if next > now {
        return next;
    }
    let behind = now.duration_since(w).as_nanos();
    let k = behind / p.as_nanos() + 1;
    let k = u32::try_from(k).unwrap_or(u32::MAX);
    w.checked_add(p.saturating_mul(k)).unwrap_or(now + p)
}

impl TimerCore {
    pub(crate) fn new(
        clock: &Clock,
        when: Option<Instant>,
        period: Option<Duration>,
        func: Option<Func>,
    ) -> Arc<TimerCore> {
        let active = func.is_some();
        let core = Arc::new(TimerCore {
            clock: clock.clone(),
            st: Mutex::new(St {
                when,
                period,
                slot: None,
                entries: Vec::new(),
                vkey: None,
                rkey: None,
                active,
                func,
            }),
        });
        if when.is_some() && (clock.is_virtual() || active) {
            let mut st = core.lock();
            TimerCore::resched(&core, &mut st);
        }
        core
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, St> {
        lock(&self.st)
    }

    /// Fires the timer if `now` reached its time; see the module invariants.
    pub(crate) fn due(this: &Arc<Self>, st: &mut St, now: Instant) -> Fired {
        let mut fired = Fired::default();
        let Some(w) = st.when else {
            return fired;
        };
        if w > now {
            return fired;
        }
        st.when = st.period.map(|p| next_tick(w, p, now));
        TimerCore::resched(this, st);
        if let Some(func) = &st.func {
            fired.run = Some(func.clone());
            return fired;
        }
        if st.slot.is_some() {
            return fired; // a slow receiver: drop this tick
        }
        for e in st.entries.iter_mut() {
            if e.value.is_none() && e.waiter.try_select(e.index) {
                e.value = Some(w);
                fired.wake = Some(e.waiter.clone());
                return fired;
            }
        }
        st.slot = Some(w);
        fired
    }

    /// Fires if due at the clock's current time (used by receives and registrations).
    pub(crate) fn sync(this: &Arc<Self>, st: &mut St) -> Fired {
        match st.when {
            Some(w) if w <= this.clock.now() => TimerCore::due(this, st, this.clock.now()),
            _ => Fired::default(),
        }
    }

    /// Re-registers the timer with the virtual clock / the timer thread after `when` changed.
    fn resched(this: &Arc<Self>, st: &mut St) {
        match this.clock.virtual_clock() {
            Some(v) => {
                if let Some(k) = st.vkey.take() {
                    v.remove(k);
                }
                if let Some(w) = st.when {
                    st.vkey = Some(v.insert(w, Arc::clone(this)));
                }
            }
            None => {
                if let Some(k) = st.rkey.take() {
                    timer::cancel(k);
                }
                if let (Some(w), true) = (st.when, st.active) {
                    let waker = Waker::from(StdArc::new(FireWaker(Arc::clone(this))));
                    st.rkey = Some(timer::register(w, &waker));
                }
            }
        }
    }

    /// Go's `Stop`: whether the call stopped an active timer. Clears any unreceived value.
    pub(crate) fn stop(this: &Arc<Self>) -> bool {
        let mut st = this.lock();
        let fired = TimerCore::sync(this, &mut st);
        let was_active = st.when.is_some();
        st.when = None;
        st.slot = None;
        TimerCore::resched(this, &mut st);
        drop(st);
        fired.run();
        was_active
    }

    /// Go's `Reset`: whether the timer was active. Clears any unreceived value.
    pub(crate) fn reset(this: &Arc<Self>, d: Duration, period: Option<Duration>) -> bool {
        let mut st = this.lock();
        let fired = TimerCore::sync(this, &mut st);
        let was_active = st.when.is_some();
        st.when = Some(this.clock.now() + d);
        if period.is_some() {
            st.period = period;
        }
        st.slot = None;
        if !st.entries.is_empty() {
            // A select waits on this timer with the old deadline: fire actively.
            st.active = true;
        }
        TimerCore::resched(this, &mut st);
        drop(st);
        fired.run();
        was_active
    }

    /// The owner went away: nobody can receive any more, so the timer stops (callbacks excepted).
    pub(crate) fn release(this: &Arc<Self>) {
        let mut st = this.lock();
        if st.func.is_none() {
            st.when = None;
            st.slot = None;
            st.active = false;
            TimerCore::resched(this, &mut st);
        }
    }

    /// The virtual clock reached this timer's key `k`.
    pub(crate) fn fire_virtual(this: &Arc<Self>, k: VKey) {
        let mut st = this.lock();
        if st.vkey == Some(k) {
            st.vkey = None;
        }
        let fired = TimerCore::due(this, &mut st, this.clock.now());
        drop(st);
        fired.run();
    }

    pub(crate) fn is_real(&self) -> bool {
        !self.clock.is_virtual()
    }
}

impl St {
    pub(crate) fn remove_entry(&mut self, w: &Arc<Waiter>) -> Option<Entry> {
        let pos = self
            .entries
            .iter()
            .position(|e| Arc::ptr_eq(&e.waiter, w))?;
        let e = self.entries.swap_remove(pos);
        if self.entries.is_empty() && self.func.is_none() {
            self.active = false;
        }
        Some(e)
    }
}
