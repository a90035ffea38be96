//! Filesystem implementations behind the VFS.

pub mod anon;
pub mod dev;
pub mod devnum;
pub mod epoll;
pub mod eventfd;
pub mod gofer;
pub mod host;
pub mod lower;
pub mod overlay;
pub mod pagecache;
pub mod pipe;
pub mod proc;
pub mod tmpfs;
