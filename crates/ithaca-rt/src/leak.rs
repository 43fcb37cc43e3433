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
//! # Invariants
//!
//! * Only goroutines are checked: plain threads are not ithaca's to track.
//! * The goroutine calling the check (when called from a `spawn_blocking` goroutine) is never
//!   reported as leaked.

use std::collections::HashSet;
use std::fmt;
use std::time::{Duration, Instant};

use crate::dump::Dump;
use crate::runtime::{snapshot, GoroutineInfo};
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
