//! loom model of the waiter's decision word: a peer's claim and the owner's abort race, and
//! exactly one wins; a claimed waiter is woken.
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
