//! Tasks: one application thread, run by one host thread.
//!
//! [`Task`] is owned by its host thread and passed as `&mut` to syscall
//! handlers. [`TaskShared`] is the part other threads may touch: to kill,
//! interrupt or wake the task.

pub mod exec;
pub mod exit;
pub mod paths;
pub mod run;
pub mod sleep;
pub mod syscall;

use super::creds::Creds;
use super::fs_context::FsContext;
use super::thread_group::ThreadGroup;
use super::Kernel;
use crate::mm::Mm;
use crate::vfs::FdTable;
use abi::signal::{SigSet, StackT};
use abi::Regs;
use parking_lot::{Condvar, Mutex};
use platform::{Context, FpState, Interrupter};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The part of a task other threads may touch.
pub struct TaskShared {
    pub tid: i32,
    /// Set when the task must stop running application code and exit.
    killed: AtomicBool,
    interrupter: Mutex<Option<Arc<dyn Interrupter>>>,
    /// Sleeping tasks wait here; `wake` notifies.
    sleep_lock: Mutex<bool>,
    sleep_cv: Condvar,
    pub comm: Mutex<Vec<u8>>,
}

impl std::fmt::Debug for TaskShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TaskShared({})", self.tid)
    }
}

impl TaskShared {
    pub fn new(tid: i32, comm: Vec<u8>) -> Arc<TaskShared> {
        Arc::new(TaskShared {
            tid,
            killed: AtomicBool::new(false),
            interrupter: Mutex::new(None),
            sleep_lock: Mutex::new(false),
            sleep_cv: Condvar::new(),
            comm: Mutex::new(comm),
        })
    }

    /// Make the task exit as soon as possible.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        self.wake();
    }

    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    /// Interrupt whatever the task is doing: running application code or sleeping.
    pub fn wake(&self) {
        if let Some(i) = self.interrupter.lock().as_ref() {
            i.interrupt();
        }
        let mut w = self.sleep_lock.lock();
        *w = true;
        self.sleep_cv.notify_all();
    }
}

pub struct Task {
    pub k: Arc<Kernel>,
    pub tid: i32,
    pub shared: Arc<TaskShared>,
    pub tg: Arc<ThreadGroup>,
    pub mm: Arc<Mm>,
    pub fds: Arc<FdTable>,
    pub fs: Arc<FsContext>,
    pub creds: Arc<Creds>,
    pub regs: Regs,
    pub fp: FpState,
    pub ctx: Box<dyn Context>,
    pub sigmask: SigSet,
    pub altstack: StackT,
    pub clear_child_tid: u64,
    pub robust_list: (u64, u64),
    /// The last fault that needed nothing new mapped, with the MM generation
    /// then: a second identical one is a real access violation.
    pub last_fault: Option<(u64, u64)>,
    /// Set by handlers that must not have their return value stored in rax
    /// (rt_sigreturn, a successful execve).
    pub keep_regs: bool,
    /// Set when the task has exited and its loop must end.
    pub exited: bool,
}

impl Task {
    /// Whether the task has been told to exit.
    pub fn killed(&self) -> bool {
        self.shared.is_killed()
    }

    pub fn pid(&self) -> i32 {
        self.tg.tgid
    }

    pub fn comm(&self) -> String {
        String::from_utf8_lossy(&self.shared.comm.lock()).into_owned()
    }

    pub fn set_comm(&self, name: &[u8]) {
        let n = name.len().min(15);
        *self.shared.comm.lock() = name[..n].to_vec();
    }
}
