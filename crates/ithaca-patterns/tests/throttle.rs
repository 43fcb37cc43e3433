//! Throttling: concurrency limit and rate limit.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ithaca_patterns::throttle::{RateLimit, Throttle};
use ithaca_time::rate::{Limit, Limiter};
use ithaca_time::Clock;

/// No more than `limit` goroutines run the guarded code at once, and they do overlap.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn throttle_limits_concurrency() {
    let t = Throttle::new(3);
    let active = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..50)
        .map(|_| {
            let (t, active, peak) = (t.clone(), active.clone(), peak.clone());
            ithaca_rt::spawn(async move {
                t.run(async {
                    let n = active.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(n, Ordering::SeqCst);
                    ithaca_time::sleep(Duration::from_micros(200)).await;
                    active.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            })
        })
        .collect();
    for h in hs {
        h.await.unwrap();
    }
    let p = peak.load(Ordering::SeqCst);
    assert!((2..=3).contains(&p), "peak {p}");
    assert_eq!(t.available(), 3);
}

/// A panic inside `run_blocking` gives the slot back.
#[test]
fn permit_released_on_panic() {
    let t = Throttle::new(1);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        t.run_blocking(|| panic!("inside"))
    }));
    assert!(r.is_err());
    assert_eq!(t.available(), 1);
}

/// Rate limiting on a virtual clock: a burst of 3, then one per second.
#[test]
fn rate_limit_on_a_virtual_clock() {
    let clock = Clock::manual();
    let r = RateLimit::from_limiter(Limiter::with_clock(Limit::new(1.0), 3, &clock));
    assert!(r.allow() && r.allow() && r.allow());
    assert!(!r.allow());
    clock.advance(Duration::from_millis(999));
    assert!(!r.allow());
    clock.advance(Duration::from_millis(1));
    assert!(r.allow());
    assert!(!r.allow());
}

/// gobyexample "Rate Limiting": requests wait for the limiter; five at 200/s take >= 20 ms.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn rate_limit_spaces_requests() {
    let r = RateLimit::every(Duration::from_millis(5), 1);
    let start = std::time::Instant::now();
    for _ in 0..5 {
        r.run(async {}).await;
    }
    assert!(start.elapsed() >= Duration::from_millis(20));
}
