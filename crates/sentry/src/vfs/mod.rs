//! The virtual filesystem: inodes (implemented by filesystems in `fs/`),
//! dentries (the name cache), mounts, open file descriptions, fd tables and
//! path resolution. Knows nothing of syscalls.

pub mod dcache;
#[cfg(test)]
mod dcache_tests;
pub mod dentry;
pub mod fdtable;
pub mod file;
pub mod inode;
pub mod lock;
pub mod mount;
pub mod namei;
pub mod open;
pub mod path;
pub mod perm;
pub mod range;
pub mod statfs;
#[cfg(test)]
mod tests;
pub mod xattr;

pub use dentry::Dentry;
pub use fdtable::FdTable;
pub use file::{File, FileOps};
pub use inode::{Attr, DirEntry, FileType, FsInfo, Inode, NewNode, Owner, SetAttr};
pub use mount::{Mount, MountNamespace};
pub use path::{Path, Walk};
