//! The worker-pool acceptance test, alone in its binary because it silences the panic hook.

use ithaca_patterns::pool::Pool;

/// 4 workers, 100 000 tasks of which 1% panic: every result arrives, every panic is reported
/// (in the task's handle and in the pool's `failed` count), and the workers survive.
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn hundred_thousand_tasks_one_percent_panic() {
    std::panic::set_hook(Box::new(|_| {})); // 1000 expected panics: keep the output readable
    const N: u64 = 100_000;
    let pool = Pool::builder().workers(4).queue(256).build();
    let mut handles = Vec::with_capacity(N as usize);
    for i in 0..N {
        handles.push(
            pool.submit(async move {
                if i % 100 == 99 {
                    panic!("task {i} failed");
                }
                i
            })
            .await
            .unwrap(),
        );
    }
    let (mut sum, mut panics) = (0u64, 0u64);
    for (i, h) in handles.into_iter().enumerate() {
        match h.await {
            Ok(v) => {
                assert_eq!(v, i as u64);
                sum += v;
            }
            Err(e) => {
                assert_eq!(e.panic_message(), Some(format!("task {i} failed").as_str()));
                panics += 1;
            }
        }
    }
    pool.shutdown().await;
    let _ = std::panic::take_hook();
    let expected_sum: u64 = (0..N).filter(|i| i % 100 != 99).sum();
    assert_eq!(sum, expected_sum, "a result was lost");
    assert_eq!(panics, N / 100);
    let s = pool.stats();
    assert_eq!(
        (s.done, s.failed, s.queued, s.running),
        (N as usize, (N / 100) as usize, 0, 0)
    );
}
