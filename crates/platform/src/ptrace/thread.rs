//! One traced stub thread: the host thread that executes application code
//! for one task in one address space. Only the host thread that seized it
//! may operate on it.

use super::sys::{self, Pid, Stop};
use crate::stub::StubPage;
use crate::{Error, Result};
use abi::{Errno, Regs};

/// A stub thread traced by the current host thread.
#[derive(Debug)]
pub struct StubThread {
    pub pid: Pid,
    pub tid: Pid,
    /// The master stub's pid: new stubs cloned through this thread check
    /// that it is still their parent.
    pub master: Pid,
    /// A signal arrived while we injected a syscall; report it at the next switch.
    pub pending_interrupt: bool,
}

fn dead(e: Errno, what: &str) -> Error {
    if e == Errno::ESRCH {
        Error::Dead(format!("{what}: stub thread gone"))
    } else {
        Error::Host(format!("{what}: {e}"))
    }
}

impl StubThread {
    /// Attach to an idle stub thread and wait until it is stopped.
    pub fn seize(pid: Pid, tid: Pid, master: Pid) -> Result<StubThread> {
        sys::seize(tid).map_err(|e| dead(e, "PTRACE_SEIZE"))?;
        sys::interrupt(tid).map_err(|e| dead(e, "PTRACE_INTERRUPT"))?;
        let t = StubThread {
            pid,
            tid,
            master,
            pending_interrupt: false,
        };
        t.wait_any_stop()?;
        Ok(t)
    }

    /// Wait for the thread's first stop after attaching, whatever its kind.
    pub fn wait_any_stop(&self) -> Result<()> {
        match sys::wait(self.tid).map_err(|e| dead(e, "wait"))? {
            Stop::Stopped { .. } => Ok(()),
            Stop::Gone(st) => Err(Error::Dead(format!(
                "stub {} exited with status {st:#x}",
                self.tid
            ))),
        }
    }

    /// Registers for running stub code at `rip` with syscall arguments.
    fn stub_regs(rip: u64, nr: u64, args: &[u64; 6], master: Pid) -> Regs {
        let mut r = Regs::initial(rip, 0);
        r.r12 = master as u64;
        r.rax = nr;
        r.orig_rax = u64::MAX;
        r.rdi = args[0];
        r.rsi = args[1];
        r.rdx = args[2];
        r.r10 = args[3];
        r.r8 = args[4];
        r.r9 = args[5];
        r
    }

    /// Run one host syscall in the stub process (through this thread) and
    /// return its raw result. `entry` is the stub's `syscall` or `clone` entry.
    pub fn inject(&mut self, entry: u64, nr: i64, args: [u64; 6]) -> Result<i64> {
        self.inject_with(entry, nr, args, |_| {})
    }

    /// `inject`, with `set` adjusting the other registers first (a child
    /// of an injected fork or clone starts with them).
    pub fn inject_with(
        &mut self,
        entry: u64,
        nr: i64,
        args: [u64; 6],
        set: impl FnOnce(&mut Regs),
    ) -> Result<i64> {
        let mut r = Self::stub_regs(entry, nr as u64, &args, self.master);
        set(&mut r);
        sys::set_regs(self.tid, &r).map_err(|e| dead(e, "SETREGS"))?;
        sys::cont(self.tid, 0).map_err(|e| dead(e, "PTRACE_CONT"))?;
        loop {
            match sys::wait(self.tid).map_err(|e| dead(e, "wait"))? {
                Stop::Stopped {
                    sig: libc::SIGTRAP,
                    event: 0,
                } => break,
                Stop::Stopped { sig, .. } => {
                    if sig == libc::SIGSEGV || sig == libc::SIGBUS {
                        let mut rr = Regs::default();
                        let _ = sys::get_regs(self.tid, &mut rr);
                        let si = sys::get_siginfo(self.tid);
                        return Err(Error::Host(format!("stub faulted ({sig}) in injected syscall {nr} at {:#x} entry {entry:#x} {si:?}", rr.rip)));
                    }
                    // An interrupt or host signal: remember it, suppress it, go on.
                    self.pending_interrupt = true;
                    sys::cont(self.tid, 0).map_err(|e| dead(e, "PTRACE_CONT"))?;
                }
                Stop::Gone(st) => {
                    return Err(Error::Dead(format!(
                        "stub exited ({st:#x}) during syscall {nr}"
                    )))
                }
            }
        }
        let mut out = Regs::default();
        sys::get_regs(self.tid, &mut out).map_err(|e| dead(e, "GETREGS"))?;
        Ok(out.rax as i64)
    }

    /// Inject a syscall and turn a negative return into an error.
    pub fn syscall(&mut self, page: &StubPage, nr: i64, args: [u64; 6]) -> Result<u64> {
        let r = self.inject(page.syscall, nr, args)?;
        Errno::from_ret(r).map_err(|e| Error::Host(format!("injected syscall {nr} failed: {e}")))
    }

    /// End this thread (the stub process lives on if it has other threads).
    pub fn exit(self, page: &StubPage) {
        let r = Self::stub_regs(page.syscall, libc::SYS_exit as u64, &[0; 6], self.master);
        if sys::set_regs(self.tid, &r).is_ok()
            && sys::cont(self.tid, 0).is_ok()
            && self.tid != self.pid
        {
            // A non-leader thread is reaped at once; a leader only when its
            // whole process ends, which we must not wait for here.
            let _ = sys::wait(self.tid);
        } else {
            sys::try_reap(self.tid);
        }
    }
}
