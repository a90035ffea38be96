//! The root directory of devpts and its `ptmx` node.

use super::slave::SlaveInode;
use super::{master, DevPts, DEVPTS_SUPER_MAGIC, PTMX_MAJOR, PTMX_MINOR};
use crate::fs::devnum;
use crate::vfs::file::FileOps;
use crate::vfs::inode::{
    Attr, DirEntry, FileType, FsInfo, Inode, NewNode, Owner, SetAttr, TimeSet, S_IFCHR, S_IFDIR,
};
use abi::{Errno, Timespec};
use std::any::Any;
use std::sync::Arc;

/// Inode numbers: the root is 1, ptmx 2, slave N is N + 3 (as in Linux).
pub(super) const ROOT_INO: u64 = 1;
pub(super) const PTMX_INO: u64 = 2;
pub(super) const FIRST_SLAVE_INO: u64 = 3;

/// The changeable attributes of a devpts node.
#[derive(Clone, Copy, Debug)]
pub(super) struct NodeAttr {
    pub perm: u32,
    pub uid: u32,
    pub gid: u32,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
}

impl NodeAttr {
    pub fn new(perm: u32, uid: u32, gid: u32, now: Timespec) -> NodeAttr {
        NodeAttr {
            perm,
            uid,
            gid,
            atime: now,
            mtime: now,
            ctime: now,
        }
    }

    /// chmod, chown, utimes (the VFS checked who may); sizes are EINVAL
    /// on a device and ignored on the directory, as Linux's simple_setattr.
    pub fn apply(&mut self, req: &SetAttr) {
        let now = crate::kernel::time::realtime();
        let at = |t: TimeSet| match t {
            TimeSet::Now => now,
            TimeSet::At(t) => t,
        };
        if let Some(m) = req.mode {
            self.perm = m & 0o7777;
        }
        if let Some(u) = req.uid {
            self.uid = u;
        }
        if let Some(g) = req.gid {
            self.gid = g;
        }
        if let Some(t) = req.atime {
            self.atime = at(t);
        }
        if let Some(t) = req.mtime {
            self.mtime = at(t);
        }
        self.ctime = now;
    }

    pub fn attr(&self, dev: u64, ino: u64, kind: u32, nlink: u64, rdev: u64) -> Attr {
        Attr {
            dev,
            ino,
            mode: kind | self.perm,
            nlink,
            uid: self.uid,
            gid: self.gid,
            rdev,
            size: 0,
            blksize: 1024,
            blocks: 0,
            atime: self.atime,
            mtime: self.mtime,
            ctime: self.ctime,
            btime: Timespec::default(),
        }
    }
}

pub(super) fn fs_info() -> FsInfo {
    FsInfo {
        magic: DEVPTS_SUPER_MAGIC,
        name: "devpts",
        read_only: false,
    }
}

/// Linux's devpts has no create operations: creating a regular file is
/// EACCES (vfs_create), anything else EPERM.
fn refuse_create(node: &NewNode) -> Errno {
    match node {
        NewNode::File { .. } => Errno::EACCES,
        _ => Errno::EPERM,
    }
}

pub(super) struct DevPtsDir {
    pub fs: Arc<DevPts>,
}

impl DevPtsDir {
    fn slave(&self, name: &[u8]) -> Option<Arc<SlaveInode>> {
        let s = std::str::from_utf8(name).ok()?;
        // Only canonical numbers name a slave ("01" does not).
        if s.len() > 1 && s.starts_with('0') {
            return None;
        }
        self.fs.node(s.parse().ok()?)
    }
}

impl Inode for DevPtsDir {
    fn attr(&self) -> Result<Attr, Errno> {
        let nlink = 2;
        Ok(self
            .fs
            .st
            .lock()
            .root_attr
            .attr(self.fs.dev, ROOT_INO, S_IFDIR, nlink, 0))
    }

    fn setattr(&self, req: &SetAttr) -> Result<(), Errno> {
        self.fs.st.lock().root_attr.apply(req);
        Ok(())
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        if name == b"ptmx" {
            return Ok(Arc::new(PtmxInode {
                fs: self.fs.clone(),
            }));
        }
        self.slave(name)
            .map(|s| s as Arc<dyn Inode>)
            .ok_or(Errno::ENOENT)
    }

    /// A slave's cached name goes once its master has closed.
    fn revalidate_child(&self, name: &[u8], child: &Arc<dyn Inode>) -> bool {
        if name == b"ptmx" {
            return true;
        }
        match (
            self.slave(name),
            child.as_any().downcast_ref::<SlaveInode>(),
        ) {
            (Some(now), Some(cached)) => std::ptr::eq(&*now, cached),
            _ => false,
        }
    }

    fn create(&self, _name: &[u8], node: &NewNode, _owner: Owner) -> Result<Arc<dyn Inode>, Errno> {
        Err(refuse_create(node))
    }

    fn link(&self, _name: &[u8], _target: &Arc<dyn Inode>) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    fn unlink(&self, _name: &[u8], _dir: bool) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    fn rename(
        &self,
        _old: &[u8],
        _new_dir: &Arc<dyn Inode>,
        _new: &[u8],
        _flags: u32,
    ) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        let st = self.fs.st.lock();
        let mut nodes: Vec<(u64, u32)> = st.nodes.iter().map(|(&i, (seq, _))| (*seq, i)).collect();
        nodes.sort_by_key(|n| std::cmp::Reverse(n.0));
        let mut out: Vec<DirEntry> = nodes
            .into_iter()
            .map(|(_, i)| DirEntry {
                name: i.to_string().into_bytes(),
                ino: FIRST_SLAVE_INO + u64::from(i),
                kind: FileType::CharDev,
            })
            .collect();
        out.push(DirEntry {
            name: b"ptmx".to_vec(),
            ino: PTMX_INO,
            kind: FileType::CharDev,
        });
        Ok(out)
    }

    fn open(&self, _me: &Arc<dyn Inode>, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        Ok(Box::new(DirFile(self.fs.clone())))
    }

    fn fs_info(&self) -> FsInfo {
        fs_info()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An open devpts root: its listing.
struct DirFile(Arc<DevPts>);

impl FileOps for DirFile {
    fn readdir(&self, _f: &crate::vfs::file::File) -> Result<Vec<DirEntry>, Errno> {
        DevPtsDir { fs: self.0.clone() }.readdir()
    }

    fn read(
        &self,
        _f: &crate::vfs::file::File,
        _dst: &mut crate::mm::IoDst,
        _off: i64,
    ) -> Result<u64, Errno> {
        Err(Errno::EISDIR)
    }
}

/// `ptmx` inside devpts: opens a new pair of this instance.
pub(super) struct PtmxInode {
    pub fs: Arc<DevPts>,
}

impl Inode for PtmxInode {
    fn attr(&self) -> Result<Attr, Errno> {
        let rdev = devnum::makedev(PTMX_MAJOR, PTMX_MINOR);
        Ok(self
            .fs
            .st
            .lock()
            .ptmx_attr
            .attr(self.fs.dev, PTMX_INO, S_IFCHR, 1, rdev))
    }

    fn setattr(&self, req: &SetAttr) -> Result<(), Errno> {
        if req.size.is_some() {
            return Err(Errno::EINVAL);
        }
        self.fs.st.lock().ptmx_attr.apply(req);
        Ok(())
    }

    fn open(&self, _me: &Arc<dyn Inode>, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        Ok(Box::new(master::MasterFile::new(Some(self.fs.clone()))))
    }

    fn fs_info(&self) -> FsInfo {
        fs_info()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
