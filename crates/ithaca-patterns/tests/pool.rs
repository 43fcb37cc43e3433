//! Worker pool: backpressure, shutdown (drain and immediate), resize, metrics.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ithaca_chan::bounded;
use ithaca_patterns::pool::{Pool, TrySubmitError};

/// A full queue makes `try_submit` fail and `submit` wait until a worker takes a task.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn bounded_queue_backpressure() {
    let pool = Pool::builder().workers(1).queue(2).build();
    let (tx, rx) = bounded::<()>(0);
    let (started_tx, started_rx) = bounded::<()>(0);
    let busy = pool
        .submit(async move {
            started_tx.send(()).await.unwrap();
            rx.recv().await;
        })
        .await
        .unwrap();
    started_rx.recv().await.unwrap(); // the worker is busy
    let a = pool.try_submit(async { 1 }).unwrap();
    let b = pool.try_submit(async { 2 }).unwrap();
    assert!(matches!(
        pool.try_submit(async { 3 }),
        Err(TrySubmitError::Full)
    ));
    assert_eq!(pool.stats().queued, 2);
    // A blocked submit completes only once the worker frees a slot.
    let p2 = pool.clone();
    let submitter = ithaca_rt::spawn(async move { p2.submit(async { 4 }).await.unwrap().await });
    ithaca_time::sleep(Duration::from_millis(10)).await; // give a wrong submit a chance
    assert!(!submitter.is_finished());
    drop(tx);
    busy.await.unwrap();
    assert_eq!((a.await.unwrap(), b.await.unwrap()), (1, 2));
    assert_eq!(submitter.await.unwrap().unwrap(), 4);
}

/// Graceful shutdown runs every queued task, then refuses new ones.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn shutdown_drains_the_queue() {
    let pool = Pool::builder().workers(2).queue(100).build();
    let ran = Arc::new(AtomicUsize::new(0));
    let mut hs = Vec::new();
    for _ in 0..100 {
        let ran = ran.clone();
        hs.push(
            pool.submit(async move {
                ithaca_time::sleep(Duration::from_micros(10)).await;
                ran.fetch_add(1, Ordering::SeqCst);
            })
            .await
            .unwrap(),
        );
    }
    pool.shutdown().await;
    assert_eq!(ran.load(Ordering::SeqCst), 100);
    for h in hs {
        h.await.unwrap();
    }
    assert!(pool.submit(async {}).await.is_err());
}

/// Immediate shutdown cancels the pool's context (running tasks that watch it stop) and
/// drops queued tasks unrun; their handles say so.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn shutdown_now_cancels() {
    let pool = Pool::builder().workers(1).queue(10).build();
    let ctx = pool.context().clone();
    let (started_tx, started_rx) = bounded::<()>(0);
    let running = pool
        .submit(async move {
            started_tx.send(()).await.unwrap();
            ctx.done().await;
            "stopped"
        })
        .await
        .unwrap();
    started_rx.recv().await.unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let mut queued = Vec::new();
    for _ in 0..5 {
        let ran = ran.clone();
        queued.push(
            pool.submit(async move {
                ran.fetch_add(1, Ordering::SeqCst);
            })
            .await
            .unwrap(),
        );
    }
    pool.shutdown_now();
    assert_eq!(running.await.unwrap(), "stopped");
    for h in queued {
        assert!(h.await.unwrap_err().is_cancelled());
    }
    pool.shutdown().await;
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    assert_eq!(pool.stats().queued, 0);
}

/// Growing adds workers that run tasks concurrently; shrinking retires workers.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn resize_grows_and_shrinks() {
    let pool = Pool::builder().workers(1).queue(64).name("rs").build();
    pool.resize(4);
    // Four tasks that each wait for the other three: needs four workers at once.
    let barrier = Arc::new(ithaca_sync::WaitGroup::new());
    barrier.add(4);
    let mut hs = Vec::new();
    for _ in 0..4 {
        let b = barrier.clone();
        hs.push(
            pool.submit(async move {
                b.done();
                b.wait().await;
            })
            .await
            .unwrap(),
        );
    }
    for h in hs {
        h.await.unwrap();
    }
    let named = |n: &str| {
        ithaca_rt::runtime::snapshot()
            .iter()
            .filter(|g| g.name.as_deref().is_some_and(|x| x.starts_with(n)))
            .count()
    };
    assert_eq!(named("rs-worker-"), 4);
    pool.resize(2);
    assert_eq!(pool.stats().workers, 2);
    let mut tries = 0;
    while named("rs-worker-") != 2 {
        tries += 1;
        assert!(tries < 2000, "workers did not retire");
        ithaca_time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(pool.submit(async { 9 }).await.unwrap().await.unwrap(), 9);
    pool.shutdown().await;
}

/// Metrics while tasks run.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn stats_count_running_tasks() {
    let pool = Pool::builder().workers(3).queue(8).build();
    let wg = ithaca_sync::WaitGroup::new();
    wg.add(3);
    let (tx, rx) = bounded::<()>(0);
    for _ in 0..3 {
        let (wg, rx) = (wg.clone(), rx.clone());
        let detached = pool
            .submit(async move {
                wg.done();
                rx.recv().await;
            })
            .await
            .unwrap();
        drop(detached); // the task keeps running
    }
    wg.wait().await;
    assert_eq!(pool.stats().running, 3);
    drop((tx, rx));
    pool.shutdown().await;
    let s = pool.stats();
    assert_eq!((s.running, s.done, s.failed), (0, 3, 0));
}

/// Threads can submit and wait too.
#[test]
fn blocking_submit_and_wait() {
    let pool = Pool::new(2);
    let hs: Vec<_> = (0..10)
        .map(|i| pool.submit_blocking(async move { i + 1 }).unwrap())
        .collect();
    let sum: i32 = hs.into_iter().map(|h| h.wait_blocking().unwrap()).sum();
    assert_eq!(sum, 55);
    pool.shutdown_blocking();
}
