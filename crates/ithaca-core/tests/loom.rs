//! loom model of the waiter's decision word: a peer's claim and the owner's abort race, and
//! exactly one wins; a claimed waiter is woken; a value handed over with a claim reaches
//! exactly one side.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p ithaca-core --test loom --release`
#![cfg(loom)]

use ithaca_core::waiter::{Decision, Waiter};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

#[test]
fn claim_and_abort_are_exclusive() {
    loom::model(|| {
        let w = Waiter::for_thread();
        let data = Arc::new(AtomicUsize::new(0));
        let (w2, d2) = (w.clone(), data.clone());
        let peer = thread::spawn(move || {
            if w2.try_select(3) {
                d2.store(42, Ordering::Relaxed);
                w2.wake();
                true
            } else {
                false
            }
        });
        let aborted = w.try_abort();
        let claimed = peer.join().unwrap();
        assert!(aborted != claimed, "exactly one of claim and abort wins");
        if claimed {
            assert_eq!(w.decision(), Decision::Selected(3));
        } else {
            assert_eq!(w.decision(), Decision::Aborted);
        }
    });
}

#[test]
fn park_returns_after_claim() {
    loom::model(|| {
        let w = Waiter::for_thread();
        let w2 = w.clone();
        let peer = thread::spawn(move || {
            assert!(w2.try_select(0));
            w2.wake();
        });
        assert_eq!(w.park(None), Decision::Selected(0));
        peer.join().unwrap();
    });
}

/// The hand-off slot (`Waiter::select_with`): a peer hands a value over with its claim
/// while the owner parks, or gives up and looks; the value reaches exactly one side (the
/// owner after a claim, the peer back after a failed one), and loom checks that the slot's
/// cell is never used by both at once.
#[test]
fn slot_handoff_reaches_one_side() {
    loom::model(|| {
        let w = Waiter::for_thread();
        let w2 = w.clone();
        let peer = thread::spawn(move || {
            // SAFETY: `u64` fits; this model's only peer, and the owner takes a claimed
            // value out below.
            match unsafe { w2.select_with(1, 7u64) } {
                Ok(()) => {
                    w2.wake();
                    None
                }
                Err(v) => Some(v),
            }
        });
        let claimed = !w.try_abort();
        // SAFETY: the owner, after it saw the claim, with the peer's type.
        let got = if claimed {
            unsafe { w.take_slot::<u64>() }
        } else {
            None
        };
        let back = peer.join().unwrap();
        assert_eq!(got.or(back), Some(7), "the value is somewhere");
        assert!(got.is_none() || back.is_none(), "and in one place only");
        assert_eq!(claimed, got.is_some());
    });
}

/// The short-hold lock (`ithaca_core::lock`) excludes: two threads each do a non-atomic
/// read-modify-write (a load and a separate store) under it, and no update is lost. Also
/// checks that `try_lock` fails while the lock is held.
#[test]
fn spin_mutex_excludes() {
    use ithaca_core::lock::SpinMutex;
    loom::model(|| {
        let m = Arc::new(SpinMutex::new(()));
        let n = Arc::new(AtomicUsize::new(0));
        let (m2, n2) = (m.clone(), n.clone());
        let t = thread::spawn(move || {
            let _g = m2.lock();
            let v = n2.load(Ordering::Relaxed);
            n2.store(v + 1, Ordering::Relaxed);
        });
        {
            let _g = m.lock();
            assert!(m.try_lock().is_none(), "try_lock while held must fail");
            let v = n.load(Ordering::Relaxed);
            n.store(v + 1, Ordering::Relaxed);
        }
        t.join().unwrap();
        assert_eq!(
            n.load(Ordering::Relaxed),
            2,
            "an update under the lock was lost"
        );
    });
}
