//! Spawning from everywhere, joining from threads and tasks, the root goroutine, the macros.
#![cfg(not(loom))]

use std::time::Duration;

use ithaca_rt::{go, runtime};

/// GR-01 (go statement) from a plain thread, before any runtime exists in this thread.
#[test]
fn go_from_plain_thread_without_runtime() {
    let r = std::thread::spawn(|| {
        assert_eq!(ithaca_rt::current_id(), None);
        let h = go!(async { std::thread::current().name().map(str::to_owned) });
        h.join().unwrap()
    })
    .join()
    .unwrap();
    assert_eq!(r.as_deref(), Some("ithaca-worker"));
}

#[test]
fn join_from_plain_thread_waits_for_the_result() {
    let (tx, rx) = std::sync::mpsc::channel::<u32>();
    let h = go!(async move {
        // Finishes only after the plain thread below is already parked in join (or about to).
        tokio::task::spawn_blocking(move || rx.recv().unwrap())
            .await
            .unwrap()
            * 2
    });
    let joiner = std::thread::spawn(move || h.join());
    tx.send(21).unwrap();
    assert_eq!(joiner.join().unwrap().unwrap(), 42);
}

#[cfg(feature = "diagnostics")] // reads the registry
#[test]
fn goroutine_spawned_inside_goroutine_records_parent() {
    ithaca_rt::block_on(async {
        let me = ithaca_rt::current_id().unwrap();
        let h = go!(async {
            let child = ithaca_rt::current_id().unwrap();
            let info = runtime::snapshot()
                .into_iter()
                .find(|g| g.id == child)
                .unwrap();
            info.parent
        });
        let child_id = h.id();
        assert!(child_id > me, "ids are assigned in spawn order");
        assert_eq!(h.await.unwrap(), Some(me));
    });
}

#[test]
fn root_goroutine_runs_on_a_worker_not_on_the_caller() {
    let caller = std::thread::current().id();
    let (on_worker, id) = ithaca_rt::block_on(async move {
        (
            std::thread::current().id() != caller,
            ithaca_rt::current_id(),
        )
    });
    assert!(on_worker);
    assert!(id.is_some());
}

#[cfg(feature = "diagnostics")] // reads the registry
#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn test_attribute_runs_a_named_root_goroutine() {
    let me = ithaca_rt::current_id().expect("the test body is a goroutine");
    let g = runtime::snapshot()
        .into_iter()
        .find(|g| g.id == me)
        .unwrap();
    assert_eq!(
        g.name.as_deref(),
        Some("test_attribute_runs_a_named_root_goroutine")
    );
    assert_eq!(go!(async { 5 }).await.unwrap(), 5);
}

#[ithaca_rt::test(crate = ::ithaca_rt)]
async fn test_attribute_with_result_and_question_mark() -> Result<(), std::num::ParseIntError> {
    let n: i32 = "12".parse()?;
    assert_eq!(n, 12);
    Ok(())
}

#[ithaca_rt::test(crate = "::ithaca_rt")]
#[should_panic(expected = "root panics reach the caller")]
async fn root_panic_is_resumed_on_the_caller() {
    panic!("root panics reach the caller");
}

#[test]
fn block_on_inside_a_goroutine_panics_clearly() {
    let err = ithaca_rt::block_on(async {
        go!(async { ithaca_rt::block_on(async {}) })
            .await
            .unwrap_err()
    });
    let msg = err.panic_message().unwrap();
    assert!(
        msg.contains("block_on called from inside goroutine"),
        "{msg}"
    );
}

#[test]
fn join_inside_a_goroutine_panics_clearly() {
    let err = ithaca_rt::block_on(async { go!(async { go!(async {}).join() }).await.unwrap_err() });
    assert!(err.panic_message().unwrap().contains("JoinHandle::join"));
}

/// Inside a foreign tokio runtime, goroutines still go to the ithaca runtime.
#[test]
fn go_inside_a_foreign_tokio_runtime_uses_the_ithaca_runtime() {
    let foreign = tokio::runtime::Builder::new_current_thread()
        .thread_name("foreign")
        .build()
        .unwrap();
    let (name, id) = foreign.block_on(async {
        let h = go!(async {
            (
                std::thread::current().name().map(str::to_owned),
                ithaca_rt::current_id(),
            )
        });
        h.await.unwrap()
    });
    assert_eq!(name.as_deref(), Some("ithaca-worker"));
    assert!(id.is_some());
}

#[test]
fn go_inside_spawn_blocking_stays_on_that_runtime() {
    let rt = runtime::Builder::new()
        .worker_threads(1)
        .thread_name("own-rt")
        .build()
        .unwrap();
    let name = rt
        .spawn_blocking(|| {
            assert!(ithaca_rt::current_id().is_some());
            go!(async { std::thread::current().name().map(str::to_owned) })
                .join()
                .unwrap()
        })
        .join()
        .unwrap();
    assert_eq!(name.as_deref(), Some("own-rt"));
}

#[cfg(feature = "diagnostics")] // reads the registry
#[test]
fn spawn_blocking_is_registered_while_it_runs() {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let h = ithaca_rt::Goroutine::new()
        .name("blocker")
        .spawn_blocking(move || {
            rx.recv().unwrap();
            ithaca_rt::current_id()
        });
    let id = h.id();
    let mut seen = None;
    for _ in 0..5_000 {
        seen = runtime::snapshot().into_iter().find(|g| g.id == id);
        if matches!(&seen, Some(g) if g.state == runtime::GoroutineState::Running) {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let g = seen.expect("blocking goroutine registered");
    assert_eq!(g.kind, runtime::GoroutineKind::Blocking);
    assert_eq!(g.name.as_deref(), Some("blocker"));
    assert_eq!(g.state, runtime::GoroutineState::Running);
    tx.send(()).unwrap();
    assert_eq!(h.join().unwrap(), Some(id));
    assert!(!runtime::snapshot().iter().any(|g| g.id == id));
}

#[test]
fn dropped_runtime_cancels_its_goroutines() {
    let rt = runtime::Builder::new().worker_threads(1).build().unwrap();
    let h = rt.spawn(std::future::pending::<()>());
    let id = h.id();
    rt.shutdown_timeout(Duration::from_secs(5));
    let e = h.join().unwrap_err();
    assert!(e.is_cancelled());
    assert!(!runtime::snapshot().iter().any(|g| g.id == id));
}

#[test]
fn builder_sets_worker_count_and_name() {
    let rt = runtime::Builder::new()
        .worker_threads(3)
        .thread_name("sized")
        .build()
        .unwrap();
    assert_eq!(rt.handle().max_procs(), 3);
    let name = rt.block_on(async {
        assert_eq!(runtime::max_procs(), 3);
        std::thread::current().name().map(str::to_owned)
    });
    assert_eq!(name.as_deref(), Some("sized"));
}
