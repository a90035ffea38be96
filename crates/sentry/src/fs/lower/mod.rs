//! Host directory trees as the Gofer serves them: the read-only layer under
//! the container's root overlay, or the root itself with `--overlay2=none`.
//! [`FileServer`] is the boundary with the Gofer (implemented over the
//! socket by `fs::gofer::GoferClient`, in-process by [`DirectServer`] for
//! unit tests only); [`LowerInode`] turns any server into VFS inodes.

pub mod direct;
mod file;
pub mod inode;
pub mod server;
#[cfg(test)]
pub(crate) mod tests;

pub use direct::DirectServer;
pub use inode::LowerInode;
pub use server::{FileServer, FsStat, Handle, Identity};
