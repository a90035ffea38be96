//! Operations on a byte range of an open file, with the checks Linux makes
//! before a filesystem is asked: fallocate(2) (`vfs_fallocate`),
//! sync_file_range(2), posix_fadvise(2) and readahead(2). The callers
//! have already refused O_PATH descriptors (EBADF).

use super::file::File;
use super::inode::{S_IFBLK, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG};
use abi::Errno;

pub const FALLOC_FL_KEEP_SIZE: u32 = 0x01;
pub const FALLOC_FL_PUNCH_HOLE: u32 = 0x02;
pub const FALLOC_FL_COLLAPSE_RANGE: u32 = 0x08;
pub const FALLOC_FL_ZERO_RANGE: u32 = 0x10;
pub const FALLOC_FL_INSERT_RANGE: u32 = 0x20;
pub const FALLOC_FL_UNSHARE_RANGE: u32 = 0x40;
pub const FALLOC_FL_WRITE_ZEROES: u32 = 0x80;
/// The mode bits: at most one of them, plus KEEP_SIZE where it fits.
const FALLOC_FL_MODE_MASK: u32 = FALLOC_FL_PUNCH_HOLE
    | FALLOC_FL_COLLAPSE_RANGE
    | FALLOC_FL_ZERO_RANGE
    | FALLOC_FL_INSERT_RANGE
    | FALLOC_FL_UNSHARE_RANGE
    | FALLOC_FL_WRITE_ZEROES;

pub const SYNC_FILE_RANGE_WAIT_BEFORE: u32 = 1;
pub const SYNC_FILE_RANGE_WRITE: u32 = 2;
pub const SYNC_FILE_RANGE_WAIT_AFTER: u32 = 4;

pub const POSIX_FADV_NORMAL: u32 = 0;
pub const POSIX_FADV_RANDOM: u32 = 1;
pub const POSIX_FADV_SEQUENTIAL: u32 = 2;
pub const POSIX_FADV_WILLNEED: u32 = 3;
pub const POSIX_FADV_DONTNEED: u32 = 4;
pub const POSIX_FADV_NOREUSE: u32 = 5;

/// The type bits of an open file: 0 for anonymous files (eventfd, epoll),
/// whose inodes have none, as on Linux.
fn type_bits(f: &File) -> Result<u32, Errno> {
    Ok(f.attr()?.mode & S_IFMT)
}

/// fallocate(2).
pub fn fallocate(f: &File, mode: u32, off: i64, len: i64) -> Result<(), Errno> {
    if off < 0 || len <= 0 {
        return Err(Errno::EINVAL);
    }
    if mode & !(FALLOC_FL_MODE_MASK | FALLOC_FL_KEEP_SIZE) != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let keep = mode & FALLOC_FL_KEEP_SIZE != 0;
    match mode & FALLOC_FL_MODE_MASK {
        0 | FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_ZERO_RANGE => {}
        FALLOC_FL_PUNCH_HOLE if keep => {}
        FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE | FALLOC_FL_WRITE_ZEROES if !keep => {}
        _ => return Err(Errno::EOPNOTSUPP),
    }
    if !f.writable() {
        return Err(Errno::EBADF);
    }
    match type_bits(f)? {
        S_IFIFO => return Err(Errno::ESPIPE),
        S_IFDIR => return Err(Errno::EISDIR),
        S_IFREG | S_IFBLK => {}
        _ => return Err(Errno::ENODEV),
    }
    // Every filesystem here allows files up to Linux's MAX_LFS_FILESIZE
    // (host filesystems say more through their own errors).
    off.checked_add(len).ok_or(Errno::EFBIG)?;
    f.ops.fallocate(f, mode, off as u64, len as u64)
}

/// sync_file_range(2).
pub fn sync_range(f: &File, off: i64, nbytes: i64, flags: u32) -> Result<(), Errno> {
    let valid = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
    if flags & !valid != 0 {
        return Err(Errno::EINVAL);
    }
    let endbyte = off.wrapping_add(nbytes);
    if off < 0 || endbyte < 0 || endbyte < off {
        return Err(Errno::EINVAL);
    }
    // Inclusive; 0 bytes means to the end of the file.
    let end = if nbytes == 0 { i64::MAX } else { endbyte - 1 };
    match type_bits(f)? {
        S_IFREG | S_IFBLK | S_IFDIR | S_IFLNK => {}
        _ => return Err(Errno::ESPIPE),
    }
    f.ops.sync_range(f, off as u64, end as u64, flags)
}

/// posix_fadvise(2) (fadvise64).
pub fn fadvise(f: &File, off: i64, len: i64, advice: u32) -> Result<(), Errno> {
    if type_bits(f)? == S_IFIFO {
        return Err(Errno::ESPIPE);
    }
    if len < 0 || advice > POSIX_FADV_NOREUSE {
        return Err(Errno::EINVAL);
    }
    f.ops.fadvise(f, off, len, advice)
}

/// readahead(2): WILLNEED advice, for readable regular files only.
pub fn readahead(f: &File, off: i64, count: u64) -> Result<(), Errno> {
    if !f.readable() {
        return Err(Errno::EBADF);
    }
    match type_bits(f)? {
        S_IFREG | S_IFBLK => {}
        _ => return Err(Errno::EINVAL),
    }
    // The count becomes fadvise's signed length.
    let len = i64::try_from(count).map_err(|_| Errno::EINVAL)?;
    f.ops.fadvise(f, off, len, POSIX_FADV_WILLNEED)
}
