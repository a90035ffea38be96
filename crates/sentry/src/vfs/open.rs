//! open(2) and its relatives, in VFS terms.

use super::file::{File, FileOps};
use super::inode::{FileType, Inode, NewNode, Owner};
use super::path::{Path, Walk};
use super::perm::{self, MAY_READ, MAY_WRITE};
use abi::Errno;
use std::sync::Arc;

const O_ACCMODE: u32 = libc::O_ACCMODE as u32;
const O_WRONLY: u32 = libc::O_WRONLY as u32;
const O_RDWR: u32 = libc::O_RDWR as u32;
const O_CREAT: u32 = libc::O_CREAT as u32;
const O_EXCL: u32 = libc::O_EXCL as u32;
const O_TRUNC: u32 = libc::O_TRUNC as u32;
const O_DIRECTORY: u32 = libc::O_DIRECTORY as u32;
const O_NOFOLLOW: u32 = libc::O_NOFOLLOW as u32;
const O_PATH: u32 = libc::O_PATH as u32;
const O_TMPFILE: u32 = libc::O_TMPFILE as u32;
/// O_TMPFILE without the O_DIRECTORY it carries.
const O_TMPFILE_BIT: u32 = O_TMPFILE & !O_DIRECTORY;

/// The ops of an O_PATH file: it refers to a location, nothing more.
struct PathOnly;

impl FileOps for PathOnly {
    fn read(&self, _f: &File, _d: &mut crate::mm::IoDst, _o: i64) -> Result<u64, Errno> {
        Err(Errno::EBADF)
    }
    fn write(&self, _f: &File, _s: &mut crate::mm::IoSrc, _o: i64) -> Result<u64, Errno> {
        Err(Errno::EBADF)
    }
    fn ioctl(&self, _f: &File, _mm: &crate::mm::Mm, _c: u32, _a: u64) -> Result<u64, Errno> {
        Err(Errno::EBADF)
    }
}

fn wants_write(flags: u32) -> bool {
    matches!(flags & O_ACCMODE, O_WRONLY | O_RDWR)
}

/// Open an already-resolved path (permission checks included).
pub fn open_path(w: &Walk, path: Path, flags: u32, created: bool) -> Result<Arc<File>, Errno> {
    let inode: Arc<dyn Inode> = path.dentry.inode.clone();
    let a = inode.attr()?;
    if flags & O_PATH != 0 {
        if flags & O_DIRECTORY != 0 && !a.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        return Ok(File::new(
            Box::new(PathOnly),
            Some(path),
            Some(inode),
            flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW),
        ));
    }
    let kind = a.file_type();
    if kind == FileType::Symlink {
        return Err(Errno::ELOOP);
    }
    if flags & O_DIRECTORY != 0 && kind != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    // A nodev mount's device nodes do not open (before permissions, as may_open).
    if matches!(kind, FileType::CharDev | FileType::BlockDev)
        && path.mount.flags() & super::mount::MS_NODEV != 0
    {
        return Err(Errno::EACCES);
    }
    if kind == FileType::Directory && (wants_write(flags) || flags & O_CREAT != 0) {
        return Err(Errno::EISDIR);
    }
    if !created {
        let mut want = 0;
        match flags & O_ACCMODE {
            O_WRONLY => want |= MAY_WRITE,
            O_RDWR => want |= MAY_READ | MAY_WRITE,
            0 => want |= MAY_READ,
            _ => {}
        }
        if flags & O_TRUNC != 0 {
            want |= MAY_WRITE;
        }
        perm::check(&a, w.creds, want)?;
    }
    let writes = wants_write(flags) || flags & O_TRUNC != 0;
    if writes
        && path.mount.read_only()
        && matches!(
            kind,
            FileType::Regular | FileType::Directory | FileType::Symlink
        )
    {
        return Err(Errno::EROFS);
    }
    let ops = inode.open(&inode, flags)?;
    if flags & libc::O_DIRECT as u32 != 0 && !ops.supports_direct() {
        return Err(Errno::EINVAL);
    }
    let truncate = flags & O_TRUNC != 0 && kind == FileType::Regular && !created;
    if truncate {
        inode.setattr(&super::inode::SetAttr {
            size: Some(0),
            ..Default::default()
        })?;
    }
    let file = File::new(ops, Some(path), Some(inode), flags);
    // inotify hook: IN_OPEN (and IN_MODIFY for O_TRUNC).
    crate::fs::inotify::opened(&file, truncate);
    Ok(file)
}

/// open(2)/openat(2): resolve `name` from `start`, creating it with O_CREAT.
pub fn open(
    w: &mut Walk,
    start: &Path,
    name: &[u8],
    flags: u32,
    mode: u32,
    umask: u32,
    owner: Owner,
) -> Result<Arc<File>, Errno> {
    // O_PATH keeps only the flags that make sense for a location (O_TMPFILE
    // among the others, as Linux's build_open_how drops it).
    let flags = if flags & O_PATH != 0 {
        flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW | libc::O_CLOEXEC as u32)
    } else {
        flags
    };
    if flags & O_TMPFILE_BIT != 0 {
        return tmpfile(w, start, name, flags, mode & !umask & 0o7777, owner);
    }
    if flags & O_CREAT != 0 && flags & O_DIRECTORY != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & O_CREAT == 0 || flags & O_PATH != 0 {
        let follow = flags & O_NOFOLLOW == 0;
        let p = w.walk(start, name, follow)?;
        return open_path(w, p, flags, false);
    }
    let parent = w.walk_parent(start, name)?;
    if parent.name.is_empty()
        || parent.name == b"."
        || parent.name == b".."
        || parent.trailing_slash
    {
        return Err(Errno::EISDIR);
    }
    match parent.dir.dentry.lookup(&parent.name) {
        Ok(d) => {
            if flags & O_EXCL != 0 {
                return Err(Errno::EEXIST);
            }
            let found = Path {
                mount: parent.dir.mount.clone(),
                dentry: d,
            };
            let is_link = found.dentry.inode.attr()?.file_type() == FileType::Symlink;
            let found = if is_link {
                if flags & O_NOFOLLOW != 0 {
                    return Err(Errno::ELOOP);
                }
                // Follow the link; a dangling one creates its target, as Linux does.
                match w.walk(&parent.dir, &parent.name, true) {
                    Ok(p) => p,
                    Err(Errno::ENOENT) => {
                        let target = found.dentry.inode.readlink()?;
                        return open(w, &parent.dir, &target, flags, mode, umask, owner);
                    }
                    Err(e) => return Err(e),
                }
            } else {
                w.walk(&parent.dir, &parent.name, false).unwrap_or(found)
            };
            open_path(w, found, flags, false)
        }
        Err(Errno::ENOENT) => {
            let da = parent.dir.dentry.inode.attr()?;
            perm::check(&da, w.creds, MAY_WRITE | perm::MAY_EXEC)?;
            if parent.dir.mount.read_only() {
                return Err(Errno::EROFS);
            }
            if parent.dir.dentry.is_dead() {
                return Err(Errno::ENOENT);
            }
            let node = NewNode::File {
                mode: mode & !umask & 0o7777,
            };
            let inode = parent.dir.dentry.inode.create(&parent.name, &node, owner)?;
            let d = parent.dir.dentry.add_child(&parent.name, inode);
            // inotify hook: IN_CREATE in the parent.
            crate::fs::inotify::created(&parent.dir.dentry, &parent.name, false);
            open_path(
                w,
                Path {
                    mount: parent.dir.mount.clone(),
                    dentry: d,
                },
                flags,
                true,
            )
        }
        Err(e) => Err(e),
    }
}

/// open(O_TMPFILE): an unnamed regular file in the directory `name`,
/// which linkat(AT_EMPTY_PATH) or linkat of /proc/self/fd/N may name
/// later unless O_EXCL was given. `mode` has the umask applied.
fn tmpfile(
    w: &mut Walk,
    start: &Path,
    name: &[u8],
    flags: u32,
    mode: u32,
    owner: Owner,
) -> Result<Arc<File>, Errno> {
    if flags & (O_TMPFILE | O_CREAT) != O_TMPFILE || !wants_write(flags) {
        return Err(Errno::EINVAL);
    }
    let dir = w.walk(start, name, flags & O_NOFOLLOW == 0)?;
    if !dir.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if dir.mount.read_only() {
        return Err(Errno::EROFS);
    }
    perm::check(
        &dir.dentry.inode.attr()?,
        w.creds,
        MAY_WRITE | perm::MAY_EXEC,
    )?;
    if dir.dentry.is_dead() {
        return Err(Errno::ENOENT);
    }
    let linkable = flags & O_EXCL == 0;
    let inode = dir.dentry.inode.create_tmpfile(mode, owner, linkable)?;
    let label = format!("#{}", inode.attr()?.ino).into_bytes();
    let path = Path {
        mount: dir.mount.clone(),
        dentry: dir.dentry.new_unnamed(&label, inode),
    };
    // The file is no directory: O_DIRECTORY was only O_TMPFILE's marker.
    open_path(w, path, flags & !(O_DIRECTORY | O_CREAT | O_TRUNC), true)
}
