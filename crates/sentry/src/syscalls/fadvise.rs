//! posix_fadvise(2) (fadvise64) and readahead(2): advice is checked as
//! Linux checks it (`vfs::range`) and otherwise taken as a hint.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::Task;
use crate::vfs::range;
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    t.partial(
        sysno::FADVISE64,
        sys_fadvise64,
        &[Arg::Fd, Arg::Int, Arg::Int, Arg::Int],
        "advice validated; DONTNEED drops the Sentry's cached pages of host files, \
         other advice is ignored",
    );
    t.partial(
        sysno::READAHEAD,
        sys_readahead,
        &[Arg::Fd, Arg::Int, Arg::Int],
        "checks only: the host reads ahead for host files, tmpfs is in memory",
    );
}

fn sys_fadvise64(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    // `advice` is an int: negative values are as invalid as large ones.
    range::fadvise(&f, a.i64(1), a.i64(2), a.i32(3) as u32)?;
    Ok(0)
}

fn sys_readahead(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    range::readahead(&f, a.i64(1), a.u64(2))?;
    Ok(0)
}
