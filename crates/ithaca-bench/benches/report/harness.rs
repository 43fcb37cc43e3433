//! The measuring machinery: configuration from the environment, the watchdog, the two
//! runtimes, and the round-robin driver that turns runners into medians and same-round
//! ratios.
//!
//! Invariants: within a round every implementation of a row runs once, in column order; a
//! runner that reported `n/a` or `hung` is not run again in that row; a cell's value is the
//! median of the rounds it ran in.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// A boxed `Send` future.
pub type BoxFut<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The result of one run of one implementation on one row.
#[derive(Clone, Debug)]
pub enum Measure {
    /// The row's unit (ns per op, bytes per goroutine ...).
    Value(f64),
    /// The implementation cannot do this row, and why.
    Na(&'static str),
    /// The watchdog stopped it: it never finished.
    Hung,
}

/// Settings from the environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// Multiplies every workload size.
    pub scale: f64,
    /// Rounds per row.
    pub rounds: usize,
    /// Runtime worker threads (ithaca, tokio; Go's GOMAXPROCS is set by the script).
    pub workers: usize,
    /// Watchdog limit per run (`BENCH_TIMEOUT` seconds; default 5 + 20 × scale).
    pub timeout: Duration,
    /// Only rows whose id contains this.
    pub filter: String,
    /// Only implementations whose name contains this.
    pub only_impl: String,
    /// `cargo test --benches` (no `--bench` argument): tiny sizes, one round, no docs.
    pub test_mode: bool,
}

fn env_parse<T: std::str::FromStr>(name: &str) -> Option<T> {
    let v = std::env::var(name).ok()?;
    match v.parse() {
        Ok(x) => Some(x),
        Err(_) => panic!("{name}={v:?} is not a valid number"),
    }
}

impl Config {
    /// Reads the environment (see the crate docs for the variables).
    pub fn from_env() -> Config {
        // `cargo bench` passes `--bench`; `cargo test --benches` does not.
        let test_mode = !std::env::args().any(|a| a == "--bench");
        let scale: f64 = env_parse("BENCH_SCALE").unwrap_or(if test_mode { 0.001 } else { 1.0 });
        assert!(
            scale > 0.0 && scale.is_finite(),
            "BENCH_SCALE must be a positive number, got {scale}"
        );
        let rounds: usize = env_parse("BENCH_ROUNDS").unwrap_or(if test_mode { 1 } else { 5 });
        assert!(rounds >= 1, "BENCH_ROUNDS must be at least 1");
        let workers = env_parse("BENCH_WORKERS")
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        assert!(workers >= 1, "BENCH_WORKERS must be at least 1");
        // The slowest legitimate run at scale 1 takes a few seconds on a loaded 2-core machine.
        let timeout =
            Duration::from_secs_f64(env_parse("BENCH_TIMEOUT").unwrap_or(5.0 + 20.0 * scale));
        Config {
            scale,
            rounds,
            workers,
            timeout,
            filter: std::env::var("BENCH_FILTER").unwrap_or_default(),
            only_impl: std::env::var("BENCH_IMPL").unwrap_or_default(),
            test_mode,
        }
    }

    /// `n` times the scale, at least `min`.
    pub fn size(&self, n: usize, min: usize) -> usize {
        ((n as f64 * self.scale).round() as usize).max(min)
    }

    /// `n` times the scale, rounded down to a multiple of `m`, at least `m`.
    pub fn size_multiple(&self, n: usize, m: usize) -> usize {
        (self.size(n, m) / m * m).max(m)
    }

    /// The power of ten nearest to `n` times the scale (in log terms), at least 10.
    pub fn size_pow10(&self, n: usize) -> usize {
        let x = (n as f64 * self.scale).max(10.0);
        10usize.pow(x.log10().round() as u32)
    }
}

/// Runs `f` on a fresh thread and waits at most `timeout` for it: a run that never finishes
/// (a lost wake-up) is reported as [`Measure::Hung`] and its thread is leaked.
pub fn guarded(timeout: Duration, f: impl FnOnce() -> Measure + Send + 'static) -> Measure {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("bench-run".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .expect("spawning a bench thread");
    match rx.recv_timeout(timeout) {
        Ok(m) => m,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Measure::Hung,
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            panic!("a bench run panicked (see above)")
        }
    }
}

/// Nanoseconds per operation.
pub fn per_op(d: Duration, ops: usize) -> Measure {
    Measure::Value(d.as_nanos() as f64 / ops as f64)
}

/// The runtime a goroutine-flavour run uses: ithaca's own, or raw tokio. Both have
/// [`Config::workers`] workers; roots always run as spawned tasks on a worker.
#[derive(Clone)]
pub enum Rt {
    /// An `ithaca_rt` runtime: roots through its `block_on`, children through `spawn`.
    Ithaca(ithaca_rt::runtime::Handle),
    /// A tokio multi-thread runtime: roots spawned then awaited from `block_on`.
    Tokio(tokio::runtime::Handle),
}

impl Rt {
    /// Runs `fut` as a root task on a worker and blocks until it finishes.
    pub fn root<F>(&self, fut: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Rt::Ithaca(h) => h.block_on(fut),
            Rt::Tokio(h) => h.block_on(async {
                match tokio::spawn(fut).await {
                    Ok(v) => v,
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    // Cancelled: the runtime shut down under a run the watchdog gave up on.
                    Err(_) => std::future::pending().await,
                }
            }),
        }
    }

    /// Spawns `fut` (from inside a root) and returns a future of its output.
    pub fn spawn<T: Send + 'static>(&self, fut: BoxFut<T>) -> BoxFut<T> {
        match self {
            Rt::Ithaca(h) => {
                let j = h.spawn(fut);
                Box::pin(async move { j.await.unwrap() })
            }
            Rt::Tokio(h) => {
                let j = h.spawn(fut);
                Box::pin(async move { j.await.unwrap() })
            }
        }
    }

    /// Spawns all `tasks`, waits for them all, and returns the time from the first spawn.
    pub async fn spawn_all(&self, tasks: Vec<BoxFut<()>>) -> Duration {
        let start = Instant::now();
        let hs: Vec<_> = tasks
            .into_iter()
            .map(|t| {
                if crate::regime::on() {
                    self.spawn(Box::pin(crate::regime::Counted::new(t)))
                } else {
                    self.spawn(t)
                }
            })
            .collect();
        for h in hs {
            h.await;
        }
        start.elapsed()
    }
}

/// Builds the two runtimes with `workers` workers each.
pub fn runtimes(workers: usize) -> (ithaca_rt::runtime::Runtime, tokio::runtime::Runtime) {
    let i = ithaca_rt::runtime::Builder::new()
        .worker_threads(workers)
        .build()
        .expect("building the ithaca runtime");
    let t = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("tokio-worker")
        .enable_all()
        .build()
        .expect("building the tokio runtime");
    (i, t)
}

/// One runner: one implementation's run of one row.
pub type Runner = Box<dyn Fn() -> Measure>;

/// A row to measure: an id shared with the Go twin, and one runner per implementation column.
pub struct RowSpec {
    /// `section/flavour/workload/cap`, e.g. `chan/goroutine/spsc/0`: the key Go's results use.
    pub id: String,
    /// The workload name shown in the table.
    pub workload: String,
    /// The capacity column (`-` where it does not apply).
    pub cap: String,
    /// The unit of every cell in the row.
    pub unit: &'static str,
    /// One runner per column of the section, in column order.
    pub runs: Vec<Runner>,
}

/// A table: a set of implementations (column 0 is ithaca) and its rows.
pub struct Section {
    /// The heading.
    pub title: String,
    /// Column names; index 0 is ithaca, the rest are the Rust peers.
    pub impls: Vec<&'static str>,
    /// The rows.
    pub rows: Vec<RowSpec>,
}

/// A measured cell.
#[derive(Clone, Debug)]
pub enum Cell {
    /// Median over the rounds.
    Value(f64),
    /// Not applicable, and why.
    Na(&'static str),
    /// Never finished.
    Hung,
    /// Filtered out with `BENCH_IMPL`.
    Skipped,
}

impl Cell {
    /// The value, if measured.
    pub fn value(&self) -> Option<f64> {
        match self {
            Cell::Value(v) => Some(*v),
            _ => None,
        }
    }
}

/// A measured row.
#[derive(Clone, Debug)]
pub struct RowResult {
    /// See [`RowSpec::id`].
    pub id: String,
    /// See [`RowSpec::workload`].
    pub workload: String,
    /// See [`RowSpec::cap`].
    pub cap: String,
    /// See [`RowSpec::unit`].
    pub unit: &'static str,
    /// One per implementation column.
    pub cells: Vec<Cell>,
    /// Median over rounds of ithaca / best Rust peer in the same round.
    pub vs_best_peer: Option<f64>,
}

/// A measured section.
pub struct SectionResult {
    /// See [`Section::title`].
    pub title: String,
    /// See [`Section::impls`].
    pub impls: Vec<&'static str>,
    /// The rows, in order.
    pub rows: Vec<RowResult>,
}

/// Median of a non-empty list.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Measures one row: `cfg.rounds` rounds, each running every implementation once in column
/// order.
pub fn measure_row(cfg: &Config, impls: &[&'static str], row: &RowSpec) -> RowResult {
    let k = impls.len();
    let mut per_round: Vec<Vec<Option<f64>>> = vec![Vec::new(); k];
    let mut stop: Vec<Option<Cell>> = impls
        .iter()
        .map(|name| {
            (!cfg.only_impl.is_empty() && !name.contains(&cfg.only_impl)).then_some(Cell::Skipped)
        })
        .collect();
    for _ in 0..cfg.rounds {
        for (i, run) in row.runs.iter().enumerate() {
            if stop[i].is_some() {
                per_round[i].push(None);
                continue;
            }
            if std::env::var_os("BENCH_TRACE").is_some() {
                eprintln!("running {} {}", row.id, impls[i]);
            }
            match run() {
                Measure::Value(v) => per_round[i].push(Some(v)),
                Measure::Na(why) => {
                    stop[i] = Some(Cell::Na(why));
                    per_round[i].push(None);
                }
                Measure::Hung => {
                    eprintln!(
                        "{} did not finish {} within {:?} (a lost wake-up?); its run is leaked",
                        impls[i], row.id, cfg.timeout
                    );
                    stop[i] = Some(Cell::Hung);
                    per_round[i].push(None);
                }
            }
        }
    }
    let cells: Vec<Cell> = (0..k)
        .map(|i| match &stop[i] {
            Some(c) => c.clone(),
            None => Cell::Value(median(per_round[i].iter().flatten().copied().collect())),
        })
        .collect();
    // Same-round ratios: ithaca over the best peer of that round.
    let ratios: Vec<f64> = (0..cfg.rounds)
        .filter_map(|r| {
            if !matches!(cells[0], Cell::Value(_)) {
                return None;
            }
            let me = per_round[0][r]?;
            let best = (1..k)
                .filter(|&i| matches!(cells[i], Cell::Value(_)))
                .filter_map(|i| per_round[i][r])
                .min_by(f64::total_cmp)?;
            Some(me / best)
        })
        .collect();
    RowResult {
        id: row.id.clone(),
        workload: row.workload.clone(),
        cap: row.cap.clone(),
        unit: row.unit,
        cells,
        vs_best_peer: (!ratios.is_empty()).then(|| median(ratios)),
    }
}
