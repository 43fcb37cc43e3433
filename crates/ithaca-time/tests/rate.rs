//! Ports of golang.org/x/time/rate's rate_test.go (deterministic: explicit times, or the
//! virtual clock where Go uses its fake `testTime`).

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ithaca_time::rate::{Limit, Limiter, Reservation, WaitError, INF_DURATION};
use ithaca_time::Clock;

const D: Duration = Duration::from_millis(100);

struct Times {
    t0: Instant,
}
impl Times {
    fn t(&self, i: u32) -> Instant {
        self.t0 + D * i
    }
    /// Multiples of D since t0, rounded (Go's dSince).
    fn d_since(&self, t: Instant) -> i64 {
        let ns = if t >= self.t0 {
            t.duration_since(self.t0).as_nanos() as i64
        } else {
            -(self.t0.duration_since(t).as_nanos() as i64)
        };
        (ns + D.as_nanos() as i64 / 2).div_euclid(D.as_nanos() as i64)
    }
}

fn times() -> Times {
    Times { t0: Instant::now() }
}

/// (time, tokens expected before, n, allowed?)
fn run(lim: &Limiter, steps: &[(Instant, f64, usize, bool)]) {
    for (i, &(t, toks, n, ok)) in steps.iter().enumerate() {
        assert_eq!(lim.tokens_at(t), toks, "step {i}: tokens_at");
        assert_eq!(lim.allow_n(t, n), ok, "step {i}: allow_n({n})");
    }
}

#[test]
fn limit_and_every() {
    // TestLimit, TestEvery
    assert_ne!(Limit::new(10.0), Limit::INF);
    let close = |a: Limit, b: f64| ((a.as_f64() / b) - 1.0).abs() < 1e-9;
    assert_eq!(Limit::every(Duration::ZERO), Limit::INF);
    assert!(close(Limit::every(Duration::from_nanos(1)), 1e9));
    assert!(close(Limit::every(Duration::from_micros(1)), 1e6));
    assert!(close(Limit::every(Duration::from_millis(10)), 100.0));
    assert!(close(Limit::every(Duration::from_millis(2500)), 0.4));
    assert!(close(Limit::every(Duration::from_secs(10)), 0.1));
}

#[test]
fn limiter_burst1() {
    let tt = times();
    let (t0, t1, t2) = (tt.t(0), tt.t(1), tt.t(2));
    run(
        &Limiter::new(Limit::new(10.0), 1),
        &[
            (t0, 1.0, 1, true),
            (t0, 0.0, 1, false),
            (t0, 0.0, 1, false),
            (t1, 1.0, 1, true),
            (t1, 0.0, 1, false),
            (t1, 0.0, 1, false),
            (t2, 1.0, 2, false), // burst is 1, so n=2 always fails
            (t2, 1.0, 1, true),
            (t2, 0.0, 1, false),
        ],
    );
}

#[test]
fn limiter_burst3() {
    let tt = times();
    let t = |i| tt.t(i);
    run(
        &Limiter::new(Limit::new(10.0), 3),
        &[
            (t(0), 3.0, 2, true),
            (t(0), 1.0, 2, false),
            (t(0), 1.0, 1, true),
            (t(0), 0.0, 1, false),
            (t(1), 1.0, 4, false),
            (t(2), 2.0, 1, true),
            (t(3), 2.0, 1, true),
            (t(4), 2.0, 1, true),
            (t(4), 1.0, 1, true),
            (t(4), 0.0, 1, false),
            (t(4), 0.0, 1, false),
            (t(9), 3.0, 3, true),
            (t(9), 0.0, 0, true),
        ],
    );
}

#[test]
fn limiter_jump_backwards() {
    let tt = times();
    let t = |i| tt.t(i);
    run(
        &Limiter::new(Limit::new(10.0), 3),
        &[
            (t(1), 3.0, 1, true),
            (t(0), 2.0, 1, true),
            (t(0), 1.0, 1, true),
            (t(0), 0.0, 1, false),
            (t(0), 0.0, 1, false),
            (t(1), 1.0, 1, true),
            (t(1), 0.0, 1, false),
            (t(1), 0.0, 1, false),
            (t(2), 1.0, 1, true),
            (t(2), 0.0, 1, false),
            (t(2), 0.0, 1, false),
        ],
    );
}

#[test]
fn no_truncation_errors() {
    assert!(Limiter::new(Limit::new(0.769_230_769_230_769_3), 1).allow());
}

#[test]
fn simultaneous_requests() {
    let lim = Limiter::new(Limit::new(1.0), 5);
    let ok = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..15)
        .map(|_| {
            let (lim, ok) = (lim.clone(), ok.clone());
            std::thread::spawn(move || {
                if lim.allow() {
                    ok.fetch_add(1, SeqCst);
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(ok.load(SeqCst), 5);
}

#[test]
fn long_running_qps() {
    let clock = Clock::manual();
    let (limit, burst) = (100.0, 100usize);
    let lim = Limiter::with_clock(Limit::new(limit), burst, &clock);
    let start = clock.now();
    let end = start + Duration::from_secs(5);
    let mut n_ok = 0usize;
    while clock.now() < end {
        if lim.allow() {
            n_ok += 1;
        }
        clock.advance(Duration::from_millis(2));
    }
    let elapsed = clock.now() - start;
    let ideal = burst as f64 + limit * elapsed.as_secs_f64();
    // Go truncates both bounds to int32.
    assert!(n_ok <= (ideal + 1.0) as usize, "{n_ok} > {ideal}+1");
    assert!(n_ok >= (0.999 * ideal) as usize, "{n_ok} < 0.999*{ideal}");
}

/// Go's runReserveMax: reserve n at t within max; check ok and the act time in D units.
fn reserve(
    tt: &Times,
    lim: &Limiter,
    t: Instant,
    n: usize,
    act: Instant,
    ok: bool,
    max: Duration,
) -> Reservation {
    let r = lim.reserve_within(t, n, max);
    assert_eq!(r.ok(), ok, "reserve(t{}, {n}) ok", tt.d_since(t));
    if ok {
        assert_eq!(
            tt.d_since(r.time_to_act().unwrap()),
            tt.d_since(act),
            "reserve(t{}, {n}) act",
            tt.d_since(t)
        );
    }
    r
}

macro_rules! rr {
    ($tt:expr, $lim:expr, $t:expr, $n:expr, $act:expr, $ok:expr) => {
        reserve(&$tt, &$lim, $tt.t($t), $n, $tt.t($act), $ok, INF_DURATION)
    };
    ($tt:expr, $lim:expr, $t:expr, $n:expr, $act:expr, $ok:expr, $max:expr) => {
        reserve(&$tt, &$lim, $tt.t($t), $n, $tt.t($act), $ok, $max)
    };
}

#[test]
fn simple_reserve() {
    let tt = times();
    let lim = Limiter::new(Limit::new(10.0), 2);
    rr!(tt, lim, 0, 2, 0, true);
    rr!(tt, lim, 0, 2, 2, true);
    rr!(tt, lim, 3, 2, 4, true);
}

#[test]
fn mix() {
    let tt = times();
    let lim = Limiter::new(Limit::new(10.0), 2);
    rr!(tt, lim, 0, 3, 1, false); // n > burst
    rr!(tt, lim, 0, 2, 0, true);
    run(&lim, &[(tt.t(1), 1.0, 2, false)]);
    rr!(tt, lim, 1, 2, 2, true);
    run(&lim, &[(tt.t(1), -1.0, 1, false)]); // tokens can go negative
    run(&lim, &[(tt.t(3), 1.0, 1, true)]);
}

#[test]
fn cancel_invalid() {
    let tt = times();
    let lim = Limiter::new(Limit::new(10.0), 2);
    rr!(tt, lim, 0, 2, 0, true);
    let r = rr!(tt, lim, 0, 3, 3, false);
    r.cancel_at(tt.t(0));
    rr!(tt, lim, 0, 2, 2, true);
}

#[test]
fn cancel_last() {
    let tt = times();
    let lim = Limiter::new(Limit::new(10.0), 2);
    rr!(tt, lim, 0, 2, 0, true);
    let r = rr!(tt, lim, 0, 2, 2, true);
    r.cancel_at(tt.t(1));
    rr!(tt, lim, 1, 2, 2, true);
}

#[test]
fn cancel_too_late() {
    let tt = times();
    let lim = Limiter::new(Limit::new(10.0), 2);
    rr!(tt, lim, 0, 2, 0, true);
    let r = rr!(tt, lim, 0, 2, 2, true);
    r.cancel_at(tt.t(3));
    rr!(tt, lim, 3, 2, 4, true);
}

#[test]
fn cancel_0_tokens() {
    let tt = times();
    let lim = Limiter::new(Limit::new(10.0), 2);
    rr!(tt, lim, 0, 2, 0, true);
    let r = rr!(tt, lim, 0, 1, 1, true);
    rr!(tt, lim, 0, 1, 2, true);
    r.cancel_at(tt.t(0));
    rr!(tt, lim, 0, 1, 3, true);
}

#[test]
fn cancel_1_token() {
    let tt = times();
    let lim = Limiter::new(Limit::new(10.0), 2);
    rr!(tt, lim, 0, 2, 0, true);
    let r = rr!(tt, lim, 0, 2, 2, true);
    rr!(tt, lim, 0, 1, 3, true);
    r.cancel_at(tt.t(2));
    rr!(tt, lim, 2, 2, 4, true);
}

#[test]
fn cancel_multi() {
    let tt = times();
    let lim = Limiter::new(Limit::new(10.0), 4);
    rr!(tt, lim, 0, 4, 0, true);
    let ra = rr!(tt, lim, 0, 3, 3, true);
    rr!(tt, lim, 0, 1, 4, true);
    let rc = rr!(tt, lim, 0, 1, 5, true);
    rc.cancel_at(tt.t(1));
    ra.cancel_at(tt.t(1));
    rr!(tt, lim, 1, 3, 5, true);
}

#[test]
fn reserve_jump_back() {
    let tt = times();
    let lim = Limiter::new(Limit::new(10.0), 2);
    rr!(tt, lim, 1, 2, 1, true);
    rr!(tt, lim, 0, 1, 1, true);
    rr!(tt, lim, 2, 2, 3, true);
    rr!(tt, lim, 0, 3, 0, false);
    rr!(tt, lim, 2, 1, 4, true);
    rr!(tt, lim, 0, 2, 0, false, D);
    rr!(tt, lim, 2, 1, 5, true);
}

#[test]
fn reserve_jump_back_cancel() {
    let tt = times();
    let lim = Limiter::new(Limit::new(10.0), 2);
    rr!(tt, lim, 1, 2, 1, true);
    let r = rr!(tt, lim, 1, 2, 3, true);
    rr!(tt, lim, 1, 1, 4, true);
    r.cancel_at(tt.t(0));
    rr!(tt, lim, 1, 2, 4, true);
}

#[test]
fn reserve_set_limit() {
    let tt = times();
    let lim = Limiter::new(Limit::new(5.0), 2);
    rr!(tt, lim, 0, 2, 0, true);
    rr!(tt, lim, 0, 2, 4, true);
    lim.set_limit_at(tt.t(2), Limit::new(10.0));
    rr!(tt, lim, 2, 1, 4, true);
}

#[test]
fn reserve_set_burst() {
    let tt = times();
    let lim = Limiter::new(Limit::new(5.0), 2);
    rr!(tt, lim, 0, 2, 0, true);
    rr!(tt, lim, 0, 2, 4, true);
    lim.set_burst_at(tt.t(3), 4);
    rr!(tt, lim, 0, 4, 9, true);
}

#[test]
fn reserve_set_limit_cancel() {
    let tt = times();
    let lim = Limiter::new(Limit::new(5.0), 2);
    rr!(tt, lim, 0, 2, 0, true);
    let r = rr!(tt, lim, 0, 2, 4, true);
    lim.set_limit_at(tt.t(2), Limit::new(10.0));
    r.cancel_at(tt.t(2));
    rr!(tt, lim, 2, 2, 3, true);
}

#[test]
fn reserve_max() {
    let tt = times();
    let lim = Limiter::new(Limit::new(10.0), 2);
    rr!(tt, lim, 0, 2, 0, true, D);
    rr!(tt, lim, 0, 1, 1, true, D);
    rr!(tt, lim, 0, 1, 2, false, D);
    assert_eq!(
        lim.reserve_within(tt.t(0), 1, D).delay_from(tt.t(0)),
        INF_DURATION
    );
}

/// Go's runWait on the virtual clock: a helper thread advances the clock to the next timer
/// (Go's `advance()` hook) while the wait blocks; the wait's delay is measured in D units.
fn run_wait(
    clock: &Clock,
    lim: &Limiter,
    n: usize,
    cancel: impl ithaca_core::Arm,
    deadline: Option<Instant>,
    want_delay: u32,
    want_ok: bool,
) {
    let start = clock.now();
    let c2 = clock.clone();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    let driver = std::thread::spawn(move || {
        while !s2.load(SeqCst) {
            if c2.pending() > 0 {
                c2.advance_to_next();
            }
            std::thread::yield_now();
        }
    });
    let r = lim.wait_n_or_blocking(n, cancel, deadline);
    stop.store(true, SeqCst);
    driver.join().unwrap();
    let got = clock.now() - start;
    assert_eq!(r.is_ok(), want_ok, "wait(n={n}) = {r:?}");
    let got_d = ((got + D / 2).as_nanos() / D.as_nanos()) as u32;
    assert!(
        got_d >= want_delay && got_d <= (want_delay * 3).div_ceil(2),
        "wait(n={n}) delay {got:?}, want {want_delay}*D"
    );
}

/// A cancel arm that is already done.
struct Done;
impl ithaca_core::Arm for Done {
    fn try_complete(&mut self) -> bool {
        true
    }
    fn register(&mut self, _: &Arc<ithaca_core::Waiter>, _: usize) -> ithaca_core::Registration {
        ithaca_core::Registration::Ready
    }
    fn unregister(&mut self, _: &Arc<ithaca_core::Waiter>, _: ithaca_core::Outcome) {}
}

#[test]
fn wait_simple() {
    let clock = Clock::manual();
    let lim = Limiter::with_clock(Limit::new(10.0), 3, &clock);
    let never = ithaca_time::never;
    run_wait(&clock, &lim, 1, Done, None, 0, false); // already cancelled
    assert_eq!(
        lim.wait_n_or_blocking(4, never(), None),
        Err(WaitError::ExceedsBurst { n: 4, burst: 3 })
    );
    assert_eq!(
        WaitError::ExceedsBurst { n: 4, burst: 3 }.to_string(),
        "rate: Wait(n=4) exceeds limiter's burst 3"
    );
    run_wait(&clock, &lim, 2, never(), None, 0, true);
    run_wait(&clock, &lim, 3, never(), None, 2, true);
}

#[test]
fn wait_cancel() {
    let clock = Clock::manual();
    let lim = Limiter::with_clock(Limit::new(10.0), 3, &clock);
    run_wait(&clock, &lim, 2, ithaca_time::never(), None, 0, true); // tokens = 1
                                                                    // The cancel fires after D, before the 2 D the 3 tokens need: tokens are given back.
    let cancel = clock.after(D);
    run_wait(&clock, &lim, 3, cancel, None, 1, false);
    run_wait(&clock, &lim, 2, ithaca_time::never(), None, 0, true);
}

#[test]
fn wait_timeout() {
    let clock = Clock::manual();
    let lim = Limiter::with_clock(Limit::new(10.0), 3, &clock);
    let deadline = Some(clock.now() + D);
    run_wait(&clock, &lim, 2, ithaca_time::never(), deadline, 0, true);
    assert_eq!(
        lim.wait_n_or_blocking(3, ithaca_time::never(), deadline),
        Err(WaitError::WouldExceedDeadline { n: 3 })
    );
    assert_eq!(
        WaitError::WouldExceedDeadline { n: 3 }.to_string(),
        "rate: Wait(n=3) would exceed context deadline"
    );
}

#[test]
fn wait_inf() {
    let lim = Limiter::new(Limit::INF, 0);
    assert_eq!(
        lim.wait_n_or_blocking(3, ithaca_time::never(), None),
        Ok(())
    );
}

#[test]
fn zero_limit_and_set_after() {
    // TestZeroLimit, TestSetAfterZeroLimit
    let clock = Clock::manual();
    let lim = Limiter::with_clock(Limit::new(0.0), 1, &clock);
    assert!(lim.allow());
    assert!(!lim.allow());
    lim.set_limit(Limit::new(10.0));
    run_wait(&clock, &lim, 1, ithaca_time::never(), None, 1, true);
}

#[test]
fn tiny_limit() {
    let lim = Limiter::new(Limit::new(1e-10), 1);
    assert!(lim.allow());
    assert!(!lim.allow());
}

#[tokio::test]
async fn wait_async_virtual() {
    let clock = Clock::manual();
    let lim = Limiter::with_clock(Limit::new(10.0), 1, &clock);
    lim.wait().await.unwrap();
    let c2 = clock.clone();
    let h = std::thread::spawn(move || {
        let end = Instant::now() + Duration::from_secs(5);
        while c2.pending() == 0 {
            assert!(Instant::now() < end);
            std::thread::yield_now();
        }
        c2.advance(D);
    });
    let start = clock.now();
    lim.wait().await.unwrap();
    assert_eq!(clock.now() - start, D);
    h.join().unwrap();
}
