//! Host file operations the server is built from. Every one takes an fd
//! the Gofer holds and at most one checked path component; nothing here
//! follows a symlink or resolves "..".

use abi::Errno;
use proto::{getattr, Attr, Qid, Timestamp};
use rustix::fs::{AtFlags, Mode, OFlags, Statx, StatxFlags, StatxTimestamp};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// The longest name Linux filesystems accept.
pub const NAME_MAX: usize = 255;

pub fn errno(e: rustix::io::Errno) -> Errno {
    Errno(e.raw_os_error())
}

/// Refuses anything that is not one plain path component: a request can
/// name a child of a directory the Gofer holds, never a path.
pub fn check_name(name: &[u8]) -> Result<(), Errno> {
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    if name == b"." || name == b".." || name.contains(&b'/') || name.contains(&0) {
        return Err(Errno::EINVAL);
    }
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

pub const S_IFMT: u32 = 0o170000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFIFO: u32 = 0o010000;
pub const S_IFSOCK: u32 = 0o140000;

/// statx of the file an fd refers to (an O_PATH fd works; a symlink is
/// described, not followed).
pub fn stat_fd(fd: BorrowedFd<'_>) -> Result<Statx, Errno> {
    rustix::fs::statx(
        fd,
        "",
        AtFlags::EMPTY_PATH | AtFlags::SYMLINK_NOFOLLOW,
        StatxFlags::BASIC_STATS | StatxFlags::BTIME,
    )
    .map_err(errno)
}

pub fn dev_of(stx: &Statx) -> u64 {
    rustix::fs::makedev(stx.stx_dev_major, stx.stx_dev_minor)
}

fn ts(t: StatxTimestamp) -> Timestamp {
    Timestamp {
        sec: t.tv_sec as u64,
        nsec: u64::from(t.tv_nsec),
    }
}

/// A qid version that changes whenever the file does: ctime moves on every
/// change of data or metadata, so a client can tell a changed file from a
/// walk alone.
pub fn version_of(stx: &Statx) -> u32 {
    let c = stx.stx_ctime;
    let mixed = (c.tv_sec as u64)
        .wrapping_mul(1_000_000_007)
        .wrapping_add(u64::from(c.tv_nsec));
    (mixed ^ (mixed >> 32)) as u32
}

/// The qid of a file whose qid path is `path`.
pub fn qid_of(stx: &Statx, path: u64) -> Qid {
    let mode = u32::from(stx.stx_mode);
    Qid {
        ty: Qid::type_from_mode(mode),
        version: version_of(stx),
        path,
    }
}

/// Rgetattr's body for a file whose qid path is `path`.
pub fn attr_of(stx: &Statx, path: u64) -> Attr {
    let mut valid = getattr::BASIC;
    let btime = if stx.stx_mask & StatxFlags::BTIME.bits() != 0 {
        valid |= getattr::BTIME;
        ts(stx.stx_btime)
    } else {
        Timestamp::default()
    };
    Attr {
        valid,
        qid: qid_of(stx, path),
        mode: u32::from(stx.stx_mode),
        uid: stx.stx_uid,
        gid: stx.stx_gid,
        nlink: u64::from(stx.stx_nlink),
        rdev: rustix::fs::makedev(stx.stx_rdev_major, stx.stx_rdev_minor),
        size: stx.stx_size,
        blksize: u64::from(stx.stx_blksize),
        blocks: stx.stx_blocks,
        atime: ts(stx.stx_atime),
        mtime: ts(stx.stx_mtime),
        ctime: ts(stx.stx_ctime),
        btime,
        generation: 0,
        data_version: 0,
    }
}

/// `openat(dir, name, O_PATH | O_NOFOLLOW)`: the one way a walk moves.
pub fn walk_one(dir: BorrowedFd<'_>, name: &[u8]) -> Result<OwnedFd, Errno> {
    check_name(name)?;
    rustix::fs::openat(
        dir,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(errno)
}

/// Opens the directory `dir` (an O_PATH fd) for reading its entries.
pub fn open_dir(dir: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(
        dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(errno)
}

/// Reopens the non-directory `name` of `dir` for I/O with `flags`, checking
/// that it is still the file `(dev, ino)`: the name may have been replaced
/// since the walk (ESTALE then). Never follows a symlink; never blocks on a
/// FIFO; never takes a controlling terminal.
pub fn reopen(
    dir: BorrowedFd<'_>,
    name: &[u8],
    flags: OFlags,
    dev: u64,
    ino: u64,
) -> Result<OwnedFd, Errno> {
    let fd = rustix::fs::openat(
        dir,
        name,
        flags | OFlags::NOFOLLOW | OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(errno)?;
    let stx = stat_fd(fd.as_fd())?;
    if dev_of(&stx) != dev || stx.stx_ino != ino {
        return Err(Errno::ESTALE);
    }
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_single_components() {
        assert_eq!(check_name(b""), Err(Errno::ENOENT));
        assert_eq!(check_name(b"."), Err(Errno::EINVAL));
        assert_eq!(check_name(b".."), Err(Errno::EINVAL));
        assert_eq!(check_name(b"a/b"), Err(Errno::EINVAL));
        assert_eq!(check_name(b"/"), Err(Errno::EINVAL));
        assert_eq!(check_name(b"a\0"), Err(Errno::EINVAL));
        assert_eq!(check_name(&[b'x'; 256]), Err(Errno::ENAMETOOLONG));
        assert_eq!(check_name(&[b'x'; 255]), Ok(()));
        assert_eq!(check_name(b"..."), Ok(()));
    }
}
