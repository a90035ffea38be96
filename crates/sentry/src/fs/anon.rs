//! The anonymous inode Linux gives files that have none of their own
//! (eventfd, epoll, timerfd, signalfd...): one inode shared by all of
//! them, mode 0600 with no type bits, on the anon_inodefs device.
//!
//! May use: `vfs` (attributes), `fs::devnum`.

use crate::fs::devnum;
use crate::vfs::inode::Attr;
use std::sync::OnceLock;

struct AnonInode {
    dev: u64,
    created: abi::Timespec,
}

fn inode() -> &'static AnonInode {
    static INODE: OnceLock<AnonInode> = OnceLock::new();
    INODE.get_or_init(|| AnonInode {
        dev: devnum::alloc_anon_dev(),
        created: crate::kernel::time::realtime(),
    })
}

/// What fstat shows for an anonymous file.
pub fn attr() -> Attr {
    let i = inode();
    Attr {
        dev: i.dev,
        ino: 1,
        mode: 0o600,
        nlink: 1,
        uid: 0,
        gid: 0,
        rdev: 0,
        size: 0,
        blksize: 4096,
        blocks: 0,
        atime: i.created,
        mtime: i.created,
        ctime: i.created,
        btime: abi::Timespec::default(),
    }
}
