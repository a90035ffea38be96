//! The master side: opening ptmx makes a pair, the master file holds it.
//!
//! The pair is made once the open has resolved everything (in
//! `open_wait`, which has the opening task): the sandbox the pair belongs
//! to, the owner of its slave node, and for /dev/ptmx outside devpts the
//! instance to make it in — the devpts mounted on `pts` beside it, as
//! Linux looks it up.

use super::pty::Pty;
use super::DevPts;
use crate::kernel::waiter::WaitQueue;
use crate::kernel::Task;
use crate::mm::{IoDst, IoSrc, Mm};
use crate::vfs::file::{File, FileOps};
use crate::vfs::mount::Mount;
use abi::Errno;
use std::any::Any;
use std::sync::{Arc, OnceLock};

/// The file of /dev/ptmx (character device 5:2) on any filesystem.
pub fn open_ptmx_device(_flags: u32) -> Result<Box<dyn FileOps>, Errno> {
    Ok(Box::new(MasterFile::new(None)))
}

pub struct MasterFile {
    /// The instance, when opened as devpts' own `ptmx`.
    fs: Option<Arc<DevPts>>,
    pty: OnceLock<Arc<Pty>>,
}

impl MasterFile {
    pub(super) fn new(fs: Option<Arc<DevPts>>) -> MasterFile {
        MasterFile {
            fs,
            pty: OnceLock::new(),
        }
    }

    /// A master already holding `pty` (unit tests make pairs without a task).
    #[cfg(test)]
    pub(super) fn bound(pty: Arc<Pty>) -> MasterFile {
        let m = MasterFile::new(None);
        let _ = m.pty.set(pty);
        m
    }

    pub(super) fn pty(&self) -> Result<&Arc<Pty>, Errno> {
        self.pty.get().ok_or(Errno::EIO)
    }

    /// The devpts for an open of `f` and the mount it is seen through.
    fn instance(&self, f: &File, t: &Task) -> Result<(Arc<DevPts>, Option<Arc<Mount>>), Errno> {
        let path = f.path.as_ref();
        if let Some(fs) = &self.fs {
            return Ok((fs.clone(), path.map(|p| p.mount.clone())));
        }
        let path = path.ok_or(Errno::ENODEV)?;
        if let Some(fs) = DevPts::of_root(&path.mount.root.inode) {
            return Ok((fs, Some(path.mount.clone())));
        }
        let parent = path.dentry.parent().ok_or(Errno::ENODEV)?;
        let pts = parent.lookup(b"pts").map_err(|_| Errno::ENODEV)?;
        let m =
            t.k.mounts
                .mounted_on(&path.mount, &pts)
                .ok_or(Errno::ENODEV)?;
        let fs = DevPts::of_root(&m.root.inode).ok_or(Errno::ENODEV)?;
        Ok((fs, Some(m)))
    }
}

impl Drop for MasterFile {
    fn drop(&mut self) {
        if let Some(p) = self.pty.get() {
            p.master_closed();
        }
    }
}

impl FileOps for MasterFile {
    fn open_wait(&self, f: &File, t: &mut Task) -> Result<(), Errno> {
        if self.pty.get().is_some() {
            return Ok(());
        }
        let (fs, mount) = self.instance(f, t)?;
        let pty = Pty::create(&fs, &t.k, mount, (t.creds.fsuid, t.creds.fsgid))?;
        if let Err(pty) = self.pty.set(pty) {
            pty.master_closed();
        }
        Ok(())
    }

    fn read(&self, _f: &File, dst: &mut IoDst, _off: i64) -> Result<u64, Errno> {
        self.pty()?.master_read(dst)
    }

    fn write(&self, _f: &File, src: &mut IoSrc, _off: i64) -> Result<u64, Errno> {
        self.pty()?.master_write(src)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn ioctl(&self, f: &File, mm: &Mm, cmd: u32, arg: u64) -> Result<u64, Errno> {
        super::ioctl::ioctl(self.pty()?, true, f, mm, cmd, arg)
    }

    fn poll(&self, _f: &File) -> u32 {
        self.pty
            .get()
            .map_or(libc::POLLERR as u32, |p| p.master_poll())
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        self.pty.get().map(|p| &p.master_q)
    }

    fn readable_bytes(&self, _f: &File) -> Option<u64> {
        let p = self.pty.get()?;
        Some(p.lock().ld.output_len() as u64)
    }

    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }
}
