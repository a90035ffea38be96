//! tmpfs symlinks and special nodes (FIFOs, sockets, device nodes): they
//! hold no data; opening a device reaches its driver, opening a FIFO the
//! pipe the node keeps for as long as it lives.

use crate::fs::pipe::Fifo;
use crate::mm::{IoDst, IoSrc};
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::FileType;
use abi::Errno;

/// A symlink opened with O_PATH (the only way to open one): no I/O.
pub(super) struct SymlinkFile;

impl FileOps for SymlinkFile {
    fn read(&self, _f: &File, _dst: &mut IoDst, _off: i64) -> Result<u64, Errno> {
        Err(Errno::EBADF)
    }

    fn write(&self, _f: &File, _src: &mut IoSrc, _off: i64) -> Result<u64, Errno> {
        Err(Errno::EBADF)
    }
}

/// Open a FIFO, socket or device node. Every open of a FIFO shares `fifo`'s pipe.
pub(super) fn open_special(
    kind: FileType,
    rdev: u64,
    fifo: &Fifo,
    flags: u32,
) -> Result<Box<dyn FileOps>, Errno> {
    match kind {
        FileType::CharDev => crate::fs::dev::open_device(rdev, flags),
        FileType::Fifo => fifo.open(flags),
        // No block devices exist in the sandbox, and a socket file cannot
        // be opened (as on Linux).
        _ => Err(Errno::ENXIO),
    }
}
