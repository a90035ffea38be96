//! fsync, fdatasync, sync, syncfs. Data lives in memory or on the host; a
//! sync asks the file to flush what it holds.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::Task;
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    t.add(sysno::FSYNC, sys_fsync, &[Arg::Fd]);
    t.add(sysno::FDATASYNC, sys_fsync, &[Arg::Fd]);
    t.add(sysno::SYNC, sys_sync, &[]);
    t.add(sysno::SYNCFS, sys_syncfs, &[Arg::Fd]);
}

fn sys_fsync(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    f.ops.fsync(&f)?;
    Ok(0)
}

fn sys_sync(_t: &mut Task, _a: &SyscallArgs) -> SysResult {
    Ok(0)
}

fn sys_syncfs(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    Ok(0)
}
