//! One systrap stub thread as the Sentry sees it: its slot, and the
//! message-page protocol (`layout.rs`) spoken with its handler.
//!
//! Everything read from a slot is untrusted: the slot is mapped writable in
//! the application's address space, so the application can scribble on it.
//! Addresses are bounds-checked against the slot; a garbled message can
//! hurt only the application that garbled it.

use super::aspace::Shared;
use super::layout::{self as msg, SLOT_SIZE};
use crate::ptrace::sys::Pid;
use crate::{Error, Exit, FpState, Result};
use abi::signal::SigInfo;
use abi::{Errno, Regs, PAGE_SIZE};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// Where the XSAVE area of a thread's current signal frame is.
#[derive(Clone, Copy, Debug)]
pub struct FpLoc {
    /// MemoryFile offset.
    pub off: u64,
    /// Bytes of it the kernel reads back on `rt_sigreturn`.
    pub len: usize,
    /// The state components the frame may hold (XSTATE_BV must stay inside).
    pub xfeatures: u64,
}

#[derive(Debug)]
pub struct StubThread {
    pub tid: Pid,
    pub slot: u32,
    /// The slot's address in the stub process.
    pub addr: u64,
    /// The slot's MemoryFile offset.
    pub frame: u64,
    /// fs/gs base last loaded into the thread (None: unknown).
    fs_base: Option<u64>,
    gs_base: Option<u64>,
    /// Waiting in its handler, with a frame we have located.
    parked: bool,
    /// MemoryFile offset of the current frame's ucontext.
    uc: u64,
    pub fp: Option<FpLoc>,
    /// Spin budgets (TSC ticks) of the Sentry and of the stub, adapted
    /// to what spinning achieves (`adapt`).
    sentry_spin: u64,
    stub_spin: u64,
}

/// `SECCOMP_RET_TRAP`'s si_code.
const SYS_SECCOMP: i32 = 1;
/// x86-64 `FUTEX_WAIT`/`FUTEX_WAKE` on a shared (non-private) word.
const FUTEX_WAIT: i32 = 0;
const FUTEX_WAKE: i32 = 1;
/// How long the Sentry sleeps before it checks the stub thread is alive.
const LIVENESS: Duration = Duration::from_millis(200);

fn rdtsc() -> u64 {
    // SAFETY: rdtsc has no memory effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Halve a spin budget that only delayed the other side — it could not
/// run until the spin ended (it shares our CPU) — and double one after
/// which the other side reacted promptly.
fn adjust(spin: u64, delay: i64, min: u64, max: u64) -> u64 {
    let d = delay.max(0) as u64;
    if d >= spin - spin / 8 {
        (spin / 2).max(min)
    } else if d < spin / 2 {
        (spin * 2).clamp(min, max)
    } else {
        spin
    }
}

fn host(e: Errno, what: &str) -> Error {
    Error::Host(format!("{what}: {e}"))
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(w)
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[off..off + 4]);
    u32::from_le_bytes(w)
}

/// `struct sigcontext` register order, as `Regs` fields.
fn regs_from_sigcontext(sc: &[u8], r: &mut Regs) {
    let g = |i: usize| u64_at(sc, i * 8);
    r.r8 = g(0);
    r.r9 = g(1);
    r.r10 = g(2);
    r.r11 = g(3);
    r.r12 = g(4);
    r.r13 = g(5);
    r.r14 = g(6);
    r.r15 = g(7);
    r.rdi = g(8);
    r.rsi = g(9);
    r.rbp = g(10);
    r.rbx = g(11);
    r.rdx = g(12);
    r.rax = g(13);
    r.rcx = g(14);
    r.rsp = g(15);
    r.rip = g(16);
    r.eflags = g(17);
    r.cs = u16::from_le_bytes([sc[144], sc[145]]) as u64;
    r.ss = u16::from_le_bytes([sc[150], sc[151]]) as u64;
}

/// The general registers of `struct sigcontext` (r8 … eflags).
fn sigcontext_gregs(r: &Regs) -> [u8; 144] {
    let vals = [
        r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rdi, r.rsi, r.rbp, r.rbx, r.rdx,
        r.rax, r.rcx, r.rsp, r.rip, r.eflags,
    ];
    let mut b = [0u8; 144];
    for (i, v) in vals.iter().enumerate() {
        b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
    }
    b
}

fn siginfo_from(b: &[u8; 128]) -> SigInfo {
    let mut si = SigInfo {
        signo: u32_at(b, 0) as i32,
        errno: u32_at(b, 4) as i32,
        code: u32_at(b, 8) as i32,
        ..Default::default()
    };
    for (i, f) in si.fields.iter_mut().enumerate() {
        *f = u64_at(b, 16 + i * 8);
    }
    si
}

fn futex(w: &AtomicU32, op: i32, val: u32, timeout: Option<Duration>) -> i64 {
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs() as libc::time_t,
        tv_nsec: t.subsec_nanos() as libc::c_long,
    });
    let tsp = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: futex on a word of the MemoryFile mapping, which outlives the
    // call; `tsp` is null or points at a live timespec.
    unsafe { libc::syscall(libc::SYS_futex, w.as_ptr(), op, val, tsp, 0usize, 0u32) }
}

/// Whether a stub thread still exists (signal 0 checks without sending).
pub fn thread_alive(pid: Pid, tid: Pid) -> bool {
    // SAFETY: plain syscall with integer arguments.
    let r = unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, 0) };
    r == 0 || Errno::last() != Errno::ESRCH
}

impl StubThread {
    pub fn new(tid: Pid, slot: u32, addr: u64, frame: u64, spin: &super::Spin) -> StubThread {
        StubThread {
            tid,
            slot,
            addr,
            frame,
            fs_base: None,
            gs_base: None,
            parked: false,
            uc: 0,
            fp: None,
            sentry_spin: spin.sentry_max,
            stub_spin: spin.stub_max,
        }
    }

    fn word<'a>(&self, sh: &'a Shared, off: u64) -> Result<&'a AtomicU32> {
        sh.cfg
            .mf
            .atomic_u32(self.frame + off)
            .map_err(|e| host(e, "message page"))
    }

    fn read(&self, sh: &Shared, off: u64, buf: &mut [u8]) -> Result<()> {
        sh.cfg
            .mf
            .read(off, buf)
            .map_err(|e| host(e, "read stub frame"))
    }

    fn write(&self, sh: &Shared, off: u64, buf: &[u8]) -> Result<()> {
        sh.cfg
            .mf
            .write(off, buf)
            .map_err(|e| host(e, "write stub frame"))
    }

    fn read_u64(&self, sh: &Shared, off: u64) -> Result<u64> {
        let mut b = [0u8; 8];
        self.read(sh, self.frame + off, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn write_u64(&self, sh: &Shared, off: u64, v: u64) -> Result<()> {
        self.write(sh, self.frame + off, &v.to_le_bytes())
    }

    /// Hand the thread a new state and wake it if it sleeps. Returns the
    /// TSC just before, and whether it had to be woken.
    fn post(&self, sh: &Shared, state: u32) -> Result<(u64, bool)> {
        let st = self.word(sh, msg::STATE)?;
        let at = rdtsc();
        // The swap is a full barrier: the stub reads its sleeping flag's
        // store before our read, or sees the new state before it sleeps.
        st.swap(state, Ordering::SeqCst);
        let woke = self.word(sh, msg::STUB_SLEEPING)?.load(Ordering::SeqCst) != 0;
        if woke {
            futex(st, FUTEX_WAKE, 1, None);
        }
        Ok((at, woke))
    }

    /// Wait until the thread reports `want`: spin for `spin` TSC ticks,
    /// then sleep. Returns whether it slept, and the TSC when it saw `want`.
    fn wait(&self, sh: &Shared, want: u32, spin: u64) -> Result<(bool, u64)> {
        let st = self.word(sh, msg::STATE)?;
        let start = rdtsc();
        loop {
            if st.load(Ordering::Acquire) == want {
                return Ok((false, rdtsc()));
            }
            if rdtsc().wrapping_sub(start) >= spin {
                break;
            }
            std::hint::spin_loop();
        }
        let sleeping = self.word(sh, msg::SENTRY_SLEEPING)?;
        loop {
            sleeping.swap(1, Ordering::SeqCst);
            let seen = st.load(Ordering::SeqCst);
            if seen == want {
                sleeping.store(0, Ordering::SeqCst);
                return Ok((true, rdtsc()));
            }
            let r = futex(st, FUTEX_WAIT, seen, Some(LIVENESS));
            sleeping.store(0, Ordering::SeqCst);
            if st.load(Ordering::Acquire) == want {
                return Ok((true, rdtsc()));
            }
            if r < 0 && Errno::last() == Errno::ETIMEDOUT && !thread_alive(sh.pid, self.tid) {
                return Err(Error::Dead(format!("stub thread {} is gone", self.tid)));
            }
        }
    }

    /// Post `state`, wait for `want`, and adapt both spin budgets to what
    /// this exchange showed (`running` is set meanwhile, for interrupts).
    fn handoff(
        &mut self,
        sh: &Shared,
        state: u32,
        want: u32,
        running: Option<&AtomicU64>,
    ) -> Result<()> {
        self.write_u64(sh, msg::SPIN, self.stub_spin)?;
        if let Some(r) = running {
            r.store(
                ((sh.pid as u64) << 32) | self.tid as u32 as u64,
                Ordering::SeqCst,
            );
        }
        let r = self
            .post(sh, state)
            .and_then(|(at, woke)| Ok((at, woke, self.wait(sh, want, self.sentry_spin)?)));
        if let Some(r) = running {
            r.store(0, Ordering::SeqCst);
        }
        let (posted, woke, (slept, seen)) = r?;
        let sp = &sh.cfg.spin;
        if !woke {
            // The stub was spinning: how long it took to see our post.
            let resumed = self.read_u64(sh, msg::RESUME_TSC)?;
            let delay = resumed.wrapping_sub(posted) as i64;
            self.sentry_spin = adjust(
                self.sentry_spin,
                delay,
                sp.min.min(sp.sentry_max),
                sp.sentry_max,
            );
        }
        if !slept {
            // We were spinning: how long we took to see its report.
            let reported = self.read_u64(sh, msg::EVENT_TSC)?;
            let delay = seen.wrapping_sub(reported) as i64;
            self.stub_spin = adjust(self.stub_spin, delay, sp.min.min(sp.stub_max), sp.stub_max);
        }
        Ok(())
    }

    /// Read the report the thread just made: where its frame is, the
    /// signal, the siginfo and the saved registers.
    fn read_event(&mut self, sh: &Shared) -> Result<(i32, [u8; msg::SIGCONTEXT_SIZE], SigInfo)> {
        let mut head = [0u8; 32];
        self.read(sh, self.frame, &mut head)?;
        let signo = u32_at(&head, msg::SIGNO as usize) as i32;
        let uc = u64_at(&head, msg::UC as usize);
        let lo = self.addr + PAGE_SIZE;
        let hi = self.addr + SLOT_SIZE;
        if uc < lo || uc > hi - (msg::UC_INFO + 128) {
            return Err(Error::Host(format!(
                "stub thread {}: frame at {uc:#x} outside its slot",
                self.tid
            )));
        }
        self.uc = self.frame + (uc - self.addr);
        let mut sc = [0u8; msg::SIGCONTEXT_SIZE];
        self.read(sh, self.uc + msg::UC_MCONTEXT, &mut sc)?;
        let mut info = [0u8; 128];
        self.read(sh, self.uc + msg::UC_INFO, &mut info)?;
        self.fp = self.locate_fp(sh, u64_at(&sc, msg::SC_FPSTATE))?;
        self.parked = true;
        Ok((signo, sc, siginfo_from(&info)))
    }

    /// The XSAVE area the kernel saved with the frame, if it is inside the slot.
    fn locate_fp(&self, sh: &Shared, addr: u64) -> Result<Option<FpLoc>> {
        let end = self.addr + SLOT_SIZE;
        if addr < self.addr + PAGE_SIZE || addr.saturating_add(512) > end {
            return Ok(None);
        }
        let off = self.frame + (addr - self.addr);
        let mut sw = [0u8; 48];
        self.read(sh, off + 464, &mut sw)?;
        const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
        let (len, xfeatures) = if u32_at(&sw, 0) == FP_XSTATE_MAGIC1 {
            (u32_at(&sw, 16) as u64, u64_at(&sw, 8))
        } else {
            (512, 3)
        };
        let len = len.clamp(512, end - addr) as usize;
        Ok(Some(FpLoc {
            off,
            len,
            xfeatures,
        }))
    }

    /// Wait for a new thread's first report (it traps once set up).
    fn await_ready(&mut self, sh: &Shared) -> Result<()> {
        self.wait(sh, msg::ST_EVENT, self.sentry_spin)?;
        self.read_event(sh)?;
        Ok(())
    }

    /// Run host syscalls in the stub process through this (parked) thread.
    pub fn requests(&mut self, sh: &Shared, reqs: &[(i64, [u64; 6])]) -> Result<Vec<i64>> {
        if !self.parked {
            self.await_ready(sh)?;
        }
        let mut out = Vec::with_capacity(reqs.len());
        for chunk in reqs.chunks(msg::MAX_REQS) {
            let mut buf = vec![0u8; chunk.len() * msg::REQ_SIZE as usize];
            for (i, (nr, args)) in chunk.iter().enumerate() {
                let r = &mut buf[i * msg::REQ_SIZE as usize..];
                r[0..8].copy_from_slice(&nr.to_le_bytes());
                for (j, a) in args.iter().enumerate() {
                    r[8 + j * 8..16 + j * 8].copy_from_slice(&a.to_le_bytes());
                }
            }
            self.write(sh, self.frame + msg::REQS, &buf)?;
            self.write(
                sh,
                self.frame + msg::NREQ,
                &(chunk.len() as u32).to_le_bytes(),
            )?;
            self.handoff(sh, msg::ST_REQUEST, msg::ST_DONE, None)?;
            self.read(sh, self.frame + msg::REQS, &mut buf)?;
            for i in 0..chunk.len() {
                out.push(u64_at(&buf, i * msg::REQ_SIZE as usize + 56) as i64);
            }
        }
        Ok(out)
    }

    /// Registers a thread made by a `clone` request starts with.
    pub fn set_child_regs(&self, sh: &Shared, regs: [u64; 5]) -> Result<()> {
        let mut b = [0u8; 40];
        for (i, v) in regs.iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        self.write(sh, self.frame + msg::CHILD, &b)
    }

    /// Run the application with `regs` until it traps; `load_fp` writes
    /// `fp` into the frame first. `running` is set while it runs.
    pub fn run(
        &mut self,
        sh: &Shared,
        regs: &mut Regs,
        fp: &FpState,
        load_fp: bool,
        running: &AtomicU64,
    ) -> Result<Exit> {
        if !self.parked {
            self.await_ready(sh)?;
        }
        self.write(sh, self.uc + msg::UC_MCONTEXT, &sigcontext_gregs(regs))?;
        let mut flags = 0;
        if self.fs_base != Some(regs.fs_base) {
            self.write_u64(sh, msg::FSBASE, regs.fs_base)?;
            self.fs_base = Some(regs.fs_base);
            flags |= msg::FLAG_SET_FS;
        }
        if self.gs_base != Some(regs.gs_base) {
            self.write_u64(sh, msg::GSBASE, regs.gs_base)?;
            self.gs_base = Some(regs.gs_base);
            flags |= msg::FLAG_SET_GS;
        }
        if flags != 0 {
            self.write(sh, self.frame + msg::FLAGS, &flags.to_le_bytes())?;
        }
        if load_fp {
            self.write_fp(sh, fp)?;
        }
        self.parked = false;
        self.handoff(sh, msg::ST_RUN, msg::ST_EVENT, Some(running))?;
        let (signo, sc, si) = self.read_event(sh)?;
        regs_from_sigcontext(&sc, regs);
        if sh.cfg.fsgsbase {
            // The application may have changed them with wr{fs,gs}base.
            regs.fs_base = self.read_u64(sh, msg::FSBASE)?;
            regs.gs_base = self.read_u64(sh, msg::GSBASE)?;
            self.fs_base = Some(regs.fs_base);
            self.gs_base = Some(regs.gs_base);
        }
        regs.orig_rax = u64::MAX;
        let page = sh.cfg.page.addr;
        if signo != libc::SIGSYS && (page..page + PAGE_SIZE).contains(&regs.rip) {
            // The stub itself trapped (say, rt_sigreturn refused the frame):
            // the application's state is lost.
            return Err(Error::Host(format!(
                "stub thread {} trapped in stub code: signal {signo} at {:#x} ({si:?})",
                self.tid, regs.rip
            )));
        }
        Ok(match signo {
            libc::SIGSYS if si.code == SYS_SECCOMP => {
                // _sigsys: call_addr (fields[0]), syscall and arch (fields[1]).
                regs.orig_rax = si.fields[1] as u32 as i32 as i64 as u64;
                // The kernel rolled rax back to the number; report it as
                // PTRACE_SYSEMU does.
                regs.rax = -(libc::ENOSYS as i64) as u64;
                Exit::Syscall
            }
            libc::SIGSEGV | libc::SIGBUS if si.code > 0 && si.code < abi::signal::SI_KERNEL => {
                Exit::Fault(si)
            }
            libc::SIGSEGV | libc::SIGBUS | libc::SIGFPE | libc::SIGILL | libc::SIGTRAP
                if si.code > 0 =>
            {
                Exit::Signal(si)
            }
            _ => Exit::Interrupted,
        })
    }

    /// Load `fp` into the frame's XSAVE area, keeping what the kernel
    /// checks on `rt_sigreturn` valid: its software bytes, XSTATE_BV within
    /// the frame's features, a standard-format header, MXCSR within mask.
    fn write_fp(&self, sh: &Shared, fp: &FpState) -> Result<()> {
        let Some(loc) = self.fp else {
            return Err(Error::Host(format!(
                "stub thread {}: no FP state in its frame",
                self.tid
            )));
        };
        let src = fp.bytes();
        let n = src.len().min(loc.len);
        let mut buf = src[..n].to_vec();
        if n < 512 {
            return Err(Error::Host("FP state shorter than an FXSAVE area".into()));
        }
        let mut frame_head = [0u8; 512];
        self.read(sh, loc.off, &mut frame_head)?;
        buf[464..512].copy_from_slice(&frame_head[464..512]);
        let mask = match u32_at(&frame_head, 28) {
            0 => 0xffbf,
            m => m,
        };
        let mxcsr = u32_at(&buf, 24) & mask;
        buf[24..28].copy_from_slice(&mxcsr.to_le_bytes());
        if n >= 576 {
            let bv = u64_at(&buf, 512) & loc.xfeatures;
            buf[512..520].copy_from_slice(&bv.to_le_bytes());
            buf[520..576].fill(0);
        }
        self.write(sh, loc.off, &buf)
    }

    /// Copy the frame's XSAVE area (the application's FP state) into `fp`.
    pub fn read_fp(sh_mf: &memory::MemoryFile, loc: FpLoc, fp: &mut FpState) -> Result<()> {
        let buf = fp.buf_mut();
        let n = buf.len().min(loc.len);
        sh_mf
            .read(loc.off, &mut buf[..n])
            .map_err(|e| host(e, "read FP state"))
    }

    /// Ask the thread to end (host `exit`); returns at once.
    pub fn exit(self, sh: &Shared) {
        if !self.parked {
            // Running application code, or not yet set up: it ends with its process.
            return;
        }
        let mut req = [0u8; 8];
        req.copy_from_slice(&(libc::SYS_exit).to_le_bytes());
        let _ = self
            .write(sh, self.frame + msg::REQS, &req)
            .and_then(|_| self.write(sh, self.frame + msg::NREQ, &1u32.to_le_bytes()))
            .and_then(|_| self.post(sh, msg::ST_REQUEST));
    }
}
