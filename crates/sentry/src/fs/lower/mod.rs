//! The read-only layer under the container's root: the host directory tree
//! the Gofer serves. [`FileServer`] is the boundary with the Gofer;
//! [`LowerInode`] turns any server into VFS inodes.

pub mod direct;
pub mod inode;
pub mod server;
#[cfg(test)]
pub(crate) mod tests;

pub use direct::DirectServer;
pub use inode::LowerInode;
pub use server::{FileServer, FsStat, Handle};
