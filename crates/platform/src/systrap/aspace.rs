//! A systrap address space: one stub process, its slots, and its idle
//! stub threads.
//!
//! Operations are host syscalls that a stub thread runs as requests from
//! its handler: normally the calling host thread's own stub thread in this
//! address space, which is parked in its handler because its task is in
//! the Sentry (`slots.rs`).

use super::layout::{self as msg, SLOT_SIZE};
use super::slots;
use super::thread::StubThread;
use super::Config;
use crate::ptrace::sys::{self, Pid};
use crate::{AddressSpace, Error, Mapping, Result};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// clone(2) flags of a new stub thread.
pub const THREAD_FLAGS: u64 = (libc::CLONE_VM
    | libc::CLONE_FS
    | libc::CLONE_FILES
    | libc::CLONE_SIGHAND
    | libc::CLONE_THREAD
    | libc::CLONE_SYSVSEM) as u64;

#[derive(Debug, Default)]
pub struct SlotTable {
    /// MemoryFile offset of each slot's frames.
    pub frames: Vec<u64>,
    /// Slots whose thread was asked to end; reusable once its tid word is 0.
    pub free: Vec<u32>,
}

/// What the address space's users share; outlives it while host threads
/// still hold stub threads of it.
#[derive(Debug)]
pub struct Shared {
    pub cfg: Arc<Config>,
    pub pid: Pid,
    pub master: Pid,
    /// Cleared when the address space is dropped (the process is killed).
    pub alive: AtomicBool,
    pub slots: Mutex<SlotTable>,
    /// Idle stub threads waiting to be claimed by a host thread.
    pub pool: Mutex<Vec<StubThread>>,
}

impl Shared {
    /// A slot for a new thread: one whose thread has ended, or a new one.
    fn alloc_slot(&self) -> Result<(u32, u64)> {
        let mut t = self.slots.lock();
        let mf = &self.cfg.mf;
        let ended = t.free.iter().position(|&s| {
            mf.atomic_u32(t.frames[s as usize] + msg::TID)
                .is_ok_and(|w| w.load(Ordering::SeqCst) == 0)
        });
        if let Some(i) = ended {
            let s = t.free.swap_remove(i);
            return Ok((s, t.frames[s as usize]));
        }
        if t.frames.len() as u64 >= msg::MAX_SLOTS {
            return Err(Error::Host("stub process has no free thread slot".into()));
        }
        let f = mf
            .allocate(SLOT_SIZE)
            .map_err(|e| Error::Host(format!("thread slot: {e}")))?;
        t.frames.push(f);
        Ok(((t.frames.len() - 1) as u32, f))
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let frames = std::mem::take(&mut self.slots.get_mut().frames);
        self.cfg.graveyard.bury(&self.cfg.mf, self.pid, frames);
    }
}

/// Slot frames of killed stub processes, freed once the process is gone
/// (a dying thread may still write its message page).
#[derive(Debug, Default)]
pub struct Graveyard {
    dead: Mutex<Vec<(Pid, Vec<u64>)>>,
}

fn process_gone(pid: Pid) -> bool {
    // SAFETY: plain syscall with integer arguments; signal 0 sends nothing.
    let r = unsafe { libc::kill(pid, 0) };
    r != 0 && abi::Errno::last() == abi::Errno::ESRCH
}

impl Graveyard {
    pub fn bury(&self, mf: &memory::MemoryFile, pid: Pid, frames: Vec<u64>) {
        self.dead.lock().push((pid, frames));
        self.sweep(mf);
    }

    pub fn sweep(&self, mf: &memory::MemoryFile) {
        let gone: Vec<(Pid, Vec<u64>)> = {
            let mut d = self.dead.lock();
            let (gone, alive) = d.drain(..).partition(|(pid, _)| process_gone(*pid));
            *d = alive;
            gone
        };
        for (_, frames) in gone {
            for f in frames {
                mf.decref(f, SLOT_SIZE);
            }
        }
    }
}

#[derive(Debug)]
pub struct SystrapAddressSpace {
    pub(super) id: u64,
    pub(super) sh: Arc<Shared>,
}

impl SystrapAddressSpace {
    /// A new address space around a fresh stub process whose first thread
    /// uses slot 0 at `frame`.
    pub fn new(
        id: u64,
        cfg: Arc<Config>,
        pid: Pid,
        master: Pid,
        frame: u64,
    ) -> SystrapAddressSpace {
        let first = StubThread::new(pid, 0, msg::slot_addr(cfg.page.addr, 0), frame, &cfg.spin);
        SystrapAddressSpace {
            id,
            sh: Arc::new(Shared {
                cfg,
                pid,
                master,
                alive: AtomicBool::new(true),
                slots: Mutex::new(SlotTable {
                    frames: vec![frame],
                    free: Vec::new(),
                }),
                pool: Mutex::new(vec![first]),
            }),
        }
    }

    fn run(&self, reqs: &[(i64, [u64; 6])], what: &str) -> Result<()> {
        let results = slots::with_thread(self, |sh, t| t.requests(sh, reqs))?;
        for (r, (nr, args)) in results.iter().zip(reqs) {
            if let Err(e) = abi::Errno::from_ret(*r) {
                return Err(Error::Host(format!("{what}: syscall {nr} {args:x?}: {e}")));
            }
        }
        Ok(())
    }
}

impl Drop for SystrapAddressSpace {
    fn drop(&mut self) {
        self.sh.alive.store(false, Ordering::SeqCst);
        sys::kill(self.sh.pid, libc::SIGKILL);
        slots::forget(self.id);
    }
}

impl AddressSpace for SystrapAddressSpace {
    fn map(&self, maps: &[Mapping]) -> Result<()> {
        let memfd = self.sh.cfg.memfd as u64;
        let reqs: Vec<(i64, [u64; 6])> = maps
            .iter()
            .map(|m| {
                let flags = (libc::MAP_SHARED | libc::MAP_FIXED) as u64;
                (
                    libc::SYS_mmap,
                    [m.addr, m.len, m.prot.0 as u64, flags, memfd, m.frame],
                )
            })
            .collect();
        self.run(&reqs, "map")
    }

    fn unmap(&self, ranges: &[(u64, u64)]) -> Result<()> {
        let reqs: Vec<(i64, [u64; 6])> = ranges
            .iter()
            .map(|&(a, l)| (libc::SYS_munmap, [a, l, 0, 0, 0, 0]))
            .collect();
        self.run(&reqs, "unmap")
    }

    fn protect(&self, ranges: &[(u64, u64, crate::Prot)]) -> Result<()> {
        let reqs: Vec<(i64, [u64; 6])> = ranges
            .iter()
            .map(|&(a, l, p)| (libc::SYS_mprotect, [a, l, p.0 as u64, 0, 0, 0]))
            .collect();
        self.run(&reqs, "protect")
    }

    fn prepare_thread(&self) -> Result<()> {
        let sh = &self.sh;
        let (slot, frame) = sh.alloc_slot()?;
        let addr = msg::slot_addr(sh.cfg.page.addr, slot);
        let made = super::init_message(&sh.cfg, frame, addr, false).and_then(|_| {
            slots::with_thread(self, |sh, t| {
                t.set_child_regs(
                    sh,
                    [
                        sh.master as u64,
                        addr,
                        frame,
                        msg::INIT_THREAD,
                        sh.cfg.memfd as u64,
                    ],
                )?;
                let r = t.requests(sh, &[(libc::SYS_clone, [THREAD_FLAGS, 0, 0, 0, 0, 0])])?;
                abi::Errno::from_ret(r[0])
                    .map_err(|e| Error::Host(format!("clone stub thread: {e}")))
            })
        });
        match made {
            Ok(tid) => {
                sh.pool
                    .lock()
                    .push(StubThread::new(tid as Pid, slot, addr, frame, &sh.cfg.spin));
                Ok(())
            }
            Err(e) => {
                // No thread uses the slot (its tid word is 0).
                sh.slots.lock().free.push(slot);
                Err(e)
            }
        }
    }

    fn cpu_time(&self) -> Option<(u64, u64)> {
        crate::stub::process_cpu_time(self.sh.pid)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
