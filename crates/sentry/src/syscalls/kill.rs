//! kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::kernel::INIT_PID;
use crate::kernel::send;
use crate::kernel::thread_group::ThreadGroup;
use crate::kernel::Task;
use abi::signal::{SigInfo, SI_QUEUE, SI_TKILL, SI_USER};
use abi::{sysno, Errno};
use std::sync::Arc;

pub fn register(t: &mut Table) {
    t.partial(
        sysno::KILL,
        sys_kill,
        &[Arg::Int, Arg::Signal],
        "no uid-based permission check between sandbox processes",
    );
    t.add(sysno::TKILL, sys_tkill, &[Arg::Int, Arg::Signal]);
    t.add(
        sysno::TGKILL,
        sys_tgkill,
        &[Arg::Int, Arg::Int, Arg::Signal],
    );
    t.add(
        sysno::RT_SIGQUEUEINFO,
        sys_rt_sigqueueinfo,
        &[Arg::Int, Arg::Signal, Arg::Ptr],
    );
    t.add(
        sysno::RT_TGSIGQUEUEINFO,
        sys_rt_tgsigqueueinfo,
        &[Arg::Int, Arg::Int, Arg::Signal, Arg::Ptr],
    );
}

fn user_info(t: &Task, sig: i32, code: i32) -> SigInfo {
    let mut si = SigInfo {
        signo: sig,
        code,
        ..Default::default()
    };
    si.set_pid_uid(t.tg.tgid, t.creds.uid);
    si
}

fn check_sig(sig: i32) -> Result<(), Errno> {
    if !(0..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// Whether the caller may signal `tg`. Permission by uid needs the
/// target's credentials, which thread groups do not carry yet: every
/// process of the sandbox may signal every other (noted in the table).
fn may_signal(_t: &Task, _tg: &ThreadGroup) -> bool {
    true
}

fn live_group(t: &Task, pid: i32) -> Option<Arc<ThreadGroup>> {
    t.k.pids
        .lock()
        .groups
        .get(&pid)
        .cloned()
        .filter(|g| !g.reaped.load(std::sync::atomic::Ordering::SeqCst))
}

fn signal_groups(t: &Task, targets: Vec<Arc<ThreadGroup>>, info: SigInfo) -> SysResult {
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    let mut sent = false;
    for g in targets {
        if !may_signal(t, &g) {
            continue;
        }
        sent = true;
        if info.signo != 0 {
            send::send_from_user(&g, None, info);
        }
    }
    if sent {
        Ok(0)
    } else {
        Err(Errno::EPERM)
    }
}

pub fn kill(t: &Task, pid: i32, info: SigInfo) -> SysResult {
    match pid {
        p if p > 0 => {
            let g = live_group(t, p).ok_or(Errno::ESRCH)?;
            signal_groups(t, vec![g], info)
        }
        -1 => {
            let all: Vec<_> = t.k.pids.lock().groups.values().cloned().collect();
            let targets = all
                .into_iter()
                .filter(|g| g.tgid != INIT_PID && g.tgid != t.tg.tgid && !g.is_zombie())
                .collect();
            signal_groups(t, targets, info)
        }
        p => {
            let pgid = if p == 0 {
                t.tg.pgid()
            } else {
                p.checked_neg().ok_or(Errno::ESRCH)?
            };
            let all: Vec<_> = t.k.pids.lock().groups.values().cloned().collect();
            let targets = all
                .into_iter()
                .filter(|g| g.pgid() == pgid && !g.reaped.load(std::sync::atomic::Ordering::SeqCst))
                .collect();
            signal_groups(t, targets, info)
        }
    }
}

fn sys_kill(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let sig = a.i32(1);
    check_sig(sig)?;
    let info = user_info(t, sig, SI_USER);
    kill(t, a.i32(0), info)
}

fn tgkill(t: &Task, tgid: Option<i32>, tid: i32, info: SigInfo) -> SysResult {
    check_sig(info.signo)?;
    if tid <= 0 || tgid.is_some_and(|g| g <= 0) {
        return Err(Errno::EINVAL);
    }
    let groups: Vec<Arc<ThreadGroup>> = t.k.pids.lock().groups.values().cloned().collect();
    let g = groups
        .into_iter()
        .find(|g| g.tasks.lock().iter().any(|x| x.tid == tid) && tgid.is_none_or(|id| id == g.tgid))
        .ok_or(Errno::ESRCH)?;
    if !may_signal(t, &g) {
        return Err(Errno::EPERM);
    }
    if info.signo != 0 {
        send::send_from_user(&g, Some(tid), info);
    }
    Ok(0)
}

fn sys_tkill(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let info = user_info(t, a.i32(1), SI_TKILL);
    tgkill(t, None, a.i32(0), info)
}

fn sys_tgkill(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let info = user_info(t, a.i32(2), SI_TKILL);
    tgkill(t, Some(a.i32(0)), a.i32(1), info)
}

fn queued_info(t: &Task, sig: i32, addr: u64, target_pid: i32) -> Result<SigInfo, Errno> {
    let mut info: SigInfo = t.mm.read_obj(addr)?;
    // Only the kernel may claim kernel codes, except towards oneself.
    if (info.code >= 0 || info.code == SI_TKILL) && target_pid != t.tg.tgid {
        return Err(Errno::EPERM);
    }
    info.signo = sig;
    Ok(info)
}

fn sys_rt_sigqueueinfo(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (pid, sig) = (a.i32(0), a.i32(1));
    check_sig(sig)?;
    let info = queued_info(t, sig, a.u64(2), pid)?;
    let g = live_group(t, pid).ok_or(Errno::ESRCH)?;
    let _ = SI_QUEUE;
    signal_groups(t, vec![g], info)
}

fn sys_rt_tgsigqueueinfo(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (tgid, tid, sig) = (a.i32(0), a.i32(1), a.i32(2));
    check_sig(sig)?;
    let info = queued_info(t, sig, a.u64(3), tgid)?;
    tgkill(t, Some(tgid), tid, info)
}
