//! Signal state: rt_sigaction, rt_sigprocmask, rt_sigpending, sigaltstack.
//!
//! These read and change the handler table ([`SigHand`]), the task's mask
//! and alternate stack; sending and delivering signals is the kernel's
//! (kernel/send.rs, kernel/task/signals.rs).
//!
//! [`SigHand`]: crate::kernel::signal::SigHand

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::Task;
use abi::signal::{
    KernelSigaction, SigSet, StackT, MINSIGSTKSZ, SA_EXPOSE_TAGBITS, SA_NOCLDSTOP, SA_NOCLDWAIT,
    SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTART, SA_RESTORER, SA_SIGINFO, SIGCHLD, SIGCONT,
    SIGKILL, SIGSTOP, SIGURG, SIGWINCH, SIG_DFL, SIG_IGN, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK,
};
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    t.add(
        sysno::RT_SIGACTION,
        sys_rt_sigaction,
        &[Arg::Signal, Arg::Ptr, Arg::Ptr, Arg::Int],
    );
    t.add(
        sysno::RT_SIGPROCMASK,
        sys_rt_sigprocmask,
        &[Arg::Int, Arg::Ptr, Arg::Ptr, Arg::Int],
    );
    t.add(
        sysno::RT_SIGPENDING,
        sys_rt_sigpending,
        &[Arg::Ptr, Arg::Int],
    );
    t.add(sysno::SIGALTSTACK, sys_sigaltstack, &[Arg::Ptr, Arg::Ptr]);
}

/// The size of the kernel's sigset_t, the only one these calls accept.
const SIGSET_SIZE: u64 = 8;
/// The sa_flags bits Linux knows; others are dropped so programs can probe.
const UAPI_SA_FLAGS: u64 = SA_NOCLDSTOP
    | SA_NOCLDWAIT
    | SA_SIGINFO
    | SA_ONSTACK
    | SA_RESTART
    | SA_NODEFER
    | SA_RESETHAND
    | SA_EXPOSE_TAGBITS
    | SA_RESTORER;

const SIG_BLOCK: i32 = 0;
const SIG_UNBLOCK: i32 = 1;
const SIG_SETMASK: i32 = 2;

/// SIGKILL and SIGSTOP: never caught, blocked or ignored.
fn unblockable() -> u64 {
    SigSet::bit(SIGKILL) | SigSet::bit(SIGSTOP)
}

/// Whether `handler` makes `sig` be discarded on arrival.
fn ignored(handler: u64, sig: i32) -> bool {
    handler == SIG_IGN
        || (handler == SIG_DFL && matches!(sig, SIGCONT | SIGCHLD | SIGWINCH | SIGURG))
}

fn sys_rt_sigaction(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (sig, act, oact) = (a.i32(0), a.u64(1), a.u64(2));
    if a.u64(3) != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let new = if act != 0 {
        Some(t.mm.read_obj::<KernelSigaction>(act)?)
    } else {
        None
    };
    if !(1..=64).contains(&sig) || (new.is_some() && (sig == SIGKILL || sig == SIGSTOP)) {
        return Err(Errno::EINVAL);
    }
    let sighand = t.tg.sighand();
    let old = {
        // Lock order: the group's signal state, then the handler table.
        let mut st = t.tg.sig.lock();
        let mut acts = sighand.actions.lock();
        let slot = acts.get_mut((sig - 1) as usize).ok_or(Errno::EINVAL)?;
        let mut old = *slot;
        old.flags &= UAPI_SA_FLAGS;
        if let Some(mut n) = new {
            n.flags &= UAPI_SA_FLAGS;
            n.mask &= !unblockable();
            *slot = n;
            // POSIX: ignoring a signal discards its pending instances.
            if ignored(n.handler, sig) {
                let set = SigSet(SigSet::bit(sig));
                st.shared.discard(set);
                for ts in st.tasks.values_mut() {
                    ts.pending.discard(set);
                }
            }
        }
        old
    };
    if oact != 0 {
        t.mm.write_obj(oact, &old)?;
    }
    Ok(0)
}

fn sys_rt_sigprocmask(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (how, set, oset) = (a.i32(0), a.u64(1), a.u64(2));
    if a.u64(3) != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let old = t.sigmask();
    if set != 0 {
        let new = SigSet(t.mm.read_obj::<u64>(set)?).blockable();
        let mask = match how {
            SIG_BLOCK => SigSet(old.0 | new.0),
            SIG_UNBLOCK => SigSet(old.0 & !new.0),
            SIG_SETMASK => new,
            _ => return Err(Errno::EINVAL),
        };
        t.set_sigmask(mask);
    }
    if oset != 0 {
        t.mm.write_obj(oset, &old.0)?;
    }
    Ok(0)
}

fn sys_rt_sigpending(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let size = a.u64(1);
    if size > SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    // Pending and blocked: an unblocked one would have been delivered.
    let blocked = t.sigmask();
    let pending = t.tg.sig.lock().pending(t.tid).0 & blocked.0;
    let bytes = pending.to_le_bytes();
    let n = size as usize;
    if n > 0 {
        t.mm.write_bytes(a.u64(0), bytes.get(..n).unwrap_or_default())?;
    }
    Ok(0)
}

/// Whether `sp` is on the task's alternate stack. An SS_AUTODISARM stack
/// never counts: it is disarmed while a handler runs on it.
fn on_sig_stack(s: &StackT, sp: u64) -> bool {
    s.flags & SS_AUTODISARM == 0 && sp > s.sp && sp - s.sp <= s.size
}

/// Linux's do_sigaltstack: report the alternate stack as seen from stack
/// pointer `sp`, then install `ss` if given. Also what rt_sigreturn uses
/// to restore `uc_stack`.
pub fn do_sigaltstack(t: &mut Task, ss: Option<StackT>, sp: u64) -> Result<StackT, Errno> {
    let cur = t.altstack;
    let state = if cur.size == 0 {
        SS_DISABLE
    } else if on_sig_stack(&cur, sp) {
        SS_ONSTACK
    } else {
        0
    };
    let old = StackT {
        sp: cur.sp,
        flags: state | (cur.flags & SS_AUTODISARM),
        _pad: 0,
        size: cur.size,
    };
    if let Some(ss) = ss {
        if on_sig_stack(&cur, sp) {
            return Err(Errno::EPERM);
        }
        let mode = ss.flags & !SS_AUTODISARM;
        if mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0 {
            return Err(Errno::EINVAL);
        }
        if cur.sp == ss.sp && cur.size == ss.size && cur.flags == ss.flags {
            return Ok(old);
        }
        t.altstack = if mode == SS_DISABLE {
            StackT {
                sp: 0,
                flags: ss.flags,
                _pad: 0,
                size: 0,
            }
        } else {
            if ss.size < MINSIGSTKSZ {
                return Err(Errno::ENOMEM);
            }
            StackT {
                sp: ss.sp,
                flags: ss.flags,
                _pad: 0,
                size: ss.size,
            }
        };
    }
    Ok(old)
}

fn sys_sigaltstack(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (uss, uoss) = (a.u64(0), a.u64(1));
    let ss = if uss != 0 {
        Some(t.mm.read_obj::<StackT>(uss)?)
    } else {
        None
    };
    let sp = t.regs.rsp;
    let old = do_sigaltstack(t, ss, sp)?;
    if uoss != 0 {
        t.mm.write_obj(uoss, &old)?;
    }
    Ok(0)
}
