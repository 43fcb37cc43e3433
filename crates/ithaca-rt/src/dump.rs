//! Goroutine dumps: every goroutine, what it waits on and where, in Go's format or as JSON.
//!
//! A [`Dump`] is a [`snapshot`](crate::runtime::snapshot) plus formatting. Its `Display` is
//! modelled on the dump Go prints on `SIGQUIT` or on a deadlock (Go prints a stack; ithaca
//! prints the source line of the blocking call and of the spawn, which is what the
//! `#[track_caller]` wait reporting records):
//!
//! ```text
//! goroutine 7 [chan receive, 3 minutes]:
//!     name: worker-1
//!     blocked at src/main.rs:12:26
//!     created by goroutine 1 at src/main.rs:10:5
//! ```
//!
//! (The detail lines start with a tab.) As in Go, the wait's duration is shown only once it reaches a minute. [`Dump::to_json`]
//! gives the same content as one JSON object (hand-written, no serde dependency).
//!
//! # Invariants
//!
//! * A dump is taken without stopping anything: each goroutine's state is read atomically,
//!   but the goroutines are read one after the other (see [`snapshot`](crate::runtime::snapshot)).
//! * Formatting never touches the registry: a dump can be printed long after it was taken.

use std::fmt::{self, Write as _};
use std::panic::Location;
use std::time::Instant;

use crate::runtime::{snapshot, GoroutineInfo, GoroutineKind, GoroutineState};

/// Every live goroutine at one moment, printable Go-style (`Display`) or as JSON.
///
/// ```
/// # ithaca_rt::block_on(async {
/// let (tx, rx) = tokio::sync::oneshot::channel::<()>();
/// let h = ithaca_rt::Goroutine::new().name("waiter").spawn(async move { rx.await.ok(); });
/// let d = ithaca_rt::runtime::dump();
/// assert!(d.goroutines().iter().any(|g| g.id == h.id()));
/// let text = d.to_string();
/// assert!(text.contains(&format!("goroutine {} [", h.id())));
/// assert!(text.contains("name: waiter"));
/// assert!(d.to_json().starts_with("{\"goroutines\":["));
/// # tx.send(()).unwrap();
/// # h.await.unwrap();
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct Dump {
    goroutines: Vec<GoroutineInfo>,
    blocked_threads: usize,
    taken: Instant,
}

/// Takes a [`Dump`] of every live goroutine, on all ithaca runtimes. Empty (no goroutines)
/// when the crate is built without the `diagnostics` feature.
///
/// Cost: one pass over the registry (each shard locked briefly) plus one allocation per
/// named goroutine. For 100,000 goroutines (release build, `benches/diagnostics.rs`): about
/// 15 ms to take the dump, 35 ms more to format it Go-style.
///
/// ```
/// # ithaca_rt::block_on(async {
/// let me = ithaca_rt::current_id().unwrap();
/// let d = ithaca_rt::runtime::dump();
/// assert!(d.to_string().contains(&format!("goroutine {me} [running]:")));
/// # });
/// ```
pub fn dump() -> Dump {
    Dump::of(snapshot())
}

impl Dump {
    pub(crate) fn of(goroutines: Vec<GoroutineInfo>) -> Dump {
        Dump {
            goroutines,
            blocked_threads: ithaca_core::diag::blocked_threads(),
            taken: Instant::now(),
        }
    }

    /// A dump of some goroutines only (a deadlock or leak report): no thread count.
    pub(crate) fn of_some(goroutines: Vec<GoroutineInfo>) -> Dump {
        Dump {
            goroutines,
            blocked_threads: 0,
            taken: Instant::now(),
        }
    }

    /// The goroutines in the dump, sorted by id.
    ///
    /// ```
    /// let d = ithaca_rt::runtime::dump();
    /// assert!(d.goroutines().windows(2).all(|w| w[0].id < w[1].id));
    /// ```
    pub fn goroutines(&self) -> &[GoroutineInfo] {
        &self.goroutines
    }

    /// How many goroutines the dump holds.
    ///
    /// ```
    /// let d = ithaca_rt::runtime::dump();
    /// assert_eq!(d.len(), d.goroutines().len());
    /// ```
    pub fn len(&self) -> usize {
        self.goroutines.len()
    }

    /// Whether the dump holds no goroutine.
    ///
    /// ```
    /// let d = ithaca_rt::runtime::dump();
    /// assert_eq!(d.is_empty(), d.len() == 0);
    /// ```
    pub fn is_empty(&self) -> bool {
        self.goroutines.is_empty()
    }

    /// Plain threads (not goroutines) that were blocked in an ithaca primitive when the dump
    /// was taken ([`ithaca_core::diag::blocked_threads`]; threads waiting in `block_on`
    /// included). Always 0 in the dump of a [`Deadlock`](crate::runtime::Deadlock) or
    /// [`Leaked`](crate::runtime::Leaked) report, which lists only the goroutines concerned.
    ///
    /// ```
    /// let d = ithaca_rt::runtime::dump();
    /// let _ = d.blocked_threads();
    /// ```
    pub fn blocked_threads(&self) -> usize {
        self.blocked_threads
    }

    /// The dump as one JSON object:
    /// `{"goroutines":[{"id":7,"name":"worker-1","kind":"async","state":"blocked",
    /// "op":"chan receive","durable":true,"blocked_at":{"file":..,"line":..,"column":..},
    /// "waiting_ms":1200,"spawned_at":{..},"parent":1,"bubble":1,"polls":3}, ...],
    /// "blocked_threads":0}`. `state` is one of `runnable`, `running`, `blocked`, `waiting`,
    /// `done`; `op`, `durable`, `blocked_at` and `waiting_ms` are present only when blocked;
    /// `name`, `parent` and `bubble` are `null` when absent.
    ///
    /// ```
    /// # ithaca_rt::block_on(async {
    /// let me = ithaca_rt::current_id().unwrap();
    /// let json = ithaca_rt::runtime::dump().to_json();
    /// assert!(json.contains(&format!("{{\"id\":{me},")));
    /// assert!(json.ends_with('}'));
    /// # });
    /// ```
    pub fn to_json(&self) -> String {
        let mut s = String::with_capacity(64 + self.goroutines.len() * 256);
        s.push_str("{\"goroutines\":[");
        for (i, g) in self.goroutines.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(s, "{{\"id\":{},\"name\":", g.id);
            match &g.name {
                Some(n) => json_str(&mut s, n),
                None => s.push_str("null"),
            }
            let kind = match g.kind {
                GoroutineKind::Async => "async",
                GoroutineKind::Blocking => "blocking",
            };
            let _ = write!(s, ",\"kind\":\"{kind}\",\"state\":");
            match g.state {
                GoroutineState::Blocked {
                    op,
                    location,
                    since,
                    durable,
                } => {
                    s.push_str("\"blocked\",\"op\":");
                    json_str(&mut s, op);
                    let _ = write!(s, ",\"durable\":{durable},\"blocked_at\":");
                    json_loc(&mut s, location);
                    let waited = self.taken.saturating_duration_since(since);
                    let _ = write!(s, ",\"waiting_ms\":{}", waited.as_millis());
                }
                other => {
                    let _ = write!(s, "\"{}\"", state_word(&other));
                }
            }
            s.push_str(",\"spawned_at\":");
            json_loc(&mut s, g.spawned_at);
            s.push_str(",\"parent\":");
            json_opt(&mut s, g.parent);
            s.push_str(",\"bubble\":");
            json_opt(&mut s, g.bubble);
            let _ = write!(s, ",\"polls\":{}}}", g.polls);
        }
        let _ = write!(s, "],\"blocked_threads\":{}}}", self.blocked_threads);
        s
    }
}

fn json_opt(s: &mut String, v: Option<u64>) {
    match v {
        Some(v) => {
            let _ = write!(s, "{v}");
        }
        None => s.push_str("null"),
    }
}

fn state_word(s: &GoroutineState) -> &'static str {
    match s {
        GoroutineState::Runnable => "runnable",
        GoroutineState::Running => "running",
        GoroutineState::Blocked { .. } => "blocked",
        GoroutineState::Waiting => "waiting",
        GoroutineState::Done => "done",
    }
}

fn json_loc(s: &mut String, l: &Location<'_>) {
    s.push_str("{\"file\":");
    json_str(s, l.file());
    let _ = write!(s, ",\"line\":{},\"column\":{}}}", l.line(), l.column());
}

/// Appends `v` as a JSON string literal (RFC 8259 escaping).
fn json_str(s: &mut String, v: &str) {
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(s, "\\u{:04x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push('"');
}

/// Writes one goroutine in the Go-like format (see the module doc).
pub(crate) fn write_goroutine(
    f: &mut fmt::Formatter<'_>,
    g: &GoroutineInfo,
    now: Instant,
) -> fmt::Result {
    write!(f, "goroutine {} [", g.id)?;
    match g.state {
        GoroutineState::Blocked { op, since, .. } => {
            f.write_str(op)?;
            let mins = now.saturating_duration_since(since).as_secs() / 60;
            if mins >= 1 {
                write!(f, ", {mins} minutes")?;
            }
        }
        GoroutineState::Waiting => f.write_str("waiting (I/O or a foreign future)")?,
        other => f.write_str(state_word(&other))?,
    }
    f.write_str("]:\n")?;
    if let Some(n) = &g.name {
        writeln!(f, "\tname: {n}")?;
    }
    if g.kind == GoroutineKind::Blocking {
        f.write_str("\tkind: blocking (spawn_blocking)\n")?;
    }
    if let GoroutineState::Blocked { location: l, .. } = g.state {
        writeln!(f, "\tblocked at {}:{}:{}", l.file(), l.line(), l.column())?;
    }
    let l = g.spawned_at;
    match g.parent {
        Some(p) => writeln!(
            f,
            "\tcreated by goroutine {p} at {}:{}:{}",
            l.file(),
            l.line(),
            l.column()
        ),
        None if g.bubble == Some(g.id) => writeln!(
            f,
            "\troot goroutine, started at {}:{}:{}",
            l.file(),
            l.line(),
            l.column()
        ),
        None => writeln!(
            f,
            "\tcreated by a thread at {}:{}:{}",
            l.file(),
            l.line(),
            l.column()
        ),
    }
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, g) in self.goroutines.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write_goroutine(f, g, self.taken)?;
        }
        if self.blocked_threads > 0 {
            write!(
                f,
                "\n({} plain thread(s) blocked in ithaca primitives, block_on included)\n",
                self.blocked_threads
            )?;
        }
        Ok(())
    }
}
