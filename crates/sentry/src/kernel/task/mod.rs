//! Tasks: one application thread, run by one host thread.
//!
//! [`Task`] is owned by its host thread and passed as `&mut` to syscall
//! handlers. [`TaskShared`] is the part other threads may touch: to kill,
//! interrupt or wake the task.

pub mod clone;
pub mod exec;
pub mod exit;
pub mod paths;
pub mod run;
pub mod sigframe;
pub mod signals;
pub mod sleep;
pub mod syscall;
pub mod wait;

use super::creds::Creds;
use super::fs_context::FsContext;
use super::thread_group::ThreadGroup;
use super::Kernel;
use crate::mm::Mm;
use crate::vfs::FdTable;
use abi::signal::{SigSet, StackT};
use abi::Errno;
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
    /// Set by `notify`; a blocked task waits for it on `sleep_cv`.
    sleep_lock: Mutex<bool>,
    sleep_cv: Condvar,
    /// A signal may be deliverable: look before running application code.
    pub sig_hint: AtomicBool,
    /// PR_SET_PDEATHSIG: signal to receive when the parent process exits.
    pub pdeath_sig: std::sync::atomic::AtomicI32,
    pub comm: Mutex<Vec<u8>>,
    /// seccomp(2) mode and filters (here so TSYNC can set other threads').
    pub seccomp: crate::kernel::seccomp::SeccompCell,
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
            sig_hint: AtomicBool::new(false),
            pdeath_sig: std::sync::atomic::AtomicI32::new(0),
            comm: Mutex::new(comm),
            seccomp: Default::default(),
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

    /// Interrupt whatever the task is doing: running application code or
    /// blocking (a signal arrived, or it must exit).
    pub fn wake(&self) {
        self.sig_hint.store(true, Ordering::SeqCst);
        if let Some(i) = self.interrupter.lock().as_ref() {
            i.interrupt();
        }
        self.notify();
    }

    /// Wake the task if it is blocked (what it waited for may have happened).
    pub fn notify(&self) {
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
    /// The syscall just handled asked to be restarted after signal handling.
    pub restart: Option<abi::Errno>,
    /// What restart_syscall(2) resumes (nanosleep and friends).
    pub restart_block: Option<RestartBlock>,
    /// A vfork child: the parent waits on this until the child execs or exits.
    pub vfork_done: Option<Arc<VforkDone>>,
}

/// State restart_syscall(2) needs to resume an interrupted call.
#[derive(Clone, Debug)]
pub enum RestartBlock {
    /// clock_nanosleep/nanosleep to an absolute host-monotonic deadline;
    /// `rem` is where the remaining time is written if interrupted again.
    Sleep {
        clock: i32,
        deadline: abi::Timespec,
        rem: u64,
    },
}

/// Completion a vfork parent waits on.
#[derive(Default)]
pub struct VforkDone {
    pub done: Mutex<bool>,
    pub cv: Condvar,
}

impl VforkDone {
    pub fn complete(&self) {
        *self.done.lock() = true;
        self.cv.notify_all();
    }
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

    /// The signal mask.
    pub fn sigmask(&self) -> SigSet {
        self.tg.sig.lock().task(self.tid).mask
    }

    /// Replace the signal mask (SIGKILL and SIGSTOP are never blocked).
    pub fn set_sigmask(&self, m: SigSet) {
        self.tg.sig.lock().task_mut(self.tid).mask = m.blockable();
        // Unblocking may make a pending signal deliverable.
        self.shared.sig_hint.store(true, Ordering::SeqCst);
    }

    /// Block until notified, `deadline` (host monotonic `Instant`), a
    /// deliverable signal (EINTR; callers turn it into ERESTARTSYS or
    /// similar when the call may restart) or an exit request (EINTR).
    /// Callers register in a wait queue and re-check their condition first.
    pub fn block(&mut self, deadline: Option<std::time::Instant>) -> Result<(), Errno> {
        let shared = self.shared.clone();
        let mut woken = shared.sleep_lock.lock();
        loop {
            if shared.is_killed() {
                return Err(Errno::EINTR);
            }
            if shared.sig_hint.load(Ordering::SeqCst) && self.tg.sig.lock().deliverable(self.tid) {
                return Err(Errno::EINTR);
            }
            if *woken {
                *woken = false;
                return Ok(());
            }
            match deadline {
                Some(d) => {
                    if std::time::Instant::now() >= d {
                        return Err(Errno::ETIMEDOUT);
                    }
                    shared.sleep_cv.wait_until(&mut woken, d);
                }
                None => shared.sleep_cv.wait(&mut woken),
            }
        }
    }
}
