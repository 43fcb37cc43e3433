//! loom models of the timer waiter lists (the virtual clock's firing vs a blocked receiver,
//! and stop racing a fire). Run with:
//! `RUSTFLAGS="--cfg loom" cargo test -p ithaca-time --test loom --release`
#![cfg(loom)]

use std::time::Duration;

use ithaca_time::Clock;

const SEC: Duration = Duration::from_secs(1);

// A thread blocked in recv() on a virtual timer is woken by another thread's advance, and
// receives exactly the due time.
#[test]
fn advance_wakes_blocked_receiver() {
    loom::model(|| {
        let clock = Clock::manual();
        let due = clock.now() + SEC;
        let mut a = clock.after(SEC);
        let c2 = clock.clone();
        let t = loom::thread::spawn(move || c2.advance(SEC));
        assert_eq!(a.recv_blocking(), due);
        t.join().unwrap();
    });
}

// stop() racing the clock's fire: either stop wins (returns true, nothing is received) or the
// fire wins (stop returns false) — and then, Go 1.23, the value is discarded too.
#[test]
fn stop_races_fire() {
    loom::model(|| {
        let clock = Clock::manual();
        let mut t = clock.timer(SEC);
        let h = t.handle();
        let c2 = clock.clone();
        let th = loom::thread::spawn(move || c2.advance(SEC));
        let stopped = h.stop();
        th.join().unwrap();
        assert_eq!(
            t.try_recv(),
            None,
            "no value after stop (stopped={stopped})"
        );
        assert_eq!(clock.pending(), 0);
    });
}

// A ticker fired while its receiver registers: the tick is either taken at registration or
// handed to the registered waiter, never lost.
#[test]
fn tick_not_lost_during_registration() {
    loom::model(|| {
        let clock = Clock::manual();
        let mut tk = clock.ticker(SEC);
        let c2 = clock.clone();
        let th = loom::thread::spawn(move || c2.advance(SEC));
        let v = tk.recv_blocking();
        th.join().unwrap();
        assert!(v > clock.now() - SEC - SEC);
    });
}
