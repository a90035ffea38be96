//! pidfd_open, pidfd_send_signal, pidfd_getfd; the pidfd side of clone
//! (CLONE_PIDFD) and waitid (P_PIDFD).

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::fs::pidfd::{self, PIDFD_NONBLOCK, PIDFD_THREAD};
use crate::kernel::limits::RLIMIT_NOFILE;
use crate::kernel::send;
use crate::kernel::task::wait::Which;
use crate::kernel::thread_group::ThreadGroup;
use crate::kernel::Task;
use abi::signal::{SigInfo, SI_TKILL, SI_USER};
use abi::{sysno, Errno};
use std::sync::Arc;

pub fn register(t: &mut Table) {
    t.partial(
        sysno::PIDFD_OPEN,
        sys_pidfd_open,
        &[Arg::Int, Arg::Hex],
        "PIDFD_NONBLOCK and PIDFD_THREAD; no pidfd ioctls (PIDFD_GET_INFO...)",
    );
    t.partial(
        sysno::PIDFD_SEND_SIGNAL,
        sys_pidfd_send_signal,
        &[Arg::Int, Arg::Signal, Arg::Ptr, Arg::Hex],
        "pidfds only (not /proc/PID directory fds, not PIDFD_SELF_*); PIDFD_SIGNAL_PROCESS_GROUP without uid permission check, as kill",
    );
    t.partial(
        sysno::PIDFD_GETFD,
        sys_pidfd_getfd,
        &[Arg::Int, Arg::Int, Arg::Hex],
        "ptrace access modelled by uid/gid and CAP_SYS_PTRACE (no dumpable flag, no LSM)",
    );
}

const PIDFD_SIGNAL_THREAD: u32 = 1;
const PIDFD_SIGNAL_THREAD_GROUP: u32 = 2;
const PIDFD_SIGNAL_PROCESS_GROUP: u32 = 4;
const CAP_SYS_PTRACE: u32 = 19;
const CAP_KILL: u32 = crate::kernel::creds::CAP_KILL;

/// Install a new pidfd for `tg` (or its thread) in `t`'s table, close-on-exec.
pub fn install(
    t: &Task,
    tg: Arc<ThreadGroup>,
    thread: Option<i32>,
    nonblock: bool,
) -> Result<i32, Errno> {
    let file = pidfd::new_file(tg, thread, nonblock);
    let limit = t.tg.limits.lock().cur(RLIMIT_NOFILE);
    t.fds.install(file, true, 0, limit)
}

/// The pidfd at `fd`: EBADF if there is none or it is not a pidfd.
fn get(t: &Task, fd: i32) -> Result<(Arc<ThreadGroup>, Option<i32>, bool), Errno> {
    let f = t.fds.get(fd)?;
    let p = pidfd::of(&f).ok_or(Errno::EBADF)?;
    Ok((p.tg.clone(), p.thread, f.nonblocking()))
}

fn sys_pidfd_open(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (pid, flags) = (a.i32(0), a.u32(1));
    if flags & !(PIDFD_NONBLOCK | PIDFD_THREAD) != 0 || pid <= 0 {
        return Err(Errno::EINVAL);
    }
    let thread = flags & PIDFD_THREAD != 0;
    let (group, is_task, groups) = {
        let p = t.k.pids.lock();
        let group = p.groups.get(&pid).cloned();
        let is_task = p.tasks.contains_key(&pid);
        let groups: Vec<Arc<ThreadGroup>> = if group.is_none() && is_task {
            p.groups.values().cloned().collect()
        } else {
            Vec::new()
        };
        (group, is_task, groups)
    };
    // The group of a thread, looked for without the PID table's lock held.
    let leader_of = groups
        .into_iter()
        .find(|g| is_task && g.tasks.lock().iter().any(|x| x.tid == pid));
    let (tg, tid) = match (group, leader_of) {
        (Some(g), _) => (g, thread.then_some(pid)),
        (None, Some(g)) if thread => (g, Some(pid)),
        // A thread that is not a group leader names no process (Linux 6.18).
        (None, Some(_)) => return Err(Errno::ENOENT),
        (None, None) => return Err(Errno::ESRCH),
    };
    if tg.reaped.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(Errno::ESRCH);
    }
    Ok(install(t, tg, tid, flags & PIDFD_NONBLOCK != 0)? as u64)
}

fn sys_pidfd_send_signal(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (fd, sig, infop, flags) = (a.i32(0), a.i32(1), a.u64(2), a.u32(3));
    let scopes = PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP;
    if flags & !scopes != 0 || flags.count_ones() > 1 {
        return Err(Errno::EINVAL);
    }
    let (tg, thread, _) = get(t, fd)?;
    // Linux's PIDTYPE_PID / TGID / PGID.
    #[derive(PartialEq, PartialOrd)]
    enum Scope {
        Thread,
        Group,
        Pgrp,
    }
    let scope = match flags {
        PIDFD_SIGNAL_THREAD => Scope::Thread,
        PIDFD_SIGNAL_THREAD_GROUP => Scope::Group,
        PIDFD_SIGNAL_PROCESS_GROUP => Scope::Pgrp,
        _ if thread.is_some() => Scope::Thread,
        _ => Scope::Group,
    };
    let pid = thread.unwrap_or(tg.tgid);
    let info = if infop != 0 {
        let info: SigInfo = t.mm.read_obj(infop)?;
        if info.signo != sig {
            return Err(Errno::EINVAL);
        }
        // Only the kernel may claim kernel codes, except towards oneself
        // (the calling thread's own pid, as Linux).
        let to_self = Arc::ptr_eq(&tg, &t.tg) && pid == t.tid;
        if (!to_self || scope > Scope::Group) && (info.code >= 0 || info.code == SI_TKILL) {
            return Err(Errno::EPERM);
        }
        info
    } else {
        let mut si = SigInfo {
            signo: sig,
            code: if scope == Scope::Thread {
                SI_TKILL
            } else {
                SI_USER
            },
            ..Default::default()
        };
        si.set_pid_uid(t.tg.tgid, t.creds.uid);
        si
    };
    let gone = match scope {
        Scope::Thread => pidfd::PidFd {
            tg: tg.clone(),
            thread: Some(pid),
        }
        .gone(),
        _ => tg.reaped.load(std::sync::atomic::Ordering::SeqCst),
    };
    if gone {
        return Err(Errno::ESRCH);
    }
    if !(0..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    if scope != Scope::Pgrp && !may_kill(t, &tg, sig) {
        return Err(Errno::EPERM);
    }
    match scope {
        // As Linux, the pidfd's pid names the process group.
        Scope::Pgrp => super::kill::kill(t, -pid, info),
        _ if sig == 0 => Ok(0),
        Scope::Thread => {
            if tg.tasks.lock().iter().any(|x| x.tid == pid) {
                send::send_from_user(&tg, Some(pid), info);
            }
            Ok(0)
        }
        Scope::Group => {
            if !tg.is_zombie() {
                send::send_from_user(&tg, None, info);
            }
            Ok(0)
        }
    }
}

/// Whether `t` may signal `tg` (Linux's check_kill_permission): its own
/// process, a real or effective uid equal to the target's real or saved
/// uid, CAP_KILL, or SIGCONT within the session.
fn may_kill(t: &Task, tg: &ThreadGroup, sig: i32) -> bool {
    if std::ptr::eq(tg, &*t.tg) || t.creds.has_cap(CAP_KILL) {
        return true;
    }
    if sig == abi::signal::SIGCONT && tg.sid() == t.tg.sid() {
        return true;
    }
    match crate::kernel::proc_view::view(tg) {
        Some(v) => {
            let (c, tc) = (&t.creds, &v.creds);
            [c.euid, c.uid].iter().any(|&u| u == tc.uid || u == tc.suid)
        }
        None => true,
    }
}

/// Whether `t` may take files from `tg` (Linux's ptrace_may_access with
/// PTRACE_MODE_ATTACH_REALCREDS): its own process, the same real ids as
/// all of the target's, or CAP_SYS_PTRACE.
fn may_access(t: &Task, tg: &ThreadGroup) -> bool {
    if std::ptr::eq(tg, &*t.tg) || t.creds.has_cap(CAP_SYS_PTRACE) {
        return true;
    }
    match crate::kernel::proc_view::view(tg) {
        Some(v) => {
            let (c, tc) = (&t.creds, &v.creds);
            c.uid == tc.uid
                && c.uid == tc.euid
                && c.uid == tc.suid
                && c.gid == tc.gid
                && c.gid == tc.egid
                && c.gid == tc.sgid
        }
        None => false,
    }
}

fn sys_pidfd_getfd(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (fd, target, flags) = (a.i32(0), a.i32(1), a.u32(2));
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let (tg, _, _) = get(t, fd)?;
    // An exited process has no files left: ESRCH (Linux 6.18), zombie or not.
    if tg.reaped.load(std::sync::atomic::Ordering::SeqCst) || tg.is_zombie() {
        return Err(Errno::ESRCH);
    }
    if !may_access(t, &tg) {
        return Err(Errno::EPERM);
    }
    let fds = crate::kernel::proc_view::view(&tg)
        .and_then(|v| v.fds())
        .ok_or(Errno::ESRCH)?;
    let file = fds.get(target).map_err(|_| Errno::EBADF)?;
    let limit = t.tg.limits.lock().cur(RLIMIT_NOFILE);
    Ok(t.fds.install(file, true, 0, limit)? as u64)
}

/// waitid(P_PIDFD, fd): which child to wait for, and whether the pidfd is
/// nonblocking. A pidfd of a reaped process, or of a thread that is not a
/// leader, names no child (ECHILD).
pub fn wait_target(t: &Task, fd: i32) -> Result<(Which, bool), Errno> {
    let (tg, thread, nonblock) = get(t, fd)?;
    if tg.reaped.load(std::sync::atomic::Ordering::SeqCst) || thread.is_some_and(|x| x != tg.tgid) {
        return Err(Errno::ECHILD);
    }
    Ok((Which::Pid(tg.tgid), nonblock))
}
