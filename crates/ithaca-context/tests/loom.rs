//! loom models of the cancel / done wait-wake path. Run with:
//! `RUSTFLAGS="--cfg loom" cargo test -p ithaca-context --test loom --release`
#![cfg(loom)]

use std::sync::Arc;

use ithaca_context::{Cause, Context, ContextError};

// A thread blocked on done() is woken by a cancel from another thread.
#[test]
fn cancel_wakes_done_waiter() {
    loom::model(|| {
        let (ctx, cancel) = Context::with_cancel(&Context::background());
        let t = loom::thread::spawn(move || cancel.cancel());
        ctx.done().wait_blocking();
        assert_eq!(ctx.err(), Some(ContextError::Canceled));
        t.join().unwrap();
    });
}

// Two cancels with different causes race: exactly one cause wins and every observer agrees.
#[test]
fn first_cause_wins() {
    loom::model(|| {
        let (ctx, cancel) = Context::with_cancel_cause(&Context::background());
        let a: Cause = Arc::new(std::fmt::Error);
        let b: Cause = Arc::new(std::fmt::Error);
        let (a2, cancel) = (a.clone(), Arc::new(cancel));
        let c2 = cancel.clone();
        let t = loom::thread::spawn(move || c2.cancel_with_cause(a2));
        cancel.cancel_with_cause(b.clone());
        t.join().unwrap();
        let got = ctx.cause().unwrap();
        assert!(Arc::ptr_eq(&got, &a) || Arc::ptr_eq(&got, &b));
        assert!(Arc::ptr_eq(&got, &ctx.cause().unwrap()));
    });
}

// A child created while its parent is being cancelled ends cancelled either way, and the
// parent's child list ends empty.
#[test]
fn child_registration_races_parent_cancel() {
    loom::model(|| {
        let (parent, cancel) = Context::with_cancel(&Context::background());
        let t = loom::thread::spawn(move || cancel.cancel());
        let (child, _h) = Context::with_cancel(&parent);
        t.join().unwrap();
        assert_eq!(child.err(), Some(ContextError::Canceled));
        assert_eq!(parent.child_count(), 0);
    });
}
