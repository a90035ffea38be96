//! tmpfs directories: entries in name order, and the namespace operations
//! (create, link, unlink, rmdir, rename) with Linux's error rules.

use super::regular::Regular;
use super::{now, Kind, Node};
use crate::mm::IoDst;
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::{
    DirEntry, Inode, NewNode, Owner, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT, S_IFBLK,
    S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK,
};
use abi::Errno;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

/// What Linux's tmpfs counts per entry in a directory's st_size.
const BOGO_DIRENT_SIZE: u64 = 20;

/// Longest symlink target, with its NUL (PATH_MAX).
const SYMLINK_MAX: usize = 4096;

pub(super) struct Dir {
    state: Mutex<DirState>,
}

struct DirState {
    /// BTreeMap so readdir order is stable across calls and snapshots.
    entries: BTreeMap<Vec<u8>, Arc<Node>>,
    /// The directory holding this one (empty for the root).
    parent: Weak<Node>,
}

impl Dir {
    pub(super) fn new(parent: Weak<Node>) -> Dir {
        Dir {
            state: Mutex::new(DirState {
                entries: BTreeMap::new(),
                parent,
            }),
        }
    }

    pub(super) fn get(&self, name: &[u8]) -> Option<Arc<Node>> {
        self.state.lock().entries.get(name).cloned()
    }

    pub(super) fn entries(&self) -> Vec<DirEntry> {
        self.state
            .lock()
            .entries
            .iter()
            .map(|(name, n)| DirEntry {
                name: name.clone(),
                ino: n.ino,
                kind: n.file_type(),
            })
            .collect()
    }

    fn is_empty(&self) -> bool {
        self.state.lock().entries.is_empty()
    }

    fn parent(&self) -> Option<Arc<Node>> {
        self.state.lock().parent.upgrade()
    }

    fn set_parent(&self, p: &Node) {
        self.state.lock().parent = p.me.clone();
    }

    fn insert(&self, name: &[u8], n: Arc<Node>) {
        self.state.lock().entries.insert(name.to_vec(), n);
    }

    fn remove(&self, name: &[u8]) -> Option<Arc<Node>> {
        self.state.lock().entries.remove(name)
    }

    /// st_size as Linux's tmpfs reports it.
    pub(super) fn bogo_size(&self) -> u64 {
        (2 + self.state.lock().entries.len() as u64) * BOGO_DIRENT_SIZE
    }

    /// Every child, leaving the directory empty (for tearing down).
    pub(super) fn take_children(&mut self) -> Vec<Arc<Node>> {
        std::mem::take(&mut self.state.get_mut().entries)
            .into_values()
            .collect()
    }
}

fn adjust_nlink(n: &Node, delta: i64) {
    let mut m = n.meta.lock();
    m.nlink = m.nlink.saturating_add_signed(delta);
}

impl Node {
    /// A directory that was removed: nothing may be created in it.
    fn is_dead(&self) -> bool {
        self.nlink() == 0
    }

    /// Whether `self` is `ancestor` or lies below it. Caller holds `tree`.
    fn is_within(&self, ancestor: &Node) -> bool {
        if std::ptr::eq(self, ancestor) {
            return true;
        }
        let mut cur = match &self.kind {
            Kind::Dir(d) => d.parent(),
            _ => None,
        };
        while let Some(n) = cur {
            if std::ptr::eq(n.as_ref(), ancestor) {
                return true;
            }
            cur = match &n.kind {
                Kind::Dir(d) => d.parent(),
                _ => None,
            };
        }
        false
    }

    pub(super) fn dir_create(
        &self,
        name: &[u8],
        node: &NewNode,
        owner: Owner,
    ) -> Result<Arc<Node>, Errno> {
        let dir = self.dir()?;
        let _tree = self.fs.tree.lock();
        if self.is_dead() {
            return Err(Errno::ENOENT);
        }
        if dir.get(name).is_some() {
            return Err(Errno::EEXIST);
        }
        let (mode, kind) = match node {
            NewNode::File { mode } => (S_IFREG | (mode & 0o7777), Kind::Regular(Regular::new())),
            NewNode::Dir { mode } => (
                S_IFDIR | (mode & 0o7777),
                Kind::Dir(Dir::new(self.me.clone())),
            ),
            NewNode::Symlink { target } => {
                if target.is_empty() {
                    return Err(Errno::ENOENT);
                }
                if target.len() >= SYMLINK_MAX {
                    return Err(Errno::ENAMETOOLONG);
                }
                (S_IFLNK | 0o777, Kind::Symlink(target.clone()))
            }
            NewNode::Node { mode, rdev } => match mode & S_IFMT {
                // mknod(2) with no type or S_IFREG makes a regular file.
                0 | S_IFREG => (S_IFREG | (mode & 0o7777), Kind::Regular(Regular::new())),
                S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK => {
                    let rdev = if mode & S_IFMT == S_IFCHR || mode & S_IFMT == S_IFBLK {
                        *rdev
                    } else {
                        0
                    };
                    (
                        mode & (S_IFMT | 0o7777),
                        Kind::Special {
                            rdev,
                            fifo: Default::default(),
                        },
                    )
                }
                _ => return Err(Errno::EINVAL),
            },
        };
        let is_dir = matches!(kind, Kind::Dir(_));
        let child = Node::new(&self.fs, mode, owner, kind);
        dir.insert(name, child.clone());
        self.touch_mtime_ctime();
        if is_dir {
            adjust_nlink(self, 1);
        }
        Ok(child)
    }

    /// O_TMPFILE: a regular file with no name; the directory is unchanged.
    pub(super) fn tmpfile(
        &self,
        mode: u32,
        owner: Owner,
        linkable: bool,
    ) -> Result<Arc<dyn Inode>, Errno> {
        self.dir()?;
        if self.is_dead() {
            return Err(Errno::ENOENT);
        }
        let n = Node::new(
            &self.fs,
            S_IFREG | (mode & 0o7777),
            owner,
            Kind::Regular(Regular::new()),
        );
        {
            let mut m = n.meta.lock();
            m.nlink = 0;
            m.linkable = linkable;
        }
        Ok(n)
    }

    pub(super) fn dir_link(&self, name: &[u8], target: &dyn Inode) -> Result<(), Errno> {
        let dir = self.dir()?;
        let target = self.same_fs(target).ok_or(Errno::EXDEV)?;
        let _tree = self.fs.tree.lock();
        if self.is_dead() {
            return Err(Errno::ENOENT);
        }
        if dir.get(name).is_some() {
            return Err(Errno::EEXIST);
        }
        if target.is_dir() {
            return Err(Errno::EPERM);
        }
        // A file whose last name is gone cannot be given a new one, except
        // an O_TMPFILE file made linkable, once.
        {
            let m = target.meta.lock();
            if m.nlink == 0 && !m.linkable {
                return Err(Errno::ENOENT);
            }
        }
        dir.insert(name, target.arc()?);
        {
            let mut m = target.meta.lock();
            m.nlink = m.nlink.saturating_add(1);
            m.linkable = false;
            m.ctime = now();
        }
        self.touch_mtime_ctime();
        Ok(())
    }

    pub(super) fn dir_unlink(&self, name: &[u8], rmdir: bool) -> Result<(), Errno> {
        let dir = self.dir()?;
        let _tree = self.fs.tree.lock();
        let child = dir.get(name).ok_or(Errno::ENOENT)?;
        match &child.kind {
            Kind::Dir(cd) => {
                if !rmdir {
                    return Err(Errno::EISDIR);
                }
                if !cd.is_empty() {
                    return Err(Errno::ENOTEMPTY);
                }
            }
            _ if rmdir => return Err(Errno::ENOTDIR),
            _ => {}
        }
        dir.remove(name);
        self.drop_victim(&child);
        self.touch_mtime_ctime();
        Ok(())
    }

    /// `victim` lost its name in this directory.
    fn drop_victim(&self, victim: &Node) {
        let mut m = victim.meta.lock();
        m.ctime = now();
        if victim.is_dir() {
            m.nlink = 0;
            drop(m);
            adjust_nlink(self, -1);
        } else {
            m.nlink = m.nlink.saturating_sub(1);
        }
    }

    pub(super) fn dir_rename(
        &self,
        old: &[u8],
        new_dir: &dyn Inode,
        new: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0 {
            return Err(Errno::EINVAL);
        }
        if flags & RENAME_EXCHANGE != 0 && flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) != 0 {
            return Err(Errno::EINVAL);
        }
        let odir = self.dir()?;
        let nd = self.same_fs(new_dir).ok_or(Errno::EXDEV)?;
        let ndir = nd.dir()?;
        let _tree = self.fs.tree.lock();
        // With `tree` held nothing below changes, so look first, then act.
        let src = odir.get(old).ok_or(Errno::ENOENT)?;
        let tgt = ndir.get(new);
        if let Some(t) = &tgt {
            if flags & RENAME_NOREPLACE != 0 {
                return Err(Errno::EEXIST);
            }
            // Two names of one inode: Linux does nothing and succeeds.
            if Arc::ptr_eq(t, &src) {
                return Ok(());
            }
        } else if flags & RENAME_EXCHANGE != 0 {
            return Err(Errno::ENOENT);
        }
        if nd.is_dead() {
            return Err(Errno::ENOENT);
        }
        // A directory cannot move below itself.
        if src.is_dir() && nd.is_within(&src) {
            return Err(Errno::EINVAL);
        }
        if let Some(t) = &tgt {
            if t.is_dir() && self.is_within(t) {
                return Err(if flags & RENAME_EXCHANGE != 0 {
                    Errno::EINVAL
                } else {
                    Errno::ENOTEMPTY
                });
            }
        }
        let same_dir = std::ptr::eq(self, nd);
        if flags & RENAME_EXCHANGE != 0 {
            let Some(tgt) = tgt else {
                return Err(Errno::ENOENT);
            };
            odir.insert(old, tgt.clone());
            ndir.insert(new, src.clone());
            if !same_dir {
                if let Kind::Dir(d) = &src.kind {
                    d.set_parent(nd);
                }
                if let Kind::Dir(d) = &tgt.kind {
                    d.set_parent(self);
                }
                match (src.is_dir(), tgt.is_dir()) {
                    (true, false) => {
                        adjust_nlink(self, -1);
                        adjust_nlink(nd, 1);
                    }
                    (false, true) => {
                        adjust_nlink(self, 1);
                        adjust_nlink(nd, -1);
                    }
                    _ => {}
                }
            }
            src.touch_ctime();
            tgt.touch_ctime();
        } else {
            if let Some(t) = &tgt {
                match (src.is_dir(), t.is_dir()) {
                    (true, false) => return Err(Errno::ENOTDIR),
                    (false, true) => return Err(Errno::EISDIR),
                    (true, true) if !t.dir()?.is_empty() => return Err(Errno::ENOTEMPTY),
                    _ => {}
                }
            }
            odir.remove(old);
            ndir.insert(new, src.clone());
            if let Some(t) = &tgt {
                nd.drop_victim(t);
            }
            if let Kind::Dir(d) = &src.kind {
                if !same_dir {
                    d.set_parent(nd);
                    adjust_nlink(self, -1);
                    adjust_nlink(nd, 1);
                }
            }
            src.touch_ctime();
            if flags & RENAME_WHITEOUT != 0 {
                // overlayfs' marker for a deleted lower file: a 0:0 char device.
                let owner = {
                    let m = src.meta.lock();
                    Owner {
                        uid: m.uid,
                        gid: m.gid,
                    }
                };
                let w = Node::new(
                    &self.fs,
                    S_IFCHR,
                    owner,
                    Kind::Special {
                        rdev: 0,
                        fifo: Default::default(),
                    },
                );
                odir.insert(old, w);
            }
        }
        self.touch_mtime_ctime();
        if !same_dir {
            nd.touch_mtime_ctime();
        }
        Ok(())
    }
}

/// An open tmpfs directory.
pub(super) struct DirFile {
    pub(super) node: Arc<Node>,
}

impl FileOps for DirFile {
    fn fsync(&self, _f: &File) -> Result<(), Errno> {
        Ok(())
    }

    fn read(&self, _f: &File, _dst: &mut IoDst, _off: i64) -> Result<u64, Errno> {
        Err(Errno::EISDIR)
    }

    fn readdir(&self, f: &File) -> Result<Vec<DirEntry>, Errno> {
        let entries = self.node.dir()?.entries();
        self.node.touch_atime(f.flags());
        Ok(entries)
    }
}
