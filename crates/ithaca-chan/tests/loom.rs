//! loom models of the wait/wake/select protocol (ithaca-core's Waiter and Select, this
//! crate's channel state), on small configurations.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p ithaca-chan --test loom --release`
#![cfg(loom)]

use std::future::Future;
use std::task::{Context, Poll, Waker};

use loom::thread;

use ithaca_chan::{bounded, select_blocking, unbounded, TryRecvError};

/// A rendezvous send and a receive on two threads: the value arrives exactly once.
#[test]
fn rendezvous_handoff() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let t = thread::spawn(move || tx.send_blocking(7).unwrap());
        assert_eq!(rx.recv_blocking(), Some(7));
        t.join().unwrap();
    });
}

/// Buffered channel, both ends blocking at some point: FIFO and nothing lost.
#[test]
fn buffered_two_values() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let t = thread::spawn(move || {
            tx.send_blocking(1).unwrap();
            tx.send_blocking(2).unwrap();
        });
        assert_eq!(rx.recv_blocking(), Some(1));
        assert_eq!(rx.recv_blocking(), Some(2));
        t.join().unwrap();
    });
}

/// Close racing with a blocked receive: the receiver wakes with `None`.
#[test]
fn close_wakes_receiver() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(0);
        let t = thread::spawn(move || rx.recv_blocking());
        tx.close();
        assert_eq!(t.join().unwrap(), None);
    });
}

/// A select with two send arms against two receivers that each try once, then give up:
/// exactly one value is delivered in every interleaving.
#[test]
fn select_two_send_arms_exclusive() {
    loom::model(|| {
        let (tx1, rx1) = bounded::<u32>(1);
        let (tx2, rx2) = bounded::<u32>(1);
        let t = thread::spawn(move || {
            select_blocking! {
                send(&tx1, 1) -> r => r.unwrap(),
                send(&tx2, 2) -> r => r.unwrap(),
            }
        });
        t.join().unwrap();
        let got = [rx1.try_recv(), rx2.try_recv()];
        let delivered = got.iter().filter(|r| r.is_ok()).count();
        assert_eq!(delivered, 1, "{got:?}");
    });
}

/// A select-receiver on two rendezvous channels racing a blocking sender on one of them and
/// a non-blocking send on the other: exactly the values that were sent are received.
#[test]
fn select_recv_races_sender() {
    loom::model(|| {
        let (tx1, rx1) = bounded::<u32>(0);
        let (tx2, rx2) = bounded::<u32>(0);
        let s1 = thread::spawn(move || tx1.send_blocking(1).is_ok());
        let got = select_blocking! {
            recv(&rx1) -> v => v.unwrap(),
            recv(&rx2) -> v => v.unwrap(),
        };
        assert_eq!(got, 1);
        assert!(s1.join().unwrap());
        assert_eq!(tx2.try_send(2).is_ok(), false, "no receiver is left on rx2");
        assert_eq!(rx2.try_recv(), Err(TryRecvError::Empty));
    });
}

/// Ring mode, the Dekker pair of the module docs: a lock-free send racing a receiver that
/// queues. Either the sender sees the queued receiver and settles, or the receiver sees the
/// value when it registers: the receiver never sleeps past the value.
#[test]
fn ring_lock_free_send_meets_queued_receiver() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        let t = thread::spawn(move || rx.recv_blocking());
        tx.try_send(5).unwrap();
        assert_eq!(t.join().unwrap(), Some(5));
    });
}

/// Ring mode, the other Dekker pair: a lock-free receive from a full ring racing a sender
/// that queues; the queued value enters the ring (FIFO after the buffered one).
#[test]
fn ring_lock_free_recv_frees_queued_sender() {
    loom::model(|| {
        let (tx, rx) = bounded::<u32>(1);
        tx.try_send(1).unwrap();
        let t = thread::spawn(move || tx.send_blocking(2).is_ok());
        let first = loop {
            if let Ok(v) = rx.try_recv() {
                break v;
            }
            thread::yield_now();
        };
        assert_eq!(first, 1);
        assert_eq!(rx.recv_blocking(), Some(2));
        assert!(t.join().unwrap());
    });
}

/// Ring mode: two lock-free senders and a blocking receiver on one slot; every value
/// arrives exactly once, and closing after the senders leaves nothing behind.
#[test]
fn ring_two_senders_one_slot() {
    // Three parties spinning on one slot make long paths: raise loom's branch limit and
    // bound preemptions at 2 so the model finishes in CI.
    let mut model = loom::model::Builder::new();
    model.max_branches = 100_000;
    model.preemption_bound = Some(2);
    model.check(|| {
        let (tx, rx) = bounded::<u32>(1);
        let tx2 = tx.clone();
        let a = thread::spawn(move || tx.send_blocking(1).is_ok());
        let b = thread::spawn(move || tx2.send_blocking(2).is_ok());
        let x = rx.recv_blocking().unwrap();
        let y = rx.recv_blocking().unwrap();
        assert!(a.join().unwrap() && b.join().unwrap());
        assert_eq!(x + y, 3);
        assert_eq!(
            rx.recv_blocking(),
            None,
            "both senders dropped: closed and drained"
        );
    });
}

/// Ring mode at capacity 1 with two senders queued behind a full slot (one a pending send
/// future polled here, one a blocked thread): the receiver moves the first queued sender's
/// value to the overflow list (`late`) while the other still waits, then takes it from
/// there. Every value arrives exactly once, the buffered one first.
#[test]
fn ring_one_slot_two_queued_senders() {
    check_two_preemptions(|| {
        let (tx, rx) = bounded::<u32>(1);
        tx.try_send(1).unwrap();
        let mut queued = Box::pin(tx.send(2));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(
            queued.as_mut().poll(&mut cx).is_pending(),
            "the slot is full"
        );
        let tx2 = tx.clone();
        let b = thread::spawn(move || tx2.send_blocking(3).is_ok());
        let got: Vec<u32> = (0..3).map(|_| rx.recv_blocking().unwrap()).collect();
        assert!(b.join().unwrap());
        assert!(matches!(queued.as_mut().poll(&mut cx), Poll::Ready(Ok(()))));
        drop(queued);
        drop(tx);
        assert_eq!(got[0], 1, "the buffered value leaves first");
        let mut rest = got[1..].to_vec();
        rest.sort_unstable();
        assert_eq!(rest, [2, 3]);
        assert_eq!(rx.recv_blocking(), None, "closed and drained");
    });
}

/// Runs `f` under loom with at most two preemptions (enough for the unbounded-ring races
/// below, and small enough for CI).
fn check_two_preemptions(f: impl Fn() + Sync + Send + 'static) {
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(2);
    model.check(f);
}

/// An unbounded channel holding `1..=n`: two values in the ring (its size under loom), the
/// rest in the overflow list.
fn backlog(n: u32) -> (ithaca_chan::Sender<u32>, ithaca_chan::Receiver<u32>) {
    let (tx, rx) = unbounded::<u32>();
    for v in 1..=n {
        tx.try_send(v).unwrap();
    }
    (tx, rx)
}

/// Unbounded ring (two slots under loom): a sender overflows into `late` while a receiver
/// drains concurrently, lock-free and locked. Values arrive once each, in order: the ring's
/// values before the overflow's, and no send overtakes the overflow.
#[test]
fn unbounded_overflow_keeps_fifo() {
    check_two_preemptions(|| {
        let (tx, rx) = unbounded::<u32>();
        let t = thread::spawn(move || {
            for v in 1..=4 {
                tx.try_send(v).unwrap();
            }
        });
        for want in 1..=4 {
            assert_eq!(rx.recv_blocking(), Some(want));
        }
        t.join().unwrap();
        assert_eq!(rx.recv_blocking(), None);
    });
}

/// Unbounded ring: a receiver queues while the sender's lock-free push races it (the same
/// Dekker pair as the bounded ring); the receiver never sleeps past the value.
#[test]
fn unbounded_lock_free_send_meets_queued_receiver() {
    loom::model(|| {
        let (tx, rx) = unbounded::<u32>();
        let t = thread::spawn(move || (rx.recv_blocking(), rx.recv_blocking()));
        tx.try_send(1).unwrap();
        tx.try_send(2).unwrap();
        assert_eq!(t.join().unwrap(), (Some(1), Some(2)));
    });
}

/// Unbounded ring: a receiver working through a backlog moves the overflow into the ring in
/// a batch while a sender keeps sending (into `late`, or into the ring once `late` is
/// drained). Every value arrives once, in order.
#[test]
fn unbounded_batch_refill_races_sender() {
    check_two_preemptions(|| {
        let (tx, rx) = backlog(4);
        let t = thread::spawn(move || {
            tx.try_send(5).unwrap();
            tx.try_send(6).unwrap();
        });
        for want in 1..=6 {
            assert_eq!(rx.recv_blocking(), Some(want));
        }
        t.join().unwrap();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    });
}

/// Unbounded ring: two receivers work through a backlog; one may be in the middle of a
/// lock-free pop of the ring's last value while the other, under the lock, moves the
/// overflow into the ring. The batch must skip the slot still being popped: every value
/// arrives exactly once, each receiver's in order.
#[test]
fn unbounded_batch_refill_races_popper() {
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::sync::Arc;
    check_two_preemptions(|| {
        let (tx, rx) = backlog(5);
        // Each receive first claims one of the five values, so none blocks forever.
        let claimed = Arc::new(AtomicUsize::new(0));
        let drain = move |rx: ithaca_chan::Receiver<u32>, claimed: Arc<AtomicUsize>| {
            let mut got = Vec::new();
            while claimed.fetch_add(1, Ordering::Relaxed) < 5 {
                got.push(rx.recv_blocking().unwrap());
            }
            got
        };
        let (rx2, claimed2) = (rx.clone(), claimed.clone());
        let t = thread::spawn(move || drain(rx2, claimed2));
        let mine = drain(rx, claimed);
        let theirs = t.join().unwrap();
        drop(tx);
        assert!(mine.windows(2).all(|w| w[0] < w[1]), "{mine:?}");
        assert!(theirs.windows(2).all(|w| w[0] < w[1]), "{theirs:?}");
        let mut all = [mine, theirs].concat();
        all.sort_unstable();
        assert_eq!(all, [1, 2, 3, 4, 5]);
    });
}
