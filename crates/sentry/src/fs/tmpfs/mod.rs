//! tmpfs: a filesystem that lives entirely in the Sentry. File data sits in
//! MemoryFile frames, so a tmpfs file can be mapped by handing out its own
//! frames, and its pages are saved with the rest of application memory.
//!
//! May use: `vfs` (the inode and file interfaces), `mm` (I/O destinations and
//! `Mappable`), `memory`, and `fs::dev` for device nodes.
//!
//! Lock order: `Shared::tree` → a directory's `Dir::state` → a regular file's
//! `Regular::data` (a RwLock) → a node's `meta`; a node's `xattrs` is a leaf. Every change to a directory's entries
//! holds `tree`, so entries (and parent links) cannot move under a holder of
//! `tree`; only a holder of `tree` may hold two `state` locks at once.

mod dir;
mod regular;
mod seals;
mod special;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_features;
mod xattr;

use crate::fs::devnum;
use crate::vfs::file::FileOps;
use crate::vfs::inode::{
    Attr, DirEntry, FileType, FsInfo, FsUsage, Inode, NewNode, Owner, SetAttr, TimeSet, S_IFDIR,
    S_IFMT,
};
use abi::{Errno, Timespec};
use dir::Dir;
use memory::MemoryFile;
use parking_lot::Mutex;
use regular::Regular;
pub use seals::{add_seals, get_seals, init_seals, seal_shared_map, F_SEAL_EXEC, F_SEAL_SEAL};
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
    /// The `size=` limit on file data.
    quota: Quota,
    /// Inodes alive.
    inodes: AtomicU64,
    /// What statfs shows without a `size=` limit, and the inodes it
    /// shows: Linux's defaults, half of memory and one inode per two
    /// pages of it.
    default_bytes: u64,
    max_inodes: u64,
    /// Bytes extended attributes may still take (Linux's `free_ispace`).
    xattr_space: AtomicU64,
}

/// What Linux's tmpfs counts per inode of xattr space.
const BOGO_INODE_SIZE: u64 = 1024;
/// Extended attributes live in the Sentry's own heap: cap them per instance.
const MAX_XATTR_SPACE: u64 = 64 << 20;

impl Shared {
    /// The size statfs reports: the `size=` limit, or the default.
    fn size_bytes(&self) -> u64 {
        if self.quota.limited() {
            self.quota.limit.load(Ordering::Relaxed)
        } else {
            self.default_bytes
        }
    }

    /// Bytes files may still get.
    fn free_bytes(&self) -> u64 {
        let mem_free = self.mf.size().saturating_sub(self.mf.allocated_bytes());
        self.size_bytes()
            .saturating_sub(self.quota.used.load(Ordering::Relaxed))
            .min(mem_free)
    }
}

/// The size limit of one instance (`size=`): bytes of file frames it may
/// hold; a write past it is ENOSPC. Without a limit only the MemoryFile
/// bounds it.
pub(crate) struct Quota {
    /// u64::MAX: no limit.
    limit: AtomicU64,
    used: AtomicU64,
}

impl Quota {
    fn limited(&self) -> bool {
        self.limit.load(Ordering::Relaxed) != u64::MAX
    }

    fn charge(&self, n: u64) -> Result<(), Errno> {
        let limit = self.limit.load(Ordering::Relaxed);
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                u.checked_add(n).filter(|&t| t <= limit)
            })
            .map(|_| ())
            .map_err(|_| Errno::ENOSPC)
    }

    fn uncharge(&self, n: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                Some(u.saturating_sub(n))
            });
    }
}

impl Tmpfs {
    pub fn new(mf: Arc<MemoryFile>, root_mode: u32, owner: Owner) -> Arc<Tmpfs> {
        let si = rustix::system::sysinfo();
        let ram = si.totalram.saturating_mul(u64::from(si.mem_unit.max(1)));
        let default_bytes = (ram / 2).min(mf.size()) & !(BLKSIZE - 1);
        let max_inodes = (ram / BLKSIZE / 2).max(1);
        let shared = Arc::new(Shared {
            dev: devnum::alloc_anon_dev(),
            next_ino: AtomicU64::new(1),
            mf,
            tree: Mutex::new(()),
            quota: Quota {
                limit: AtomicU64::new(u64::MAX),
                used: AtomicU64::new(0),
            },
            inodes: AtomicU64::new(0),
            default_bytes,
            max_inodes,
            xattr_space: AtomicU64::new(
                max_inodes
                    .saturating_mul(BOGO_INODE_SIZE)
                    .min(MAX_XATTR_SPACE),
            ),
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

    /// Limit the bytes its files hold (`size=`; None: no limit).
    pub fn set_size_limit(&self, limit: Option<u64>) -> Result<(), Errno> {
        set_limit(&self.shared, limit)
    }
}

/// Change the size limit of the instance `inode` belongs to (remount with
/// `size=`): EINVAL if it is not a tmpfs inode or already holds more.
pub fn set_size_limit_of(inode: &dyn Inode, limit: Option<u64>) -> Result<(), Errno> {
    let n = inode.as_any().downcast_ref::<Node>().ok_or(Errno::EINVAL)?;
    set_limit(&n.fs, limit)
}

fn set_limit(fs: &Shared, limit: Option<u64>) -> Result<(), Errno> {
    let limit = limit.unwrap_or(u64::MAX);
    if fs.quota.used.load(Ordering::Relaxed) > limit {
        return Err(Errno::EINVAL);
    }
    fs.quota.limit.store(limit, Ordering::Relaxed);
    Ok(())
}

/// Times and ownership: what chmod, chown, utimensat and link counts change.
#[derive(Clone, Debug)]
struct Meta {
    /// Type and permission bits.
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u64,
    /// An O_TMPFILE file that linkat may still give a name (Linux's I_LINKABLE).
    linkable: bool,
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
    /// Extended attributes, by whole name.
    xattrs: Mutex<xattr::Xattrs>,
    /// memfd seals (seals.rs; regular files only).
    seals: seals::Seals,
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
            linkable: false,
            atime: t,
            mtime: t,
            ctime: t,
            btime: t,
        };
        fs.inodes.fetch_add(1, Ordering::Relaxed);
        Arc::new_cyclic(|me| Node {
            fs: fs.clone(),
            ino: fs.next_ino.fetch_add(1, Ordering::Relaxed),
            me: me.clone(),
            meta: Mutex::new(meta),
            kind,
            xattrs: Mutex::new(xattr::Xattrs::default()),
            seals: seals::Seals::default(),
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
        // memfd seals: size and exec-bit changes (seals.rs).
        seals::check_setattr(self, req)?;
        if let Some(size) = req.size {
            match &self.kind {
                Kind::Regular(r) => r.truncate(&self.fs.mf, &self.fs.quota, size)?,
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
            Kind::Special { rdev, fifo } => {
                special::open_special(self.file_type(), *rdev, fifo, flags)
            }
        }
    }

    fn create_tmpfile(
        &self,
        mode: u32,
        owner: Owner,
        linkable: bool,
    ) -> Result<Arc<dyn Inode>, Errno> {
        self.tmpfile(mode, owner, linkable)
    }

    fn getxattr(&self, name: &[u8]) -> Result<Vec<u8>, Errno> {
        self.xattrs.lock().get(name)
    }

    fn setxattr(&self, name: &[u8], value: &[u8], flags: u32) -> Result<(), Errno> {
        self.xattrs
            .lock()
            .set(&self.fs.xattr_space, name, value, flags)?;
        self.touch_ctime();
        Ok(())
    }

    fn listxattr(&self) -> Result<Vec<Vec<u8>>, Errno> {
        Ok(self.xattrs.lock().names())
    }

    fn removexattr(&self, name: &[u8]) -> Result<(), Errno> {
        self.xattrs.lock().remove(&self.fs.xattr_space, name)?;
        self.touch_ctime();
        Ok(())
    }

    fn fs_info(&self) -> FsInfo {
        FsInfo {
            magic: TMPFS_MAGIC,
            name: "tmpfs",
            read_only: false,
        }
    }

    fn statfs(&self) -> Result<FsUsage, Errno> {
        let fs = &self.fs;
        let free = fs.free_bytes() / BLKSIZE;
        let inodes = fs.inodes.load(Ordering::Relaxed);
        Ok(FsUsage {
            bsize: BLKSIZE,
            blocks: fs.size_bytes() / BLKSIZE,
            bfree: free,
            bavail: free,
            files: fs.max_inodes,
            ffree: fs.max_inodes.saturating_sub(inodes),
            namelen: 255,
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.fs.inodes.fetch_sub(1, Ordering::Relaxed);
        self.xattrs.get_mut().release(&self.fs.xattr_space);
        match &mut self.kind {
            Kind::Regular(r) => r.release_all(&self.fs.mf, &self.fs.quota),
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
