//! Signal delivery on the way back to application code: dequeue, act
//! (ignore, default action, or a handler frame), syscall restart, group stop.

use super::Task;
use crate::kernel::send;
use crate::kernel::signal::{default_action, DefaultAction};
use crate::kernel::sigstate::GroupStop;
use crate::kernel::thread_group::WaitEvent;
use abi::signal::*;
use abi::Errno;
use std::sync::atomic::Ordering;

/// restart_syscall(2)'s number.
const NR_RESTART_SYSCALL: u64 = 219;

impl Task {
    /// Take the next deliverable signal for this task (its own first, then the group's).
    fn dequeue(&mut self) -> Option<SigInfo> {
        let mut st = self.tg.sig.lock();
        let mask = st.task(self.tid).mask;
        if let Some(sig) = st.task(self.tid).pending.next(mask) {
            return st.task_mut(self.tid).pending.take(sig);
        }
        let sig = st.shared.next(mask)?;
        st.shared.take(sig)
    }

    /// Apply a pending syscall restart as if no handler ran.
    fn restart_without_handler(&mut self) {
        match self.restart.take() {
            Some(Errno::ERESTART_RESTARTBLOCK) => {
                self.regs.rax = NR_RESTART_SYSCALL;
                self.regs.rip -= 2;
            }
            Some(_) => {
                self.regs.rax = self.regs.orig_rax;
                self.regs.rip -= 2;
            }
            None => {}
        }
    }

    /// Apply a pending syscall restart before running `act`'s handler.
    fn restart_with_handler(&mut self, act: &KernelSigaction) {
        match self.restart.take() {
            Some(Errno::ERESTARTSYS) if act.flags & SA_RESTART != 0 => {
                self.regs.rax = self.regs.orig_rax;
                self.regs.rip -= 2;
            }
            Some(Errno::ERESTARTNOINTR) => {
                self.regs.rax = self.regs.orig_rax;
                self.regs.rip -= 2;
            }
            Some(_) => self.regs.rax = Errno::EINTR.as_ret(),
            None => {}
        }
    }

    /// Deliver pending signals; called before every return to application code.
    pub fn handle_signals(&mut self) {
        self.shared.sig_hint.store(false, Ordering::SeqCst);
        loop {
            if self.killed() {
                return;
            }
            if self.tg.sig.lock().stop != GroupStop::Running {
                self.do_group_stop();
                continue;
            }
            let Some(info) = self.dequeue() else { break };
            // A stale POSIX timer signal is dropped; a live one gets its overrun.
            let Some(info) = crate::kernel::posix_timer::dequeued(&self.tg, info) else {
                continue;
            };
            let sig = info.signo;
            let sighand = self.tg.sighand();
            let act = sighand.get(sig);
            match act.handler {
                SIG_IGN => continue,
                SIG_DFL => match default_action(sig) {
                    DefaultAction::Ignore | DefaultAction::Continue => continue,
                    DefaultAction::Stop => {
                        self.start_group_stop(sig);
                        continue;
                    }
                    DefaultAction::Terminate => {
                        self.exit_group_signal(sig, false);
                        return;
                    }
                    DefaultAction::Core => {
                        self.exit_group_signal(sig, true);
                        return;
                    }
                },
                _ => {
                    self.restart_with_handler(&act);
                    // The handler runs with the current mask (a temporary one
                    // from rt_sigsuspend/ppoll included) plus its own; the frame
                    // saves the mask to restore on return.
                    let cur_mask = self.sigmask();
                    let old_mask = self.saved_or_current_mask();
                    if self.setup_frame(&info, &act, old_mask).is_err() {
                        // The frame could not be written: Linux forces SIGSEGV.
                        self.exit_group_signal(SIGSEGV, true);
                        return;
                    }
                    let mut m = SigSet(cur_mask.0 | act.mask);
                    if act.flags & SA_NODEFER == 0 {
                        m.add(sig);
                    }
                    self.set_sigmask(m);
                    if act.flags & SA_RESETHAND != 0 {
                        let mut acts = sighand.actions.lock();
                        if let Some(a) = acts.get_mut((sig - 1) as usize) {
                            *a = KernelSigaction::default();
                        }
                    }
                }
            }
        }
        self.restart_without_handler();
        // rt_sigsuspend and friends: the saved mask comes back once no handler ran.
        let saved = self.tg.sig.lock().task_mut(self.tid).saved_mask.take();
        if let Some(m) = saved {
            self.set_sigmask(m);
        }
    }

    /// The mask a handler frame must restore: the one saved by
    /// rt_sigsuspend (consumed here), else the current one.
    fn saved_or_current_mask(&mut self) -> SigSet {
        let mut st = self.tg.sig.lock();
        let ts = st.task_mut(self.tid);
        ts.saved_mask.take().unwrap_or(ts.mask)
    }

    /// A stop signal's default action: stop the whole group and tell the parent.
    fn start_group_stop(&mut self, sig: i32) {
        {
            let mut st = self.tg.sig.lock();
            if st.stop != GroupStop::Running {
                return;
            }
            st.stop = GroupStop::Stopped(sig);
        }
        *self.tg.wait_event.lock() = Some(WaitEvent::Stopped(sig));
        for t in self.tg.tasks.lock().iter() {
            if t.tid != self.tid {
                t.wake();
            }
        }
        send::notify_parent_stop(&self.tg, Some(sig));
    }

    /// Wait while the group is stopped (until SIGCONT or SIGKILL).
    fn do_group_stop(&mut self) {
        loop {
            if self.killed() || self.tg.sig.lock().stop == GroupStop::Running {
                return;
            }
            let _ = self.block(None);
        }
    }

    /// A synchronous signal caused by the application's own instruction
    /// (fault, trap). If blocked or ignored, Linux makes it fatal.
    pub fn force_signal(&mut self, info: SigInfo) {
        let sig = info.signo;
        let sighand = self.tg.sighand();
        {
            let mut st = self.tg.sig.lock();
            let blocked = st.task(self.tid).mask.has(sig);
            let ignored = sighand.get(sig).handler == SIG_IGN;
            if blocked || ignored {
                let mut acts = sighand.actions.lock();
                if let Some(a) = acts.get_mut((sig - 1) as usize) {
                    a.handler = SIG_DFL;
                }
                st.task_mut(self.tid).mask.remove(sig);
            }
            st.task_mut(self.tid).pending.push(info, usize::MAX);
        }
        self.shared.sig_hint.store(true, Ordering::SeqCst);
    }
}
