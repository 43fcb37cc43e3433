//! The goroutine wrapper around a user future (or blocking closure): registration, per-poll
//! state tracking, wait-note observation and panic capture.
//!
//! # Invariants
//!
//! * A goroutine is registered before its task is handed to tokio and deregistered exactly
//!   once: right after it finishes (before its output is stored, so a joiner never sees a
//!   finished goroutine still counted) or, if tokio drops it unfinished (runtime shutdown),
//!   when the wrapper is dropped.
//! * Each poll runs inside `catch_unwind` (and, with the `diagnostics` feature, inside
//!   `diag::observe(record, ..)`: see `tracking`); a panic never
//!   escapes into tokio, so it is reported according to the runtime's [`PanicPolicy`] even if
//!   nobody holds the JoinHandle.
//! * The thread-local "current goroutine" is set for the duration of a poll (or of a blocking
//!   closure) and restored afterwards, also when the poll panics.

use std::any::Any;
use std::cell::Cell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use pin_project_lite::pin_project;

use crate::record::{self, Record, RUNNING};
use crate::runtime::PanicPolicy;
use crate::sync::Ordering;
use crate::tracking;

/// A panic payload, as `catch_unwind` returns it.
pub(crate) type Panic = Box<dyn Any + Send + 'static>;

#[derive(Clone, Copy)]
struct Current {
    id: u64,
    bubble: u64,
    is_async: bool,
}

thread_local! {
    static CURRENT: Cell<Current> =
        const { Cell::new(Current { id: 0, bubble: 0, is_async: false }) };
}

/// The id of the goroutine running on this thread (0 if none).
pub(crate) fn current_id() -> u64 {
    CURRENT.try_with(|c| c.get().id).unwrap_or(0)
}

/// The bubble (root goroutine id) of the goroutine running on this thread (0 if none).
pub(crate) fn current_bubble() -> u64 {
    CURRENT.try_with(|c| c.get().bubble).unwrap_or(0)
}

/// Whether this thread is polling an (async) goroutine right now.
pub(crate) fn in_async_goroutine() -> bool {
    CURRENT.try_with(|c| c.get().is_async).unwrap_or(false)
}

/// Panics with a clear message if the caller would block a runtime worker.
#[track_caller]
pub(crate) fn assert_may_block(what: &str) {
    if in_async_goroutine() {
        panic!(
            "ithaca: {what} called from inside goroutine {}: it would block a runtime worker \
             thread; `.await` the future or JoinHandle instead",
            current_id()
        );
    }
}

struct CurrentGuard(Current);

impl CurrentGuard {
    #[inline]
    fn enter(rec: &Record, is_async: bool) -> Self {
        CurrentGuard(CURRENT.replace(Current {
            id: rec.id,
            bubble: rec.bubble,
            is_async,
        }))
    }
}

impl Drop for CurrentGuard {
    #[inline]
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.0));
    }
}

/// Owns a goroutine's registration: deregisters it on `finish` or on drop, whichever is
/// first (the record's `DONE` state makes it idempotent).
pub(crate) struct Registration {
    pub(crate) rec: Arc<Record>,
}

impl Registration {
    /// Creates and registers a record for a goroutine spawned here. A `root` goroutine starts
    /// a new bubble (its own id); any other joins the bubble of the goroutine spawning it.
    pub(crate) fn new(
        name: Option<Box<str>>,
        location: &'static Location<'static>,
        blocking: bool,
        policy: PanicPolicy,
        root: bool,
    ) -> Self {
        let id = record::next_id();
        let mut rec = Record::new(id, name, location, current_id(), blocking);
        rec.policy = policy as u8;
        rec.bubble = if root { id } else { current_bubble() };
        let rec = Arc::new(rec);
        tracking::register(&rec);
        Registration { rec }
    }

    /// Marks the goroutine done and removes it from the registry (idempotent).
    pub(crate) fn finish(&self) {
        if self.rec.set_done() {
            tracking::deregister(&self.rec);
        }
    }

    fn policy(&self) -> PanicPolicy {
        PanicPolicy::from_u8(self.rec.policy)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The text of a panic payload.
pub(crate) fn payload_message(p: &Panic) -> String {
    if let Some(s) = p.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

/// `goroutine 7 "worker-1"` / `goroutine 7`.
pub(crate) fn describe(rec: &Record) -> String {
    match &rec.name {
        Some(n) => format!("goroutine {} {:?}", rec.id, n),
        None => format!("goroutine {}", rec.id),
    }
}

fn spawned_by(rec: &Record) -> String {
    let l = rec.location;
    if rec.parent == 0 {
        format!("spawned at {}:{}:{}", l.file(), l.line(), l.column())
    } else {
        format!(
            "spawned at {}:{}:{} by goroutine {}",
            l.file(),
            l.line(),
            l.column(),
            rec.parent
        )
    }
}

/// Prints the standard report of a goroutine panic.
pub(crate) fn report(rec: &Record, message: &str, unjoined: bool) {
    let what = if unjoined {
        "panicked and was not joined"
    } else {
        "panicked"
    };
    eprintln!(
        "ithaca: {} {what}: {message}\n\t{}",
        describe(rec),
        spawned_by(rec)
    );
}

/// Applies the panic policy to a panic caught in goroutine `rec`.
fn on_panic(rec: &Record, policy: PanicPolicy, payload: &Panic) {
    let message = payload_message(payload);
    match policy {
        PanicPolicy::Propagate => {
            if let Some(m) = rec.report.panicked(message) {
                report(rec, &m, true);
            }
        }
        PanicPolicy::Log => report(rec, &message, false),
        PanicPolicy::Abort => {
            report(rec, &message, false);
            eprintln!("ithaca: PanicPolicy::Abort: exiting with status 2");
            std::process::exit(2);
        }
    }
}

pin_project! {
    /// The future tokio runs for an async goroutine: the user's future plus one pointer, so
    /// tokio's task cell stays as small as possible.
    pub(crate) struct Task<F> {
        #[pin]
        fut: F,
        reg: Registration,
        span: SpanField,
    }
}

/// The goroutine's `tracing` span (feature `tracing`), or nothing.
#[cfg(feature = "tracing")]
type SpanField = tracing::Span;
/// The goroutine's `tracing` span (feature `tracing`), or nothing.
#[cfg(not(feature = "tracing"))]
type SpanField = ();

impl<F> Task<F> {
    pub(crate) fn new(reg: Registration, fut: F) -> Self {
        Task {
            #[cfg(feature = "tracing")]
            span: span_for(&reg.rec),
            #[cfg(not(feature = "tracing"))]
            span: (),
            fut,
            reg,
        }
    }
}

/// The `tracing` span of a goroutine (feature `tracing`): created at spawn, in the spawner's
/// current span, and entered for every poll (or for the whole blocking closure).
#[cfg(feature = "tracing")]
pub(crate) fn span_for(rec: &Record) -> tracing::Span {
    let l = rec.location;
    tracing::info_span!(
        target: "ithaca::goroutine",
        "goroutine",
        id = rec.id,
        name = rec.name.as_deref().unwrap_or(""),
        spawned_at = %format_args!("{}:{}:{}", l.file(), l.line(), l.column()),
    )
}

impl<F: Future> Future for Task<F> {
    type Output = Result<F::Output, Panic>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let fut = this.fut;
        let reg = &*this.reg;
        let rec = &reg.rec;
        #[cfg(feature = "tracing")]
        let _span = this.span.enter();
        #[cfg(not(feature = "tracing"))]
        let () = this.span;
        let _current = CurrentGuard::enter(rec, true);
        let res = catch_unwind(AssertUnwindSafe(|| tracking::poll(rec, || fut.poll(cx))));
        let out = match res {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(v)) => Ok(v),
            Err(payload) => {
                // tokio never polls a task again after `Ready`; it drops the (poisoned) future
                // and stores a panic from that drop as the task's result instead.
                on_panic(rec, reg.policy(), &payload);
                Err(payload)
            }
        };
        reg.finish();
        Poll::Ready(out)
    }
}

/// Wraps a blocking closure as a registered goroutine body.
pub(crate) fn blocking_body<F, R>(
    reg: Registration,
    f: F,
) -> impl FnOnce() -> Result<R, Panic> + Send + 'static
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    #[cfg(feature = "tracing")]
    let span = span_for(&reg.rec);
    move || {
        #[cfg(feature = "tracing")]
        let _span = span.enter();
        reg.rec.state.store(RUNNING, Ordering::Relaxed);
        let res = {
            let _current = CurrentGuard::enter(&reg.rec, false);
            catch_unwind(AssertUnwindSafe(f))
        };
        if let Err(payload) = &res {
            on_panic(&reg.rec, reg.policy(), payload);
        }
        reg.finish();
        res
    }
}

struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// A waker that unparks the calling thread.
pub(crate) fn thread_waker() -> Waker {
    Waker::from(Arc::new(ThreadWaker(std::thread::current())))
}

/// Drives `fut` to completion on this thread, parking between polls.
pub(crate) fn park_on<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let waker = thread_waker();
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}
