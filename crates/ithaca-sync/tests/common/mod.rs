//! Test helpers: a manually fired cancel [`Arm`] (standing in for a context's `done()`).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use ithaca_core::{Arm, Outcome, Registration, Waiter};

#[derive(Default)]
struct State {
    fired: bool,
    waiters: Vec<(Arc<Waiter>, usize)>,
}

/// A one-shot signal, like a closed `done` channel once fired.
#[derive(Clone, Default)]
pub struct Signal(Arc<Mutex<State>>);

impl Signal {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn fire(&self) {
        let ws: Vec<_> = {
            let mut s = self.0.lock().unwrap();
            s.fired = true;
            s.waiters
                .drain(..)
                .filter(|(w, i)| w.try_select(*i))
                .collect()
        };
        for (w, _) in ws {
            w.wake();
        }
    }

    pub fn arm(&self) -> SignalArm {
        SignalArm(self.clone())
    }
}

pub struct SignalArm(Signal);

impl Arm for SignalArm {
    fn try_complete(&mut self) -> bool {
        self.0 .0.lock().unwrap().fired
    }
    fn register(&mut self, waiter: &Arc<Waiter>, index: usize) -> Registration {
        let mut s = self.0 .0.lock().unwrap();
        if s.fired {
            return Registration::Ready;
        }
        s.waiters.push((waiter.clone(), index));
        Registration::Registered
    }
    fn unregister(&mut self, waiter: &Arc<Waiter>, _: Outcome) {
        self.0
             .0
            .lock()
            .unwrap()
            .waiters
            .retain(|(w, _)| !Arc::ptr_eq(w, waiter));
    }
}

/// A multi-threaded tokio runtime with time enabled.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

/// The message of a caught panic.
pub fn panic_msg(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string>".into()
    }
}

/// Polls `cond` until it holds or 5 s pass (then panics with `what`).
pub fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !cond() {
        assert!(
            std::time::Instant::now() < end,
            "timed out waiting for: {what}"
        );
        std::thread::yield_now();
    }
}
