//! The values messages carry: fids, qids, attributes, directory entries,
//! locks, and the protocol's constants (mask bits, flag values). Numbers are
//! those of 9P2000.L as the Linux v9fs client and diod define them.

/// A message tag: the client's name for one outstanding request; the reply
/// carries the same tag.
pub type Tag = u16;

/// The tag of Tversion, which is sent before any tag is in use.
pub const NOTAG: Tag = 0xffff;

/// The protocol version this crate speaks.
pub const VERSION: &[u8] = b"9P2000.L";

/// The version a server answers when it speaks none the client offered.
pub const UNKNOWN_VERSION: &[u8] = b"unknown";

/// At most this many names in one Twalk (and qids in one Rwalk).
pub const MAX_WALK_ELEMENTS: usize = 16;

/// "No numeric user": Tattach/Tauth `n_uname` when `uname` is authoritative.
pub const NONUNAME: u32 = 0xffff_ffff;

/// A file identifier: the client's name for a server-side reference to a
/// file (the Sentry's `Handle`). Chosen by the client, valid from the message
/// that creates it (Tattach, Twalk's newfid, Txattrwalk's newfid) until
/// Tclunk or Tremove.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fid(pub u32);

impl Fid {
    /// "No fid": Tattach's afid when no authentication took place.
    pub const NONE: Fid = Fid(0xffff_ffff);
}

/// The server's unique identity of a file: `type[1] version[4] path[8]`.
/// `path` is unique per file on the served tree (the Gofer uses the host
/// inode number, mixed with the device when the tree spans several).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Qid {
    /// [`qid_type`] bits.
    pub ty: u8,
    /// Changes when the file changes; 0 when the server does not track it.
    pub version: u32,
    pub path: u64,
}

/// Encoded size of a [`Qid`].
pub const QID_SIZE: usize = 13;

/// Bits of [`Qid::ty`].
pub mod qid_type {
    pub const DIR: u8 = 0x80;
    pub const APPEND: u8 = 0x40;
    pub const EXCL: u8 = 0x20;
    pub const MOUNT: u8 = 0x10;
    pub const AUTH: u8 = 0x08;
    pub const TMP: u8 = 0x04;
    pub const SYMLINK: u8 = 0x02;
    pub const LINK: u8 = 0x01;
    pub const FILE: u8 = 0x00;
}

impl Qid {
    /// The qid type that describes a file of Linux mode `mode`.
    pub fn type_from_mode(mode: u32) -> u8 {
        match mode & 0o170000 {
            0o040000 => qid_type::DIR,
            0o120000 => qid_type::SYMLINK,
            _ => qid_type::FILE,
        }
    }
}

/// Seconds and nanoseconds since the epoch, as 9P2000.L sends times
/// (both `[8]`; the seconds are a two's-complement `i64` on Linux).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Timestamp {
    pub sec: u64,
    pub nsec: u64,
}

/// Bits of Tgetattr's `request_mask` and Rgetattr's `valid`.
pub mod getattr {
    pub const MODE: u64 = 0x0000_0001;
    pub const NLINK: u64 = 0x0000_0002;
    pub const UID: u64 = 0x0000_0004;
    pub const GID: u64 = 0x0000_0008;
    pub const RDEV: u64 = 0x0000_0010;
    pub const ATIME: u64 = 0x0000_0020;
    pub const MTIME: u64 = 0x0000_0040;
    pub const CTIME: u64 = 0x0000_0080;
    pub const INO: u64 = 0x0000_0100;
    pub const SIZE: u64 = 0x0000_0200;
    pub const BLOCKS: u64 = 0x0000_0400;
    pub const BTIME: u64 = 0x0000_0800;
    pub const GEN: u64 = 0x0000_1000;
    pub const DATA_VERSION: u64 = 0x0000_2000;
    /// Everything stat(2) reports (MODE through BLOCKS).
    pub const BASIC: u64 = 0x0000_07ff;
    pub const ALL: u64 = 0x0000_3fff;
}

/// Rgetattr's body: what stat(2)/statx(2) report, minus st_dev, with the
/// inode number in `qid.path`. Only fields whose bit is set in `valid` carry
/// meaning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Attr {
    /// [`getattr`] bits of the fields that are filled in.
    pub valid: u64,
    pub qid: Qid,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u64,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u64,
    pub blocks: u64,
    pub atime: Timestamp,
    pub mtime: Timestamp,
    pub ctime: Timestamp,
    pub btime: Timestamp,
    pub generation: u64,
    pub data_version: u64,
}

/// Bits of Tsetattr's `valid`. A time bit without its `_SET` companion
/// means "now, by the server's clock".
pub mod setattr {
    pub const MODE: u32 = 0x0000_0001;
    pub const UID: u32 = 0x0000_0002;
    pub const GID: u32 = 0x0000_0004;
    pub const SIZE: u32 = 0x0000_0008;
    pub const ATIME: u32 = 0x0000_0010;
    pub const MTIME: u32 = 0x0000_0020;
    pub const CTIME: u32 = 0x0000_0040;
    pub const ATIME_SET: u32 = 0x0000_0080;
    pub const MTIME_SET: u32 = 0x0000_0100;
}

/// Txattrcreate's `flags`, and how its value reaches the file.
///
/// The fid becomes a writer of `attr_size` bytes (Twrite at increasing
/// offsets); Tclunk sets the attribute, and its reply carries the outcome
/// (Rlerror with EEXIST, ENODATA, EPERM...). As in Linux's setxattr(2), a
/// size of 0 sets an empty value. Removing an attribute is an extension of
/// ours ([`xattr::REMOVE`], with a size of 0): 9P2000.L has no message for
/// it, and servers that read "size 0" as removal cannot set empty values.
pub mod xattr {
    /// Fail with EEXIST if the attribute exists.
    pub const CREATE: u32 = 1;
    /// Fail with ENODATA if it does not.
    pub const REPLACE: u32 = 2;
    /// Remove the attribute (ENODATA if it does not exist).
    pub const REMOVE: u32 = 0x8000_0000;
    /// The largest value (Linux's XATTR_SIZE_MAX); also bounds listings.
    pub const SIZE_MAX: u64 = 65536;
}

/// Tsetattr's body: chmod, chown, truncate and utimensat in one message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SetAttr {
    /// [`setattr`] bits of the fields to apply.
    pub valid: u32,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub atime: Timestamp,
    pub mtime: Timestamp,
}

/// Rstatfs's body, the fields of statfs(2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StatFs {
    /// The filesystem magic (`f_type`).
    pub ty: u32,
    pub bsize: u32,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub fsid: u64,
    pub namelen: u32,
}

/// One Rreaddir entry: `qid[13] offset[8] type[1] name[s]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Dirent {
    pub qid: Qid,
    /// The Treaddir offset that continues after this entry.
    pub offset: u64,
    /// A `DT_*` value ([`dirent_type`]).
    pub ty: u8,
    /// One path component; bytes, not necessarily UTF-8.
    pub name: Vec<u8>,
}

impl Dirent {
    /// Bytes of an entry besides its name.
    pub const FIXED_SIZE: usize = QID_SIZE + 8 + 1 + 2;

    /// The bytes this entry takes in Rreaddir's data, so a server can stop
    /// before Treaddir's `count` is exceeded.
    pub fn encoded_len(&self) -> usize {
        Self::FIXED_SIZE.saturating_add(self.name.len())
    }
}

/// `d_type` values of [`Dirent::ty`] (Linux's `DT_*`).
pub mod dirent_type {
    pub const UNKNOWN: u8 = 0;
    pub const FIFO: u8 = 1;
    pub const CHR: u8 = 2;
    pub const DIR: u8 = 4;
    pub const BLK: u8 = 6;
    pub const REG: u8 = 8;
    pub const LNK: u8 = 10;
    pub const SOCK: u8 = 12;
    pub const WHT: u8 = 14;

    /// The `DT_*` value for a Linux mode.
    pub fn from_mode(mode: u32) -> u8 {
        // The S_IFMT nibble is exactly the DT_ value.
        u8::try_from((mode >> 12) & 0xf).unwrap_or(UNKNOWN)
    }
}

/// Tlopen and Tlcreate flags. 9P2000.L defines them with the values of
/// x86-64 Linux's `O_*` flags, so on this platform they pass through as-is.
pub mod lopen {
    pub const RDONLY: u32 = 0o0;
    pub const WRONLY: u32 = 0o1;
    pub const RDWR: u32 = 0o2;
    pub const ACCMODE: u32 = 0o3;
    pub const CREATE: u32 = 0o100;
    pub const EXCL: u32 = 0o200;
    pub const NOCTTY: u32 = 0o400;
    pub const TRUNC: u32 = 0o1000;
    pub const APPEND: u32 = 0o2000;
    pub const NONBLOCK: u32 = 0o4000;
    pub const DSYNC: u32 = 0o10000;
    pub const FASYNC: u32 = 0o20000;
    pub const DIRECT: u32 = 0o40000;
    pub const LARGEFILE: u32 = 0o100000;
    pub const DIRECTORY: u32 = 0o200000;
    pub const NOFOLLOW: u32 = 0o400000;
    pub const NOATIME: u32 = 0o1000000;
    pub const CLOEXEC: u32 = 0o2000000;
    pub const SYNC: u32 = 0o4000000;
}

/// Tunlinkat's flag: remove a directory (rmdir) rather than a file.
pub const AT_REMOVEDIR: u32 = 0x200;

/// Lock types of Tlock/Tgetlock/Rgetlock.
pub mod lock_type {
    pub const RDLCK: u8 = 0;
    pub const WRLCK: u8 = 1;
    pub const UNLCK: u8 = 2;
}

/// Tlock flags.
pub mod lock_flags {
    /// F_SETLKW: the client retries while the status is BLOCKED.
    pub const BLOCK: u32 = 1;
    pub const RECLAIM: u32 = 2;
}

/// Rlock statuses.
pub mod lock_status {
    pub const SUCCESS: u8 = 0;
    pub const BLOCKED: u8 = 1;
    pub const ERROR: u8 = 2;
    pub const GRACE: u8 = 3;
}

/// A POSIX record lock as Tlock, Tgetlock and Rgetlock describe it (the
/// fields of `struct flock`, plus the requester's name).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flock {
    /// A [`lock_type`] value.
    pub ty: u8,
    pub start: u64,
    /// 0 means "to the end of the file".
    pub length: u64,
    pub proc_id: u32,
    pub client_id: Vec<u8>,
}

/// Bits of Txattrcreate's flags (setxattr(2)'s).
pub mod xattr_flags {
    pub const CREATE: u32 = 1;
    pub const REPLACE: u32 = 2;
}
