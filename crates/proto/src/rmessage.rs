//! Replies (R-messages): what the Gofer sends and the Sentry's Gofer client
//! decodes. Every request is answered by its own reply type or by
//! [`Rmessage::Lerror`].

use abi::Errno;

use crate::errno::{errno_from_wire, errno_to_wire};
use crate::error::{DecodeError, EncodeError};
use crate::frame::{decode_header, encode_frame};
use crate::msg_type as mt;
use crate::tmessage::{decode_flock, encode_flock, walk_count, Tmessage};
use crate::types::{Attr, Dirent, Flock, Qid, StatFs, Tag, MAX_WALK_ELEMENTS};
use crate::wire::{Reader, Writer};

/// A 9P2000.L reply.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Rmessage {
    Version {
        msize: u32,
        version: Vec<u8>,
    },
    Auth {
        aqid: Qid,
    },
    Attach {
        qid: Qid,
    },
    /// The request failed with Linux errno `ecode`; see [`Rmessage::lerror`]
    /// and [`Rmessage::errno`].
    Lerror {
        ecode: u32,
    },
    Flush,
    /// One qid per name walked. Fewer qids than names means the walk
    /// stopped early and newfid was not bound (a first-name failure is an
    /// Rlerror instead).
    Walk {
        qids: Vec<Qid>,
    },
    Read {
        data: Vec<u8>,
    },
    Write {
        count: u32,
    },
    Clunk,
    Remove,
    Statfs(StatFs),
    /// The file is open. Carries the host fd; see [`Rmessage::carries_fd`].
    Lopen {
        qid: Qid,
        iounit: u32,
    },
    /// The file is created and open. Carries the host fd; see
    /// [`Rmessage::carries_fd`].
    Lcreate {
        qid: Qid,
        iounit: u32,
    },
    Symlink {
        qid: Qid,
    },
    Mknod {
        qid: Qid,
    },
    Rename,
    Readlink {
        target: Vec<u8>,
    },
    Getattr(Attr),
    Setattr,
    /// The size of the attribute value (or of the name list).
    Xattrwalk {
        size: u64,
    },
    Xattrcreate,
    /// No entries means the end of the directory.
    Readdir {
        entries: Vec<Dirent>,
    },
    Fsync,
    /// A [`lock_status`](crate::lock_status) value.
    Lock {
        status: u8,
    },
    Getlock(Flock),
    Link,
    Mkdir {
        qid: Qid,
    },
    Renameat,
    Unlinkat,
}

impl Rmessage {
    /// The Rlerror for `e` (kernel-internal or invalid values become EIO).
    pub fn lerror(e: Errno) -> Rmessage {
        Rmessage::Lerror {
            ecode: errno_to_wire(e),
        }
    }

    /// The errno of an Rlerror (hostile values become EIO); `None` for any
    /// other reply.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Rmessage::Lerror { ecode } => Some(errno_from_wire(*ecode)),
            _ => None,
        }
    }

    /// Whether this reply's ancillary data carries the opened host fd:
    /// true for Rlopen and Rlcreate, which the Gofer sends with exactly one
    /// fd attached (SCM_RIGHTS, in the same sendmsg as the reply's first
    /// byte). No other reply carries fds; a client that receives fds with
    /// any other reply, or a number other than one with these, closes them
    /// and treats the connection as broken. A Gofer that cannot donate an fd
    /// answers Rlerror instead.
    pub fn carries_fd(&self) -> bool {
        matches!(self, Rmessage::Lopen { .. } | Rmessage::Lcreate { .. })
    }

    /// Whether this reply is a possible answer to `req`: its own reply type
    /// or Rlerror. A client must check this before trusting a reply
    /// (and before accepting an fd with it).
    pub fn answers(&self, req: &Tmessage) -> bool {
        let ty = self.msg_type();
        ty == mt::RLERROR || Some(ty) == req.msg_type().checked_add(1)
    }

    /// The `type[1]` byte of this reply.
    pub fn msg_type(&self) -> u8 {
        match self {
            Rmessage::Version { .. } => mt::RVERSION,
            Rmessage::Auth { .. } => mt::RAUTH,
            Rmessage::Attach { .. } => mt::RATTACH,
            Rmessage::Lerror { .. } => mt::RLERROR,
            Rmessage::Flush => mt::RFLUSH,
            Rmessage::Walk { .. } => mt::RWALK,
            Rmessage::Read { .. } => mt::RREAD,
            Rmessage::Write { .. } => mt::RWRITE,
            Rmessage::Clunk => mt::RCLUNK,
            Rmessage::Remove => mt::RREMOVE,
            Rmessage::Statfs(_) => mt::RSTATFS,
            Rmessage::Lopen { .. } => mt::RLOPEN,
            Rmessage::Lcreate { .. } => mt::RLCREATE,
            Rmessage::Symlink { .. } => mt::RSYMLINK,
            Rmessage::Mknod { .. } => mt::RMKNOD,
            Rmessage::Rename => mt::RRENAME,
            Rmessage::Readlink { .. } => mt::RREADLINK,
            Rmessage::Getattr(_) => mt::RGETATTR,
            Rmessage::Setattr => mt::RSETATTR,
            Rmessage::Xattrwalk { .. } => mt::RXATTRWALK,
            Rmessage::Xattrcreate => mt::RXATTRCREATE,
            Rmessage::Readdir { .. } => mt::RREADDIR,
            Rmessage::Fsync => mt::RFSYNC,
            Rmessage::Lock { .. } => mt::RLOCK,
            Rmessage::Getlock(_) => mt::RGETLOCK,
            Rmessage::Link => mt::RLINK,
            Rmessage::Mkdir { .. } => mt::RMKDIR,
            Rmessage::Renameat => mt::RRENAMEAT,
            Rmessage::Unlinkat => mt::RUNLINKAT,
        }
    }

    /// The message's name as logs print it ("Rwalk").
    pub fn name(&self) -> &'static str {
        match self {
            Rmessage::Version { .. } => "Rversion",
            Rmessage::Auth { .. } => "Rauth",
            Rmessage::Attach { .. } => "Rattach",
            Rmessage::Lerror { .. } => "Rlerror",
            Rmessage::Flush => "Rflush",
            Rmessage::Walk { .. } => "Rwalk",
            Rmessage::Read { .. } => "Rread",
            Rmessage::Write { .. } => "Rwrite",
            Rmessage::Clunk => "Rclunk",
            Rmessage::Remove => "Rremove",
            Rmessage::Statfs(_) => "Rstatfs",
            Rmessage::Lopen { .. } => "Rlopen",
            Rmessage::Lcreate { .. } => "Rlcreate",
            Rmessage::Symlink { .. } => "Rsymlink",
            Rmessage::Mknod { .. } => "Rmknod",
            Rmessage::Rename => "Rrename",
            Rmessage::Readlink { .. } => "Rreadlink",
            Rmessage::Getattr(_) => "Rgetattr",
            Rmessage::Setattr => "Rsetattr",
            Rmessage::Xattrwalk { .. } => "Rxattrwalk",
            Rmessage::Xattrcreate => "Rxattrcreate",
            Rmessage::Readdir { .. } => "Rreaddir",
            Rmessage::Fsync => "Rfsync",
            Rmessage::Lock { .. } => "Rlock",
            Rmessage::Getlock(_) => "Rgetlock",
            Rmessage::Link => "Rlink",
            Rmessage::Mkdir { .. } => "Rmkdir",
            Rmessage::Renameat => "Rrenameat",
            Rmessage::Unlinkat => "Runlinkat",
        }
    }

    /// Appends this reply as one frame with `tag` to `buf`; returns the
    /// frame's length (the server checks it against msize). On error `buf`
    /// is unchanged.
    pub fn encode(&self, tag: Tag, buf: &mut Vec<u8>) -> Result<usize, EncodeError> {
        encode_frame(self.msg_type(), tag, buf, |w| self.encode_body(w))
    }

    fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        match self {
            Rmessage::Version { msize, version } => {
                w.u32(*msize);
                w.string(version)?;
            }
            Rmessage::Auth { aqid: qid }
            | Rmessage::Attach { qid }
            | Rmessage::Symlink { qid }
            | Rmessage::Mknod { qid }
            | Rmessage::Mkdir { qid } => w.qid(qid),
            Rmessage::Lerror { ecode } => w.u32(*ecode),
            Rmessage::Flush
            | Rmessage::Clunk
            | Rmessage::Remove
            | Rmessage::Rename
            | Rmessage::Setattr
            | Rmessage::Xattrcreate
            | Rmessage::Fsync
            | Rmessage::Link
            | Rmessage::Renameat
            | Rmessage::Unlinkat => {}
            Rmessage::Walk { qids } => {
                w.u16(walk_count(qids.len())?);
                for q in qids {
                    w.qid(q);
                }
            }
            Rmessage::Read { data } => w.data(data)?,
            Rmessage::Write { count } => w.u32(*count),
            Rmessage::Statfs(s) => {
                w.u32(s.ty);
                w.u32(s.bsize);
                w.u64(s.blocks);
                w.u64(s.bfree);
                w.u64(s.bavail);
                w.u64(s.files);
                w.u64(s.ffree);
                w.u64(s.fsid);
                w.u32(s.namelen);
            }
            Rmessage::Lopen { qid, iounit } | Rmessage::Lcreate { qid, iounit } => {
                w.qid(qid);
                w.u32(*iounit);
            }
            Rmessage::Readlink { target } => w.string(target)?,
            Rmessage::Getattr(a) => {
                w.u64(a.valid);
                w.qid(&a.qid);
                w.u32(a.mode);
                w.u32(a.uid);
                w.u32(a.gid);
                w.u64(a.nlink);
                w.u64(a.rdev);
                w.u64(a.size);
                w.u64(a.blksize);
                w.u64(a.blocks);
                w.timestamp(&a.atime);
                w.timestamp(&a.mtime);
                w.timestamp(&a.ctime);
                w.timestamp(&a.btime);
                w.u64(a.generation);
                w.u64(a.data_version);
            }
            Rmessage::Xattrwalk { size } => w.u64(*size),
            Rmessage::Readdir { entries } => {
                let total = entries
                    .iter()
                    .try_fold(0usize, |acc, e| acc.checked_add(e.encoded_len()));
                let count = total
                    .and_then(|t| u32::try_from(t).ok())
                    .ok_or(EncodeError::DataTooLong(total.unwrap_or(usize::MAX)))?;
                w.u32(count);
                for e in entries {
                    w.qid(&e.qid);
                    w.u64(e.offset);
                    w.u8(e.ty);
                    w.string(&e.name)?;
                }
            }
            Rmessage::Lock { status } => w.u8(*status),
            Rmessage::Getlock(lock) => encode_flock(w, lock)?,
        }
        Ok(())
    }

    /// Decodes one whole frame (size field included). Anything but a
    /// well-formed 9P2000.L reply, exactly filling the frame, is an error.
    pub fn decode(frame: &[u8]) -> Result<(Tag, Rmessage), DecodeError> {
        let (ty, tag, mut r) = decode_header(frame)?;
        let msg = Self::decode_body(ty, &mut r)?;
        r.finish()?;
        Ok((tag, msg))
    }

    fn decode_body(ty: u8, r: &mut Reader<'_>) -> Result<Rmessage, DecodeError> {
        Ok(match ty {
            mt::RVERSION => Rmessage::Version {
                msize: r.u32()?,
                version: r.string()?,
            },
            mt::RAUTH => Rmessage::Auth { aqid: r.qid()? },
            mt::RATTACH => Rmessage::Attach { qid: r.qid()? },
            mt::RLERROR => Rmessage::Lerror { ecode: r.u32()? },
            mt::RFLUSH => Rmessage::Flush,
            mt::RWALK => {
                let n = r.u16()?;
                if usize::from(n) > MAX_WALK_ELEMENTS {
                    return Err(DecodeError::TooManyWalkElements(n));
                }
                let mut qids = Vec::with_capacity(usize::from(n));
                for _ in 0..n {
                    qids.push(r.qid()?);
                }
                Rmessage::Walk { qids }
            }
            mt::RREAD => Rmessage::Read { data: r.data()? },
            mt::RWRITE => Rmessage::Write { count: r.u32()? },
            mt::RCLUNK => Rmessage::Clunk,
            mt::RREMOVE => Rmessage::Remove,
            mt::RSTATFS => Rmessage::Statfs(StatFs {
                ty: r.u32()?,
                bsize: r.u32()?,
                blocks: r.u64()?,
                bfree: r.u64()?,
                bavail: r.u64()?,
                files: r.u64()?,
                ffree: r.u64()?,
                fsid: r.u64()?,
                namelen: r.u32()?,
            }),
            mt::RLOPEN => Rmessage::Lopen {
                qid: r.qid()?,
                iounit: r.u32()?,
            },
            mt::RLCREATE => Rmessage::Lcreate {
                qid: r.qid()?,
                iounit: r.u32()?,
            },
            mt::RSYMLINK => Rmessage::Symlink { qid: r.qid()? },
            mt::RMKNOD => Rmessage::Mknod { qid: r.qid()? },
            mt::RRENAME => Rmessage::Rename,
            mt::RREADLINK => Rmessage::Readlink {
                target: r.string()?,
            },
            mt::RGETATTR => Rmessage::Getattr(Attr {
                valid: r.u64()?,
                qid: r.qid()?,
                mode: r.u32()?,
                uid: r.u32()?,
                gid: r.u32()?,
                nlink: r.u64()?,
                rdev: r.u64()?,
                size: r.u64()?,
                blksize: r.u64()?,
                blocks: r.u64()?,
                atime: r.timestamp()?,
                mtime: r.timestamp()?,
                ctime: r.timestamp()?,
                btime: r.timestamp()?,
                generation: r.u64()?,
                data_version: r.u64()?,
            }),
            mt::RSETATTR => Rmessage::Setattr,
            mt::RXATTRWALK => Rmessage::Xattrwalk { size: r.u64()? },
            mt::RXATTRCREATE => Rmessage::Xattrcreate,
            mt::RREADDIR => Rmessage::Readdir {
                entries: decode_dirents(r)?,
            },
            mt::RFSYNC => Rmessage::Fsync,
            mt::RLOCK => Rmessage::Lock { status: r.u8()? },
            mt::RGETLOCK => Rmessage::Getlock(decode_flock(r)?),
            mt::RLINK => Rmessage::Link,
            mt::RMKDIR => Rmessage::Mkdir { qid: r.qid()? },
            mt::RRENAMEAT => Rmessage::Renameat,
            mt::RUNLINKAT => Rmessage::Unlinkat,
            other => return Err(DecodeError::UnknownType(other)),
        })
    }
}

/// Rreaddir's `count[4] data[count]`, where data is a sequence of whole
/// entries. The vector is sized by the bytes actually present, never by a
/// count the peer claims.
fn decode_dirents(r: &mut Reader<'_>) -> Result<Vec<Dirent>, DecodeError> {
    let count = r.u32()?;
    let count = usize::try_from(count).map_err(|_| DecodeError::Truncated)?;
    let mut data = Reader::new(r.bytes(count)?);
    let mut entries = Vec::with_capacity(count / Dirent::FIXED_SIZE);
    while data.remaining() > 0 {
        entries.push(Dirent {
            qid: data.qid()?,
            offset: data.u64()?,
            ty: data.u8()?,
            name: data.string()?,
        });
    }
    Ok(entries)
}
