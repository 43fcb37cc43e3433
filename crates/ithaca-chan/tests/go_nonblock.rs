//! Port of Go's `test/chan/nonblock.go`: for buffer sizes 0 and 1 and several element types,
//! a non-blocking receive on an empty channel takes `default`; then a non-blocking send
//! (resp. receive) is retried until a partner goroutine doing a blocking receive (resp.
//! send) makes it succeed, within a bounded number of tries.
//!
//! Written from the behaviour described in go-semantics.md §2.1, not copied. Go sleeps a few
//! ticks between tries; here a try yields the thread, and we allow many more tries. Both
//! non-blocking forms are exercised: `try_send`/`try_recv` and a `select` with `default`.

use std::fmt::Debug;
use std::thread;

use ithaca_chan::{bounded, select_blocking, TryRecvError, TrySendError};

const MAX_TRIES: usize = 1_000_000;

fn exercise<T>(cap: usize, a: T, b: T, use_select: bool)
where
    T: Clone + PartialEq + Debug + Send + 'static,
{
    let (tx, rx) = bounded::<T>(cap);

    // A non-blocking receive on an empty channel takes default.
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    let took_default = select_blocking! {
        recv(&rx) -> v => panic!("blocked receive got {v:?}"),
        default => true,
    };
    assert!(took_default);

    // Non-blocking send, retried until the blocking receiver takes it.
    let (rx2, want) = (rx.clone(), a.clone());
    let receiver = thread::spawn(move || assert_eq!(rx2.recv_blocking(), Some(want)));
    let mut tries = 0;
    let mut v = a;
    loop {
        let sent = if use_select {
            select_blocking! {
                send(&tx, v.clone()) -> r => { r.unwrap(); true },
                default => false,
            }
        } else {
            match tx.try_send(v) {
                Ok(()) => break,
                Err(TrySendError::Full(back)) => {
                    v = back;
                    false
                }
                Err(TrySendError::Closed(_)) => panic!("closed"),
            }
        };
        if sent {
            break;
        }
        tries += 1;
        assert!(
            tries < MAX_TRIES,
            "cap {cap}: non-blocking send never succeeded"
        );
        thread::yield_now();
    }
    receiver.join().unwrap();

    // Non-blocking receive, retried until the blocking sender's value arrives.
    let (tx2, value) = (tx.clone(), b.clone());
    let mut sender = Some(thread::spawn(move || tx2.send_blocking(value).unwrap()));
    if cap > 0 {
        // Go waits for the buffered send to complete first.
        sender.take().unwrap().join().unwrap();
    }
    let mut tries = 0;
    let got = loop {
        let got = if use_select {
            select_blocking! {
                recv(&rx) -> v => v,
                default => None,
            }
        } else {
            rx.try_recv().ok()
        };
        if let Some(got) = got {
            break got;
        }
        tries += 1;
        assert!(
            tries < MAX_TRIES,
            "cap {cap}: non-blocking receive never succeeded"
        );
        thread::yield_now();
    };
    assert_eq!(got, b);
    if let Some(sender) = sender {
        sender.join().unwrap();
    }
}

fn all_types(use_select: bool) {
    for cap in [0, 1] {
        exercise::<i32>(cap, 123, 234, use_select);
        exercise::<i64>(cap, 123456, 234567, use_select);
        exercise::<bool>(cap, true, true, use_select);
        exercise::<String>(cap, "hello".into(), "hello again".into(), use_select);
        exercise::<()>(cap, (), (), use_select);
    }
}

#[test]
fn nonblock_try_ops() {
    all_types(false);
}

#[test]
fn nonblock_select_with_default() {
    all_types(true);
}
