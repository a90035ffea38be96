//! File seals on tmpfs regular files (Linux's shmem seals, set through
//! memfd_create and fcntl F_ADD_SEALS/F_GET_SEALS).
//!
//! Every tmpfs regular file has a seal word. It starts as F_SEAL_SEAL, so
//! nothing can be added, except on memfds made with MFD_ALLOW_SEALING or
//! MFD_NOEXEC_SEAL. The checks here are called by the regular file's write,
//! truncate and fallocate paths, by chmod (`setattr`), and by mmap:
//!
//! - F_SEAL_SHRINK / F_SEAL_GROW: the size may not go down / up (EPERM);
//! - F_SEAL_WRITE / F_SEAL_FUTURE_WRITE: no writes, no hole punching, no new
//!   shared writable mappings (EPERM), and shared read-only mappings cannot
//!   become writable; adding F_SEAL_WRITE fails with EBUSY while a shared
//!   mapping that may write exists (counted by wrapping its `Mappable`);
//! - F_SEAL_EXEC: the exec bits cannot change.
//!
//! May use: `vfs` (files), `mm` (`Mappable`).
//!
//! Lock order: `Seals::maps` is a leaf. The seal word is an atomic that
//! changes only under `maps`, so the write path reads it without a lock.

use super::Node;
use crate::mm::Mappable;
use crate::vfs::file::File;
use crate::vfs::inode::{Inode, SetAttr};
use abi::Errno;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

pub const F_SEAL_SEAL: u32 = 0x1;
pub const F_SEAL_SHRINK: u32 = 0x2;
pub const F_SEAL_GROW: u32 = 0x4;
pub const F_SEAL_WRITE: u32 = 0x8;
pub const F_SEAL_FUTURE_WRITE: u32 = 0x10;
pub const F_SEAL_EXEC: u32 = 0x20;
pub const F_ALL_SEALS: u32 = 0x3f;

/// A node's seals and its shared mappings that may write.
pub(crate) struct Seals {
    word: AtomicU32,
    /// Shared mappings that may write (counted while seals can change).
    maps: Mutex<u64>,
}

impl Default for Seals {
    fn default() -> Seals {
        Seals {
            word: AtomicU32::new(F_SEAL_SEAL),
            maps: Mutex::new(0),
        }
    }
}

impl Seals {
    pub(super) fn get(&self) -> u32 {
        self.word.load(Ordering::Acquire)
    }
}

/// The tmpfs regular file behind `f`, if it is one.
fn node_of(f: &File) -> Option<&Node> {
    let n = f.inode.as_ref()?.as_any().downcast_ref::<Node>()?;
    n.regular().ok().map(|_| n)
}

/// A node's seals, for a regular file (0 otherwise: directories, links...).
fn seals_of_node(n: &Node) -> u32 {
    if n.regular().is_ok() {
        n.seals.get()
    } else {
        0
    }
}

/// fcntl(F_GET_SEALS): EINVAL on files that are not tmpfs regular files.
pub fn get_seals(f: &File) -> Result<u32, Errno> {
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    Ok(node_of(f).ok_or(Errno::EINVAL)?.seals.get())
}

/// fcntl(F_ADD_SEALS), with Linux's checks in Linux's order.
pub fn add_seals(f: &File, seals: u32) -> Result<(), Errno> {
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    if !f.writable() {
        return Err(Errno::EPERM);
    }
    if seals & !F_ALL_SEALS != 0 {
        return Err(Errno::EINVAL);
    }
    let n = node_of(f).ok_or(Errno::EINVAL)?;
    let exec_bits = n.meta.lock().mode & 0o111 != 0;
    let maps = n.seals.maps.lock();
    let cur = n.seals.get();
    if cur & F_SEAL_SEAL != 0 {
        return Err(Errno::EPERM);
    }
    if seals & F_SEAL_WRITE != 0 && cur & F_SEAL_WRITE == 0 && *maps > 0 {
        return Err(Errno::EBUSY);
    }
    let mut seals = seals;
    // F_SEAL_EXEC on an executable file implies the write seals (W^X).
    if seals & F_SEAL_EXEC != 0 && exec_bits {
        seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
    }
    n.seals.word.store(cur | seals, Ordering::Release);
    Ok(())
}

/// memfd_create: set the seal word of a fresh tmpfs regular file.
pub fn init_seals(inode: &dyn Inode, word: u32) -> Result<(), Errno> {
    let n = inode.as_any().downcast_ref::<Node>().ok_or(Errno::EINVAL)?;
    let _maps = n.seals.maps.lock();
    n.seals.word.store(word, Ordering::Release);
    Ok(())
}

/// A write of `len` bytes at `off` (all or nothing: Linux also refuses a
/// single-page write that would grow a F_SEAL_GROW file).
pub(super) fn check_write(n: &Node, off: u64, len: u64) -> Result<(), Errno> {
    let s = n.seals.get();
    if s & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0 {
        return Err(Errno::EPERM);
    }
    if s & F_SEAL_GROW != 0 && off.saturating_add(len) > n.regular()?.size() {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// setattr: a size change (truncate, ftruncate, O_TRUNC) against
/// F_SEAL_SHRINK/F_SEAL_GROW, a mode change against F_SEAL_EXEC.
pub(super) fn check_setattr(n: &Node, req: &SetAttr) -> Result<(), Errno> {
    let s = seals_of_node(n);
    if s & !F_SEAL_SEAL == 0 {
        return Ok(());
    }
    if let (Some(new), Ok(r)) = (req.size, n.regular()) {
        let old = r.size();
        if (new < old && s & F_SEAL_SHRINK != 0) || (new > old && s & F_SEAL_GROW != 0) {
            return Err(Errno::EPERM);
        }
    }
    if let Some(mode) = req.mode {
        if s & F_SEAL_EXEC != 0 && (n.meta.lock().mode ^ mode) & 0o111 != 0 {
            return Err(Errno::EPERM);
        }
    }
    Ok(())
}

/// fallocate of `[off, end)`: punching needs write access to the data,
/// allocating past the end of file needs room to grow (even with KEEP_SIZE).
pub(super) fn check_fallocate(n: &Node, punch: bool, end: u64) -> Result<(), Errno> {
    let s = n.seals.get();
    if punch && s & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0 {
        return Err(Errno::EPERM);
    }
    if !punch && s & F_SEAL_GROW != 0 && end > n.regular()?.size() {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// A shared mapping of `f` with `m` as its backing: refused (EPERM) if
/// writable under a write seal; under one, true means the mapping must
/// never become writable. A mapping that may write while seals can still
/// change is counted for F_SEAL_WRITE's EBUSY: `m` is wrapped so the count
/// drops when the last VMA using it goes.
pub fn seal_shared_map(
    f: &File,
    m: &mut Arc<dyn Mappable>,
    prot_write: bool,
) -> Result<bool, Errno> {
    let Some(n) = node_of(f) else {
        return Ok(false);
    };
    let mut maps = n.seals.maps.lock();
    let s = n.seals.get();
    if s & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0 {
        if prot_write {
            return Err(Errno::EPERM);
        }
        return Ok(true);
    }
    if s & F_SEAL_SEAL == 0 && f.writable() {
        let node = n.arc()?;
        *maps += 1;
        *m = Arc::new(WritableMap {
            node,
            inner: m.clone(),
        });
    }
    Ok(false)
}

/// A shared mapping that may write a sealable file.
struct WritableMap {
    node: Arc<Node>,
    inner: Arc<dyn Mappable>,
}

impl Drop for WritableMap {
    fn drop(&mut self) {
        let mut maps = self.node.seals.maps.lock();
        *maps = maps.saturating_sub(1);
    }
}

impl Mappable for WritableMap {
    fn get_frames(&self, off: u64, len: u64, write: bool) -> Result<Vec<(u64, u64)>, Errno> {
        self.inner.get_frames(off, len, write)
    }

    fn size(&self) -> u64 {
        self.inner.size()
    }

    fn describe(&self) -> (u64, u64, String) {
        self.inner.describe()
    }

    fn sync(&self, off: u64, len: u64) -> Result<(), Errno> {
        self.inner.sync(off, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::tmpfs::Tmpfs;
    use crate::mm::IoSrc;
    use crate::vfs::inode::Owner;
    use memory::MemoryFile;

    fn memfd(mf: &Arc<MemoryFile>, word: u32) -> Arc<File> {
        let fs = Tmpfs::new(mf.clone(), 0o1777, Owner::default());
        let inode = fs
            .root()
            .create_tmpfile(0o777, Owner::default(), false)
            .unwrap();
        init_seals(inode.as_ref(), word).unwrap();
        let ops = inode.open(&inode, libc::O_RDWR as u32).unwrap();
        File::new(ops, None, Some(inode), libc::O_RDWR as u32)
    }

    #[test]
    fn seals_gate_writes_and_resizes() {
        let mf = Arc::new(MemoryFile::new(1 << 26).unwrap());
        let plain = memfd(&mf, F_SEAL_SEAL);
        assert_eq!(get_seals(&plain), Ok(F_SEAL_SEAL));
        assert_eq!(add_seals(&plain, F_SEAL_WRITE), Err(Errno::EPERM));
        let f = memfd(&mf, 0);
        assert_eq!(add_seals(&f, 0x100), Err(Errno::EINVAL));
        assert_eq!(f.ops.write(&f, &mut IoSrc::buf(b"0123456789"), 0), Ok(10));
        add_seals(&f, F_SEAL_SHRINK | F_SEAL_GROW).unwrap();
        let size = |n| SetAttr {
            size: Some(n),
            ..Default::default()
        };
        let inode = f.inode.clone().unwrap();
        assert_eq!(inode.setattr(&size(5)), Err(Errno::EPERM));
        assert_eq!(inode.setattr(&size(20)), Err(Errno::EPERM));
        assert_eq!(inode.setattr(&size(10)), Ok(()));
        assert_eq!(
            f.ops.write(&f, &mut IoSrc::buf(b"ab"), 9),
            Err(Errno::EPERM)
        );
        assert_eq!(f.ops.write(&f, &mut IoSrc::buf(b"ab"), 8), Ok(2));
        // A counted shared writable mapping blocks F_SEAL_WRITE until it goes.
        let mut m = f.ops.mappable().unwrap();
        assert_eq!(seal_shared_map(&f, &mut m, true), Ok(false));
        assert_eq!(add_seals(&f, F_SEAL_WRITE), Err(Errno::EBUSY));
        drop(m);
        add_seals(&f, F_SEAL_WRITE).unwrap();
        let mut m = f.ops.mappable().unwrap();
        assert_eq!(seal_shared_map(&f, &mut m, true), Err(Errno::EPERM));
        assert_eq!(seal_shared_map(&f, &mut m, false), Ok(true));
        assert_eq!(f.ops.write(&f, &mut IoSrc::buf(b"x"), 0), Err(Errno::EPERM));
        // F_SEAL_EXEC on an executable file adds the write seals too.
        let e = memfd(&mf, 0);
        add_seals(&e, F_SEAL_EXEC).unwrap();
        assert_eq!(
            get_seals(&e),
            Ok(F_SEAL_EXEC | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)
        );
        let chmod = |m| SetAttr {
            mode: Some(m),
            ..Default::default()
        };
        assert_eq!(
            e.inode.clone().unwrap().setattr(&chmod(0o666)),
            Err(Errno::EPERM)
        );
        assert_eq!(e.inode.clone().unwrap().setattr(&chmod(0o775)), Ok(()));
    }
}
