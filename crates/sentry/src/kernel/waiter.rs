//! Wait queues: how a blocked task learns that something it waits for
//! happened. A task registers in the queue, re-checks its condition, then
//! blocks (`Task::block`); whoever changes the state calls `notify`.

use super::task::TaskShared;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

#[derive(Default)]
pub struct WaitQueue {
    waiters: Mutex<Vec<(u64, u64, Weak<TaskShared>)>>,
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
        self.q.waiters.lock().retain(|w| w.0 != self.id);
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
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        self.waiters.lock().push((id, mask, Arc::downgrade(t)));
        WaitEntry { q: self, id }
    }

    /// Wake every waiter interested in any of `events`.
    pub fn notify(&self, events: u64) {
        let ws: Vec<Arc<TaskShared>> = self
            .waiters
            .lock()
            .iter()
            .filter(|w| w.1 & events != 0)
            .filter_map(|w| w.2.upgrade())
            .collect();
        for t in ws {
            t.notify();
        }
    }

    /// Wake at most `n` waiters (futex-style); returns how many.
    pub fn notify_n(&self, n: usize) -> usize {
        let ws: Vec<Arc<TaskShared>> = self
            .waiters
            .lock()
            .iter()
            .filter_map(|w| w.2.upgrade())
            .take(n)
            .collect();
        let k = ws.len();
        for t in ws {
            t.notify();
        }
        k
    }

    pub fn is_empty(&self) -> bool {
        self.waiters.lock().is_empty()
    }
}
