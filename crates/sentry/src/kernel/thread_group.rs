//! Thread groups: what Linux calls a process.

use super::limits::Limits;
use super::signal::{ExitStatus, SigHand};
use super::sigstate::SigState;
use super::task::TaskShared;
use super::waiter::WaitQueue;
use crate::vfs::Path;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Weak};

/// A state change of a child that wait(2) can report besides its exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitEvent {
    Stopped(i32),
    Continued,
}

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
    /// Signal state: pending signals, masks, group stop (Linux's siglock).
    pub sig: Mutex<SigState>,
    /// Child processes, including zombies not yet reaped.
    pub children: Mutex<Vec<Arc<ThreadGroup>>>,
    /// Parents blocked in wait(2) on this group's children wait here.
    pub child_wq: WaitQueue,
    /// pidfds wait here: notified when a task of the group exits and when
    /// the group is reaped.
    pub exit_wq: WaitQueue,
    /// Signal sent to the parent when this group exits (SIGCHLD normally; 0 = none).
    pub exit_signal: AtomicI32,
    pub pgid: AtomicI32,
    pub sid: AtomicI32,
    /// A stop or continue the parent has not collected with wait yet.
    pub wait_event: Mutex<Option<WaitEvent>>,
    /// PR_SET_CHILD_SUBREAPER.
    pub subreaper: AtomicBool,
    /// Reaped: its pid can be reused.
    pub reaped: AtomicBool,
    /// CPU time of reaped children and their own reaped children, in
    /// nanoseconds (user, system), for times/getrusage/wait4.
    pub child_times: Mutex<(u64, u64)>,
    /// CPU time of the process's own address space when its tasks exited,
    /// in nanoseconds (user, system): what its parent collects by reaping it.
    pub exit_times: Mutex<(u64, u64)>,
    /// What /proc shows of the process's memory, files and credentials.
    pub proc_view: Mutex<Option<super::proc_view::ProcView>>,
    /// setitimer/alarm timers.
    pub itimers: super::itimer::ITimers,
    /// timer_create timers (deleted at exec and exit).
    pub posix_timers: super::posix_timer::PosixTimers,
}

impl std::fmt::Debug for ThreadGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ThreadGroup({})", self.tgid)
    }
}

impl ThreadGroup {
    pub fn new(
        tgid: i32,
        sighand: Arc<SigHand>,
        limits: Limits,
        parent: Weak<ThreadGroup>,
    ) -> Arc<ThreadGroup> {
        let (pgid, sid) = match parent.upgrade() {
            Some(p) => (
                p.pgid.load(Ordering::Relaxed),
                p.sid.load(Ordering::Relaxed),
            ),
            None => (tgid, tgid),
        };
        Arc::new(ThreadGroup {
            tgid,
            sighand: Mutex::new(sighand),
            limits: Mutex::new(limits),
            exe: Mutex::new(None),
            parent: Mutex::new(parent),
            tasks: Mutex::new(Vec::new()),
            group_exit: Mutex::new(None),
            exit_status: Mutex::new(None),
            sig: Mutex::new(SigState::default()),
            children: Mutex::new(Vec::new()),
            child_wq: WaitQueue::new(),
            exit_wq: WaitQueue::new(),
            exit_signal: AtomicI32::new(abi::signal::SIGCHLD),
            pgid: AtomicI32::new(pgid),
            sid: AtomicI32::new(sid),
            wait_event: Mutex::new(None),
            subreaper: AtomicBool::new(false),
            reaped: AtomicBool::new(false),
            child_times: Mutex::new((0, 0)),
            exit_times: Mutex::new((0, 0)),
            proc_view: Mutex::new(None),
            itimers: Default::default(),
            posix_timers: Default::default(),
        })
    }

    pub fn parent(&self) -> Option<Arc<ThreadGroup>> {
        self.parent.lock().upgrade()
    }

    pub fn pgid(&self) -> i32 {
        self.pgid.load(Ordering::Relaxed)
    }

    pub fn sid(&self) -> i32 {
        self.sid.load(Ordering::Relaxed)
    }

    pub fn is_zombie(&self) -> bool {
        self.exit_status.lock().is_some()
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
