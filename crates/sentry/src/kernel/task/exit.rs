//! Task and thread-group exit.

use super::Task;
use crate::kernel::signal::ExitStatus;

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
        let status = self.tg.group_exit_status().unwrap_or(ExitStatus::Signaled { sig: abi::signal::SIGKILL, core: false });
        self.finish(status);
    }

    fn finish(&mut self, status: ExitStatus) {
        if self.exited {
            return;
        }
        self.exited = true;
        // set_tid_address: clear the tid word and wake a futex waiter (futexes come later).
        if self.clear_child_tid != 0 {
            let _ = self.mm.write_obj(self.clear_child_tid, &0u32);
        }
        let last = {
            let mut tasks = self.tg.tasks.lock();
            tasks.retain(|t| t.tid != self.tid);
            tasks.is_empty()
        };
        self.k.pids.lock().tasks.remove(&self.tid);
        if last {
            let status = self.tg.group_exit_status().unwrap_or(status);
            *self.tg.exit_status.lock() = Some(status);
            self.k.thread_group_exited(&self.tg, status);
        }
    }
}
