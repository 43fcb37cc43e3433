//! `golang.org/x/sync/errgroup`: a group of goroutines working on subtasks of one task, with
//! the first error cancelling the group's context, an optional limit on active goroutines,
//! and panics re-raised in `wait`.
//!
//! This module owns [`Group`] (members return `Result<(), E>`), [`ResultGroup`] (members
//! return `Result<T, E>`; `wait` collects the values in submission order) and
//! [`MemberError`] (the context cause when the error type is not a [`Cause`]).
//!
//! # Invariants
//!
//! * `active` counts members spawned and not finished (waiting for a limit token included);
//!   it is incremented in `go` before the spawn and decremented by the member's guard when its
//!   future completes, panics or is dropped — as is the group's `WaitGroup`, and the guard
//!   gives back the member's limit token.
//! * Only the first member error is kept ("first error wins"); later ones are dropped. The
//!   group's context is cancelled with that error as cause the moment it is recorded.
//! * Every member's `JoinHandle` is owned by the group until a `wait` takes its result; a
//!   `wait` that is dropped while joining puts the handle back, so no result or panic is
//!   lost to cancellation.

use std::any::Any;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ithaca_context::{CancelHandle, Cause, Context};
use ithaca_rt::{Goroutine, JoinError, JoinHandle};
use ithaca_sync::{Semaphore, WaitGroup};

use crate::util::lock;

/// The context cause recorded when a member fails with an error that is not itself a
/// [`Cause`]: it carries the error's `Display` text (or says that a member panicked).
///
/// ```
/// use ithaca_context::Context;
/// use ithaca_patterns::errgroup::{Group, MemberError};
/// # ithaca_rt::block_on(async {
/// let (g, ctx) = Group::with_context(&Context::background());
/// g.go(async { Err::<(), String>("disk full".to_string()) });
/// assert_eq!(g.wait().await, Err("disk full".to_string()));
/// let cause = ctx.cause().unwrap();
/// assert_eq!(cause.downcast_ref::<MemberError>().unwrap().message(), "disk full");
/// # });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberError {
    message: String,
}

impl MemberError {
    /// The failed member's error text.
    ///
    /// ```
    /// # use ithaca_context::Context;
    /// # use ithaca_patterns::errgroup::{Group, MemberError};
    /// # ithaca_rt::block_on(async {
    /// let (g, ctx) = Group::with_context(&Context::background());
    /// g.go(async { Err::<(), _>(std::fmt::Error) });
    /// let _ = g.wait().await;
    /// let msg = ctx.cause().unwrap().downcast_ref::<MemberError>().unwrap().message().to_owned();
    /// assert_eq!(msg, std::fmt::Error.to_string());
    /// # });
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for MemberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MemberError {}

fn cause_of<E: fmt::Display + 'static>(e: &E) -> Cause {
    if let Some(c) = (e as &dyn Any).downcast_ref::<Cause>() {
        return c.clone();
    }
    Arc::new(MemberError {
        message: e.to_string(),
    })
}

struct State<T, E> {
    handles: VecDeque<(usize, JoinHandle<Option<T>>)>,
    next: usize,
    err: Option<E>,
    failed: bool,
    results: Vec<(usize, T)>,
    panics: Vec<JoinError>,
    limit: Option<Arc<Semaphore>>,
}

struct Core<T, E> {
    st: Mutex<State<T, E>>,
    active: AtomicUsize,
    wg: WaitGroup,
    cancel: Option<CancelHandle>,
    to_cause: Option<fn(&E) -> Cause>,
    collect: bool,
}

/// Released when a member's future completes, panics or is dropped.
struct MemberGuard<T, E> {
    core: Arc<Core<T, E>>,
    token: Option<Arc<Semaphore>>,
}

impl<T, E> Drop for MemberGuard<T, E> {
    fn drop(&mut self) {
        if let Some(s) = self.token.take() {
            s.release(1);
        }
        if std::thread::panicking() {
            if let Some(c) = &self.core.cancel {
                c.cancel_with_cause(Arc::new(MemberError {
                    message: "errgroup: a member goroutine panicked".to_owned(),
                }));
            }
        }
        self.core.active.fetch_sub(1, Ordering::AcqRel);
        self.core.wg.done();
    }
}

/// Puts a handle back at the front of the queue if the `wait` joining it is dropped.
struct PutBack<'a, T, E> {
    core: &'a Core<T, E>,
    item: Option<(usize, JoinHandle<Option<T>>)>,
}

impl<T, E> Drop for PutBack<'_, T, E> {
    fn drop(&mut self) {
        if let Some(item) = self.item.take() {
            lock(&self.core.st).handles.push_front(item);
        }
    }
}

enum Token {
    Free,
    Held(Arc<Semaphore>),
    Wait(Arc<Semaphore>),
}

impl<T: Send + 'static, E: Send + 'static> Core<T, E> {
    fn new(cancel: Option<CancelHandle>, to_cause: Option<fn(&E) -> Cause>, collect: bool) -> Self {
        Core {
            st: Mutex::new(State {
                handles: VecDeque::new(),
                next: 0,
                err: None,
                failed: false,
                results: Vec::new(),
                panics: Vec::new(),
                limit: None,
            }),
            active: AtomicUsize::new(0),
            wg: WaitGroup::new(),
            cancel,
            to_cause,
            collect,
        }
    }

    fn fail(&self, e: E) {
        let cause = {
            let mut st = lock(&self.st);
            if st.failed {
                return;
            }
            st.failed = true;
            let cause = self.to_cause.map(|f| f(&e));
            st.err = Some(e);
            cause
        };
        if let (Some(c), Some(h)) = (cause, &self.cancel) {
            h.cancel_with_cause(c);
        }
    }

    #[track_caller]
    fn spawn<F>(self: &Arc<Self>, name: Option<String>, token: Token, fut: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.active.fetch_add(1, Ordering::AcqRel);
        self.wg.add(1);
        let (held, wait) = match token {
            Token::Free => (None, None),
            Token::Held(s) => (Some(s), None),
            Token::Wait(s) => (None, Some(s)),
        };
        let guard = MemberGuard {
            core: self.clone(),
            token: held,
        };
        let member = async move {
            let mut guard = guard;
            if let Some(s) = wait {
                s.acquire(1)
                    .await
                    .expect("errgroup: limit semaphore refused a token");
                guard.token = Some(s);
            }
            match fut.await {
                Ok(v) => Some(v),
                Err(e) => {
                    guard.core.fail(e);
                    None
                }
            }
        };
        let mut b = Goroutine::new();
        if let Some(n) = name {
            b = b.name(n);
        }
        let h = b.spawn(member);
        let mut st = lock(&self.st);
        let i = st.next;
        st.next += 1;
        st.handles.push_back((i, h));
    }

    #[track_caller]
    fn go<F>(self: &Arc<Self>, name: Option<String>, fut: F)
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        let limit = lock(&self.st).limit.clone();
        let token = match limit {
            None => Token::Free,
            Some(s) if s.size() == 0 => {
                panic!("errgroup: go with a limit of 0: the goroutine could never start (use try_go, or raise the limit)")
            }
            Some(s) if s.try_acquire(1) => Token::Held(s),
            Some(s) => Token::Wait(s),
        };
        self.spawn(name, token, fut);
    }

    #[track_caller]
    fn try_go<F>(self: &Arc<Self>, fut: F) -> bool
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        let limit = lock(&self.st).limit.clone();
        let token = match limit {
            None => Token::Free,
            Some(s) if s.try_acquire(1) => Token::Held(s),
            Some(_) => return false,
        };
        self.spawn(None, token, fut);
        true
    }

    fn set_limit(&self, n: Option<usize>) {
        let mut st = lock(&self.st);
        let active = self.active.load(Ordering::Acquire);
        if active != 0 {
            panic!(
                "errgroup: modify limit while {active} goroutines in the group are still active"
            );
        }
        st.limit = n.map(|n| Arc::new(Semaphore::new(n)));
    }

    fn record(&self, i: usize, r: Result<Option<T>, JoinError>) {
        let mut st = lock(&self.st);
        match r {
            Ok(Some(v)) if self.collect => st.results.push((i, v)),
            Ok(_) => {}
            Err(e) => st.panics.push(e),
        }
    }

    async fn join_all(&self) {
        loop {
            let next = lock(&self.st).handles.pop_front();
            let Some(item) = next else { break };
            let mut slot = PutBack {
                core: self,
                item: Some(item),
            };
            let r = std::future::poll_fn(|cx| {
                let (_, h) = slot.item.as_mut().expect("errgroup: handle present");
                Pin::new(h).poll(cx)
            })
            .await;
            let (i, _) = slot.item.take().expect("errgroup: handle present");
            self.record(i, r);
        }
        self.wg.wait().await;
    }

    fn join_all_blocking(&self) {
        loop {
            let next = lock(&self.st).handles.pop_front();
            let Some((i, h)) = next else { break };
            let r = h.join();
            self.record(i, r);
        }
        self.wg.wait_blocking();
    }

    fn finish(&self) -> Result<Vec<T>, E> {
        let (panics, err, mut results) = {
            let mut st = lock(&self.st);
            (
                std::mem::take(&mut st.panics),
                st.err.take(),
                std::mem::take(&mut st.results),
            )
        };
        if let Some(c) = &self.cancel {
            c.cancel();
        }
        if let Some(first) = panics.first() {
            let more = match panics.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            panic!("errgroup: member {first}{more}");
        }
        match err {
            Some(e) => Err(e),
            None => {
                results.sort_unstable_by_key(|(i, _)| *i);
                Ok(results.into_iter().map(|(_, v)| v).collect())
            }
        }
    }
}

macro_rules! common_methods {
    ($T:ty, $example_ok:expr) => {
        /// Spawns `fut` as a member goroutine (Go's `g.Go(f)`), recording the caller as its
        /// spawn site. If the member returns `Err`, that error becomes the group's result
        /// unless another came first, and the group's context is cancelled.
        ///
        /// With a limit set ([`set_limit`](Self::set_limit)) and no token free, the goroutine
        /// is spawned at once but runs `fut` only when a token frees up (FIFO) — Go's `Go`
        /// blocks the caller instead, which an async `go` cannot do without losing the spawn
        /// site. For backpressure on the spawner, use [`try_go`](Self::try_go) or a
        /// [`Pool`](crate::pool::Pool).
        ///
        /// # Panics
        ///
        /// If the limit is 0 (the member could never start; Go blocks forever).
        ///
        /// ```
        #[doc = $example_ok]
        /// ```
        #[track_caller]
        pub fn go<F>(&self, fut: F)
        where
            F: Future<Output = Result<$T, E>> + Send + 'static,
        {
            self.core.go(None, fut)
        }

        /// As [`go`](Self::go), naming the member goroutine (shown in panic reports,
        /// [`runtime::snapshot`](ithaca_rt::runtime::snapshot) and the message `wait`
        /// re-raises).
        ///
        /// ```
        /// # ithaca_rt::block_on(async {
        /// let g = ithaca_patterns::errgroup::Group::new();
        /// g.go_named("fetch-users", async { Ok::<(), String>(()) });
        /// assert_eq!(g.wait().await, Ok(()));
        /// # });
        /// ```
        #[track_caller]
        pub fn go_named<F>(&self, name: impl Into<String>, fut: F)
        where
            F: Future<Output = Result<$T, E>> + Send + 'static,
        {
            self.core.go(Some(name.into()), fut)
        }

        /// Spawns `fut` as a member only if the limit allows a new active member right now
        /// (Go's `TryGo`); returns whether it was spawned. Without a limit, always spawns.
        ///
        /// ```
        /// # ithaca_rt::block_on(async {
        /// let g = ithaca_patterns::errgroup::Group::<String>::new();
        /// g.set_limit(1);
        /// let (tx, rx) = ithaca_chan::bounded::<()>(0);
        /// assert!(g.try_go(async move { rx.recv().await; Ok(()) }));
        /// assert!(!g.try_go(async { Ok(()) })); // the limit of 1 is in use
        /// tx.send(()).await.unwrap();
        /// g.wait().await.unwrap();
        /// assert!(g.try_go(async { Ok(()) }));
        /// # g.wait().await.unwrap();
        /// # });
        /// ```
        #[track_caller]
        pub fn try_go<F>(&self, fut: F) -> bool
        where
            F: Future<Output = Result<$T, E>> + Send + 'static,
        {
            self.core.try_go(fut)
        }

        /// Limits the number of active members to `n` (Go's `SetLimit(n)`, `n >= 0`).
        ///
        /// # Panics
        ///
        /// With `errgroup: modify limit while N goroutines in the group are still active`
        /// if members are active (as Go).
        ///
        /// ```
        /// let g = ithaca_patterns::errgroup::Group::<String>::new();
        /// g.set_limit(4);
        /// let (tx, rx) = ithaca_chan::bounded::<()>(0);
        /// g.go(async move { rx.recv().await; Ok(()) });
        /// let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.set_limit(8)));
        /// assert!(r.is_err()); // one member is active
        /// drop(tx);
        /// g.wait_blocking().unwrap();
        /// g.set_limit(8); // fine: nothing active
        /// ```
        #[track_caller]
        pub fn set_limit(&self, n: usize) {
            self.core.set_limit(Some(n))
        }

        /// Removes the limit (Go's `SetLimit(-1)`).
        ///
        /// # Panics
        ///
        /// As [`set_limit`](Self::set_limit), if members are active.
        ///
        /// ```
        /// let g = ithaca_patterns::errgroup::Group::<String>::new();
        /// g.set_limit(0);
        /// assert!(!g.try_go(async { Ok(()) }));
        /// g.remove_limit();
        /// assert!(g.try_go(async { Ok(()) }));
        /// g.wait_blocking().unwrap();
        /// ```
        #[track_caller]
        pub fn remove_limit(&self) {
            self.core.set_limit(None)
        }

        /// Members spawned and not yet finished (those waiting for a limit token included).
        ///
        /// ```
        /// let g = ithaca_patterns::errgroup::Group::<String>::new();
        /// assert_eq!(g.active(), 0);
        /// ```
        pub fn active(&self) -> usize {
            self.core.active.load(Ordering::Acquire)
        }
    };
}

/// Go's `errgroup.Group`: members return `Result<(), E>`; [`wait`](Group::wait) returns the
/// first error. A cheap `Clone` handle: members may spawn more members.
///
/// | Go | ithaca |
/// |---|---|
/// | `var g errgroup.Group` | `let g = Group::new();` |
/// | `g, ctx := errgroup.WithContext(ctx)` | `let (g, ctx) = Group::with_context(&ctx);` |
/// | `g.Go(func() error {..})` | `g.go(async move {..})` |
/// | `g.TryGo(f)`, `g.SetLimit(n)` | `g.try_go(fut)`, `g.set_limit(n)` |
/// | `err := g.Wait()` | `g.wait().await` / `g.wait_blocking()` |
///
/// Differences from Go, on purpose:
///
/// * **Panics are re-raised in `wait`** (after every member has finished), with the member's
///   goroutine id, name and spawn site in the message; Go crashes the process.
/// * **The first error is moved out** by the `wait` that returns it (Rust errors need not be
///   `Clone`); a later `wait` of the same group returns `Ok(())` for that error, and later
///   member errors stay ignored (Go's "first error wins").
///
/// ```
/// use ithaca_patterns::errgroup::Group;
/// # ithaca_rt::block_on(async {
/// let g = Group::new();
/// for url in ["a", "b", "bad"] {
///     g.go(async move {
///         if url == "bad" { Err(format!("fetch {url}: 404")) } else { Ok(()) }
///     });
/// }
/// assert_eq!(g.wait().await, Err("fetch bad: 404".to_string()));
/// # });
/// ```
pub struct Group<E = Cause> {
    core: Arc<Core<(), E>>,
}

impl<E> Clone for Group<E> {
    fn clone(&self) -> Self {
        Group {
            core: self.core.clone(),
        }
    }
}

impl<E> fmt::Debug for Group<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("active", &self.core.active.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<E: Send + 'static> Default for Group<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Send + 'static> Group<E> {
    /// An empty group with no context and no limit (Go's zero `Group`).
    ///
    /// ```
    /// let g = ithaca_patterns::errgroup::Group::<String>::new();
    /// assert_eq!(g.wait_blocking(), Ok(()));
    /// ```
    pub fn new() -> Self {
        Group {
            core: Arc::new(Core::new(None, None, false)),
        }
    }

    /// Go's `errgroup.WithContext`: a group and a child context of `parent` that is cancelled
    /// the first time a member fails (cause: the error itself when `E` is [`Cause`],
    /// otherwise a [`MemberError`] with its text), when a member panics, or when `wait`
    /// returns (cause: `context canceled` if nothing failed). Dropping every handle of the
    /// group (and every member finishing) cancels it too.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ithaca_context::{Cause, Context};
    /// use ithaca_patterns::errgroup::Group;
    /// # ithaca_rt::block_on(async {
    /// let (g, ctx) = Group::with_context(&Context::background());
    /// let doom: Cause = Arc::new(std::io::Error::other("doom"));
    /// let d = doom.clone();
    /// g.go(async move { Err(d) });
    /// let c2 = ctx.clone();
    /// g.go(async move { c2.done().await; Ok(()) }); // stopped by the first error
    /// let err = g.wait().await.unwrap_err();
    /// assert!(Arc::ptr_eq(&err, &doom));
    /// assert!(Arc::ptr_eq(&ctx.cause().unwrap(), &doom));
    /// # });
    /// ```
    pub fn with_context(parent: &Context) -> (Self, Context)
    where
        E: fmt::Display + 'static,
    {
        let (ctx, cancel) = Context::with_cancel_cause(parent);
        let g = Group {
            core: Arc::new(Core::new(Some(cancel), Some(cause_of::<E>), false)),
        };
        (g, ctx)
    }

    /// Cancels the group's context (if it has one) with a [`MemberError`] cause `why`.
    pub(crate) fn cancel_context(&self, why: &str) {
        if let Some(c) = &self.core.cancel {
            c.cancel_with_cause(Arc::new(MemberError {
                message: why.to_owned(),
            }));
        }
    }

    common_methods!(
        (),
        "# ithaca_rt::block_on(async {\nlet g = ithaca_patterns::errgroup::Group::new();\ng.go(async { Ok(()) });\ng.go(async { Err(\"boom\") });\nassert_eq!(g.wait().await, Err(\"boom\"));\n# });"
    );

    /// Waits for every member (those spawned while waiting included) and returns the first
    /// error (Go's `Wait`); then cancels the group's context.
    ///
    /// # Panics
    ///
    /// If a member panicked: after all members have finished, re-raises with
    /// `errgroup: member goroutine N "name" (spawned at file:line:col) panicked: message`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future loses no member result or panic; a later `wait`
    /// picks up where it stopped. The members keep running.
    ///
    /// ```
    /// # ithaca_rt::block_on(async {
    /// let g = ithaca_patterns::errgroup::Group::<String>::new();
    /// g.go(async { Ok(()) });
    /// assert_eq!(g.wait().await, Ok(()));
    /// # });
    /// ```
    pub fn wait(&self) -> impl Future<Output = Result<(), E>> + Send + '_ {
        async move {
            self.core.join_all().await;
            self.core.finish().map(drop)
        }
    }

    /// [`wait`](Group::wait) for a plain thread.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until every member has finished. Not for async code.
    ///
    /// # Panics
    ///
    /// As [`wait`](Group::wait); also if called from inside an async goroutine.
    ///
    /// ```
    /// let g = ithaca_patterns::errgroup::Group::new();
    /// g.go(async { Err(7) });
    /// assert_eq!(g.wait_blocking(), Err(7));
    /// ```
    #[track_caller]
    pub fn wait_blocking(&self) -> Result<(), E> {
        self.core.join_all_blocking();
        self.core.finish().map(drop)
    }
}

/// An errgroup whose members return values: [`wait`](ResultGroup::wait) returns them all in
/// submission order, or the first error (conc's `ResultErrorPool` with ordered results).
///
/// ```
/// use ithaca_patterns::errgroup::ResultGroup;
/// # ithaca_rt::block_on(async {
/// let g = ResultGroup::<u64, String>::new();
/// for i in 0..5u64 {
///     g.go(async move { Ok(i * i) });
/// }
/// assert_eq!(g.wait().await, Ok(vec![0, 1, 4, 9, 16]));
/// # });
/// ```
pub struct ResultGroup<T, E = Cause> {
    core: Arc<Core<T, E>>,
}

impl<T, E> Clone for ResultGroup<T, E> {
    fn clone(&self) -> Self {
        ResultGroup {
            core: self.core.clone(),
        }
    }
}

impl<T, E> fmt::Debug for ResultGroup<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultGroup")
            .field("active", &self.core.active.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static, E: Send + 'static> Default for ResultGroup<T, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + 'static, E: Send + 'static> ResultGroup<T, E> {
    /// An empty group with no context and no limit.
    ///
    /// ```
    /// let g = ithaca_patterns::errgroup::ResultGroup::<u8, String>::new();
    /// assert_eq!(g.wait_blocking(), Ok(vec![]));
    /// ```
    pub fn new() -> Self {
        ResultGroup {
            core: Arc::new(Core::new(None, None, true)),
        }
    }

    /// As [`Group::with_context`].
    ///
    /// ```
    /// use ithaca_context::Context;
    /// # ithaca_rt::block_on(async {
    /// let (g, ctx) = ithaca_patterns::errgroup::ResultGroup::<u8, String>::with_context(&Context::background());
    /// g.go(async { Ok(1) });
    /// assert_eq!(g.wait().await, Ok(vec![1]));
    /// assert!(ctx.is_done()); // wait cancels the group's context
    /// # });
    /// ```
    pub fn with_context(parent: &Context) -> (Self, Context)
    where
        E: fmt::Display + 'static,
    {
        let (ctx, cancel) = Context::with_cancel_cause(parent);
        let g = ResultGroup {
            core: Arc::new(Core::new(Some(cancel), Some(cause_of::<E>), true)),
        };
        (g, ctx)
    }

    common_methods!(
        T,
        "# ithaca_rt::block_on(async {\nlet g = ithaca_patterns::errgroup::ResultGroup::<&str, String>::new();\ng.go(async { Ok(\"a\") });\ng.go(async { Ok(\"b\") });\nassert_eq!(g.wait().await, Ok(vec![\"a\", \"b\"]));\n# });"
    );

    /// Waits for every member and returns their values in submission order, or the first
    /// error; then cancels the group's context. Values of members collected by an earlier
    /// `wait` are not returned again.
    ///
    /// # Panics
    ///
    /// As [`Group::wait`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: values and panics collected before the drop are kept for the next `wait`.
    ///
    /// ```
    /// # ithaca_rt::block_on(async {
    /// let g = ithaca_patterns::errgroup::ResultGroup::new();
    /// g.go(async { Ok(1) });
    /// g.go(async { Err("no") });
    /// assert_eq!(g.wait().await, Err("no"));
    /// # });
    /// ```
    pub fn wait(&self) -> impl Future<Output = Result<Vec<T>, E>> + Send + '_ {
        async move {
            self.core.join_all().await;
            self.core.finish()
        }
    }

    /// [`wait`](ResultGroup::wait) for a plain thread.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until every member has finished. Not for async code.
    ///
    /// # Panics
    ///
    /// As [`wait`](ResultGroup::wait); also if called from inside an async goroutine.
    ///
    /// ```
    /// let g = ithaca_patterns::errgroup::ResultGroup::<_, String>::new();
    /// g.go(async { Ok('x') });
    /// assert_eq!(g.wait_blocking(), Ok(vec!['x']));
    /// ```
    #[track_caller]
    pub fn wait_blocking(&self) -> Result<Vec<T>, E> {
        self.core.join_all_blocking();
        self.core.finish()
    }
}
