//! singleflight: ports of x/sync's singleflight tests (written for ithaca, not copied).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ithaca_chan::bounded;
use ithaca_patterns::singleflight::Group;
use ithaca_sync::WaitGroup;

/// x/sync `TestDo` / `TestDoErr`: the value and the error pass through.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn do_and_do_err() {
    let g = Group::<&str, Result<String, String>>::new();
    let (v, shared) = g.call("key", async { Ok("bar".to_string()) }).await;
    assert_eq!((v, shared), (Ok("bar".to_string()), false));
    let (v, _) = g.call("key", async { Err("some error".to_string()) }).await;
    assert_eq!(v, Err("some error".to_string()));
    assert_eq!(g.in_flight(), 0);
}

/// x/sync `TestDoDupSuppress`: 10 concurrent callers of one key; the function runs more than
/// 0 and fewer than 10 times, and every caller gets "bar".
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn do_dup_suppress() {
    const N: usize = 10;
    let g = Group::<&str, String>::new();
    let (c_tx, c_rx) = bounded::<String>(1);
    let calls = Arc::new(AtomicUsize::new(0));
    let wg1 = WaitGroup::new(); // the first call has started and every caller is about to call
    let wg2 = WaitGroup::new(); // every caller is done
    wg1.add(1);
    let mut callers = Vec::new();
    for _ in 0..N {
        wg1.add(1);
        wg2.add(1);
        let (g, calls, wg1, wg2) = (g.clone(), calls.clone(), wg1.clone(), wg2.clone());
        let (c_tx, c_rx) = (c_tx.clone(), c_rx.clone());
        callers.push(ithaca_rt::spawn(async move {
            wg1.done();
            let calls2 = calls.clone();
            let wg1b = wg1.clone();
            let (v, _) = g
                .call("key", async move {
                    if calls2.fetch_add(1, Ordering::SeqCst) == 0 {
                        wg1b.done(); // first invocation
                    }
                    let v = c_rx.recv().await.unwrap();
                    c_tx.send(v.clone()).await.unwrap(); // pump for any later call
                    ithaca_time::sleep(Duration::from_millis(10)).await; // let more callers join
                    v
                })
                .await;
            wg2.done();
            v
        }));
    }
    wg1.wait().await;
    // At least one caller is in the function and all have reached the line before `call`.
    c_tx.send("bar".to_string()).await.unwrap();
    wg2.wait().await;
    for c in callers {
        assert_eq!(c.await.unwrap(), "bar");
    }
    let n = calls.load(Ordering::SeqCst);
    assert!(
        n > 0 && n < N,
        "number of calls = {n}; want over 0 and less than {N}"
    );
}

/// x/sync `TestForget`: after `Forget`, a new `DoChan` starts a new call, and a third one
/// joins the second, not the first.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn forget() {
    let g = Group::<&str, i32>::new();
    let (first_started_tx, first_started_rx) = bounded::<()>(0);
    let (unblock_first_tx, unblock_first_rx) = bounded::<()>(0);
    let first_finished = Arc::new(AtomicUsize::new(0));
    let ff = first_finished.clone();
    let first = g.call_chan("key", async move {
        first_started_tx.send(()).await.unwrap();
        unblock_first_rx.recv().await;
        ff.store(1, Ordering::SeqCst);
        1
    });
    first_started_rx.recv().await.unwrap();
    g.forget(&"key");

    let (unblock_second_tx, unblock_second_rx) = bounded::<()>(0);
    let second = g.call_chan("key", async move {
        unblock_second_rx.recv().await;
        2
    });
    unblock_first_tx.send(()).await.unwrap();
    assert_eq!(first.recv().await, Some((1, false)));

    let third = g.call_chan("key", async { 3 });
    unblock_second_tx.send(()).await.unwrap();
    let (v2, shared2) = second.recv().await.unwrap();
    let (v3, shared3) = third.recv().await.unwrap();
    assert_eq!((v2, v3), (2, 2), "the third call did not join the second");
    assert!(shared2 && shared3);
}

/// x/sync `TestDoChan`: the result arrives on the channel.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn do_chan() {
    let g = Group::<String, Result<&str, String>>::new();
    let ch = g.call_chan("key".to_string(), async { Ok("bar") });
    assert_eq!(ch.recv().await, Some((Ok("bar"), false)));
}

/// x/sync `TestPanicDo`: a panic in the function re-panics in all 5 callers, with no hang.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn panic_reaches_every_caller() {
    const N: usize = 5;
    let g = Group::<&str, u8>::new();
    let (release_tx, release_rx) = bounded::<()>(0);
    let joined = WaitGroup::new();
    joined.add(N as i32);
    let mut callers = Vec::new();
    for _ in 0..N {
        let (g, release_rx, joined) = (g.clone(), release_rx.clone(), joined.clone());
        callers.push(ithaca_rt::spawn(async move {
            let fut = g.call("key", async move {
                release_rx.recv().await;
                panic!("invalid memory address or nil pointer dereference")
            });
            joined.done(); // `call` registered this caller synchronously
            fut.await
        }));
    }
    joined.wait().await;
    drop((release_tx, release_rx));
    for c in callers {
        let e = c.await.unwrap_err();
        let msg = e.panic_message().unwrap();
        assert!(
            msg.contains("singleflight: the shared call panicked: invalid memory address"),
            "{msg}"
        );
    }
    assert_eq!(g.in_flight(), 0);
}

/// A panic closes `call_chan` channels without a value (Go crashes instead), so no receiver
/// waits forever.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn panic_closes_call_chan() {
    let g = Group::<u8, u8>::new();
    let ch = g.call_chan(1, async { panic!("boom") });
    assert_eq!(ch.recv().await, None);
}

/// A caller that stops waiting does not stop the shared call for the others.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn dropped_leader_does_not_cancel_the_call() {
    let g = Group::<u8, &str>::new();
    let (tx, rx) = bounded::<()>(0);
    let leader = g.call(1, async move {
        rx.recv().await;
        "done"
    });
    let follower = g.call(1, async { "never runs" });
    drop(leader);
    drop(tx);
    assert_eq!(follower.await, ("done", true));
}

/// Blocking callers from plain threads share the call with async ones.
#[test]
fn blocking_callers() {
    let g = Group::<u8, u32>::new();
    let runs = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = bounded::<()>(0);
    let r2 = runs.clone();
    let first = g.call_chan(7, async move {
        r2.fetch_add(1, Ordering::SeqCst);
        rx.recv().await;
        42
    });
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let g = g.clone();
            std::thread::spawn(move || g.call_blocking(7, async { 0 }))
        })
        .collect();
    // Give the threads a chance to join the call (correctness does not depend on it).
    std::thread::sleep(Duration::from_millis(20));
    drop(tx);
    let mut joined = 0;
    for t in threads {
        match t.join().unwrap() {
            (42, shared) => {
                assert!(shared);
                joined += 1;
            }
            (0, _) => {} // came after the call ended: ran its own
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(first.recv_blocking(), Some((42, joined > 0)));
    assert!(runs.load(Ordering::SeqCst) == 1);
}
