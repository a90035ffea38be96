//! Extended attributes: get, set, list and remove, by path (following a
//! final symlink or not), by fd, and the *xattrat forms of Linux 6.13.
//! Handlers copy names and values in and out, in Linux's order (flags,
//! name, size and value first, then the file); the rules are
//! `vfs::xattr`'s.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::Task;
use crate::vfs::inode::{XATTR_CREATE, XATTR_REPLACE};
use crate::vfs::xattr::{self, XATTR_LIST_MAX, XATTR_NAME_MAX, XATTR_SIZE_MAX};
use crate::vfs::{Attr, File, Inode, Path};
use abi::{sysno, Errno};
use std::sync::Arc;

const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
const AT_EMPTY_PATH: u32 = 0x1000;
/// `struct xattr_args` of the *xattrat calls: value pointer, size, flags.
const XATTR_ARGS_SIZE_VER0: u64 = 16;

const PATH_ARGS: &[Arg] = &[Arg::Path, Arg::Path, Arg::Ptr, Arg::Hex];
const FD_ARGS: &[Arg] = &[Arg::Fd, Arg::Path, Arg::Ptr, Arg::Hex];
const SET_PATH_ARGS: &[Arg] = &[Arg::Path, Arg::Path, Arg::Ptr, Arg::Hex, Arg::Hex];
const SET_FD_ARGS: &[Arg] = &[Arg::Fd, Arg::Path, Arg::Ptr, Arg::Hex, Arg::Hex];
const AT_ARGS: &[Arg] = &[Arg::Fd, Arg::Path, Arg::Hex, Arg::Path, Arg::Ptr, Arg::Hex];

/// What the family lacks.
const NOTE: &str = "user, trusted and security names on tmpfs and the overlay; host files \
                    (Gofer) serve user and trusted names only; system.* (POSIX ACLs): EOPNOTSUPP";

pub fn register(t: &mut Table) {
    let mut add = |nr: usize, handler: super::Handler, args: &'static [Arg]| {
        t.partial(nr, handler, args, NOTE)
    };
    add(sysno::GETXATTR, sys_getxattr, PATH_ARGS);
    add(sysno::LGETXATTR, sys_lgetxattr, PATH_ARGS);
    add(sysno::FGETXATTR, sys_fgetxattr, FD_ARGS);
    add(sysno::SETXATTR, sys_setxattr, SET_PATH_ARGS);
    add(sysno::LSETXATTR, sys_lsetxattr, SET_PATH_ARGS);
    add(sysno::FSETXATTR, sys_fsetxattr, SET_FD_ARGS);
    add(
        sysno::LISTXATTR,
        sys_listxattr,
        &[Arg::Path, Arg::Ptr, Arg::Hex],
    );
    add(
        sysno::LLISTXATTR,
        sys_llistxattr,
        &[Arg::Path, Arg::Ptr, Arg::Hex],
    );
    add(
        sysno::FLISTXATTR,
        sys_flistxattr,
        &[Arg::Fd, Arg::Ptr, Arg::Hex],
    );
    add(sysno::REMOVEXATTR, sys_removexattr, &[Arg::Path, Arg::Path]);
    add(
        sysno::LREMOVEXATTR,
        sys_lremovexattr,
        &[Arg::Path, Arg::Path],
    );
    add(sysno::FREMOVEXATTR, sys_fremovexattr, &[Arg::Fd, Arg::Path]);
    add(sysno::SETXATTRAT, sys_setxattrat, AT_ARGS);
    add(sysno::GETXATTRAT, sys_getxattrat, AT_ARGS);
    add(
        sysno::LISTXATTRAT,
        sys_listxattrat,
        &[Arg::Fd, Arg::Path, Arg::Hex, Arg::Ptr, Arg::Hex],
    );
    add(
        sysno::REMOVEXATTRAT,
        sys_removexattrat,
        &[Arg::Fd, Arg::Path, Arg::Hex, Arg::Path],
    );
}

/// Which file a call names.
enum Where {
    Path {
        dirfd: i32,
        path: Vec<u8>,
        follow: bool,
    },
    /// The open file itself (f*xattr, or AT_EMPTY_PATH with no path).
    Fd(i32),
}

/// What the rules need of the file.
struct Target {
    attr: Attr,
    inode: Option<Arc<dyn Inode>>,
    read_only: bool,
}

impl Target {
    fn of_path(p: &Path) -> Result<Target, Errno> {
        Ok(Target {
            attr: p.dentry.inode.attr()?,
            inode: Some(p.dentry.inode.clone()),
            read_only: p.mount.read_only(),
        })
    }

    fn of_file(f: &File) -> Result<Target, Errno> {
        // An O_PATH descriptor is no file for these calls.
        if f.is_path_only() {
            return Err(Errno::EBADF);
        }
        Ok(Target {
            attr: f.attr()?,
            inode: f.inode.clone(),
            read_only: f.path.as_ref().is_some_and(|p| p.mount.read_only()),
        })
    }

    fn store(&self) -> Option<&dyn Inode> {
        self.inode.as_deref()
    }
}

fn target(t: &Task, w: &Where) -> Result<Target, Errno> {
    match w {
        Where::Fd(fd) => Target::of_file(&*t.fds.get(*fd)?),
        Where::Path {
            dirfd,
            path,
            follow,
        } => Target::of_path(&t.resolve(*dirfd, path, *follow, false)?),
    }
}

fn by_path(t: &Task, addr: u64, follow: bool) -> Result<Where, Errno> {
    Ok(Where::Path {
        dirfd: libc::AT_FDCWD,
        path: t.read_path(addr)?,
        follow,
    })
}

/// The file of a *xattrat call: `path` from `dirfd`, or with AT_EMPTY_PATH
/// and a NULL or empty path, `dirfd` itself.
fn at_where(t: &Task, dirfd: i32, path_addr: u64, at_flags: u32) -> Result<Where, Errno> {
    if at_flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = if path_addr == 0 && at_flags & AT_EMPTY_PATH != 0 {
        Vec::new()
    } else {
        t.read_path(path_addr)?
    };
    if path.is_empty() && at_flags & AT_EMPTY_PATH != 0 {
        return Ok(Where::Fd(dirfd));
    }
    Ok(Where::Path {
        dirfd,
        path,
        follow: at_flags & AT_SYMLINK_NOFOLLOW == 0,
    })
}

/// A name argument: ERANGE when empty or longer than 255 bytes.
fn read_name(t: &Task, addr: u64) -> Result<Vec<u8>, Errno> {
    let name = t.mm.read_cstring(addr, XATTR_NAME_MAX).map_err(|e| {
        if e == Errno::ENAMETOOLONG {
            Errno::ERANGE
        } else {
            e
        }
    })?;
    if name.is_empty() {
        return Err(Errno::ERANGE);
    }
    Ok(name)
}

/// Copy a value or list out: size 0 asks for its length; a buffer too
/// small is ERANGE (E2BIG when even the largest buffer would be).
fn copy_out(t: &Task, data: &[u8], addr: u64, size: u64, max: usize) -> SysResult {
    if size == 0 {
        return Ok(data.len() as u64);
    }
    let size = size.min(max as u64);
    if data.len() as u64 > size {
        return Err(if size >= max as u64 {
            Errno::E2BIG
        } else {
            Errno::ERANGE
        });
    }
    t.mm.write_bytes(addr, data)?;
    Ok(data.len() as u64)
}

fn get(t: &mut Task, w: Where, name: Vec<u8>, value: u64, size: u64) -> SysResult {
    let tg = target(t, &w)?;
    let v = xattr::get(&t.creds, &tg.attr, tg.store(), &name)?;
    copy_out(t, &v, value, size, XATTR_SIZE_MAX)
}

/// The flags, name and value of a set, checked and copied in Linux's order.
fn set_args(
    t: &Task,
    name_addr: u64,
    value_addr: u64,
    size: u64,
    flags: u32,
) -> Result<(Vec<u8>, Vec<u8>), Errno> {
    if flags & !(XATTR_CREATE | XATTR_REPLACE) != 0 {
        return Err(Errno::EINVAL);
    }
    let name = read_name(t, name_addr)?;
    if size > XATTR_SIZE_MAX as u64 {
        return Err(Errno::E2BIG);
    }
    let mut value = vec![0u8; size as usize];
    if size > 0 {
        t.mm.read_bytes(value_addr, &mut value)?;
    }
    Ok((name, value))
}

fn set(t: &mut Task, w: Where, name: Vec<u8>, value: Vec<u8>, flags: u32) -> SysResult {
    let tg = target(t, &w)?;
    xattr::change(
        &t.creds,
        &tg.attr,
        tg.store(),
        tg.read_only,
        &name,
        Some(&value),
        flags,
    )?;
    Ok(0)
}

fn list(t: &mut Task, w: Where, addr: u64, size: u64) -> SysResult {
    let tg = target(t, &w)?;
    let names = xattr::list(&t.creds, tg.store())?;
    copy_out(t, &names, addr, size, XATTR_LIST_MAX)
}

fn remove(t: &mut Task, w: Where, name: Vec<u8>) -> SysResult {
    let tg = target(t, &w)?;
    xattr::change(&t.creds, &tg.attr, tg.store(), tg.read_only, &name, None, 0)?;
    Ok(0)
}

fn sys_getxattr(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let name = read_name(t, a.u64(1))?;
    let w = by_path(t, a.u64(0), true)?;
    get(t, w, name, a.u64(2), a.u64(3))
}

fn sys_lgetxattr(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let name = read_name(t, a.u64(1))?;
    let w = by_path(t, a.u64(0), false)?;
    get(t, w, name, a.u64(2), a.u64(3))
}

fn sys_fgetxattr(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let name = read_name(t, a.u64(1))?;
    get(t, Where::Fd(a.fd(0)), name, a.u64(2), a.u64(3))
}

fn sys_setxattr(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (name, value) = set_args(t, a.u64(1), a.u64(2), a.u64(3), a.u32(4))?;
    let w = by_path(t, a.u64(0), true)?;
    set(t, w, name, value, a.u32(4))
}

fn sys_lsetxattr(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (name, value) = set_args(t, a.u64(1), a.u64(2), a.u64(3), a.u32(4))?;
    let w = by_path(t, a.u64(0), false)?;
    set(t, w, name, value, a.u32(4))
}

fn sys_fsetxattr(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (name, value) = set_args(t, a.u64(1), a.u64(2), a.u64(3), a.u32(4))?;
    set(t, Where::Fd(a.fd(0)), name, value, a.u32(4))
}

fn sys_listxattr(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let w = by_path(t, a.u64(0), true)?;
    list(t, w, a.u64(1), a.u64(2))
}

fn sys_llistxattr(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let w = by_path(t, a.u64(0), false)?;
    list(t, w, a.u64(1), a.u64(2))
}

fn sys_flistxattr(t: &mut Task, a: &SyscallArgs) -> SysResult {
    list(t, Where::Fd(a.fd(0)), a.u64(1), a.u64(2))
}

fn sys_removexattr(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let name = read_name(t, a.u64(1))?;
    let w = by_path(t, a.u64(0), true)?;
    remove(t, w, name)
}

fn sys_lremovexattr(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let name = read_name(t, a.u64(1))?;
    let w = by_path(t, a.u64(0), false)?;
    remove(t, w, name)
}

fn sys_fremovexattr(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let name = read_name(t, a.u64(1))?;
    remove(t, Where::Fd(a.fd(0)), name)
}

/// `struct xattr_args` from a *xattrat call: (value, size, flags). Bytes
/// past the version-0 struct must be zero (copy_struct_from_user).
fn xattr_args(t: &Task, addr: u64, usize: u64) -> Result<(u64, u32, u32), Errno> {
    if usize < XATTR_ARGS_SIZE_VER0 {
        return Err(Errno::EINVAL);
    }
    if usize > abi::PAGE_SIZE {
        return Err(Errno::E2BIG);
    }
    let mut raw = vec![0u8; usize as usize];
    t.mm.read_bytes(addr, &mut raw)?;
    if raw[XATTR_ARGS_SIZE_VER0 as usize..].iter().any(|&b| b != 0) {
        return Err(Errno::E2BIG);
    }
    let u64_at = |i: usize| u64::from_le_bytes(raw[i..i + 8].try_into().unwrap_or([0; 8]));
    let u32_at = |i: usize| u32::from_le_bytes(raw[i..i + 4].try_into().unwrap_or([0; 4]));
    Ok((u64_at(0), u32_at(8), u32_at(12)))
}

fn sys_setxattrat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (value, size, flags) = xattr_args(t, a.u64(4), a.u64(5))?;
    if a.u32(2) & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let (name, value) = set_args(t, a.u64(3), value, u64::from(size), flags)?;
    let w = at_where(t, a.fd(0), a.u64(1), a.u32(2))?;
    set(t, w, name, value, flags)
}

fn sys_getxattrat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (value, size, flags) = xattr_args(t, a.u64(4), a.u64(5))?;
    if flags != 0 || a.u32(2) & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let name = read_name(t, a.u64(3))?;
    let w = at_where(t, a.fd(0), a.u64(1), a.u32(2))?;
    get(t, w, name, value, u64::from(size))
}

fn sys_listxattrat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let w = at_where(t, a.fd(0), a.u64(1), a.u32(2))?;
    list(t, w, a.u64(3), a.u64(4))
}

fn sys_removexattrat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    if a.u32(2) & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let name = read_name(t, a.u64(3))?;
    let w = at_where(t, a.fd(0), a.u64(1), a.u32(2))?;
    remove(t, w, name)
}
