//! The Sentry's view of the process that serves a host directory tree (the
//! container's root filesystem, later its bind mounts): 9P-shaped,
//! handle-based operations. [`GoferClient`] implements them over the Gofer's
//! socket; [`DirectServer`] answers them in-process, for unit tests only.
//!
//! [`DirectServer`]: super::direct::DirectServer
//! [`GoferClient`]: crate::fs::gofer::GoferClient

use crate::vfs::inode::{Attr, DirEntry, Owner, SetAttr};
use abi::Errno;
use std::os::fd::OwnedFd;

/// A reference to one file held by the server (a 9P fid). Every handle
/// returned by [`FileServer::walk`] (or a creating call) must be given back
/// with [`FileServer::release`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Handle(pub u64);

/// statfs facts of the served filesystem.
#[derive(Clone, Copy, Debug, Default)]
pub struct FsStat {
    pub magic: u64,
    pub bsize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub namelen: u64,
}

/// What a name in a directory refers to now, as cheaply as the server can
/// say (a walk, no attributes): for revalidating cached entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The inode number (the 9P qid path).
    pub ino: u64,
    /// Changes whenever the file changes (0: the server does not say).
    pub version: u32,
    /// Whether it is a directory / a symlink.
    pub dir: bool,
    pub symlink: bool,
}

/// The operations the Sentry asks of a file server. Names are single path
/// components; a server must refuse anything else ("", ".", "..", a '/')
/// rather than interpret it, so no request can leave the served root.
///
/// The changing operations (from [`FileServer::create`] on) answer EROFS
/// unless [`FileServer::writable`] says otherwise.
pub trait FileServer: Send + Sync {
    /// The served root directory. Never released.
    fn root(&self) -> Handle;

    /// The child `name` of directory `dir` (a symlink is not followed),
    /// as a new handle with its attributes.
    fn walk(&self, dir: Handle, name: &[u8]) -> Result<(Handle, Attr), Errno>;

    /// What `name` in `dir` is now, without keeping a handle.
    fn identify(&self, dir: Handle, name: &[u8]) -> Result<Identity, Errno> {
        let (h, a) = self.walk(dir, name)?;
        self.release(h);
        Ok(Identity {
            ino: a.ino,
            version: 0,
            dir: a.is_dir(),
            symlink: a.file_type() == crate::vfs::inode::FileType::Symlink,
        })
    }

    fn getattr(&self, h: Handle) -> Result<Attr, Errno>;

    /// Every entry of a directory except "." and "..".
    fn readdir(&self, h: Handle) -> Result<Vec<DirEntry>, Errno>;

    /// The target of a symlink (EINVAL for anything else).
    fn readlink(&self, h: Handle) -> Result<Vec<u8>, Errno>;

    /// A host fd of the file, opened with `flags` (`O_ACCMODE` bits and
    /// `O_TRUNC`; only regular files and directories, and writes only on a
    /// writable server). The Gofer passes it over SCM_RIGHTS; the Sentry
    /// reads and writes it directly.
    fn open(&self, h: Handle, flags: u32) -> Result<OwnedFd, Errno>;

    fn statfs(&self, h: Handle) -> Result<FsStat, Errno>;

    /// Forget a handle (a 9P clunk).
    fn release(&self, h: Handle);

    /// Whether the changing operations below are served.
    fn writable(&self) -> bool {
        false
    }

    /// Create and open the regular file `name` in `dir` (it must not
    /// exist): its handle, attributes, and a host fd opened with `flags`.
    fn create(
        &self,
        _dir: Handle,
        _name: &[u8],
        _flags: u32,
        _mode: u32,
        _owner: Owner,
    ) -> Result<(Handle, Attr, OwnedFd), Errno> {
        Err(Errno::EROFS)
    }

    fn mkdir(
        &self,
        _dir: Handle,
        _name: &[u8],
        _mode: u32,
        _owner: Owner,
    ) -> Result<(Handle, Attr), Errno> {
        Err(Errno::EROFS)
    }

    fn symlink(
        &self,
        _dir: Handle,
        _name: &[u8],
        _target: &[u8],
        _owner: Owner,
    ) -> Result<(Handle, Attr), Errno> {
        Err(Errno::EROFS)
    }

    /// A FIFO, socket or empty regular file (`mode` has the type bits).
    /// Device nodes are the Sentry's own and never created on the host.
    fn mknod(
        &self,
        _dir: Handle,
        _name: &[u8],
        _mode: u32,
        _owner: Owner,
    ) -> Result<(Handle, Attr), Errno> {
        Err(Errno::EROFS)
    }

    /// A new name `name` in `dir` for the file `target`.
    fn link(&self, _dir: Handle, _name: &[u8], _target: Handle) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }

    /// unlink (`dir == false`) or rmdir of `name` in `parent`.
    fn unlink(&self, _parent: Handle, _name: &[u8], _dir: bool) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }

    fn rename(
        &self,
        _old_dir: Handle,
        _old: &[u8],
        _new_dir: Handle,
        _new: &[u8],
    ) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }

    /// chmod, chown, truncate and utimes in one call.
    fn setattr(&self, _h: Handle, _req: &SetAttr) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }

    // Extended attributes (whole names, "user.x"). A server says which
    // namespaces it serves; reads work on any server, changes only on a
    // writable one. The defaults are a server without them.

    /// The value of `name` (ENODATA if the file has none).
    fn getxattr(&self, _h: Handle, _name: &[u8]) -> Result<Vec<u8>, Errno> {
        Err(Errno::EOPNOTSUPP)
    }

    /// The names the file has, each followed by a NUL (as listxattr(2)).
    fn listxattr(&self, _h: Handle) -> Result<Vec<u8>, Errno> {
        Ok(Vec::new())
    }

    /// Set `name` (`flags`: XATTR_CREATE, XATTR_REPLACE), or remove it
    /// when `value` is None.
    fn setxattr(
        &self,
        _h: Handle,
        _name: &[u8],
        _value: Option<&[u8]>,
        _flags: u32,
    ) -> Result<(), Errno> {
        Err(Errno::EOPNOTSUPP)
    }
}
