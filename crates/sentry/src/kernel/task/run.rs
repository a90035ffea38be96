//! The task loop: run application code, handle what stopped it, repeat.

use super::Task;
use crate::kernel::signal::ExitStatus;
use crate::mm::fault::FaultOutcome;
use abi::signal::{SigInfo, SIGBUS, SIGKILL, SIGSEGV};
use platform::Exit;

impl Task {
    /// Run until the task exits. Consumes the task; its host thread ends after.
    pub fn run(mut self) {
        *self.shared_interrupter() = Some(self.ctx.interrupter());
        while !self.exited {
            if self
                .shared
                .sig_hint
                .load(std::sync::atomic::Ordering::SeqCst)
                || self.restart.is_some()
            {
                self.handle_signals();
            }
            if self.killed() {
                self.exit_killed();
                break;
            }
            let aspace = self.mm.aspace.clone();
            // Parks while the sandbox is paused; None: killed meanwhile.
            let exit = self.k.freezer.run(&self.shared, || {
                self.ctx.switch(&aspace, &mut self.regs, &mut self.fp)
            });
            match exit.unwrap_or(Ok(Exit::Interrupted)) {
                Ok(Exit::Syscall) => self.do_syscall(),
                Ok(Exit::Fault(si)) => self.handle_fault(si),
                Ok(Exit::Signal(si)) => self.force_signal(si),
                Ok(Exit::Interrupted) => {}
                Err(e) => {
                    tracing::warn!("task {}: platform failure: {e}", self.tid);
                    self.exit_group_signal(SIGKILL, false);
                }
            }
        }
        *self.shared_interrupter() = None;
        self.ctx.release();
    }

    fn shared_interrupter(
        &self,
    ) -> parking_lot::MutexGuard<'_, Option<std::sync::Arc<dyn platform::Interrupter>>> {
        self.shared.interrupter.lock()
    }

    fn handle_fault(&mut self, si: SigInfo) {
        let addr = si.addr();
        let stack_limit = self
            .tg
            .limits
            .lock()
            .cur(crate::kernel::limits::RLIMIT_STACK);
        match self.mm.handle_fault(addr, stack_limit) {
            FaultOutcome::Handled => self.last_fault = None,
            FaultOutcome::AlreadyMapped => {
                let gen = self.mm.generation();
                if self.last_fault == Some((addr, gen)) {
                    self.last_fault = None;
                    self.fault_signal(SIGSEGV, abi::signal::SEGV_ACCERR, addr);
                } else {
                    self.last_fault = Some((addr, gen));
                }
            }
            FaultOutcome::Segv(code) => self.fault_signal(SIGSEGV, code, addr),
            FaultOutcome::Bus => self.fault_signal(SIGBUS, abi::signal::BUS_ADRERR, addr),
        }
    }

    fn fault_signal(&mut self, sig: i32, code: i32, addr: u64) {
        let mut si = SigInfo {
            signo: sig,
            code,
            ..Default::default()
        };
        si.set_addr(addr);
        self.force_signal(si);
    }

    /// End the whole thread group because of signal `sig`.
    pub fn exit_group_signal(&mut self, sig: i32, core: bool) {
        // No core file is written; the wait status says one was when the
        // limit allows dumping, as Linux reports an actual dump.
        let core = core
            && self
                .tg
                .limits
                .lock()
                .cur(crate::kernel::limits::RLIMIT_CORE)
                > 0;
        self.tg.start_group_exit(ExitStatus::Signaled { sig, core });
        self.exit_killed();
    }
}
