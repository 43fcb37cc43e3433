//! [`JoinHandle`] and [`JoinError`]: waiting for a goroutine's result, from a task or a thread.
//!
//! # Invariants
//!
//! * A handle that is dropped before its result was taken *detaches* the goroutine (it keeps
//!   running, like every Go goroutine); if that goroutine panics (or already did), the panic
//!   is printed to stderr once (see `record::ReportState`), so it is never lost.
//! * A handle whose result was taken (`.await` returned or `join()` returned) reports nothing.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use crate::record::Record;
use crate::task::{self, Panic};

/// An owned permission to wait for a goroutine's result.
///
/// Returned by [`go!`](crate::go), [`spawn`](crate::spawn),
/// [`spawn_blocking`](crate::spawn_blocking) and [`Goroutine`](crate::Goroutine). `.await` it
/// from async code, or call [`join`](JoinHandle::join) from a plain thread. Dropping it
/// detaches the goroutine, which keeps running (Go-like).
///
/// ```
/// let h = ithaca_rt::spawn(async { 6 * 7 });
/// assert_eq!(h.join().unwrap(), 42);
/// ```
pub struct JoinHandle<T> {
    raw: tokio::task::JoinHandle<Result<T, Panic>>,
    rec: Arc<Record>,
    taken: bool,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(raw: tokio::task::JoinHandle<Result<T, Panic>>, rec: Arc<Record>) -> Self {
        JoinHandle {
            raw,
            rec,
            taken: false,
        }
    }

    /// The goroutine's id (as in [`runtime::snapshot`](crate::runtime::snapshot)).
    ///
    /// ```
    /// # ithaca_rt::block_on(async {
    /// let h = ithaca_rt::go!(async { ithaca_rt::current_id() });
    /// let id = h.id();
    /// assert_eq!(h.await.unwrap(), Some(id));
    /// # });
    /// ```
    pub fn id(&self) -> u64 {
        self.rec.id
    }

    /// The goroutine's name, if it was given one with [`Goroutine::name`](crate::Goroutine::name).
    ///
    /// ```
    /// let h = ithaca_rt::Goroutine::new().name("worker-1").spawn(async {});
    /// assert_eq!(h.name(), Some("worker-1"));
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.rec.name.as_deref()
    }

    /// Where the goroutine was spawned.
    ///
    /// ```
    /// let h = ithaca_rt::spawn(async {});
    /// assert_eq!(h.spawned_at().line(), line!() - 1);
    /// ```
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.rec.location
    }

    /// Cancels the goroutine (its future is dropped at its next await point).
    pub(crate) fn abort(&self) {
        self.raw.abort();
    }

    /// Whether the goroutine has finished (its result is ready to be taken).
    ///
    /// ```
    /// let h = ithaca_rt::spawn(async {});
    /// while !h.is_finished() { std::thread::yield_now(); }
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.is_finished()
    }

    /// Blocks the calling thread until the goroutine finishes and returns its result.
    ///
    /// `Err` if the goroutine panicked (the [`JoinError`] carries the payload, the goroutine's
    /// id, name and spawn location) or was cancelled because its runtime shut down.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread (counted in
    /// [`diag::blocked_threads`](ithaca_core::diag::blocked_threads) meanwhile). Use it from
    /// plain threads, `main` or a [`spawn_blocking`](crate::spawn_blocking) closure.
    ///
    /// # Panics
    ///
    /// Called from inside an async goroutine, where it would block a runtime worker; `.await`
    /// the handle there instead. (From a task of a foreign tokio runtime it is not detected and
    /// blocks that runtime's worker.)
    ///
    /// ```
    /// let h = ithaca_rt::spawn(async { "done" });
    /// let r = std::thread::spawn(move || h.join()).join().unwrap();
    /// assert_eq!(r.unwrap(), "done");
    /// ```
    #[track_caller]
    pub fn join(self) -> Result<T, JoinError> {
        task::assert_may_block("JoinHandle::join");
        let _wait =
            ithaca_core::diag::ThreadWait::begin("goroutine join", false, Location::caller());
        task::park_on(self)
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    /// # Cancel safety
    ///
    /// Cancel safe: dropping the `.await` (or the handle) detaches the goroutine and loses
    /// nothing but its result.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let res = match Pin::new(&mut this.raw).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(r) => r,
        };
        this.taken = true;
        Poll::Ready(match res {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(payload)) => Err(JoinError::panic(this.rec.clone(), payload)),
            Err(e) if e.is_panic() => Err(JoinError::panic(this.rec.clone(), e.into_panic())),
            Err(_) => Err(JoinError {
                rec: this.rec.clone(),
                panic: None,
            }),
        })
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if !self.taken {
            if let Some(m) = self.rec.report.detached() {
                task::report(&self.rec, &m, true);
            }
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.rec.id)
            .field("name", &self.rec.name)
            .field("spawned_at", &self.rec.location)
            .finish()
    }
}

struct PanicInfo {
    message: String,
    // A Mutex only to make `JoinError: Sync`; it is only ever taken by value.
    payload: Mutex<Panic>,
}

/// Why a goroutine produced no value: it panicked, or it was cancelled by its runtime's
/// shutdown. Identifies the goroutine (id, name, spawn location).
///
/// ```
/// let h = ithaca_rt::Goroutine::new().name("boom").spawn(async { panic!("kaboom") });
/// let err = h.join().unwrap_err();
/// assert!(err.is_panic());
/// assert_eq!(err.panic_message(), Some("kaboom"));
/// assert_eq!(err.name(), Some("boom"));
/// assert_eq!(err.spawned_at().line(), line!() - 5);
/// ```
pub struct JoinError {
    rec: Arc<Record>,
    panic: Option<PanicInfo>,
}

impl JoinError {
    fn panic(rec: Arc<Record>, payload: Panic) -> Self {
        JoinError {
            rec,
            panic: Some(PanicInfo {
                message: task::payload_message(&payload),
                payload: Mutex::new(payload),
            }),
        }
    }

    /// The goroutine's id.
    ///
    /// ```
    /// let h = ithaca_rt::spawn(async { panic!() });
    /// let id = h.id();
    /// assert_eq!(h.join().unwrap_err().id(), id);
    /// ```
    pub fn id(&self) -> u64 {
        self.rec.id
    }

    /// The goroutine's name, if it had one.
    ///
    /// ```
    /// let h = ithaca_rt::Goroutine::new().name("w").spawn(async { panic!() });
    /// assert_eq!(h.join().unwrap_err().name(), Some("w"));
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.rec.name.as_deref()
    }

    /// Where the goroutine was spawned.
    ///
    /// ```
    /// let h = ithaca_rt::spawn(async { panic!() });
    /// assert_eq!(h.join().unwrap_err().spawned_at().file(), file!());
    /// ```
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.rec.location
    }

    /// Whether the goroutine panicked.
    ///
    /// ```
    /// assert!(ithaca_rt::spawn(async { panic!() }).join().unwrap_err().is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        self.panic.is_some()
    }

    /// Whether the goroutine was cancelled because its runtime shut down before it finished.
    ///
    /// ```
    /// let rt = ithaca_rt::runtime::Builder::new().worker_threads(1).build().unwrap();
    /// let h = rt.spawn(std::future::pending::<()>());
    /// rt.shutdown_timeout(std::time::Duration::from_secs(1));
    /// assert!(h.join().unwrap_err().is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.panic.is_none()
    }

    /// The panic message (`&str` or `String` payloads; other payloads read `Box<dyn Any>`),
    /// or `None` if it did not panic.
    ///
    /// ```
    /// let e = ithaca_rt::spawn(async { panic!("x = {}", 1) }).join().unwrap_err();
    /// assert_eq!(e.panic_message(), Some("x = 1"));
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        self.panic.as_ref().map(|p| p.message.as_str())
    }

    /// The panic payload, to re-raise it with [`std::panic::resume_unwind`].
    ///
    /// # Panics
    ///
    /// If the goroutine did not panic (it was cancelled).
    ///
    /// ```
    /// let e = ithaca_rt::spawn(async { panic!("again") }).join().unwrap_err();
    /// let r = std::panic::catch_unwind(|| std::panic::resume_unwind(e.into_panic()));
    /// assert_eq!(*r.unwrap_err().downcast::<&str>().unwrap(), "again");
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        match self.try_into_panic() {
            Ok(p) => p,
            Err(e) => panic!("ithaca: JoinError::into_panic on a non-panic error: {e}"),
        }
    }

    /// The panic payload, or the error back if the goroutine did not panic.
    ///
    /// ```
    /// let e = ithaca_rt::spawn(async { panic!("p") }).join().unwrap_err();
    /// assert!(e.try_into_panic().is_ok());
    /// ```
    pub fn try_into_panic(mut self) -> Result<Box<dyn std::any::Any + Send + 'static>, JoinError> {
        match self.panic.take() {
            Some(p) => Ok(p
                .payload
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner)),
            None => Err(self),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = self.rec.location;
        write!(
            f,
            "{} (spawned at {}:{}:{}) ",
            task::describe(&self.rec),
            l.file(),
            l.line(),
            l.column()
        )?;
        match &self.panic {
            Some(p) => write!(f, "panicked: {}", p.message),
            None => f.write_str("was cancelled (its runtime shut down)"),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinError")
            .field("id", &self.rec.id)
            .field("name", &self.rec.name)
            .field("spawned_at", &self.rec.location)
            .field("panic", &self.panic_message())
            .finish()
    }
}

impl std::error::Error for JoinError {}
