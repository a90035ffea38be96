//! Wait queues: how a blocked task learns that something it waits for
//! happened. A task registers in the queue, re-checks its condition, then
//! blocks (`Task::block`); whoever changes the state calls `notify`.
//!
//! Besides tasks, a queue can hold [`Waiter`] objects that must hear of
//! every event even while nobody is blocked (an epoll instance's interest
//! entries, which implement edge triggering from these notifications).
//! `notify` calls waiters after dropping the queue's lock, so a waiter may
//! take its own locks; notifiers should not hold their object's lock
//! across `notify` either.

use super::task::TaskShared;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Something a wait queue wakes.
pub trait Waiter: Send + Sync {
    /// `events` are the bits the notifier passed (poll bits for files).
    fn notify_event(&self, events: u64);
}

impl Waiter for TaskShared {
    fn notify_event(&self, _events: u64) {
        self.notify();
    }
}

/// A registration: id, event mask, who to wake.
type Registration = (u64, u64, Weak<dyn Waiter>);

#[derive(Default)]
pub struct WaitQueue {
    waiters: Mutex<Vec<Registration>>,
}

impl std::fmt::Debug for WaitQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WaitQueue({})", self.waiters.lock().len())
    }
}

/// A registration; dropping it leaves the queue.
pub struct WaitEntry<'q> {
    q: &'q WaitQueue,
    id: u64,
}

impl Drop for WaitEntry<'_> {
    fn drop(&mut self) {
        self.q.remove(self.id);
    }
}

/// Event bits for poll-style waits (`mask` of a registration).
pub const EV_ALL: u64 = u64::MAX;

impl WaitQueue {
    pub fn new() -> WaitQueue {
        WaitQueue::default()
    }

    /// Register `t` for events in `mask`.
    pub fn register<'q>(&'q self, t: &Arc<TaskShared>, mask: u64) -> WaitEntry<'q> {
        let w: Weak<dyn Waiter> = Arc::downgrade(t) as Weak<TaskShared>;
        WaitEntry {
            q: self,
            id: self.add(w, mask),
        }
    }

    /// Register a waiter until `remove(id)` (or until it is dropped: a
    /// dead waiter is skipped and pruned). Returns the registration's id.
    pub fn add(&self, w: Weak<dyn Waiter>, mask: u64) -> u64 {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let mut ws = self.waiters.lock();
        // Persistent waiters can outlive their interest; drop the dead ones.
        if ws.len() >= 16 && ws.len().is_power_of_two() {
            ws.retain(|w| w.2.strong_count() > 0);
        }
        ws.push((id, mask, w));
        id
    }

    /// Remove registration `id` (no-op if already gone).
    pub fn remove(&self, id: u64) {
        self.waiters.lock().retain(|w| w.0 != id);
    }

    /// Wake every waiter interested in any of `events`.
    pub fn notify(&self, events: u64) {
        let ws: Vec<Arc<dyn Waiter>> = self
            .waiters
            .lock()
            .iter()
            .filter(|w| w.1 & events != 0)
            .filter_map(|w| w.2.upgrade())
            .collect();
        for w in ws {
            w.notify_event(events);
        }
    }

    /// Wake at most `n` waiters (futex-style); returns how many.
    pub fn notify_n(&self, n: usize) -> usize {
        let ws: Vec<Arc<dyn Waiter>> = self
            .waiters
            .lock()
            .iter()
            .filter_map(|w| w.2.upgrade())
            .take(n)
            .collect();
        let k = ws.len();
        for w in ws {
            w.notify_event(EV_ALL);
        }
        k
    }

    pub fn is_empty(&self) -> bool {
        self.waiters.lock().is_empty()
    }
}
