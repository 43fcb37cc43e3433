//! The OS threads the deadlock detector can account for.
//!
//! The detector may only report a deadlock when it knows that no thread outside its view can
//! still wake a goroutine. It therefore lists every thread of the process (Linux:
//! `/proc/self/task`) and requires each one to be *accounted*: a worker or blocking-pool
//! thread of an ithaca runtime, one of ithaca's own service threads (the detector, the
//! SIGQUIT dump thread, `ithaca-core`'s timer thread), a thread parked in `block_on` waiting
//! for a root goroutine, or — once a test harness was declared — the process's main thread
//! (libtest's, which only collects results). Any other thread (a plain `std::thread`, a
//! foreign runtime's worker, an `after_func` callback thread) might hold a channel handle, so
//! its mere existence keeps the detector silent.
//!
//! # Invariants
//!
//! * A thread is in `KNOWN` from its own `register_current` until its own
//!   `unregister_current` (called on the thread itself, so the ids are exact).
//! * On other systems than Linux threads cannot be listed: [`all_accounted`] is always
//!   `false`, so the detector never reports there.

use std::sync::Mutex;

use crate::sync::lock;

static KNOWN: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// The calling thread's OS id (Linux `gettid`; 0 elsewhere).
#[cfg(target_os = "linux")]
pub(crate) fn tid() -> i32 {
    // SAFETY: SYS_gettid takes no arguments, has no preconditions and cannot fail.
    let t = unsafe { libc::syscall(libc::SYS_gettid) };
    t as i32
}

/// The calling thread's OS id (Linux `gettid`; 0 elsewhere).
#[cfg(not(target_os = "linux"))]
pub(crate) fn tid() -> i32 {
    0
}

/// Accounts the calling thread as one of ithaca's (runtime or service thread).
pub(crate) fn register_current() {
    lock(&KNOWN).push(tid());
}

/// Undoes [`register_current`] for the calling thread.
pub(crate) fn unregister_current() {
    let t = tid();
    let mut k = lock(&KNOWN);
    if let Some(i) = k.iter().position(|&x| x == t) {
        k.swap_remove(i);
    }
}

/// Whether every thread of the process is accounted for (see the module doc); `extra` are the
/// threads parked waiting for root goroutines; `harness_main` also accepts the main thread.
#[cfg(target_os = "linux")]
pub(crate) fn all_accounted(extra: &[i32], harness_main: bool) -> bool {
    let known = lock(&KNOWN).clone();
    let pid = std::process::id() as i32;
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return false;
    };
    for e in dir {
        let Ok(e) = e else { return false };
        let Some(t) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            return false;
        };
        if known.contains(&t) || extra.contains(&t) || (harness_main && t == pid) {
            continue;
        }
        match std::fs::read_to_string(format!("/proc/self/task/{t}/comm")) {
            Ok(c) if c.trim_end() == "ithaca-timer" => continue,
            _ => return false,
        }
    }
    true
}

/// Threads cannot be listed here: never accounted (the detector stays silent).
#[cfg(not(target_os = "linux"))]
pub(crate) fn all_accounted(_extra: &[i32], _harness_main: bool) -> bool {
    false
}
