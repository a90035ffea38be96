//! A ptrace execution context: runs one task's application code with
//! PTRACE_SYSEMU on this host thread's stub thread in the task's address space.

use super::aspace::PtraceAddressSpace;
use super::slots;
use super::sys::{self, Pid, Stop};
use crate::{AddressSpace, Context, Error, Exit, FpState, Interrupter, Result};
use abi::{Errno, Regs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Which stub thread is running application code right now (pid << 32 | tid), or 0.
#[derive(Debug, Default)]
struct Running(AtomicU64);

impl Interrupter for Running {
    fn interrupt(&self) {
        let v = self.0.load(Ordering::SeqCst);
        if v != 0 {
            // Any signal stops a traced thread and is reported to us; SIGCHLD
            // is ignored by stubs, so a late one is harmless.
            sys::tgkill((v >> 32) as Pid, v as u32 as Pid, libc::SIGCHLD);
        }
    }
}

/// How long a switch polls for the stub's next stop before sleeping
/// (RVISOR_SPIN_US, default 20 µs; 0 disables).
fn spin_budget() -> std::time::Duration {
    static SPIN: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();
    *SPIN.get_or_init(|| {
        let us = std::env::var("RVISOR_SPIN_US")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20);
        std::time::Duration::from_micros(us)
    })
}

#[derive(Debug)]
pub struct PtraceContext {
    running: Arc<Running>,
    /// The stub thread the FP state was last loaded into.
    last_tid: Option<Pid>,
}

impl PtraceContext {
    pub fn new() -> PtraceContext {
        PtraceContext {
            running: Arc::new(Running::default()),
            last_tid: None,
        }
    }
}

impl Default for PtraceContext {
    fn default() -> Self {
        Self::new()
    }
}

fn host(e: Errno, what: &str) -> Error {
    if e == Errno::ESRCH {
        Error::Dead(format!("{what}: stub thread gone"))
    } else {
        Error::Host(format!("{what}: {e}"))
    }
}

fn classify(tid: Pid, sig: i32, event: i32) -> Result<Exit> {
    if sig == (libc::SIGTRAP | 0x80) {
        return Ok(Exit::Syscall);
    }
    if event != 0 {
        return Ok(Exit::Interrupted);
    }
    match sig {
        libc::SIGSEGV | libc::SIGBUS | libc::SIGFPE | libc::SIGILL | libc::SIGTRAP => {
            let si = sys::get_siginfo(tid).map_err(|e| host(e, "GETSIGINFO"))?;
            if si.code <= 0 {
                // Sent by someone with kill(2): not a trap of the application.
                Ok(Exit::Interrupted)
            } else if (sig == libc::SIGSEGV || sig == libc::SIGBUS)
                && si.code < abi::signal::SI_KERNEL
            {
                Ok(Exit::Fault(si))
            } else {
                Ok(Exit::Signal(si))
            }
        }
        _ => Ok(Exit::Interrupted),
    }
}

impl Context for PtraceContext {
    fn switch(
        &mut self,
        aspace: &Arc<dyn AddressSpace>,
        regs: &mut Regs,
        fp: &mut FpState,
    ) -> Result<Exit> {
        let pas = aspace
            .as_any()
            .downcast_ref::<PtraceAddressSpace>()
            .ok_or_else(|| Error::Host("address space of another platform".into()))?;
        let last_tid = self.last_tid;
        let running = self.running.clone();
        let (tid, exit) = slots::with_thread(pas, |t| {
            if std::mem::take(&mut t.pending_interrupt) {
                return Ok((t.tid, Exit::Interrupted));
            }
            if last_tid != Some(t.tid) {
                fp.dirty = true;
            }
            if fp.dirty {
                sys::set_xstate(t.tid, fp.bytes()).map_err(|e| host(e, "SETREGSET"))?;
                fp.dirty = false;
            }
            let mut r = *regs;
            // Never let the host restart a syscall of ours: the Sentry owns restarts.
            r.orig_rax = u64::MAX;
            sys::set_regs(t.tid, &r).map_err(|e| host(e, "SETREGS"))?;
            running.0.store(
                ((t.pid as u64) << 32) | t.tid as u32 as u64,
                Ordering::SeqCst,
            );
            let resumed = sys::sysemu(t.tid);
            let stop = resumed.and_then(|_| sys::wait_spin(t.tid, spin_budget()));
            running.0.store(0, Ordering::SeqCst);
            fp.fresh = false;
            match stop.map_err(|e| host(e, "PTRACE_SYSEMU"))? {
                Stop::Stopped { sig, event } => {
                    sys::get_regs(t.tid, regs).map_err(|e| host(e, "GETREGS"))?;
                    Ok((t.tid, classify(t.tid, sig, event)?))
                }
                Stop::Gone(st) => Err(Error::Dead(format!(
                    "stub thread {} ended ({st:#x})",
                    t.tid
                ))),
            }
        })?;
        self.last_tid = Some(tid);
        Ok(exit)
    }

    fn sync_fp(&mut self, fp: &mut FpState) -> Result<()> {
        if fp.fresh {
            return Ok(());
        }
        let tid = self
            .last_tid
            .ok_or_else(|| Error::Host("no FP state to read".into()))?;
        sys::get_xstate(tid, fp.buf_mut()).map_err(|e| host(e, "GETREGSET"))?;
        fp.fresh = true;
        Ok(())
    }

    fn interrupter(&self) -> Arc<dyn Interrupter> {
        self.running.clone()
    }

    fn release(&mut self) {
        slots::release_all();
        self.last_tid = None;
    }
}

impl Drop for PtraceContext {
    fn drop(&mut self) {
        self.release();
    }
}
