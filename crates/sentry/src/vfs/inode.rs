//! The filesystem object interface every filesystem implements.

use super::file::FileOps;
use abi::{Errno, Timespec};
use std::any::Any;
use std::sync::Arc;

pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;

/// The type bits of a mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    CharDev,
    BlockDev,
    Fifo,
    Socket,
}

impl FileType {
    pub fn from_mode(mode: u32) -> FileType {
        match mode & S_IFMT {
            S_IFDIR => FileType::Directory,
            S_IFLNK => FileType::Symlink,
            S_IFCHR => FileType::CharDev,
            S_IFBLK => FileType::BlockDev,
            S_IFIFO => FileType::Fifo,
            S_IFSOCK => FileType::Socket,
            _ => FileType::Regular,
        }
    }

    pub fn mode_bits(self) -> u32 {
        match self {
            FileType::Regular => S_IFREG,
            FileType::Directory => S_IFDIR,
            FileType::Symlink => S_IFLNK,
            FileType::CharDev => S_IFCHR,
            FileType::BlockDev => S_IFBLK,
            FileType::Fifo => S_IFIFO,
            FileType::Socket => S_IFSOCK,
        }
    }

    /// The `d_type` of a directory entry.
    pub fn dirent_type(self) -> u8 {
        match self {
            FileType::Fifo => 1,
            FileType::CharDev => 2,
            FileType::Directory => 4,
            FileType::BlockDev => 6,
            FileType::Regular => 8,
            FileType::Symlink => 10,
            FileType::Socket => 12,
        }
    }
}

/// Attributes of an inode, as stat reports them.
#[derive(Clone, Debug, Default)]
pub struct Attr {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u64,
    pub blocks: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
    pub btime: Timespec,
}

impl Attr {
    pub fn file_type(&self) -> FileType {
        FileType::from_mode(self.mode)
    }
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }
}

/// A time to set: a value, or "now".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeSet {
    Now,
    At(Timespec),
}

/// Attribute changes (chmod, chown, truncate, utimensat). `None` = unchanged.
#[derive(Clone, Debug, Default)]
pub struct SetAttr {
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub size: Option<u64>,
    pub atime: Option<TimeSet>,
    pub mtime: Option<TimeSet>,
}

/// What to create in a directory.
#[derive(Clone, Debug)]
pub enum NewNode {
    File {
        mode: u32,
    },
    Dir {
        mode: u32,
    },
    Symlink {
        target: Vec<u8>,
    },
    /// FIFO, socket, or device node: full mode with type bits, and rdev.
    Node {
        mode: u32,
        rdev: u64,
    },
}

/// Owner of a new node.
#[derive(Clone, Copy, Debug, Default)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub name: Vec<u8>,
    pub ino: u64,
    pub kind: FileType,
}

/// statfs facts of a filesystem.
#[derive(Clone, Copy, Debug)]
pub struct FsInfo {
    pub magic: u64,
    pub name: &'static str,
    pub read_only: bool,
}

/// Space and file counts of a filesystem, as statfs(2) reports them:
/// blocks in units of `bsize`. The magic number comes from
/// [`Inode::fs_info`], the flags from the mount.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FsUsage {
    pub bsize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub namelen: u64,
}

impl FsUsage {
    /// What a filesystem without storage of its own reports (procfs,
    /// pseudo filesystems): no blocks, no file counts.
    pub const EMPTY: FsUsage = FsUsage {
        bsize: 4096,
        blocks: 0,
        bfree: 0,
        bavail: 0,
        files: 0,
        ffree: 0,
        namelen: 255,
    };
}

pub const XATTR_CREATE: u32 = 1;
pub const XATTR_REPLACE: u32 = 2;

pub const RENAME_NOREPLACE: u32 = 1;
pub const RENAME_EXCHANGE: u32 = 2;
pub const RENAME_WHITEOUT: u32 = 4;

/// A filesystem object. Directory operations get names that are already
/// checked (not empty, not "." or "..", no '/', at most 255 bytes).
/// Permission checks are the VFS's job, not the inode's.
pub trait Inode: Send + Sync + Any {
    fn attr(&self) -> Result<Attr, Errno>;

    fn setattr(&self, _req: &SetAttr) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    fn lookup(&self, _name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Whether the cached child `child`, found under `name` in this
    /// directory's dentry, still is what `name` names. Filesystems whose
    /// contents can change behind the Sentry's back (host trees served by
    /// a Gofer) check with their server; `false` makes the dentry cache
    /// drop the entry and look the name up again.
    fn revalidate_child(&self, _name: &[u8], _child: &Arc<dyn Inode>) -> bool {
        true
    }

    /// The dentry cache dropped its unused entry for `name` (`vfs::dcache`).
    /// A filesystem that keeps its own cache of children (the overlay) may
    /// forget its object too, if nothing else holds it and nothing it holds
    /// would be lost; the next lookup rebuilds it.
    fn forget_child(&self, _name: &[u8]) {}

    fn create(
        &self,
        _name: &[u8],
        _node: &NewNode,
        _owner: Owner,
    ) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Make `name` a new hard link to `target` (same filesystem, not a directory).
    fn link(&self, _name: &[u8], _target: &Arc<dyn Inode>) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Remove `name`: a non-directory (`dir == false`, unlink) or an empty directory (rmdir).
    fn unlink(&self, _name: &[u8], _dir: bool) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Move `old` in this directory to `new` in `new_dir` (same filesystem).
    fn rename(
        &self,
        _old: &[u8],
        _new_dir: &Arc<dyn Inode>,
        _new: &[u8],
        _flags: u32,
    ) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Every entry except "." and "..".
    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        Err(Errno::ENOTDIR)
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        Err(Errno::EINVAL)
    }

    /// A "magic" link (/proc/PID/exe, cwd, root, fd/N): where it leads,
    /// without walking its text. `None` for ordinary links.
    fn follow_link(&self) -> Option<Result<super::Path, Errno>> {
        None
    }

    /// A new open file for this inode. `me` is this inode's own Arc.
    fn open(&self, me: &Arc<dyn Inode>, flags: u32) -> Result<Box<dyn FileOps>, Errno>;

    /// O_TMPFILE: a new regular file in this directory that has no name
    /// (link count 0). `linkable`: linkat may give it one (O_TMPFILE
    /// without O_EXCL). Filesystems that cannot make one answer EOPNOTSUPP.
    fn create_tmpfile(
        &self,
        _mode: u32,
        _owner: Owner,
        _linkable: bool,
    ) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::EOPNOTSUPP)
    }

    // Extended attributes. Names are whole ("user.x", "trusted.y"); the
    // VFS (`vfs::xattr`) has already checked the name, its namespace and
    // the caller's permission, so an inode only stores. A filesystem
    // without extended attributes keeps these defaults, which answer as
    // Linux does for one (listing finds nothing).

    /// The value of `name`; ENODATA if the file has none.
    fn getxattr(&self, _name: &[u8]) -> Result<Vec<u8>, Errno> {
        Err(Errno::EOPNOTSUPP)
    }

    /// Set `name` to `value`. `flags`: [`XATTR_CREATE`] (EEXIST if it
    /// exists) or [`XATTR_REPLACE`] (ENODATA if it does not).
    fn setxattr(&self, _name: &[u8], _value: &[u8], _flags: u32) -> Result<(), Errno> {
        Err(Errno::EOPNOTSUPP)
    }

    /// Every name the file has, in every namespace.
    fn listxattr(&self) -> Result<Vec<Vec<u8>>, Errno> {
        Ok(Vec::new())
    }

    /// Remove `name`; ENODATA if the file has none.
    fn removexattr(&self, _name: &[u8]) -> Result<(), Errno> {
        Err(Errno::EOPNOTSUPP)
    }

    fn fs_info(&self) -> FsInfo;

    /// statfs(2) numbers of the filesystem holding this inode.
    fn statfs(&self) -> Result<FsUsage, Errno> {
        Ok(FsUsage::EMPTY)
    }

    fn as_any(&self) -> &dyn Any;
}
