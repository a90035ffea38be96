//! Filesystem implementations behind the VFS.

pub mod dev;
pub mod devnum;
pub mod host;
pub mod lower;
pub mod overlay;
pub mod pagecache;
pub mod tmpfs;
