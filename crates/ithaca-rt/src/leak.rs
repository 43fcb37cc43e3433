//! Leak checks (Go's `goleak`): goroutines still alive after the code that started them
//! should have finished.
//!
//! [`Baseline::now`] remembers the goroutines alive now; [`verify_none_leaked`] later fails
//! with a [`Leaked`] dump if others are still alive — after retrying with a backoff for up to
//! [`Baseline::timeout`] (default 1 s), because goroutines that are finishing need a moment
//! to leave the registry. `#[ithaca::test]` runs the same check on the test's *bubble* (the
//! goroutines the test body spawned, transitively) after the body returns, so tests running
//! in parallel do not see each other's goroutines; opt out with
//! `#[ithaca::test(leaks = "allow")]`.
//!
//! Roots outside tests (`block_on`, `run`, `#[ithaca::main]`) can report the same way when
//! they return: see [`LeakPolicy`] and [`run_reporting_leaks`].
//!
//! # Invariants
//!
//! * Only goroutines are checked: plain threads are not ithaca's to track.
//! * The goroutine calling the check (when called from a `spawn_blocking` goroutine) is never
//!   reported as leaked.

use std::collections::HashSet;
use std::fmt;
use std::time::{Duration, Instant};

use crate::dump::Dump;
use crate::runtime::{snapshot, GoroutineInfo, GoroutineState};
use crate::task;

type Filter = Box<dyn Fn(&GoroutineInfo) -> bool + Send + Sync>;

/// The goroutines alive at one moment, to compare against later (see [`verify_none_leaked`]).
///
/// ```
/// use ithaca_rt::runtime::{verify_none_leaked, Baseline};
/// let base = Baseline::now();
/// ithaca_rt::go!(async { 1 }).join().unwrap();
/// assert!(verify_none_leaked(&base).is_ok());
/// ```
pub struct Baseline {
    ids: HashSet<u64>,
    timeout: Duration,
    ignore: Vec<Filter>,
}

impl fmt::Debug for Baseline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Baseline")
            .field("goroutines", &self.ids.len())
            .field("timeout", &self.timeout)
            .field("ignore", &self.ignore.len())
            .finish()
    }
}

impl Baseline {
    /// Remembers every goroutine alive now; they are never reported.
    ///
    /// ```
    /// let _keep = ithaca_rt::go!(std::future::pending::<()>()); // started before: ignored
    /// let base = ithaca_rt::runtime::Baseline::now();
    /// assert!(ithaca_rt::runtime::verify_none_leaked(&base).is_ok());
    /// ```
    pub fn now() -> Baseline {
        Baseline {
            ids: snapshot().into_iter().map(|g| g.id).collect(),
            timeout: Duration::from_secs(1),
            ignore: Vec::new(),
        }
    }

    /// How long [`verify_none_leaked`] retries before failing (default 1 s).
    ///
    /// ```
    /// let base = ithaca_rt::runtime::Baseline::now().timeout(std::time::Duration::from_millis(50));
    /// assert!(ithaca_rt::runtime::verify_none_leaked(&base).is_ok());
    /// ```
    pub fn timeout(mut self, d: Duration) -> Baseline {
        self.timeout = d;
        self
    }

    /// Never reports the goroutines for which `f` returns true (goleak's `IgnoreTopFunction`;
    /// e.g. by name or spawn location).
    ///
    /// ```
    /// use ithaca_rt::runtime::{verify_none_leaked, Baseline};
    /// let base = Baseline::now().ignore(|g| g.name.as_deref() == Some("daemon"));
    /// let _d = ithaca_rt::Goroutine::new().name("daemon").spawn(std::future::pending::<()>());
    /// assert!(verify_none_leaked(&base).is_ok());
    /// ```
    pub fn ignore(
        mut self,
        f: impl Fn(&GoroutineInfo) -> bool + Send + Sync + 'static,
    ) -> Baseline {
        self.ignore.push(Box::new(f));
        self
    }
}

/// Goroutines that outlived the code that should have ended them, with their dump.
///
/// ```
/// use ithaca_rt::runtime::{verify_none_leaked, Baseline};
/// use std::time::Duration;
/// let base = Baseline::now().timeout(Duration::from_millis(20));
/// let h = ithaca_rt::Goroutine::new().name("stuck").spawn(std::future::pending::<()>());
/// let leaked = verify_none_leaked(&base).unwrap_err();
/// assert_eq!(leaked.goroutines()[0].id, h.id());
/// assert!(leaked.to_string().contains("name: stuck"));
/// ```
#[derive(Clone, Debug)]
pub struct Leaked {
    dump: Dump,
}

impl Leaked {
    /// The leaked goroutines.
    ///
    /// ```
    /// # use ithaca_rt::runtime::{verify_none_leaked, Baseline};
    /// # let base = Baseline::now().timeout(std::time::Duration::from_millis(10));
    /// # let _h = ithaca_rt::go!(std::future::pending::<()>());
    /// assert_eq!(verify_none_leaked(&base).unwrap_err().goroutines().len(), 1);
    /// ```
    pub fn goroutines(&self) -> &[GoroutineInfo] {
        self.dump.goroutines()
    }

    /// Their dump.
    ///
    /// ```
    /// # use ithaca_rt::runtime::{verify_none_leaked, Baseline};
    /// # let base = Baseline::now().timeout(std::time::Duration::from_millis(10));
    /// # let _h = ithaca_rt::go!(std::future::pending::<()>());
    /// assert_eq!(verify_none_leaked(&base).unwrap_err().dump().len(), 1);
    /// ```
    pub fn dump(&self) -> &Dump {
        &self.dump
    }
}

impl fmt::Display for Leaked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "found {} unexpected goroutine(s):\n\n{}",
            self.dump.len(),
            self.dump
        )
    }
}

impl std::error::Error for Leaked {}

/// Fails with the goroutines alive now that were not alive at `baseline` (and are not
/// ignored by it), after retrying with a backoff (1 ms doubling to 100 ms) for up to the
/// baseline's timeout.
///
/// Without the `diagnostics` feature no goroutine is registered, so this always returns
/// `Ok` (and so does the check of `#[ithaca::test]`).
///
/// # Errors
///
/// [`Leaked`] with the dump of the goroutines still alive at the end.
///
/// # Blocking
///
/// Sleeps between retries: call it from a plain thread (or a `spawn_blocking` goroutine).
///
/// # Panics
///
/// If called from inside an async goroutine (it would block a runtime worker).
///
/// ```
/// let base = ithaca_rt::runtime::Baseline::now();
/// let (tx, rx) = std::sync::mpsc::channel();
/// ithaca_rt::go!(async move { tx.send(1).unwrap() });
/// assert_eq!(rx.recv().unwrap(), 1);
/// // The goroutine may still be finishing: the check retries.
/// ithaca_rt::runtime::verify_none_leaked(&base).unwrap();
/// ```
#[track_caller]
pub fn verify_none_leaked(baseline: &Baseline) -> Result<(), Leaked> {
    task::assert_may_block("verify_none_leaked");
    let me = task::current_id();
    check_until(baseline.timeout, |g| {
        g.id != me && !baseline.ids.contains(&g.id) && !baseline.ignore.iter().any(|f| f(g))
    })
}

/// Retries until no goroutine matches `leaked` or `timeout` passes.
fn check_until(timeout: Duration, leaked: impl Fn(&GoroutineInfo) -> bool) -> Result<(), Leaked> {
    let deadline = Instant::now() + timeout;
    let mut backoff = Duration::from_millis(1);
    loop {
        let found: Vec<GoroutineInfo> = snapshot().into_iter().filter(|g| leaked(g)).collect();
        if found.is_empty() {
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Leaked {
                dump: Dump::of_some(found),
            });
        }
        std::thread::sleep(backoff.min(deadline - now));
        backoff = (backoff * 2).min(Duration::from_millis(100));
    }
}

/// The check `#[ithaca::test]` runs after the test body returned: the goroutines of the
/// test's bubble must all be gone.
#[track_caller]
pub(crate) fn check_test(test: &str, bubble: u64) {
    if let Err(l) = check_until(Duration::from_secs(1), |g| g.bubble == Some(bubble)) {
        panic!(
            "ithaca: test `{test}` leaked {} goroutine(s), still alive 1 s after the test body \
             returned (opt out with #[ithaca::test(leaks = \"allow\")]):\n\n{}",
            l.dump.len(),
            l.dump
        );
    }
}

/// What a root goroutine ([`block_on`](crate::block_on), [`run`](crate::run),
/// `#[ithaca::main]`, [`Runtime::block_on`](crate::runtime::Runtime::block_on)...) does when
/// it *returns* while goroutines of its bubble (those it spawned, transitively) are still
/// durably blocked on ithaca primitives — goroutines nobody will ever wake, since the code
/// that should have talked to them is done: Go's `goleak` semantics, applied to a program's
/// roots. (A deadlock *before* the root returns is the detector's business:
/// [`Deadlock`](crate::runtime::Deadlock).)
///
/// When the policy is not `Off`, the thread that waited for the root waits a little longer,
/// at most [`ROOT_LEAK_GRACE`]: it returns at once when the bubble is empty, and reports once
/// every goroutine left in it has stayed durably blocked, without being polled, for 50 ms (or
/// at the end of the grace period: then only the durably blocked ones). Goroutines that are
/// running, sleeping or waiting on I/O or timers are never reported (they may still finish).
/// The report is the dump of the leaked goroutines: their id, name, the line where each one
/// waits and where it was spawned.
///
/// Default: `Log` for `#[ithaca::main]`, `Off` for every other root; set per runtime with
/// [`Builder::leak_policy`](crate::runtime::Builder::leak_policy) (then it applies to every
/// root of that runtime), or with the `ITHACA_LEAKS` environment variable (`off`, `log`,
/// `panic`), which every runtime built without an explicit policy reads, the default runtime
/// included. `#[ithaca::test]` has its own, stricter check (any
/// goroutine of the bubble alive 1 s after the body). Without the `diagnostics` feature no
/// goroutine is registered and nothing is ever reported.
///
/// ```
/// use ithaca_rt::runtime::{Builder, LeakPolicy};
/// let rt = Builder::new().leak_policy(LeakPolicy::Panic).build().unwrap();
/// let r = std::panic::catch_unwind(|| {
///     rt.block_on(async {
///         let (tx, rx) = ithaca_chan::bounded::<i32>(0);
///         ithaca_rt::Goroutine::new().name("orphan").spawn(async move { tx.send(1).await });
///         std::mem::forget(rx); // a receiver that never receives
///     })
/// });
/// let msg = *r.unwrap_err().downcast::<String>().unwrap();
/// assert!(msg.contains("name: orphan"), "{msg}");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeakPolicy {
    /// Do not look (the default, except for `#[ithaca::main]`).
    Off,
    /// Print the report to stderr; the root's value is returned as usual (the default for
    /// `#[ithaca::main]`).
    Log,
    /// Panic the thread that waited for the root with the report (the root's value is lost).
    Panic,
}

impl LeakPolicy {
    /// Parses `off` / `log` / `panic` (the `ITHACA_LEAKS` values).
    pub(crate) fn from_env() -> Result<Option<LeakPolicy>, String> {
        use LeakPolicy::*;
        let choices = [
            ("off", Off),
            ("log", Log),
            ("panic", Panic),
            ("0", Off),
            ("false", Off),
        ];
        crate::runtime::policy_from_env("ITHACA_LEAKS", &choices)
    }
}

/// How long a returning root waits at most for its bubble to empty before reporting the
/// goroutines still durably blocked in it (see [`LeakPolicy`]).
pub const ROOT_LEAK_GRACE: Duration = Duration::from_millis(200);

/// How long the goroutines left in a bubble must stay durably blocked, unpolled, to be
/// reported before the end of the grace period.
const ROOT_LEAK_STABLE: Duration = Duration::from_millis(50);

/// The goroutines of `bubble` still durably blocked after its root returned (see
/// [`LeakPolicy`] for the waiting rule).
pub(crate) fn root_leaks(bubble: u64) -> Result<(), Leaked> {
    let start = Instant::now();
    let deadline = start + ROOT_LEAK_GRACE;
    let mut backoff = Duration::from_millis(1);
    // (ids and polls of the bubble, when it was first seen all durably blocked like that)
    let mut stable: Option<(Vec<(u64, u64)>, Instant)> = None;
    loop {
        let alive: Vec<GoroutineInfo> = snapshot()
            .into_iter()
            .filter(|g| g.bubble == Some(bubble))
            .collect();
        if alive.is_empty() {
            return Ok(());
        }
        let stuck =
            |g: &GoroutineInfo| matches!(g.state, GoroutineState::Blocked { durable: true, .. });
        let now = Instant::now();
        if alive.iter().all(stuck) {
            let key: Vec<(u64, u64)> = alive.iter().map(|g| (g.id, g.polls)).collect();
            match &stable {
                Some((k, since)) if *k == key => {
                    if now.duration_since(*since) >= ROOT_LEAK_STABLE {
                        return Err(Leaked {
                            dump: Dump::of_some(alive),
                        });
                    }
                }
                _ => stable = Some((key, now)),
            }
        } else {
            stable = None;
        }
        if now >= deadline {
            let found: Vec<GoroutineInfo> = alive.into_iter().filter(|g| stuck(g)).collect();
            if found.is_empty() {
                return Ok(());
            }
            return Err(Leaked {
                dump: Dump::of_some(found),
            });
        }
        std::thread::sleep(backoff.min(deadline - now));
        backoff = (backoff * 2).min(Duration::from_millis(20));
    }
}

/// The report a returning root prints or panics with.
pub(crate) fn root_report(root: &str, leaked: &Leaked) -> String {
    format!(
        "ithaca: goroutine leak: {root} returned, but {} goroutine(s) it started are still \
         blocked (set ITHACA_LEAKS=off or Builder::leak_policy to silence):\n\n{}",
        leaked.dump.len(),
        leaked.dump
    )
}

/// Runs `fut` as a root goroutine on the current runtime like [`block_on`](crate::block_on),
/// then returns its output together with the leak report of its bubble: `Err` with the
/// goroutines it started that are still durably blocked once it returned (see
/// [`LeakPolicy`] for how long it waits and what counts). Whatever the runtime's
/// `LeakPolicy`, nothing is printed.
///
/// # Blocking
///
/// Parks the calling thread until the root finishes, then at most [`ROOT_LEAK_GRACE`].
///
/// # Panics
///
/// If called from inside an async goroutine; re-raises the root goroutine's panic; on a
/// proven deadlock (as `block_on`).
///
/// ```
/// let (n, leaks) = ithaca_rt::runtime::run_reporting_leaks(async {
///     let (tx, rx) = ithaca_chan::bounded::<i32>(0);
///     ithaca_rt::go!(async move { tx.send(1).await }); // nobody receives
///     Box::leak(Box::new(rx)); // a receiver that stays alive, unread
///     7
/// });
/// assert_eq!(n, 7);
/// let leaked = leaks.unwrap_err();
/// assert!(matches!(
///     leaked.goroutines()[0].state,
///     ithaca_rt::runtime::GoroutineState::Blocked { op: "chan send", .. }
/// ));
/// ```
#[track_caller]
pub fn run_reporting_leaks<F>(fut: F) -> (F::Output, Result<(), Leaked>)
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    crate::runtime::Handle::current().root_with_leaks(std::panic::Location::caller(), fut)
}
