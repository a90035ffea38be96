//! Attribute changes: chmod, chown, truncate, umask, utimes.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::fs::inotify;
use crate::kernel::creds::{CAP_CHOWN, CAP_FSETID};
use crate::kernel::Task;
use crate::vfs::inode::TimeSet;
use crate::vfs::perm::{self, MAY_WRITE};
use crate::vfs::{FileType, Inode, Path, SetAttr};
use abi::{sysno, Errno, Timespec, Timeval};
use std::sync::Arc;

pub fn register(t: &mut Table) {
    t.add(sysno::CHMOD, sys_chmod, &[Arg::Path, Arg::Oct]);
    t.add(sysno::FCHMOD, sys_fchmod, &[Arg::Fd, Arg::Oct]);
    t.add(
        sysno::FCHMODAT,
        sys_fchmodat,
        &[Arg::Fd, Arg::Path, Arg::Oct],
    );
    t.add(
        sysno::FCHMODAT2,
        sys_fchmodat2,
        &[Arg::Fd, Arg::Path, Arg::Oct, Arg::Hex],
    );
    t.add(sysno::CHOWN, sys_chown, &[Arg::Path, Arg::Int, Arg::Int]);
    t.add(sysno::LCHOWN, sys_lchown, &[Arg::Path, Arg::Int, Arg::Int]);
    t.add(sysno::FCHOWN, sys_fchown, &[Arg::Fd, Arg::Int, Arg::Int]);
    t.add(
        sysno::FCHOWNAT,
        sys_fchownat,
        &[Arg::Fd, Arg::Path, Arg::Int, Arg::Int, Arg::Hex],
    );
    t.add(sysno::TRUNCATE, sys_truncate, &[Arg::Path, Arg::Int]);
    t.add(sysno::FTRUNCATE, sys_ftruncate, &[Arg::Fd, Arg::Int]);
    t.add(sysno::UMASK, sys_umask, &[Arg::Oct]);
    t.add(
        sysno::UTIMENSAT,
        sys_utimensat,
        &[Arg::Fd, Arg::Path, Arg::Ptr, Arg::Hex],
    );
    t.add(sysno::UTIME, sys_utime, &[Arg::Path, Arg::Ptr]);
    t.add(sysno::UTIMES, sys_utimes, &[Arg::Path, Arg::Ptr]);
    t.add(
        sysno::FUTIMESAT,
        sys_futimesat,
        &[Arg::Fd, Arg::Path, Arg::Ptr],
    );
}

const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
const AT_EMPTY_PATH: u32 = 0x1000;

/// The inode and mount an fd refers to, for f*() calls.
fn fd_target(t: &Task, fd: i32) -> Result<(Arc<dyn Inode>, Option<Path>), Errno> {
    let f = t.fds.get(fd)?;
    match &f.inode {
        Some(i) => Ok((i.clone(), f.path.clone())),
        None => Err(Errno::EBADF),
    }
}

fn check_rofs(p: &Option<Path>) -> Result<(), Errno> {
    if p.as_ref().is_some_and(|p| p.mount.read_only()) {
        return Err(Errno::EROFS);
    }
    Ok(())
}

fn chmod(t: &Task, inode: &Arc<dyn Inode>, path: &Option<Path>, mode: u32) -> SysResult {
    let a = inode.attr()?;
    if !perm::is_owner(&a, &t.creds) {
        return Err(Errno::EPERM);
    }
    check_rofs(path)?;
    let mut mode = mode & 0o7777;
    // Without the group, setgid is dropped (unless CAP_FSETID).
    if !t.creds.in_group(a.gid) && !t.creds.has_cap(CAP_FSETID) {
        mode &= !0o2000;
    }
    inode.setattr(&SetAttr {
        mode: Some(mode),
        ..Default::default()
    })?;
    // inotify hook: IN_ATTRIB.
    inotify::attr_changed(
        inode.as_ref(),
        path.as_ref().map(|p| &p.dentry),
        inotify::IN_ATTRIB,
    );
    Ok(0)
}

fn sys_chmod(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let path = t.read_path(a.u64(0))?;
    let p = t.resolve(libc::AT_FDCWD, &path, true, false)?;
    chmod(t, &p.dentry.inode.clone(), &Some(p), a.u32(1))
}

fn sys_fchmod(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    let (i, p) = fd_target(t, a.fd(0))?;
    chmod(t, &i, &p, a.u32(1))
}

fn fchmodat(t: &Task, dirfd: i32, path: u64, mode: u32, flags: u32) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = t.read_path(path)?;
    let p = t.resolve(
        dirfd,
        &path,
        flags & AT_SYMLINK_NOFOLLOW == 0,
        flags & AT_EMPTY_PATH != 0,
    )?;
    if flags & AT_SYMLINK_NOFOLLOW != 0 && p.dentry.inode.attr()?.file_type() == FileType::Symlink {
        return Err(Errno::EOPNOTSUPP);
    }
    chmod(t, &p.dentry.inode.clone(), &Some(p), mode)
}

fn sys_fchmodat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    fchmodat(t, a.fd(0), a.u64(1), a.u32(2), 0)
}

fn sys_fchmodat2(t: &mut Task, a: &SyscallArgs) -> SysResult {
    fchmodat(t, a.fd(0), a.u64(1), a.u32(2), a.u32(3))
}

fn chown(t: &Task, inode: &Arc<dyn Inode>, path: &Option<Path>, uid: u32, gid: u32) -> SysResult {
    let a = inode.attr()?;
    let uid = if uid == u32::MAX { None } else { Some(uid) };
    let gid = if gid == u32::MAX { None } else { Some(gid) };
    let c = &t.creds;
    if let Some(u) = uid {
        if u != a.uid && !c.has_cap(CAP_CHOWN) {
            return Err(Errno::EPERM);
        }
    }
    if let Some(g) = gid {
        let allowed = c.has_cap(CAP_CHOWN)
            || (c.fsuid == a.uid && c.in_group(g))
            || g == a.gid && c.fsuid == a.uid;
        if g != a.gid && !allowed {
            return Err(Errno::EPERM);
        }
        if g == a.gid && c.fsuid != a.uid && !c.has_cap(CAP_CHOWN) {
            return Err(Errno::EPERM);
        }
    }
    check_rofs(path)?;
    let mut req = SetAttr {
        uid,
        gid,
        ..Default::default()
    };
    // A change of owner drops setuid, and setgid when group-executable.
    if a.file_type() != FileType::Directory
        && a.mode & 0o6000 != 0
        && (uid.is_some() || gid.is_some())
    {
        let mut m = a.mode & 0o7777 & !0o4000;
        if m & 0o010 != 0 {
            m &= !0o2000;
        }
        req.mode = Some(m);
    }
    inode.setattr(&req)?;
    // inotify hook: IN_ATTRIB.
    inotify::attr_changed(
        inode.as_ref(),
        path.as_ref().map(|p| &p.dentry),
        inotify::IN_ATTRIB,
    );
    Ok(0)
}

fn chown_at(t: &Task, dirfd: i32, path: u64, uid: u32, gid: u32, flags: u32) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = t.read_path(path)?;
    let p = t.resolve(
        dirfd,
        &path,
        flags & AT_SYMLINK_NOFOLLOW == 0,
        flags & AT_EMPTY_PATH != 0,
    )?;
    chown(t, &p.dentry.inode.clone(), &Some(p), uid, gid)
}

fn sys_chown(t: &mut Task, a: &SyscallArgs) -> SysResult {
    chown_at(t, libc::AT_FDCWD, a.u64(0), a.u32(1), a.u32(2), 0)
}

fn sys_lchown(t: &mut Task, a: &SyscallArgs) -> SysResult {
    chown_at(
        t,
        libc::AT_FDCWD,
        a.u64(0),
        a.u32(1),
        a.u32(2),
        AT_SYMLINK_NOFOLLOW,
    )
}

fn sys_fchown(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    let (i, p) = fd_target(t, a.fd(0))?;
    chown(t, &i, &p, a.u32(1), a.u32(2))
}

fn sys_fchownat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    chown_at(t, a.fd(0), a.u64(1), a.u32(2), a.u32(3), a.u32(4))
}

fn sys_truncate(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let len = a.i64(1);
    let path = t.read_path(a.u64(0))?;
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let p = t.resolve(libc::AT_FDCWD, &path, true, false)?;
    let at = p.dentry.inode.attr()?;
    match at.file_type() {
        FileType::Directory => return Err(Errno::EISDIR),
        FileType::Regular => {}
        _ => return Err(Errno::EINVAL),
    }
    perm::check(&at, &t.creds, MAY_WRITE)?;
    if p.mount.read_only() {
        return Err(Errno::EROFS);
    }
    p.dentry.inode.setattr(&SetAttr {
        size: Some(len as u64),
        ..Default::default()
    })?;
    // inotify hook: IN_MODIFY.
    inotify::attr_changed(p.dentry.inode.as_ref(), Some(&p.dentry), inotify::IN_MODIFY);
    Ok(0)
}

fn sys_ftruncate(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let len = a.i64(1);
    let f = t.fds.get(a.fd(0))?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    if len < 0 || !f.writable() {
        return Err(Errno::EINVAL);
    }
    let inode = f.inode.clone().ok_or(Errno::EINVAL)?;
    if inode.attr()?.file_type() != FileType::Regular {
        return Err(Errno::EINVAL);
    }
    inode.setattr(&SetAttr {
        size: Some(len as u64),
        ..Default::default()
    })?;
    // inotify hook: IN_MODIFY.
    inotify::attr_changed(
        inode.as_ref(),
        f.path.as_ref().map(|p| &p.dentry),
        inotify::IN_MODIFY,
    );
    Ok(0)
}

fn sys_umask(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let mut st = t.fs.st.lock();
    let old = st.umask;
    st.umask = a.u32(0) & 0o777;
    Ok(old as u64)
}

const UTIME_NOW: i64 = (1 << 30) - 1;
const UTIME_OMIT: i64 = (1 << 30) - 2;

fn time_set(ts: &Timespec) -> Result<Option<TimeSet>, Errno> {
    match ts.tv_nsec {
        UTIME_NOW => Ok(Some(TimeSet::Now)),
        UTIME_OMIT => Ok(None),
        n if (0..1_000_000_000).contains(&n) => Ok(Some(TimeSet::At(*ts))),
        _ => Err(Errno::EINVAL),
    }
}

/// Apply times to a resolved target with utimensat's permission rules.
fn set_times(
    t: &Task,
    inode: &Arc<dyn Inode>,
    path: &Option<Path>,
    atime: Option<TimeSet>,
    mtime: Option<TimeSet>,
) -> SysResult {
    if atime.is_none() && mtime.is_none() {
        return Ok(0);
    }
    let a = inode.attr()?;
    let only_now =
        matches!(atime, None | Some(TimeSet::Now)) && matches!(mtime, None | Some(TimeSet::Now));
    if !perm::is_owner(&a, &t.creds) {
        if !only_now {
            return Err(Errno::EPERM);
        }
        perm::check(&a, &t.creds, MAY_WRITE)?;
    }
    check_rofs(path)?;
    inode.setattr(&SetAttr {
        atime,
        mtime,
        ..Default::default()
    })?;
    // inotify hook: IN_ATTRIB.
    inotify::attr_changed(
        inode.as_ref(),
        path.as_ref().map(|p| &p.dentry),
        inotify::IN_ATTRIB,
    );
    Ok(0)
}

/// Both times UTIME_OMIT: nothing to do, and Linux checks nothing.
fn nothing_to_set(atime: &Option<TimeSet>, mtime: &Option<TimeSet>) -> bool {
    atime.is_none() && mtime.is_none()
}

fn utimes_at(
    t: &Task,
    dirfd: i32,
    path: u64,
    atime: Option<TimeSet>,
    mtime: Option<TimeSet>,
    flags: u32,
) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    if path == 0 {
        // utimensat(fd, NULL, ...) is futimens.
        if dirfd == libc::AT_FDCWD {
            return Err(Errno::EFAULT);
        }
        let (i, p) = fd_target(t, dirfd)?;
        return set_times(t, &i, &p, atime, mtime);
    }
    let path = t.read_path(path)?;
    let p = t.resolve(
        dirfd,
        &path,
        flags & AT_SYMLINK_NOFOLLOW == 0,
        flags & AT_EMPTY_PATH != 0,
    )?;
    set_times(t, &p.dentry.inode.clone(), &Some(p), atime, mtime)
}

fn sys_utimensat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (atime, mtime) = if a.u64(2) == 0 {
        (Some(TimeSet::Now), Some(TimeSet::Now))
    } else {
        let ts: [Timespec; 2] = t.mm.read_obj(a.u64(2))?;
        (time_set(&ts[0])?, time_set(&ts[1])?)
    };
    if nothing_to_set(&atime, &mtime) {
        return Ok(0);
    }
    utimes_at(t, a.fd(0), a.u64(1), atime, mtime, a.u32(3))
}

fn timevals(t: &Task, addr: u64) -> Result<(Option<TimeSet>, Option<TimeSet>), Errno> {
    if addr == 0 {
        return Ok((Some(TimeSet::Now), Some(TimeSet::Now)));
    }
    let tv: [Timeval; 2] = t.mm.read_obj(addr)?;
    let conv = |v: &Timeval| -> Result<Option<TimeSet>, Errno> {
        if !(0..1_000_000).contains(&v.tv_usec) {
            return Err(Errno::EINVAL);
        }
        Ok(Some(TimeSet::At(Timespec {
            tv_sec: v.tv_sec,
            tv_nsec: v.tv_usec * 1000,
        })))
    };
    Ok((conv(&tv[0])?, conv(&tv[1])?))
}

fn sys_utimes(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (at, mt) = timevals(t, a.u64(1))?;
    utimes_at(t, libc::AT_FDCWD, a.u64(0), at, mt, 0)
}

fn sys_futimesat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (at, mt) = timevals(t, a.u64(2))?;
    utimes_at(t, a.fd(0), a.u64(1), at, mt, 0)
}

fn sys_utime(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (at, mt) = if a.u64(1) == 0 {
        (Some(TimeSet::Now), Some(TimeSet::Now))
    } else {
        let b: [i64; 2] = t.mm.read_obj(a.u64(1))?;
        (
            Some(TimeSet::At(Timespec {
                tv_sec: b[0],
                tv_nsec: 0,
            })),
            Some(TimeSet::At(Timespec {
                tv_sec: b[1],
                tv_nsec: 0,
            })),
        )
    };
    utimes_at(t, libc::AT_FDCWD, a.u64(0), at, mt, 0)
}
