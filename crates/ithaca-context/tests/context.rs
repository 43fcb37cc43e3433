//! Ports of Go's context tests (x_test.go, context_test.go, afterfunc_test.go).

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Barrier};
use std::time::{Duration, Instant};

use ithaca_context::{Cause, Context, ContextError, Key};
use ithaca_core::Select;
use ithaca_time::Clock;

const FOREVER: Duration = Duration::from_secs(24 * 3600);

fn err_cause(msg: &str) -> Cause {
    Arc::new(std::io::Error::other(msg.to_string()))
}

fn is_done_now(ctx: &Context) -> bool {
    Select::new(&mut [&mut ctx.done()]).default().wait() == Some(0)
}

fn bounded<T>(rx: &mpsc::Receiver<T>) -> T {
    rx.recv_timeout(Duration::from_secs(5)).expect("timed out")
}

// TestBackground / TestTODO
#[test]
fn background_and_todo() {
    for (c, s) in [
        (Context::background(), "context.Background"),
        (Context::todo(), "context.TODO"),
    ] {
        assert_eq!(c.err(), None);
        assert!(!is_done_now(&c));
        assert_eq!(c.to_string(), s);
        assert_eq!(c.deadline(), None);
    }
}

// TestWithCancel: done synchronously, through a value layer, all three contexts.
#[test]
fn with_cancel_propagates_synchronously() {
    let k: Key<u8> = Key::new("k");
    let (c1, cancel1) = Context::with_cancel(&Context::background());
    assert_eq!(c1.to_string(), "context.Background.WithCancel");
    let o = Context::with_value(&c1, &k, 1);
    let (c2, _cancel2) = Context::with_cancel(&o);
    for c in [&c1, &o, &c2] {
        assert!(!is_done_now(c));
        assert_eq!(c.err(), None);
    }
    cancel1.cancel();
    for c in [&c1, &o, &c2] {
        assert!(is_done_now(c), "{c} not done synchronously");
        assert_eq!(c.err(), Some(ContextError::Canceled));
    }
}

// XTestParentFinishesChild / XTestChildFinishesFirst / XTestCancelRemoves
#[test]
fn child_list_maintenance() {
    let (p, pc) = Context::with_cancel(&Context::background());
    let (c1, cc1) = Context::with_cancel(&p);
    let (c2, _cc2) = Context::with_timeout(&p, FOREVER);
    let v = Context::with_value(&p, &Key::<u8>::new("v"), 0);
    let (c3, _cc3) = Context::with_cancel(&v); // through a value layer
    assert_eq!(p.child_count(), 3);
    cc1.cancel(); // child finishes first: parent unaffected
    assert_eq!(c1.err(), Some(ContextError::Canceled));
    assert_eq!(p.err(), None);
    assert_eq!(p.child_count(), 2);
    drop(c2); // dropped child handle + context: removed from the parent
    drop(_cc2);
    assert_eq!(p.child_count(), 1);
    pc.cancel();
    assert_eq!(c3.err(), Some(ContextError::Canceled));
    assert_eq!(p.child_count(), 0);
}

#[test]
fn dropped_children_do_not_leak() {
    let (p, _pc) = Context::with_cancel(&Context::background());
    for _ in 0..1000 {
        let (c, h) = Context::with_cancel(&p);
        h.disarm();
        drop(c);
        let (_c, _h) = Context::with_timeout(&p, FOREVER);
    }
    assert_eq!(p.child_count(), 0);
}

// The cancel guard: dropping the handle cancels; disarm opts out.
#[test]
fn cancel_handle_guard() {
    let (c, h) = Context::with_cancel(&Context::background());
    drop(h);
    assert_eq!(c.err(), Some(ContextError::Canceled));
    let (c, h) = Context::with_cancel(&Context::background());
    h.disarm();
    assert_eq!(c.err(), None);
    // A disarmed child still ends with its parent, even if only its done() is kept.
    let (p, pc) = Context::with_cancel(&Context::background());
    let (c, h) = Context::with_cancel(&p);
    h.disarm();
    let done = c.done();
    drop(c);
    pc.cancel();
    assert!(done.is_done());
}

// TestDeadline / TestTimeout on a virtual clock; the parent's earlier deadline wins.
#[test]
fn deadline_virtual_clock() {
    let clock = Clock::manual();
    let bg = Context::background_with_clock(&clock);
    let t0 = clock.now();
    let (c, _h) = Context::with_deadline(&bg, t0 + Duration::from_secs(1));
    assert!(c
        .to_string()
        .starts_with("context.Background.WithDeadline("));
    let (inner, _h2) = Context::with_deadline(&c, t0 + Duration::from_secs(3));
    assert_eq!(inner.deadline(), Some(t0 + Duration::from_secs(1)));
    clock.advance(Duration::from_millis(999));
    assert_eq!(inner.err(), None);
    clock.advance(Duration::from_millis(1));
    assert_eq!(c.err(), Some(ContextError::DeadlineExceeded));
    assert_eq!(inner.err(), Some(ContextError::DeadlineExceeded));
    // In the past and now: done at construction.
    let (p, _h3) = Context::with_deadline(&bg, t0);
    assert_eq!(p.err(), Some(ContextError::DeadlineExceeded));
    let (n, _h4) = Context::with_timeout(&bg, Duration::ZERO);
    assert_eq!(n.err(), Some(ContextError::DeadlineExceeded));
}

#[test]
fn deadline_real_clock() {
    let (c, _h) = Context::with_timeout(&Context::background(), Duration::from_millis(5));
    let start = Instant::now();
    c.done().wait_blocking();
    assert!(start.elapsed() >= Duration::from_millis(5));
    assert_eq!(c.err(), Some(ContextError::DeadlineExceeded));
    assert!(c.err().unwrap().is_timeout());
}

// TestCanceledTimeout: cancelling a long timeout under a shorter one gives Canceled.
#[test]
fn canceled_timeout() {
    let clock = Clock::manual();
    let bg = Context::background_with_clock(&clock);
    let (c, _h) = Context::with_timeout(&bg, Duration::from_secs(2));
    let (c2, h2) = Context::with_timeout(&c, Duration::from_secs(1));
    h2.cancel();
    assert!(is_done_now(&c2));
    assert_eq!(c2.err(), Some(ContextError::Canceled));
}

// TestValues: nearest wins; keys with the same name or equal values are distinct.
#[test]
fn values() {
    let k1: Key<i32> = Key::new("k1");
    let k2: Key<i32> = Key::new("k2");
    let k3: Key<Option<&str>> = Key::new("k3");
    let bg = Context::background();
    assert_eq!(bg.value(&k1), None);
    let c1 = Context::with_value(&bg, &k1, 1);
    let c2 = Context::with_value(&c1, &k2, 1);
    let c3 = Context::with_value(&c2, &k3, Some("c3"));
    let c4 = Context::with_value(&c3, &k1, 4);
    let c5 = Context::with_value(&c4, &k3, None); // shadows to "nil"
    assert_eq!(c4.value(&k1), Some(&4));
    assert_eq!(c4.value(&k2), Some(&1));
    assert_eq!(c4.value(&k3), Some(&Some("c3")));
    assert_eq!(c5.value(&k3), Some(&None));
    assert_eq!(c2.value(&k1), Some(&1));
    assert_eq!(c1.value(&k2), None);
    let k1_again: Key<i32> = Key::new("k1");
    assert_eq!(c4.value(&k1_again), None, "keys compare by identity");
    assert_eq!(
        c4.value(&k1.clone()),
        Some(&4),
        "a cloned key is the same key"
    );
    assert_eq!(c1.to_string(), "context.Background.WithValue(k1)");
}

// TestWithoutCancel
#[test]
fn without_cancel() {
    let k: Key<&str> = Key::new("key");
    let (p, pc) = Context::with_timeout(
        &Context::with_value(&Context::background(), &k, "value"),
        FOREVER,
    );
    pc.cancel();
    let w = Context::without_cancel(&p);
    assert_eq!(w.deadline(), None);
    assert_eq!(w.err(), None);
    assert!(w.cause().is_none());
    assert!(!is_done_now(&w));
    assert_eq!(w.value(&k), Some(&"value"));
}

/// Identity check for causes.
fn same(a: &Option<Cause>, b: &Cause) -> bool {
    a.as_ref().is_some_and(|a| Arc::ptr_eq(a, b))
}

fn is_err(a: &Option<Cause>, e: ContextError) -> bool {
    a.as_ref().is_some_and(|a| e.is(a))
}

// TestCause: the table (go-semantics §4.7).
#[test]
fn cause_table() {
    use ContextError::*;
    let bg = Context::background();
    let (p_err, c_err) = (err_cause("parentCause"), err_cause("childCause"));
    let too_slow = err_cause("tooSlow");
    let finished_early = err_cause("finishedEarly");

    // Background / TODO
    assert!(bg.cause().is_none() && Context::todo().cause().is_none());
    // WithCancel canceled
    let (c, h) = Context::with_cancel(&bg);
    h.cancel();
    assert_eq!(c.err(), Some(Canceled));
    assert!(is_err(&c.cause(), Canceled));
    // WithCancelCause cancel(p)
    let (c, h) = Context::with_cancel_cause(&bg);
    h.cancel_with_cause(p_err.clone());
    assert_eq!(c.err(), Some(Canceled));
    assert!(same(&c.cause(), &p_err));
    // WithCancelCause cancel(nil)
    let (c, h) = Context::with_cancel_cause(&bg);
    h.cancel();
    assert!(is_err(&c.cause(), Canceled));
    // parent cause before child cause -> parent's
    let (p, ph) = Context::with_cancel_cause(&bg);
    let (c, ch) = Context::with_cancel_cause(&p);
    ph.cancel_with_cause(p_err.clone());
    ch.cancel_with_cause(c_err.clone());
    assert!(same(&c.cause(), &p_err));
    // parent cause after child cause -> child's
    let (p, ph) = Context::with_cancel_cause(&bg);
    let (c, ch) = Context::with_cancel_cause(&p);
    ch.cancel_with_cause(c_err.clone());
    ph.cancel_with_cause(p_err.clone());
    assert!(same(&c.cause(), &c_err));
    // parent cause, then child plain cancel -> parent's
    let (p, ph) = Context::with_cancel_cause(&bg);
    let (c, ch) = Context::with_cancel(&p);
    ph.cancel_with_cause(p_err.clone());
    ch.cancel();
    assert!(same(&c.cause(), &p_err));
    // child plain cancel, then parent cause -> Canceled
    let (p, ph) = Context::with_cancel_cause(&bg);
    let (c, ch) = Context::with_cancel(&p);
    ch.cancel();
    ph.cancel_with_cause(p_err.clone());
    assert!(is_err(&c.cause(), Canceled));
    // parent plain cancel, then child cause -> Canceled
    let (p, ph) = Context::with_cancel(&bg);
    let (c, ch) = Context::with_cancel_cause(&p);
    ph.cancel();
    ch.cancel_with_cause(c_err.clone());
    assert!(is_err(&c.cause(), Canceled));
    // child cause, then parent plain cancel -> child's
    let (p, ph) = Context::with_cancel(&bg);
    let (c, ch) = Context::with_cancel_cause(&p);
    ch.cancel_with_cause(c_err.clone());
    ph.cancel();
    assert!(same(&c.cause(), &c_err));
    // WithTimeout(0)
    let (c, _h) = Context::with_timeout(&bg, Duration::ZERO);
    assert_eq!(c.err(), Some(DeadlineExceeded));
    assert!(is_err(&c.cause(), DeadlineExceeded));
    // WithTimeout(forever) canceled
    let (c, h) = Context::with_timeout(&bg, FOREVER);
    h.cancel();
    assert_eq!(c.err(), Some(Canceled));
    assert!(is_err(&c.cause(), Canceled));
    // WithTimeoutCause(0, tooSlow)
    let (c, _h) = Context::with_timeout_cause(&bg, Duration::ZERO, too_slow.clone());
    assert_eq!(c.err(), Some(DeadlineExceeded));
    assert!(same(&c.cause(), &too_slow));
    // WithTimeoutCause(forever, tooSlow) canceled -> Canceled
    let (c, h) = Context::with_timeout_cause(&bg, FOREVER, too_slow.clone());
    h.cancel();
    assert_eq!(c.err(), Some(Canceled));
    assert!(is_err(&c.cause(), Canceled));
    // parent cause; child WithTimeoutCause(0); parent cancel(finishedEarly)
    let (p, ph) = Context::with_cancel_cause(&bg);
    let (c, _ch) = Context::with_timeout_cause(&p, Duration::ZERO, too_slow.clone());
    ph.cancel_with_cause(finished_early.clone());
    assert_eq!(c.err(), Some(DeadlineExceeded));
    assert!(same(&c.cause(), &too_slow));
    // parent cause; child WithTimeoutCause(forever); parent cancel(finishedEarly)
    let (p, ph) = Context::with_cancel_cause(&bg);
    let (c, _ch) = Context::with_timeout_cause(&p, FOREVER, too_slow.clone());
    ph.cancel_with_cause(finished_early.clone());
    assert_eq!(c.err(), Some(Canceled));
    assert!(same(&c.cause(), &finished_early));
    // WithoutCancel of a canceled context
    let (p, ph) = Context::with_cancel(&bg);
    ph.cancel();
    let w = Context::without_cancel(&p);
    assert_eq!(w.err(), None);
    assert!(w.cause().is_none());
}

// TestWithCancelCanceledParent: done at construction with the parent's cause.
#[test]
fn with_cancel_canceled_parent() {
    let cause = err_cause("parent");
    let (p, ph) = Context::with_cancel_cause(&Context::background());
    ph.cancel_with_cause(cause.clone());
    let (c, _h) = Context::with_cancel(&p);
    assert!(is_done_now(&c));
    assert_eq!(c.err(), Some(ContextError::Canceled));
    assert!(same(&c.cause(), &cause));
    assert_eq!(p.child_count(), 0);
}

// TestSimultaneousCancels: a 100-node tree (fan-out 4), all cancels concurrent.
#[test]
fn simultaneous_cancels() {
    let root = Context::background();
    let mut nodes = Vec::new();
    let mut handles = Vec::new();
    let mut frontier = vec![root];
    while nodes.len() < 100 {
        let parent = frontier.remove(0);
        for _ in 0..4 {
            let (c, h) = Context::with_cancel(&parent);
            frontier.push(c.clone());
            nodes.push(c);
            handles.push(h);
        }
    }
    let n = handles.len();
    let barrier = Arc::new(Barrier::new(n));
    let threads: Vec<_> = handles
        .into_iter()
        .map(|h| {
            let b = barrier.clone();
            std::thread::spawn(move || {
                b.wait();
                h.cancel();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    for c in &nodes {
        assert!(is_done_now(c));
        assert_eq!(c.child_count(), 0);
    }
}

// TestInterlockedCancels: cancel the child in response to the parent's done, no deadlock.
#[test]
fn interlocked_cancels() {
    let (p, ph) = Context::with_cancel(&Context::background());
    let (c, ch) = Context::with_cancel(&p);
    let pd = p.done();
    let t = std::thread::spawn(move || {
        pd.wait_blocking();
        ch.cancel();
    });
    ph.cancel();
    t.join().unwrap();
    c.done().wait_blocking();
}

// TestLayersCancel / TestLayersTimeout (deterministic layer pattern on a virtual clock).
#[test]
fn layers() {
    let clock = Clock::manual();
    let keys: Vec<Key<usize>> = (0..40).map(|_| Key::new("layer")).collect();
    for cancel_at in [0usize, 7, 13, 21] {
        let mut ctx = Context::background_with_clock(&clock);
        let mut handles = Vec::new();
        let mut vals = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            match i % 3 {
                0 => {
                    ctx = Context::with_value(&ctx, key, i);
                    vals.push(i);
                }
                1 => {
                    let (c, h) = Context::with_cancel(&ctx);
                    ctx = c;
                    handles.push((i, h));
                }
                _ => {
                    let (c, h) = Context::with_timeout(&ctx, Duration::from_secs(3600));
                    ctx = c;
                    handles.push((i, h));
                }
            }
        }
        for &i in &vals {
            assert_eq!(ctx.value(&keys[i]), Some(&i));
        }
        assert!(!is_done_now(&ctx));
        let h = handles.iter().find(|(i, _)| *i >= cancel_at).unwrap();
        h.1.cancel();
        assert_eq!(ctx.err(), Some(ContextError::Canceled));
        for &i in &vals {
            assert_eq!(
                ctx.value(&keys[i]),
                Some(&i),
                "values readable after cancel"
            );
        }
    }
    let mut ctx = Context::background_with_clock(&clock);
    let mut hs = Vec::new();
    for _ in 0..30 {
        let (c, h) = Context::with_timeout(&ctx, Duration::from_secs(10));
        ctx = c;
        hs.push(h);
    }
    clock.advance(Duration::from_secs(10));
    assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
}

// TestAfterFuncCalledAfterCancel
#[test]
fn after_func_called_after_cancel() {
    let (ctx, cancel) = Context::with_cancel(&Context::background());
    let (tx, rx) = mpsc::channel();
    let stop = Context::after_func(&ctx, move || tx.send(()).unwrap());
    std::thread::sleep(Duration::from_millis(1)); // give a wrong early call a chance
    assert!(rx.try_recv().is_err(), "f called before cancel");
    cancel.cancel();
    bounded(&rx);
    assert!(!stop.stop());
}

// TestAfterFuncCalledAfterTimeout
#[test]
fn after_func_called_after_timeout() {
    let clock = Clock::manual();
    let (ctx, _h) = Context::with_timeout(
        &Context::background_with_clock(&clock),
        Duration::from_secs(5),
    );
    let (tx, rx) = mpsc::channel();
    Context::after_func(&ctx, move || tx.send(()).unwrap());
    clock.advance(Duration::from_secs(5));
    bounded(&rx);
}

// TestAfterFuncCalledImmediately: on its own thread.
#[test]
fn after_func_called_immediately() {
    let (ctx, cancel) = Context::with_cancel(&Context::background());
    cancel.cancel();
    let (tx, rx) = mpsc::channel();
    Context::after_func(&ctx, move || tx.send(std::thread::current().id()).unwrap());
    assert_ne!(bounded(&rx), std::thread::current().id());
}

// TestAfterFuncNotCalledAfterStop
#[test]
fn after_func_not_called_after_stop() {
    let (ctx, cancel) = Context::with_cancel(&Context::background());
    let called = Arc::new(AtomicUsize::new(0));
    let c2 = called.clone();
    let stop = Context::after_func(&ctx, move || {
        c2.fetch_add(1, SeqCst);
    });
    assert!(stop.stop());
    assert!(!stop.stop());
    cancel.cancel();
    std::thread::sleep(Duration::from_millis(5)); // give a wrong call a chance
    assert_eq!(called.load(SeqCst), 0);
}

// TestAfterFuncCalledAsynchronously: cancel does not wait for f.
#[test]
fn after_func_called_asynchronously() {
    let (ctx, cancel) = Context::with_cancel(&Context::background());
    let (tx, rx) = mpsc::sync_channel::<()>(0);
    let (done_tx, done_rx) = mpsc::channel();
    Context::after_func(&ctx, move || {
        rx.recv().unwrap(); // blocks until main sends, after cancel returned
        done_tx.send(()).unwrap();
    });
    cancel.cancel();
    tx.send(()).unwrap();
    bounded(&done_rx);
}

// Done as an awaitable and as a select arm in a task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn done_in_tasks() {
    let (ctx, cancel) = Context::with_cancel(&Context::background());
    let c2 = ctx.clone();
    let t = tokio::spawn(async move {
        let mut d = c2.done();
        let mut never = ithaca_time::never();
        Select::new(&mut [&mut never, &mut d]).await
    });
    let c3 = ctx.clone();
    let t2 = tokio::spawn(async move { c3.done().await });
    cancel.cancel();
    assert_eq!(t.await.unwrap(), Some(1));
    t2.await.unwrap();
    // A timeout context in a select beside an after(): the earlier one wins.
    let (tctx, _h) = Context::with_timeout(&Context::background(), Duration::from_millis(5));
    let mut d = tctx.done();
    let mut late = ithaca_time::after(Duration::from_secs(60));
    assert_eq!(Select::new(&mut [&mut late, &mut d]).await, Some(1));
}

// 10^5 nodes: create and cancel a wide tree, then a deep chain; everything is reached and
// every child list ends empty (counted, not timed).
#[test]
fn large_tree_and_chain() {
    let (root, rc) = Context::with_cancel(&Context::background());
    let mut level = vec![root.clone()];
    let mut all = Vec::new();
    let mut guards = Vec::new();
    while all.len() < 100_000 {
        let mut next = Vec::new();
        for p in &level {
            for _ in 0..10 {
                if all.len() >= 100_000 {
                    break;
                }
                let (c, h) = Context::with_cancel(p);
                next.push(c.clone());
                all.push(c);
                guards.push(h);
            }
        }
        level = next;
    }
    rc.cancel();
    assert!(all.iter().all(|c| c.err() == Some(ContextError::Canceled)));
    assert!(all.iter().all(|c| c.child_count() == 0));
    drop(guards);
    drop(all);

    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024) // deliberately small: no recursion on cancel or drop
        .spawn(|| {
            let (root, rc) = Context::with_cancel(&Context::background());
            let mut ctx = root.clone();
            let mut guards = Vec::new();
            for _ in 0..100_000 {
                let (c, h) = Context::with_cancel(&ctx);
                ctx = c;
                guards.push(h);
            }
            rc.cancel();
            assert_eq!(ctx.err(), Some(ContextError::Canceled));
            drop(ctx);
            for g in guards.into_iter().rev() {
                g.disarm();
            }
            drop(root);
        })
        .unwrap();
    handle.join().unwrap();
}

// Deadline with the real clock reached lazily even if nobody waits.
#[test]
fn deadline_noticed_by_err() {
    let (c, _h) = Context::with_deadline(
        &Context::background(),
        Instant::now() + Duration::from_millis(2),
    );
    let end = Instant::now() + Duration::from_secs(5);
    while c.err().is_none() {
        assert!(Instant::now() < end);
        std::thread::yield_now();
    }
    assert_eq!(c.err(), Some(ContextError::DeadlineExceeded));
}

// The limiter's wait cancelled by a context (x/time/rate TestWaitCancel with a context).
#[test]
fn limiter_wait_cancelled_by_context() {
    use ithaca_time::rate::{Limit, Limiter, WaitError};
    let lim = Limiter::new(Limit::new(0.001), 1);
    lim.wait_blocking().unwrap();
    let (ctx, cancel) = Context::with_cancel(&Context::background());
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(5));
        cancel.cancel();
    });
    let r = lim.wait_n_or_blocking(1, ctx.done(), ctx.deadline());
    assert_eq!(r, Err(WaitError::Cancelled));
    assert_eq!(ctx.err(), Some(ContextError::Canceled));
    t.join().unwrap();
}

// An after_func registration keeps a dropped (disarmed) context attached: f still runs when
// the parent is cancelled, as in Go.
#[test]
fn after_func_survives_dropped_context() {
    let (p, pc) = Context::with_cancel(&Context::background());
    let (c, h) = Context::with_cancel(&p);
    h.disarm();
    let (tx, rx) = mpsc::channel();
    let _stop = Context::after_func(&c, move || tx.send(()).unwrap());
    drop(c);
    assert_eq!(p.child_count(), 1);
    pc.cancel();
    bounded(&rx);
}
