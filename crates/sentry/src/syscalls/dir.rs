//! Directories: getcwd, chdir, fchdir, getdents, getdents64.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::Task;
use crate::vfs::perm::{self, MAY_EXEC};
use crate::vfs::{DirEntry, File, FileType, Path};
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    t.add(sysno::GETCWD, sys_getcwd, &[Arg::OutBuf, Arg::Int]);
    t.add(sysno::CHDIR, sys_chdir, &[Arg::Path]);
    t.add(sysno::FCHDIR, sys_fchdir, &[Arg::Fd]);
    t.add(sysno::CHROOT, sys_chroot, &[Arg::Path]);
    t.add(
        sysno::GETDENTS64,
        sys_getdents64,
        &[Arg::Fd, Arg::Ptr, Arg::Int],
    );
    t.add(
        sysno::GETDENTS,
        sys_getdents,
        &[Arg::Fd, Arg::Ptr, Arg::Int],
    );
}

fn sys_getcwd(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (root, cwd) = {
        let st = t.fs.st.lock();
        (st.root.clone(), st.cwd.clone())
    };
    if cwd.dentry.is_dead() {
        return Err(Errno::ENOENT);
    }
    let mut p = cwd.to_bytes(&root);
    p.push(0);
    if (a.u64(1) as usize) < p.len() {
        return Err(Errno::ERANGE);
    }
    t.mm.write_bytes(a.u64(0), &p)?;
    Ok(p.len() as u64)
}

fn enter(t: &Task, p: Path) -> Result<Path, Errno> {
    let at = p.dentry.inode.attr()?;
    if !at.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    perm::check(&at, &t.creds, MAY_EXEC)?;
    Ok(p)
}

fn sys_chdir(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let path = t.read_path(a.u64(0))?;
    let p = enter(t, t.resolve(libc::AT_FDCWD, &path, true, false)?)?;
    t.fs.st.lock().cwd = p;
    Ok(0)
}

fn sys_fchdir(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    let p = f.path.clone().ok_or(Errno::ENOTDIR)?;
    let p = enter(t, p)?;
    t.fs.st.lock().cwd = p;
    Ok(0)
}

fn sys_chroot(t: &mut Task, a: &SyscallArgs) -> SysResult {
    if !t.creds.has_cap(crate::kernel::creds::CAP_SYS_CHROOT) {
        return Err(Errno::EPERM);
    }
    let path = t.read_path(a.u64(0))?;
    let p = enter(t, t.resolve(libc::AT_FDCWD, &path, true, false)?)?;
    t.fs.st.lock().root = p;
    Ok(0)
}

/// The entries of a directory description, "." and ".." first, snapshotted
/// at the first read after open or rewind (kept in the description).
fn snapshot(t: &Task, f: &File) -> Result<Vec<DirEntry>, Errno> {
    let mut list = Vec::new();
    let me = f.attr()?;
    list.push(DirEntry {
        name: b".".to_vec(),
        ino: me.ino,
        kind: FileType::Directory,
    });
    let parent_ino = match &f.path {
        Some(p) => {
            let root = t.fs.st.lock().root.clone();
            let mut w = crate::vfs::Walk::new(&t.k.mounts, &root, &t.creds);
            w.step(p, b"..")
                .ok()
                .and_then(|pp| pp.dentry.inode.attr().ok())
                .map(|a| a.ino)
                .unwrap_or(me.ino)
        }
        None => me.ino,
    };
    list.push(DirEntry {
        name: b"..".to_vec(),
        ino: parent_ino,
        kind: FileType::Directory,
    });
    list.extend(f.ops.readdir(f)?);
    Ok(list)
}

/// Append the record for entry `idx` to `out`.
fn encode(out: &mut Vec<u8>, e: &DirEntry, idx: usize, wide: bool) {
    let start = out.len();
    if wide {
        let len = (19 + e.name.len() + 1 + 7) & !7;
        out.resize(start + len, 0);
        let r = &mut out[start..];
        r[0..8].copy_from_slice(&e.ino.to_le_bytes());
        r[8..16].copy_from_slice(&((idx + 1) as i64).to_le_bytes());
        r[16..18].copy_from_slice(&(len as u16).to_le_bytes());
        r[18] = e.kind.dirent_type();
        r[19..19 + e.name.len()].copy_from_slice(&e.name);
    } else {
        // linux_dirent: ino, off, reclen, name, NUL, padding, d_type in the last byte.
        let len = (18 + e.name.len() + 2 + 7) & !7;
        out.resize(start + len, 0);
        let r = &mut out[start..];
        r[0..8].copy_from_slice(&e.ino.to_le_bytes());
        r[8..16].copy_from_slice(&((idx + 1) as i64).to_le_bytes());
        r[16..18].copy_from_slice(&(len as u16).to_le_bytes());
        r[18..18 + e.name.len()].copy_from_slice(&e.name);
        r[len - 1] = e.kind.dirent_type();
    }
}

fn record_len(e: &DirEntry, wide: bool) -> usize {
    if wide {
        (19 + e.name.len() + 1 + 7) & !7
    } else {
        (18 + e.name.len() + 2 + 7) & !7
    }
}

/// Fill `count` bytes at `buf` with records; `wide` is linux_dirent64.
fn getdents(t: &mut Task, fd: i32, buf: u64, count: u64, wide: bool) -> SysResult {
    // The kernel keeps the count in an int: "negative" sizes fit nothing.
    let count = if (count as u32 as i32) < 0 { 0 } else { count };
    let f = t.fds.get(fd)?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    if !f.attr()?.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    let mut cur = f.dir.lock();
    if cur.entries.is_none() {
        cur.entries = Some(snapshot(t, &f)?);
    }
    let list = cur.entries.as_deref().unwrap_or(&[]);
    let mut pos = f.pos.lock();
    let first = (*pos).max(0) as usize;
    // Encode as many records as fit, then copy them out in one go.
    let mut out: Vec<u8> = Vec::new();
    let mut bounds: Vec<usize> = Vec::new();
    let mut idx = first;
    while let Some(e) = list.get(idx) {
        if (out.len() + record_len(e, wide)) as u64 > count {
            break;
        }
        encode(&mut out, e, idx, wide);
        bounds.push(out.len());
        idx += 1;
    }
    if out.is_empty() {
        if idx < list.len() {
            return Err(Errno::EINVAL);
        }
        return Ok(0);
    }
    if let Err(err) = t.mm.write_bytes(buf, &out) {
        // A fault part way: Linux keeps the records that fit before it.
        let mut written = 0;
        for (i, &end) in bounds.iter().enumerate() {
            let begin = if i == 0 { 0 } else { bounds[i - 1] };
            if t.mm
                .write_bytes(buf + begin as u64, &out[begin..end])
                .is_err()
            {
                break;
            }
            written = i + 1;
        }
        if written == 0 {
            return Err(err);
        }
        *pos = (first + written) as i64;
        return Ok(bounds[written - 1] as u64);
    }
    *pos = idx as i64;
    Ok(out.len() as u64)
}

fn sys_getdents64(t: &mut Task, a: &SyscallArgs) -> SysResult {
    getdents(t, a.fd(0), a.u64(1), a.u32(2) as u64, true)
}

fn sys_getdents(t: &mut Task, a: &SyscallArgs) -> SysResult {
    getdents(t, a.fd(0), a.u64(1), a.u32(2) as u64, false)
}
