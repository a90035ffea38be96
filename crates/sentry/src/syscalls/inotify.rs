//! inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::fs::inotify::{
    Inotify, ALL_INOTIFY_BITS, IN_CLOEXEC, IN_DONT_FOLLOW, IN_MASK_ADD, IN_MASK_CREATE,
    IN_NONBLOCK, IN_ONLYDIR,
};
use crate::kernel::limits::RLIMIT_NOFILE;
use crate::kernel::Task;
use crate::vfs::perm::{self, MAY_READ};
use crate::vfs::File;
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    const NOTE: &str = "events come from changes made inside the sandbox (not from the host side of a Gofer tree); IN_ACCESS is not generated";
    t.partial(sysno::INOTIFY_INIT, sys_inotify_init, &[], NOTE);
    t.partial(sysno::INOTIFY_INIT1, sys_inotify_init1, &[Arg::Hex], NOTE);
    t.add(
        sysno::INOTIFY_ADD_WATCH,
        sys_inotify_add_watch,
        &[Arg::Fd, Arg::Path, Arg::Hex],
    );
    t.add(
        sysno::INOTIFY_RM_WATCH,
        sys_inotify_rm_watch,
        &[Arg::Fd, Arg::Int],
    );
}

fn sys_inotify_init(t: &mut Task, _a: &SyscallArgs) -> SysResult {
    init(t, 0)
}

fn sys_inotify_init1(t: &mut Task, a: &SyscallArgs) -> SysResult {
    init(t, a.u32(0))
}

fn init(t: &mut Task, flags: u32) -> SysResult {
    if flags & !(IN_CLOEXEC | IN_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let file = File::new(
        Box::new(Inotify::new()),
        None,
        None,
        libc::O_RDONLY as u32 | (flags & IN_NONBLOCK),
    );
    let limit = t.tg.limits.lock().cur(RLIMIT_NOFILE);
    Ok(t.fds.install(file, flags & IN_CLOEXEC != 0, 0, limit)? as u64)
}

fn instance(f: &File) -> Result<&Inotify, Errno> {
    f.ops
        .as_any()
        .and_then(|x| x.downcast_ref::<Inotify>())
        .ok_or(Errno::EINVAL)
}

fn sys_inotify_add_watch(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (fd, path, mask) = (a.fd(0), a.u64(1), a.u32(2));
    if mask & IN_MASK_ADD != 0 && mask & IN_MASK_CREATE != 0 {
        return Err(Errno::EINVAL);
    }
    if mask & ALL_INOTIFY_BITS == 0 {
        return Err(Errno::EINVAL);
    }
    let f = t.fds.get(fd)?;
    let ino = instance(&f)?;
    let name = t.read_path(path)?;
    let p = t.resolve(libc::AT_FDCWD, &name, mask & IN_DONT_FOLLOW == 0, false)?;
    let at = p.dentry.inode.attr()?;
    if mask & IN_ONLYDIR != 0 && !at.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    perm::check(&at, &t.creds, MAY_READ)?;
    Ok(ino.add_watch(&at, mask)? as u64)
}

fn sys_inotify_rm_watch(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    instance(&f)?.rm_watch(a.i32(1))?;
    Ok(0)
}
