//! Filesystem implementations behind the VFS.

pub mod anon;
pub mod cgroupfs;
pub mod dev;
pub mod devnum;
pub mod devpts;
pub mod epoll;
pub mod eventfd;
pub mod fstype;
pub mod gofer;
pub mod host;
pub mod inotify;
pub mod lower;
pub mod mount_opts;
pub mod overlay;
pub mod pagecache;
pub mod pidfd;
pub mod pipe;
pub mod proc;
pub mod signalfd;
pub mod sys;
pub mod timerfd;
pub mod tmpfs;
