//! Task and thread-group exit.

use super::Task;
use crate::kernel::signal::ExitStatus;
use crate::kernel::{Kernel, ThreadGroup};
use std::sync::Arc;

impl Task {
    /// exit(2): end this task; the group ends with `code` when its last task does.
    pub fn exit_thread(&mut self, code: i32) {
        self.finish(ExitStatus::Exited(code & 0xff));
    }

    /// exit_group(2).
    pub fn exit_group(&mut self, code: i32) {
        self.tg.start_group_exit(ExitStatus::Exited(code & 0xff));
        self.exit_killed();
    }

    /// The task was told to exit (group exit or a fatal signal).
    pub fn exit_killed(&mut self) {
        let status = self.tg.group_exit_status().unwrap_or(ExitStatus::Signaled {
            sig: abi::signal::SIGKILL,
            core: false,
        });
        self.finish(status);
    }

    pub(crate) fn finish(&mut self, status: ExitStatus) {
        if self.exited {
            return;
        }
        self.exited = true;
        // set_tid_address / CLONE_CHILD_CLEARTID: clear the tid word and wake one futex waiter.
        if self.clear_child_tid != 0 && self.mm.write_obj(self.clear_child_tid, &0u32).is_ok() {
            let _ = crate::kernel::futex::wake(&self.mm, self.clear_child_tid, 1, u32::MAX, false);
        }
        super::clone::complete_vfork(self);
        // The address space's CPU clocks end with it: keep what its parent will collect.
        if let Some((user, total)) = self.mm.aspace.cpu_time() {
            let mut e = self.tg.exit_times.lock();
            *e = (e.0.max(user), e.1.max(total.saturating_sub(user)));
        }
        // The last user of the address space drops its System V shm attaches.
        crate::kernel::ipc::shm::exit_mm(&self.mm, self.tg.tgid);
        self.tg.sig.lock().tasks.remove(&self.tid);
        // exit_files: the fds close before the parent hears of the exit,
        // so it finds the POSIX locks released and pipe ends closed.
        self.fds = Arc::new(crate::vfs::FdTable::new());
        release_task(&self.k, &self.tg, self.tid, status);
    }
}

/// Remove task `tid` from its group and the PID table; if it was the
/// group's last task, the group has exited with `status` (or the group's
/// exit status if one was set).
pub fn release_task(k: &Arc<Kernel>, tg: &Arc<ThreadGroup>, tid: i32, status: ExitStatus) {
    let last = {
        let mut tasks = tg.tasks.lock();
        tasks.retain(|t| t.tid != tid);
        tasks.is_empty()
    };
    k.pids.lock().tasks.remove(&tid);
    if last {
        let status = tg.group_exit_status().unwrap_or(status);
        *tg.exit_status.lock() = Some(status);
        tg.posix_timers.clear();
        k.ipc.exit_process(tg.tgid);
        k.thread_group_exited(tg, status);
    }
    // pidfds of the group (or of this thread) become readable.
    tg.exit_wq.notify(u64::MAX);
}

/// Run a task on the current host thread. A bug in the Sentry that panics
/// while serving it kills that task's process (as SIGKILL would), never the
/// sandbox.
pub fn run_guarded(task: Task) {
    let (k, tg, tid) = (task.k.clone(), task.tg.clone(), task.tid);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || task.run()));
    if r.is_err() {
        tracing::error!("Sentry bug while serving task {tid}: its process is killed");
        tg.start_group_exit(ExitStatus::Signaled {
            sig: abi::signal::SIGKILL,
            core: false,
        });
        let registered = tg.tasks.lock().iter().any(|t| t.tid == tid);
        if registered {
            release_task(
                &k,
                &tg,
                tid,
                ExitStatus::Signaled {
                    sig: abi::signal::SIGKILL,
                    core: false,
                },
            );
        }
    }
}
