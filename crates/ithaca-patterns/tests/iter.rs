//! Ordered concurrent map.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ithaca_context::Context;
use ithaca_patterns::iter::{map, map_stream};
use ithaca_patterns::pipeline::{collect, generate};

/// Results come back in input order even when later items finish first; work is spread
/// over the workers (they overlap).
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn map_keeps_order_and_overlaps() {
    let active = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (a, p) = (active.clone(), peak.clone());
    let out = map(0..100u64, 4, move |n| {
        let (a, p) = (a.clone(), p.clone());
        async move {
            let k = a.fetch_add(1, Ordering::SeqCst) + 1;
            p.fetch_max(k, Ordering::SeqCst);
            ithaca_time::sleep(Duration::from_micros((100 - n) % 5 * 100)).await;
            a.fetch_sub(1, Ordering::SeqCst);
            n * 3
        }
    })
    .await;
    assert_eq!(out, (0..100).map(|n| n * 3).collect::<Vec<_>>());
    let pk = peak.load(Ordering::SeqCst);
    assert!((2..=4).contains(&pk), "peak {pk}");
}

/// A panic in `f` is re-raised by `map`, naming the worker.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn map_reraises_panics() {
    let h = ithaca_rt::spawn(map(0..10, 3, |n: i32| async move {
        if n == 5 {
            panic!("bad {n}");
        }
        n
    }));
    let e = h.await.unwrap_err();
    let msg = e.panic_message().unwrap();
    assert!(
        msg.contains("iter::map worker") && msg.contains("bad 5"),
        "{msg}"
    );
}

/// `map_stream` keeps the input order over a channel.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn map_stream_keeps_order() {
    let ctx = Context::background();
    let out = map_stream(&ctx, generate(&ctx, 0..500u32), 6, |n| async move {
        ithaca_time::sleep(Duration::from_micros((n % 7) as u64 * 30)).await;
        n + 1
    });
    assert_eq!(collect(&out).await, (1..=500).collect::<Vec<_>>());
}
