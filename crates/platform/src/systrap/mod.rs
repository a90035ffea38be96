//! The systrap platform: application code runs in stub processes that
//! trap their own syscalls with seccomp and hand them to the Sentry
//! through shared memory. No ptrace on the syscall, fault or signal path.
//!
//! # Processes and threads
//!
//! As for ptrace (`crate::ptrace`): one stub process per address space, one
//! stub thread per task thread, all running only the one-page stub
//! (`crate::stub`) besides application code. The master stub is forked
//! once from the Sentry and traced by the factory thread, which forks new
//! stub processes from it by ptrace injection, ahead of demand — set-up
//! only. A factory hook gives each fork the registers that send it into the
//! stub's systrap thread set-up, and allocates its first slot.
//!
//! # Slots and message pages
//!
//! Each stub thread owns a slot (`layout.rs`): 32 KiB of MemoryFile frames
//! mapped at a fixed address below the stub page (slot i of every process
//! at the same place; the application's address space ends below the
//! slots). Page 0 is the message page shared with the Sentry (a state word
//! used as a futex, sleeping flags, the signal, the frame's address,
//! fs/gs base, requests and their results); the rest is the thread's
//! `sigaltstack`, so the kernel writes each signal frame — general
//! registers, siginfo and the XSAVE area — into MemoryFile frames, where
//! the Sentry reads and edits it in place: registers and FP state never
//! get copied by the stub.
//!
//! # The stub side
//!
//! A new stub thread maps its slot, records its tid with
//! `set_tid_address` (so the kernel zeroes it when the thread ends and the
//! slot can be reused), sets its signal stack and mask and, if it is the
//! first thread of a process, installs the handler for SIGSYS, SIGSEGV,
//! SIGBUS, SIGFPE, SIGILL, SIGTRAP and the interrupt signal (SIGURG) with
//! SA_SIGINFO | SA_ONSTACK, sets no_new_privs and installs the seccomp
//! filter (`filter.rs`): syscalls from the stub page that the stub itself
//! makes pass; everything else traps. Then it executes `ud2`, which enters
//! the handler like any later trap.
//!
//! The handler stores the signal and the frame's address in its message
//! page (found from the stack pointer: slots are aligned), the fs/gs base
//! if FSGSBASE is usable, sets the state to EVENT, wakes the Sentry only if
//! it sleeps, and waits — spinning on the state word for a TSC budget,
//! then FUTEX_WAIT. On REQUEST it runs the batch of host syscalls in the
//! message page (mmap/munmap/mprotect of MemoryFile frames, clone of a new
//! stub thread, exit) and reports DONE; on RUN it loads fs/gs base if asked
//! and returns to the application with `rt_sigreturn` on the edited frame.
//! The application's signal mask on the host blocks everything but the
//! handled signals; the handler's `sa_mask` also blocks the interrupt
//! signal, so an interrupt sent while the thread is stopped waits until it
//! runs the application again, then stops it at once.
//!
//! # The Sentry side
//!
//! `Context::switch` writes the registers into the frame (and the FP state
//! when it changed or the stub thread did), posts RUN, and waits for the
//! next EVENT — spinning ~20 µs (RVISOR_SPIN_US), then FUTEX_WAIT with a
//! timeout after which it checks the stub thread still exists. It reads
//! the registers back and classifies the signal: SIGSYS from seccomp is a
//! syscall (number from `si_syscall`, `rax` = -ENOSYS as under
//! PTRACE_SYSEMU), SIGSEGV/SIGBUS with a fault code a fault, other traps a
//! signal, anything else an interruption. `AddressSpace` operations are
//! requests through the calling host thread's own stub thread in that
//! address space (`slots.rs`), parked in its handler because its task is
//! in the Sentry. A thread-local table maps address spaces to stub threads;
//! a host thread without one claims an idle one (a fresh process's first
//! thread, or one `prepare_thread` cloned).
//!
//! # Lifetime
//!
//! Stubs die with the Sentry: the master with the factory thread
//! (PTRACE_O_EXITKILL, PR_SET_PDEATHSIG), every stub process and thread
//! with the master (PR_SET_PDEATHSIG from its first instructions). A
//! dropped address space SIGKILLs its process; its slot frames are freed
//! once the process is gone (`Graveyard`), since a dying thread may still
//! write its message page.
//!
//! # Trust
//!
//! The slots are writable by the application (they are in its address
//! space), so the Sentry treats them as untrusted input: addresses are
//! bounds-checked against the slot, and a forged message can only garble
//! the forging application's own registers or mappings. The application can
//! also jump into the stub page and reach the syscalls the filter allows
//! from there — the stub's own, with clone, prctl and arch_prctl pinned to
//! the stub's arguments. mmap of the MemoryFile fd is among them, so a
//! hostile application could map frames of other processes in the same
//! sandbox: acceptable between processes of one sandbox, not across
//! sandboxes (each has its own MemoryFile). ptrace, which intercepts every
//! syscall, does not have this gap.

mod aspace;
mod context;
mod filter;
pub(crate) mod layout;
mod slots;
mod thread;

use crate::ptrace::factory::{ChildSetup, Factory, Prepare};
use crate::stub::StubPage;
use crate::{AddressSpace, Context, Error, Platform, Result};
use layout as msg;
use memory::MemoryFile;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What every address space of the platform shares.
#[derive(Debug)]
pub(crate) struct Config {
    page: StubPage,
    mf: Arc<MemoryFile>,
    memfd: i32,
    /// rd/wr{fs,gs}base are enabled for user space.
    fsgsbase: bool,
    spin: Spin,
    /// The seccomp filter, as `struct sock_filter` bytes.
    filter: Vec<u8>,
    graveyard: aspace::Graveyard,
}

/// Spin budgets before sleeping, in TSC ticks: the most the Sentry and a
/// stub spin (RVISOR_SPIN_US, RVISOR_STUB_SPIN_US; default 20 µs each), and
/// the least they spin when spinning keeps failing to help.
#[derive(Debug)]
pub(crate) struct Spin {
    sentry_max: u64,
    stub_max: u64,
    min: u64,
}

impl Spin {
    fn from_env() -> Spin {
        let us = |var: &str| -> u64 {
            std::env::var(var)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(20)
        };
        let tsc = tsc_per_us();
        Spin {
            sentry_max: us("RVISOR_SPIN_US") * tsc,
            stub_max: us("RVISOR_STUB_SPIN_US") * tsc,
            min: 2 * tsc,
        }
    }
}

#[derive(Debug)]
pub struct SystrapPlatform {
    cfg: Arc<Config>,
    factory: Factory,
    next_id: AtomicU64,
}

fn rdtsc() -> u64 {
    // SAFETY: rdtsc has no memory effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// TSC ticks per microsecond, measured against the monotonic clock.
fn tsc_per_us() -> u64 {
    let (t0, i0) = (rdtsc(), std::time::Instant::now());
    std::thread::sleep(std::time::Duration::from_millis(2));
    let (t1, ns) = (rdtsc(), i0.elapsed().as_nanos() as u64);
    (t1.wrapping_sub(t0).saturating_mul(1000) / ns.max(1)).max(1)
}

/// Whether the kernel lets user space use rd/wr{fs,gs}base (HWCAP2_FSGSBASE).
fn fsgsbase_usable() -> bool {
    // SAFETY: getauxval only reads the auxiliary vector.
    unsafe { libc::getauxval(libc::AT_HWCAP2) & 2 != 0 }
}

/// Fill a slot's message page before its thread starts; `process`: it is
/// the first thread of a new process (handler and filter to install).
fn init_message(cfg: &Config, frame: u64, addr: u64, process: bool) -> Result<()> {
    let mut page = vec![0u8; abi::PAGE_SIZE as usize];
    let put = |p: &mut [u8], off: u64, b: &[u8]| {
        p[off as usize..off as usize + b.len()].copy_from_slice(b)
    };
    put(&mut page, msg::SPIN, &cfg.spin.stub_max.to_le_bytes());
    put(&mut page, msg::FSGS, &(cfg.fsgsbase as u32).to_le_bytes());
    if process {
        let flags = libc::SA_SIGINFO as u64 | abi::signal::SA_ONSTACK | abi::signal::SA_RESTORER;
        for (i, v) in [
            cfg.page.systrap_handler,
            flags,
            cfg.page.systrap_restorer,
            msg::HANDLER_MASK,
        ]
        .iter()
        .enumerate()
        {
            put(&mut page, msg::SIGACT + i as u64 * 8, &v.to_le_bytes());
        }
        put(&mut page, msg::FILTER, &cfg.filter);
        put(
            &mut page,
            msg::FPROG,
            &((cfg.filter.len() / 8) as u16).to_le_bytes(),
        );
        put(
            &mut page,
            msg::FPROG + 8,
            &(addr + msg::FILTER).to_le_bytes(),
        );
    }
    cfg.mf
        .write(frame, &page)
        .map_err(|e| Error::Host(format!("message page: {e}")))
}

/// The factory hook: a slot for the first thread of the next stub process.
fn prepare_process(cfg: &Config) -> Result<ChildSetup> {
    let frame = cfg
        .mf
        .allocate(msg::SLOT_SIZE)
        .map_err(|e| Error::Host(format!("stub slot: {e}")))?;
    let addr = msg::slot_addr(cfg.page.addr, 0);
    init_message(cfg, frame, addr, true)?;
    Ok(ChildSetup {
        token: frame,
        r13: addr,
        r14: frame,
        r15: msg::INIT_PROCESS,
        rbp: cfg.memfd as u64,
    })
}

impl SystrapPlatform {
    /// Start the platform for the sandbox's MemoryFile.
    pub fn new(mf: Arc<MemoryFile>) -> Result<SystrapPlatform> {
        let page = crate::stub::page().map_err(Error::Host)?;
        let insns = filter::build(page.addr, aspace::THREAD_FLAGS).map_err(Error::Host)?;
        if insns.len() > msg::MAX_FILTER {
            return Err(Error::Host(
                "seccomp filter too long for the message page".into(),
            ));
        }
        let memfd = mf.fd();
        let cfg = Arc::new(Config {
            page,
            mf,
            memfd,
            fsgsbase: fsgsbase_usable(),
            spin: Spin::from_env(),
            filter: insns.iter().flat_map(|i| i.to_bytes()).collect(),
            graveyard: aspace::Graveyard::default(),
        });
        let c = cfg.clone();
        let prepare: Prepare = Box::new(move || prepare_process(&c));
        let factory = Factory::start(page, memfd, Some(prepare))?;
        Ok(SystrapPlatform {
            cfg,
            factory,
            next_id: AtomicU64::new(1),
        })
    }
}

impl Platform for SystrapPlatform {
    fn name(&self) -> &'static str {
        "systrap"
    }

    fn new_address_space(&self) -> Result<Arc<dyn AddressSpace>> {
        slots::collect_dead();
        self.cfg.graveyard.sweep(&self.cfg.mf);
        let (pid, frame) = self.factory.new_process()?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        Ok(Arc::new(aspace::SystrapAddressSpace::new(
            id,
            self.cfg.clone(),
            pid,
            self.factory.master,
            frame,
        )))
    }

    fn new_context(&self) -> Box<dyn Context> {
        Box::new(context::SystrapContext::default())
    }

    fn max_user_address(&self) -> u64 {
        msg::slots_base(self.cfg.page.addr)
    }
}
