//! What a file must offer to be mapped into an address space.

use abi::Errno;
use std::sync::Arc;

/// A source of MemoryFile frames for file offsets: tmpfs files hand out their
/// own frames; other files fill a page cache in the MemoryFile.
pub trait Mappable: Send + Sync {
    /// Frames backing the page-aligned file range `[off, off + len)`, as
    /// `(frame, len)` runs in file order. They may cover only a prefix of
    /// the range (stopping at end of file); an empty result means `off` is
    /// beyond the end of the file. Each returned frame carries one reference
    /// that now belongs to the caller. `write` asks for frames that may be
    /// written through a shared mapping (allocating holes).
    fn get_frames(&self, off: u64, len: u64, write: bool) -> Result<Vec<(u64, u64)>, Errno>;

    /// Current size of the file in bytes.
    fn size(&self) -> u64;

    /// Device and inode numbers and path for /proc/PID/maps.
    fn describe(&self) -> (u64, u64, String) {
        (0, 0, String::new())
    }

    /// msync(2) of a shared mapping of `[off, off + len)`: write what it
    /// changed back to where the file lives (a host file behind the
    /// Gofer). Files whose data is the MemoryFile have nothing to do.
    fn sync(&self, _off: u64, _len: u64) -> Result<(), Errno> {
        Ok(())
    }

    /// The concrete object, for owners that must recognise their own
    /// mappings among an address space's areas (System V shm attachments).
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }

    /// What a fork(2) child's copy of an area backed by this maps instead
    /// of sharing this very object (an shm attachment counts its
    /// attaches); None shares it.
    fn fork_copy(&self) -> Option<Arc<dyn Mappable>> {
        None
    }
}
