//! fallocate(2). The rules are `vfs::range`'s; tmpfs allocates and punches
//! holes, host files (Gofer trees) pass the call to their filesystem.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::Task;
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    t.partial(
        sysno::FALLOCATE,
        sys_fallocate,
        &[Arg::Fd, Arg::Hex, Arg::Int, Arg::Int],
        "tmpfs: allocation and PUNCH_HOLE (other modes EOPNOTSUPP, as Linux's tmpfs); \
         host files: whatever their filesystem supports",
    );
}

fn sys_fallocate(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    crate::vfs::range::fallocate(&f, a.u32(1), a.i64(2), a.i64(3))?;
    Ok(0)
}
