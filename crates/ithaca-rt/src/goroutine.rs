//! [`Goroutine`]: the builder for a named goroutine.

use std::future::Future;
use std::panic::Location;

use crate::join::JoinHandle;
use crate::runtime::{self, Handle};

/// Configures a goroutine before spawning it (today: its name, shown in
/// [`runtime::snapshot`], in panic reports and in [`JoinError`](crate::JoinError)).
///
/// ```
/// let h = ithaca_rt::Goroutine::new().name("worker-1").spawn(async { 1 });
/// assert_eq!(h.name(), Some("worker-1"));
/// assert_eq!(h.join().unwrap(), 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Goroutine {
    name: Option<String>,
}

impl Goroutine {
    /// An unnamed goroutine.
    ///
    /// ```
    /// assert_eq!(ithaca_rt::Goroutine::new().spawn(async { 1 }).name(), None);
    /// ```
    pub fn new() -> Self {
        Goroutine { name: None }
    }

    /// Names the goroutine.
    ///
    /// ```
    /// let h = ithaca_rt::Goroutine::new().name(format!("worker-{}", 2)).spawn(async {});
    /// assert_eq!(h.name(), Some("worker-2"));
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    fn take_name(self) -> Option<Box<str>> {
        self.name.map(String::into_boxed_str)
    }

    /// Spawns the goroutine on the current runtime (see [`spawn`](crate::spawn)).
    ///
    /// ```
    /// let h = ithaca_rt::Goroutine::new().name("n").spawn(async { 2 });
    /// assert_eq!(h.join().unwrap(), 2);
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let location = Location::caller();
        let name = self.take_name();
        runtime::with_current(|h| h.spawn_inner(name, location, fut))
    }

    /// Spawns the goroutine on the runtime behind `handle`.
    ///
    /// ```
    /// let rt = ithaca_rt::runtime::Runtime::new().unwrap();
    /// let h = ithaca_rt::Goroutine::new().name("n").spawn_on(rt.handle(), async { 3 });
    /// assert_eq!(h.join().unwrap(), 3);
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(self, handle: &Handle, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        handle.spawn_inner(self.take_name(), Location::caller(), fut)
    }

    /// Runs blocking code as the goroutine (see [`spawn_blocking`](crate::spawn_blocking)).
    ///
    /// ```
    /// let h = ithaca_rt::Goroutine::new().name("io").spawn_blocking(|| 4);
    /// assert_eq!(h.join().unwrap(), 4);
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let location = Location::caller();
        let name = self.take_name();
        runtime::with_current(|h| h.spawn_blocking_inner(name, location, f))
    }

    /// Runs `fut` as this (root) goroutine and blocks until it finishes (see
    /// [`block_on`](crate::block_on)).
    ///
    /// # Blocking
    ///
    /// Parks the calling thread until the goroutine finishes.
    ///
    /// # Panics
    ///
    /// If called from inside an async goroutine; re-raises the goroutine's panic.
    ///
    /// ```
    /// let v = ithaca_rt::Goroutine::new().name("main").block_on(async { 5 });
    /// assert_eq!(v, 5);
    /// ```
    #[track_caller]
    pub fn block_on<F>(self, fut: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let location = Location::caller();
        let name = self.take_name();
        runtime::with_current(Handle::clone).block_on_inner(name, location, fut)
    }
}
