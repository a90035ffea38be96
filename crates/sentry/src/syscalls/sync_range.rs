//! sync_file_range(2) (which gVisor lacks; PostgreSQL uses it to start
//! write-out early). Flags and range are checked as Linux checks them
//! (`vfs::range`); then what the file holds is written back: for host
//! files, pages shared mappings changed, and with WRITE|WAIT_AFTER the
//! host file's data is synced. tmpfs data has nowhere to go.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::Task;
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    t.add(
        sysno::SYNC_FILE_RANGE,
        sys_sync_file_range,
        &[Arg::Fd, Arg::Int, Arg::Int, Arg::Hex],
    );
}

fn sys_sync_file_range(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    crate::vfs::range::sync_range(&f, a.i64(1), a.i64(2), a.u32(3))?;
    Ok(0)
}
