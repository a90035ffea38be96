//! name_to_handle_at(2) and open_by_handle_at(2), refused as Linux refuses
//! them where file handles cannot work: no filesystem here can be exported
//! (its files reached again from a handle alone), so name_to_handle_at
//! answers EOPNOTSUPP after its argument checks, and open_by_handle_at
//! answers EPERM without CAP_DAC_READ_SEARCH and ESTALE for any handle
//! (none was ever handed out).

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::creds::CAP_DAC_READ_SEARCH;
use crate::kernel::Task;
use abi::{sysno, Errno};

const AT_HANDLE_MNT_ID_UNIQUE: u32 = 0x001;
const AT_HANDLE_CONNECTABLE: u32 = 0x002;
const AT_HANDLE_FID: u32 = 0x200;
const AT_SYMLINK_FOLLOW: u32 = 0x400;
const AT_EMPTY_PATH: u32 = 0x1000;
/// The largest handle (`MAX_HANDLE_SZ`).
const MAX_HANDLE_SZ: u32 = 128;
/// `struct file_handle` before its bytes: handle_bytes, handle_type.
const FILE_HANDLE_HEADER: usize = 8;

pub fn register(t: &mut Table) {
    t.partial(
        sysno::NAME_TO_HANDLE_AT,
        sys_name_to_handle_at,
        &[Arg::Fd, Arg::Path, Arg::Ptr, Arg::Ptr, Arg::Hex],
        "no filesystem supports export: EOPNOTSUPP after the argument and path checks",
    );
    t.partial(
        sysno::OPEN_BY_HANDLE_AT,
        sys_open_by_handle_at,
        &[Arg::Fd, Arg::Ptr, Arg::Hex],
        "no handle is valid: EPERM without CAP_DAC_READ_SEARCH, else ESTALE after the checks",
    );
}

fn sys_name_to_handle_at(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let flags = a.u32(4);
    let valid = AT_SYMLINK_FOLLOW
        | AT_EMPTY_PATH
        | AT_HANDLE_FID
        | AT_HANDLE_MNT_ID_UNIQUE
        | AT_HANDLE_CONNECTABLE;
    if flags & !valid != 0 || (flags & AT_HANDLE_CONNECTABLE != 0 && flags & AT_HANDLE_FID != 0) {
        return Err(Errno::EINVAL);
    }
    let path = t.read_path(a.u64(1))?;
    t.resolve(
        a.fd(0),
        &path,
        flags & AT_SYMLINK_FOLLOW != 0,
        flags & AT_EMPTY_PATH != 0,
    )?;
    Err(Errno::EOPNOTSUPP)
}

fn sys_open_by_handle_at(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let mount_fd = a.fd(0);
    if mount_fd != libc::AT_FDCWD {
        let f = t.fds.get(mount_fd)?;
        if f.is_path_only() {
            return Err(Errno::EBADF);
        }
    }
    if !t.creds.has_cap(CAP_DAC_READ_SEARCH) {
        return Err(Errno::EPERM);
    }
    let mut header = [0u8; FILE_HANDLE_HEADER];
    t.mm.read_bytes(a.u64(1), &mut header)?;
    let bytes = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let kind = i32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    if bytes == 0 || bytes > MAX_HANDLE_SZ || kind < 0 {
        return Err(Errno::EINVAL);
    }
    Err(Errno::ESTALE)
}
