//! tmpfs: a filesystem that lives entirely in the Sentry. File data sits in
//! MemoryFile frames, so a tmpfs file can be mapped by handing out its own
//! frames, and its pages are saved with the rest of application memory.
//!
//! May use: `vfs` (the inode and file interfaces), `mm` (I/O destinations and
//! `Mappable`), `memory`, and `fs::dev` for device nodes.
//!
//! Lock order: `Shared::tree` → a directory's `Dir::state` → a regular file's
//! `Regular::data` (a RwLock) → a node's `meta`. Every change to a directory's entries
//! holds `tree`, so entries (and parent links) cannot move under a holder of
//! `tree`; only a holder of `tree` may hold two `state` locks at once.

mod dir;
mod regular;
mod special;
#[cfg(test)]
mod tests;

use crate::fs::devnum;
use crate::vfs::file::FileOps;
use crate::vfs::inode::{
    Attr, DirEntry, FileType, FsInfo, Inode, NewNode, Owner, SetAttr, TimeSet, S_IFDIR, S_IFMT,
};
use abi::{Errno, Timespec};
use dir::Dir;
use memory::MemoryFile;
use parking_lot::Mutex;
use regular::Regular;
use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

/// statfs magic of tmpfs.
pub const TMPFS_MAGIC: u64 = 0x0102_1994;

/// Block size stat reports.
const BLKSIZE: u64 = 4096;

/// One mounted tmpfs instance.
pub struct Tmpfs {
    shared: Arc<Shared>,
    root: Arc<Node>,
}

impl std::fmt::Debug for Tmpfs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tmpfs(dev={:#x})", self.shared.dev)
    }
}

/// What every node of one instance shares.
struct Shared {
    dev: u64,
    next_ino: AtomicU64,
    mf: Arc<MemoryFile>,
    /// Serialises changes to the directory tree (Linux's rename lock).
    tree: Mutex<()>,
}

impl Tmpfs {
    pub fn new(mf: Arc<MemoryFile>, root_mode: u32, owner: Owner) -> Arc<Tmpfs> {
        let shared = Arc::new(Shared {
            dev: devnum::alloc_anon_dev(),
            next_ino: AtomicU64::new(1),
            mf,
            tree: Mutex::new(()),
        });
        let root = Node::new(
            &shared,
            S_IFDIR | (root_mode & 0o7777),
            owner,
            Kind::Dir(Dir::new(Weak::new())),
        );
        Arc::new(Tmpfs { shared, root })
    }

    pub fn root(&self) -> Arc<dyn Inode> {
        self.root.clone()
    }

    /// The device number every inode of this instance reports.
    pub fn dev(&self) -> u64 {
        self.shared.dev
    }
}

/// Times and ownership: what chmod, chown, utimensat and link counts change.
#[derive(Clone, Debug)]
struct Meta {
    /// Type and permission bits.
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u64,
    atime: Timespec,
    mtime: Timespec,
    ctime: Timespec,
    btime: Timespec,
}

enum Kind {
    Dir(Dir),
    Regular(Regular),
    Symlink(Vec<u8>),
    /// FIFO, socket, character or block device.
    Special {
        rdev: u64,
        /// A FIFO's pipe, made on first open.
        fifo: crate::fs::pipe::Fifo,
    },
}

/// A tmpfs inode.
pub(crate) struct Node {
    fs: Arc<Shared>,
    ino: u64,
    /// This node's own Arc, for handing out to dentries, files and mappings.
    me: Weak<Node>,
    meta: Mutex<Meta>,
    kind: Kind,
}

/// The current real time, which file timestamps use.
fn now() -> Timespec {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
    Timespec {
        tv_sec: t.tv_sec,
        tv_nsec: t.tv_nsec,
    }
}

fn ts_key(t: &Timespec) -> (i64, i64) {
    (t.tv_sec, t.tv_nsec)
}

impl Node {
    fn new(fs: &Arc<Shared>, mode: u32, owner: Owner, kind: Kind) -> Arc<Node> {
        let t = now();
        let nlink = if matches!(kind, Kind::Dir(_)) { 2 } else { 1 };
        let meta = Meta {
            mode,
            uid: owner.uid,
            gid: owner.gid,
            nlink,
            atime: t,
            mtime: t,
            ctime: t,
            btime: t,
        };
        Arc::new_cyclic(|me| Node {
            fs: fs.clone(),
            ino: fs.next_ino.fetch_add(1, Ordering::Relaxed),
            me: me.clone(),
            meta: Mutex::new(meta),
            kind,
        })
    }

    /// This node as an Arc (always present while someone calls a method).
    fn arc(&self) -> Result<Arc<Node>, Errno> {
        self.me.upgrade().ok_or(Errno::ENOENT)
    }

    fn is_dir(&self) -> bool {
        matches!(self.kind, Kind::Dir(_))
    }

    fn file_type(&self) -> FileType {
        FileType::from_mode(self.meta.lock().mode)
    }

    fn nlink(&self) -> u64 {
        self.meta.lock().nlink
    }

    /// A node of the same instance, if `other` is one.
    fn same_fs<'a>(&self, other: &'a dyn Inode) -> Option<&'a Node> {
        other
            .as_any()
            .downcast_ref::<Node>()
            .filter(|n| Arc::ptr_eq(&n.fs, &self.fs))
    }

    fn touch_ctime(&self) {
        self.meta.lock().ctime = now();
    }

    /// A directory's contents changed.
    fn touch_mtime_ctime(&self) {
        let t = now();
        let mut m = self.meta.lock();
        m.mtime = t;
        m.ctime = t;
    }

    /// atime update after a read, with Linux's default `relatime` rule: only
    /// when atime is not newer than mtime or ctime, or is a day old.
    fn touch_atime(&self, flags: u32) {
        if flags & libc::O_NOATIME as u32 != 0 {
            return;
        }
        let t = now();
        let mut m = self.meta.lock();
        let stale = ts_key(&m.atime) <= ts_key(&m.mtime)
            || ts_key(&m.atime) <= ts_key(&m.ctime)
            || t.tv_sec.saturating_sub(m.atime.tv_sec) >= 24 * 60 * 60;
        if stale {
            m.atime = t;
        }
    }

    fn dir(&self) -> Result<&Dir, Errno> {
        match &self.kind {
            Kind::Dir(d) => Ok(d),
            _ => Err(Errno::ENOTDIR),
        }
    }
}

impl Inode for Node {
    fn attr(&self) -> Result<Attr, Errno> {
        let (size, blocks, rdev) = match &self.kind {
            Kind::Regular(r) => {
                let (size, bytes) = r.size_and_blocks();
                (size, bytes / 512, 0)
            }
            Kind::Dir(d) => (d.bogo_size(), 0, 0),
            // Linux keeps short link targets in the inode and longer ones in a page.
            Kind::Symlink(t) => (
                t.len() as u64,
                if t.len() < 128 { 0 } else { BLKSIZE / 512 },
                0,
            ),
            Kind::Special { rdev, .. } => (0, 0, *rdev),
        };
        let m = self.meta.lock().clone();
        Ok(Attr {
            dev: self.fs.dev,
            ino: self.ino,
            mode: m.mode,
            nlink: m.nlink,
            uid: m.uid,
            gid: m.gid,
            rdev,
            size,
            blksize: BLKSIZE,
            blocks,
            atime: m.atime,
            mtime: m.mtime,
            ctime: m.ctime,
            btime: m.btime,
        })
    }

    fn setattr(&self, req: &SetAttr) -> Result<(), Errno> {
        if let Some(size) = req.size {
            match &self.kind {
                Kind::Regular(r) => r.truncate(&self.fs.mf, size)?,
                Kind::Dir(_) => return Err(Errno::EISDIR),
                _ => return Err(Errno::EINVAL),
            }
        }
        let t = now();
        let resolve = |s: TimeSet| match s {
            TimeSet::Now => t,
            TimeSet::At(v) => v,
        };
        let mut m = self.meta.lock();
        if let Some(mode) = req.mode {
            m.mode = (m.mode & S_IFMT) | (mode & 0o7777);
        }
        if let Some(uid) = req.uid {
            m.uid = uid;
        }
        if let Some(gid) = req.gid {
            m.gid = gid;
        }
        // truncate and ftruncate mark mtime even when the size stays.
        if req.size.is_some() {
            m.mtime = t;
        }
        if let Some(a) = req.atime {
            m.atime = resolve(a);
        }
        if let Some(mt) = req.mtime {
            m.mtime = resolve(mt);
        }
        let changed = req.mode.is_some()
            || req.uid.is_some()
            || req.gid.is_some()
            || req.size.is_some()
            || req.atime.is_some()
            || req.mtime.is_some();
        if changed {
            m.ctime = t;
        }
        Ok(())
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        let n: Arc<dyn Inode> = self.dir()?.get(name).ok_or(Errno::ENOENT)?;
        Ok(n)
    }

    fn create(&self, name: &[u8], node: &NewNode, owner: Owner) -> Result<Arc<dyn Inode>, Errno> {
        let n: Arc<dyn Inode> = self.dir_create(name, node, owner)?;
        Ok(n)
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        self.dir_link(name, target.as_ref())
    }

    fn unlink(&self, name: &[u8], dir: bool) -> Result<(), Errno> {
        self.dir_unlink(name, dir)
    }

    fn rename(
        &self,
        old: &[u8],
        new_dir: &Arc<dyn Inode>,
        new: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        self.dir_rename(old, new_dir.as_ref(), new, flags)
    }

    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        Ok(self.dir()?.entries())
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        match &self.kind {
            Kind::Symlink(t) => {
                self.touch_atime(0);
                Ok(t.clone())
            }
            _ => Err(Errno::EINVAL),
        }
    }

    fn open(&self, _me: &Arc<dyn Inode>, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        let me = self.arc()?;
        match &self.kind {
            Kind::Dir(_) => Ok(Box::new(dir::DirFile { node: me })),
            Kind::Regular(_) => Ok(Box::new(regular::RegularFile { node: me })),
            Kind::Symlink(_) => Ok(Box::new(special::SymlinkFile)),
            Kind::Special { rdev, fifo } => special::open_special(self.file_type(), *rdev, fifo, flags),
        }
    }

    fn fs_info(&self) -> FsInfo {
        FsInfo {
            magic: TMPFS_MAGIC,
            name: "tmpfs",
            read_only: false,
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        match &mut self.kind {
            Kind::Regular(r) => r.release_all(&self.fs.mf),
            // Directories are torn down iteratively: an application can nest
            // them deeper than the stack would survive recursive drops.
            Kind::Dir(d) => {
                let mut stack = d.take_children();
                while let Some(child) = stack.pop() {
                    if let Ok(mut node) = Arc::try_unwrap(child) {
                        if let Kind::Dir(cd) = &mut node.kind {
                            stack.extend(cd.take_children());
                        }
                    }
                }
            }
            _ => {}
        }
    }
}
