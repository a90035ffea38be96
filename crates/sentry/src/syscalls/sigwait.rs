//! Signal syscalls that wait or return through signal delivery:
//! rt_sigreturn, rt_sigsuspend, pause, rt_sigtimedwait, restart_syscall.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::task::RestartBlock;
use crate::kernel::Task;
use abi::signal::{SigInfo, SigSet, SIGKILL, SIGSTOP};
use abi::{sysno, Errno, Timespec};
use std::time::{Duration, Instant};

pub fn register(t: &mut Table) {
    t.add(sysno::RT_SIGRETURN, sys_rt_sigreturn, &[]);
    t.add(
        sysno::RT_SIGSUSPEND,
        sys_rt_sigsuspend,
        &[Arg::Ptr, Arg::Int],
    );
    t.add(sysno::PAUSE, sys_pause, &[]);
    t.add(
        sysno::RT_SIGTIMEDWAIT,
        sys_rt_sigtimedwait,
        &[Arg::Ptr, Arg::Ptr, Arg::Ptr, Arg::Int],
    );
    t.add(sysno::RESTART_SYSCALL, sys_restart_syscall, &[]);
}

fn sys_rt_sigreturn(t: &mut Task, _a: &SyscallArgs) -> SysResult {
    if t.sigreturn().is_err() {
        t.force_signal(SigInfo {
            signo: abi::signal::SIGSEGV,
            code: abi::signal::SI_KERNEL,
            ..Default::default()
        });
        t.keep_regs = true;
    }
    Ok(0)
}

fn sys_rt_sigsuspend(t: &mut Task, a: &SyscallArgs) -> SysResult {
    if a.u64(1) != 8 {
        return Err(Errno::EINVAL);
    }
    let mask: u64 = t.mm.read_obj(a.u64(0))?;
    let old = t.sigmask();
    t.tg.sig.lock().task_mut(t.tid).saved_mask = Some(old);
    t.set_sigmask(SigSet(mask));
    loop {
        match t.block(None) {
            Err(Errno::EINTR) => return Err(Errno::ERESTARTNOHAND),
            _ => continue,
        }
    }
}

fn sys_pause(t: &mut Task, _a: &SyscallArgs) -> SysResult {
    loop {
        if let Err(Errno::EINTR) = t.block(None) {
            return Err(Errno::ERESTARTNOHAND);
        }
    }
}

/// Take a pending signal in `set` (the task's own first).
fn take_from(t: &Task, set: SigSet) -> Option<SigInfo> {
    loop {
        let info = {
            let mut st = t.tg.sig.lock();
            let blocked = SigSet(!set.0);
            if let Some(sig) = st.task(t.tid).pending.next(blocked) {
                st.task_mut(t.tid).pending.take(sig)
            } else {
                let sig = st.shared.next(blocked)?;
                st.shared.take(sig)
            }
        }?;
        // POSIX timer signals get their overrun; stale ones are dropped.
        if let Some(i) = crate::kernel::posix_timer::dequeued(&t.tg, info) {
            return Some(i);
        }
    }
}

fn sys_rt_sigtimedwait(t: &mut Task, a: &SyscallArgs) -> SysResult {
    if a.u64(3) != 8 {
        return Err(Errno::EINVAL);
    }
    let raw: u64 = t.mm.read_obj(a.u64(0))?;
    let set = SigSet(raw & !(SigSet::bit(SIGKILL) | SigSet::bit(SIGSTOP)));
    let deadline = if a.u64(2) != 0 {
        let ts: Timespec = t.mm.read_obj(a.u64(2))?;
        if !crate::kernel::time::valid(&ts) {
            return Err(Errno::EINVAL);
        }
        Some(Instant::now() + Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    } else {
        None
    };
    let found = match take_from(t, set) {
        Some(i) => Some(i),
        None => {
            // Wait with the awaited signals unblocked so their arrival wakes us.
            let old = t.sigmask();
            t.set_sigmask(SigSet(old.0 & !set.0));
            let mut got = None;
            loop {
                if let Some(i) = take_from(t, set) {
                    got = Some(i);
                    break;
                }
                match t.block(deadline) {
                    Ok(()) => continue,
                    Err(Errno::EINTR) => {
                        if let Some(i) = take_from(t, set) {
                            got = Some(i);
                        }
                        break;
                    }
                    Err(_) => break,
                }
            }
            t.set_sigmask(old);
            if got.is_none() {
                let timed_out = deadline.is_some_and(|d| Instant::now() >= d);
                return Err(if timed_out {
                    Errno::EAGAIN
                } else {
                    Errno::EINTR
                });
            }
            got
        }
    };
    let info = found.ok_or(Errno::EAGAIN)?;
    if a.u64(1) != 0 {
        t.mm.write_obj(a.u64(1), &info)?;
    }
    Ok(info.signo as u64)
}

fn sys_restart_syscall(t: &mut Task, _a: &SyscallArgs) -> SysResult {
    match t.restart_block.take() {
        Some(RestartBlock::Sleep {
            clock,
            deadline,
            rem,
        }) => super::time_restart::resume_sleep(t, clock, deadline, rem),
        None => Err(Errno::EINTR),
    }
}
