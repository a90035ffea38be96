//! Syscall dispatch for one task.

use super::Task;
use crate::syscalls::SyscallArgs;
use abi::Errno;

impl Task {
    /// Handle the syscall the application just made.
    pub fn do_syscall(&mut self) {
        let nr = self.regs.orig_rax;
        let args = SyscallArgs(self.regs.syscall_args());
        self.keep_regs = false;
        let k = self.k.clone();
        let entry = k.syscalls.get(nr);
        let res = match entry.and_then(|e| e.handler) {
            Some(h) => h(self, &args),
            None => match entry.map(|e| e.tier) {
                Some(crate::syscalls::Tier::Refused(e, _)) => Err(e),
                _ => {
                    k.log_unimplemented(nr, &self.comm());
                    Err(Errno::ENOSYS)
                }
            },
        };
        // Restarts arrive with signal delivery; until then an interrupted call fails with EINTR.
        let res = match res {
            Err(e) if e.0 >= 512 => Err(Errno::EINTR),
            r => r,
        };
        if k.config.strace {
            crate::strace::print(self, nr, &args, &res);
        }
        if !self.keep_regs {
            self.regs.rax = match res {
                Ok(v) => v,
                Err(e) => e.as_ret(),
            };
        }
    }
}
