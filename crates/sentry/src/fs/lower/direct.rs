//! A [`FileServer`] that serves a host directory from inside the Sentry.
//!
//! Temporary: the next step moves exactly this code into the Gofer process
//! and leaves a 9P client in its place. It already follows the Gofer's
//! rules: every handle holds an `O_PATH | O_NOFOLLOW` fd opened with
//! `openat(parent_fd, name)` one component at a time, names are never paths,
//! symlinks are never followed, so no request can reach outside the root.
//! Files are opened for the Sentry read-only, and only regular files and
//! directories (opening a host FIFO or device is never the Sentry's business).

use super::server::{FileServer, FsStat, Handle};
use crate::vfs::inode::{Attr, DirEntry, FileType};
use abi::{Errno, Timespec};
use parking_lot::Mutex;
use rustix::fs::{AtFlags, Mode, OFlags, Statx, StatxFlags, StatxTimestamp};
use std::collections::HashMap;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

fn errno(e: rustix::io::Errno) -> Errno {
    Errno(e.raw_os_error())
}

/// One host file the server holds.
struct Node {
    /// `O_PATH | O_NOFOLLOW` fd of the file itself.
    fd: OwnedFd,
    kind: FileType,
    /// Identity at walk time, to detect a file replaced before a reopen.
    dev: u64,
    ino: u64,
    /// The directory it was walked from and the name, for reopening: Linux
    /// does not reopen an O_PATH fd by `openat(fd, "")`. The parent's fd
    /// stays open as long as a child needs it, even if its handle is released.
    parent: Option<(Arc<Node>, Vec<u8>)>,
}

pub struct DirectServer {
    nodes: Mutex<HashMap<u64, Arc<Node>>>,
    next: AtomicU64,
    root: Handle,
}

impl std::fmt::Debug for DirectServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DirectServer({} handles)", self.nodes.lock().len())
    }
}

const ROOT: Handle = Handle(1);

impl DirectServer {
    /// Serve the host directory `root` (opened once, here; later requests only use fds).
    pub fn new(root: &std::path::Path) -> Result<Arc<DirectServer>, Errno> {
        let fd = rustix::fs::open(
            root,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(errno)?;
        let stx = stat_fd(fd.as_fd())?;
        let node = Node {
            fd,
            kind: FileType::Directory,
            dev: dev_of(&stx),
            ino: stx.stx_ino,
            parent: None,
        };
        let mut nodes = HashMap::new();
        nodes.insert(ROOT.0, Arc::new(node));
        Ok(Arc::new(DirectServer {
            nodes: Mutex::new(nodes),
            next: AtomicU64::new(ROOT.0 + 1),
            root: ROOT,
        }))
    }

    fn node(&self, h: Handle) -> Result<Arc<Node>, Errno> {
        self.nodes.lock().get(&h.0).cloned().ok_or(Errno::EBADF)
    }

    /// Handles currently held (for tests and leak checks).
    pub fn handle_count(&self) -> usize {
        self.nodes.lock().len()
    }
}

/// Refuse anything that is not a single, plain path component.
fn check_name(name: &[u8]) -> Result<(), Errno> {
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    if name == b"." || name == b".." || name.contains(&b'/') || name.contains(&0) {
        return Err(Errno::EINVAL);
    }
    if name.len() > 255 {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

fn stat_fd(fd: BorrowedFd<'_>) -> Result<Statx, Errno> {
    rustix::fs::statx(
        fd,
        "",
        AtFlags::EMPTY_PATH | AtFlags::SYMLINK_NOFOLLOW,
        StatxFlags::BASIC_STATS | StatxFlags::BTIME,
    )
    .map_err(errno)
}

fn dev_of(stx: &Statx) -> u64 {
    rustix::fs::makedev(stx.stx_dev_major, stx.stx_dev_minor)
}

fn ts(t: StatxTimestamp) -> Timespec {
    Timespec {
        tv_sec: t.tv_sec,
        tv_nsec: i64::from(t.tv_nsec),
    }
}

fn attr_of(stx: &Statx) -> Attr {
    let btime = if stx.stx_mask & StatxFlags::BTIME.bits() != 0 {
        ts(stx.stx_btime)
    } else {
        Timespec::default()
    };
    Attr {
        dev: dev_of(stx),
        ino: stx.stx_ino,
        mode: u32::from(stx.stx_mode),
        nlink: u64::from(stx.stx_nlink),
        uid: stx.stx_uid,
        gid: stx.stx_gid,
        rdev: rustix::fs::makedev(stx.stx_rdev_major, stx.stx_rdev_minor),
        size: stx.stx_size,
        blksize: u64::from(stx.stx_blksize),
        blocks: stx.stx_blocks,
        atime: ts(stx.stx_atime),
        mtime: ts(stx.stx_mtime),
        ctime: ts(stx.stx_ctime),
        btime,
    }
}

fn file_type(t: rustix::fs::FileType) -> Option<FileType> {
    use rustix::fs::FileType as H;
    Some(match t {
        H::RegularFile => FileType::Regular,
        H::Directory => FileType::Directory,
        H::Symlink => FileType::Symlink,
        H::Fifo => FileType::Fifo,
        H::Socket => FileType::Socket,
        H::CharacterDevice => FileType::CharDev,
        H::BlockDevice => FileType::BlockDev,
        _ => return None,
    })
}

/// Open the directory `dir` (an O_PATH fd) for reading.
fn open_dir(dir: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(
        dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(errno)
}

impl FileServer for DirectServer {
    fn root(&self) -> Handle {
        self.root
    }

    fn walk(&self, dir: Handle, name: &[u8]) -> Result<(Handle, Attr), Errno> {
        check_name(name)?;
        let parent = self.node(dir)?;
        if parent.kind != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        let fd = rustix::fs::openat(
            &parent.fd,
            name,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(errno)?;
        let stx = stat_fd(fd.as_fd())?;
        let attr = attr_of(&stx);
        let node = Node {
            fd,
            kind: attr.file_type(),
            dev: attr.dev,
            ino: attr.ino,
            parent: Some((parent, name.to_vec())),
        };
        let h = Handle(self.next.fetch_add(1, Ordering::Relaxed));
        self.nodes.lock().insert(h.0, Arc::new(node));
        Ok((h, attr))
    }

    fn getattr(&self, h: Handle) -> Result<Attr, Errno> {
        let n = self.node(h)?;
        Ok(attr_of(&stat_fd(n.fd.as_fd())?))
    }

    fn readdir(&self, h: Handle) -> Result<Vec<DirEntry>, Errno> {
        let n = self.node(h)?;
        if n.kind != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        let mut dir = rustix::fs::Dir::new(open_dir(n.fd.as_fd())?).map_err(errno)?;
        let mut out = Vec::new();
        while let Some(e) = dir.read() {
            let e = e.map_err(errno)?;
            let name = e.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let kind = match file_type(e.file_type()) {
                Some(k) => k,
                // DT_UNKNOWN (some filesystems): ask the inode.
                None => {
                    let st = rustix::fs::statat(
                        dir.fd().map_err(errno)?,
                        name,
                        AtFlags::SYMLINK_NOFOLLOW,
                    )
                    .map_err(errno)?;
                    FileType::from_mode(st.st_mode)
                }
            };
            out.push(DirEntry {
                name: name.to_vec(),
                ino: e.ino(),
                kind,
            });
        }
        Ok(out)
    }

    fn readlink(&self, h: Handle) -> Result<Vec<u8>, Errno> {
        let n = self.node(h)?;
        if n.kind != FileType::Symlink {
            return Err(Errno::EINVAL);
        }
        let target = rustix::fs::readlinkat(&n.fd, "", Vec::new()).map_err(errno)?;
        Ok(target.into_bytes())
    }

    fn open(&self, h: Handle, flags: u32) -> Result<OwnedFd, Errno> {
        let write = (libc::O_WRONLY | libc::O_RDWR | libc::O_TRUNC | libc::O_CREAT) as u32;
        if flags & write != 0 {
            return Err(Errno::EROFS);
        }
        let n = self.node(h)?;
        let fd = match n.kind {
            FileType::Directory => open_dir(n.fd.as_fd())?,
            FileType::Regular => {
                let (parent, name) = n.parent.as_ref().ok_or(Errno::EINVAL)?;
                // O_NONBLOCK: if the name now holds a FIFO, do not hang on it.
                let o = OFlags::RDONLY
                    | OFlags::NOFOLLOW
                    | OFlags::NOCTTY
                    | OFlags::NONBLOCK
                    | OFlags::CLOEXEC;
                rustix::fs::openat(&parent.fd, name.as_slice(), o, Mode::empty()).map_err(errno)?
            }
            FileType::Symlink => return Err(Errno::ELOOP),
            _ => return Err(Errno::ENXIO),
        };
        // Reopening by name races with the host replacing the file.
        let stx = stat_fd(fd.as_fd())?;
        if dev_of(&stx) != n.dev || stx.stx_ino != n.ino {
            return Err(Errno::ESTALE);
        }
        Ok(fd)
    }

    fn statfs(&self, h: Handle) -> Result<FsStat, Errno> {
        let n = self.node(h)?;
        let s = rustix::fs::fstatfs(&n.fd).map_err(errno)?;
        Ok(FsStat {
            magic: s.f_type as u64,
            bsize: s.f_bsize as u64,
            blocks: s.f_blocks,
            bfree: s.f_bfree,
            bavail: s.f_bavail,
            files: s.f_files,
            ffree: s.f_ffree,
            namelen: s.f_namelen as u64,
        })
    }

    fn release(&self, h: Handle) {
        if h != self.root {
            self.nodes.lock().remove(&h.0);
        }
    }
}
