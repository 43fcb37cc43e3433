//! Go's `time` tests (sleep_test.go, tick_test.go), mostly on the virtual clock.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use ithaca_core::{Arm, Outcome, Registration, Select, Waiter};
use ithaca_time::{after, never, tick, Clock, Ticker, Timer};

const SEC: Duration = Duration::from_secs(1);

/// An arm that never completes (stands in for a channel nobody sends on).
struct Silent;
impl Arm for Silent {
    fn try_complete(&mut self) -> bool {
        false
    }
    fn register(&mut self, _: &Arc<Waiter>, _: usize) -> Registration {
        Registration::Registered
    }
    fn unregister(&mut self, _: &Arc<Waiter>, _: Outcome) {}
}

/// Waits (bounded) until `f` holds.
fn eventually(mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(5);
    while !f() {
        assert!(Instant::now() < end, "condition not reached in 5 s");
        std::thread::sleep(Duration::from_millis(1));
    }
}

// Mirrors TestAfter: the value arrives no earlier than the delay, and is the due time.
#[test]
fn after_real_fires_after_delay() {
    let start = Instant::now();
    let d = Duration::from_millis(20);
    let v = after(d).recv_blocking();
    assert!(start.elapsed() >= d);
    assert!(v >= start + d);
}

#[test]
fn after_virtual_delivers_due_time() {
    let c = Clock::manual();
    let t0 = c.now();
    let mut a = c.after(3 * SEC);
    c.advance(2 * SEC);
    assert_eq!(a.try_recv(), None);
    c.advance(2 * SEC);
    assert_eq!(a.try_recv(), Some(t0 + 3 * SEC));
    // Fires once: like Go's After channel, nothing more comes.
    assert_eq!(a.try_recv(), None);
    assert_eq!(c.now(), t0 + 4 * SEC);
}

// Mirrors TestAfterStop: a stopped timer never delivers; stop reports whether it was active.
#[test]
fn after_stop() {
    let c = Clock::manual();
    let mut t = c.timer(SEC);
    assert!(t.stop());
    assert!(!t.stop());
    c.advance(10 * SEC);
    assert_eq!(t.try_recv(), None);
    // AfterFunc stopped in time never runs.
    let ran = Arc::new(AtomicUsize::new(0));
    let r2 = ran.clone();
    let h = c.after_func(SEC, move || {
        r2.fetch_add(1, SeqCst);
    });
    assert!(h.stop());
    c.advance(10 * SEC);
    std::thread::sleep(Duration::from_millis(5)); // give a wrong call a chance to happen
    assert_eq!(ran.load(SeqCst), 0);
}

// Mirrors TestAfterQueuing: timers created in random order fire in deadline order.
#[test]
fn after_queuing_fires_in_deadline_order() {
    let c = Clock::manual();
    let (tx, rx) = mpsc::channel();
    let order = [4u32, 1, 3, 0, 2, 6, 5];
    let mut handles = Vec::new();
    for &i in &order {
        let tx = tx.clone();
        handles.push(c.after_func(SEC * i, move || tx.send(i).unwrap()));
    }
    // Advance one deadline at a time so the threads' sends are ordered by us.
    for want in 0..order.len() as u32 {
        c.advance_to_next().unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), want);
    }
    // Channel timers too, fired by one advance: received values are in deadline order.
    let t0 = c.now();
    let mut ts: Vec<_> = order.iter().map(|&i| (i, c.after(SEC * i))).collect();
    c.advance(10 * SEC);
    for (i, t) in ts.iter_mut() {
        assert_eq!(t.try_recv(), Some(t0 + SEC * *i));
    }
}

// Mirrors TestReset: reset returns whether the timer was active, and re-arms it.
#[test]
fn timer_reset() {
    let c = Clock::manual();
    let t0 = c.now();
    let mut t = c.timer(SEC);
    c.advance(SEC / 2);
    assert!(t.reset(SEC)); // active; now due at t0 + 1.5 s
    c.advance(SEC / 2);
    assert_eq!(t.try_recv(), None);
    c.advance(SEC / 2);
    assert_eq!(t.try_recv(), Some(t0 + 3 * SEC / 2));
    assert!(!t.reset(SEC)); // had fired
    c.advance(SEC);
    assert_eq!(t.try_recv(), Some(t0 + 5 * SEC / 2));
}

// Go 1.23 (TM-02): after Stop or Reset returns, no stale value is received.
#[test]
fn no_stale_value_after_stop_or_reset() {
    let c = Clock::manual();
    let mut t = c.timer(SEC);
    c.advance(SEC); // fired, unreceived
    assert!(!t.stop());
    assert_eq!(t.try_recv(), None);

    let mut t = c.timer(SEC);
    c.advance(SEC);
    assert!(!t.reset(SEC));
    assert_eq!(t.try_recv(), None, "stale value after reset");
    c.advance(SEC);
    assert!(t.try_recv().is_some());

    let mut tk = c.ticker(SEC);
    c.advance(SEC);
    tk.reset(2 * SEC);
    assert_eq!(tk.try_recv(), None, "stale tick after Ticker.reset");
    // Real clock, timer already due but never observed.
    let mut r = Timer::new(Duration::ZERO);
    assert!(!r.stop());
    assert_eq!(r.try_recv(), None);
}

// Mirrors TestTicker on the virtual clock: exact tick times, then Reset to twice the period.
#[test]
fn ticker_ticks_and_resets() {
    let c = Clock::manual();
    let t0 = c.now();
    let d = Duration::from_millis(20);
    let mut tk = c.ticker(d);
    for i in 1..=10u32 {
        c.advance(d);
        assert_eq!(tk.try_recv(), Some(t0 + d * i));
    }
    let t1 = c.now();
    tk.reset(2 * d);
    for i in 1..=5u32 {
        c.advance(d);
        assert_eq!(tk.try_recv(), None);
        c.advance(d);
        assert_eq!(tk.try_recv(), Some(t1 + 2 * d * i));
    }
    tk.stop();
    c.advance(10 * d);
    assert_eq!(tk.try_recv(), None, "tick after stop");
}

// TM-05: ticks are dropped for slow receivers; the next tick stays on the period grid.
#[test]
fn ticker_drops_ticks_for_slow_receivers() {
    let c = Clock::manual();
    let t0 = c.now();
    let mut tk = c.tick(SEC);
    c.advance(SEC * 5 + SEC / 2);
    assert_eq!(
        tk.try_recv(),
        Some(t0 + SEC),
        "the first undelivered tick is kept"
    );
    assert_eq!(tk.try_recv(), None);
    c.advance(SEC / 2);
    assert_eq!(tk.try_recv(), Some(t0 + 6 * SEC));
}

// Mirrors TestTicker with the real clock and a generous tolerance.
#[test]
fn ticker_real_clock() {
    let d = Duration::from_millis(5);
    let mut tk = Ticker::new(d);
    let start = Instant::now();
    for _ in 0..5 {
        tk.recv_blocking();
    }
    let el = start.elapsed();
    assert!(el >= d * 5, "5 ticks took {el:?}");
    assert!(el < Duration::from_secs(2), "5 ticks took {el:?}");
}

// TestNewTickerLtZeroDuration / TestTickerResetLtZeroDuration / TestTick (Tick(0) is nil).
#[test]
#[should_panic(expected = "non-positive interval for NewTicker")]
fn new_ticker_zero_panics() {
    let _ = Ticker::new(Duration::ZERO);
}

#[test]
#[should_panic(expected = "non-positive interval for Ticker.Reset")]
fn ticker_reset_zero_panics() {
    Ticker::new(SEC).reset(Duration::ZERO);
}

#[test]
fn tick_zero_never_ticks() {
    let mut t = tick(Duration::ZERO);
    let mut timeout = after(Duration::from_millis(10));
    assert_eq!(Select::new(&mut [&mut t, &mut timeout]).wait(), Some(1));
    assert_eq!(t.try_recv(), None);
}

// TestSleepZeroDeadlock: sleeping zero returns at once.
#[test]
fn sleep_zero_returns() {
    ithaca_time::sleep_blocking(Duration::ZERO);
    Clock::manual().sleep_blocking(Duration::ZERO);
}

// Select with after() as the timeout arm, from a thread.
#[test]
fn select_timeout_from_thread() {
    let mut silent = Silent;
    let mut timeout = after(Duration::from_millis(10));
    let start = Instant::now();
    assert_eq!(
        Select::new(&mut [&mut silent, &mut timeout]).wait(),
        Some(1)
    );
    assert!(start.elapsed() >= Duration::from_millis(10));
    assert!(timeout.take().is_some());
}

// ... and from a task (tokio only as the executor).
#[tokio::test]
async fn select_timeout_from_task() {
    let mut silent = Silent;
    let mut timeout = after(Duration::from_millis(10));
    let start = Instant::now();
    assert_eq!(Select::new(&mut [&mut silent, &mut timeout]).await, Some(1));
    assert!(start.elapsed() >= Duration::from_millis(10));
    let v = after(Duration::from_millis(1)).await;
    assert!(v <= Instant::now());
    ithaca_time::sleep(Duration::from_millis(2)).await;
}

// Virtual clock: a thread blocked in a select is woken when another thread advances.
#[test]
fn virtual_clock_wakes_blocked_thread() {
    let c = Clock::manual();
    let t0 = c.now();
    let c2 = c.clone();
    let h = std::thread::spawn(move || {
        let mut silent = Silent;
        let mut a = c2.after(3600 * SEC);
        let won = Select::new(&mut [&mut silent, &mut a]).wait();
        (won, a.take())
    });
    eventually(|| c.pending() == 1);
    // Give the thread a chance to block (it works either way: registration re-checks).
    c.advance(3600 * SEC);
    let (won, v) = h.join().unwrap();
    assert_eq!(won, Some(1));
    assert_eq!(v, Some(t0 + 3600 * SEC));
}

// Virtual clock: a task sleeping on it finishes when the clock is advanced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn virtual_clock_wakes_task() {
    let c = Clock::manual();
    let c2 = c.clone();
    let done = Arc::new(AtomicUsize::new(0));
    let d2 = done.clone();
    let task = tokio::spawn(async move {
        c2.sleep(10 * SEC).await;
        d2.store(1, SeqCst);
        let mut t = c2.tick(SEC);
        t.recv().await
    });
    let c3 = c.clone();
    tokio::task::spawn_blocking(move || eventually(|| c3.pending() == 1))
        .await
        .unwrap();
    assert_eq!(done.load(SeqCst), 0);
    // advance_to_next is the runtime's auto-advance hook.
    c.advance_to_next().unwrap();
    let c4 = c.clone();
    tokio::task::spawn_blocking(move || eventually(|| c4.pending() == 1))
        .await
        .unwrap();
    let t = c.advance_to_next().unwrap();
    assert_eq!(task.await.unwrap(), t);
    assert_eq!(done.load(SeqCst), 1);
}

// Reset from another thread while a select waits: the waiter sees the new, earlier deadline.
#[test]
fn reset_while_selecting_real_clock() {
    let mut t = Timer::new(3600 * SEC);
    let h = t.handle();
    let start = Instant::now();
    let j = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(10));
        h.reset(Duration::from_millis(5));
    });
    let mut silent = Silent;
    assert_eq!(Select::new(&mut [&mut silent, &mut t]).wait(), Some(1));
    assert!(start.elapsed() < Duration::from_secs(10));
    j.join().unwrap();
}

// A dropped unfired timer is unregistered (Go 1.23: no leak).
#[test]
fn drop_unregisters() {
    let c = Clock::manual();
    let a = c.after(SEC);
    let t = c.ticker(SEC);
    let tm = c.timer(SEC);
    assert_eq!(c.pending(), 3);
    drop((a, t, tm));
    assert_eq!(c.pending(), 0);
}

// after_func runs f on its own thread; stop after firing returns false.
#[test]
fn after_func_real_clock() {
    let (tx, rx) = mpsc::channel();
    let h = ithaca_time::after_func(Duration::from_millis(1), move || {
        tx.send(std::thread::current().id()).unwrap()
    });
    let id = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_ne!(id, std::thread::current().id());
    assert!(!h.stop());
}

// Cancel safety: a dropped recv future does not lose a tick.
#[test]
fn dropped_recv_future_keeps_tick() {
    use std::future::Future;
    use std::task::Context;
    let c = Clock::manual();
    let mut tk = c.ticker(SEC);
    {
        let mut f = Box::pin(tk.recv());
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(f.as_mut().poll(&mut cx).is_pending());
        c.advance(SEC); // fired for the registered future, which is then dropped
    }
    assert!(tk.try_recv().is_some(), "tick lost by a dropped future");
    let mut n = never();
    assert_eq!(Select::new(&mut [&mut n]).default().wait(), None);
}
