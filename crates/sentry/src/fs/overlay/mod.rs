//! overlayfs: a writable upper layer (a tmpfs) over a read-only lower one
//! (the container image), with Linux overlayfs semantics.
//!
//! Every object the overlay has shown is an [`OverlayInode`] kept in its
//! parent's child cache, so callers that cache an inode keep seeing the
//! same object through copy-up (the inode switches layers inside). Only an
//! object with nothing to remember leaves that cache: one still only in the
//! lower layer, with no cached children, held by nobody else (no dentry, no
//! open file), which the next lookup rebuilds from the layers with the same
//! inode number (`OverlayInode::forget_unused_child`, asked by the dentry
//! cache when it evicts the dentry). Whiteouts live in the parent directory's state,
//! not on the upper filesystem: a directory's `hidden` set names the entries
//! of its lower directory that must not show, whether deleted (a whiteout)
//! or covered by a new upper directory (which is then opaque).
//!
//! May use: `vfs` (inode and file interfaces), `mm` (I/O buffers) and
//! `fs::devnum`. Knows nothing of the layers' types.
//!
//! Lock order: `OverlayFs::ns` → a directory's `dirlock` (two only under
//! `ns`, by address) → one inode's `st` → `OverlayFs::lower_devs`. Changes
//! take `ns` then the directories' `dirlock`s; a lookup of an uncached name
//! takes only its directory's `dirlock` (never `ns`, so lookups do not wait
//! for a copy-up elsewhere). `st` is held only briefly: never across a call
//! into another overlay inode or into a layer.

mod copy_up;
mod dir;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_features;

use crate::fs::devnum;
use crate::mm::{IoDst, IoSrc};
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::{
    Attr, DirEntry, FileType, FsInfo, FsUsage, Inode, NewNode, Owner, SetAttr,
};
use abi::Errno;
use parking_lot::{Mutex, MutexGuard};
use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Weak};

/// statfs magic of overlayfs.
pub const OVERLAYFS_SUPER_MAGIC: u64 = 0x794c_7630;

/// Inode numbers: lower objects on the lower root's device keep theirs;
/// objects from other lower devices and from the upper layer get a layer
/// tag XORed into bits 48.. so numbers from different layers never collide
/// (what Linux calls xino).
const TAG_SHIFT: u32 = 48;
const UPPER_TAG: u64 = 0x8000;
const MAX_LOWER_TAG: u64 = 0x7fff;

/// Held by every operation that changes the merged tree.
type NsGuard<'a> = MutexGuard<'a, ()>;

/// State shared by all inodes of one overlay.
struct OverlayFs {
    dev: u64,
    /// Serialises changes to the merged tree and copy-ups (Linux's rename
    /// lock, extended to copy-up so two never race on one object).
    ns: Mutex<()>,
    /// Where copy-ups of removed-but-open objects are made (then unlinked).
    upper_root: Arc<dyn Inode>,
    lower_dev: u64,
    /// Tags of lower devices other than `lower_dev`.
    lower_devs: Mutex<HashMap<u64, u64>>,
}

impl OverlayFs {
    fn lower_ino(&self, dev: u64, ino: u64) -> u64 {
        if dev == self.lower_dev {
            return ino;
        }
        let mut devs = self.lower_devs.lock();
        let next = (devs.len() as u64 + 1).min(MAX_LOWER_TAG);
        let tag = *devs.entry(dev).or_insert(next);
        ino ^ (tag << TAG_SHIFT)
    }

    fn upper_ino(&self, ino: u64) -> u64 {
        ino ^ (UPPER_TAG << TAG_SHIFT)
    }
}

/// Where an object sits, for copying it up.
enum Origin {
    Root,
    /// `name` in `parent`, whose child cache holds it.
    Child {
        parent: Weak<OverlayInode>,
        name: Vec<u8>,
    },
    /// Removed from the tree, still reachable through open files.
    Unlinked,
}

struct State {
    upper: Option<Arc<dyn Inode>>,
    lower: Option<Arc<dyn Inode>>,
    origin: Origin,
    /// Directories: every child shown so far.
    children: HashMap<Vec<u8>, Arc<OverlayInode>>,
    /// Directories: names of the lower directory that do not show.
    hidden: HashSet<Vec<u8>>,
    /// A removed directory: empty, nothing can be created in it.
    dead: bool,
}

pub struct OverlayInode {
    fs: Arc<OverlayFs>,
    me: Weak<OverlayInode>,
    /// Stable through copy-up.
    ino: u64,
    kind: FileType,
    /// Directories: held while this directory's entries change and while an
    /// uncached name is looked up, so a lookup never caches a stale answer.
    dirlock: Mutex<()>,
    st: Mutex<State>,
    /// A FIFO's pipe: the overlay's own, so every open meets the same
    /// one whichever layer the node sits in (and across copy-up).
    fifo: crate::fs::pipe::Fifo,
}

impl std::fmt::Debug for OverlayInode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OverlayInode({})", self.ino)
    }
}

/// The root of a new overlay of `upper_root` (writable) over `lower_root`
/// (never written). Both must be directories.
pub fn new_overlay(upper_root: Arc<dyn Inode>, lower_root: Arc<dyn Inode>) -> Arc<dyn Inode> {
    let (lower_dev, root_ino) = match lower_root.attr() {
        Ok(a) => (a.dev, a.ino),
        Err(_) => (0, 1),
    };
    // The upper root stands for the lower one from the start: same owner,
    // mode, times and extended attributes, as if it had been copied up.
    if let Ok(la) = lower_root.attr() {
        let _ = upper_root.setattr(&crate::vfs::SetAttr {
            mode: Some(la.mode & 0o7777),
            uid: Some(la.uid),
            gid: Some(la.gid),
            atime: Some(crate::vfs::inode::TimeSet::At(la.atime)),
            mtime: Some(crate::vfs::inode::TimeSet::At(la.mtime)),
            ..Default::default()
        });
    }
    let _ = copy_up::copy_xattrs(&lower_root, &upper_root);
    let fs = Arc::new(OverlayFs {
        dev: devnum::alloc_anon_dev(),
        ns: Mutex::new(()),
        upper_root: upper_root.clone(),
        lower_dev,
        lower_devs: Mutex::new(HashMap::new()),
    });
    OverlayInode::new(
        fs,
        root_ino,
        FileType::Directory,
        Some(upper_root),
        Some(lower_root),
        Origin::Root,
    )
}

impl OverlayInode {
    fn new(
        fs: Arc<OverlayFs>,
        ino: u64,
        kind: FileType,
        upper: Option<Arc<dyn Inode>>,
        lower: Option<Arc<dyn Inode>>,
        origin: Origin,
    ) -> Arc<OverlayInode> {
        let st = State {
            upper,
            lower,
            origin,
            children: HashMap::new(),
            hidden: HashSet::new(),
            dead: false,
        };
        Arc::new_cyclic(|me| OverlayInode {
            fs,
            me: me.clone(),
            ino,
            kind,
            dirlock: Mutex::new(()),
            st: Mutex::new(st),
            fifo: crate::fs::pipe::Fifo::new(),
        })
    }

    fn upper(&self) -> Option<Arc<dyn Inode>> {
        self.st.lock().upper.clone()
    }

    fn lower(&self) -> Option<Arc<dyn Inode>> {
        self.st.lock().lower.clone()
    }

    /// The layer that answers for this object: the upper once it exists.
    fn real(&self) -> Result<Arc<dyn Inode>, Errno> {
        let st = self.st.lock();
        st.upper
            .clone()
            .or_else(|| st.lower.clone())
            .ok_or(Errno::EIO)
    }

    fn is_dir(&self) -> bool {
        self.kind == FileType::Directory
    }

    /// Whether this object still exists only in the lower layer.
    pub fn is_lower_only(&self) -> bool {
        self.upper().is_none()
    }

    fn lock_ns(&self) -> NsGuard<'_> {
        self.fs.ns.lock()
    }
}

fn wants_write(flags: u32) -> bool {
    let acc = flags & libc::O_ACCMODE as u32;
    acc == libc::O_WRONLY as u32 || acc == libc::O_RDWR as u32 || flags & libc::O_TRUNC as u32 != 0
}

impl Inode for OverlayInode {
    fn attr(&self) -> Result<Attr, Errno> {
        let (real, merged) = {
            let st = self.st.lock();
            let merged = st.upper.is_some() && st.lower.is_some();
            (
                st.upper
                    .clone()
                    .or_else(|| st.lower.clone())
                    .ok_or(Errno::EIO)?,
                merged,
            )
        };
        let mut a = real.attr()?;
        a.dev = self.fs.dev;
        a.ino = self.ino;
        if merged && self.is_dir() {
            // A merged directory looks like the lower one (size, blocks,
            // link count) until the upper layer grows subdirectories of its
            // own; then 1 tells find(1) not to rely on the count, as Linux
            // overlayfs does.
            let lower = self.st.lock().lower.clone();
            if let Some(l) = lower.and_then(|l| l.attr().ok()) {
                a.size = l.size;
                a.blocks = l.blocks;
                a.blksize = l.blksize;
                a.nlink = if a.nlink <= 2 { l.nlink } else { 1 };
            } else {
                a.nlink = 1;
            }
        }
        Ok(a)
    }

    fn setattr(&self, req: &SetAttr) -> Result<(), Errno> {
        let upper = match self.upper() {
            Some(u) => u,
            None => {
                let ns = self.lock_ns();
                self.copy_up(&ns, req.size)?
            }
        };
        upper.setattr(req)
    }

    /// A child that exists only in the lower layer is as fresh as the lower
    /// says (host trees change behind our back); when it is not, the overlay
    /// forgets its own copy too, so the next lookup asks the layers again.
    fn revalidate_child(&self, name: &[u8], child: &Arc<dyn Inode>) -> bool {
        let Some(c) = child.as_any().downcast_ref::<OverlayInode>() else {
            return true;
        };
        let child_lower = {
            let st = c.st.lock();
            if st.upper.is_some() {
                return true;
            }
            st.lower.clone()
        };
        let (Some(cl), Some(ld)) = (child_lower, self.st.lock().lower.clone()) else {
            return true;
        };
        if ld.revalidate_child(name, &cl) {
            return true;
        }
        let _g = self.dirlock.lock();
        let mut st = self.st.lock();
        if st
            .children
            .get(name)
            .is_some_and(|x| std::ptr::eq(Arc::as_ptr(x), c as *const OverlayInode))
        {
            st.children.remove(name);
        }
        false
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        Ok(self.lookup_child(name)?)
    }

    fn forget_child(&self, name: &[u8]) {
        // Dropped outside our `st`: it may release a lower inode.
        drop(self.forget_unused_child(name));
    }

    fn create(&self, name: &[u8], node: &NewNode, owner: Owner) -> Result<Arc<dyn Inode>, Errno> {
        Ok(self.create_child(name, node, owner)?)
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        self.link_child(name, target)
    }

    fn unlink(&self, name: &[u8], dir: bool) -> Result<(), Errno> {
        self.unlink_child(name, dir)
    }

    fn rename(
        &self,
        old: &[u8],
        new_dir: &Arc<dyn Inode>,
        new: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        self.rename_child(old, new_dir, new, flags)
    }

    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        self.merged_readdir()
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        self.real()?.readlink()
    }

    fn open(&self, me: &Arc<dyn Inode>, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        if flags & libc::O_PATH as u32 != 0 {
            let real = self.real()?;
            return real.open(&real, flags);
        }
        match self.kind {
            FileType::Fifo => self.fifo.open(flags),
            FileType::Directory => {
                if wants_write(flags) {
                    return Err(Errno::EISDIR);
                }
                Ok(Box::new(OverlayDir { dir: me.clone() }))
            }
            FileType::Regular if wants_write(flags) => {
                let upper = match self.upper() {
                    Some(u) => u,
                    None => {
                        let ns = self.lock_ns();
                        let keep = if flags & libc::O_TRUNC as u32 != 0 {
                            Some(0)
                        } else {
                            None
                        };
                        self.copy_up(&ns, keep)?
                    }
                };
                upper.open(&upper, flags)
            }
            // Reads of lower files go to the lower file; a descriptor opened
            // before a copy-up keeps reading the lower copy (as Linux's did
            // before 4.19).
            _ => {
                let real = self.real()?;
                real.open(&real, flags)
            }
        }
    }

    fn create_tmpfile(
        &self,
        mode: u32,
        owner: Owner,
        linkable: bool,
    ) -> Result<Arc<dyn Inode>, Errno> {
        Ok(self.tmpfile_child(mode, owner, linkable)?)
    }

    // Extended attributes: read from the layer that answers for the
    // object; changes copy it up first (with the lower's attributes).

    fn getxattr(&self, name: &[u8]) -> Result<Vec<u8>, Errno> {
        self.real()?.getxattr(name)
    }

    fn listxattr(&self) -> Result<Vec<Vec<u8>>, Errno> {
        self.real()?.listxattr()
    }

    fn setxattr(&self, name: &[u8], value: &[u8], flags: u32) -> Result<(), Errno> {
        self.upper_for_change()?.setxattr(name, value, flags)
    }

    fn removexattr(&self, name: &[u8]) -> Result<(), Errno> {
        // Removing what a lower-only object does not have copies nothing up.
        if let (None, Some(lower)) = (self.upper(), self.lower()) {
            lower.getxattr(name)?;
        }
        self.upper_for_change()?.removexattr(name)
    }

    fn fs_info(&self) -> FsInfo {
        FsInfo {
            magic: OVERLAYFS_SUPER_MAGIC,
            name: "overlay",
            read_only: false,
        }
    }

    /// The upper layer's numbers, as Linux's overlayfs reports.
    fn statfs(&self) -> Result<FsUsage, Errno> {
        self.fs.upper_root.statfs()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl OverlayInode {
    /// The upper object, copying this one up if it has none yet.
    fn upper_for_change(&self) -> Result<Arc<dyn Inode>, Errno> {
        match self.upper() {
            Some(u) => Ok(u),
            None => {
                let ns = self.lock_ns();
                self.copy_up(&ns, None)
            }
        }
    }
}

/// An open overlay directory: the merged listing.
struct OverlayDir {
    dir: Arc<dyn Inode>,
}

impl FileOps for OverlayDir {
    fn fsync(&self, _f: &File) -> Result<(), Errno> {
        Ok(())
    }

    fn read(&self, _f: &File, _dst: &mut IoDst, _off: i64) -> Result<u64, Errno> {
        Err(Errno::EISDIR)
    }

    fn write(&self, _f: &File, _src: &mut IoSrc, _off: i64) -> Result<u64, Errno> {
        Err(Errno::EISDIR)
    }

    fn readdir(&self, _f: &File) -> Result<Vec<DirEntry>, Errno> {
        self.dir.readdir()
    }
}
