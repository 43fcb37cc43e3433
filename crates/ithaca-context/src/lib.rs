//! # ithaca-context
//!
//! Go's `context` package for ithaca: cancellation that flows down a tree, deadlines, causes,
//! request-scoped values, and [`Context::done`] as a select arm usable from threads and tasks.
//!
//! ```
//! use std::time::Duration;
//! use ithaca_context::{Context, ContextError};
//!
//! let (parent, cancel) = Context::with_cancel(&Context::background());
//! let (child, _guard) = Context::with_timeout(&parent, Duration::from_secs(60));
//! cancel.cancel();
//! child.done().wait_blocking(); // returns at once: the parent's cancel reached the child
//! assert_eq!(child.err(), Some(ContextError::Canceled));
//! ```
//!
//! # Design
//!
//! * [`Context`] is an `Arc` to an immutable node (cheap clone). Nodes that can be cancelled
//!   own a *cancel node*: a mutex-protected state with the error, the cause, the children,
//!   the waiters of `done()` selects and the `after_func` callbacks.
//! * Cancellation is synchronous down the tree (Go's stdlib behaviour): cancelling a node
//!   walks its children with an explicit work list (no recursion, so deep chains are fine),
//!   claims every registered `done()` waiter and wakes it, and starts every `after_func`
//!   callback on its own thread. `cancel` never waits for callbacks.
//! * A child is removed from its parent's child list when it is cancelled or when its last
//!   handle is dropped, so long-lived parents do not accumulate children.
//! * Dropping a [`CancelHandle`] **cancels** its context (a guard: no lost-cancel leaks).
//!   [`CancelHandle::disarm`] opts out.
//! * Deadlines fire through [`ithaca_time::Clock::call_at`] (one process-wide timer thread for
//!   the real clock, or the clock's `advance` for a virtual clock), never a thread per context.
//!   On the real clock an expired deadline is also noticed lazily by `err`/`done`.
//!
//! # Invariants
//!
//! * A cancel node's error is set once (first cancel wins, with its cause); `done` is set
//!   after the error, with release ordering, and every waiter registered before that is
//!   claimed and woken.
//! * Lock order: a parent's lock is never held while a child's is taken, and vice versa;
//!   cancellation takes the children out under the lock and visits them after releasing it.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering as StdOrdering};
use std::sync::OnceLock;
use std::task::Poll;
use std::time::{Duration, Instant};

use ithaca_core::{Arm, Outcome, Registration, Select, Waiter};
use ithaca_time::arm_wait::ArmWait;
use ithaca_time::{Clock, TimerHandle};

mod loom;
use loom::{lock, Arc, AtomicBool, Mutex, Ordering};

/// The cause of a cancellation: any error, compared by identity (`Arc::ptr_eq`) like Go's
/// sentinel errors.
pub type Cause = std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>;

/// Why a context is done: Go's `context.Canceled` and `context.DeadlineExceeded`.
///
/// ```
/// use ithaca_context::ContextError;
/// assert_eq!(ContextError::Canceled.to_string(), "context canceled");
/// assert_eq!(ContextError::DeadlineExceeded.to_string(), "context deadline exceeded");
/// assert!(ContextError::DeadlineExceeded.is_timeout());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContextError {
    /// The context was cancelled.
    Canceled,
    /// The context's deadline passed.
    DeadlineExceeded,
}

impl ContextError {
    /// Go's `Timeout()`: true for [`ContextError::DeadlineExceeded`].
    ///
    /// ```
    /// assert!(!ithaca_context::ContextError::Canceled.is_timeout());
    /// ```
    pub fn is_timeout(self) -> bool {
        self == ContextError::DeadlineExceeded
    }

    /// Whether `cause` is this error (a cause set by no one but the context machinery).
    ///
    /// ```
    /// use ithaca_context::{Context, ContextError};
    /// let (ctx, c) = Context::with_cancel(&Context::background());
    /// c.cancel();
    /// assert!(ContextError::Canceled.is(&ctx.cause().unwrap()));
    /// ```
    pub fn is(self, cause: &Cause) -> bool {
        cause.downcast_ref::<ContextError>() == Some(&self)
    }
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContextError::Canceled => "context canceled",
            ContextError::DeadlineExceeded => "context deadline exceeded",
        })
    }
}

impl std::error::Error for ContextError {}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

type Callback = Box<dyn FnOnce() + Send + 'static>;

struct CSt {
    err: Option<ContextError>,
    cause: Option<Cause>,
    children: Children,
    waiters: Vec<(Arc<Waiter>, usize)>,
    funcs: Vec<(u64, Callback)>,
    timer: Option<TimerHandle>,
}

/// The children of a cancel node: a slab, so insertion and removal are O(1) without hashing.
/// A child's index is in its `slot`, written and read only under this node's lock.
#[derive(Default)]
struct Children {
    slots: Vec<Option<Arc<CancelNode>>>,
    free: Vec<usize>,
    len: usize,
}

impl Children {
    fn insert(&mut self, child: Arc<CancelNode>) {
        let i = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        child.slot.store(i, StdOrdering::Relaxed);
        self.slots[i] = Some(child);
        self.len += 1;
    }

    fn remove(&mut self, child: &CancelNode) -> Option<Arc<CancelNode>> {
        let i = child.slot.load(StdOrdering::Relaxed);
        let slot = self.slots.get_mut(i)?;
        if !slot.as_ref().is_some_and(|c| std::ptr::eq(&**c, child)) {
            return None;
        }
        let c = slot.take();
        self.free.push(i);
        self.len -= 1;
        c
    }

    fn drain(&mut self) -> impl Iterator<Item = Arc<CancelNode>> {
        self.len = 0;
        self.free.clear();
        std::mem::take(&mut self.slots).into_iter().flatten()
    }
}

struct CancelNode {
    /// Index in the parent's `Children` (guarded by the parent's lock).
    slot: AtomicUsize,
    st: Mutex<CSt>,
    done: AtomicBool,
    /// The nearest cancellable ancestor, with which this node is registered.
    parent: Option<Arc<CancelNode>>,
    /// Real-clock deadline, checked lazily; and the cause to report when it fires.
    lazy_deadline: Option<Instant>,
    deadline_cause: Option<Cause>,
}

impl CancelNode {
    fn new(
        parent: Option<Arc<CancelNode>>,
        lazy_deadline: Option<Instant>,
        cause: Option<Cause>,
    ) -> Arc<Self> {
        Arc::new(CancelNode {
            slot: AtomicUsize::new(usize::MAX),
            st: Mutex::new(CSt {
                err: None,
                cause: None,
                children: Children::default(),
                waiters: Vec::new(),
                funcs: Vec::new(),
                timer: None,
            }),
            done: AtomicBool::new(false),
            parent,
            lazy_deadline,
            deadline_cause: cause,
        })
    }

    fn is_done(this: &Arc<Self>) -> bool {
        if this.done.load(Ordering::Acquire) {
            return true;
        }
        if let Some(d) = this.lazy_deadline {
            if Instant::now() >= d {
                CancelNode::fire_deadline(this);
                return true;
            }
        }
        false
    }

    fn fire_deadline(this: &Arc<Self>) {
        let cause = this.deadline_cause.clone();
        cancel(this, ContextError::DeadlineExceeded, cause, true);
    }
}

impl Drop for CancelNode {
    fn drop(&mut self) {
        // Unwind a chain of parents iteratively (a deep chain would overflow the stack).
        let mut next = self.parent.take();
        while let Some(p) = next {
            match Arc::try_unwrap(p) {
                Ok(mut node) => next = node.parent.take(),
                Err(_) => break,
            }
        }
    }
}

/// The shared cause value for a cancellation that carried none (no allocation per cancel).
fn default_cause(err: ContextError) -> Cause {
    static CANCELED: OnceLock<Cause> = OnceLock::new();
    static DEADLINE: OnceLock<Cause> = OnceLock::new();
    let cell = match err {
        ContextError::Canceled => &CANCELED,
        ContextError::DeadlineExceeded => &DEADLINE,
    };
    cell.get_or_init(|| std::sync::Arc::new(err)).clone()
}

/// Marks one node done; returns its children (to visit next), or `None` if it was already
/// done (first cancel wins).
fn cancel_one(n: &CancelNode, err: ContextError, cause: &Cause) -> Option<Vec<Arc<CancelNode>>> {
    let mut st = lock(&n.st);
    if st.err.is_some() {
        return None;
    }
    st.err = Some(err);
    st.cause = Some(cause.clone());
    n.done.store(true, Ordering::Release);
    let children: Vec<_> = if st.children.len == 0 {
        Vec::new()
    } else {
        st.children.drain().collect()
    };
    let waiters = std::mem::take(&mut st.waiters);
    let funcs = std::mem::take(&mut st.funcs);
    let timer = st.timer.take();
    drop(st);
    for (w, i) in waiters {
        if w.try_select(i) {
            w.wake();
        }
    }
    for (_, f) in funcs {
        spawn_callback(f);
    }
    if let Some(t) = timer {
        t.stop();
    }
    Some(children)
}

/// Cancels `node` and its descendants with `err`; the first cancel wins. With `detach`, a
/// node that this call cancelled leaves its parent's child list.
fn cancel(node: &Arc<CancelNode>, err: ContextError, cause: Option<Cause>, detach: bool) {
    let cause: Cause = cause.unwrap_or_else(|| default_cause(err));
    let Some(mut work) = cancel_one(node, err, &cause) else {
        return;
    };
    if detach {
        detach_from_parent(node);
    }
    // Descendants, with an explicit work list: no recursion, whatever the depth.
    while let Some(n) = work.pop() {
        if let Some(children) = cancel_one(&n, err, &cause) {
            work.extend(children);
        }
    }
}

fn detach_from_parent(node: &CancelNode) {
    if let Some(p) = &node.parent {
        let removed = lock(&p.st).children.remove(node);
        drop(removed);
    }
}

fn spawn_callback(f: Callback) {
    std::thread::Builder::new()
        .name("ithaca-context-after-func".into())
        .spawn(f)
        .expect("ithaca-context: could not start the thread of an after_func callback");
}

enum Kind {
    Background,
    Todo,
    Cancel,
    Deadline(Instant),
    Value {
        key: usize,
        name: &'static str,
        value: std::sync::Arc<dyn Any + Send + Sync>,
    },
    WithoutCancel,
    Clock,
}

struct Node {
    parent: Option<Context>,
    kind: Kind,
    /// The nearest cancel node (this node's own for Cancel/Deadline nodes).
    cancel: Option<Arc<CancelNode>>,
    /// The effective deadline (the earliest along the chain).
    deadline: Option<Instant>,
    clock: Clock,
}

impl Drop for Node {
    fn drop(&mut self) {
        if matches!(self.kind, Kind::Cancel | Kind::Deadline(_)) {
            if let Some(c) = &self.cancel {
                // Nobody can cancel or observe this context any more: leave the parent's list
                // and stop the deadline timer — unless `after_func` callbacks still wait for
                // it to end (Go keeps such a context registered), then it stays attached.
                let mut st = lock(&c.st);
                if st.funcs.is_empty() {
                    let timer = st.timer.take();
                    drop(st);
                    detach_from_parent(c);
                    if let Some(t) = timer {
                        t.stop();
                    }
                }
            }
        }
        let mut next = self.parent.take();
        while let Some(ctx) = next {
            match std::sync::Arc::try_unwrap(ctx.0) {
                Ok(mut node) => next = node.parent.take(),
                Err(_) => break,
            }
        }
    }
}

/// Go's `context.Context`: carries cancellation, a deadline and values down a call tree.
/// Cheap to clone (an `Arc`); `Send + Sync`.
///
/// ```
/// use ithaca_context::{Context, Key};
/// static USER: Key<String> = Key::new("user");
/// let ctx = Context::with_value(&Context::background(), &USER, "gopher".to_string());
/// assert_eq!(ctx.value(&USER).map(String::as_str), Some("gopher"));
/// assert_eq!(ctx.err(), None);
/// ```
#[derive(Clone)]
pub struct Context(std::sync::Arc<Node>);

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Context {
    /// Go's `String()` forms: `context.Background.WithCancel`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.0.parent {
            write!(f, "{p}.")?;
        }
        match &self.0.kind {
            Kind::Background => f.write_str("context.Background"),
            Kind::Todo => f.write_str("context.TODO"),
            Kind::Cancel => f.write_str("WithCancel"),
            Kind::Deadline(d) => write!(
                f,
                "WithDeadline({:?} [{:?}])",
                d,
                d.saturating_duration_since(self.0.clock.now())
            ),
            Kind::Value { name, .. } => write!(f, "WithValue({name})"),
            Kind::WithoutCancel => f.write_str("WithoutCancel"),
            Kind::Clock => f.write_str("WithClock"),
        }
    }
}

static KEY_IDS: AtomicUsize = AtomicUsize::new(1);

/// A typed key for [`Context::with_value`], compared by identity (two keys with the same name
/// are different keys). Usable as a `static`.
///
/// ```
/// use ithaca_context::{Context, Key};
/// let a: Key<u32> = Key::new("id");
/// let b: Key<u32> = Key::new("id");
/// let ctx = Context::with_value(&Context::background(), &a, 1);
/// assert_eq!(ctx.value(&a), Some(&1));
/// assert_eq!(ctx.value(&b), None);
/// ```
pub struct Key<T> {
    id: AtomicUsize,
    name: &'static str,
    _t: PhantomData<fn() -> T>,
}

impl<T> Key<T> {
    /// A new key; `name` is used only for display.
    pub const fn new(name: &'static str) -> Self {
        Key {
            id: AtomicUsize::new(0),
            name,
            _t: PhantomData,
        }
    }

    /// The key's name.
    ///
    /// ```
    /// assert_eq!(ithaca_context::Key::<u8>::new("k").name(), "k");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn id(&self) -> usize {
        let id = self.id.load(StdOrdering::Acquire);
        if id != 0 {
            return id;
        }
        let fresh = KEY_IDS.fetch_add(1, StdOrdering::Relaxed);
        match self
            .id
            .compare_exchange(0, fresh, StdOrdering::AcqRel, StdOrdering::Acquire)
        {
            Ok(_) => fresh,
            Err(existing) => existing,
        }
    }
}

impl<T> Clone for Key<T> {
    /// A clone is the same key.
    fn clone(&self) -> Self {
        Key {
            id: AtomicUsize::new(self.id()),
            name: self.name,
            _t: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Key<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({})", self.name)
    }
}

impl Context {
    fn root(kind: Kind, clock: Clock) -> Context {
        Context(std::sync::Arc::new(Node {
            parent: None,
            kind,
            cancel: None,
            deadline: None,
            clock,
        }))
    }

    /// Go's `context.Background()`: never cancelled, no deadline, no values; real clock.
    ///
    /// ```
    /// let bg = ithaca_context::Context::background();
    /// assert_eq!(bg.err(), None);
    /// assert_eq!(bg.to_string(), "context.Background");
    /// ```
    pub fn background() -> Context {
        Context::root(Kind::Background, Clock::real())
    }

    /// Go's `context.TODO()`: like `background`, for code not yet given a context.
    ///
    /// ```
    /// assert_eq!(ithaca_context::Context::todo().to_string(), "context.TODO");
    /// ```
    pub fn todo() -> Context {
        Context::root(Kind::Todo, Clock::real())
    }

    /// A background context whose deadlines and timeouts use `clock` (a virtual clock makes
    /// them deterministic in tests). Descendants inherit the clock.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ithaca_context::{Context, ContextError};
    /// let clock = ithaca_time::Clock::manual();
    /// let bg = Context::background_with_clock(&clock);
    /// let (ctx, _c) = Context::with_timeout(&bg, Duration::from_secs(3600));
    /// assert_eq!(ctx.err(), None);
    /// clock.advance(Duration::from_secs(3600));
    /// assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
    /// ```
    pub fn background_with_clock(clock: &Clock) -> Context {
        Context::root(Kind::Background, clock.clone())
    }

    /// A child of `parent` whose deadlines use `clock` from here down.
    ///
    /// ```
    /// let clock = ithaca_time::Clock::manual();
    /// let ctx = ithaca_context::Context::with_clock(&ithaca_context::Context::background(), &clock);
    /// assert!(ctx.clock().is_virtual());
    /// ```
    pub fn with_clock(parent: &Context, clock: &Clock) -> Context {
        parent.derive(
            Kind::Clock,
            parent.0.cancel.clone(),
            parent.0.deadline,
            clock.clone(),
        )
    }

    /// The clock this context's deadlines use.
    ///
    /// ```
    /// assert!(!ithaca_context::Context::background().clock().is_virtual());
    /// ```
    pub fn clock(&self) -> &Clock {
        &self.0.clock
    }

    fn derive(
        &self,
        kind: Kind,
        cancel: Option<Arc<CancelNode>>,
        deadline: Option<Instant>,
        clock: Clock,
    ) -> Context {
        Context(std::sync::Arc::new(Node {
            parent: Some(self.clone()),
            kind,
            cancel,
            deadline,
            clock,
        }))
    }

    /// Makes a cancellable child node and registers it with the parent (cancelling it at once
    /// if the parent is already done, with the parent's error and cause).
    fn cancellable(
        parent: &Context,
        kind: Kind,
        deadline: Option<Instant>,
        lazy: Option<Instant>,
        cause: Option<Cause>,
    ) -> (Context, Arc<CancelNode>) {
        let pnode = parent.0.cancel.clone();
        let node = CancelNode::new(pnode.clone(), lazy, cause);
        if let Some(p) = &pnode {
            let mut st = lock(&p.st);
            match st.err {
                Some(err) => {
                    let cause = st.cause.clone();
                    drop(st);
                    cancel(&node, err, cause, false);
                }
                None => st.children.insert(node.clone()),
            }
        }
        let ctx = parent.derive(kind, Some(node.clone()), deadline, parent.0.clock.clone());
        (ctx, node)
    }

    /// Go's `WithCancel`: a child cancelled by the handle or with its parent.
    ///
    /// Dropping the [`CancelHandle`] cancels the child (call [`CancelHandle::disarm`] to keep
    /// it alive without a handle).
    ///
    /// ```
    /// use ithaca_context::{Context, ContextError};
    /// let (ctx, cancel) = Context::with_cancel(&Context::background());
    /// assert_eq!(ctx.err(), None);
    /// drop(cancel); // the guard cancels
    /// assert_eq!(ctx.err(), Some(ContextError::Canceled));
    /// ```
    pub fn with_cancel(parent: &Context) -> (Context, CancelHandle) {
        let (ctx, node) = Context::cancellable(parent, Kind::Cancel, parent.0.deadline, None, None);
        (ctx, CancelHandle::new(node))
    }

    /// Go's `WithCancelCause`: as [`Context::with_cancel`]; cancel with
    /// [`CancelHandle::cancel_with_cause`] to set the cause.
    ///
    /// ```
    /// use ithaca_context::{Cause, Context, ContextError};
    /// let (ctx, cancel) = Context::with_cancel_cause(&Context::background());
    /// let why: Cause = std::sync::Arc::new(std::io::Error::other("shutdown"));
    /// cancel.cancel_with_cause(why.clone());
    /// assert_eq!(ctx.err(), Some(ContextError::Canceled));
    /// assert!(std::sync::Arc::ptr_eq(&ctx.cause().unwrap(), &why));
    /// ```
    pub fn with_cancel_cause(parent: &Context) -> (Context, CancelHandle) {
        Context::with_cancel(parent)
    }

    /// Go's `WithDeadline`: cancelled with [`ContextError::DeadlineExceeded`] at `deadline`
    /// (on the context's clock), by the handle, or with its parent. If the parent's deadline is
    /// earlier, this is `with_cancel` (the earlier deadline is reported). A deadline already
    /// passed cancels at once.
    ///
    /// ```
    /// use ithaca_context::{Context, ContextError};
    /// let (ctx, _c) = Context::with_deadline(&Context::background(), std::time::Instant::now());
    /// assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
    /// ```
    pub fn with_deadline(parent: &Context, deadline: Instant) -> (Context, CancelHandle) {
        Context::with_deadline_inner(parent, deadline, None)
    }

    /// Go's `WithDeadlineCause`: as [`Context::with_deadline`], reporting `cause` when the
    /// deadline (not a cancel) ends it.
    ///
    /// ```
    /// use ithaca_context::{Cause, Context};
    /// let slow: Cause = std::sync::Arc::new(std::io::Error::other("too slow"));
    /// let (ctx, _c) = Context::with_deadline_cause(&Context::background(), std::time::Instant::now(), slow.clone());
    /// assert!(std::sync::Arc::ptr_eq(&ctx.cause().unwrap(), &slow));
    /// ```
    pub fn with_deadline_cause(
        parent: &Context,
        deadline: Instant,
        cause: Cause,
    ) -> (Context, CancelHandle) {
        Context::with_deadline_inner(parent, deadline, Some(cause))
    }

    /// Go's `WithTimeout`: `with_deadline(parent, now + timeout)` on the context's clock.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ithaca_context::{Context, ContextError};
    /// let (ctx, _c) = Context::with_timeout(&Context::background(), Duration::from_millis(5));
    /// ctx.done().wait_blocking();
    /// assert_eq!(ctx.err(), Some(ContextError::DeadlineExceeded));
    /// ```
    pub fn with_timeout(parent: &Context, timeout: Duration) -> (Context, CancelHandle) {
        let d = parent.0.clock.now() + timeout;
        Context::with_deadline_inner(parent, d, None)
    }

    /// Go's `WithTimeoutCause`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ithaca_context::{Cause, Context};
    /// let slow: Cause = std::sync::Arc::new(std::io::Error::other("too slow"));
    /// let (ctx, _c) = Context::with_timeout_cause(&Context::background(), Duration::ZERO, slow.clone());
    /// assert!(std::sync::Arc::ptr_eq(&ctx.cause().unwrap(), &slow));
    /// ```
    pub fn with_timeout_cause(
        parent: &Context,
        timeout: Duration,
        cause: Cause,
    ) -> (Context, CancelHandle) {
        let d = parent.0.clock.now() + timeout;
        Context::with_deadline_inner(parent, d, Some(cause))
    }

    fn with_deadline_inner(
        parent: &Context,
        deadline: Instant,
        cause: Option<Cause>,
    ) -> (Context, CancelHandle) {
        if parent.0.deadline.is_some_and(|pd| pd <= deadline) {
            // The current deadline is already sooner.
            return Context::with_cancel(parent);
        }
        let clock = parent.0.clock.clone();
        let lazy = (!clock.is_virtual()).then_some(deadline);
        let (ctx, node) = Context::cancellable(
            parent,
            Kind::Deadline(deadline),
            Some(deadline),
            lazy,
            cause,
        );
        if clock.now() >= deadline {
            CancelNode::fire_deadline(&node);
        } else {
            let n2 = node.clone();
            let timer = clock.call_at(deadline, move || CancelNode::fire_deadline(&n2));
            let mut st = lock(&node.st);
            if st.err.is_none() {
                st.timer = Some(timer);
            } else {
                drop(st);
                timer.stop();
            }
        }
        (ctx, CancelHandle::new(node))
    }

    /// Go's `WithValue`: a child carrying `value` under `key`. Lookups walk up the chain and
    /// the nearest binding wins.
    ///
    /// ```
    /// use ithaca_context::{Context, Key};
    /// let k: Key<i32> = Key::new("k");
    /// let a = Context::with_value(&Context::background(), &k, 1);
    /// let b = Context::with_value(&a, &k, 2);
    /// assert_eq!((a.value(&k), b.value(&k)), (Some(&1), Some(&2)));
    /// ```
    pub fn with_value<T: Send + Sync + 'static>(
        parent: &Context,
        key: &Key<T>,
        value: T,
    ) -> Context {
        parent.derive(
            Kind::Value {
                key: key.id(),
                name: key.name,
                value: std::sync::Arc::new(value),
            },
            parent.0.cancel.clone(),
            parent.0.deadline,
            parent.0.clock.clone(),
        )
    }

    /// Go's `WithoutCancel`: keeps the parent's values, but is never cancelled and has no
    /// deadline, error or cause.
    ///
    /// ```
    /// use ithaca_context::{Context, Key};
    /// let k: Key<u8> = Key::new("k");
    /// let (p, c) = Context::with_cancel(&Context::with_value(&Context::background(), &k, 7));
    /// c.cancel();
    /// let w = Context::without_cancel(&p);
    /// assert_eq!((w.err(), w.value(&k)), (None, Some(&7)));
    /// ```
    pub fn without_cancel(parent: &Context) -> Context {
        parent.derive(Kind::WithoutCancel, None, None, parent.0.clock.clone())
    }

    /// Go's `AfterFunc(ctx, f)`: runs `f` on its own thread once this context is done (at once
    /// if it already is). The returned [`AfterFuncStop::stop`] prevents the call if it has not
    /// started; neither `stop` nor the cancel waits for `f`.
    ///
    /// ```
    /// use ithaca_context::Context;
    /// let (ctx, cancel) = Context::with_cancel(&Context::background());
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let stop = Context::after_func(&ctx, move || tx.send("done").unwrap());
    /// cancel.cancel();
    /// assert_eq!(rx.recv().unwrap(), "done");
    /// assert!(!stop.stop()); // it already ran
    /// ```
    pub fn after_func(ctx: &Context, f: impl FnOnce() + Send + 'static) -> AfterFuncStop {
        let id = NEXT_ID.fetch_add(1, StdOrdering::Relaxed);
        let Some(node) = ctx.0.cancel.clone() else {
            // Never done: f never runs.
            return AfterFuncStop {
                node: None,
                id,
                stopped: AtomicBool::new(false),
            };
        };
        if CancelNode::is_done(&node) {
            spawn_callback(Box::new(f));
        } else {
            let mut st = lock(&node.st);
            if st.err.is_some() {
                drop(st);
                spawn_callback(Box::new(f));
            } else {
                st.funcs.push((id, Box::new(f)));
            }
        }
        AfterFuncStop {
            node: Some(node),
            id,
            stopped: AtomicBool::new(false),
        }
    }

    /// Go's `Err()`: `None` until done, then why.
    ///
    /// ```
    /// use ithaca_context::{Context, ContextError};
    /// let (ctx, c) = Context::with_cancel(&Context::background());
    /// c.cancel();
    /// assert_eq!(ctx.err(), Some(ContextError::Canceled));
    /// ```
    pub fn err(&self) -> Option<ContextError> {
        let node = self.0.cancel.as_ref()?;
        if !CancelNode::is_done(node) {
            return None;
        }
        lock(&node.st).err
    }

    /// Go's `context.Cause(ctx)`: `None` until done; then the cause of the first cancellation
    /// of this context or an ancestor, or the error itself if none was given.
    ///
    /// ```
    /// use ithaca_context::{Context, ContextError};
    /// let (ctx, c) = Context::with_cancel(&Context::background());
    /// assert!(ctx.cause().is_none());
    /// c.cancel();
    /// assert!(ContextError::Canceled.is(&ctx.cause().unwrap()));
    /// ```
    pub fn cause(&self) -> Option<Cause> {
        let node = self.0.cancel.as_ref()?;
        if !CancelNode::is_done(node) {
            return None;
        }
        lock(&node.st).cause.clone()
    }

    /// Go's `Deadline()`: the earliest deadline along the chain, if any.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ithaca_context::Context;
    /// let d = Instant::now() + Duration::from_secs(60);
    /// let (ctx, _c) = Context::with_deadline(&Context::background(), d);
    /// assert_eq!(ctx.deadline(), Some(d));
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.0.deadline
    }

    /// Go's `Value(key)`: the nearest value bound to `key` along the chain.
    ///
    /// ```
    /// use ithaca_context::{Context, Key};
    /// let k: Key<&'static str> = Key::new("k");
    /// assert_eq!(Context::background().value(&k), None);
    /// ```
    pub fn value<T: Send + Sync + 'static>(&self, key: &Key<T>) -> Option<&T> {
        let id = key.id();
        let mut cur = self;
        loop {
            if let Kind::Value { key, value, .. } = &cur.0.kind {
                if *key == id {
                    return value.downcast_ref::<T>();
                }
            }
            cur = cur.0.parent.as_ref()?;
        }
    }

    /// Whether the context is done (`err().is_some()`), without blocking.
    ///
    /// ```
    /// assert!(!ithaca_context::Context::background().is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        self.0.cancel.as_ref().is_some_and(CancelNode::is_done)
    }

    /// Go's `Done()`: an [`Arm`] that becomes ready once the context is done — usable in any
    /// `ithaca_core::Select` (threads and tasks), awaitable, and with a blocking
    /// [`Done::wait_blocking`]. For contexts that can never be cancelled it never becomes ready (Go's
    /// nil channel).
    ///
    /// ```
    /// use ithaca_core::Select;
    /// use ithaca_context::Context;
    /// let (ctx, cancel) = Context::with_cancel(&Context::background());
    /// let mut done = ctx.done();
    /// assert_eq!(Select::new(&mut [&mut done]).default().wait(), None);
    /// cancel.cancel();
    /// assert_eq!(Select::new(&mut [&mut done]).default().wait(), Some(0));
    /// ```
    #[track_caller]
    pub fn done(&self) -> Done {
        Done {
            ctx: self.0.cancel.as_ref().map(|_| self.clone()),
            wait: ArmWait::new(),
            location: Location::caller(),
        }
    }

    /// Number of live children registered with this context's own cancel node (a leak check,
    /// Go's `XTestCancelRemoves`); 0 for contexts that are not cancellable themselves.
    ///
    /// ```
    /// use ithaca_context::Context;
    /// let (p, _pc) = Context::with_cancel(&Context::background());
    /// let (c, cc) = Context::with_cancel(&p);
    /// assert_eq!(p.child_count(), 1);
    /// cc.cancel();
    /// assert_eq!(p.child_count(), 0);
    /// # drop(c);
    /// ```
    pub fn child_count(&self) -> usize {
        match (&self.0.kind, &self.0.cancel) {
            (Kind::Cancel | Kind::Deadline(_), Some(n)) => lock(&n.st).children.len,
            _ => 0,
        }
    }

    fn node(&self) -> Option<&Arc<CancelNode>> {
        self.0.cancel.as_ref()
    }
}

/// Cancels its context: Go's `CancelFunc`/`CancelCauseFunc`, as a guard that cancels on drop.
///
/// ```
/// use ithaca_context::{Context, ContextError};
/// let (ctx, cancel) = Context::with_cancel(&Context::background());
/// cancel.cancel();
/// cancel.cancel(); // idempotent
/// assert_eq!(ctx.err(), Some(ContextError::Canceled));
/// ```
pub struct CancelHandle {
    node: Option<Arc<CancelNode>>,
}

impl fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelHandle")
            .field("armed", &self.node.is_some())
            .finish()
    }
}

impl CancelHandle {
    fn new(node: Arc<CancelNode>) -> Self {
        CancelHandle { node: Some(node) }
    }

    /// Cancels the context (and its descendants) with [`ContextError::Canceled`]. Idempotent;
    /// does not wait for anything.
    ///
    /// ```
    /// let (ctx, c) = ithaca_context::Context::with_cancel(&ithaca_context::Context::background());
    /// c.cancel();
    /// assert!(ctx.is_done());
    /// ```
    pub fn cancel(&self) {
        if let Some(n) = &self.node {
            cancel(n, ContextError::Canceled, None, true);
        }
    }

    /// Cancels with a cause (Go's `CancelCauseFunc(err)`); if the context was already done,
    /// the first cause stays.
    ///
    /// ```
    /// use ithaca_context::{Cause, Context};
    /// let (ctx, c) = Context::with_cancel_cause(&Context::background());
    /// let e: Cause = std::sync::Arc::new(std::fmt::Error);
    /// c.cancel_with_cause(e.clone());
    /// assert!(std::sync::Arc::ptr_eq(&ctx.cause().unwrap(), &e));
    /// ```
    pub fn cancel_with_cause(&self, cause: Cause) {
        if let Some(n) = &self.node {
            cancel(n, ContextError::Canceled, Some(cause), true);
        }
    }

    /// Gives up the guard without cancelling: the context then ends only with its parent or
    /// its deadline (Go's behaviour when a `CancelFunc` is never called).
    ///
    /// ```
    /// let (ctx, c) = ithaca_context::Context::with_cancel(&ithaca_context::Context::background());
    /// c.disarm();
    /// assert!(!ctx.is_done());
    /// ```
    pub fn disarm(mut self) {
        self.node = None;
    }
}

impl Drop for CancelHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// Stops an `after_func` registration (Go's `stop func() bool`).
///
/// ```
/// use ithaca_context::Context;
/// let (ctx, _c) = Context::with_cancel(&Context::background());
/// let stop = Context::after_func(&ctx, || unreachable!());
/// assert!(stop.stop());
/// assert!(!stop.stop());
/// ```
pub struct AfterFuncStop {
    node: Option<Arc<CancelNode>>,
    id: u64,
    stopped: AtomicBool,
}

impl fmt::Debug for AfterFuncStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AfterFuncStop").finish_non_exhaustive()
    }
}

impl AfterFuncStop {
    /// Prevents the call if it has not started. Returns `true` iff this call prevented it;
    /// later calls return `false`. Does not wait for a running `f`.
    ///
    /// ```
    /// let stop = ithaca_context::Context::after_func(&ithaca_context::Context::background(), || {});
    /// assert!(stop.stop()); // background is never done: f was never going to run
    /// ```
    pub fn stop(&self) -> bool {
        match &self.node {
            None => !self.stopped.swap(true, Ordering::AcqRel),
            Some(n) => {
                let mut st = lock(&n.st);
                match st.funcs.iter().position(|(id, _)| *id == self.id) {
                    Some(i) => {
                        let f = st.funcs.swap_remove(i);
                        drop(st);
                        drop(f);
                        true
                    }
                    None => false,
                }
            }
        }
    }
}

/// The result of [`Context::done`]: an [`Arm`] ready once the context is done, a `Future`
/// (output `()`), and a blocking [`Done::wait_blocking`].
///
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let (ctx, c) = ithaca_context::Context::with_cancel(&ithaca_context::Context::background());
/// c.cancel();
/// ctx.done().await;
/// # });
/// ```
pub struct Done {
    ctx: Option<Context>,
    wait: ArmWait,
    location: &'static Location<'static>,
}

impl fmt::Debug for Done {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Done")
            .field("done", &self.is_done())
            .finish_non_exhaustive()
    }
}

impl Done {
    /// Whether the context is done.
    ///
    /// ```
    /// assert!(!ithaca_context::Context::background().done().is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        self.ctx.as_ref().is_some_and(|c| c.is_done())
    }

    /// Blocks until the context is done (forever for a context that cannot be cancelled).
    ///
    /// # Blocking
    ///
    /// Parks the calling thread; reported as `"chan receive"` at the caller of `done()`.
    ///
    /// ```
    /// let (ctx, c) = ithaca_context::Context::with_cancel(&ithaca_context::Context::background());
    /// std::thread::spawn(move || c.cancel());
    /// ctx.done().wait_blocking();
    /// ```
    #[track_caller]
    pub fn wait_blocking(mut self) {
        Select::new(&mut [&mut self]).wait();
    }
}

impl Arm for Done {
    fn try_complete(&mut self) -> bool {
        self.is_done()
    }

    fn register(&mut self, waiter: &Arc<Waiter>, index: usize) -> Registration {
        let Some(node) = self.ctx.as_ref().and_then(|c| c.node()) else {
            return Registration::Registered;
        };
        if CancelNode::is_done(node) {
            return Registration::Ready;
        }
        let mut st = lock(&node.st);
        if st.err.is_some() {
            return Registration::Ready;
        }
        st.waiters.push((waiter.clone(), index));
        Registration::Registered
    }

    fn unregister(&mut self, waiter: &Arc<Waiter>, _outcome: Outcome) {
        let Some(node) = self.ctx.as_ref().and_then(|c| c.node()) else {
            return;
        };
        let mut st = lock(&node.st);
        if let Some(pos) = st.waiters.iter().position(|(w, _)| Arc::ptr_eq(w, waiter)) {
            st.waiters.swap_remove(pos);
        }
    }

    fn deadline(&self) -> Option<Instant> {
        // The lazy real-clock deadline: lets a select notice an expired deadline even before
        // the timer thread fires it.
        self.ctx.as_ref()?.node()?.lazy_deadline
    }

    fn wait_reason(&self) -> &'static str {
        if self.ctx.is_none() {
            "chan receive (nil chan)"
        } else {
            "chan receive"
        }
    }

    fn is_durable(&self) -> bool {
        self.ctx.as_ref().is_some_and(|c| c.deadline().is_none())
    }
}

impl Future for Done {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let location = this.location;
        let mut wait = std::mem::take(&mut this.wait);
        let r = wait.poll(this, cx, location);
        this.wait = wait;
        r
    }
}

impl Drop for Done {
    fn drop(&mut self) {
        let mut wait = std::mem::take(&mut self.wait);
        wait.cancel(self);
    }
}
