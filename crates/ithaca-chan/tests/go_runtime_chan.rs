//! Ports of Go's runtime channel tests, `src/runtime/chan_test.go`: `TestChan` (every
//! capacity 0..199), `TestNonblockRecvRace`, `TestPseudoRandomSend`, `TestMultiConsumer` and
//! `TestSelectDuplicateChannel`. (`TestNonblockSelectRace`/`2`, `TestSelfSelect`,
//! `TestSelectStress` and `TestSelectFairness` are in tests/select.rs.)
//!
//! Written from the behaviour described in go-semantics.md §2.3, not copied. Go orders its
//! goroutines with 1 ms sleeps ("make sure it is parked"); here a test waits until
//! `waiting()` shows the party parked, then checks it has not returned.
//! Differs from Go: `None` stands for Go's zero value with `ok == false`.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use ithaca_chan::{bounded, select_blocking, TryRecvError, TrySendError};

fn test_chan_cap(cap: usize) {
    // Receive from an empty channel blocks (both forms), and a non-blocking receive
    // takes default.
    {
        let (tx, rx) = bounded::<i32>(cap);
        let done: Vec<_> = (0..2).map(|_| Arc::new(AtomicBool::new(false))).collect();
        let receivers: Vec<_> = (0..2)
            .map(|k| {
                let (rx, done) = (rx.clone(), done[k].clone());
                thread::spawn(move || {
                    let v = if k == 0 {
                        rx.recv_blocking()
                    } else {
                        rx.iter().next()
                    };
                    done.store(true, Ordering::SeqCst);
                    v
                })
            })
            .collect();
        common::eventually("two receivers parked", || rx.waiting().0 == 2);
        assert!(
            !done[0].load(Ordering::SeqCst) && !done[1].load(Ordering::SeqCst),
            "chan[{cap}]: receive from empty chan"
        );
        assert_eq!(
            rx.try_recv(),
            Err(TryRecvError::Empty),
            "chan[{cap}]: try_recv"
        );
        let took_default = select_blocking! { recv(&rx) -> _v => false, default => true };
        assert!(took_default, "chan[{cap}]: select receive from empty chan");
        tx.send_blocking(0).unwrap();
        tx.send_blocking(0).unwrap();
        for r in receivers {
            assert_eq!(r.join().unwrap(), Some(0));
        }
    }

    // Send to a full channel blocks, and a non-blocking send takes default.
    {
        let (tx, rx) = bounded::<i32>(cap);
        for i in 0..cap {
            tx.send_blocking(i as i32).unwrap();
        }
        let sent = Arc::new(AtomicBool::new(false));
        let sender = {
            let (tx, sent) = (tx.clone(), sent.clone());
            thread::spawn(move || {
                tx.send_blocking(0).unwrap();
                sent.store(true, Ordering::SeqCst);
            })
        };
        common::eventually("sender parked", || tx.waiting().1 == 1);
        assert!(
            !sent.load(Ordering::SeqCst),
            "chan[{cap}]: send to full chan"
        );
        assert_eq!(
            tx.try_send(0),
            Err(TrySendError::Full(0)),
            "chan[{cap}]: try_send"
        );
        let took_default = select_blocking! { send(&tx, 0) -> _r => false, default => true };
        assert!(took_default, "chan[{cap}]: select send to full chan");
        rx.recv_blocking().unwrap();
        sender.join().unwrap();
        assert!(sent.load(Ordering::SeqCst));
    }

    // A closed channel yields what is buffered, in order, then "closed" (twice).
    {
        let (tx, rx) = bounded::<usize>(cap);
        for i in 0..cap {
            tx.send_blocking(i).unwrap();
        }
        assert!(tx.close());
        for i in 0..cap {
            assert_eq!(
                rx.recv_blocking(),
                Some(i),
                "chan[{cap}]: received out of order"
            );
        }
        assert_eq!(rx.recv_blocking(), None, "chan[{cap}]: receive from closed");
        assert_eq!(
            rx.recv_blocking(),
            None,
            "chan[{cap}]: receive from closed again"
        );
    }

    // Close unblocks a parked receiver with "closed".
    {
        let (tx, rx) = bounded::<i32>(cap);
        let r = {
            let rx = rx.clone();
            thread::spawn(move || rx.recv_blocking())
        };
        common::eventually("receiver parked", || rx.waiting().0 == 1);
        tx.close();
        assert_eq!(
            r.join().unwrap(),
            None,
            "chan[{cap}]: close did not unblock"
        );
    }

    // 100 integers in FIFO order, through both receive forms.
    {
        let (tx, rx) = bounded::<usize>(cap);
        for form in 0..2 {
            let tx = tx.clone();
            let s = thread::spawn(move || (0..100).for_each(|i| tx.send_blocking(i).unwrap()));
            for i in 0..100 {
                let v = if form == 0 {
                    rx.recv_blocking()
                } else {
                    rx.iter().next()
                };
                assert_eq!(v, Some(i), "chan[{cap}]: received out of order");
            }
            s.join().unwrap();
        }
    }

    // 4 senders × L values and 4 receivers: every value received exactly 4 times. (L is
    // Go's 1000 for Go's `-short` capacities 0..19, 250 above, to keep the run short.)
    {
        const P: usize = 4;
        let l: usize = if cap < 20 { 1000 } else { 250 };
        let (tx, rx) = bounded::<usize>(cap);
        let senders: Vec<_> = (0..P)
            .map(|_| {
                let tx = tx.clone();
                thread::spawn(move || (0..l).for_each(|i| tx.send_blocking(i).unwrap()))
            })
            .collect();
        let receivers: Vec<_> = (0..P)
            .map(|_| {
                let rx = rx.clone();
                thread::spawn(move || {
                    let mut seen = HashMap::<usize, usize>::new();
                    for _ in 0..l {
                        *seen.entry(rx.recv_blocking().unwrap()).or_default() += 1;
                    }
                    seen
                })
            })
            .collect();
        let mut total = HashMap::<usize, usize>::new();
        for r in receivers {
            for (k, n) in r.join().unwrap() {
                *total.entry(k).or_default() += n;
            }
        }
        for s in senders {
            s.join().unwrap();
        }
        assert_eq!(total.len(), l, "chan[{cap}]: received wrong values");
        assert!(
            total.values().all(|&n| n == P),
            "chan[{cap}]: a value not received {P} times"
        );
    }

    // len and cap.
    {
        let (tx, rx) = bounded::<usize>(cap);
        assert_eq!(
            (rx.len(), rx.capacity()),
            (0, Some(cap)),
            "chan[{cap}]: len/cap"
        );
        for i in 0..cap {
            tx.send_blocking(i).unwrap();
        }
        assert_eq!(
            (rx.len(), rx.capacity()),
            (cap, Some(cap)),
            "chan[{cap}]: len/cap full"
        );
    }
}

/// Go's `TestChan`, for every capacity 0..199 (Go's long mode), on threads.
#[test]
fn test_chan_every_capacity() {
    for cap in 0..200 {
        test_chan_cap(cap);
    }
}

/// `TestChan`'s FIFO and 4×4 parts in async code (goroutines as tasks), for a few capacities.
#[test]
fn test_chan_async() {
    let rt = common::runtime(2);
    rt.block_on(async {
        for cap in [0usize, 1, 2, 10, 199] {
            let (tx, rx) = bounded::<usize>(cap);
            let t = tx.clone();
            tokio::spawn(async move {
                for i in 0..100 {
                    t.send(i).await.unwrap();
                }
            });
            for i in 0..100 {
                assert_eq!(rx.recv().await, Some(i), "chan[{cap}]: out of order");
            }
            let senders: Vec<_> = (0..4)
                .map(|_| {
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        for i in 0..1000usize {
                            tx.send(i).await.unwrap();
                        }
                    })
                })
                .collect();
            let receivers: Vec<_> = (0..4)
                .map(|_| {
                    let rx = rx.clone();
                    tokio::spawn(async move {
                        let mut seen = vec![0usize; 1000];
                        for _ in 0..1000 {
                            seen[rx.recv().await.unwrap()] += 1;
                        }
                        seen
                    })
                })
                .collect();
            let mut total = vec![0usize; 1000];
            for r in receivers {
                for (k, n) in r.await.unwrap().into_iter().enumerate() {
                    total[k] += n;
                }
            }
            for s in senders {
                s.await.unwrap();
            }
            assert!(total.iter().all(|&n| n == 4), "chan[{cap}]: {total:?}");
        }
    });
}

/// Go's `TestNonblockRecvRace`: a buffered value races with `close` + drain; at every
/// instant the channel is ready (a value, or closed), so a non-blocking receive must never
/// take default.
#[test]
fn test_nonblock_recv_race() {
    for i in 0..common::scaled(10_000) {
        let (tx, rx) = bounded::<i32>(1);
        tx.send_blocking(1).unwrap();
        let rx2 = rx.clone();
        let t = thread::spawn(move || {
            if i % 2 == 0 {
                select_blocking! { recv(&rx2) -> _v => true, default => false }
            } else {
                rx2.try_recv() != Err(TryRecvError::Empty)
            }
        });
        tx.close();
        let _ = rx.recv_blocking();
        assert!(t.join().unwrap(), "iteration {i}: chan is not ready");
    }
}

/// Go's `TestPseudoRandomSend`: a select with two send cases on one channel (`c <- 1`,
/// `c <- 0`), 100 times, to a slow receiver; each value must be chosen more than 10% of
/// the time — for capacity 100 (cases ready at once: random poll order) and capacity 0
/// (both cases parked: the order they queue in must be random too).
#[test]
fn test_pseudo_random_send() {
    const N: usize = 100;
    for cap in [0usize, N] {
        let (tx, rx) = bounded::<usize>(cap);
        let r = thread::spawn(move || {
            (0..N)
                .map(|_| {
                    thread::yield_now();
                    rx.recv_blocking().unwrap()
                })
                .collect::<Vec<_>>()
        });
        for _ in 0..N {
            select_blocking! {
                send(&tx, 1) -> r => r.unwrap(),
                send(&tx, 0) -> r => r.unwrap(),
            }
        }
        let got = r.join().unwrap();
        let ones: usize = got.iter().sum();
        let zeros = N - ones;
        assert!(
            ones > N / 10 && zeros > N / 10,
            "cap {cap}: want pseudo-random, got {zeros} zeros and {ones} ones"
        );
    }
}

/// Go's `TestMultiConsumer`: 23 workers range over a work queue and forward to a result
/// queue; the feeder closes the work queue, waits for the workers, closes the results. The
/// count and sum of results must match what was fed.
#[test]
fn test_multi_consumer() {
    const NWORK: usize = 23;
    let niter = common::scaled(271_828);
    const PN: [u64; 10] = [2, 3, 7, 11, 13, 17, 19, 23, 27, 31];
    let (q_tx, q) = bounded::<u64>(NWORK * 3);
    let (r_tx, r) = bounded::<u64>(NWORK * 3);
    let workers: Vec<_> = (0..NWORK)
        .map(|w| {
            let (q, r_tx) = (q.clone(), r_tx.clone());
            thread::spawn(move || {
                for v in &q {
                    // Mess with the fifo-ish nature of range, as Go does with Gosched.
                    if PN[w % PN.len()] == v {
                        thread::yield_now();
                    }
                    r_tx.send_blocking(v).unwrap();
                }
            })
        })
        .collect();
    drop(q);
    let feeder = thread::spawn(move || {
        let mut expect = 0;
        for i in 0..niter {
            let v = PN[i % PN.len()];
            expect += v;
            q_tx.send_blocking(v).unwrap();
        }
        q_tx.close(); // no more work
        for w in workers {
            w.join().unwrap(); // Go's wg.Wait()
        }
        assert!(r_tx.close(), "results closed early"); // so there can be no more results
        expect
    });
    let (mut n, mut s) = (0, 0);
    for v in &r {
        n += 1;
        s += v;
    }
    let expect = feeder.join().unwrap();
    assert_eq!((n, s), (niter, expect), "counts or sums differ");
}

/// Go's `TestSelectDuplicateChannel`: goroutine A selects `{<-c, <-c, <-d}`, B does `<-c`
/// (queued after A); `d <- 7` wakes A, which must take both its entries off `c`; then
/// `c <- 8` must reach B (it used to hit A's stale entry).
#[test]
fn test_select_duplicate_channel() {
    for _ in 0..common::scaled(100) {
        let (c_tx, c) = bounded::<i32>(0);
        let (d_tx, d) = bounded::<i32>(0);
        let (e_tx, e) = bounded::<i32>(0);
        let a = {
            let c = c.clone();
            thread::spawn(move || {
                let got = select_blocking! {
                    recv(&c) -> _v => panic!("A got a value from c"),
                    recv(&c) -> _v => panic!("A got a value from c"),
                    recv(&d) -> v => v,
                };
                assert_eq!(got, Some(7));
                e_tx.send_blocking(9).unwrap();
            })
        };
        common::eventually("A queued twice on c", || c_tx.waiting().0 == 2);
        let b = {
            let c = c.clone();
            thread::spawn(move || c.recv_blocking())
        };
        common::eventually("B queued on c", || c_tx.waiting().0 == 3);
        d_tx.send_blocking(7).unwrap();
        assert_eq!(e.recv_blocking(), Some(9));
        assert_eq!(c_tx.waiting().0, 1, "A's entries must be gone from c");
        c_tx.send_blocking(8).unwrap();
        assert_eq!(b.join().unwrap(), Some(8));
        a.join().unwrap();
    }
}
