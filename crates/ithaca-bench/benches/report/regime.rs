//! Scheduling regime: how often a goroutine-flavour row's tasks move between workers.
//!
//! On two workers a channel row can run in two regimes. In one, the tasks stay on one
//! worker: each poll wakes one task, tokio runs it next from that worker's LIFO slot, and
//! the other worker stays parked. In the other, wakes spill out of the LIFO slot into the
//! run queue, tokio unparks the idle worker, it steals, and both workers work the channel
//! at once (contending for its lock and cache lines). The timed report cannot tell them
//! apart; this mode counts it: every task of the row is wrapped in [`Counted`], which
//! notes each poll that runs on another worker than the task's previous poll (a
//! *migration*). Printed per message, with the time and the number of task polls, for every
//! implementation of the row (see "Where ithaca falls short").
//!
//! Run: `BENCH_REGIME=chan/goroutine/mpsc/1 cargo bench -p ithaca-bench --bench report`
//! (`BENCH_SCALE`, `BENCH_ROUNDS` and `BENCH_WORKERS` apply).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use crate::channels;
use crate::harness::{self, BoxFut, Config, Measure, Rt};

/// Whether `Rt::spawn_all` wraps tasks in [`Counted`] (only in this mode).
static ON: AtomicBool = AtomicBool::new(false);
static POLLS: AtomicUsize = AtomicUsize::new(0);
static MIGRATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's number (1, 2, ...), given on first use.
    static WORKER: usize = {
        static NEXT: AtomicUsize = AtomicUsize::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    };
}

/// Whether tasks are to be counted (this mode is running).
pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// A task wrapped to count its polls and migrations; adds them to the totals when it
/// finishes (no shared writes while it runs).
pub struct Counted {
    inner: BoxFut<()>,
    last: usize,
    polls: usize,
    migrations: usize,
}

impl Counted {
    /// Wraps `inner`.
    pub fn new(inner: BoxFut<()>) -> Self {
        Counted {
            inner,
            last: 0,
            polls: 0,
            migrations: 0,
        }
    }
}

impl Future for Counted {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let me = WORKER.with(|w| *w);
        if self.last != 0 && self.last != me {
            self.migrations += 1;
        }
        self.last = me;
        self.polls += 1;
        let r = self.inner.as_mut().poll(cx);
        if r.is_ready() {
            POLLS.fetch_add(self.polls, Ordering::Relaxed);
            MIGRATIONS.fetch_add(self.migrations, Ordering::Relaxed);
        }
        r
    }
}

/// Runs the goroutine-flavour row `id` for every implementation, `cfg.rounds` times, and
/// prints one line per run: ns per message, task polls and migrations per message.
pub fn run(id: &str) {
    assert!(
        id.starts_with("chan/goroutine/"),
        "BENCH_REGIME: {id:?} is not a goroutine-flavour channel row"
    );
    ON.store(true, Ordering::Relaxed);
    let cfg = Config::from_env();
    let (irt, trt) = harness::runtimes(cfg.workers);
    let ithaca = Rt::Ithaca(irt.handle().clone());
    let tokio = Rt::Tokio(trt.handle().clone());
    let sections = channels::sections(&cfg, &ithaca, &tokio);
    let (section, row) = channels::find_row(&sections, id, "BENCH_REGIME");
    let msgs = channels::ops(&cfg, id) as f64;
    println!("{id}, {} workers: per message", cfg.workers);
    for _ in 0..cfg.rounds {
        for (name, run) in section.impls.iter().zip(&row.runs) {
            POLLS.store(0, Ordering::Relaxed);
            MIGRATIONS.store(0, Ordering::Relaxed);
            match run() {
                Measure::Value(ns) => println!(
                    "{name:>14}: {ns:8.1} ns  polls {:.3}  migrations {:.3}",
                    POLLS.load(Ordering::Relaxed) as f64 / msgs,
                    MIGRATIONS.load(Ordering::Relaxed) as f64 / msgs,
                ),
                Measure::Na(why) => println!("{name:>14}: n/a ({why})"),
                Measure::Hung => println!("{name:>14}: hung"),
            }
        }
    }
}
