//! `ITHACA_MAXPROCS` sizes the default runtime (checked in a child process, since the default
//! runtime starts once per process).
#![cfg(not(loom))]

use std::process::Command;

fn child(mode: &str, value: &str) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "maxprocs_env_var_sizes_the_default_runtime",
            "--nocapture",
        ])
        .env("ITHACA_RT_CHILD", mode)
        .env("ITHACA_MAXPROCS", value)
        .output()
        .unwrap()
}

#[test]
fn maxprocs_env_var_sizes_the_default_runtime() {
    match std::env::var("ITHACA_RT_CHILD").ok().as_deref() {
        Some("three") => {
            assert_eq!(ithaca_rt::runtime::max_procs(), 3);
            assert_eq!(ithaca_rt::go!(async { 1 }).join().unwrap(), 1);
            return;
        }
        Some("bad") => {
            drop(ithaca_rt::go!(async {}));
            unreachable!("a bad ITHACA_MAXPROCS must stop the default runtime");
        }
        _ => {}
    }
    let ok = child("three", "3");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let bad = child("bad", "lots");
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("ITHACA_MAXPROCS must be a positive integer, got \"lots\""),
        "{stderr}"
    );
}
