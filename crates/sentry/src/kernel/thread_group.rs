//! Thread groups: what Linux calls a process.

use super::limits::Limits;
use super::signal::{ExitStatus, SigHand};
use super::task::TaskShared;
use crate::vfs::Path;
use parking_lot::Mutex;
use std::sync::{Arc, Weak};

pub struct ThreadGroup {
    pub tgid: i32,
    pub sighand: Mutex<Arc<SigHand>>,
    pub limits: Mutex<Limits>,
    /// The executable (for /proc/PID/exe).
    pub exe: Mutex<Option<Path>>,
    pub parent: Mutex<Weak<ThreadGroup>>,
    pub tasks: Mutex<Vec<Arc<TaskShared>>>,
    /// Set once the whole group is exiting (exit_group or a fatal signal).
    pub group_exit: Mutex<Option<ExitStatus>>,
    /// Set when the last task has exited.
    pub exit_status: Mutex<Option<ExitStatus>>,
}

impl std::fmt::Debug for ThreadGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ThreadGroup({})", self.tgid)
    }
}

impl ThreadGroup {
    pub fn new(tgid: i32, sighand: Arc<SigHand>, limits: Limits, parent: Weak<ThreadGroup>) -> Arc<ThreadGroup> {
        Arc::new(ThreadGroup {
            tgid,
            sighand: Mutex::new(sighand),
            limits: Mutex::new(limits),
            exe: Mutex::new(None),
            parent: Mutex::new(parent),
            tasks: Mutex::new(Vec::new()),
            group_exit: Mutex::new(None),
            exit_status: Mutex::new(None),
        })
    }

    pub fn sighand(&self) -> Arc<SigHand> {
        self.sighand.lock().clone()
    }

    pub fn parent_tgid(&self) -> i32 {
        self.parent.lock().upgrade().map(|p| p.tgid).unwrap_or(0)
    }

    /// Begin exiting the whole group with `status`; every task is told to stop.
    /// Returns false if the group was already exiting.
    pub fn start_group_exit(&self, status: ExitStatus) -> bool {
        {
            let mut g = self.group_exit.lock();
            if g.is_some() {
                return false;
            }
            *g = Some(status);
        }
        for t in self.tasks.lock().iter() {
            t.kill();
        }
        true
    }

    pub fn group_exit_status(&self) -> Option<ExitStatus> {
        *self.group_exit.lock()
    }
}
