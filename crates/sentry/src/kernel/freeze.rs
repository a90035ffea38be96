//! Freezing a sandbox (`runsc pause` / `runsc resume`), like the cgroup
//! freezer: while frozen, no task runs application code.
//!
//! Every switch into application code goes through [`Freezer::run`], which
//! parks the task while the sandbox is frozen and counts the tasks inside a
//! switch. [`Freezer::freeze`] raises the flag, then interrupts tasks until
//! none is left inside a switch. Tasks blocked in the Sentry (a sleep, a
//! read) stay blocked; when they are done they park before going back to
//! application code. A killed task is let go so it can exit.
//!
//! The flag and the count are atomics so that the common path (not frozen)
//! takes no lock: a task increments `running` and then looks at `frozen`;
//! `freeze` sets `frozen` and then looks at `running`. Both are SeqCst, so
//! at least one of the two sees the other.
//!
//! May use: kernel (the pid table, to interrupt tasks).

use super::task::TaskShared;
use super::Kernel;
use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How often a parked task looks whether it was killed.
const PARK_RECHECK: Duration = Duration::from_millis(50);

#[derive(Default)]
pub struct Freezer {
    frozen: AtomicBool,
    /// Tasks inside a switch into application code.
    running: AtomicUsize,
    /// Parked tasks wait here for a thaw; `freeze` waits here for `running` to reach 0.
    lock: Mutex<()>,
    cv: Condvar,
}

impl std::fmt::Debug for Freezer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Freezer(frozen={})", self.is_frozen())
    }
}

impl Freezer {
    pub fn is_frozen(&self) -> bool {
        self.frozen.load(Ordering::SeqCst)
    }

    /// Run `switch` (the task's entry into application code) unless the
    /// sandbox is frozen: then wait for a thaw first. Returns None, without
    /// running it, if the task was killed while it waited.
    pub fn run<R>(&self, task: &TaskShared, switch: impl FnOnce() -> R) -> Option<R> {
        loop {
            self.running.fetch_add(1, Ordering::SeqCst);
            if !self.frozen.load(Ordering::SeqCst) {
                break;
            }
            self.leave();
            let mut g = self.lock.lock();
            while self.frozen.load(Ordering::SeqCst) {
                if task.is_killed() {
                    return None;
                }
                self.cv.wait_for(&mut g, PARK_RECHECK);
            }
        }
        let r = switch();
        self.leave();
        Some(r)
    }

    fn leave(&self) {
        if self.running.fetch_sub(1, Ordering::SeqCst) == 1 && self.frozen.load(Ordering::SeqCst) {
            let _g = self.lock.lock();
            self.cv.notify_all();
        }
    }

    /// Stop every task of `k` from running application code; returns once
    /// none does, or false if some task could not be stopped within `limit`.
    pub fn freeze(&self, k: &Kernel, limit: Duration) -> bool {
        self.frozen.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + limit;
        loop {
            if self.running.load(Ordering::SeqCst) == 0 {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            // A task may have entered its switch just before the flag was
            // raised: interrupt whoever runs, again until none does.
            let tasks: Vec<std::sync::Arc<TaskShared>> =
                k.pids.lock().tasks.values().cloned().collect();
            for t in tasks {
                t.wake();
            }
            let mut g = self.lock.lock();
            if self.running.load(Ordering::SeqCst) != 0 {
                self.cv.wait_for(&mut g, Duration::from_millis(10));
            }
        }
    }

    /// Let every parked task go back to application code.
    pub fn thaw(&self) {
        self.frozen.store(false, Ordering::SeqCst);
        let _g = self.lock.lock();
        self.cv.notify_all();
    }
}
