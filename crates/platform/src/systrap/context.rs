//! A systrap execution context: runs one task's application code on this
//! host thread's stub thread in the task's address space.

use super::aspace::SystrapAddressSpace;
use super::layout::SIG_INTERRUPT;
use super::slots;
use super::thread::{FpLoc, StubThread};
use crate::ptrace::sys::{self, Pid};
use crate::{AddressSpace, Context, Error, Exit, FpState, Interrupter, Result};
use abi::Regs;
use memory::MemoryFile;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Which stub thread is running application code right now (pid << 32 | tid), or 0.
#[derive(Debug, Default)]
pub struct Running(pub AtomicU64);

impl Interrupter for Running {
    fn interrupt(&self) {
        let v = self.0.load(Ordering::SeqCst);
        if v != 0 {
            // Handled like a trap; blocked while the thread is in its
            // handler, so one sent just as it stops is taken on its next
            // return to the application (a spurious `Interrupted`).
            sys::tgkill((v >> 32) as Pid, v as u32 as Pid, SIG_INTERRUPT);
        }
    }
}

#[derive(Debug, Default)]
pub struct SystrapContext {
    running: Arc<Running>,
    /// The stub thread the FP state was last loaded into.
    last_tid: Option<(Pid, Pid)>,
    /// Where the application's latest FP state is (the last frame).
    last_fp: Option<(Arc<MemoryFile>, FpLoc)>,
}

impl Context for SystrapContext {
    fn switch(
        &mut self,
        aspace: &Arc<dyn AddressSpace>,
        regs: &mut Regs,
        fp: &mut FpState,
    ) -> Result<Exit> {
        let sas = aspace
            .as_any()
            .downcast_ref::<SystrapAddressSpace>()
            .ok_or_else(|| Error::Host("address space of another platform".into()))?;
        let last_tid = self.last_tid;
        let running = self.running.clone();
        let (id, exit, loc, mf) = slots::with_thread(sas, |sh, t: &mut StubThread| {
            let id = (sh.pid, t.tid);
            let load_fp = fp.dirty || last_tid != Some(id);
            let exit = t.run(sh, regs, fp, load_fp, &running.0)?;
            Ok((id, exit, t.fp, sh.cfg.mf.clone()))
        })?;
        // The frame holds the state now; it moves only when asked.
        fp.dirty = false;
        fp.fresh = false;
        self.last_tid = Some(id);
        self.last_fp = loc.map(|l| (mf, l));
        Ok(exit)
    }

    fn sync_fp(&mut self, fp: &mut FpState) -> Result<()> {
        if fp.fresh {
            return Ok(());
        }
        let (mf, loc) = self
            .last_fp
            .as_ref()
            .ok_or_else(|| Error::Host("no FP state to read".into()))?;
        StubThread::read_fp(mf, *loc, fp)?;
        fp.fresh = true;
        Ok(())
    }

    fn interrupter(&self) -> Arc<dyn Interrupter> {
        self.running.clone()
    }

    fn release(&mut self) {
        slots::release_all();
        self.last_tid = None;
        self.last_fp = None;
    }
}

impl Drop for SystrapContext {
    fn drop(&mut self) {
        self.release();
    }
}
