//! Name operations: mkdir, mknod, rmdir, unlink, rename, link, symlink, readlink.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::creds::CAP_MKNOD;
use crate::kernel::Task;
use crate::vfs::inode::{S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK};
use crate::vfs::{namei, NewNode};
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    t.add(sysno::MKDIR, sys_mkdir, &[Arg::Path, Arg::Oct]);
    t.add(sysno::MKDIRAT, sys_mkdirat, &[Arg::Fd, Arg::Path, Arg::Oct]);
    t.add(sysno::MKNOD, sys_mknod, &[Arg::Path, Arg::Oct, Arg::Hex]);
    t.add(
        sysno::MKNODAT,
        sys_mknodat,
        &[Arg::Fd, Arg::Path, Arg::Oct, Arg::Hex],
    );
    t.add(sysno::RMDIR, sys_rmdir, &[Arg::Path]);
    t.add(sysno::UNLINK, sys_unlink, &[Arg::Path]);
    t.add(
        sysno::UNLINKAT,
        sys_unlinkat,
        &[Arg::Fd, Arg::Path, Arg::Hex],
    );
    t.add(sysno::RENAME, sys_rename, &[Arg::Path, Arg::Path]);
    t.add(
        sysno::RENAMEAT,
        sys_renameat,
        &[Arg::Fd, Arg::Path, Arg::Fd, Arg::Path],
    );
    t.partial(
        sysno::RENAMEAT2,
        sys_renameat2,
        &[Arg::Fd, Arg::Path, Arg::Fd, Arg::Path, Arg::Hex],
        "RENAME_WHITEOUT is refused",
    );
    t.add(sysno::LINK, sys_link, &[Arg::Path, Arg::Path]);
    t.add(
        sysno::LINKAT,
        sys_linkat,
        &[Arg::Fd, Arg::Path, Arg::Fd, Arg::Path, Arg::Hex],
    );
    t.add(sysno::SYMLINK, sys_symlink, &[Arg::Path, Arg::Path]);
    t.add(
        sysno::SYMLINKAT,
        sys_symlinkat,
        &[Arg::Path, Arg::Fd, Arg::Path],
    );
    t.add(
        sysno::READLINK,
        sys_readlink,
        &[Arg::Path, Arg::OutBuf, Arg::Int],
    );
    t.add(
        sysno::READLINKAT,
        sys_readlinkat,
        &[Arg::Fd, Arg::Path, Arg::OutBuf, Arg::Int],
    );
}

const AT_REMOVEDIR: u32 = 0x200;
const AT_SYMLINK_FOLLOW: u32 = 0x400;
const AT_EMPTY_PATH: u32 = 0x1000;

fn mkdirat(t: &mut Task, dirfd: i32, path: u64, mode: u32) -> SysResult {
    let path = t.read_path(path)?;
    let start = t.start_dir(dirfd, &path)?;
    let node = NewNode::Dir {
        mode: mode & 0o1777 & !t.umask(),
    };
    let owner = t.owner();
    t.with_walk(|w| namei::create(w, &start, &path, node, owner))?;
    Ok(0)
}

fn sys_mkdir(t: &mut Task, a: &SyscallArgs) -> SysResult {
    mkdirat(t, libc::AT_FDCWD, a.u64(0), a.u32(1))
}

fn sys_mkdirat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    mkdirat(t, a.fd(0), a.u64(1), a.u32(2))
}

fn mknodat(t: &mut Task, dirfd: i32, path: u64, mode: u32, dev: u64) -> SysResult {
    let path = t.read_path(path)?;
    let perm_bits = mode & 0o7777 & !t.umask();
    let node = match mode & S_IFMT {
        0 | S_IFREG => NewNode::File { mode: perm_bits },
        S_IFIFO | S_IFSOCK => NewNode::Node {
            mode: (mode & S_IFMT) | perm_bits,
            rdev: 0,
        },
        S_IFCHR | S_IFBLK => {
            if !t.creds.has_cap(CAP_MKNOD) {
                return Err(Errno::EPERM);
            }
            NewNode::Node {
                mode: (mode & S_IFMT) | perm_bits,
                rdev: dev,
            }
        }
        crate::vfs::inode::S_IFDIR => return Err(Errno::EPERM),
        _ => return Err(Errno::EINVAL),
    };
    let start = t.start_dir(dirfd, &path)?;
    let owner = t.owner();
    t.with_walk(|w| namei::create(w, &start, &path, node, owner))?;
    Ok(0)
}

fn sys_mknod(t: &mut Task, a: &SyscallArgs) -> SysResult {
    mknodat(t, libc::AT_FDCWD, a.u64(0), a.u32(1), a.u32(2) as u64)
}

fn sys_mknodat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    mknodat(t, a.fd(0), a.u64(1), a.u32(2), a.u32(3) as u64)
}

fn remove(t: &mut Task, dirfd: i32, path: u64, dir: bool) -> SysResult {
    let path = t.read_path(path)?;
    let start = t.start_dir(dirfd, &path)?;
    t.with_walk(|w| namei::remove(w, &start, &path, dir))?;
    Ok(0)
}

fn sys_rmdir(t: &mut Task, a: &SyscallArgs) -> SysResult {
    remove(t, libc::AT_FDCWD, a.u64(0), true)
}

fn sys_unlink(t: &mut Task, a: &SyscallArgs) -> SysResult {
    remove(t, libc::AT_FDCWD, a.u64(0), false)
}

fn sys_unlinkat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let flags = a.u32(2);
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    remove(t, a.fd(0), a.u64(1), flags & AT_REMOVEDIR != 0)
}

fn renameat(t: &mut Task, olddir: i32, old: u64, newdir: i32, new: u64, flags: u32) -> SysResult {
    let old = t.read_path(old)?;
    let new = t.read_path(new)?;
    if old.is_empty() || new.is_empty() {
        return Err(Errno::ENOENT);
    }
    let os = t.start_dir(olddir, &old)?;
    let ns = t.start_dir(newdir, &new)?;
    t.with_walk(|w| namei::rename(w, &os, &old, &ns, &new, flags))?;
    Ok(0)
}

fn sys_rename(t: &mut Task, a: &SyscallArgs) -> SysResult {
    renameat(t, libc::AT_FDCWD, a.u64(0), libc::AT_FDCWD, a.u64(1), 0)
}

fn sys_renameat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    renameat(t, a.fd(0), a.u64(1), a.fd(2), a.u64(3), 0)
}

fn sys_renameat2(t: &mut Task, a: &SyscallArgs) -> SysResult {
    renameat(t, a.fd(0), a.u64(1), a.fd(2), a.u64(3), a.u32(4))
}

fn linkat(t: &mut Task, olddir: i32, old: u64, newdir: i32, new: u64, flags: u32) -> SysResult {
    if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let old = t.read_path(old)?;
    let src = t.resolve(
        olddir,
        &old,
        flags & AT_SYMLINK_FOLLOW != 0,
        flags & AT_EMPTY_PATH != 0,
    )?;
    let new = t.read_path(new)?;
    let ns = t.start_dir(newdir, &new)?;
    t.with_walk(|w| namei::link(w, &src, &ns, &new))?;
    Ok(0)
}

fn sys_link(t: &mut Task, a: &SyscallArgs) -> SysResult {
    linkat(t, libc::AT_FDCWD, a.u64(0), libc::AT_FDCWD, a.u64(1), 0)
}

fn sys_linkat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    linkat(t, a.fd(0), a.u64(1), a.fd(2), a.u64(3), a.u32(4))
}

fn symlinkat(t: &mut Task, target: u64, dirfd: i32, path: u64) -> SysResult {
    let target = t.read_path(target)?;
    if target.is_empty() {
        return Err(Errno::ENOENT);
    }
    let path = t.read_path(path)?;
    let start = t.start_dir(dirfd, &path)?;
    let owner = t.owner();
    t.with_walk(|w| namei::create(w, &start, &path, NewNode::Symlink { target }, owner))?;
    Ok(0)
}

fn sys_symlink(t: &mut Task, a: &SyscallArgs) -> SysResult {
    symlinkat(t, a.u64(0), libc::AT_FDCWD, a.u64(1))
}

fn sys_symlinkat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    symlinkat(t, a.u64(0), a.fd(1), a.u64(2))
}

fn readlinkat(t: &mut Task, dirfd: i32, path: u64, buf: u64, size: i32) -> SysResult {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = t.read_path(path)?;
    let target = if path.is_empty() {
        // An empty name reads the symlink an O_PATH fd refers to.
        if dirfd == libc::AT_FDCWD {
            return Err(Errno::ENOENT);
        }
        let p = t.fds.get(dirfd)?.path.clone().ok_or(Errno::ENOENT)?;
        if p.dentry.inode.attr()?.file_type() != crate::vfs::FileType::Symlink {
            return Err(Errno::ENOENT);
        }
        p.dentry.inode.readlink()?
    } else {
        let p = t.resolve(dirfd, &path, false, false)?;
        namei::readlink(&p)?
    };
    let n = target.len().min(size as usize);
    t.mm.write_bytes(buf, &target[..n])?;
    Ok(n as u64)
}

fn sys_readlink(t: &mut Task, a: &SyscallArgs) -> SysResult {
    readlinkat(t, libc::AT_FDCWD, a.u64(0), a.u64(1), a.i32(2))
}

fn sys_readlinkat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    readlinkat(t, a.fd(0), a.u64(1), a.u64(2), a.i32(3))
}
