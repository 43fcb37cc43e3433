//! Port of Go's `test/chancap.go`: `len`/`cap` of buffered and unbuffered channels, and
//! `make(chan T, n)` with an impossible size panics with `makechan: size out of range`
//! (a negative n — here `usize::MAX`, what -1 becomes — elem·n overflow, and n = 1<<59 of
//! 8-byte elements, more memory than can ever be allocated).
//!
//! Written from the behaviour described in go-semantics.md §1.1 / §2.2, not copied.
//! Differs from Go: `cap` of an unbounded channel is `None` (Go has no unbounded channel).

use std::process::Command;

use ithaca_chan::{bounded, unbounded};

#[test]
fn chancap_len_and_cap() {
    let (tx, rx) = bounded::<i64>(10);
    assert_eq!((rx.len(), rx.capacity()), (0, Some(10)));
    for i in 0..3 {
        tx.send_blocking(i).unwrap();
    }
    assert_eq!((rx.len(), rx.capacity()), (3, Some(10)));
    assert_eq!((tx.len(), tx.capacity()), (3, Some(10)));

    let (tx, rx) = bounded::<i64>(0);
    assert_eq!((rx.len(), rx.capacity()), (0, Some(0)));
    assert_eq!((tx.len(), tx.capacity()), (0, Some(0)));

    let (tx, rx) = unbounded::<i64>();
    for i in 0..3 {
        tx.send_blocking(i).unwrap();
    }
    assert_eq!((rx.len(), rx.capacity()), (3, None));
}

#[test]
#[should_panic(expected = "makechan: size out of range")]
fn chancap_minus_one_panics() {
    let _ = bounded::<i64>(-1isize as usize);
}

#[test]
#[should_panic(expected = "makechan: size out of range")]
fn chancap_elem_times_cap_overflow_panics() {
    let _ = bounded::<i64>((1usize << 63) - 1);
}

/// Go: `make(chan int, 1<<59)` panics (4 EiB is more than maxAlloc) — recoverably. Run in a
/// child process, so that a regression (an allocation failure aborts the process instead of
/// panicking) fails this test rather than killing the test binary.
#[test]
fn chancap_more_than_addressable_memory_panics_not_aborts() {
    if std::env::var_os("ITHACA_CHANCAP_CHILD").is_some() {
        let r = std::panic::catch_unwind(|| bounded::<i64>(1usize << 59));
        let msg = r
            .err()
            .and_then(|e| e.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(
            msg.contains("makechan: size out of range"),
            "panic: {msg:?}"
        );
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "chancap_more_than_addressable_memory_panics_not_aborts",
            "--nocapture",
            "--include-ignored",
        ])
        .env("ITHACA_CHANCAP_CHILD", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bounded::<i64>(1 << 59) must panic with `makechan: size out of range`, got {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
