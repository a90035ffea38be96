//! Extended attributes. No filesystem stores them yet, so every call
//! answers as Linux does for a filesystem without xattr support
//! (EOPNOTSUPP), after the same path and fd checks.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::Task;
use abi::{sysno, Errno};

const NOTE: &str = "no filesystem supports extended attributes yet: EOPNOTSUPP after path/fd checks";

pub fn register(t: &mut Table) {
    for (nr, follow) in [
        (sysno::GETXATTR, true),
        (sysno::SETXATTR, true),
        (sysno::LISTXATTR, true),
        (sysno::REMOVEXATTR, true),
        (sysno::LGETXATTR, false),
        (sysno::LSETXATTR, false),
        (sysno::LLISTXATTR, false),
        (sysno::LREMOVEXATTR, false),
    ] {
        let h: super::Handler = if follow { path_follow } else { path_nofollow };
        t.partial(nr, h, &[Arg::Path, Arg::Ptr, Arg::Ptr, Arg::Int], NOTE);
    }
    for nr in [sysno::FGETXATTR, sysno::FSETXATTR, sysno::FLISTXATTR, sysno::FREMOVEXATTR] {
        t.partial(nr, by_fd, &[Arg::Fd, Arg::Ptr, Arg::Ptr, Arg::Int], NOTE);
    }
}

fn by_path(t: &mut Task, a: &SyscallArgs, follow: bool) -> SysResult {
    let path = t.read_path(a.u64(0))?;
    t.resolve(libc::AT_FDCWD, &path, follow, false)?;
    Err(Errno::EOPNOTSUPP)
}

fn path_follow(t: &mut Task, a: &SyscallArgs) -> SysResult {
    by_path(t, a, true)
}

fn path_nofollow(t: &mut Task, a: &SyscallArgs) -> SysResult {
    by_path(t, a, false)
}

fn by_fd(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    Err(Errno::EOPNOTSUPP)
}
