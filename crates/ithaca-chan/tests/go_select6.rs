//! Port of Go's `test/chan/select6.go` (issue 2075): a select's failed cases must not
//! corrupt a channel's wait queue when the select was queued after another waiter. Here a
//! plain receiver A parks on `c1` first; a select B parks on `c1` and `c2`; B wins on `c2`,
//! then does a plain receive on `c1`; two sends on `c1` must reach both A and B.
//!
//! Written from the behaviour described in go-semantics.md §2.1, not copied. Go relies on
//! scheduling order; here the order is forced by polling `waiting()`.

mod common;

use std::thread;

use ithaca_chan::{bounded, select, select_blocking};

#[test]
fn select6_failed_cases_leave_queue_intact_threads() {
    for _ in 0..common::scaled(200) {
        let (c1_tx, c1) = bounded::<bool>(0);
        let (c2_tx, c2) = bounded::<bool>(0);
        let (c3_tx, c3) = bounded::<bool>(0);
        let a = {
            let c1 = c1.clone();
            thread::spawn(move || c1.recv_blocking())
        };
        common::eventually("A parked on c1", || c1_tx.waiting().0 == 1);
        let b = {
            let c1 = c1.clone();
            thread::spawn(move || {
                select_blocking! {
                    recv(&c1) -> _v => panic!("dummy"),
                    recv(&c2) -> v => { assert_eq!(v, Some(true)); c3_tx.send_blocking(true).unwrap() }
                }
                c1.recv_blocking()
            })
        };
        common::eventually("B's select parked on c1", || c1_tx.waiting().0 == 2);
        c2_tx.send_blocking(true).unwrap();
        assert_eq!(c3.recv_blocking(), Some(true));
        c1_tx.send_blocking(true).unwrap();
        c1_tx.send_blocking(true).unwrap();
        assert_eq!(a.join().unwrap(), Some(true));
        assert_eq!(b.join().unwrap(), Some(true));
        assert_eq!(c1_tx.waiting(), (0, 0));
    }
}

#[test]
fn select6_failed_cases_leave_queue_intact_tasks() {
    let rt = common::runtime(2);
    rt.block_on(async {
        for _ in 0..common::scaled(200) {
            let (c1_tx, c1) = bounded::<bool>(0);
            let (c2_tx, c2) = bounded::<bool>(0);
            let (c3_tx, c3) = bounded::<bool>(0);
            let a = {
                let c1 = c1.clone();
                tokio::spawn(async move { c1.recv().await })
            };
            while c1_tx.waiting().0 != 1 {
                tokio::task::yield_now().await;
            }
            let b = {
                let c1 = c1.clone();
                tokio::spawn(async move {
                    select! {
                        recv(&c1) -> _v => panic!("dummy"),
                        recv(&c2) -> v => { assert_eq!(v, Some(true)); c3_tx.send(true).await.unwrap() }
                    }
                    c1.recv().await
                })
            };
            while c1_tx.waiting().0 != 2 {
                tokio::task::yield_now().await;
            }
            c2_tx.send(true).await.unwrap();
            assert_eq!(c3.recv().await, Some(true));
            c1_tx.send(true).await.unwrap();
            c1_tx.send(true).await.unwrap();
            assert_eq!(a.await.unwrap(), Some(true));
            assert_eq!(b.await.unwrap(), Some(true));
        }
    });
}
