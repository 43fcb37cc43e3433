//! The registry's view of goroutines: blocked on an ithaca primitive (with op and location)
//! vs waiting on a foreign future; blocked plain threads in the summary.
#![cfg(all(not(loom), feature = "diagnostics"))]

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use ithaca_core::diag;
use ithaca_rt::runtime::{self, GoroutineInfo, GoroutineState};
use ithaca_rt::Goroutine;

/// A stand-in for an ithaca primitive: reports `"test.Wait"` then stays pending until released.
#[derive(Default)]
struct Gate {
    open: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Gate {
    fn release(&self) {
        self.open.store(true, Ordering::SeqCst);
        if let Some(w) = self.waker.lock().unwrap().take() {
            w.wake();
        }
    }
}

struct GateWait {
    gate: Arc<Gate>,
    location: &'static Location<'static>,
}

#[track_caller]
fn wait_gate(gate: &Arc<Gate>) -> GateWait {
    GateWait {
        gate: gate.clone(),
        location: Location::caller(),
    }
}

impl Future for GateWait {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.gate.waker.lock().unwrap() = Some(cx.waker().clone());
        if self.gate.open.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        diag::note_wait("test.Wait", true, self.location);
        Poll::Pending
    }
}

/// Bounded polling for goroutine `id` to satisfy `pred`.
fn wait_for(id: u64, pred: impl Fn(&GoroutineInfo) -> bool) -> GoroutineInfo {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(g) = runtime::snapshot().into_iter().find(|g| g.id == id) {
            if pred(&g) {
                return g;
            }
            assert!(Instant::now() < deadline, "goroutine {id} stuck as {g:?}");
        } else {
            assert!(Instant::now() < deadline, "goroutine {id} not registered");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn blocked_on_a_noted_wait_shows_op_and_location() {
    let gate = Arc::new(Gate::default());
    let g2 = gate.clone();
    let (loc_tx, loc_rx) = std::sync::mpsc::channel();
    let before = Instant::now();
    let h = Goroutine::new().name("gated").spawn(async move {
        let w = wait_gate(&g2);
        loc_tx.send(w.location).unwrap();
        w.await;
        "released"
    });
    let expected_loc = loc_rx.recv().unwrap();
    let g = wait_for(h.id(), |g| {
        matches!(g.state, GoroutineState::Blocked { .. })
    });
    match g.state {
        GoroutineState::Blocked {
            op,
            location,
            since,
            durable,
        } => {
            assert_eq!(op, "test.Wait");
            assert_eq!(location, expected_loc);
            assert_eq!(location.file(), file!());
            assert!(durable);
            // The stamp comes from a coarse clock (a few ms of resolution).
            assert!(since + Duration::from_millis(50) >= before);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(g.name.as_deref(), Some("gated"));
    assert!(g.polls >= 1);
    assert!(runtime::summary().durably_blocked >= 1);
    gate.release();
    assert_eq!(h.join().unwrap(), "released");
}

/// Notes `"first"` (durable) then `"second"` (not durable) in one poll, then stays pending.
struct TwoNotes(&'static Location<'static>, Arc<Gate>);

impl Future for TwoNotes {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.1.waker.lock().unwrap() = Some(cx.waker().clone());
        if self.1.open.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        diag::note_wait("first", true, self.0);
        diag::note_wait("second", false, self.0);
        Poll::Pending
    }
}

#[test]
fn several_notes_in_one_poll_keep_the_last_op_and_and_durability() {
    let gate = Arc::new(Gate::default());
    let h = ithaca_rt::spawn(TwoNotes(Location::caller(), gate.clone()));
    let g = wait_for(h.id(), |g| {
        matches!(g.state, GoroutineState::Blocked { .. })
    });
    match g.state {
        GoroutineState::Blocked { op, durable, .. } => {
            assert_eq!(op, "second");
            assert!(
                !durable,
                "one non-durable wait makes the goroutine's wait non-durable"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    gate.release();
    h.join().unwrap();
}

#[test]
fn blocked_on_a_tokio_oneshot_shows_waiting() {
    let (tx, rx) = tokio::sync::oneshot::channel::<u8>();
    let h = Goroutine::new()
        .name("foreign")
        .spawn(async move { rx.await.unwrap() });
    let g = wait_for(h.id(), |g| g.state == GoroutineState::Waiting);
    assert_eq!(g.name.as_deref(), Some("foreign"));
    assert_eq!(g.kind, runtime::GoroutineKind::Async);
    tx.send(9).unwrap();
    assert_eq!(h.join().unwrap(), 9);
}

#[test]
fn a_new_poll_clears_the_previous_note() {
    // First blocked on the gate, then on a tokio oneshot: the state must follow.
    let gate = Arc::new(Gate::default());
    let g2 = gate.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let h = ithaca_rt::spawn(async move {
        wait_gate(&g2).await;
        rx.await.unwrap();
    });
    wait_for(h.id(), |g| {
        matches!(g.state, GoroutineState::Blocked { .. })
    });
    gate.release();
    wait_for(h.id(), |g| g.state == GoroutineState::Waiting);
    tx.send(()).unwrap();
    h.join().unwrap();
}

#[test]
fn current_goroutine_is_running_in_its_own_snapshot() {
    let state = ithaca_rt::block_on(async {
        let me = ithaca_rt::current_id().unwrap();
        runtime::snapshot()
            .into_iter()
            .find(|g| g.id == me)
            .map(|g| g.state)
    });
    assert_eq!(state, Some(GoroutineState::Running));
}

#[test]
fn summary_counts_blocked_plain_threads() {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let t = std::thread::spawn(move || {
        let _w = diag::ThreadWait::begin("test.ThreadWait", true, Location::caller());
        ready_tx.send(()).unwrap();
        rx.recv().unwrap();
    });
    ready_rx.recv().unwrap();
    assert!(runtime::summary().blocked_threads >= 1);
    tx.send(()).unwrap();
    t.join().unwrap();
}

#[test]
fn snapshot_is_sorted_and_num_goroutines_counts_live_ones() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let h = ithaca_rt::spawn(async move {
        rx.await.ok();
    });
    assert!(runtime::num_goroutines() >= 1);
    let s = runtime::snapshot();
    assert!(s.windows(2).all(|w| w[0].id < w[1].id));
    assert!(s.iter().any(|g| g.id == h.id()));
    let id = h.id();
    drop(tx);
    h.join().unwrap();
    assert!(!runtime::snapshot().iter().any(|g| g.id == id));
}
