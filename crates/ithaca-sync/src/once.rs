//! [`Once`], [`OnceFunc`] and [`OnceValue`]: Go's `sync.Once`, `sync.OnceFunc` and
//! `sync.OnceValue(s)`, for threads and tasks.
//!
//! Each keeps a completion flag readable without locking and runs the function under an
//! ithaca [`Mutex`] (as Go's `Once` does), so concurrent callers block — and report it — as
//! lock waiters until the first call finishes.
//!
//! # Invariants
//!
//! * The function runs at most once, even if it panics (it is then "considered to have
//!   returned", Go's rule).
//! * [`Once`]: a panic propagates to the caller that ran the function only; later calls
//!   return at once. [`OnceFunc`]/[`OnceValue`]: the panic is recorded and **every** call
//!   panics with the same message (Go 1.21's rule); the first caller gets the original
//!   payload.
//! * The result is published (flag/`OnceLock`) before the mutex is unlocked, so a caller that
//!   acquired the mutex after the run sees it.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::mutex::Mutex;

/// The text of a panic payload (`&str` or `String`; other payloads get a generic text).
fn panic_message(p: &(dyn Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "sync: OnceValue function panicked with a non-string payload".to_owned()
    }
}

/// Go's `sync.Once`: runs a function exactly once across all callers.
///
/// ```
/// use ithaca_sync::Once;
/// let once = Once::new();
/// let mut n = 0;
/// once.call_once_blocking(|| n += 1);
/// once.call_once_blocking(|| n += 1);
/// assert_eq!(n, 1);
/// ```
pub struct Once {
    done: AtomicBool,
    m: Mutex<()>,
}

impl Default for Once {
    fn default() -> Self {
        Once::new()
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Once")
            .field("done", &self.is_done())
            .finish()
    }
}

impl Once {
    /// A `Once` that has not run.
    ///
    /// ```
    /// assert!(!ithaca_sync::Once::new().is_done());
    /// ```
    pub fn new() -> Self {
        Once {
            done: AtomicBool::new(false),
            m: Mutex::new(()),
        }
    }

    /// Whether a call has completed (returned or panicked).
    ///
    /// ```
    /// let o = ithaca_sync::Once::new();
    /// o.call_once_blocking(|| ());
    /// assert!(o.is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// Runs `f` if no call has run yet (Go's `Do`), from a thread. Callers that arrive while
    /// `f` runs wait until it has finished. If `f` panics, the panic propagates here and the
    /// `Once` counts as done.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread while another caller runs the function. Calling it again from
    /// inside `f` deadlocks, as in Go.
    ///
    /// ```
    /// let o = ithaca_sync::Once::new();
    /// let r = std::panic::catch_unwind(|| o.call_once_blocking(|| panic!("boom")));
    /// assert!(r.is_err());
    /// o.call_once_blocking(|| unreachable!()); // done: f is not called again
    /// ```
    #[track_caller]
    pub fn call_once_blocking<F: FnOnce()>(&self, f: F) {
        if self.is_done() {
            return;
        }
        let g = self.m.lock_blocking_at(Location::caller());
        self.run_locked(f, g);
    }

    /// Runs `f` if no call has run yet (Go's `Do`), from a task; see
    /// [`call_once_blocking`](Once::call_once_blocking).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future while it waits for another caller's run leaves the
    /// `Once` unchanged (`f` is then never called by this caller). `f` itself runs within one
    /// poll, so it is never interrupted.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let o = ithaca_sync::Once::new();
    /// let mut n = 0;
    /// o.call_once(|| n += 1).await;
    /// o.call_once(|| n += 1).await;
    /// assert_eq!(n, 1);
    /// # });
    /// ```
    #[track_caller]
    pub fn call_once<'a, F: FnOnce() + 'a>(&'a self, f: F) -> impl Future<Output = ()> + 'a {
        let loc = Location::caller();
        async move {
            if self.is_done() {
                return;
            }
            let g = self.m.lock_at(loc).await;
            self.run_locked(f, g);
        }
    }

    fn run_locked<F: FnOnce()>(&self, f: F, g: crate::MutexGuard<'_, ()>) {
        if self.done.load(Ordering::Acquire) {
            return;
        }
        let r = catch_unwind(AssertUnwindSafe(f));
        self.done.store(true, Ordering::Release);
        drop(g);
        if let Err(p) = r {
            resume_unwind(p);
        }
    }
}

/// Go's `sync.OnceValue` (and `OnceValues`, with `T = Result<V, E>`): a function whose
/// result is computed on first use and shared by every caller.
///
/// If the function panics, the first caller's panic propagates, and **every later call
/// panics with the same message** (Go 1.21's rule).
///
/// ```
/// use ithaca_sync::OnceValue;
/// let v = OnceValue::new(|| 6 * 7);
/// assert_eq!(*v.get_blocking(), 42);
/// assert_eq!(*v.get_blocking(), 42);
/// ```
pub struct OnceValue<T, F = fn() -> T> {
    cell: OnceLock<Result<T, String>>,
    f: Mutex<Option<F>>,
}

impl<T: fmt::Debug, F> fmt::Debug for OnceValue<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceValue")
            .field("value", &self.cell.get())
            .finish()
    }
}

impl<T, F: FnOnce() -> T> OnceValue<T, F> {
    /// Wraps `f`; it runs on the first `get`.
    ///
    /// ```
    /// let v = ithaca_sync::OnceValue::new(|| "x".to_string());
    /// assert_eq!(v.get_blocking(), "x");
    /// ```
    pub fn new(f: F) -> Self {
        OnceValue {
            cell: OnceLock::new(),
            f: Mutex::new(Some(f)),
        }
    }

    fn ready(&self) -> Option<&T> {
        match self.cell.get()? {
            Ok(v) => Some(v),
            Err(msg) => std::panic::panic_any(msg.clone()),
        }
    }

    fn run_locked(&self, mut g: crate::MutexGuard<'_, Option<F>>) -> &T {
        if let Some(v) = self.ready() {
            return v;
        }
        let f = g
            .take()
            .expect("sync: OnceValue function missing (internal error)");
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(v) => {
                let _ = self.cell.set(Ok(v));
                drop(g);
                self.ready().expect("value was just set")
            }
            Err(p) => {
                let _ = self.cell.set(Err(panic_message(&*p)));
                drop(g);
                resume_unwind(p)
            }
        }
    }

    /// The value, computing it on the first call (from a thread).
    ///
    /// # Blocking
    ///
    /// Parks the calling thread while another caller computes the value.
    ///
    /// # Panics
    ///
    /// If the function panicked (in this call or an earlier one), with the same message.
    ///
    /// ```
    /// let v = ithaca_sync::OnceValue::new(|| -> u8 { panic!("no value") });
    /// for _ in 0..2 {
    ///     let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| *v.get_blocking()));
    ///     assert!(r.is_err());
    /// }
    /// ```
    #[track_caller]
    pub fn get_blocking(&self) -> &T {
        if let Some(v) = self.ready() {
            return v;
        }
        let g = self.f.lock_blocking_at(Location::caller());
        self.run_locked(g)
    }

    /// The value, computing it on the first call (from a task).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future while it waits for another caller's computation
    /// changes nothing; the function itself runs within one poll.
    ///
    /// # Panics
    ///
    /// If the function panicked (in this call or an earlier one), with the same message.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let v = ithaca_sync::OnceValue::new(|| vec![1, 2]);
    /// assert_eq!(v.get().await.len(), 2);
    /// # });
    /// ```
    #[track_caller]
    pub fn get(&self) -> impl Future<Output = &T> + '_ {
        let loc = Location::caller();
        async move {
            if let Some(v) = self.ready() {
                return v;
            }
            let g = self.f.lock_at(loc).await;
            self.run_locked(g)
        }
    }

    /// The value if it has been computed (never runs the function, never blocks).
    ///
    /// # Panics
    ///
    /// If the function panicked, with the same message.
    ///
    /// ```
    /// let v = ithaca_sync::OnceValue::new(|| 1);
    /// assert!(v.try_get().is_none());
    /// v.get_blocking();
    /// assert_eq!(v.try_get(), Some(&1));
    /// ```
    pub fn try_get(&self) -> Option<&T> {
        self.ready()
    }
}

/// Go's `sync.OnceFunc`: a function that runs at most once however often it is called; if
/// it panicked, every call panics with the same message.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// let n = AtomicUsize::new(0);
/// let f = ithaca_sync::OnceFunc::new(|| { n.fetch_add(1, Ordering::SeqCst); });
/// f.call_blocking();
/// f.call_blocking();
/// assert_eq!(n.load(Ordering::SeqCst), 1);
/// ```
pub struct OnceFunc<F> {
    inner: OnceValue<(), F>,
}

impl<F> fmt::Debug for OnceFunc<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceFunc")
            .field("done", &self.inner.cell.get().is_some())
            .finish()
    }
}

impl<F: FnOnce()> OnceFunc<F> {
    /// Wraps `f`.
    ///
    /// ```
    /// let f = ithaca_sync::OnceFunc::new(|| ());
    /// f.call_blocking();
    /// ```
    pub fn new(f: F) -> Self {
        OnceFunc {
            inner: OnceValue::new(f),
        }
    }

    /// Runs the function if it has not run yet (from a thread).
    ///
    /// # Blocking
    ///
    /// Parks the calling thread while another caller runs the function.
    ///
    /// # Panics
    ///
    /// If the function panicked (in this call or an earlier one), with the same message.
    ///
    /// ```
    /// let f = ithaca_sync::OnceFunc::new(|| panic!("once"));
    /// assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f.call_blocking())).is_err());
    /// assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f.call_blocking())).is_err());
    /// ```
    #[track_caller]
    pub fn call_blocking(&self) {
        self.inner.get_blocking();
    }

    /// Runs the function if it has not run yet (from a task).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`OnceValue::get`].
    ///
    /// # Panics
    ///
    /// If the function panicked (in this call or an earlier one), with the same message.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let f = ithaca_sync::OnceFunc::new(|| ());
    /// f.call().await;
    /// # });
    /// ```
    #[track_caller]
    pub fn call(&self) -> impl Future<Output = ()> + '_ {
        let fut = self.inner.get();
        async move {
            fut.await;
        }
    }
}
