//! The slave side: its node in devpts (`/dev/pts/N`) and its open files.

use super::dir::{fs_info, NodeAttr, FIRST_SLAVE_INO};
use super::pty::Pty;
use super::{slave_rdev, DevPts};
use crate::kernel::creds::CAP_SYS_ADMIN;
use crate::kernel::current;
use crate::kernel::waiter::WaitQueue;
use crate::kernel::Task;
use crate::mm::{IoDst, IoSrc, Mm};
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::{Attr, FsInfo, Inode, SetAttr, S_IFCHR};
use abi::Errno;
use parking_lot::Mutex;
use std::any::Any;
use std::sync::{Arc, Weak};

/// `/dev/pts/N`. It refers to its pair weakly (a cached name or an open
/// file's inode must not keep a closed pair alive) and keeps its own
/// attributes, which stat shows even after the pair is gone.
pub struct SlaveInode {
    dev: u64,
    index: u32,
    pty: Weak<Pty>,
    attr: Mutex<NodeAttr>,
}

impl std::fmt::Debug for SlaveInode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SlaveInode({})", self.index)
    }
}

impl SlaveInode {
    pub(super) fn new(
        fs: &DevPts,
        pty: &Arc<Pty>,
        uid: u32,
        gid: u32,
        mode: u32,
    ) -> Arc<SlaveInode> {
        Arc::new(SlaveInode {
            dev: fs.dev,
            index: pty.index,
            pty: Arc::downgrade(pty),
            attr: Mutex::new(NodeAttr::new(
                mode,
                uid,
                gid,
                crate::kernel::time::realtime(),
            )),
        })
    }
}

/// Whether the current task holds CAP_SYS_ADMIN.
pub(super) fn current_is_admin() -> bool {
    current::get().is_some_and(|c| {
        c.tg.proc_view
            .lock()
            .as_ref()
            .is_some_and(|v| v.creds.has_cap(CAP_SYS_ADMIN))
    })
}

impl Inode for SlaveInode {
    fn attr(&self) -> Result<Attr, Errno> {
        let ino = FIRST_SLAVE_INO + u64::from(self.index);
        Ok(self
            .attr
            .lock()
            .attr(self.dev, ino, S_IFCHR, 1, slave_rdev(self.index)))
    }

    fn setattr(&self, req: &SetAttr) -> Result<(), Errno> {
        if req.size.is_some() {
            return Err(Errno::EINVAL);
        }
        self.attr.lock().apply(req);
        Ok(())
    }

    fn open(&self, _me: &Arc<dyn Inode>, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        let pty = self.pty.upgrade().ok_or(Errno::EIO)?;
        pty.open_slave(current_is_admin())?;
        let acquire = flags & libc::O_NOCTTY as u32 == 0;
        Ok(Box::new(SlaveFile::new(pty, acquire)))
    }

    fn fs_info(&self) -> FsInfo {
        fs_info()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An open slave.
pub struct SlaveFile {
    pub(super) pty: Arc<Pty>,
    /// Opened without O_NOCTTY: a session leader without a controlling
    /// terminal takes this one (done once the open has succeeded).
    acquire: bool,
}

impl SlaveFile {
    pub(super) fn new(pty: Arc<Pty>, acquire: bool) -> SlaveFile {
        SlaveFile { pty, acquire }
    }

    /// The controlling-terminal side effect of an open without O_NOCTTY.
    pub(super) fn acquire(&self) {
        if let Some(cur) = current::get() {
            self.pty.tty.acquire_on_open(&cur);
        }
    }
}

impl Drop for SlaveFile {
    fn drop(&mut self) {
        self.pty.slave_closed();
    }
}

impl FileOps for SlaveFile {
    fn read(&self, f: &File, dst: &mut IoDst, _off: i64) -> Result<u64, Errno> {
        self.pty.slave_read(f.nonblocking(), dst)
    }

    fn write(&self, _f: &File, src: &mut IoSrc, _off: i64) -> Result<u64, Errno> {
        self.pty.slave_write(src)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn ioctl(&self, f: &File, mm: &Mm, cmd: u32, arg: u64) -> Result<u64, Errno> {
        super::ioctl::ioctl(&self.pty, false, f, mm, cmd, arg)
    }

    fn poll(&self, _f: &File) -> u32 {
        self.pty.slave_poll()
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.pty.slave_q)
    }

    fn readable_bytes(&self, _f: &File) -> Option<u64> {
        let st = self.pty.lock();
        (!st.hung_up).then(|| st.ld.input_len() as u64)
    }

    fn open_wait(&self, _f: &File, _t: &mut Task) -> Result<(), Errno> {
        if self.acquire {
            self.acquire();
        }
        Ok(())
    }

    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }
}
