//! The Sentry's view of the process that serves the container's root
//! filesystem: 9P-shaped, handle-based operations. Today [`DirectServer`]
//! answers them in-process from the host; the Gofer client will implement
//! the same trait over a socket, so nothing above this line changes.
//!
//! [`DirectServer`]: super::direct::DirectServer

use crate::vfs::inode::{Attr, DirEntry};
use abi::Errno;
use std::os::fd::OwnedFd;

/// A reference to one file held by the server (a 9P fid). Every handle
/// returned by [`FileServer::walk`] must be given back with
/// [`FileServer::release`].
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

/// The operations the Sentry asks of a file server. Names are single path
/// components; a server must refuse anything else ("", ".", "..", a '/')
/// rather than interpret it, so no request can leave the served root.
pub trait FileServer: Send + Sync {
    /// The served root directory. Never released.
    fn root(&self) -> Handle;

    /// The child `name` of directory `dir` (a symlink is not followed),
    /// as a new handle with its attributes.
    fn walk(&self, dir: Handle, name: &[u8]) -> Result<(Handle, Attr), Errno>;

    fn getattr(&self, h: Handle) -> Result<Attr, Errno>;

    /// Every entry of a directory except "." and "..".
    fn readdir(&self, h: Handle) -> Result<Vec<DirEntry>, Errno>;

    /// The target of a symlink (EINVAL for anything else).
    fn readlink(&self, h: Handle) -> Result<Vec<u8>, Errno>;

    /// A host fd of the file, opened with `flags` (O_* bits; only read-only
    /// opens of regular files and directories are served). The Gofer passes
    /// it over SCM_RIGHTS; the Sentry reads it directly.
    fn open(&self, h: Handle, flags: u32) -> Result<OwnedFd, Errno>;

    fn statfs(&self, h: Handle) -> Result<FsStat, Errno>;

    /// Forget a handle (a 9P clunk).
    fn release(&self, h: Handle);
}
