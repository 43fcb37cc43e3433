//! `golang.org/x/sync/singleflight`: duplicate-call suppression. Concurrent calls with the
//! same key share one execution and its result.
//!
//! This module owns [`Group`].
//!
//! # Invariants
//!
//! * The map holds, per key, the call in flight; a call is removed from it exactly once, by
//!   its own executor (only if it is still the entry: [`Group::forget`] may have replaced
//!   it) or by `forget`. Duplicates join the call under the map's lock, so a duplicate
//!   either joins a call before its removal (and then receives its result) or starts a new
//!   one.
//! * Each execution runs as its own goroutine, so a caller that stops waiting (its future is
//!   dropped) never stops the others from getting the result.
//! * The result is stored once (`OnceLock`) before the call's `done` channel is closed;
//!   waiters read it after seeing the close (Go's `close(ch)` broadcast).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};

use ithaca_chan::{bounded, Receiver, Sender};

use crate::util::{catch_unwind, lock, panic_message};

/// Number of duplicate callers, and the `call_chan` senders to serve.
type Dups<T> = (usize, Vec<Sender<(T, bool)>>);

struct Call<T> {
    done_tx: Sender<()>,
    done_rx: Receiver<()>,
    /// `Err(message)` if the function panicked.
    result: OnceLock<Result<T, String>>,
    /// Duplicates (callers beyond the first) and `call_chan` receivers; under the map lock.
    dups: Mutex<Dups<T>>,
}

struct Inner<K, T> {
    calls: Mutex<HashMap<K, Arc<Call<T>>>>,
}

/// Go's `singleflight.Group`: `call` is Go's `Do` (`do` is a Rust keyword), `call_chan` is
/// `DoChan`, `forget` is `Forget`. A cheap `Clone` handle.
///
/// | Go | ithaca |
/// |---|---|
/// | `v, err, shared := g.Do(key, fn)` | `let (r, shared) = g.call(key, fut).await;` (`r` is the future's output, often a `Result`) |
/// | `ch := g.DoChan(key, fn)` | `let rx = g.call_chan(key, fut);` (an ithaca channel: usable in `select!`) |
/// | `g.Forget(key)` | `g.forget(&key)` |
///
/// The output must be `Clone`: every waiter gets a copy (use an `Arc` for large values).
/// A panic in the shared call re-panics in every `call` waiter; a `call_chan` receiver then
/// sees its channel closed without a value (Go crashes the process instead).
///
/// ```
/// use ithaca_patterns::singleflight::Group;
/// # ithaca_rt::block_on(async {
/// let g = Group::new();
/// let (v, shared) = g.call("user:1", async { Ok::<_, String>("alice".to_string()) }).await;
/// assert_eq!(v, Ok("alice".to_string()));
/// assert!(!shared); // nobody else asked at the same time
/// # });
/// ```
pub struct Group<K, T> {
    inner: Arc<Inner<K, T>>,
}

impl<K, T> Clone for Group<K, T> {
    fn clone(&self) -> Self {
        Group {
            inner: self.inner.clone(),
        }
    }
}

impl<K, T> fmt::Debug for Group<K, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("in_flight", &lock(&self.inner.calls).len())
            .finish()
    }
}

impl<K, T> Default for Group<K, T>
where
    K: Eq + Hash + Clone + Send + 'static,
    T: Clone + Send + Sync + 'static,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<K, T> Group<K, T>
where
    K: Eq + Hash + Clone + Send + 'static,
    T: Clone + Send + Sync + 'static,
{
    /// An empty group.
    ///
    /// ```
    /// let g = ithaca_patterns::singleflight::Group::<String, u32>::new();
    /// assert_eq!(g.in_flight(), 0);
    /// ```
    pub fn new() -> Self {
        Group {
            inner: Arc::new(Inner {
                calls: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Calls in flight right now.
    ///
    /// ```
    /// let g = ithaca_patterns::singleflight::Group::<u8, u8>::new();
    /// assert_eq!(g.in_flight(), 0);
    /// ```
    pub fn in_flight(&self) -> usize {
        lock(&self.inner.calls).len()
    }

    /// Joins the call in flight for `key`, or starts `fut` as that call (`fut` is dropped
    /// unrun when joining). Returns the new call if one was started.
    #[track_caller]
    fn join<F>(&self, key: K, fut: F, chan: Option<Sender<(T, bool)>>) -> Arc<Call<T>>
    where
        F: Future<Output = T> + Send + 'static,
    {
        let mut calls = lock(&self.inner.calls);
        if let Some(c) = calls.get(&key) {
            let c = c.clone();
            let mut d = lock(&c.dups);
            d.0 += 1;
            if let Some(ch) = chan {
                d.1.push(ch);
            }
            drop(d);
            return c;
        }
        let (done_tx, done_rx) = bounded(0);
        let call = Arc::new(Call {
            done_tx,
            done_rx,
            result: OnceLock::new(),
            dups: Mutex::new((0, chan.into_iter().collect())),
        });
        calls.insert(key.clone(), call.clone());
        drop(calls);
        let (inner, c) = (self.inner.clone(), call.clone());
        ithaca_rt::spawn(async move {
            let r = catch_unwind(fut).await.map_err(|p| panic_message(&p));
            let (dups, chans) = {
                let mut calls = lock(&inner.calls);
                if calls.get(&key).is_some_and(|cur| Arc::ptr_eq(cur, &c)) {
                    calls.remove(&key);
                }
                let mut d = lock(&c.dups);
                (d.0, std::mem::take(&mut d.1))
            };
            let shared = dups > 0;
            for ch in chans {
                if let Ok(v) = &r {
                    let _ = ch.try_send((v.clone(), shared));
                }
            }
            let _ = c.result.set(r);
            c.done_tx.close();
        });
        call
    }

    fn outcome(call: &Call<T>) -> (T, bool) {
        let shared = lock(&call.dups).0 > 0;
        match call
            .result
            .get()
            .expect("singleflight: result set before close")
        {
            Ok(v) => (v.clone(), shared),
            Err(msg) => panic!("singleflight: the shared call panicked: {msg}"),
        }
    }

    /// Go's `Do`: runs `fut` as the call for `key` unless one is in flight, in which case
    /// `fut` is dropped unrun and this waits for that call's result. Returns the result and
    /// whether it was given to more than one caller.
    ///
    /// The call runs in its own goroutine, so it completes (for the others) even if this
    /// future is dropped.
    ///
    /// # Panics
    ///
    /// If the shared call panicked (in every caller), with
    /// `singleflight: the shared call panicked: message`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future only stops this caller's wait.
    ///
    /// ```
    /// use ithaca_patterns::singleflight::Group;
    /// # ithaca_rt::block_on(async {
    /// let g = Group::new();
    /// let (v, _shared) = g.call(1, async { Err::<u32, String>("not found".into()) }).await;
    /// assert_eq!(v, Err("not found".to_string()));
    /// # });
    /// ```
    #[track_caller]
    pub fn call<F>(&self, key: K, fut: F) -> impl Future<Output = (T, bool)> + Send + 'static
    where
        F: Future<Output = T> + Send + 'static,
    {
        let call = self.join(key, fut, None);
        async move {
            call.done_rx.recv().await;
            Self::outcome(&call)
        }
    }

    /// [`call`](Group::call) for a plain thread.
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until the shared call finishes.
    ///
    /// # Panics
    ///
    /// As [`call`](Group::call).
    ///
    /// ```
    /// let g = ithaca_patterns::singleflight::Group::new();
    /// let (v, shared) = g.call_blocking("k", async { 7 });
    /// assert_eq!((v, shared), (7, false));
    /// ```
    #[track_caller]
    pub fn call_blocking<F>(&self, key: K, fut: F) -> (T, bool)
    where
        F: Future<Output = T> + Send + 'static,
    {
        let call = self.join(key, fut, None);
        call.done_rx.recv_blocking();
        Self::outcome(&call)
    }

    /// Go's `DoChan`: as [`call`](Group::call), but returns at once with a channel that
    /// receives `(result, shared)` once, then reports closed. If the call panics, the
    /// channel is closed without a value.
    ///
    /// ```
    /// use ithaca_patterns::singleflight::Group;
    /// # ithaca_rt::block_on(async {
    /// let g = Group::new();
    /// let rx = g.call_chan("k", async { "v" });
    /// ithaca_chan::select! {
    ///     recv(&rx) -> r => assert_eq!(r, Some(("v", false))),
    /// }
    /// # });
    /// ```
    #[track_caller]
    pub fn call_chan<F>(&self, key: K, fut: F) -> Receiver<(T, bool)>
    where
        F: Future<Output = T> + Send + 'static,
    {
        let (tx, rx) = bounded(1);
        self.join(key, fut, Some(tx));
        rx
    }

    /// Go's `Forget`: the next call for `key` starts a new execution even if one is in
    /// flight (whose callers still get its result).
    ///
    /// ```
    /// let g = ithaca_patterns::singleflight::Group::<&str, u8>::new();
    /// g.forget(&"nothing"); // no-op
    /// ```
    pub fn forget(&self, key: &K) {
        lock(&self.inner.calls).remove(key);
    }
}
