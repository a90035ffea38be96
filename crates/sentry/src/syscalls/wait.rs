//! wait4, waitid.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::send::{CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED};
use crate::kernel::signal::ExitStatus;
use crate::kernel::task::wait::*;
use crate::kernel::Task;
use abi::signal::SigInfo;
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    t.partial(
        sysno::WAIT4,
        sys_wait4,
        &[Arg::Int, Arg::Ptr, Arg::Hex, Arg::Ptr],
        "rusage has CPU times only (see getrusage)",
    );
    t.partial(
        sysno::WAITID,
        sys_waitid,
        &[Arg::Int, Arg::Int, Arg::Ptr, Arg::Hex, Arg::Ptr],
        "rusage has CPU times only (see getrusage)",
    );
}

fn sys_wait4(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (pid, status, opts, rusage) = (a.i32(0), a.u64(1), a.u32(2), a.u64(3));
    if opts & !(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE) != 0 {
        return Err(Errno::EINVAL);
    }
    let which = match pid {
        -1 => Which::Any,
        0 => Which::Pgid(0),
        p if p < 0 => Which::Pgid(p.checked_neg().ok_or(Errno::ESRCH)?),
        p => Which::Pid(p),
    };
    match t.wait_child(which, opts, true)? {
        None => Ok(0),
        Some(w) => {
            if status != 0 {
                t.mm.write_obj(status, &w.status())?;
            }
            if rusage != 0 {
                t.mm.write_obj(rusage, &super::rusage::rusage(w.times, 0))?;
            }
            Ok(w.pid as u64)
        }
    }
}

const P_ALL: u32 = 0;
const P_PID: u32 = 1;
const P_PGID: u32 = 2;
const P_PIDFD: u32 = 3;

fn sys_waitid(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (idtype, id, infop, opts, rusage) = (a.u32(0), a.i32(1), a.u64(2), a.u32(3), a.u64(4));
    if opts & !(WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT | WNOTHREAD | WALL | WCLONE)
        != 0
        || opts & (WEXITED | WSTOPPED | WCONTINUED) == 0
    {
        return Err(Errno::EINVAL);
    }
    let (which, nonblock) = match idtype {
        P_ALL => (Which::Any, false),
        P_PID if id > 0 => (Which::Pid(id), false),
        P_PGID if id >= 0 => (Which::Pgid(id), false),
        P_PIDFD if id >= 0 => super::pidfd::wait_target(t, id)?,
        _ => return Err(Errno::EINVAL),
    };
    // A nonblocking pidfd waits as WNOHANG, but says EAGAIN if not asked to.
    let wait_opts = if nonblock { opts | WNOHANG } else { opts };
    let res = t.wait_child(which, wait_opts, opts & WEXITED != 0)?;
    if res.is_none() && nonblock && opts & WNOHANG == 0 {
        return Err(Errno::EAGAIN);
    }
    let mut si = SigInfo::default();
    let ru = res
        .map(|w| super::rusage::rusage(w.times, 0))
        .unwrap_or_default();
    if let Some(w) = res {
        si.signo = abi::signal::SIGCHLD;
        let (code, st) = match w.kind {
            WaitKind::Exited(ExitStatus::Exited(c)) => (CLD_EXITED, c),
            WaitKind::Exited(ExitStatus::Signaled { sig, core: true }) => (CLD_DUMPED, sig),
            WaitKind::Exited(ExitStatus::Signaled { sig, core: false }) => (CLD_KILLED, sig),
            WaitKind::Stopped(sig) => (CLD_STOPPED, sig),
            WaitKind::Continued => (CLD_CONTINUED, abi::signal::SIGCONT),
        };
        si.code = code;
        si.set_pid_uid(w.pid, w.uid);
        si.fields[1] = st as u32 as u64;
    }
    if infop != 0 {
        t.mm.write_obj(infop, &si)?;
    }
    if rusage != 0 {
        t.mm.write_obj(rusage, &ru)?;
    }
    Ok(0)
}
