//! File descriptor operations: close, close_range, dup*, fcntl, ioctl.

use super::{fcntl_lock, Arg, SysResult, SyscallArgs, Table};
use crate::kernel::limits::RLIMIT_NOFILE;
use crate::kernel::Task;
use abi::{sysno, Errno};
use std::sync::Arc;

pub fn register(t: &mut Table) {
    t.add(sysno::CLOSE, sys_close, &[Arg::Fd]);
    t.add(
        sysno::CLOSE_RANGE,
        sys_close_range,
        &[Arg::Int, Arg::Int, Arg::Hex],
    );
    t.add(sysno::DUP, sys_dup, &[Arg::Fd]);
    t.add(sysno::DUP2, sys_dup2, &[Arg::Fd, Arg::Fd]);
    t.add(sysno::DUP3, sys_dup3, &[Arg::Fd, Arg::Fd, Arg::Hex]);
    t.partial(
        sysno::FCNTL,
        sys_fcntl,
        &[Arg::Fd, Arg::Int, Arg::Hex],
        "record locks (POSIX and OFD) are the Sentry's own, not the host's; leases (F_SETLEASE, F_GETLEASE), F_NOTIFY, F_SETOWN/F_GETOWN(_EX) and F_SETSIG/F_GETSIG are not implemented (EINVAL)",
    );
    t.partial(
        sysno::IOCTL,
        sys_ioctl,
        &[Arg::Fd, Arg::Hex, Arg::Hex],
        "generic fd ioctls and what each file type implements",
    );
}

fn nofile(t: &Task) -> u64 {
    t.tg.limits.lock().cur(RLIMIT_NOFILE)
}

fn sys_close(t: &mut Task, a: &SyscallArgs) -> SysResult {
    t.fds.remove(a.fd(0))?;
    Ok(0)
}

const CLOSE_RANGE_UNSHARE: u64 = 2;
const CLOSE_RANGE_CLOEXEC: u64 = 4;

fn sys_close_range(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (first, last, flags) = (a.u32(0), a.u32(1), a.u64(2));
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
        return Err(Errno::EINVAL);
    }
    if flags & CLOSE_RANGE_UNSHARE != 0 && Arc::strong_count(&t.fds) > 1 {
        t.fds = Arc::new(t.fds.fork());
    }
    t.fds
        .close_range(first, last, flags & CLOSE_RANGE_CLOEXEC != 0);
    Ok(0)
}

fn sys_dup(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    Ok(t.fds.install(f, false, 0, nofile(t))? as u64)
}

fn sys_dup2(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (old, new) = (a.fd(0), a.fd(1));
    let f = t.fds.get(old)?;
    if old == new {
        return Ok(new as u64);
    }
    t.fds.install_at(new, f, false, nofile(t))?;
    Ok(new as u64)
}

fn sys_dup3(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (old, new, flags) = (a.fd(0), a.fd(1), a.u64(2));
    if flags & !(libc::O_CLOEXEC as u64) != 0 || old == new {
        return Err(Errno::EINVAL);
    }
    let f = t.fds.get(old)?;
    t.fds.install_at(new, f, flags != 0, nofile(t))?;
    Ok(new as u64)
}

fn sys_fcntl(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let fd = a.fd(0);
    let f = t.fds.get(fd)?;
    match a.i32(1) {
        libc::F_DUPFD | libc::F_DUPFD_CLOEXEC => {
            let min = a.u32(2) as u64;
            let lim = nofile(t);
            if min >= lim {
                return Err(Errno::EINVAL);
            }
            Ok(t.fds
                .install(f, a.i32(1) == libc::F_DUPFD_CLOEXEC, min, lim)? as u64)
        }
        libc::F_GETFD => Ok(t.fds.get_cloexec(fd)? as u64),
        libc::F_SETFD => {
            t.fds
                .set_cloexec(fd, a.u64(2) & libc::FD_CLOEXEC as u64 != 0)?;
            Ok(0)
        }
        libc::F_GETFL => Ok(f.flags() as u64),
        libc::F_SETFL => {
            if f.is_path_only() {
                return Err(Errno::EBADF);
            }
            if a.u32(2) & libc::O_DIRECT as u32 != 0 && !f.ops.supports_direct() {
                return Err(Errno::EINVAL);
            }
            f.set_status_flags(a.u32(2));
            Ok(0)
        }
        libc::F_GETPIPE_SZ => crate::fs::pipe::get_pipe_size(&f),
        libc::F_SETPIPE_SZ => {
            let privileged = t.creds.has_cap(crate::kernel::creds::CAP_SYS_RESOURCE);
            crate::fs::pipe::set_pipe_size(&f, a.u32(2), privileged)
        }
        // File seals live on tmpfs regular files (memfds).
        libc::F_ADD_SEALS => crate::fs::tmpfs::add_seals(&f, a.u32(2)).map(|()| 0),
        libc::F_GET_SEALS => crate::fs::tmpfs::get_seals(&f).map(u64::from),
        cmd @ (fcntl_lock::F_GETLK
        | fcntl_lock::F_SETLK
        | fcntl_lock::F_SETLKW
        | fcntl_lock::F_OFD_GETLK
        | fcntl_lock::F_OFD_SETLK
        | fcntl_lock::F_OFD_SETLKW) => fcntl_lock::fcntl_lock(t, fd, &f, cmd, a.u64(2)),
        _ => Err(Errno::EINVAL),
    }
}

const FIONCLEX: u32 = 0x5450;
const FIOCLEX: u32 = 0x5451;
const FIONBIO: u32 = 0x5421;
const FIONREAD: u32 = 0x541b;
const FIOASYNC: u32 = 0x5452;

fn sys_ioctl(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let fd = a.fd(0);
    let f = t.fds.get(fd)?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    let (cmd, arg) = (a.u32(1), a.u64(2));
    match cmd {
        FIOCLEX => {
            t.fds.set_cloexec(fd, true)?;
            Ok(0)
        }
        FIONCLEX => {
            t.fds.set_cloexec(fd, false)?;
            Ok(0)
        }
        FIOASYNC => {
            let on: i32 = t.mm.read_obj(arg)?;
            let fl = f.flags() & !(libc::O_ASYNC as u32);
            f.set_status_flags(if on != 0 {
                fl | libc::O_ASYNC as u32
            } else {
                fl
            });
            Ok(0)
        }
        FIONBIO => {
            let on: i32 = t.mm.read_obj(arg)?;
            let fl = f.flags() & !(libc::O_NONBLOCK as u32);
            f.set_status_flags(if on != 0 {
                fl | libc::O_NONBLOCK as u32
            } else {
                fl
            });
            Ok(0)
        }
        FIONREAD => {
            let n = match f.ops.readable_bytes(&f) {
                Some(n) => n,
                None => {
                    let at = f.attr()?;
                    if at.file_type() != crate::vfs::FileType::Regular {
                        return f.ops.ioctl(&f, &t.mm, cmd, arg);
                    }
                    at.size.saturating_sub(*f.pos.lock() as u64)
                }
            };
            t.mm.write_obj(arg, &(n.min(i32::MAX as u64) as i32))?;
            Ok(0)
        }
        _ => f.ops.ioctl(&f, &t.mm, cmd, arg),
    }
}
