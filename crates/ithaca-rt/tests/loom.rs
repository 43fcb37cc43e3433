//! Loom models of ithaca-rt's synchronisation internals:
//! `RUSTFLAGS="--cfg loom" cargo test -p ithaca-rt --test loom --release`.
#![cfg(loom)]

use std::panic::Location;

use ithaca_rt::__loom::{Record, Registry};
use loom::sync::Arc;
use loom::thread;

fn record(id: u64) -> Record {
    Record::new(id, None, Location::caller(), 0, false)
}

/// A panic racing with the JoinHandle's drop is reported exactly once, with its message.
#[test]
fn unjoined_panic_reported_exactly_once() {
    loom::model(|| {
        let rec = Arc::new(record(1));
        let r2 = rec.clone();
        let t = thread::spawn(move || r2.report.panicked("boom".to_owned()));
        let by_detach = rec.report.detached();
        let by_panic = t.join().unwrap();
        let reports: Vec<String> = by_detach.into_iter().chain(by_panic).collect();
        assert_eq!(reports, ["boom"]);
    });
}

/// Concurrent spawns and exits on one shard keep the slab and its length consistent.
#[test]
fn registry_insert_remove_race() {
    loom::model(|| {
        let reg = Arc::new(Registry::new(1));
        let kept = reg.insert(0, Arc::new(record(1)));
        let r2 = reg.clone();
        let t = thread::spawn(move || {
            let s = r2.insert(0, Arc::new(record(2)));
            assert_eq!(r2.remove(s).map(|r| r.id), Some(2));
        });
        assert_eq!(reg.remove(kept).map(|r| r.id), Some(1));
        let n = reg.len();
        assert!(n <= 1, "len {n}");
        t.join().unwrap();
        assert_eq!(reg.len(), 0);
        assert!(reg.records().is_empty());
        // A freed slot is reused and a double remove is harmless.
        let s = reg.insert(0, Arc::new(record(3)));
        assert_eq!(reg.remove(s).map(|r| r.id), Some(3));
        assert!(reg.remove(s).is_none());
    });
}

/// A snapshot that sees a goroutine `Blocked` also sees the note that made it so.
#[test]
fn blocked_state_implies_visible_note() {
    loom::model(|| {
        let rec = Arc::new(record(1));
        let r2 = rec.clone();
        let t = thread::spawn(move || {
            r2.begin_poll();
            r2.note("chan receive", Location::caller(), true);
            r2.end_poll_pending();
        });
        if rec.is_blocked() {
            let w = rec.wait().expect("blocked without a note");
            assert_eq!(w.op, "chan receive");
            assert!(w.durable);
        }
        t.join().unwrap();
        assert!(rec.is_blocked());
    });
}
