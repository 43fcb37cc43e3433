//! The deadlock detector, against Go's detector matrix (go-semantics.md §4.1, the scenarios of
//! `golang/go src/runtime/crash_test.go` `TestSimpleDeadlock`, `TestLockedDeadlock` and the
//! `testdata/testprog/deadlock.go` programs): each positive case must be reported and the
//! report must name the blocked goroutines and the source line where each one waits; each
//! negative case must never be reported.
#![cfg(all(not(loom), feature = "diagnostics"))]

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ithaca_chan::{bounded, select, Receiver};
use ithaca_rt::runtime::{self, Deadlock, GoroutineState};
use ithaca_rt::{go, Goroutine};

fn setup() {
    runtime::assume_test_harness();
    runtime::set_deadlock_check_interval(Duration::from_millis(10));
}

/// Records the line of the statement *after* the call: the blocking call under test.
fn at(slot: &AtomicU32, line: u32) {
    slot.store(line + 1, Ordering::SeqCst);
}

/// The (op, line) where goroutine `id` is reported blocked.
fn blocked(d: &Deadlock, id: u64) -> (&'static str, u32) {
    let g = d
        .goroutines()
        .iter()
        .find(|g| g.id == id)
        .unwrap_or_else(|| panic!("goroutine {id} missing from the report:\n{d}"));
    match g.state {
        GoroutineState::Blocked {
            op,
            location,
            durable,
            ..
        } => {
            assert!(durable, "{d}");
            assert_eq!(location.file(), file!(), "{d}");
            (op, location.line())
        }
        other => panic!("goroutine {id} reported in state {other:?}:\n{d}"),
    }
}

/// Runs `fut` expecting a deadlock; checks the report's text for every goroutine it names.
fn deadlock(fut: impl std::future::Future<Output = ()> + Send + 'static) -> Deadlock {
    setup();
    let t0 = Instant::now();
    let d = runtime::run_detecting(fut).expect_err("expected a deadlock report");
    let text = d.to_string();
    assert!(
        text.starts_with("fatal error: all goroutines are asleep - deadlock!\n\ngoroutine "),
        "{text}"
    );
    for g in d.goroutines() {
        assert!(text.contains(&format!("goroutine {} [", g.id)), "{text}");
        if let GoroutineState::Blocked { location, .. } = g.state {
            let at = format!("blocked at {}:{}:", location.file(), location.line());
            assert!(text.contains(&at), "{text}");
        }
    }
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    d
}

/// Root id of the report (the first goroutine: roots are spawned first in their bubble).
fn root(d: &Deadlock) -> u64 {
    assert_eq!(d.goroutines()[0].id, d.root());
    d.root()
}

// Go: `<-c` on an unbuffered channel nobody sends on (TestSimpleDeadlock's family).
#[test]
fn receive_with_no_sender() {
    let line = Arc::new(AtomicU32::new(0));
    let l = line.clone();
    let d = deadlock(async move {
        let (tx, rx) = bounded::<i32>(0);
        at(&l, line!());
        rx.recv().await;
        drop(tx);
    });
    assert_eq!(d.goroutines().len(), 1, "{d}");
    assert_eq!(
        blocked(&d, root(&d)),
        ("chan receive", line.load(Ordering::SeqCst))
    );
}

// Go: `c <- 1` with no receiver.
#[test]
fn send_with_no_receiver() {
    let line = Arc::new(AtomicU32::new(0));
    let l = line.clone();
    let d = deadlock(async move {
        let (tx, rx) = bounded::<i32>(0);
        at(&l, line!());
        let _ = tx.send(1).await;
        drop(rx);
    });
    assert_eq!(
        blocked(&d, root(&d)),
        ("chan send", line.load(Ordering::SeqCst))
    );
}

// Go: `var c chan int; select { case <-c: case c <- 1: }` — a select over nil channels only.
#[test]
fn select_over_nil_channels() {
    let line = Arc::new(AtomicU32::new(0));
    let l = line.clone();
    let d = deadlock(async move {
        let nil: Option<&Receiver<i32>> = None;
        at(&l, line!());
        select! {
            recv(nil) -> _ => {},
            recv(None::<&Receiver<u8>>) -> _ => {},
        }
    });
    let (op, l) = blocked(&d, root(&d));
    assert_eq!(l, line.load(Ordering::SeqCst));
    assert!(
        op.starts_with("select") || op.ends_with("(nil chan)"),
        "{op}"
    );
}

// Go: `select {}` — "select (no cases)".
#[test]
fn empty_select() {
    let line = Arc::new(AtomicU32::new(0));
    let l = line.clone();
    let d = deadlock(async move {
        at(&l, line!());
        select! {}
    });
    assert_eq!(
        blocked(&d, root(&d)),
        ("select (no cases)", line.load(Ordering::SeqCst))
    );
}

// Go: two-case select where nobody is ready.
#[test]
fn select_nobody_ready() {
    let line = Arc::new(AtomicU32::new(0));
    let l = line.clone();
    let d = deadlock(async move {
        let (tx1, rx1) = bounded::<i32>(0);
        let (tx2, rx2) = bounded::<i32>(0);
        at(&l, line!());
        select! {
            recv(&rx1) -> _ => {},
            recv(&rx2) -> _ => {},
        }
        drop((tx1, tx2));
    });
    assert_eq!(
        blocked(&d, root(&d)),
        ("select", line.load(Ordering::SeqCst))
    );
}

// Go: `wg.Add(1); wg.Wait()` with no Done — "sync.WaitGroup.Wait".
#[test]
fn waitgroup_with_no_done() {
    let line = Arc::new(AtomicU32::new(0));
    let l = line.clone();
    let d = deadlock(async move {
        let wg = ithaca_sync::WaitGroup::new();
        wg.add(1);
        at(&l, line!());
        wg.wait().await;
    });
    assert_eq!(
        blocked(&d, root(&d)),
        ("sync.WaitGroup.Wait", line.load(Ordering::SeqCst))
    );
}

// Go: `mu.Lock(); mu.Lock()` — "sync.Mutex.Lock".
#[test]
fn double_mutex_lock() {
    let line = Arc::new(AtomicU32::new(0));
    let l = line.clone();
    let d = deadlock(async move {
        let mu = ithaca_sync::Mutex::new(0);
        let _g = mu.lock().await;
        at(&l, line!());
        let _again = mu.lock().await;
    });
    assert_eq!(
        blocked(&d, root(&d)),
        ("sync.Mutex.Lock", line.load(Ordering::SeqCst))
    );
}

// Go: `cond.Wait()` with nobody to signal — "sync.Cond.Wait".
#[test]
fn cond_with_no_signal() {
    let line = Arc::new(AtomicU32::new(0));
    let l = line.clone();
    let d = deadlock(async move {
        let mu = ithaca_sync::Mutex::new(false);
        let cond = ithaca_sync::Cond::new();
        let g = mu.lock().await;
        at(&l, line!());
        let _g = cond.wait(g).await;
    });
    assert_eq!(
        blocked(&d, root(&d)),
        ("sync.Cond.Wait", line.load(Ordering::SeqCst))
    );
}

// Go: main and a goroutine waiting on each other — both dumped, the child "created by" main.
#[test]
fn root_and_child_waiting_on_each_other() {
    let lines = Arc::new([AtomicU32::new(0), AtomicU32::new(0)]);
    let l = lines.clone();
    let child = Arc::new(AtomicU32::new(0));
    let c = child.clone();
    let d = deadlock(async move {
        let (tx_a, rx_a) = bounded::<i32>(0);
        let (tx_b, rx_b) = bounded::<i32>(0);
        let l2 = l.clone();
        let h = Goroutine::new().name("partner").spawn(async move {
            at(&l2[1], line!());
            let v = rx_a.recv().await; // waits for the root...
            let _ = tx_b.send(v.unwrap_or(0)).await;
        });
        c.store(h.id() as u32, Ordering::SeqCst);
        at(&l[0], line!());
        let v = rx_b.recv().await; // ...which waits for it
        let _ = tx_a.send(v.unwrap_or(0)).await;
    });
    let root_id = root(&d);
    let child_id = u64::from(child.load(Ordering::SeqCst));
    assert_eq!(d.goroutines().len(), 2, "{d}");
    assert_eq!(
        blocked(&d, root_id),
        ("chan receive", lines[0].load(Ordering::SeqCst))
    );
    assert_eq!(
        blocked(&d, child_id),
        ("chan receive", lines[1].load(Ordering::SeqCst))
    );
    let g = d.goroutines().iter().find(|g| g.id == child_id).unwrap();
    assert_eq!(g.parent, Some(root_id));
    assert_eq!(g.name.as_deref(), Some("partner"));
    let text = d.to_string();
    assert!(text.contains("\tname: partner\n"), "{text}");
    assert!(
        text.contains(&format!("\tcreated by goroutine {root_id} at {}:", file!())),
        "{text}"
    );
}

// Grandchildren belong to the bubble too: a worker pool all stuck on a queue nobody feeds.
#[test]
fn whole_spawn_tree_is_reported() {
    let d = deadlock(async move {
        let (tx, rx) = bounded::<i32>(0);
        let (done_tx, done_rx) = bounded::<()>(0);
        for _ in 0..3 {
            let rx = rx.clone();
            let done_tx = done_tx.clone();
            go!(async move {
                let rx2 = rx.clone();
                go!(async move { while rx2.recv().await.is_some() {} });
                while rx.recv().await.is_some() {}
                let _ = done_tx.send(()).await;
            });
        }
        done_rx.recv().await;
        drop(tx);
    });
    assert_eq!(d.goroutines().len(), 1 + 3 + 3, "{d}");
    assert!(d.goroutines().iter().all(|g| g.bubble == Some(d.root())));
}

// ---- negative cases: never reported ----

// Go's matrix: a goroutine in time.Sleep delays the report until it wakes.
#[test]
fn sleeping_goroutine_is_not_a_deadlock() {
    setup();
    let r = runtime::run_detecting(async {
        let (tx, rx) = bounded::<i32>(0);
        go!(async move {
            ithaca_time::sleep(Duration::from_millis(300)).await;
            tx.send(7).await.unwrap();
        });
        rx.recv().await
    });
    assert_eq!(r.unwrap(), Some(7));
}

// Go's matrix: a goroutine in `ln.Accept()` disables detection (TestNetpollDeadlock). The
// connection comes from another *process* started before, so no thread of ours is involved.
#[test]
fn goroutine_in_accept_is_not_a_deadlock() {
    setup();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let Ok(mut connector) = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "sleep 0.3; exec 3<>/dev/tcp/127.0.0.1/{port}; sleep 0.2"
        ))
        .spawn()
    else {
        eprintln!("bash not available: skipping");
        return;
    };
    let r = runtime::run_detecting(async move {
        let l = tokio::net::TcpListener::from_std(listener).unwrap();
        let (tx, rx) = bounded::<bool>(0);
        go!(async move {
            let ok = l.accept().await.is_ok();
            tx.send(ok).await.unwrap();
        });
        rx.recv().await
    });
    let _ = connector.wait();
    assert_eq!(r.unwrap(), Some(true));
}

// A plain thread computing for a while before it sends to the goroutine that waits.
#[test]
fn plain_thread_computing_before_sending_is_not_a_deadlock() {
    setup();
    let r = runtime::run_detecting(async {
        let (tx, rx) = bounded::<u64>(0);
        std::thread::spawn(move || {
            let t0 = Instant::now();
            let mut x = 0u64;
            while t0.elapsed() < Duration::from_millis(300) {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
            tx.send_blocking(x | 1).unwrap();
        });
        rx.recv().await
    });
    assert!(r.unwrap().is_some());
}

// The same with a thread that is not even running (sleeping in a foreign call).
#[test]
fn plain_thread_sleeping_before_sending_is_not_a_deadlock() {
    setup();
    let r = runtime::run_detecting(async {
        let (tx, rx) = bounded::<u64>(0);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            tx.send_blocking(5).unwrap();
        });
        rx.recv().await
    });
    assert_eq!(r.unwrap(), Some(5));
}

// A raw tokio task (not a goroutine) holding the sender: the runtime has an unregistered
// task, so the detector stays silent.
#[test]
fn foreign_tokio_task_is_not_a_deadlock() {
    setup();
    let r = runtime::run_detecting(async {
        let (tx, rx) = bounded::<u64>(0);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            tx.send(9).await.unwrap();
        });
        rx.recv().await
    });
    assert_eq!(r.unwrap(), Some(9));
}

// ---- policies ----

// Default policy: the root's waiter (here the #[ithaca::test] harness) panics with the report.
#[ithaca_rt::test(crate = ::ithaca_rt)]
#[should_panic(expected = "fatal error: all goroutines are asleep - deadlock!")]
async fn default_policy_panics_the_test() {
    runtime::set_deadlock_check_interval(Duration::from_millis(10));
    let (tx, rx) = bounded::<i32>(0);
    rx.recv().await;
    drop(tx);
}

/// Runs this test binary again with `ITHACA_RT_CHILD=<mode>`, only test `name`.
fn child(name: &str, mode: &str) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env("ITHACA_RT_CHILD", mode)
        .output()
        .unwrap()
}

// Like Go: "fatal error: ..." and exit status 2, with the dump on stderr.
#[test]
fn abort_policy_exits_with_status_2() {
    if std::env::var("ITHACA_RT_CHILD").as_deref() == Ok("abort") {
        setup();
        let rt = runtime::Builder::new()
            .worker_threads(1)
            .deadlock_policy(runtime::DeadlockPolicy::Abort)
            .build()
            .unwrap();
        rt.block_on(async {
            let wg = ithaca_sync::WaitGroup::new();
            wg.add(1);
            wg.wait().await;
        });
        unreachable!("the process should have exited");
    }
    let out = child("abort_policy_exits_with_status_2", "abort");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains("fatal error: all goroutines are asleep - deadlock!"),
        "{stderr}"
    );
    assert!(stderr.contains("[sync.WaitGroup.Wait]"), "{stderr}");
    assert!(stderr.contains(file!()), "{stderr}");
}

// Log policy: the report is printed once and the root keeps waiting (a real deadlock never
// ends, so the parent kills the child once the report is out).
#[test]
fn log_policy_prints_once_and_keeps_waiting() {
    if std::env::var("ITHACA_RT_CHILD").as_deref() == Ok("log") {
        setup();
        let rt = runtime::Builder::new()
            .worker_threads(1)
            .deadlock_policy(runtime::DeadlockPolicy::Log)
            .build()
            .unwrap();
        rt.block_on(async {
            let (tx, rx) = bounded::<i32>(0);
            rx.recv().await;
            drop(tx);
        });
        unreachable!("a logged deadlock keeps waiting");
    }
    use std::io::Read;
    let mut c = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "log_policy_prints_once_and_keeps_waiting",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ITHACA_RT_CHILD", "log")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = c.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.push_str(&String::from_utf8_lossy(&buf[..n]));
            let _ = tx.send(all.clone());
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = String::new();
    while !seen.contains("[chan receive]") {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(s) => seen = s,
            Err(_) => break,
        }
    }
    // Give a second report the chance to appear (it must not).
    std::thread::sleep(Duration::from_millis(300));
    while let Ok(s) = rx.try_recv() {
        seen = s;
    }
    let still_running = c.try_wait().unwrap().is_none();
    let _ = c.kill();
    let _ = c.wait();
    let _ = reader.join();
    assert!(still_running, "{seen}");
    assert_eq!(
        seen.matches("all goroutines are asleep - deadlock!")
            .count(),
        1,
        "{seen}"
    );
    assert!(seen.contains(file!()), "{seen}");
}
