//! The signal state of a thread group, under one lock (Linux's siglock):
//! process-wide pending signals, each task's mask and pending signals, and
//! the group's stop state.

use super::sigqueue::SigQueue;
use abi::signal::SigSet;
use std::collections::HashMap;

#[derive(Clone, Debug, Default)]
pub struct TaskSig {
    pub mask: SigSet,
    pub pending: SigQueue,
    /// The mask to restore after rt_sigsuspend/pselect/ppoll return to user.
    pub saved_mask: Option<SigSet>,
}

/// Job-control state of a thread group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GroupStop {
    #[default]
    Running,
    /// Stopped by this signal.
    Stopped(i32),
}

#[derive(Debug, Default)]
pub struct SigState {
    pub shared: SigQueue,
    pub tasks: HashMap<i32, TaskSig>,
    pub stop: GroupStop,
}

impl SigState {
    pub fn task(&self, tid: i32) -> TaskSig {
        self.tasks.get(&tid).cloned().unwrap_or_default()
    }

    pub fn task_mut(&mut self, tid: i32) -> &mut TaskSig {
        self.tasks.entry(tid).or_default()
    }

    /// Whether task `tid` has a signal it does not block (its own or the group's).
    pub fn deliverable(&self, tid: i32) -> bool {
        let t = self.tasks.get(&tid);
        let mask = t.map(|t| t.mask).unwrap_or_default();
        t.is_some_and(|t| t.pending.next(mask).is_some()) || self.shared.next(mask).is_some()
    }

    /// Pending signals of task `tid` (its own and the group's).
    pub fn pending(&self, tid: i32) -> SigSet {
        let own = self.tasks.get(&tid).map(|t| t.pending.set.0).unwrap_or(0);
        SigSet(own | self.shared.set.0)
    }
}
