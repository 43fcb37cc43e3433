//! Cancel safety: dropping an in-flight async `send`, `recv` or `select` future never loses or
//! duplicates a value, on every capacity including 0. Every value is counted.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ithaca_chan::{bounded, select, unbounded, Receiver};

/// 10^6 receives (in total over the capacities) on channels where most receives are cancelled by a timeout or by a
/// losing select arm; the sum and count of what arrives must equal what was sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_receives_lose_nothing() {
    let n: usize = std::env::var("ITHACA_CANCEL_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    for cap in [0usize, 1, 16] {
        let (tx, rx) = bounded::<usize>(cap);
        let (other_tx, other_rx) = bounded::<()>(0);
        let producer = tokio::spawn(async move {
            for i in 0..n {
                tx.send(i).await.unwrap();
            }
        });
        // Something to make select arms lose: a ticker on another channel.
        let ticker = tokio::spawn(async move {
            while other_tx.send(()).await.is_ok() {
                tokio::task::yield_now().await;
            }
        });
        let mut count = 0usize;
        let mut sum = 0usize;
        let mut cancelled = 0usize;
        let mut i = 0usize;
        while count < n {
            i += 1;
            if i % 2 == 0 {
                // A receive raced against a very short timeout.
                match tokio::time::timeout(Duration::from_micros(1), rx.recv()).await {
                    Ok(Some(v)) => {
                        count += 1;
                        sum += v;
                    }
                    Ok(None) => unreachable!(),
                    Err(_) => cancelled += 1,
                }
            } else {
                // A select whose receive arm may lose to the ticker arm.
                select! {
                    recv(&rx) -> v => { count += 1; sum += v.unwrap(); },
                    recv(&other_rx) -> _t => cancelled += 1,
                }
            }
        }
        producer.await.unwrap();
        drop(other_rx);
        ticker.await.unwrap();
        assert_eq!(count, n, "cap {cap}");
        assert_eq!(sum, n * (n - 1) / 2, "cap {cap}: lost or duplicated values");
        assert!(
            cancelled > 0,
            "cap {cap}: the test never cancelled anything"
        );
        assert_eq!(rx.try_recv().ok(), None);
    }
}

/// A receive future that a sender already handed a value to, then dropped: the value is
/// returned to the channel (deterministic, via manual polling). Capacity 0 and 1: both
/// hand the value over in the receiver's waiter slot.
#[test]
fn dropped_claimed_recv_gives_value_back() {
    use std::future::Future;
    use std::task::{Context, Waker};
    for cap in [0, 1] {
        let (tx, rx) = bounded::<String>(cap);
        let mut cx = Context::from_waker(Waker::noop());
        let mut fut = Box::pin(rx.recv());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert_eq!(rx.waiting(), (1, 0));
        // The sender finds the parked receiver and hands the value over.
        tx.try_send("precious".to_string()).unwrap();
        assert_eq!(rx.len(), 0, "cap {cap}: handed over, not buffered");
        drop(fut); // cancelled before it could report the value
        assert_eq!(rx.try_recv().as_deref(), Ok("precious"), "cap {cap}");
    }
}

/// Same for a select future whose receive arm was chosen by a sender.
#[test]
fn dropped_claimed_select_gives_value_back() {
    use std::future::Future;
    use std::task::{Context, Waker};
    let (tx, rx) = bounded::<u32>(0);
    let (_tx2, rx2) = bounded::<u32>(0);
    let mut cx = Context::from_waker(Waker::noop());
    let mut fut = Box::pin(async {
        select! {
            recv(&rx) -> v => v,
            recv(&rx2) -> v => v,
        }
    });
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    tx.try_send(41).unwrap();
    drop(fut);
    assert_eq!(rx.try_recv(), Ok(41));
}

/// A dropped send future whose value was not taken drops it exactly once; one whose value was
/// taken counts as sent.
#[test]
fn dropped_send_future_drops_value_once() {
    use std::future::Future;
    use std::task::{Context, Waker};
    struct Tracked(Arc<AtomicUsize>);
    impl Drop for Tracked {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = bounded::<Tracked>(0);
    let mut cx = Context::from_waker(Waker::noop());
    let mut fut = Box::pin(tx.send(Tracked(drops.clone())));
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    drop(fut);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert!(
        rx.try_recv().is_err(),
        "a cancelled send delivered its value"
    );

    let mut fut = Box::pin(tx.send(Tracked(drops.clone())));
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    let got = rx.try_recv().expect("the parked sender's value");
    drop(fut); // the send happened; dropping the future must not drop the value again
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(got);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

/// Threads and goroutines, plain ops and selects, on one channel per capacity: every message
/// arrives exactly once. `ITHACA_STRESS_N` scales it (10^7 in the release check).
#[test]
fn mixed_threads_and_tasks_move_every_message_once() {
    let per_producer: usize = std::env::var("ITHACA_STRESS_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
        / 4;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for cap in [0usize, 1, 1000, usize::MAX] {
        let (tx, rx) = if cap == usize::MAX {
            unbounded::<u64>()
        } else {
            bounded::<u64>(cap)
        };
        let (aux_tx, aux_rx) = bounded::<u64>(0);
        let sum = Arc::new(AtomicUsize::new(0));
        let count = Arc::new(AtomicUsize::new(0));
        let mut threads = Vec::new();
        let mut tasks = Vec::new();
        // Producers: one thread plain, one thread select, one task plain, one task select.
        for p in 0..4u64 {
            let tx = tx.clone();
            let aux_tx = aux_tx.clone();
            let base = p * per_producer as u64;
            let n = per_producer as u64;
            match p {
                0 => threads.push(std::thread::spawn(move || {
                    (base..base + n).for_each(|v| tx.send_blocking(v).unwrap())
                })),
                1 => threads.push(std::thread::spawn(move || {
                    for v in base..base + n {
                        ithaca_chan::select_blocking! {
                            send(&tx, v) -> r => r.unwrap(),
                            send(&aux_tx, v) -> r => r.unwrap(),
                        }
                    }
                })),
                2 => tasks.push(rt.spawn(async move {
                    for v in base..base + n {
                        tx.send(v).await.unwrap();
                    }
                })),
                _ => tasks.push(rt.spawn(async move {
                    for v in base..base + n {
                        select! {
                            send(&tx, v) -> r => r.unwrap(),
                            send(&aux_tx, v) -> r => r.unwrap(),
                        }
                    }
                })),
            }
        }
        drop((tx, aux_tx));
        let consume = |v: u64, sum: &AtomicUsize, count: &AtomicUsize| {
            sum.fetch_add(v as usize, Ordering::Relaxed);
            count.fetch_add(1, Ordering::Relaxed);
        };
        // Consumers: a thread plain, a thread select over both, a task select over both.
        let (r, s, c) = (rx.clone(), sum.clone(), count.clone());
        threads.push(std::thread::spawn(move || {
            r.iter().for_each(|v| consume(v, &s, &c))
        }));
        let (r, a, s, c) = (rx.clone(), aux_rx.clone(), sum.clone(), count.clone());
        threads.push(std::thread::spawn(move || {
            select_loop_blocking(&r, &a, &s, &c)
        }));
        let (r, a, s, c) = (rx, aux_rx, sum.clone(), count.clone());
        tasks.push(rt.spawn(async move { select_loop(&r, &a, &s, &c).await }));
        for t in threads {
            t.join().unwrap();
        }
        rt.block_on(async {
            for t in tasks {
                t.await.unwrap();
            }
        });
        let n = 4 * per_producer;
        assert_eq!(count.load(Ordering::Relaxed), n, "cap {cap}");
        assert_eq!(sum.load(Ordering::Relaxed), n * (n - 1) / 2, "cap {cap}");
    }
}

fn select_loop_blocking(
    rx: &Receiver<u64>,
    aux: &Receiver<u64>,
    sum: &AtomicUsize,
    count: &AtomicUsize,
) {
    let (mut a, mut b) = (Some(rx), Some(aux));
    while a.is_some() || b.is_some() {
        ithaca_chan::select_blocking! {
            recv(a) -> v => match v { Some(v) => { sum.fetch_add(v as usize, Ordering::Relaxed); count.fetch_add(1, Ordering::Relaxed); } None => a = None },
            recv(b) -> v => match v { Some(v) => { sum.fetch_add(v as usize, Ordering::Relaxed); count.fetch_add(1, Ordering::Relaxed); } None => b = None },
        }
    }
}

async fn select_loop(
    rx: &Receiver<u64>,
    aux: &Receiver<u64>,
    sum: &AtomicUsize,
    count: &AtomicUsize,
) {
    let (mut a, mut b) = (Some(rx), Some(aux));
    while a.is_some() || b.is_some() {
        select! {
            recv(a) -> v => match v { Some(v) => { sum.fetch_add(v as usize, Ordering::Relaxed); count.fetch_add(1, Ordering::Relaxed); } None => a = None },
            recv(b) -> v => match v { Some(v) => { sum.fetch_add(v as usize, Ordering::Relaxed); count.fetch_add(1, Ordering::Relaxed); } None => b = None },
        }
    }
}
