//! Goroutine panics reach the joiner with the goroutine's identity; panic policies.
//! Mirrors GR-03 (an unrecovered goroutine panic kills the process) for `PanicPolicy::Abort`.
#![cfg(not(loom))]

use std::process::Command;

use ithaca_rt::{go, runtime, Goroutine};

#[test]
fn panic_reaches_the_joiner_with_name_and_spawn_location() {
    let n = std::hint::black_box(7); // a runtime value, so the payload is a `String`
    let g = Goroutine::new().name("worker-1");
    let line = line!() + 1;
    let h = g.spawn(async move { panic!("boom {n}") });
    let id = h.id();
    let err = h.join().unwrap_err();
    assert!(err.is_panic());
    assert!(!err.is_cancelled());
    assert_eq!(err.panic_message(), Some("boom 7"));
    assert_eq!(err.name(), Some("worker-1"));
    assert_eq!(err.id(), id);
    assert_eq!(err.spawned_at().file(), file!());
    assert_eq!(err.spawned_at().line(), line);
    let shown = err.to_string();
    assert!(shown.contains("worker-1"), "{shown}");
    assert!(shown.contains(&format!("{}:{line}", file!())), "{shown}");
    assert!(shown.contains("boom 7"), "{shown}");
    let payload = err.into_panic();
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("boom 7")
    );
}

#[test]
fn go_macro_records_its_call_site_and_awaiting_gets_the_panic() {
    ithaca_rt::block_on(async {
        let line = line!() + 1;
        let h = go!(async { panic!("inner") });
        let err = h.await.unwrap_err();
        assert_eq!(err.spawned_at().file(), file!());
        assert_eq!(err.spawned_at().line(), line);
        assert_eq!(err.name(), None);
        assert_eq!(err.panic_message(), Some("inner"));
    });
}

#[test]
fn a_panicking_goroutine_leaves_the_registry_and_others_keep_running() {
    let h = go!(async { panic!("gone") });
    let id = h.id();
    assert!(h.join().is_err());
    assert!(!runtime::snapshot().iter().any(|g| g.id == id));
    assert_eq!(go!(async { 1 }).join().unwrap(), 1);
}

#[test]
fn panic_in_spawn_blocking_reaches_the_joiner() {
    let g = Goroutine::new().name("blk");
    let line = line!() + 1;
    let h = g.spawn_blocking(|| -> u8 { panic!("blocking boom") });
    let err = h.join().unwrap_err();
    assert_eq!(err.panic_message(), Some("blocking boom"));
    assert_eq!(err.name(), Some("blk"));
    assert_eq!(err.spawned_at().line(), line);
}

/// Runs this test binary again with `ITHACA_RT_CHILD=<mode>`, only test `name`.
fn child(name: &str, mode: &str) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env("ITHACA_RT_CHILD", mode)
        .output()
        .unwrap()
}

fn child_mode() -> Option<String> {
    std::env::var("ITHACA_RT_CHILD").ok()
}

#[test]
fn abort_policy_exits_the_process_with_status_2() {
    if child_mode().as_deref() == Some("abort") {
        let rt = runtime::Builder::new()
            .worker_threads(1)
            .panic_policy(runtime::PanicPolicy::Abort)
            .build()
            .unwrap();
        let h = Goroutine::new()
            .name("doomed")
            .spawn_on(rt.handle(), async {
                panic!("fatal in goroutine");
            });
        let _ = h.join();
        unreachable!("the process should have exited");
    }
    let out = child("abort_policy_exits_the_process_with_status_2", "abort");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains("\"doomed\" panicked: fatal in goroutine"),
        "{stderr}"
    );
    assert!(stderr.contains(file!()), "{stderr}");
}

#[test]
fn detached_panic_is_reported_on_stderr() {
    if child_mode().as_deref() == Some("detached") {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let h = Goroutine::new().name("orphan").spawn(async move {
            panic!("nobody listens");
        });
        // Detach after the panic (the other order is covered by the loom model).
        while !h.is_finished() {
            std::thread::yield_now();
        }
        drop(h);
        // And one detached before it panics.
        let h2 = Goroutine::new().name("orphan2").spawn_blocking(move || {
            rx.recv().unwrap();
            panic!("nobody listens either");
        });
        drop(h2);
        tx.send(()).unwrap();
        // Bounded wait for the second report: the goroutine leaves the registry after it.
        for _ in 0..5_000 {
            // (Counted with or without the `diagnostics` feature; nothing else runs here.)
            if runtime::num_goroutines() == 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        return;
    }
    let out = child("detached_panic_is_reported_on_stderr", "detached");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr: {stderr}");
    assert!(
        stderr.contains("\"orphan\" panicked and was not joined: nobody listens"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\"orphan2\" panicked and was not joined: nobody listens either"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("was not joined").count(), 2, "{stderr}");
}

#[test]
fn joined_panic_is_not_reported_twice_and_log_policy_reports() {
    if child_mode().as_deref() == Some("joined") {
        let _ = Goroutine::new()
            .name("quiet")
            .spawn(async { panic!("q") })
            .join();
        let rt = runtime::Builder::new()
            .worker_threads(1)
            .panic_policy(runtime::PanicPolicy::Log)
            .build()
            .unwrap();
        let e = Goroutine::new()
            .name("logged")
            .spawn_on(rt.handle(), async { panic!("l") })
            .join()
            .unwrap_err();
        assert_eq!(e.panic_message(), Some("l"));
        return;
    }
    let out = child(
        "joined_panic_is_not_reported_twice_and_log_policy_reports",
        "joined",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr: {stderr}");
    assert!(!stderr.contains("\"quiet\" panicked"), "{stderr}");
    assert!(stderr.contains("\"logged\" panicked: l"), "{stderr}");
}
