//! A read-only tree of directories, files with fixed contents, and
//! symbolic links, built once (sysfs' contents are fixed at boot), and its
//! inodes and open files.

use crate::mm::{IoDst, IoSrc};
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::{
    Attr, DirEntry, FileType, FsInfo, Inode, NewNode, Owner, SetAttr, S_IFDIR, S_IFLNK, S_IFREG,
};
use abi::{Errno, Timespec};
use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug)]
pub(super) enum Node {
    Dir(BTreeMap<Vec<u8>, usize>),
    File { data: Vec<u8>, mode: u32 },
    Link(Vec<u8>),
}

/// The nodes; index 0 is the root.
#[derive(Debug)]
pub(super) struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            nodes: vec![Node::Dir(BTreeMap::new())],
        }
    }

    /// The directory at `path` ("a/b/c"), made with its parents if needed.
    pub fn dir(&mut self, path: &str) -> usize {
        let mut at = 0;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            at = self.child(at, part, || Node::Dir(BTreeMap::new()));
        }
        at
    }

    fn child(&mut self, dir: usize, name: &str, make: impl FnOnce() -> Node) -> usize {
        let next = self.nodes.len();
        let Node::Dir(children) = &mut self.nodes[dir] else {
            panic!("sysfs tree: {name} under a non-directory");
        };
        if let Some(&i) = children.get(name.as_bytes()) {
            return i;
        }
        children.insert(name.as_bytes().to_vec(), next);
        self.nodes.push(make());
        next
    }

    fn split(path: &str) -> (&str, &str) {
        path.rsplit_once('/').unwrap_or(("", path))
    }

    /// A file at `path` (replacing nothing: the first one made stays).
    pub fn file(&mut self, path: &str, data: impl Into<Vec<u8>>, mode: u32) {
        let (dir, name) = Self::split(path);
        let d = self.dir(dir);
        let data = data.into();
        self.child(d, name, || Node::File { data, mode });
    }

    pub fn link(&mut self, path: &str, target: &str) {
        let (dir, name) = Self::split(path);
        let d = self.dir(dir);
        self.child(d, name, || Node::Link(target.as_bytes().to_vec()));
    }

    pub fn get(&self, i: usize) -> &Node {
        &self.nodes[i]
    }
}

/// What a tree's inodes share.
#[derive(Debug)]
pub(super) struct TreeFs {
    pub tree: Tree,
    pub dev: u64,
    pub time: Timespec,
    pub info: FsInfo,
}

#[derive(Clone, Debug)]
pub(super) struct TreeInode {
    pub fs: Arc<TreeFs>,
    pub idx: usize,
}

impl TreeInode {
    fn node(&self) -> &Node {
        self.fs.tree.get(self.idx)
    }
}

/// Files of sysfs report a size of a page, whatever they hold.
const ATTR_SIZE: u64 = 4096;

impl Inode for TreeInode {
    fn attr(&self) -> Result<Attr, Errno> {
        let (mode, nlink, size) = match self.node() {
            Node::Dir(c) => {
                let subdirs = c
                    .values()
                    .filter(|&&i| matches!(self.fs.tree.get(i), Node::Dir(_)))
                    .count();
                (S_IFDIR | 0o755, 2 + subdirs as u64, 0)
            }
            Node::File { mode, .. } => (S_IFREG | mode, 1, ATTR_SIZE),
            Node::Link(_) => (S_IFLNK | 0o777, 1, 0),
        };
        let t = self.fs.time;
        Ok(Attr {
            dev: self.fs.dev,
            ino: self.idx as u64 + 1,
            mode,
            nlink,
            uid: 0,
            gid: 0,
            rdev: 0,
            size,
            blksize: 4096,
            blocks: 0,
            atime: t,
            mtime: t,
            ctime: t,
            btime: Timespec::default(),
        })
    }

    fn setattr(&self, _req: &SetAttr) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        match self.node() {
            Node::Dir(c) => c
                .get(name)
                .map(|&idx| {
                    Arc::new(TreeInode {
                        fs: self.fs.clone(),
                        idx,
                    }) as Arc<dyn Inode>
                })
                .ok_or(Errno::ENOENT),
            _ => Err(Errno::ENOTDIR),
        }
    }

    /// Creating a regular file in a directory without a create
    /// operation is EACCES in Linux (vfs_create); anything else EPERM.
    fn create(&self, _name: &[u8], node: &NewNode, _owner: Owner) -> Result<Arc<dyn Inode>, Errno> {
        match node {
            NewNode::File { .. } => Err(Errno::EACCES),
            _ => Err(Errno::EPERM),
        }
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
        let Node::Dir(c) = self.node() else {
            return Err(Errno::ENOTDIR);
        };
        Ok(c.iter()
            .map(|(name, &i)| DirEntry {
                name: name.clone(),
                ino: i as u64 + 1,
                kind: match self.fs.tree.get(i) {
                    Node::Dir(_) => FileType::Directory,
                    Node::File { .. } => FileType::Regular,
                    Node::Link(_) => FileType::Symlink,
                },
            })
            .collect())
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        match self.node() {
            Node::Link(t) => Ok(t.clone()),
            _ => Err(Errno::EINVAL),
        }
    }

    /// Attributes without a write method refuse writers even with
    /// CAP_DAC_OVERRIDE (kernfs_fop_open): EACCES. Nothing here is writable.
    fn open(&self, _me: &Arc<dyn Inode>, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        match self.node() {
            Node::Dir(_) => Ok(Box::new(TreeFile(self.clone()))),
            Node::Link(_) => Err(Errno::ELOOP),
            Node::File { .. } => {
                let acc = flags & libc::O_ACCMODE as u32;
                if acc != libc::O_RDONLY as u32 || flags & libc::O_TRUNC as u32 != 0 {
                    return Err(Errno::EACCES);
                }
                Ok(Box::new(TreeFile(self.clone())))
            }
        }
    }

    fn fs_info(&self) -> FsInfo {
        self.fs.info
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

struct TreeFile(TreeInode);

impl FileOps for TreeFile {
    fn read(&self, _f: &File, dst: &mut IoDst, off: i64) -> Result<u64, Errno> {
        match self.0.node() {
            Node::File { data, .. } => {
                let off = usize::try_from(off).map_err(|_| Errno::EINVAL)?;
                if off >= data.len() {
                    return Ok(0);
                }
                dst.put(&data[off..]).map(|n| n as u64)
            }
            Node::Dir(_) => Err(Errno::EISDIR),
            Node::Link(_) => Err(Errno::EINVAL),
        }
    }

    fn write(&self, _f: &File, _src: &mut IoSrc, _off: i64) -> Result<u64, Errno> {
        Err(Errno::EACCES)
    }

    fn readdir(&self, _f: &File) -> Result<Vec<DirEntry>, Errno> {
        self.0.readdir()
    }
}
