//! statfs(2) in VFS terms: the numbers a filesystem gives
//! (`Inode::statfs`), its magic (`Inode::fs_info`), and flags from the
//! mount the file was reached through.

use super::file::File;
use super::inode::{Attr, FileType, FsUsage, Inode, S_IFMT};
use super::mount::{
    Mount, MS_NOATIME, MS_NODEV, MS_NODIRATIME, MS_NOEXEC, MS_NOSUID, MS_NOSYMFOLLOW,
    MS_STRICTATIME,
};
use abi::Errno;

pub const ST_RDONLY: u64 = 0x0001;
pub const ST_NOSUID: u64 = 0x0002;
pub const ST_NODEV: u64 = 0x0004;
pub const ST_NOEXEC: u64 = 0x0008;
/// Always set: the flags are valid (Linux's `calculate_f_flags`).
pub const ST_VALID: u64 = 0x0020;
pub const ST_NOATIME: u64 = 0x0400;
pub const ST_NODIRATIME: u64 = 0x0800;
pub const ST_RELATIME: u64 = 0x1000;
pub const ST_NOSYMFOLLOW: u64 = 0x2000;

/// Magic numbers of the pseudo filesystems behind files without an inode.
const PIPEFS_MAGIC: u64 = 0x5049_5045;
const SOCKFS_MAGIC: u64 = 0x534f_434b;
const ANON_INODE_FS_MAGIC: u64 = 0x0904_1934;
const DEVPTS_SUPER_MAGIC: u64 = 0x1cd1;
const TMPFS_MAGIC: u64 = 0x0102_1994;

/// What statfs reports, before it is laid out as `struct statfs`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatFs {
    pub magic: u64,
    pub usage: FsUsage,
    pub fsid: [u32; 2],
    pub flags: u64,
}

/// The ST_* flags of a mount (without one: relatime, as Linux's default).
fn mount_flags(m: Option<&Mount>) -> u64 {
    let Some(m) = m else { return ST_RELATIME };
    let ms = m.flags();
    let mut f = 0;
    for (bit, st) in [
        (MS_NOSUID, ST_NOSUID),
        (MS_NODEV, ST_NODEV),
        (MS_NOEXEC, ST_NOEXEC),
        (MS_NOATIME, ST_NOATIME),
        (MS_NODIRATIME, ST_NODIRATIME),
        (MS_NOSYMFOLLOW, ST_NOSYMFOLLOW),
    ] {
        if ms & bit != 0 {
            f |= st;
        }
    }
    if ms & (MS_NOATIME | MS_STRICTATIME) == 0 {
        f |= ST_RELATIME;
    }
    if m.read_only() {
        f |= ST_RDONLY;
    }
    f
}

fn fsid_of(dev: u64) -> [u32; 2] {
    [dev as u32, (dev >> 32) as u32]
}

/// statfs of the filesystem holding `inode`, reached through `mount`.
pub fn of_inode(inode: &dyn Inode, mount: Option<&Mount>) -> Result<StatFs, Errno> {
    let info = inode.fs_info();
    let usage = inode.statfs()?;
    let dev = inode.attr().map(|a| a.dev).unwrap_or(0);
    let mut flags = ST_VALID | mount_flags(mount);
    if info.read_only {
        flags |= ST_RDONLY;
    }
    Ok(StatFs {
        magic: info.magic,
        usage,
        fsid: fsid_of(dev),
        flags,
    })
}

/// fstatfs of an open file: its inode's filesystem, or for pipes,
/// sockets and anonymous files the pseudo filesystem Linux keeps them on.
pub fn of_file(f: &File) -> Result<StatFs, Errno> {
    if let Some(i) = &f.inode {
        let mount = f.path.as_ref().map(|p| p.mount.as_ref());
        return of_inode(i.as_ref(), mount);
    }
    let a: Attr = f.attr().unwrap_or_default();
    // Anonymous files have no type bits (FileType would call them regular).
    let magic = match a.mode & S_IFMT {
        0 => ANON_INODE_FS_MAGIC,
        _ => match a.file_type() {
            FileType::Fifo => PIPEFS_MAGIC,
            FileType::Socket => SOCKFS_MAGIC,
            // Donated terminals live on devpts (majors 136..=143), other
            // character devices on devtmpfs.
            FileType::CharDev if (136..=143).contains(&((a.rdev >> 8) & 0xfff)) => {
                DEVPTS_SUPER_MAGIC
            }
            FileType::CharDev => TMPFS_MAGIC,
            _ => ANON_INODE_FS_MAGIC,
        },
    };
    Ok(StatFs {
        magic,
        usage: FsUsage::EMPTY,
        fsid: [0, 0],
        flags: ST_VALID,
    })
}
