//! With the `diagnostics` feature off (`--no-default-features`): goroutines still run, join,
//! report panics with their name and spawn site, and are counted; the registry-based APIs
//! compile and see nothing. Alone in its binary so that the goroutine count is exact.
#![cfg(all(not(loom), not(feature = "diagnostics")))]

use std::time::{Duration, Instant};

use ithaca_rt::runtime::{self, Baseline};
use ithaca_rt::{go, Goroutine};

// One test (tests in a binary run in parallel, and the first counts goroutines).
#[test]
fn without_diagnostics() {
    goroutines_run_and_are_counted_but_not_registered();
    panics_still_name_the_goroutine_and_its_spawn_site();
}

fn goroutines_run_and_are_counted_but_not_registered() {
    let (tx, rx) = ithaca_chan::bounded::<()>(0);
    let before = runtime::num_goroutines();
    let h = Goroutine::new()
        .name("parked")
        .spawn(async move { rx.recv().await });
    assert_eq!(runtime::num_goroutines(), before + 1);
    assert_eq!(h.name(), Some("parked"));
    // The registry-based views are empty, and say nothing wrong.
    assert!(runtime::snapshot().is_empty());
    assert!(runtime::dump().is_empty());
    assert_eq!(runtime::summary().goroutines, 0);
    // Leak checks pass trivially (documented): the parked goroutine is not seen.
    let base = Baseline::now().timeout(Duration::from_millis(10));
    let _also_parked = go!(std::future::pending::<()>());
    assert!(runtime::verify_none_leaked(&base).is_ok());
    drop(tx);
    assert_eq!(h.join().unwrap(), None);
    // Bounded polling: the count drops once the goroutine has finished.
    let deadline = Instant::now() + Duration::from_secs(5);
    while runtime::num_goroutines() != before + 1 {
        assert!(
            Instant::now() < deadline,
            "count stuck at {}",
            runtime::num_goroutines()
        );
        std::thread::yield_now();
    }
}

fn panics_still_name_the_goroutine_and_its_spawn_site() {
    let g = Goroutine::new().name("boom");
    let line = line!() + 1;
    let h = g.spawn(async { panic!("no registry") });
    let e = h.join().unwrap_err();
    assert_eq!(e.name(), Some("boom"));
    assert_eq!(e.panic_message(), Some("no registry"));
    assert_eq!(e.spawned_at().line(), line);
    assert!(e.to_string().contains(file!()), "{e}");
    // current_id and the nested-spawn path keep working.
    let v = ithaca_rt::block_on(async {
        let me = ithaca_rt::current_id();
        go!(async move { me.is_some() && ithaca_rt::current_id() != me })
            .await
            .unwrap()
    });
    assert!(v);
}
