//! Sessions and process groups: setsid, setpgid, getpgid, getpgrp, getsid.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::thread_group::ThreadGroup;
use crate::kernel::Task;
use abi::{sysno, Errno};
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub fn register(t: &mut Table) {
    t.add(sysno::SETSID, sys_setsid, &[]);
    t.add(sysno::SETPGID, sys_setpgid, &[Arg::Int, Arg::Int]);
    t.add(sysno::GETPGID, sys_getpgid, &[Arg::Int]);
    t.add(sysno::GETPGRP, sys_getpgrp, &[]);
    t.add(sysno::GETSID, sys_getsid, &[Arg::Int]);
}

fn group(t: &Task, pid: i32) -> Result<Arc<ThreadGroup>, Errno> {
    if pid == 0 {
        return Ok(t.tg.clone());
    }
    if pid < 0 {
        return Err(Errno::ESRCH);
    }
    t.k.pids
        .lock()
        .groups
        .get(&pid)
        .cloned()
        .filter(|g| !g.reaped.load(Ordering::SeqCst))
        .ok_or(Errno::ESRCH)
}

fn any_group_with_pgid(t: &Task, pgid: i32) -> bool {
    t.k.pids
        .lock()
        .groups
        .values()
        .any(|g| g.pgid() == pgid && !g.is_zombie())
}

fn sys_setsid(t: &mut Task, _a: &SyscallArgs) -> SysResult {
    let me = t.tg.tgid;
    // A process group leader cannot start a session; nor can anyone whose
    // pid is already some group's id.
    if t.tg.pgid() == me || any_group_with_pgid(t, me) {
        return Err(Errno::EPERM);
    }
    t.tg.sid.store(me, Ordering::SeqCst);
    t.tg.pgid.store(me, Ordering::SeqCst);
    Ok(me as u64)
}

fn sys_setpgid(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (pid, pgid) = (a.i32(0), a.i32(1));
    if pgid < 0 {
        return Err(Errno::EINVAL);
    }
    let target = group(t, pid)?;
    let is_self = Arc::ptr_eq(&target, &t.tg);
    let is_child = target.parent().is_some_and(|p| Arc::ptr_eq(&p, &t.tg));
    if !is_self && !is_child {
        return Err(Errno::ESRCH);
    }
    if is_child && target.sid() != t.tg.sid() {
        return Err(Errno::EPERM);
    }
    // A session leader cannot change its group.
    if target.sid() == target.tgid {
        return Err(Errno::EPERM);
    }
    let pgid = if pgid == 0 { target.tgid } else { pgid };
    if pgid != target.tgid {
        // Joining an existing group: it must be in the same session.
        let ok =
            t.k.pids
                .lock()
                .groups
                .values()
                .any(|g| g.pgid() == pgid && g.sid() == t.tg.sid() && !g.is_zombie());
        if !ok {
            return Err(Errno::EPERM);
        }
    }
    target.pgid.store(pgid, Ordering::SeqCst);
    Ok(0)
}

fn sys_getpgid(t: &mut Task, a: &SyscallArgs) -> SysResult {
    Ok(group(t, a.i32(0))?.pgid() as u64)
}

fn sys_getpgrp(t: &mut Task, _a: &SyscallArgs) -> SysResult {
    Ok(t.tg.pgid() as u64)
}

fn sys_getsid(t: &mut Task, a: &SyscallArgs) -> SysResult {
    Ok(group(t, a.i32(0))?.sid() as u64)
}
