//! open, openat, creat.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::limits::RLIMIT_NOFILE;
use crate::kernel::Task;
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    t.add(sysno::OPEN, sys_open, &[Arg::Path, Arg::Hex, Arg::Oct]);
    t.add(
        sysno::OPENAT,
        sys_openat,
        &[Arg::Fd, Arg::Path, Arg::Hex, Arg::Oct],
    );
    t.add(sysno::CREAT, sys_creat, &[Arg::Path, Arg::Oct]);
}

/// Flags open(2) understands; others are ignored as Linux ignores them.
const VALID: u32 = (libc::O_ACCMODE
    | libc::O_CREAT
    | libc::O_EXCL
    | libc::O_NOCTTY
    | libc::O_TRUNC
    | libc::O_APPEND
    | libc::O_NONBLOCK
    | libc::O_DSYNC
    | libc::O_ASYNC
    | libc::O_DIRECT
    | libc::O_LARGEFILE
    | libc::O_DIRECTORY
    | libc::O_NOFOLLOW
    | libc::O_NOATIME
    | libc::O_CLOEXEC
    | libc::O_SYNC
    | libc::O_PATH
    | libc::O_TMPFILE) as u32;

/// The kernel's O_LARGEFILE.
pub const O_LARGEFILE: u32 = 0o100000;

pub fn do_open(t: &mut Task, dirfd: i32, path_addr: u64, flags: u32, mode: u32) -> SysResult {
    let path = t.read_path(path_addr)?;
    // 64-bit open(2) always adds O_LARGEFILE (libc's constant is 0 here),
    // except for O_PATH descriptors.
    let flags = flags & VALID;
    let flags = if flags & libc::O_PATH as u32 == 0 {
        flags | O_LARGEFILE
    } else {
        flags
    };
    let start = t.start_dir(dirfd, &path)?;
    let umask = t.umask();
    let owner = t.owner();
    let file =
        t.with_walk(|w| crate::vfs::open::open(w, &start, &path, flags, mode, umask, owner))?;
    // A FIFO waits here for its other end.
    file.ops.open_wait(&file, t)?;
    let limit = t.tg.limits.lock().cur(RLIMIT_NOFILE);
    let fd = t
        .fds
        .install(file, flags & libc::O_CLOEXEC as u32 != 0, 0, limit)?;
    Ok(fd as u64)
}

fn sys_open(t: &mut Task, a: &SyscallArgs) -> SysResult {
    do_open(t, libc::AT_FDCWD, a.u64(0), a.u32(1), a.u32(2))
}

fn sys_openat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    do_open(t, a.fd(0), a.u64(1), a.u32(2), a.u32(3))
}

fn sys_creat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let flags = (libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC) as u32;
    do_open(t, libc::AT_FDCWD, a.u64(0), flags, a.u32(1)).map_err(|e| {
        if e == Errno::EISDIR {
            Errno::EISDIR
        } else {
            e
        }
    })
}
