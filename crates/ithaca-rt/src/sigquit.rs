//! Goroutine dumps on `SIGQUIT` (Ctrl-\ in a terminal, or `kill -QUIT <pid>`), as in Go.
//!
//! Opt-in: [`install_sigquit_dump`] (or [`Builder::dump_on_sigquit`]) installs a `SIGQUIT`
//! handler that prints a [`Dump`] of every goroutine to stderr; the process keeps running
//! (unlike Go, which exits with status 2 after the dump: a library should not decide that; exit
//! from your own handler with [`install_sigquit_handler`] if you want Go's behaviour).
//!
//! How: the signal handler only `write`s one byte to a pipe (async-signal-safe); a service
//! thread (`ithaca-sigquit`) reads the pipe, takes the dump and calls the handler, so the
//! dump itself runs in ordinary thread context. Linux only (elsewhere the install functions
//! return [`io::ErrorKind::Unsupported`]).
//!
//! # Invariants
//!
//! * The pipe and the thread are created once per process; installing again only replaces
//!   the callback.
//! * The signal handler touches nothing but an atomic file descriptor and `write(2)`.
//!
//! [`Builder::dump_on_sigquit`]: crate::runtime::Builder::dump_on_sigquit

use std::io;
use std::sync::{Mutex, OnceLock};

use crate::dump::{dump, Dump};
use crate::sync::lock;

type Callback = Box<dyn Fn(Dump) + Send + 'static>;

static CALLBACK: Mutex<Option<Callback>> = Mutex::new(None);

/// Prints a goroutine dump to stderr whenever the process receives `SIGQUIT`; the process
/// keeps running. Idempotent.
///
/// # Errors
///
/// If the pipe, the thread or the signal handler cannot be set up, or on systems other than
/// Linux ([`io::ErrorKind::Unsupported`]).
///
/// ```
/// ithaca_rt::runtime::install_sigquit_dump().unwrap();
/// // `kill -QUIT <pid>` now prints "SIGQUIT: goroutine dump" and every goroutine to stderr.
/// ```
pub fn install_sigquit_dump() -> io::Result<()> {
    install_sigquit_handler(|d| {
        eprintln!("SIGQUIT: goroutine dump ({} goroutines)\n\n{d}", d.len())
    })
}

/// Calls `f` with a goroutine dump whenever the process receives `SIGQUIT` (from the
/// `ithaca-sigquit` thread, not from the signal handler). Replaces any previous callback.
///
/// # Errors
///
/// As [`install_sigquit_dump`].
///
/// ```
/// ithaca_rt::runtime::install_sigquit_handler(|dump| {
///     let _ = std::fs::write("/tmp/goroutines.json", dump.to_json());
/// })
/// .unwrap();
/// ```
pub fn install_sigquit_handler(f: impl Fn(Dump) + Send + 'static) -> io::Result<()> {
    *lock(&CALLBACK) = Some(Box::new(f));
    setup()
}

#[cfg(not(target_os = "linux"))]
fn setup() -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "ithaca: SIGQUIT dumps are only supported on Linux",
    ))
}

#[cfg(target_os = "linux")]
static WRITE_FD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

#[cfg(target_os = "linux")]
extern "C" fn on_sigquit(_sig: libc::c_int) {
    let fd = WRITE_FD.load(std::sync::atomic::Ordering::Relaxed);
    if fd >= 0 {
        let b = 1u8;
        // SAFETY: `fd` is the write end of our pipe (never closed); the buffer is one valid
        // byte on the stack; write(2) is async-signal-safe. A full pipe (EAGAIN) just drops
        // this request: a dump is already pending.
        let _ = unsafe { libc::write(fd, (&b as *const u8).cast(), 1) };
    }
}

#[cfg(target_os = "linux")]
fn setup() -> io::Result<()> {
    static SETUP: OnceLock<Result<(), (io::ErrorKind, String)>> = OnceLock::new();
    SETUP
        .get_or_init(|| setup_once().map_err(|e| (e.kind(), e.to_string())))
        .clone()
        .map_err(|(k, m)| io::Error::new(k, m))
}

#[cfg(target_os = "linux")]
fn setup_once() -> io::Result<()> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let (rd, wr) = (fds[0], fds[1]);
    // The read end blocks (the service thread waits on it); the write end stays non-blocking
    // so the signal handler never blocks.
    // SAFETY: `rd` is a file descriptor we just created.
    unsafe {
        let flags = libc::fcntl(rd, libc::F_GETFL);
        libc::fcntl(rd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
    }
    WRITE_FD.store(wr, std::sync::atomic::Ordering::Relaxed);
    std::thread::Builder::new()
        .name("ithaca-sigquit".into())
        .spawn(move || {
            crate::threads::register_current();
            let mut buf = [0u8; 64];
            loop {
                // SAFETY: `rd` stays open for the life of the process; `buf` is writable for
                // its length.
                let n = unsafe { libc::read(rd, buf.as_mut_ptr().cast(), buf.len()) };
                if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                if n <= 0 {
                    return;
                }
                let d = dump();
                if let Some(cb) = lock(&CALLBACK).as_ref() {
                    cb(d);
                }
            }
        })?;
    // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value; we then set the
    // handler to a function with the signature the kernel expects for a non-SA_SIGINFO
    // handler, and pass valid pointers to sigaction.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigquit as extern "C" fn(libc::c_int) as usize;
        sa.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut sa.sa_mask);
        if libc::sigaction(libc::SIGQUIT, &sa, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
