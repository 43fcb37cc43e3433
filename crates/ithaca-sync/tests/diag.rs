//! Every blocked wait reports through `ithaca_core::diag` with a Go-style reason and the
//! caller's location (what Go's goroutine dumps show as `[sync.Mutex.Lock]`).
mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex as StdMutex};
use std::task::{Context, Poll, Waker};

use common::eventually;
use ithaca_core::diag::{self, WaitNote, WaitObserver};
use ithaca_sync::{Cond, Mutex, RwMutex, Semaphore, WaitGroup};

#[derive(Default)]
struct Last(StdMutex<Option<WaitNote>>);
impl WaitObserver for Last {
    fn on_wait(&self, note: WaitNote) {
        *self.0.lock().unwrap() = Some(note);
    }
}

/// Polls `fut` once under an observer; returns the note it left (it must be pending).
fn note_of<F: Future>(fut: F) -> WaitNote {
    let last = Arc::new(Last::default());
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    let r = diag::observe(&*last, || fut.as_mut().poll(&mut cx));
    assert!(matches!(r, Poll::Pending));
    let n = last.0.lock().unwrap().take().expect("no wait note");
    n
}

#[test]
fn async_waits_report_op_and_location() {
    let m = Mutex::new(());
    let _g = m.lock_blocking();
    let line = line!() + 1;
    let n = note_of(m.lock());
    assert_eq!((n.op, n.durable), ("sync.Mutex.Lock", true));
    assert_eq!((n.location.file(), n.location.line()), (file!(), line));

    let mut later = ithaca_sync::Deadline::after(std::time::Duration::from_secs(60));
    let line = line!() + 1;
    let n = note_of(m.lock_or_cancel(&mut later));
    assert_eq!((n.op, n.durable), ("sync.Mutex.Lock", false));
    assert_eq!(n.location.line(), line);

    let rw = RwMutex::new(());
    let _w = rw.write_blocking();
    assert_eq!(note_of(rw.read()).op, "sync.RWMutex.RLock");
    assert_eq!(note_of(rw.write()).op, "sync.RWMutex.Lock");

    let wg = WaitGroup::new();
    wg.add(1);
    assert_eq!(note_of(wg.wait()).op, "sync.WaitGroup.Wait");

    let s = Semaphore::new(1);
    s.try_acquire(1);
    assert_eq!(note_of(s.acquire(1)).op, "semaphore.Acquire");

    let m2 = Mutex::new(());
    let c = Cond::new();
    let n = note_of(c.wait(m2.lock_blocking()));
    assert_eq!(n.op, "sync.Cond.Wait");
}

#[test]
fn blocked_threads_are_counted() {
    let m = Arc::new(Mutex::new(()));
    let g = m.lock_blocking();
    let m2 = m.clone();
    let t = std::thread::spawn(move || drop(m2.lock_blocking()));
    eventually("thread counted as blocked", || diag::blocked_threads() >= 1);
    drop(g);
    t.join().unwrap();
}
