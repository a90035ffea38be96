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
        let _current = crate::kernel::current::enter(self.tid, &self.tg);
        if self.shared.seccomp.active() && !self.seccomp_allows(nr, &args.0) {
            return;
        }
        let entry = k.syscalls.get(nr);
        let noreturn = nr == abi::sysno::EXIT as u64 || nr == abi::sysno::EXIT_GROUP as u64;
        if k.config.strace && noreturn {
            crate::strace::print_noreturn(self, nr, &args);
        }
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
        if k.config.strace && !noreturn {
            crate::strace::print(self, nr, &args, &res);
        }
        // Restart codes never reach the application: signal delivery decides
        // between restarting the call and EINTR.
        let res = match res {
            Err(e) if (512..=516).contains(&e.0) => {
                self.restart = Some(e);
                Err(Errno::EINTR)
            }
            r => r,
        };
        if !self.keep_regs {
            self.regs.rax = match res {
                Ok(v) => v,
                Err(e) => e.as_ret(),
            };
        }
    }
}
