//! mount(2) and umount2(2) inside the sandbox's mount namespace: new
//! mounts of the filesystems `fs::fstype` makes (tmpfs, proc, sysfs,
//! devpts, mqueue, cgroup2), bind mounts (MS_BIND, MS_REC), remounts
//! (flags of one mount with MS_BIND, of the filesystem without), MS_MOVE,
//! propagation changes (accepted: every sandbox mount is private), and
//! unmounting with MNT_DETACH, MNT_FORCE, MNT_EXPIRE and UMOUNT_NOFOLLOW.
//! Nothing reaches the host: these change only the Sentry's mount tree.
//!
//! Checks and their order follow Linux's fs/namespace.c: the target is
//! resolved first (ENOENT, ENOTDIR, …), then CAP_SYS_ADMIN (EPERM), then
//! what the operation needs (EINVAL, ENODEV, EBUSY, ENOTDIR).

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::fs::{fstype, mount_opts, tmpfs};
use crate::kernel::creds::CAP_SYS_ADMIN;
use crate::kernel::Task;
use crate::vfs::mount::*;
use crate::vfs::Path;
use abi::{sysno, Errno};
use std::sync::Arc;

const MS_MGC_MSK: u32 = 0xffff_0000;
const MS_MGC_VAL: u32 = 0xc0ed_0000;
const MS_PROPAGATION: u32 = MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE;

const MNT_FORCE: u32 = 1;
const MNT_DETACH: u32 = 2;
const MNT_EXPIRE: u32 = 4;
const UMOUNT_NOFOLLOW: u32 = 8;

/// mount(2) strings are at most this long (strndup_user(…, PATH_MAX)).
const MOUNT_STRING_MAX: usize = 4096;
/// mount(2) copies at most one page of data.
const DATA_MAX: usize = 4096;

pub fn register(t: &mut Table) {
    t.partial(
        sysno::MOUNT,
        sys_mount,
        &[Arg::Path, Arg::Path, Arg::Path, Arg::Hex, Arg::Ptr],
        "the sandbox's own mount tree: tmpfs, proc, sysfs, devpts, mqueue and cgroup2 \
         filesystems, bind mounts, remounts and moves; propagation is always private",
    );
    t.add(sysno::UMOUNT2, sys_umount2, &[Arg::Path, Arg::Hex]);
}

/// A string argument that may be NULL.
fn opt_string(t: &Task, addr: u64) -> Result<Option<Vec<u8>>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    match t.mm.read_cstring(addr, MOUNT_STRING_MAX - 1) {
        Ok(s) => Ok(Some(s)),
        Err(Errno::ENAMETOOLONG) => Err(Errno::EINVAL),
        Err(e) => Err(e),
    }
}

/// mount(2)'s data: up to a page, cut at the first NUL, as much as can be
/// read (EFAULT only when nothing can).
fn read_data(t: &Task, addr: u64) -> Result<Vec<u8>, Errno> {
    if addr == 0 {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut at = addr;
    while out.len() < DATA_MAX {
        let chunk = ((abi::PAGE_SIZE - at % abi::PAGE_SIZE) as usize).min(DATA_MAX - out.len());
        let mut buf = vec![0u8; chunk];
        if let Err(e) = t.mm.read_bytes(at, &mut buf) {
            if out.is_empty() {
                return Err(e);
            }
            break;
        }
        if let Some(i) = buf.iter().position(|&b| b == 0) {
            out.extend_from_slice(&buf[..i]);
            return Ok(out);
        }
        out.extend_from_slice(&buf);
        at = at.checked_add(chunk as u64).ok_or(Errno::EFAULT)?;
    }
    // Linux keeps the page NUL-terminated.
    out.truncate(DATA_MAX - 1);
    Ok(out)
}

/// `path` names the root of a mount in this namespace (path_mounted and
/// check_mnt), else EINVAL.
fn mount_root(t: &Task, p: &Path) -> Result<(), Errno> {
    if !Arc::ptr_eq(&p.dentry, &p.mount.root) || !t.k.mounts.contains(&p.mount) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

fn sys_mount(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let fs_type = opt_string(t, a.u64(2))?;
    let source = opt_string(t, a.u64(0))?;
    let data = read_data(t, a.u64(4))?;
    let target = t.read_path(a.u64(1))?;
    let p = t.resolve(libc::AT_FDCWD, &target, true, false)?;
    let mut flags = a.u64(3) as u32;
    if flags & MS_MGC_MSK == MS_MGC_VAL {
        flags &= !MS_MGC_MSK;
    }
    if flags & MS_NOUSER != 0 {
        return Err(Errno::EINVAL);
    }
    if !t.creds.has_cap(CAP_SYS_ADMIN) {
        return Err(Errno::EPERM);
    }
    let mut mnt_flags = mount_flags_of(flags);
    // A remount keeps the atime rule unless it names one.
    if flags & MS_REMOUNT != 0
        && flags & (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME) == 0
    {
        let atime = MS_NOATIME | MS_NODIRATIME | MS_STRICTATIME;
        mnt_flags = (mnt_flags & !atime) | (p.mount.flags() & atime);
    }
    if flags & (MS_REMOUNT | MS_BIND) == MS_REMOUNT | MS_BIND {
        mount_root(t, &p)?;
        p.mount.set_flags(mnt_flags);
        return Ok(0);
    }
    if flags & MS_REMOUNT != 0 {
        return remount(t, &p, flags, mnt_flags, &data);
    }
    if flags & MS_BIND != 0 {
        return bind(t, &p, source.as_deref(), flags & MS_REC != 0);
    }
    if flags & MS_PROPAGATION != 0 {
        mount_root(t, &p)?;
        let kind = flags & !(MS_REC | MS_SILENT);
        if !kind.is_power_of_two() {
            return Err(Errno::EINVAL);
        }
        return Ok(0);
    }
    if flags & MS_MOVE != 0 {
        return move_mount(t, &p, source.as_deref());
    }
    new_mount(t, &p, fs_type, source, flags, mnt_flags, &data)
}

/// MS_REMOUNT without MS_BIND: the filesystem's read-only state and
/// options (a tmpfs's size), and the mount's flags.
fn remount(t: &Task, p: &Path, flags: u32, mnt_flags: u32, data: &[u8]) -> SysResult {
    mount_root(t, p)?;
    let sb = &p.mount.sb;
    let opts = mount_opts::split_data(data);
    if sb.fs_type == "tmpfs" {
        // Only the size changes on a remount; mode, uid and gid stay.
        let o = mount_opts::TmpfsOptions::default().parse(&opts, fstype::mem_total())?;
        if opts
            .iter()
            .any(|o| o.starts_with("size=") || o.starts_with("nr_blocks="))
        {
            tmpfs::set_size_limit_of(p.mount.root.inode.as_ref(), o.size)?;
            let shown = sb.options();
            let rest: Vec<&str> = shown
                .split(',')
                .filter(|w| !w.starts_with("size="))
                .collect();
            let mut new: Vec<String> = o
                .size
                .map(|s| format!("size={}k", s / 1024))
                .into_iter()
                .collect();
            new.extend(rest.iter().filter(|w| !w.is_empty()).map(|w| w.to_string()));
            sb.set_options(new.join(","));
        }
    }
    // Stand-ins for filesystems the Sentry lacks stay read-only.
    if !fstype::pinned_read_only(sb) {
        sb.set_read_only(flags & MS_RDONLY != 0);
    }
    p.mount.set_flags(mnt_flags);
    Ok(0)
}

/// MS_BIND: `source` (resolved, symlinks followed) shown at `p` too.
fn bind(t: &Task, p: &Path, source: Option<&[u8]>, recursive: bool) -> SysResult {
    let src = match source {
        Some(s) if !s.is_empty() => s,
        _ => return Err(Errno::EINVAL),
    };
    let sp = t.resolve(libc::AT_FDCWD, src, true, false)?;
    if !t.k.mounts.contains(&p.mount) || !t.k.mounts.contains(&sp.mount) {
        return Err(Errno::EINVAL);
    }
    check_graft(&p.dentry, &sp.dentry)?;
    t.k.mounts
        .bind(&sp.mount, &sp.dentry, &p.mount, &p.dentry, recursive);
    Ok(0)
}

/// MS_MOVE: the mount whose root `source` names goes to `p`.
fn move_mount(t: &Task, p: &Path, source: Option<&[u8]>) -> SysResult {
    let src = match source {
        Some(s) if !s.is_empty() => s,
        _ => return Err(Errno::EINVAL),
    };
    let sp = t.resolve(libc::AT_FDCWD, src, true, false)?;
    mount_root(t, &sp)?;
    if !t.k.mounts.contains(&p.mount) {
        return Err(Errno::EINVAL);
    }
    if p.is_dir() != sp.is_dir() {
        return Err(Errno::EINVAL);
    }
    let Path { mount, dentry } = sp;
    drop(dentry);
    t.k.mounts.move_mount(mount, &p.mount, &p.dentry)?;
    Ok(0)
}

/// A new filesystem of `fs_type` at `p`.
fn new_mount(
    t: &Task,
    p: &Path,
    fs_type: Option<Vec<u8>>,
    source: Option<Vec<u8>>,
    flags: u32,
    mnt_flags: u32,
    data: &[u8],
) -> SysResult {
    let Some(fs_type) = fs_type else {
        return Err(Errno::EINVAL);
    };
    let fs_type = String::from_utf8(fs_type).map_err(|_| Errno::ENODEV)?;
    let opts = mount_opts::split_data(data);
    let made = fstype::make(&t.k.mounts, &t.k.mf, &fs_type, &opts)?;
    if !t.k.mounts.contains(&p.mount) {
        return Err(Errno::EINVAL);
    }
    let root = crate::vfs::Dentry::new_root(made.root);
    check_graft(&p.dentry, &root)?;
    if flags & MS_RDONLY != 0 && fs_type == "tmpfs" {
        made.sb.set_read_only(true);
    }
    let source = source
        .map(|s| String::from_utf8_lossy(&s).into_owned())
        .unwrap_or_default();
    t.k.mounts.attach(
        &p.mount,
        &p.dentry,
        NewMount {
            root,
            sb: made.sb,
            source,
            flags: mnt_flags,
        },
    );
    Ok(0)
}

fn sys_umount2(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let flags = a.u32(1);
    if flags & !(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    let target = t.read_path(a.u64(0))?;
    let p = t.resolve(libc::AT_FDCWD, &target, flags & UMOUNT_NOFOLLOW == 0, false)?;
    if !t.creds.has_cap(CAP_SYS_ADMIN) {
        return Err(Errno::EPERM);
    }
    mount_root(t, &p)?;
    let Path { mount, dentry } = p;
    drop(dentry);
    if flags & MNT_EXPIRE != 0 {
        if flags & (MNT_FORCE | MNT_DETACH) != 0 {
            return Err(Errno::EINVAL);
        }
        t.k.mounts.unmount_expired(mount)?;
        return Ok(0);
    }
    // MNT_FORCE asks filesystems to abort pending I/O: nothing here waits.
    t.k.mounts.unmount(mount, flags & MNT_DETACH != 0)?;
    Ok(0)
}
