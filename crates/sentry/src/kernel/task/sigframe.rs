//! The x86-64 signal frame (`struct rt_sigframe`), exactly as Linux lays it
//! out, so glibc, Go and JITs that inspect or edit the ucontext work.
//!
//! ```text
//! higher addresses
//!   XSAVE area (64-byte aligned), then FP_XSTATE_MAGIC2      <- uc_mcontext.fpstate
//!   struct rt_sigframe { pretcode; ucontext uc; siginfo info; } <- rsp at handler entry
//! ```

use super::Task;
use abi::signal::{
    KernelSigaction, SigInfo, SigSet, StackT, SA_ONSTACK, SA_RESTORER, SS_AUTODISARM, SS_DISABLE,
    SS_ONSTACK,
};
use abi::{Errno, Regs};
use zerocopy::{FromBytes, IntoBytes};

/// Size of `struct rt_sigframe` (pretcode 8 + ucontext 304 + siginfo 128).
pub const FRAME_SIZE: u64 = 440;
const UC_OFF: u64 = 8;
const MCONTEXT_OFF: u64 = UC_OFF + 40;
const SIGMASK_OFF: u64 = UC_OFF + 296;
const INFO_OFF: u64 = UC_OFF + 304;

const UC_FP_XSTATE: u64 = 1;
const UC_SIGCONTEXT_SS: u64 = 2;
const UC_STRICT_RESTORE_SS: u64 = 4;

const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
/// Offset of the software-reserved bytes in the FXSAVE area.
const SW_RESERVED: usize = 464;

/// EFLAGS bits a signal handler may change through the ucontext.
const FIX_EFLAGS: u64 = 0x50dd5;

/// `struct sigcontext` for x86-64.
#[repr(C)]
#[derive(
    Clone, Copy, Default, Debug, FromBytes, IntoBytes, zerocopy::Immutable, zerocopy::KnownLayout,
)]
pub struct SigContext {
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rsp: u64,
    pub rip: u64,
    pub eflags: u64,
    pub cs: u16,
    pub gs: u16,
    pub fs: u16,
    pub ss: u16,
    pub err: u64,
    pub trapno: u64,
    pub oldmask: u64,
    pub cr2: u64,
    pub fpstate: u64,
    pub reserved: [u64; 8],
}

impl SigContext {
    fn from_regs(r: &Regs, mask: SigSet, cr2: u64, trapno: u64, fpstate: u64) -> SigContext {
        SigContext {
            r8: r.r8,
            r9: r.r9,
            r10: r.r10,
            r11: r.r11,
            r12: r.r12,
            r13: r.r13,
            r14: r.r14,
            r15: r.r15,
            rdi: r.rdi,
            rsi: r.rsi,
            rbp: r.rbp,
            rbx: r.rbx,
            rdx: r.rdx,
            rax: r.rax,
            rcx: r.rcx,
            rsp: r.rsp,
            rip: r.rip,
            eflags: r.eflags,
            cs: Regs::USER_CS as u16,
            gs: 0,
            fs: 0,
            ss: Regs::USER_SS as u16,
            err: 0,
            trapno,
            oldmask: mask.0,
            cr2,
            fpstate,
            reserved: [0; 8],
        }
    }
}

/// The sigaltstack state as a frame records it (`uc_stack`).
fn saved_altstack(t: &Task, sp: u64) -> StackT {
    let mut s = t.altstack;
    s.flags = if t.altstack.flags & SS_DISABLE != 0 || t.altstack.size == 0 {
        SS_DISABLE
    } else if on_altstack(&t.altstack, sp) {
        SS_ONSTACK
    } else {
        t.altstack.flags & SS_AUTODISARM
    };
    s
}

pub fn on_altstack(s: &StackT, sp: u64) -> bool {
    s.flags & SS_DISABLE == 0 && s.size != 0 && sp > s.sp && sp - s.sp <= s.size
}

/// The trap number Linux reports for a synchronous signal.
fn trapno(sig: i32) -> u64 {
    match sig {
        abi::signal::SIGSEGV | abi::signal::SIGBUS => 14,
        abi::signal::SIGFPE => 0,
        abi::signal::SIGILL => 6,
        abi::signal::SIGTRAP => 3,
        _ => 0,
    }
}

impl Task {
    /// Build a frame for `info` and point the registers at `act`'s handler.
    /// `mask` is the signal mask to save (restored by rt_sigreturn).
    pub fn setup_frame(
        &mut self,
        info: &SigInfo,
        act: &KernelSigaction,
        mask: SigSet,
    ) -> Result<(), Errno> {
        if act.flags & SA_RESTORER == 0 {
            // x86-64 has no default restorer: Linux fails the delivery.
            return Err(Errno::EFAULT);
        }
        self.ctx.sync_fp(&mut self.fp).map_err(|_| Errno::EFAULT)?;
        let regs = self.regs;
        let mut sp = regs.rsp;
        let uc_stack = saved_altstack(self, sp);
        if act.flags & SA_ONSTACK != 0
            && self.altstack.flags & SS_DISABLE == 0
            && self.altstack.size != 0
            && !on_altstack(&self.altstack, sp)
        {
            sp = self.altstack.sp.wrapping_add(self.altstack.size);
            if self.altstack.flags & SS_AUTODISARM != 0 {
                self.altstack = StackT {
                    flags: SS_DISABLE,
                    ..Default::default()
                };
            }
        } else {
            // Skip the red zone.
            sp = sp.wrapping_sub(128);
        }
        let xsave = self.fp.bytes().to_vec();
        let xlen = xsave.len() as u64;
        sp = sp.wrapping_sub(xlen + 4) & !63;
        let fp_addr = sp;
        sp = (sp.wrapping_sub(FRAME_SIZE) & !15).wrapping_sub(8);
        let frame = sp;

        // FP state, with the software-reserved bytes that mark it as XSAVE.
        let mut fpbuf = xsave;
        let xfeatures = u64::from_le_bytes(
            fpbuf
                .get(512..520)
                .and_then(|b| b.try_into().ok())
                .unwrap_or([0; 8]),
        );
        if fpbuf.len() >= SW_RESERVED + 24 {
            fpbuf[SW_RESERVED..SW_RESERVED + 4].copy_from_slice(&FP_XSTATE_MAGIC1.to_le_bytes());
            fpbuf[SW_RESERVED + 4..SW_RESERVED + 8]
                .copy_from_slice(&((xlen + 4) as u32).to_le_bytes());
            fpbuf[SW_RESERVED + 8..SW_RESERVED + 16]
                .copy_from_slice(&xfeatures.max(3).to_le_bytes());
            fpbuf[SW_RESERVED + 16..SW_RESERVED + 20].copy_from_slice(&(xlen as u32).to_le_bytes());
        }
        fpbuf.extend_from_slice(&FP_XSTATE_MAGIC2.to_le_bytes());
        self.mm.write_bytes(fp_addr, &fpbuf)?;

        let mut f = vec![0u8; FRAME_SIZE as usize];
        f[0..8].copy_from_slice(&act.restorer.to_le_bytes());
        let uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
        f[8..16].copy_from_slice(&uc_flags.to_le_bytes());
        f[24..48].copy_from_slice(uc_stack.as_bytes());
        let cr2 = if matches!(info.signo, abi::signal::SIGSEGV | abi::signal::SIGBUS) {
            info.addr()
        } else {
            0
        };
        let sc = SigContext::from_regs(&regs, mask, cr2, trapno(info.signo), fp_addr);
        f[MCONTEXT_OFF as usize..MCONTEXT_OFF as usize + 256].copy_from_slice(sc.as_bytes());
        f[SIGMASK_OFF as usize..SIGMASK_OFF as usize + 8].copy_from_slice(&mask.0.to_le_bytes());
        f[INFO_OFF as usize..INFO_OFF as usize + 128].copy_from_slice(info.as_bytes());
        self.mm.write_bytes(frame, &f)?;

        let r = &mut self.regs;
        r.rsp = frame;
        r.rip = act.handler;
        r.rdi = info.signo as u64;
        r.rsi = frame + INFO_OFF;
        r.rdx = frame + UC_OFF;
        r.rax = 0;
        r.eflags &= !(0x400 | 0x100 | 0x10000); // DF, TF, RF
        r.cs = Regs::USER_CS;
        r.ss = Regs::USER_SS;
        // The handler starts with a clean FPU, as on Linux.
        self.fp = platform::FpState::initial();
        Ok(())
    }

    /// rt_sigreturn: restore what `setup_frame` saved.
    pub fn sigreturn(&mut self) -> Result<(), Errno> {
        let frame = self.regs.rsp.wrapping_sub(8);
        let mut f = vec![0u8; FRAME_SIZE as usize];
        self.mm.read_bytes(frame, &mut f)?;
        let sc =
            SigContext::read_from_bytes(&f[MCONTEXT_OFF as usize..MCONTEXT_OFF as usize + 256])
                .map_err(|_| Errno::EFAULT)?;
        let mask = u64::from_le_bytes(
            f[SIGMASK_OFF as usize..SIGMASK_OFF as usize + 8]
                .try_into()
                .map_err(|_| Errno::EFAULT)?,
        );
        let uc_stack = StackT::read_from_bytes(&f[24..48]).map_err(|_| Errno::EFAULT)?;
        let old = self.regs;
        let r = &mut self.regs;
        r.r8 = sc.r8;
        r.r9 = sc.r9;
        r.r10 = sc.r10;
        r.r11 = sc.r11;
        r.r12 = sc.r12;
        r.r13 = sc.r13;
        r.r14 = sc.r14;
        r.r15 = sc.r15;
        r.rdi = sc.rdi;
        r.rsi = sc.rsi;
        r.rbp = sc.rbp;
        r.rbx = sc.rbx;
        r.rdx = sc.rdx;
        r.rax = sc.rax;
        r.rcx = sc.rcx;
        r.rsp = sc.rsp;
        r.rip = sc.rip;
        r.eflags = (old.eflags & !FIX_EFLAGS) | (sc.eflags & FIX_EFLAGS);
        r.cs = Regs::USER_CS;
        r.ss = Regs::USER_SS;
        r.orig_rax = u64::MAX;
        self.set_sigmask(SigSet(mask));
        // Restore the alternate stack settings as sigaltstack would (errors ignored, as Linux).
        if !on_altstack(&self.altstack, old.rsp) {
            let mut s = uc_stack;
            s.flags &= SS_DISABLE | SS_AUTODISARM;
            if s.flags & SS_DISABLE != 0 {
                s = StackT {
                    flags: SS_DISABLE,
                    ..Default::default()
                };
            }
            if s.flags & SS_DISABLE != 0 || s.size >= abi::signal::MINSIGSTKSZ {
                self.altstack = s;
            }
        }
        if sc.fpstate == 0 {
            self.fp = platform::FpState::initial();
        } else {
            let mut buf = vec![0u8; self.fp.bytes().len()];
            self.mm.read_bytes(sc.fpstate, &mut buf)?;
            let magic = u32::from_le_bytes(
                buf[SW_RESERVED..SW_RESERVED + 4]
                    .try_into()
                    .unwrap_or([0; 4]),
            );
            if magic != FP_XSTATE_MAGIC1 {
                // A legacy FXSAVE-only image: keep the x87/SSE part, reset the rest.
                for b in &mut buf[512..] {
                    *b = 0;
                }
                buf[512..520].copy_from_slice(&3u64.to_le_bytes());
            }
            buf[SW_RESERVED..512].iter_mut().for_each(|b| *b = 0);
            self.fp.set_bytes(&buf);
        }
        self.keep_regs = true;
        Ok(())
    }
}
