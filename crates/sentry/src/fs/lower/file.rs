//! Open files of a host tree: reads and writes go straight to the host fd
//! the Gofer donated (no round trip), kept coherent with the page cache
//! that mappings use (see `fs/pagecache.rs`).

use super::inode::{Data, Node};
use crate::mm::{IoDst, IoSrc, Mappable};
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::{DirEntry, Inode};
use abi::Errno;
use std::os::fd::AsFd;
use std::sync::Arc;

fn errno(e: rustix::io::Errno) -> Errno {
    Errno(e.raw_os_error())
}

/// An O_PATH open: no I/O.
pub(super) struct PathFile;

impl FileOps for PathFile {}

/// An open regular file.
pub(super) struct LowerFile {
    node: Arc<Node>,
    data: Arc<Data>,
    read: bool,
    write: bool,
}

impl LowerFile {
    pub fn new(node: Arc<Node>, data: Arc<Data>, read: bool, write: bool) -> LowerFile {
        LowerFile {
            node,
            data,
            read,
            write,
        }
    }

    /// What a shared mapping wrote reaches the host before the host file
    /// is read or written directly.
    fn settle(&self) -> Result<(), Errno> {
        if self.data.cache.has_write_mapped() {
            self.data.cache.writeback()?;
        }
        Ok(())
    }
}

impl Drop for LowerFile {
    fn drop(&mut self) {
        if self.write {
            if let Err(e) = self.data.cache.writeback() {
                tracing::warn!("write-back on close: {e}");
            }
        }
    }
}

impl FileOps for LowerFile {
    fn supports_direct(&self) -> bool {
        true
    }

    fn fsync(&self, _f: &File) -> Result<(), Errno> {
        self.data.cache.writeback()?;
        match self.data.writer() {
            Some(w) => rustix::fs::fsync(w.as_fd()).map_err(|e| Errno(e.raw_os_error())),
            None => Ok(()),
        }
    }

    fn read(&self, _f: &File, dst: &mut IoDst, off: i64) -> Result<u64, Errno> {
        if off < 0 {
            return Err(Errno::EINVAL);
        }
        if !self.read {
            return Err(Errno::EBADF);
        }
        self.settle()?;
        let mut total = 0u64;
        // preadv may stop short (many iovecs, signals); keep going until
        // the destination is full or the file ends.
        while dst.remaining() > 0 {
            let at = off.checked_add(total as i64).ok_or(Errno::EINVAL)?;
            match dst.read_from_fd(self.data.fd.as_fd(), Some(at)) {
                Ok(0) => break,
                Ok(n) => total += n,
                Err(Errno::EINTR) if total == 0 => continue,
                Err(_) if total > 0 => break,
                Err(e) => return Err(e),
            }
        }
        Ok(total)
    }

    fn write(&self, _f: &File, src: &mut IoSrc, off: i64) -> Result<u64, Errno> {
        if off < 0 {
            return Err(Errno::EINVAL);
        }
        let w = match (self.write, self.data.writer()) {
            (true, Some(w)) => w,
            _ => return Err(Errno::EBADF),
        };
        self.settle()?;
        let mut total = 0u64;
        while src.remaining() > 0 {
            let at = off.checked_add(total as i64).ok_or(Errno::EFBIG)?;
            match src.write_to_fd(w.as_fd(), Some(at)) {
                Ok(0) => break,
                Ok(n) => total += n,
                Err(Errno::EINTR) if total == 0 => continue,
                Err(_) if total > 0 => break,
                Err(e) => return Err(e),
            }
        }
        if total > 0 {
            let end = off as u64 + total;
            let cache = &self.data.cache;
            if !cache.is_empty() {
                // Mapped pages show what was just written.
                cache.refresh(off as u64, total)?;
            }
            if end > cache.size() {
                cache.set_size(end);
            }
            // Size, mtime and ctime moved: the next stat asks the host fd.
            self.node.stale();
        }
        Ok(total)
    }

    fn mappable(&self) -> Option<Arc<dyn Mappable>> {
        if self.write {
            // A mapping of a writable open may be shared and written: its
            // pages go back to the host when it ends.
            Some(self.data.cache.shared_writer())
        } else {
            Some(self.data.cache.clone())
        }
    }

    /// Straight to the host file: its filesystem decides which modes it
    /// supports. Cached pages are kept coherent with what it did.
    fn fallocate(&self, _f: &File, mode: u32, off: u64, len: u64) -> Result<(), Errno> {
        use crate::vfs::range::{
            FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_PUNCH_HOLE,
            FALLOC_FL_WRITE_ZEROES, FALLOC_FL_ZERO_RANGE,
        };
        let w = match (self.write, self.data.writer()) {
            (true, Some(w)) => w,
            _ => return Err(Errno::EBADF),
        };
        let cache = &self.data.cache;
        // What shared mappings wrote reaches the host first.
        cache.writeback()?;
        let flags = rustix::fs::FallocateFlags::from_bits_retain(mode);
        rustix::fs::fallocate(w.as_fd(), flags, off, len).map_err(errno)?;
        let size = rustix::fs::fstat(w.as_fd()).map_err(errno)?.st_size as u64;
        cache.set_size(size);
        let changed = if mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE) != 0 {
            // Data moved: everything from `off` on.
            size.saturating_sub(off)
        } else if mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_WRITE_ZEROES) != 0
        {
            len.min(size.saturating_sub(off))
        } else {
            0
        };
        if changed > 0 && !cache.is_empty() {
            cache.refresh(off, changed)?;
        }
        self.node.stale();
        Ok(())
    }

    /// What shared mappings wrote goes back to the host file; "write and
    /// wait" also waits for the host to write it out (fdatasync, which
    /// covers the range and more).
    fn sync_range(&self, _f: &File, _off: u64, _end: u64, flags: u32) -> Result<(), Errno> {
        use crate::vfs::range::{SYNC_FILE_RANGE_WAIT_AFTER, SYNC_FILE_RANGE_WRITE};
        if flags & SYNC_FILE_RANGE_WRITE == 0 {
            return Ok(());
        }
        self.data.cache.writeback()?;
        // Only a file the Sentry wrote can have data of ours pending.
        if flags & SYNC_FILE_RANGE_WAIT_AFTER != 0 {
            if let Some(w) = self.data.writer() {
                rustix::fs::fdatasync(w.as_fd()).map_err(errno)?;
            }
        }
        Ok(())
    }

    /// DONTNEED drops the cached copies of the file's pages (after writing
    /// back what mappings changed), unless a shared mapping may still be
    /// writing them; other advice is left to the host's own page cache.
    fn fadvise(&self, _f: &File, _off: i64, _len: i64, advice: u32) -> Result<(), Errno> {
        if advice == crate::vfs::range::POSIX_FADV_DONTNEED {
            let cache = &self.data.cache;
            cache.writeback()?;
            if !cache.has_write_mapped() {
                cache.invalidate();
            }
        }
        Ok(())
    }

    fn seek_data(&self, _f: &File, off: i64, _size: i64, hole: bool) -> Result<i64, Errno> {
        if off < 0 {
            return Err(Errno::ENXIO);
        }
        let pos = if hole {
            rustix::fs::SeekFrom::Hole(off as u64)
        } else {
            rustix::fs::SeekFrom::Data(off as u64)
        };
        // Positional: lseek moves the shared host fd's offset, which no read uses.
        rustix::fs::seek(self.data.fd.as_fd(), pos)
            .map(|p| p as i64)
            .map_err(|e| Errno(e.raw_os_error()))
    }
}

/// An open directory.
pub(super) struct LowerDir {
    pub inode: Arc<dyn Inode>,
}

impl FileOps for LowerDir {
    fn fsync(&self, _f: &File) -> Result<(), Errno> {
        Ok(())
    }

    fn read(&self, _f: &File, _dst: &mut IoDst, _off: i64) -> Result<u64, Errno> {
        Err(Errno::EISDIR)
    }

    fn readdir(&self, _f: &File) -> Result<Vec<DirEntry>, Errno> {
        self.inode.readdir()
    }
}
