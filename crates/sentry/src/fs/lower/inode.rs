//! Inodes of a host directory tree, on top of any [`FileServer`]: read-only
//! under the root overlay (the default), or read-write when the server is
//! writable (`--overlay2=none`; later, writable bind mounts).
//!
//! Each inode holds one server handle. Regular files get host fds from the
//! server on first open — one read-only fd shared by every open file and
//! the page cache (all I/O is positional), and one read-write fd once the
//! file is opened for writing.
//!
//! # Revalidation
//!
//! The host may change a served tree behind the Sentry's back (a file
//! copied into a running container). Two caches could hide that:
//!
//! - attributes: an inode trusts its cached attributes for `ttl` after
//!   fetching them, then fetches again (`fstat` of its own host fd when it
//!   has one — no round trip — else Tgetattr). A change of size or mtime
//!   not made through the Sentry drops the cached file pages.
//! - positive dentries: the VFS asks [`Inode::revalidate_child`] on a cache
//!   hit. Once `ttl` has passed since the entry was last checked, the name
//!   is walked again (Twalk + Tclunk in one round trip, no attributes): if
//!   it now names another file (or none) the dentry is dropped and looked
//!   up afresh; if the qid version moved, the attributes are refetched.
//!
//! Negative entries are never cached, and directory listings are read from
//! the server on every open, so new files show at once. `ttl` is per tree:
//! the root filesystem uses [`DEFAULT_TTL`]; bind mounts use 0 (every
//! lookup and stat asks the host).
//!
//! Lock order: `Node::meta` and `Node::data` are leaves (never held across
//! a server call or each other).

use super::file::{LowerDir, LowerFile, PathFile};
use super::server::{FileServer, Handle};
use crate::fs::pagecache::PageCache;
use crate::vfs::file::FileOps;
use crate::vfs::inode::{
    Attr, DirEntry, FileType, FsInfo, FsUsage, Inode, NewNode, Owner, SetAttr, RENAME_NOREPLACE,
};
use abi::Errno;
use memory::MemoryFile;
use parking_lot::Mutex;
use std::any::Any;
use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// ext4's magic, reported when the host will not say.
const EXT4_SUPER_MAGIC: u64 = 0xEF53;

/// How long the root filesystem trusts cached attributes and entries.
pub const DEFAULT_TTL: Duration = Duration::from_millis(1000);

/// What every inode of one tree shares.
pub(super) struct LowerFs {
    pub server: Arc<dyn FileServer>,
    pub mf: Arc<MemoryFile>,
    magic: u64,
    ttl: Duration,
    /// Bumped by every change of names made through the Sentry (link,
    /// unlink, rename): it may change attributes of inodes the change
    /// cannot name (the link count of a file unlinked by another name), so
    /// attributes fetched before it are fetched again.
    changes: AtomicU64,
    /// The open data of each file, by inode number, while anything uses it:
    /// every inode object of one host file (after the dentry cache dropped
    /// one and a lookup made another, or through hard links) shares one page
    /// cache, so a shared mapping and read(2) through another open agree.
    /// An open host fd keeps its inode number from being reused.
    open_data: Mutex<HashMap<u64, Weak<Data>>>,
}

impl LowerFs {
    fn changed(&self) {
        self.changes.fetch_add(1, Ordering::Relaxed);
    }

    fn shared_data(&self, ino: u64) -> Option<Arc<Data>> {
        self.open_data.lock().get(&ino).and_then(Weak::upgrade)
    }

    /// Share `d` as the data of file `ino`, unless another inode object of
    /// it did first: then theirs is the one to use.
    fn share_data(&self, ino: u64, d: Arc<Data>) -> Arc<Data> {
        let mut all = self.open_data.lock();
        if let Some(other) = all.get(&ino).and_then(Weak::upgrade) {
            return other;
        }
        if all.len() >= 64 && all.len().is_power_of_two() {
            all.retain(|_, w| w.strong_count() > 0);
        }
        all.insert(ino, Arc::downgrade(&d));
        d
    }
}

/// Host data of a regular file, opened on first use.
pub(super) struct Data {
    /// Read-only (or, for a file the Sentry created, read-write) fd.
    pub fd: Arc<OwnedFd>,
    /// A read-write fd, once the file was opened for writing.
    pub rw: Mutex<Option<Arc<OwnedFd>>>,
    pub cache: Arc<PageCache>,
}

impl Data {
    pub fn writer(&self) -> Option<Arc<OwnedFd>> {
        self.rw.lock().clone()
    }
}

struct Meta {
    attr: Attr,
    /// When `attr` was fetched, and `LowerFs::changes` then; None forces a fetch.
    fetched: Option<(Instant, u64)>,
    /// When the name leading here was last checked against the server.
    entry_checked: Instant,
    /// The qid version seen last (None: not known yet).
    version: Option<u32>,
}

/// The shared state of one inode; open files keep it alive.
pub(super) struct Node {
    pub fs: Arc<LowerFs>,
    pub handle: Handle,
    /// Path from the served root ("/" for the root), for /proc/PID/maps.
    path: Mutex<Vec<u8>>,
    meta: Mutex<Meta>,
    data: Mutex<Option<Arc<Data>>>,
    /// Directories: the last listing and the (mtime, ctime, size) it was
    /// taken at; reused while the directory's attributes say it is unchanged.
    listing: Mutex<Option<((abi::Timespec, abi::Timespec, u64), Arc<Vec<DirEntry>>)>>,
    /// A FIFO's pipe (writable trees): the Sentry's own, never the host's.
    fifo: crate::fs::pipe::Fifo,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.fs.server.release(self.handle);
    }
}

pub struct LowerInode {
    node: Arc<Node>,
}

impl std::fmt::Debug for LowerInode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LowerInode({})",
            String::from_utf8_lossy(&self.node.path.lock())
        )
    }
}

fn errno(e: rustix::io::Errno) -> Errno {
    Errno(e.raw_os_error())
}

impl LowerInode {
    /// The root inode of the filesystem `server` serves, trusting cached
    /// attributes for [`DEFAULT_TTL`]. File pages are cached in `mf`.
    pub fn new_root(
        server: Arc<dyn FileServer>,
        mf: Arc<MemoryFile>,
    ) -> Result<Arc<LowerInode>, Errno> {
        Self::new_root_with_ttl(server, mf, DEFAULT_TTL)
    }

    /// As [`LowerInode::new_root`], revalidating after `ttl`.
    pub fn new_root_with_ttl(
        server: Arc<dyn FileServer>,
        mf: Arc<MemoryFile>,
        ttl: Duration,
    ) -> Result<Arc<LowerInode>, Errno> {
        let handle = server.root();
        if !server.getattr(handle)?.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        Self::new_bind_root(server, mf, ttl)
    }

    /// The root of a served tree that may also be a single file (a bind
    /// mount of a file), revalidating after `ttl`.
    pub fn new_bind_root(
        server: Arc<dyn FileServer>,
        mf: Arc<MemoryFile>,
        ttl: Duration,
    ) -> Result<Arc<LowerInode>, Errno> {
        let handle = server.root();
        let attr = server.getattr(handle)?;
        let magic = server
            .statfs(handle)
            .map(|s| s.magic)
            .unwrap_or(EXT4_SUPER_MAGIC);
        let fs = Arc::new(LowerFs {
            server,
            mf,
            magic,
            ttl,
            changes: AtomicU64::new(0),
            open_data: Mutex::new(HashMap::new()),
        });
        Ok(Arc::new(LowerInode::new(fs, handle, b"/".to_vec(), attr)))
    }

    fn new(fs: Arc<LowerFs>, handle: Handle, path: Vec<u8>, attr: Attr) -> LowerInode {
        let now = Instant::now();
        let generation = fs.changes.load(Ordering::Relaxed);
        LowerInode {
            node: Arc::new(Node {
                fs,
                handle,
                path: Mutex::new(path),
                meta: Mutex::new(Meta {
                    attr,
                    fetched: Some((now, generation)),
                    entry_checked: now,
                    version: None,
                }),
                data: Mutex::new(None),
                listing: Mutex::new(None),
                fifo: crate::fs::pipe::Fifo::new(),
            }),
        }
    }

    fn child_path(&self, name: &[u8]) -> Vec<u8> {
        let mut path = self.node.path.lock().clone();
        if path != b"/" {
            path.push(b'/');
        }
        path.extend_from_slice(name);
        path
    }

    fn child(&self, name: &[u8], handle: Handle, attr: Attr) -> LowerInode {
        LowerInode::new(self.node.fs.clone(), handle, self.child_path(name), attr)
    }

    fn writable(&self) -> bool {
        self.node.fs.server.writable()
    }

    /// Fetch attributes now and forget cached pages if the host changed
    /// the file.
    pub fn revalidate(&self) -> Result<(), Errno> {
        self.node.refresh().map(|_| ())
    }

    /// The same tree's inode behind `i`, if it is one.
    fn same_fs<'a>(&self, i: &'a Arc<dyn Inode>) -> Result<&'a LowerInode, Errno> {
        match i.as_any().downcast_ref::<LowerInode>() {
            Some(l) if Arc::ptr_eq(&l.node.fs, &self.node.fs) => Ok(l),
            _ => Err(Errno::EXDEV),
        }
    }
}

impl LowerInode {
    fn change_xattr(&self, name: &[u8], value: Option<&[u8]>, flags: u32) -> Result<(), Errno> {
        if !self.writable() {
            return Err(Errno::EROFS);
        }
        let r = self
            .node
            .fs
            .server
            .setxattr(self.node.handle, name, value, flags);
        // ctime moved.
        self.node.stale();
        r
    }
}

impl Node {
    pub fn attr(&self) -> Result<Attr, Errno> {
        {
            let m = self.meta.lock();
            let generation = self.fs.changes.load(Ordering::Relaxed);
            if m.fetched
                .is_some_and(|(t, g)| g == generation && t.elapsed() <= self.fs.ttl)
            {
                return Ok(m.attr.clone());
            }
        }
        self.refresh()
    }

    /// Forget cached attributes: the next `attr` fetches them (after a
    /// change made through the Sentry).
    pub fn stale(&self) {
        self.meta.lock().fetched = None;
    }

    /// Attributes fetched now: from the host fd when the file has one
    /// (no round trip), else from the server.
    pub fn refresh(&self) -> Result<Attr, Errno> {
        let generation = self.fs.changes.load(Ordering::Relaxed);
        let data = self.data.lock().clone();
        // After a change made through the Sentry (`stale`) the Gofer is
        // asked: it sees the owners as they are.
        let expired_only = self.meta.lock().fetched.is_some();
        let fresh = match data.as_ref().filter(|_| expired_only) {
            Some(d) => {
                let st = rustix::fs::fstat(d.fd.as_fd()).map_err(errno)?;
                let old = self.meta.lock().attr.clone();
                Attr {
                    dev: old.dev,
                    ino: old.ino,
                    mode: st.st_mode,
                    nlink: st.st_nlink,
                    // Owners as the Gofer reported them: the Sentry's own
                    // fstat sees them through its user namespace, where
                    // most host ids are unmapped (65534).
                    uid: old.uid,
                    gid: old.gid,
                    rdev: old.rdev,
                    size: st.st_size as u64,
                    blksize: st.st_blksize as u64,
                    blocks: st.st_blocks as u64,
                    atime: abi::Timespec {
                        tv_sec: st.st_atime,
                        tv_nsec: st.st_atime_nsec as i64,
                    },
                    mtime: abi::Timespec {
                        tv_sec: st.st_mtime,
                        tv_nsec: st.st_mtime_nsec as i64,
                    },
                    ctime: abi::Timespec {
                        tv_sec: st.st_ctime,
                        tv_nsec: st.st_ctime_nsec as i64,
                    },
                    btime: old.btime,
                }
            }
            None => self.fs.server.getattr(self.handle)?,
        };
        let old = {
            let mut m = self.meta.lock();
            m.fetched = Some((Instant::now(), generation));
            std::mem::replace(&mut m.attr, fresh.clone())
        };
        if let Some(d) = data {
            if old.size != fresh.size || old.mtime != fresh.mtime {
                // Changed on the host (the Sentry's own writes keep the
                // cache coherent themselves). Pages a shared mapping wrote
                // are not dropped unwritten.
                if !d.cache.has_write_mapped() {
                    d.cache.invalidate();
                }
                d.cache.set_size(fresh.size);
            }
        }
        Ok(fresh)
    }

    /// The shared host fd and page cache, opening the file on first use.
    pub fn data(&self) -> Result<Arc<Data>, Errno> {
        let mut slot = self.data.lock();
        if let Some(d) = &*slot {
            return Ok(d.clone());
        }
        let ino = self.meta.lock().attr.ino;
        let d = match self.fs.shared_data(ino) {
            Some(d) => d,
            None => {
                let fd = Arc::new(self.fs.server.open(self.handle, libc::O_RDONLY as u32)?);
                self.fs.share_data(ino, self.new_data(fd, None)?)
            }
        };
        *slot = Some(d.clone());
        Ok(d)
    }

    fn new_data(&self, fd: Arc<OwnedFd>, rw: Option<Arc<OwnedFd>>) -> Result<Arc<Data>, Errno> {
        let st = rustix::fs::fstat(fd.as_fd()).map_err(errno)?;
        let a = self.meta.lock().attr.clone();
        let id = (
            a.dev,
            a.ino,
            String::from_utf8_lossy(&self.path.lock()).into_owned(),
        );
        let cache = Arc::new(PageCache::new(
            self.fs.mf.clone(),
            fd.clone(),
            st.st_size as u64,
            id,
        ));
        if let Some(w) = &rw {
            cache.set_writer(w.clone());
        }
        Ok(Arc::new(Data {
            fd,
            rw: Mutex::new(rw),
            cache,
        }))
    }

    /// The data, with a read-write fd (opening one if needed).
    pub fn data_rw(&self) -> Result<Arc<Data>, Errno> {
        let d = self.data()?;
        if d.writer().is_some() {
            return Ok(d);
        }
        let fd = Arc::new(self.fs.server.open(self.handle, libc::O_RDWR as u32)?);
        let mut rw = d.rw.lock();
        let fd = rw.get_or_insert(fd).clone();
        drop(rw);
        d.cache.set_writer(fd);
        Ok(d)
    }

    /// Data of a file the Sentry just created, with the fd the server
    /// opened it with (read-write).
    fn adopt(&self, fd: OwnedFd) -> Result<(), Errno> {
        let fd = Arc::new(fd);
        let ino = self.meta.lock().attr.ino;
        let d = self
            .fs
            .share_data(ino, self.new_data(fd.clone(), Some(fd))?);
        *self.data.lock() = Some(d);
        Ok(())
    }

    pub fn data_if_open(&self) -> Option<Arc<Data>> {
        self.data.lock().clone()
    }
}

impl Inode for LowerInode {
    fn attr(&self) -> Result<Attr, Errno> {
        self.node.attr()
    }

    fn setattr(&self, req: &SetAttr) -> Result<(), Errno> {
        if !self.writable() {
            return Err(Errno::EROFS);
        }
        let mut rest = req.clone();
        if let Some(size) = req.size {
            let a = self.node.attr()?;
            match a.file_type() {
                FileType::Regular => {}
                FileType::Directory => return Err(Errno::EISDIR),
                _ => return Err(Errno::EINVAL),
            }
            // With a writable fd at hand, truncate without a round trip.
            match self
                .node
                .data_if_open()
                .and_then(|d| d.writer().map(|w| (d, w)))
            {
                Some((d, w)) => {
                    d.cache.writeback()?;
                    rustix::fs::ftruncate(w.as_fd(), size).map_err(errno)?;
                    d.cache.set_size(size);
                    rest.size = None;
                }
                None => {
                    self.node.fs.server.setattr(
                        self.node.handle,
                        &SetAttr {
                            size: Some(size),
                            ..Default::default()
                        },
                    )?;
                    if let Some(d) = self.node.data_if_open() {
                        d.cache.set_size(size);
                    }
                    rest.size = None;
                }
            }
        }
        let result = if rest.mode.is_some()
            || rest.uid.is_some()
            || rest.gid.is_some()
            || rest.atime.is_some()
            || rest.mtime.is_some()
        {
            self.node.fs.server.setattr(self.node.handle, &rest)
        } else {
            Ok(())
        };
        self.node.stale();
        result
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        if !self.node.attr()?.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let (handle, attr) = self.node.fs.server.walk(self.node.handle, name)?;
        Ok(Arc::new(self.child(name, handle, attr)))
    }

    fn revalidate_child(&self, name: &[u8], child: &Arc<dyn Inode>) -> bool {
        let Some(c) = child.as_any().downcast_ref::<LowerInode>() else {
            return true;
        };
        let (ino, kind) = {
            let m = c.node.meta.lock();
            if m.entry_checked.elapsed() <= self.node.fs.ttl {
                return true;
            }
            (m.attr.ino, m.attr.file_type())
        };
        match self.node.fs.server.identify(self.node.handle, name) {
            Ok(id)
                if id.ino == ino
                    && id.dir == (kind == FileType::Directory)
                    && id.symlink == (kind == FileType::Symlink) =>
            {
                {
                    let mut m = c.node.meta.lock();
                    m.entry_checked = Instant::now();
                    if m.version != Some(id.version) {
                        m.version = Some(id.version);
                        m.fetched = None;
                    }
                }
                true
            }
            // The Gofer is gone: keep the entry; its operations say EIO.
            Err(Errno::EIO) => true,
            // Removed or replaced on the host: look it up again.
            _ => false,
        }
    }

    fn create(&self, name: &[u8], node: &NewNode, owner: Owner) -> Result<Arc<dyn Inode>, Errno> {
        if !self.writable() {
            return Err(Errno::EROFS);
        }
        let server = &self.node.fs.server;
        let dir = self.node.handle;
        let made = match node {
            NewNode::File { mode } => {
                let (h, attr, fd) = server.create(dir, name, libc::O_RDWR as u32, *mode, owner)?;
                let i = self.child(name, h, attr);
                i.node.adopt(fd)?;
                i
            }
            NewNode::Dir { mode } => {
                let (h, attr) = server.mkdir(dir, name, *mode, owner)?;
                self.child(name, h, attr)
            }
            NewNode::Symlink { target } => {
                let (h, attr) = server.symlink(dir, name, target, owner)?;
                self.child(name, h, attr)
            }
            NewNode::Node { mode, .. } => match FileType::from_mode(*mode) {
                FileType::Fifo | FileType::Socket | FileType::Regular => {
                    let (h, attr) = server.mknod(dir, name, *mode, owner)?;
                    self.child(name, h, attr)
                }
                // Device nodes are the Sentry's; none is made on the host.
                _ => return Err(Errno::EPERM),
            },
        };
        self.node.stale();
        Ok(Arc::new(made))
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        if !self.writable() {
            return Err(Errno::EROFS);
        }
        let t = self.same_fs(target)?;
        self.node
            .fs
            .server
            .link(self.node.handle, name, t.node.handle)?;
        self.node.fs.changed();
        Ok(())
    }

    fn unlink(&self, name: &[u8], dir: bool) -> Result<(), Errno> {
        if !self.writable() {
            return Err(Errno::EROFS);
        }
        self.node.fs.server.unlink(self.node.handle, name, dir)?;
        self.node.fs.changed();
        Ok(())
    }

    fn rename(
        &self,
        old: &[u8],
        new_dir: &Arc<dyn Inode>,
        new: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        if !self.writable() {
            return Err(Errno::EROFS);
        }
        let nd = self.same_fs(new_dir)?;
        let server = &self.node.fs.server;
        match flags {
            0 => {}
            // 9P's Trenameat has no flags: check first (racy against the
            // host, exact within the sandbox, whose renames the VFS
            // serialises).
            RENAME_NOREPLACE => match server.identify(nd.node.handle, new) {
                Ok(_) => return Err(Errno::EEXIST),
                Err(Errno::ENOENT) => {}
                Err(e) => return Err(e),
            },
            _ => return Err(Errno::EINVAL),
        }
        server.rename(self.node.handle, old, nd.node.handle, new)?;
        self.node.fs.changed();
        Ok(())
    }

    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        // A directory whose mtime/ctime/size (revalidated as attributes are)
        // did not change lists the same: skip the host listing.
        let a = self.node.attr()?;
        let stamp = (a.mtime, a.ctime, a.size);
        if let Some((s, l)) = self.node.listing.lock().as_ref() {
            if *s == stamp {
                return Ok(l.as_ref().clone());
            }
        }
        let l = self.node.fs.server.readdir(self.node.handle)?;
        *self.node.listing.lock() = Some((stamp, Arc::new(l.clone())));
        Ok(l)
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        self.node.fs.server.readlink(self.node.handle)
    }

    fn open(&self, me: &Arc<dyn Inode>, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        if flags & libc::O_PATH as u32 != 0 {
            return Ok(Box::new(PathFile));
        }
        let a = self.node.attr()?;
        let acc = flags & libc::O_ACCMODE as u32;
        let writes = acc == libc::O_WRONLY as u32
            || acc == libc::O_RDWR as u32
            || flags & libc::O_TRUNC as u32 != 0;
        match a.file_type() {
            FileType::Directory if writes => Err(Errno::EISDIR),
            FileType::Regular if writes && !self.writable() => Err(Errno::EROFS),
            FileType::Regular => {
                let data = if writes {
                    self.node.data_rw()?
                } else {
                    self.node.data()?
                };
                Ok(Box::new(LowerFile::new(
                    self.node.clone(),
                    data,
                    acc != libc::O_WRONLY as u32,
                    acc != libc::O_RDONLY as u32,
                )))
            }
            FileType::Directory => Ok(Box::new(LowerDir { inode: me.clone() })),
            FileType::Symlink => Err(Errno::ELOOP),
            // A device node reaches the Sentry's driver, never the host's
            // (and, as on Linux, a read-only filesystem does not stop writes
            // to it).
            FileType::CharDev => crate::fs::dev::open_device(a.rdev, flags),
            // In a writable tree a FIFO is a Sentry pipe (under the root
            // overlay, the overlay has its own). Host FIFOs and sockets are
            // never opened.
            FileType::Fifo if self.writable() => self.node.fifo.open(flags),
            _ => Err(Errno::ENXIO),
        }
    }

    fn getxattr(&self, name: &[u8]) -> Result<Vec<u8>, Errno> {
        self.node.fs.server.getxattr(self.node.handle, name)
    }

    fn listxattr(&self) -> Result<Vec<Vec<u8>>, Errno> {
        let list = self.node.fs.server.listxattr(self.node.handle)?;
        Ok(list
            .split(|&b| b == 0)
            .filter(|n| !n.is_empty())
            .map(<[u8]>::to_vec)
            .collect())
    }

    fn setxattr(&self, name: &[u8], value: &[u8], flags: u32) -> Result<(), Errno> {
        self.change_xattr(name, Some(value), flags)
    }

    fn removexattr(&self, name: &[u8]) -> Result<(), Errno> {
        self.change_xattr(name, None, 0)
    }

    fn fs_info(&self) -> FsInfo {
        FsInfo {
            magic: self.node.fs.magic,
            name: "lower",
            read_only: !self.writable(),
        }
    }

    /// The host filesystem's numbers, asked each time (statfs is rare).
    fn statfs(&self) -> Result<FsUsage, Errno> {
        let s = self.node.fs.server.statfs(self.node.handle)?;
        Ok(FsUsage {
            bsize: if s.bsize == 0 { 4096 } else { s.bsize },
            blocks: s.blocks,
            bfree: s.bfree,
            bavail: s.bavail,
            files: s.files,
            ffree: s.ffree,
            namelen: if s.namelen == 0 { 255 } else { s.namelen },
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
