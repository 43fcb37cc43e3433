//! errgroup: ports of x/sync's errgroup tests (written for ithaca, not copied) and the
//! ithaca additions (panic re-raise, ordered results, cancel-safe wait).

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ithaca_chan::bounded;
use ithaca_context::{Cause, Context, ContextError};
use ithaca_patterns::errgroup::{Group, ResultGroup};

fn err(msg: &str) -> Cause {
    Arc::new(std::io::Error::other(msg.to_owned()))
}

fn same(a: &Result<(), Cause>, b: &Option<Cause>) -> bool {
    match (a, b) {
        (Ok(()), None) => true,
        (Err(x), Some(y)) => Arc::ptr_eq(x, y),
        _ => false,
    }
}

/// x/sync `TestZeroGroup`: a fresh group, `Go` a sequence of results and `Wait` after each;
/// `Wait` reports the first error. ithaca moves the error out to the first `Wait` that
/// returns it (errors need not be `Clone`), so later waits of the same group return Ok.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn zero_group() {
    let (e1, e2) = (err("errgroup_test: 1"), err("errgroup_test: 2"));
    let cases: Vec<Vec<Option<Cause>>> = vec![
        vec![],
        vec![None],
        vec![Some(e1.clone())],
        vec![Some(e1.clone()), None],
        vec![Some(e1.clone()), None, Some(e2.clone())],
    ];
    for errs in cases {
        let g = Group::<Cause>::new();
        let mut first: Option<Cause> = None;
        let mut reported = false;
        for e in errs {
            let e2 = e.clone();
            g.go(async move { e2.map_or(Ok(()), Err) });
            if first.is_none() {
                first = e;
            }
            let got = g.wait().await;
            let want = if reported { None } else { first.clone() };
            assert!(same(&got, &want), "wait returned {got:?}, want {want:?}");
            reported |= got.is_err();
        }
    }
}

/// x/sync `TestWithContext`: `Wait` returns the first error, and the context is done after
/// `Wait` even when nothing failed.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn with_context() {
    let doom = err("doom");
    let cases: Vec<(Vec<Option<Cause>>, Option<Cause>)> = vec![
        (vec![], None),
        (vec![None], None),
        (vec![Some(doom.clone())], Some(doom.clone())),
        (vec![Some(doom.clone()), None], Some(doom.clone())),
    ];
    for (errs, want) in cases {
        let (g, ctx) = Group::<Cause>::with_context(&Context::background());
        for e in errs {
            g.go(async move { e.map_or(Ok(()), Err) });
        }
        let got = g.wait().await;
        assert!(same(&got, &want));
        assert!(ctx.is_done(), "context not done after wait");
        assert_eq!(ctx.err(), Some(ContextError::Canceled));
    }
}

/// x/sync `TestTryGo`: with a limit of 42, 42 blocked `TryGo`s succeed and the 43rd fails;
/// after `Wait`, `TryGo` succeeds again; limit 1 gives one then fails; limit 0 always fails.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn try_go() {
    let g = Group::<Cause>::new();
    let n = 42;
    g.set_limit(n);
    let (tx, rx) = bounded::<()>(0);
    for i in 0..n {
        let rx = rx.clone();
        assert!(
            g.try_go(async move {
                rx.recv().await;
                Ok(())
            }),
            "try_go {i} refused below the limit"
        );
    }
    assert!(
        !g.try_go(async { Ok(()) }),
        "try_go accepted above the limit"
    );
    drop((tx, rx)); // closing releases every member
    g.wait().await.unwrap();
    assert!(g.try_go(async { Ok(()) }), "try_go refused after wait");
    g.wait().await.unwrap();

    g.set_limit(1);
    let (tx, rx) = bounded::<()>(0);
    assert!(g.try_go(async move {
        rx.recv().await;
        Ok(())
    }));
    assert!(!g.try_go(async { Ok(()) }));
    drop(tx);
    g.wait().await.unwrap();

    g.set_limit(0);
    for _ in 0..3 {
        assert!(!g.try_go(async { Ok(()) }));
    }
}

/// x/sync `TestGoLimit`: limit 10, 1025 members; the number active at once never exceeds it.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn go_limit() {
    const LIMIT: usize = 10;
    let g = Group::<Cause>::new();
    g.set_limit(LIMIT);
    let active = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    for _ in 0..1025 {
        let (active, peak) = (active.clone(), peak.clone());
        g.go(async move {
            let n = active.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(n, Ordering::SeqCst);
            if n > LIMIT {
                return Err(err(&format!("{n} active, limit {LIMIT}")));
            }
            ithaca_time::sleep(std::time::Duration::from_micros(100)).await;
            active.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        });
    }
    g.wait().await.unwrap();
    assert!(peak.load(Ordering::SeqCst) <= LIMIT);
    assert!(peak.load(Ordering::SeqCst) >= 2, "members never overlapped");
}

/// Go's `SetLimit` panic while members are active, with Go's message.
#[test]
fn set_limit_while_active_panics() {
    let g = Group::<Cause>::new();
    let (tx, rx) = bounded::<()>(0);
    g.go(async move {
        rx.recv().await;
        Ok(())
    });
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.set_limit(3)));
    let msg = *r.unwrap_err().downcast::<String>().unwrap();
    assert_eq!(
        msg,
        "errgroup: modify limit while 1 goroutines in the group are still active"
    );
    drop(tx);
    g.wait_blocking().unwrap();
}

/// x/sync `TestCancelCause`: with `TryGo`, `Wait` returns the error, the context's cause is
/// that same error, and it is `context.Canceled` when nothing failed.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn cancel_cause() {
    let doom = err("error and doom");
    let cases: Vec<(Vec<Option<Cause>>, Option<Cause>)> = vec![
        (vec![], None),
        (vec![None], None),
        (vec![Some(doom.clone())], Some(doom.clone())),
        (vec![Some(doom.clone()), None], Some(doom.clone())),
    ];
    for (errs, want) in cases {
        let (g, ctx) = Group::<Cause>::with_context(&Context::background());
        for e in errs {
            assert!(g.try_go(async move { e.map_or(Ok(()), Err) }));
        }
        let got = g.wait().await;
        assert!(same(&got, &want));
        let cause = ctx.cause().unwrap();
        match &want {
            Some(w) => assert!(Arc::ptr_eq(&cause, w), "cause {cause:?}"),
            None => assert!(ContextError::Canceled.is(&cause), "cause {cause:?}"),
        }
    }
}

/// The first error cancels the context while other members are still running, so they can
/// stop early (the errgroup's reason to exist).
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn first_error_cancels_the_others() {
    let (g, ctx) = Group::<String>::with_context(&Context::background());
    for _ in 0..8 {
        let ctx = ctx.clone();
        g.go(async move {
            ctx.done().await; // would hang without the cancel
            Ok(())
        });
    }
    g.go(async { Err("boom".to_string()) });
    assert_eq!(g.wait().await, Err("boom".to_string()));
    let cause = ctx.cause().unwrap();
    assert_eq!(cause.to_string(), "boom");
}

/// A panicking member is re-raised by `wait` once every member finished, with its name and
/// spawn site; the context is cancelled at the panic.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn panic_is_reraised_in_wait_with_name_and_site() {
    let (g, ctx) = Group::<String>::with_context(&Context::background());
    let finished = Arc::new(AtomicUsize::new(0));
    let f2 = finished.clone();
    let c2 = ctx.clone();
    g.go(async move {
        c2.done().await; // released by the panic's cancel
        f2.fetch_add(1, Ordering::SeqCst);
        Ok(())
    });
    let line = line!() + 1;
    g.go_named("exploder", async { panic!("kaboom") });
    let waiter = ithaca_rt::spawn(async move { g.wait().await });
    let e = waiter.await.unwrap_err();
    let msg = e.panic_message().unwrap().to_owned();
    assert!(msg.contains("\"exploder\""), "{msg}");
    assert!(msg.contains(&format!("{}:{line}:", file!())), "{msg}");
    assert!(msg.contains("panicked: kaboom"), "{msg}");
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "wait returned before all members"
    );
    assert!(ctx.is_done());
}

/// `ResultGroup::wait` collects the values in submission order, whatever the finish order.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn results_in_submission_order() {
    let g = ResultGroup::<usize, String>::new();
    for i in 0..200usize {
        g.go(async move {
            ithaca_time::sleep(std::time::Duration::from_micros(
                ((200 - i) % 7) as u64 * 50,
            ))
            .await;
            Ok(i)
        });
    }
    assert_eq!(g.wait().await.unwrap(), (0..200).collect::<Vec<_>>());
}

/// A `wait` dropped while joining loses nothing: a later wait gets every result and the error.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn wait_is_cancel_safe() {
    let g = ResultGroup::<u32, String>::new();
    let (tx, rx) = bounded::<()>(0);
    g.go(async { Ok(1) });
    g.go(async move {
        rx.recv().await;
        Ok(2)
    });
    {
        let w = g.wait();
        let timed = async {
            ithaca_time::sleep(std::time::Duration::from_millis(5)).await;
        };
        // Race the wait against a timer; the timer wins (member 2 is blocked).
        let mut w = std::pin::pin!(w);
        let mut timed = std::pin::pin!(timed);
        std::future::poll_fn(|cx| {
            use std::task::Poll;
            if let Poll::Ready(v) = w.as_mut().poll(cx) {
                panic!("wait finished early: {v:?}");
            }
            timed.as_mut().poll(cx)
        })
        .await;
    }
    drop(tx);
    assert_eq!(g.wait().await, Ok(vec![1, 2]));
}

/// Members may spawn members through a clone; `wait` waits for them too.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn members_spawn_members() {
    let g = Group::<String>::new();
    let count = Arc::new(AtomicUsize::new(0));
    let (g2, c2) = (g.clone(), count.clone());
    g.go(async move {
        for _ in 0..10 {
            let c = c2.clone();
            g2.go(async move {
                c.fetch_add(1, Ordering::SeqCst);
                Ok(())
            });
        }
        Ok(())
    });
    g.wait().await.unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 10);
}

/// `wait_blocking` from a plain thread.
#[test]
fn wait_blocking_from_a_thread() {
    let g = ResultGroup::<u8, String>::new();
    g.go(async { Ok(1) });
    g.go(async { Ok(2) });
    assert_eq!(g.wait_blocking(), Ok(vec![1, 2]));
}
