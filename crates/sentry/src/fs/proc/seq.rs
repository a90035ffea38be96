//! Open procfs files: generated files served from a snapshot, and directories.

use super::inode::ProcInode;
use crate::mm::{IoDst, IoSrc};
use crate::vfs::file::{File, FileOps};
use crate::vfs::DirEntry;
use crate::vfs::Inode;
use abi::Errno;
use parking_lot::Mutex;
use std::sync::Arc;

/// The most of one write a proc file looks at.
const WRITE_MAX: u64 = 4096;

/// An open generated file. The content is made on the first read and again
/// by every read at offset 0; reads further on are served from the
/// snapshot, so a reader going through the file in small pieces sees one
/// consistent text, as with Linux's seq files.
pub(super) struct SeqFile {
    inode: ProcInode,
    snapshot: Mutex<Option<Arc<Vec<u8>>>>,
}

impl SeqFile {
    pub(super) fn new(inode: ProcInode) -> SeqFile {
        SeqFile {
            inode,
            snapshot: Mutex::new(None),
        }
    }

    fn content(&self, off: i64) -> Result<Arc<Vec<u8>>, Errno> {
        let mut snap = self.snapshot.lock();
        match snap.as_ref() {
            Some(s) if off != 0 => Ok(s.clone()),
            _ => {
                let s = Arc::new(self.inode.generate()?);
                *snap = Some(s.clone());
                Ok(s)
            }
        }
    }
}

impl FileOps for SeqFile {
    fn read(&self, _f: &File, dst: &mut IoDst, off: i64) -> Result<u64, Errno> {
        let off = u64::try_from(off).map_err(|_| Errno::EINVAL)?;
        if dst.remaining() == 0 {
            return Ok(0);
        }
        let data = self.content(off as i64)?;
        let start = usize::try_from(off).unwrap_or(usize::MAX).min(data.len());
        Ok(dst.put(&data[start..])? as u64)
    }

    fn write(&self, _f: &File, src: &mut IoSrc, _off: i64) -> Result<u64, Errno> {
        self.inode.check_write()?;
        let total = src.remaining();
        let data = peek(src, WRITE_MAX)?;
        self.inode.write(&data, total)
    }
}

/// Up to `max` bytes of `src`, leaving it unconsumed: a write that the file
/// refuses must not count as partly done. (Every writable proc file takes a
/// short value; Linux's look at one page at most.)
fn peek(src: &mut IoSrc, max: u64) -> Result<Vec<u8>, Errno> {
    let mut data = vec![0u8; src.remaining().min(max) as usize];
    let n = src.take(&mut data)?;
    data.truncate(n);
    match src {
        IoSrc::User { done, .. } => *done -= n as u64,
        IoSrc::Buf { done, .. } => *done -= n,
        IoSrc::Lazy { .. } => {}
    }
    Ok(data)
}

/// An open procfs directory.
pub(super) struct DirOps(pub(super) ProcInode);

impl FileOps for DirOps {
    fn read(&self, _f: &File, _dst: &mut IoDst, _off: i64) -> Result<u64, Errno> {
        Err(Errno::EISDIR)
    }

    fn readdir(&self, _f: &File) -> Result<Vec<DirEntry>, Errno> {
        self.0.readdir()
    }
}
