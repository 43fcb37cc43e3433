//! Port of Go's `test/chan/zerosize.go`: channels of zero-sized element types (`[0]byte`,
//! `struct{}`), buffered and unbuffered, are legal; extended here to check they carry
//! values, count them in `len`, and that a huge capacity of a zero-sized type is fine (no
//! per-element storage).
//!
//! Written from the behaviour described in go-semantics.md §2.1, not copied.

use std::thread;

use ithaca_chan::{bounded, unbounded};

#[derive(Debug, PartialEq)]
struct Empty;

#[test]
fn zerosize_channels_are_legal() {
    let _ = bounded::<[u8; 0]>(0);
    let _ = bounded::<[u8; 0]>(1);
    let _ = bounded::<()>(0);
    let _ = bounded::<()>(1);
    let _ = bounded::<Empty>(0);
    let _ = unbounded::<Empty>();
}

#[test]
fn zerosize_buffered_values_are_counted() {
    let (tx, rx) = bounded::<[u8; 0]>(3);
    for _ in 0..3 {
        tx.try_send([]).unwrap();
    }
    assert!(tx.try_send([]).is_err(), "full at capacity 3");
    assert_eq!((rx.len(), rx.capacity()), (3, Some(3)));
    drop(tx);
    assert_eq!(rx.iter().count(), 3);
}

#[test]
fn zerosize_rendezvous_carries_values() {
    let (tx, rx) = bounded::<Empty>(0);
    let t = thread::spawn(move || {
        let mut n = 0;
        for _ in 0..100 {
            assert_eq!(rx.recv_blocking(), Some(Empty));
            n += 1;
        }
        n
    });
    for _ in 0..100 {
        tx.send_blocking(Empty).unwrap();
    }
    assert_eq!(t.join().unwrap(), 100);
}

#[test]
fn zerosize_huge_capacity_allocates_nothing() {
    let (tx, rx) = bounded::<()>(usize::MAX);
    assert_eq!(tx.capacity(), Some(usize::MAX));
    for _ in 0..10_000 {
        tx.try_send(()).unwrap();
    }
    assert_eq!(rx.len(), 10_000);
}
