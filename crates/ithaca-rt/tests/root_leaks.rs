//! Leak reports when a root (`block_on`, `#[ithaca::main]`) returns while goroutines of its
//! bubble are still durably blocked (Go's goleak semantics, applied to a program's roots):
//! `runtime::run_reporting_leaks` and `Builder::leak_policy`.
#![cfg(all(not(loom), feature = "diagnostics"))]

use std::time::Instant;

use ithaca_chan::bounded;
use ithaca_rt::runtime::{self, Builder, GoroutineState, LeakPolicy};
use ithaca_rt::{go, Goroutine};

/// A goroutine blocked forever sending on an unbuffered channel whose receiver stays alive
/// (leaked on purpose) but never receives; returns the line it was spawned at.
fn leak_a_sender(name: &str) -> u32 {
    let (tx, rx) = bounded::<i32>(0);
    let g = Goroutine::new().name(name);
    let line = line!() + 1;
    g.spawn(async move { tx.send(1).await });
    Box::leak(Box::new(rx));
    line
}

#[test]
fn a_root_that_returns_with_a_blocked_goroutine_reports_it() {
    let ((line, me), leaks) = runtime::run_reporting_leaks(async {
        (
            leak_a_sender("stuck-sender"),
            ithaca_rt::current_id().unwrap(),
        )
    });
    let leaked = leaks.expect_err("the blocked sender is reported");
    let gs = leaked.goroutines();
    assert_eq!(gs.len(), 1, "{leaked}");
    let g = &gs[0];
    assert_eq!(g.name.as_deref(), Some("stuck-sender"));
    assert_eq!(g.bubble, Some(me));
    assert_eq!(g.parent, Some(me));
    assert_eq!((g.spawned_at.file(), g.spawned_at.line()), (file!(), line));
    assert!(
        matches!(
            g.state,
            GoroutineState::Blocked {
                op: "chan send",
                durable: true,
                ..
            }
        ),
        "{:?}",
        g.state
    );
    let text = leaked.to_string();
    assert!(text.contains("[chan send]"), "{text}");
    assert!(text.contains(&format!("{}:{line}:", file!())), "{text}");
}

#[test]
fn a_root_whose_goroutines_all_finish_reports_nothing() {
    let (v, leaks) = runtime::run_reporting_leaks(async {
        let (tx, rx) = bounded::<i32>(0);
        // Detached, and still finishing when the root returns: not a leak.
        go!(async move { tx.send(5).await.unwrap() });
        rx.recv().await.unwrap()
    });
    assert_eq!(v, 5);
    assert!(leaks.is_ok(), "{}", leaks.unwrap_err());
}

#[test]
fn goroutines_sleeping_or_on_io_are_not_reported() {
    let t0 = Instant::now();
    let (_, leaks) = runtime::run_reporting_leaks(async {
        // Sleeping past the grace period: it will finish by itself, so it is no leak.
        go!(ithaca_time::sleep(runtime::ROOT_LEAK_GRACE * 3));
        // Waiting on a foreign future (no ithaca wait note): not provably stuck.
        let (keep, rx) = tokio::sync::oneshot::channel::<()>();
        go!(async move { rx.await.ok() });
        Box::leak(Box::new(keep));
    });
    assert!(leaks.is_ok(), "{}", leaks.unwrap_err());
    // It waited out the grace period (something was alive), but not much longer.
    assert!(t0.elapsed() >= runtime::ROOT_LEAK_GRACE);
}

#[test]
fn builder_leak_policy_panic_fails_block_on_with_the_report() {
    let rt = Builder::new()
        .worker_threads(1)
        .leak_policy(LeakPolicy::Panic)
        .build()
        .unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async { leak_a_sender("panic-policy") })
    }));
    let msg = *r.expect_err("leak -> panic").downcast::<String>().unwrap();
    assert!(
        msg.starts_with("ithaca: goroutine leak: root goroutine "),
        "{msg}"
    );
    assert!(
        msg.contains("1 goroutine(s) it started are still blocked"),
        "{msg}"
    );
    assert!(msg.contains("name: panic-policy"), "{msg}");
    assert!(msg.contains("[chan send]"), "{msg}");
    // Roots without leaks are unaffected.
    assert_eq!(rt.block_on(async { go!(async { 3 }).await.unwrap() }), 3);
}

#[test]
fn block_on_does_not_look_by_default() {
    // The default policy of `block_on` is Off (unless ITHACA_LEAKS says otherwise): the leak
    // goes unreported and the root's value is returned.
    if std::env::var_os("ITHACA_LEAKS").is_none() {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        assert!(rt.block_on(async { leak_a_sender("ignored") }) > 0);
    }
}

/// `#[ithaca::main]` (what it expands to) logs leaks by default: checked in a child process,
/// since `Log` prints to stderr.
#[test]
fn main_logs_leaks_by_default() {
    if std::env::var("ITHACA_RT_CHILD").as_deref() == Ok("main") {
        let line = runtime::__block_on_root("main", async { leak_a_sender("left-behind") });
        println!("spawned at line {line}");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "main_logs_leaks_by_default", "--nocapture"])
        .env("ITHACA_RT_CHILD", "main")
        .env_remove("ITHACA_LEAKS")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("ithaca: goroutine leak: root goroutine 1 \"main\" returned"),
        "{stderr}"
    );
    assert!(stderr.contains("name: left-behind"), "{stderr}");
    assert!(stderr.contains("[chan send]:"), "{stderr}");
}
