//! stat family and access checks.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::Task;
use crate::vfs::perm::{self, MAY_EXEC, MAY_READ, MAY_WRITE};
use crate::vfs::{Attr, FileType};
use abi::{sysno, Errno, Stat, Statx, StatxTimestamp};

pub fn register(t: &mut Table) {
    t.add(sysno::STAT, sys_stat, &[Arg::Path, Arg::Ptr]);
    t.add(sysno::LSTAT, sys_lstat, &[Arg::Path, Arg::Ptr]);
    t.add(sysno::FSTAT, sys_fstat, &[Arg::Fd, Arg::Ptr]);
    t.add(
        sysno::NEWFSTATAT,
        sys_newfstatat,
        &[Arg::Fd, Arg::Path, Arg::Ptr, Arg::Hex],
    );
    t.add(
        sysno::STATX,
        sys_statx,
        &[Arg::Fd, Arg::Path, Arg::Hex, Arg::Hex, Arg::Ptr],
    );
    t.add(sysno::ACCESS, sys_access, &[Arg::Path, Arg::Oct]);
    t.add(
        sysno::FACCESSAT,
        sys_faccessat,
        &[Arg::Fd, Arg::Path, Arg::Oct],
    );
    t.add(
        sysno::FACCESSAT2,
        sys_faccessat2,
        &[Arg::Fd, Arg::Path, Arg::Oct, Arg::Hex],
    );
}

const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
const AT_EACCESS: u32 = 0x200;
const AT_NO_AUTOMOUNT: u32 = 0x800;
const AT_EMPTY_PATH: u32 = 0x1000;
const AT_STATX_SYNC_TYPE: u32 = 0x6000;

pub fn to_stat(a: &Attr) -> Stat {
    Stat {
        st_dev: a.dev,
        st_ino: a.ino,
        st_nlink: a.nlink,
        st_mode: a.mode,
        st_uid: a.uid,
        st_gid: a.gid,
        st_rdev: a.rdev,
        st_size: a.size as i64,
        st_blksize: if a.blksize == 0 {
            4096
        } else {
            a.blksize as i64
        },
        st_blocks: a.blocks as i64,
        st_atime: a.atime.tv_sec,
        st_atime_nsec: a.atime.tv_nsec,
        st_mtime: a.mtime.tv_sec,
        st_mtime_nsec: a.mtime.tv_nsec,
        st_ctime: a.ctime.tv_sec,
        st_ctime_nsec: a.ctime.tv_nsec,
        ..Default::default()
    }
}

/// Attributes of what `(dirfd, path)` names, with *at() flag rules.
fn attr_at(t: &Task, dirfd: i32, path_addr: u64, flags: u32) -> Result<Attr, Errno> {
    // Linux 6.11+: a NULL path with AT_EMPTY_PATH names the fd itself.
    let path = if path_addr == 0 && flags & AT_EMPTY_PATH != 0 {
        Vec::new()
    } else {
        t.read_path(path_addr)?
    };
    if path.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        if dirfd == libc::AT_FDCWD {
            return t.fs.st.lock().cwd.dentry.inode.attr();
        }
        return t.fds.get(dirfd)?.attr();
    }
    let p = t.resolve(dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0, false)?;
    p.dentry.inode.attr()
}

fn sys_stat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let at = attr_at(t, libc::AT_FDCWD, a.u64(0), 0)?;
    t.mm.write_obj(a.u64(1), &to_stat(&at))?;
    Ok(0)
}

fn sys_lstat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let at = attr_at(t, libc::AT_FDCWD, a.u64(0), AT_SYMLINK_NOFOLLOW)?;
    t.mm.write_obj(a.u64(1), &to_stat(&at))?;
    Ok(0)
}

fn sys_fstat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let at = t.fds.get(a.fd(0))?.attr()?;
    t.mm.write_obj(a.u64(1), &to_stat(&at))?;
    Ok(0)
}

fn sys_newfstatat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let flags = a.u32(3);
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT) != 0 {
        return Err(Errno::EINVAL);
    }
    let at = attr_at(t, a.fd(0), a.u64(1), flags)?;
    t.mm.write_obj(a.u64(2), &to_stat(&at))?;
    Ok(0)
}

const STATX_BASIC_STATS: u32 = 0x7ff;
const STATX_BTIME: u32 = 0x800;
const STATX_RESERVED: u32 = 0x8000_0000;

fn stx_ts(t: abi::Timespec) -> StatxTimestamp {
    StatxTimestamp {
        tv_sec: t.tv_sec,
        tv_nsec: t.tv_nsec as u32,
        _reserved: 0,
    }
}

fn sys_statx(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (dirfd, path, flags, mask, buf) = (a.fd(0), a.u64(1), a.u32(2), a.u32(3), a.u64(4));
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE) != 0
        || flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE
        || mask & STATX_RESERVED != 0
    {
        return Err(Errno::EINVAL);
    }
    let at = attr_at(t, dirfd, path, flags)?;
    let has_btime = at.btime.tv_sec != 0 || at.btime.tv_nsec != 0;
    let sx = Statx {
        stx_mask: STATX_BASIC_STATS | if has_btime { STATX_BTIME } else { 0 },
        stx_blksize: if at.blksize == 0 {
            4096
        } else {
            at.blksize as u32
        },
        stx_nlink: at.nlink as u32,
        stx_uid: at.uid,
        stx_gid: at.gid,
        stx_mode: at.mode as u16,
        stx_ino: at.ino,
        stx_size: at.size,
        stx_blocks: at.blocks,
        stx_atime: stx_ts(at.atime),
        stx_btime: stx_ts(at.btime),
        stx_ctime: stx_ts(at.ctime),
        stx_mtime: stx_ts(at.mtime),
        stx_rdev_major: libc::major(at.rdev),
        stx_rdev_minor: libc::minor(at.rdev),
        stx_dev_major: libc::major(at.dev),
        stx_dev_minor: libc::minor(at.dev),
        ..Default::default()
    };
    t.mm.write_obj(buf, &sx)?;
    Ok(0)
}

fn access(t: &mut Task, dirfd: i32, path_addr: u64, mode: u32, flags: u32) -> SysResult {
    if mode & !7 != 0 || flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = t.read_path(path_addr)?;
    let p = t.resolve(
        dirfd,
        &path,
        flags & AT_SYMLINK_NOFOLLOW == 0,
        flags & AT_EMPTY_PATH != 0,
    )?;
    if mode == 0 {
        return Ok(0);
    }
    let at = p.dentry.inode.attr()?;
    // access(2) checks with the real ids unless AT_EACCESS.
    let mut creds = (*t.creds).clone();
    if flags & AT_EACCESS == 0 {
        creds.fsuid = creds.uid;
        creds.fsgid = creds.gid;
        if creds.uid != 0 {
            creds.cap_effective = 0;
        }
    }
    let mut want = 0;
    if mode & 4 != 0 {
        want |= MAY_READ;
    }
    if mode & 2 != 0 {
        want |= MAY_WRITE;
    }
    if mode & 1 != 0 {
        want |= MAY_EXEC;
    }
    perm::check(&at, &creds, want)?;
    if mode & 2 != 0
        && p.mount.read_only()
        && matches!(
            at.file_type(),
            FileType::Regular | FileType::Directory | FileType::Symlink
        )
    {
        return Err(Errno::EROFS);
    }
    Ok(0)
}

fn sys_access(t: &mut Task, a: &SyscallArgs) -> SysResult {
    access(t, libc::AT_FDCWD, a.u64(0), a.u32(1), 0)
}

fn sys_faccessat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    access(t, a.fd(0), a.u64(1), a.u32(2), 0)
}

fn sys_faccessat2(t: &mut Task, a: &SyscallArgs) -> SysResult {
    access(t, a.fd(0), a.u64(1), a.u32(2), a.u32(3))
}
