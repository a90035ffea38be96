//! eventfd, eventfd2.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::fs::eventfd::{EventFd, EFD_CLOEXEC, EFD_NONBLOCK, EFD_SEMAPHORE};
use crate::kernel::limits::RLIMIT_NOFILE;
use crate::kernel::Task;
use crate::vfs::File;
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    t.add(sysno::EVENTFD, sys_eventfd, &[Arg::Int]);
    t.add(sysno::EVENTFD2, sys_eventfd2, &[Arg::Int, Arg::Hex]);
}

fn sys_eventfd(t: &mut Task, a: &SyscallArgs) -> SysResult {
    do_eventfd(t, a.u32(0), 0)
}

fn sys_eventfd2(t: &mut Task, a: &SyscallArgs) -> SysResult {
    do_eventfd(t, a.u32(0), a.u32(1))
}

fn do_eventfd(t: &mut Task, initval: u32, flags: u32) -> SysResult {
    if flags & !(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let ops = EventFd::new(initval as u64, flags & EFD_SEMAPHORE != 0);
    let file = File::new(
        Box::new(ops),
        None,
        None,
        libc::O_RDWR as u32 | (flags & EFD_NONBLOCK),
    );
    let limit = t.tg.limits.lock().cur(RLIMIT_NOFILE);
    Ok(t.fds.install(file, flags & EFD_CLOEXEC != 0, 0, limit)? as u64)
}
