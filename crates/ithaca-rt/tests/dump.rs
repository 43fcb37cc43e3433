//! Goroutine dumps: Go's header format, JSON, SIGQUIT, and the cost of a 100,000-goroutine
//! dump (go-semantics.md §4.2).
#![cfg(all(not(loom), feature = "diagnostics"))]

use std::time::{Duration, Instant};

use ithaca_chan::bounded;
use ithaca_rt::runtime::{self, GoroutineState};
use ithaca_rt::{go, Goroutine};

/// Polls (bounded) until goroutine `id` is blocked.
fn wait_blocked(id: u64) {
    let t0 = Instant::now();
    while !runtime::snapshot()
        .iter()
        .any(|g| g.id == id && matches!(g.state, GoroutineState::Blocked { .. }))
    {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "goroutine {id} never blocked"
        );
        std::thread::yield_now();
    }
}

#[test]
fn dump_shows_wait_reason_name_location_and_creator() {
    let (tx, rx) = bounded::<i32>(0);
    let (parent_tx, parent_rx) = std::sync::mpsc::channel();
    let line = line!() + 4;
    let parent = go!(async move {
        let h = Goroutine::new()
            .name("worker-1")
            .spawn(async move { rx.recv().await });
        parent_tx.send(h.id()).unwrap();
        h.await.unwrap()
    });
    let child = parent_rx.recv().unwrap();
    wait_blocked(child);
    let d = runtime::dump();
    let text = d.to_string();
    let block = text
        .split("\n\n")
        .find(|b| b.starts_with(&format!("goroutine {child} ")))
        .unwrap_or_else(|| panic!("{text}"));
    let lines: Vec<&str> = block.lines().collect();
    assert_eq!(
        lines[0],
        format!("goroutine {child} [chan receive]:"),
        "{block}"
    );
    assert_eq!(lines[1], "\tname: worker-1", "{block}");
    assert!(
        lines[2].starts_with(&format!("\tblocked at {}:{}:", file!(), line)),
        "{block}"
    );
    assert!(
        lines[3].starts_with(&format!(
            "\tcreated by goroutine {} at {}:{}:",
            parent.id(),
            file!(),
            line
        )),
        "{block}"
    );
    let json = d.to_json();
    assert!(
        json.contains(&format!(
            "{{\"id\":{child},\"name\":\"worker-1\",\"kind\":\"async\",\"state\":\"blocked\",\
             \"op\":\"chan receive\",\"durable\":true,\"blocked_at\":{{\"file\":\"{}\",\"line\":{},",
            file!(),
            line
        )),
        "{json}"
    );
    assert!(
        json.contains(&format!("\"parent\":{}", parent.id())),
        "{json}"
    );
    tx.send_blocking(1).unwrap();
    assert_eq!(parent.join().unwrap(), Some(1));
}

#[test]
fn json_escapes_names() {
    let (tx, rx) = bounded::<()>(0);
    let h = Goroutine::new()
        .name("quote\" back\\ nl\n tab\t \u{1}")
        .spawn(async move { rx.recv().await });
    wait_blocked(h.id());
    let json = runtime::dump().to_json();
    assert!(
        json.contains(r#""name":"quote\" back\\ nl\n tab\t \u0001""#),
        "{json}"
    );
    drop(tx);
    h.join().unwrap();
}

#[test]
fn root_and_thread_spawned_goroutines_say_so() {
    let (tx, rx) = bounded::<()>(0);
    let h = go!(async move { rx.recv().await });
    wait_blocked(h.id());
    let text = runtime::dump().to_string();
    assert!(
        text.contains(&format!(
            "goroutine {} [chan receive]:\n\tblocked at",
            h.id()
        )),
        "{text}"
    );
    assert!(text.contains("\tcreated by a thread at"), "{text}");
    drop(tx);
    h.join().unwrap();
    let text = ithaca_rt::block_on(async { runtime::dump().to_string() });
    assert!(
        text.contains("[running]:\n\troot goroutine, started at"),
        "{text}"
    );
}

// 100,000 blocked goroutines: the dump (snapshot + Display + JSON) stays well under a second
// in release; the bound here is generous for debug builds on a loaded machine.
#[test]
fn dump_of_100k_goroutines_is_fast() {
    const N: usize = 100_000;
    let (tx, rx) = bounded::<()>(0);
    let handles: Vec<_> = (0..N)
        .map(|_| {
            let rx = rx.clone();
            go!(async move { rx.recv().await })
        })
        .collect();
    // Bounded wait until all of them are parked.
    let t0 = Instant::now();
    while runtime::summary().blocked < N {
        assert!(t0.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(5));
    }
    let t = Instant::now();
    let d = runtime::dump();
    let snap = t.elapsed();
    let text = d.to_string();
    let display = t.elapsed() - snap;
    let json = d.to_json();
    let total = t.elapsed();
    eprintln!(
        "dump of {} goroutines: snapshot {snap:?}, Display {display:?} ({} bytes), total with JSON {total:?} ({} bytes)",
        d.len(),
        text.len(),
        json.len()
    );
    assert!(d.len() >= N);
    assert!(
        snap + display < Duration::from_secs(2),
        "{snap:?} + {display:?}"
    );
    drop(tx);
    drop(rx);
    for h in handles {
        assert_eq!(h.join().unwrap(), None);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn sigquit_delivers_a_dump() {
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    runtime::install_sigquit_handler(move |d| {
        let _ = tx.lock().unwrap().send(d);
    })
    .unwrap();
    let (ctx, crx) = bounded::<()>(0);
    let h = Goroutine::new()
        .name("sigquit-witness")
        .spawn(async move { crx.recv().await });
    wait_blocked(h.id());
    // SAFETY: raising a signal for which a handler is installed.
    assert_eq!(unsafe { libc::raise(libc::SIGQUIT) }, 0);
    let d = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(d
        .goroutines()
        .iter()
        .any(|g| g.id == h.id() && g.name.as_deref() == Some("sigquit-witness")));
    drop(ctx);
    h.join().unwrap();
}
