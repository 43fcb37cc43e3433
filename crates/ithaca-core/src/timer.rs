//! The process-wide timer driver: wakes async tasks at deadlines, with one thread for the
//! whole process (never a thread per timer).
//!
//! Blocking waits need no driver (a parked thread parks with a timeout); async waits register
//! a [`Waker`] here and get a [`TimerKey`] to cancel with.
//!
//! # Invariants
//!
//! * Entries live in one ordered map keyed by `(deadline, sequence number)`, so firing order is
//!   deadline order and ties fire in registration order; cancel is a map removal.
//! * The driver thread sleeps on a condition variable until the earliest deadline; a
//!   registration that becomes the new earliest deadline notifies it.
//! * Wakers are woken outside the lock.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, OnceLock};
use std::task::Waker;
use std::time::Instant;

/// Identifies a registered timer, for [`cancel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerKey {
    deadline: Instant,
    seq: u64,
}

impl TimerKey {
    /// The deadline this timer fires at.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

struct Driver {
    state: Mutex<State>,
    cond: Condvar,
}

struct State {
    timers: BTreeMap<TimerKey, Waker>,
    seq: u64,
    /// The deadline the driver thread sleeps until (`None`: indefinitely). A registration
    /// notifies the driver only if it must wake earlier than that, so arming and cancelling
    /// a timer usually costs no system call.
    sleeping_until: Option<Instant>,
}

fn driver() -> &'static Driver {
    static DRIVER: OnceLock<&'static Driver> = OnceLock::new();
    DRIVER.get_or_init(|| {
        let d: &'static Driver = Box::leak(Box::new(Driver {
            state: Mutex::new(State {
                timers: BTreeMap::new(),
                seq: 0,
                sleeping_until: None,
            }),
            cond: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("ithaca-timer".into())
            .spawn(move || run(d))
            .expect("ithaca: could not start the timer thread");
        d
    })
}

fn run(d: &'static Driver) {
    let mut due: Vec<Waker> = Vec::new();
    let mut st = d.state.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let now = Instant::now();
        while let Some(entry) = st.timers.first_entry() {
            if entry.key().deadline > now {
                break;
            }
            due.push(entry.remove());
        }
        if !due.is_empty() {
            drop(st);
            for w in due.drain(..) {
                w.wake();
            }
            st = d.state.lock().unwrap_or_else(|e| e.into_inner());
            continue;
        }
        let next = st.timers.first_key_value().map(|(k, _)| k.deadline);
        st.sleeping_until = next;
        st = match next {
            None => d.cond.wait(st).unwrap_or_else(|e| e.into_inner()),
            Some(deadline) => {
                let wait = deadline.saturating_duration_since(now);
                d.cond
                    .wait_timeout(st, wait)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
        };
    }
}

/// Wakes `waker` once at `deadline` (at once if it has passed).
///
/// ```
/// use std::time::{Duration, Instant};
/// let key = ithaca_core::timer::register(Instant::now() + Duration::from_secs(60), std::task::Waker::noop());
/// assert!(ithaca_core::timer::cancel(key));
/// ```
pub fn register(deadline: Instant, waker: &Waker) -> TimerKey {
    let d = driver();
    let mut st = d.state.lock().unwrap_or_else(|e| e.into_inner());
    st.seq += 1;
    let key = TimerKey {
        deadline,
        seq: st.seq,
    };
    st.timers.insert(key, waker.clone());
    let notify = st.sleeping_until.is_none_or(|until| deadline < until);
    if notify {
        // The driver will recompute its sleep; record it now so a burst of registrations
        // notifies once.
        st.sleeping_until = Some(deadline);
    }
    drop(st);
    if notify {
        d.cond.notify_one();
    }
    key
}

/// Cancels a timer. Returns `false` if it already fired (or was cancelled).
pub fn cancel(key: TimerKey) -> bool {
    let d = driver();
    let mut st = d.state.lock().unwrap_or_else(|e| e.into_inner());
    st.timers.remove(&key).is_some()
}

/// Number of timers registered and not yet fired (for tests and diagnostics).
pub fn pending() -> usize {
    driver()
        .state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .timers
        .len()
}
