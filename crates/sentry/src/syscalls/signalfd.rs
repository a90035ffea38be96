//! signalfd, signalfd4.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::fs::signalfd::{SignalFd, SFD_CLOEXEC, SFD_NONBLOCK};
use crate::kernel::limits::RLIMIT_NOFILE;
use crate::kernel::Task;
use crate::vfs::File;
use abi::signal::SigSet;
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    t.add(
        sysno::SIGNALFD,
        sys_signalfd,
        &[Arg::Fd, Arg::Ptr, Arg::Int],
    );
    t.add(
        sysno::SIGNALFD4,
        sys_signalfd4,
        &[Arg::Fd, Arg::Ptr, Arg::Int, Arg::Hex],
    );
}

fn sys_signalfd(t: &mut Task, a: &SyscallArgs) -> SysResult {
    do_signalfd(t, a.fd(0), a.u64(1), a.u64(2), 0)
}

fn sys_signalfd4(t: &mut Task, a: &SyscallArgs) -> SysResult {
    do_signalfd(t, a.fd(0), a.u64(1), a.u64(2), a.u32(3))
}

/// Linux's order: the mask size, the mask itself, then the flags and the fd.
fn do_signalfd(t: &mut Task, fd: i32, mask_addr: u64, size: u64, flags: u32) -> SysResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let mask = SigSet(t.mm.read_obj::<u64>(mask_addr)?);
    if flags & !(SFD_CLOEXEC | SFD_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    if fd != -1 {
        // An existing signalfd gets the new mask; the flags are ignored.
        let f = t.fds.get(fd)?;
        let sfd = f
            .ops
            .as_any()
            .and_then(|x| x.downcast_ref::<SignalFd>())
            .ok_or(Errno::EINVAL)?;
        sfd.set_mask(mask);
        return Ok(fd as u64);
    }
    let ops = SignalFd::new(mask, t.tid, &t.tg);
    let file = File::new(
        Box::new(ops),
        None,
        None,
        libc::O_RDWR as u32 | (flags & SFD_NONBLOCK),
    );
    let limit = t.tg.limits.lock().cur(RLIMIT_NOFILE);
    Ok(t.fds.install(file, flags & SFD_CLOEXEC != 0, 0, limit)? as u64)
}
