//! A ptrace address space: one stub process.
//!
//! Operations are injected syscalls, run by a stub thread that the calling
//! host thread traces. Each host thread keeps its stub threads in a
//! thread-local table (`slots`), one per address space it has run in; a
//! thread without one claims an idle stub thread from the address space's
//! pool (the process's first thread, or one made by `prepare_thread`).

use super::slots;
use super::sys::{self, Pid};
use crate::stub::StubPage;
use crate::{AddressSpace, Error, Mapping, Result};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Debug)]
pub struct PtraceAddressSpace {
    pub(super) id: u64,
    pub(super) pid: Pid,
    pub(super) page: StubPage,
    memfd: i32,
    /// Idle, untraced stub threads waiting to be claimed.
    pub(super) pool: Mutex<Vec<Pid>>,
    /// The master stub, parent of this stub process.
    pub(super) master: Pid,
    /// Cleared when the address space is dropped, so slots know it is gone.
    pub(super) alive: Arc<AtomicBool>,
}

impl PtraceAddressSpace {
    pub fn new(id: u64, pid: Pid, page: StubPage, memfd: i32, master: Pid) -> PtraceAddressSpace {
        PtraceAddressSpace {
            id,
            pid,
            page,
            memfd,
            master,
            pool: Mutex::new(vec![pid]),
            alive: Arc::new(AtomicBool::new(true)),
        }
    }
}

impl Drop for PtraceAddressSpace {
    fn drop(&mut self) {
        self.alive.store(false, Ordering::SeqCst);
        sys::kill(self.pid, libc::SIGKILL);
        slots::forget(self.id);
    }
}

impl AddressSpace for PtraceAddressSpace {
    fn map(&self, maps: &[Mapping]) -> Result<()> {
        slots::with_thread(self, |t| {
            for m in maps {
                let args = [
                    m.addr,
                    m.len,
                    m.prot.0 as u64,
                    (libc::MAP_SHARED | libc::MAP_FIXED) as u64,
                    self.memfd as u64,
                    m.frame,
                ];
                t.syscall(&self.page, libc::SYS_mmap, args)?;
            }
            Ok(())
        })
    }

    fn unmap(&self, ranges: &[(u64, u64)]) -> Result<()> {
        slots::with_thread(self, |t| {
            for &(addr, len) in ranges {
                t.syscall(&self.page, libc::SYS_munmap, [addr, len, 0, 0, 0, 0])?;
            }
            Ok(())
        })
    }

    fn protect(&self, ranges: &[(u64, u64, crate::Prot)]) -> Result<()> {
        slots::with_thread(self, |t| {
            for &(addr, len, prot) in ranges {
                t.syscall(
                    &self.page,
                    libc::SYS_mprotect,
                    [addr, len, prot.0 as u64, 0, 0, 0],
                )?;
            }
            Ok(())
        })
    }

    fn prepare_thread(&self) -> Result<()> {
        let flags = libc::CLONE_VM
            | libc::CLONE_FS
            | libc::CLONE_FILES
            | libc::CLONE_SIGHAND
            | libc::CLONE_THREAD
            | libc::CLONE_SYSVSEM;
        let tid = slots::with_thread(self, |t| {
            let r = t.inject(
                self.page.clone,
                libc::SYS_clone,
                [flags as u64, 0, 0, 0, 0, 0],
            )?;
            abi::Errno::from_ret(r).map_err(|e| Error::Host(format!("clone stub thread: {e}")))
        })?;
        self.pool.lock().push(tid as Pid);
        Ok(())
    }

    fn cpu_time(&self) -> Option<(u64, u64)> {
        crate::stub::process_cpu_time(self.pid)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
