//! Requests (T-messages): what the Sentry's Gofer client sends and the Gofer
//! decodes. Field names follow the 9P2000.L documentation; `dfid` is always
//! a directory the operation creates or removes a name in.

use crate::error::{DecodeError, EncodeError};
use crate::frame::{decode_header, encode_frame};
use crate::msg_type as mt;
use crate::types::{Fid, Flock, SetAttr, Tag, MAX_WALK_ELEMENTS};
use crate::wire::{Reader, Writer};

/// A 9P2000.L request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Tmessage {
    /// Negotiate msize and dialect; sent first, with tag [`NOTAG`](crate::NOTAG).
    Version {
        msize: u32,
        version: Vec<u8>,
    },
    /// Start authentication. The Gofer answers Rlerror: the socket pair is
    /// already the credential.
    Auth {
        afid: Fid,
        uname: Vec<u8>,
        aname: Vec<u8>,
        n_uname: u32,
    },
    /// Make `fid` the root of the tree `aname`.
    Attach {
        fid: Fid,
        afid: Fid,
        uname: Vec<u8>,
        aname: Vec<u8>,
        n_uname: u32,
    },
    /// Abort request `oldtag`; answered (with Rflush) only after `oldtag`'s
    /// own reply, if any, has been sent.
    Flush {
        oldtag: Tag,
    },
    /// Walk `names` from `fid`, binding the result to `newfid`. No names
    /// clones the fid. Each name is one path component.
    Walk {
        fid: Fid,
        newfid: Fid,
        names: Vec<Vec<u8>>,
    },
    Read {
        fid: Fid,
        offset: u64,
        count: u32,
    },
    Write {
        fid: Fid,
        offset: u64,
        data: Vec<u8>,
    },
    Clunk {
        fid: Fid,
    },
    /// Remove the file and clunk the fid (even when the removal fails).
    Remove {
        fid: Fid,
    },
    Statfs {
        fid: Fid,
    },
    /// Open `fid` with Linux `O_*` flags ([`lopen`](crate::lopen)).
    Lopen {
        fid: Fid,
        flags: u32,
    },
    /// Create and open regular file `name` in directory `fid`; afterwards
    /// `fid` is the new file.
    Lcreate {
        fid: Fid,
        name: Vec<u8>,
        flags: u32,
        mode: u32,
        gid: u32,
    },
    Symlink {
        dfid: Fid,
        name: Vec<u8>,
        target: Vec<u8>,
        gid: u32,
    },
    Mknod {
        dfid: Fid,
        name: Vec<u8>,
        mode: u32,
        major: u32,
        minor: u32,
        gid: u32,
    },
    /// Move the file of `fid` to `name` in directory `dfid`.
    Rename {
        fid: Fid,
        dfid: Fid,
        name: Vec<u8>,
    },
    Readlink {
        fid: Fid,
    },
    /// `request_mask` holds [`getattr`](crate::getattr) bits.
    Getattr {
        fid: Fid,
        request_mask: u64,
    },
    Setattr {
        fid: Fid,
        attr: SetAttr,
    },
    /// Bind `newfid` to extended attribute `name` of `fid` (all names when
    /// `name` is empty), to be read with Tread.
    Xattrwalk {
        fid: Fid,
        newfid: Fid,
        name: Vec<u8>,
    },
    /// Turn `fid` into a writer of extended attribute `name`, set on clunk.
    Xattrcreate {
        fid: Fid,
        name: Vec<u8>,
        attr_size: u64,
        flags: u32,
    },
    /// Entries of the opened directory `fid` from `offset` (0 first, then the
    /// last entry's offset), at most `count` bytes of them.
    Readdir {
        fid: Fid,
        offset: u64,
        count: u32,
    },
    Fsync {
        fid: Fid,
        datasync: u32,
    },
    /// `flags` holds [`lock_flags`](crate::lock_flags) bits.
    Lock {
        fid: Fid,
        flags: u32,
        lock: Flock,
    },
    Getlock {
        fid: Fid,
        lock: Flock,
    },
    /// Make a hard link `name` in directory `dfid` to the file of `fid`.
    Link {
        dfid: Fid,
        fid: Fid,
        name: Vec<u8>,
    },
    Mkdir {
        dfid: Fid,
        name: Vec<u8>,
        mode: u32,
        gid: u32,
    },
    Renameat {
        olddirfid: Fid,
        oldname: Vec<u8>,
        newdirfid: Fid,
        newname: Vec<u8>,
    },
    /// `flags` is 0 or [`AT_REMOVEDIR`](crate::AT_REMOVEDIR).
    Unlinkat {
        dfid: Fid,
        name: Vec<u8>,
        flags: u32,
    },
}

impl Tmessage {
    /// The `type[1]` byte of this request.
    pub fn msg_type(&self) -> u8 {
        match self {
            Tmessage::Version { .. } => mt::TVERSION,
            Tmessage::Auth { .. } => mt::TAUTH,
            Tmessage::Attach { .. } => mt::TATTACH,
            Tmessage::Flush { .. } => mt::TFLUSH,
            Tmessage::Walk { .. } => mt::TWALK,
            Tmessage::Read { .. } => mt::TREAD,
            Tmessage::Write { .. } => mt::TWRITE,
            Tmessage::Clunk { .. } => mt::TCLUNK,
            Tmessage::Remove { .. } => mt::TREMOVE,
            Tmessage::Statfs { .. } => mt::TSTATFS,
            Tmessage::Lopen { .. } => mt::TLOPEN,
            Tmessage::Lcreate { .. } => mt::TLCREATE,
            Tmessage::Symlink { .. } => mt::TSYMLINK,
            Tmessage::Mknod { .. } => mt::TMKNOD,
            Tmessage::Rename { .. } => mt::TRENAME,
            Tmessage::Readlink { .. } => mt::TREADLINK,
            Tmessage::Getattr { .. } => mt::TGETATTR,
            Tmessage::Setattr { .. } => mt::TSETATTR,
            Tmessage::Xattrwalk { .. } => mt::TXATTRWALK,
            Tmessage::Xattrcreate { .. } => mt::TXATTRCREATE,
            Tmessage::Readdir { .. } => mt::TREADDIR,
            Tmessage::Fsync { .. } => mt::TFSYNC,
            Tmessage::Lock { .. } => mt::TLOCK,
            Tmessage::Getlock { .. } => mt::TGETLOCK,
            Tmessage::Link { .. } => mt::TLINK,
            Tmessage::Mkdir { .. } => mt::TMKDIR,
            Tmessage::Renameat { .. } => mt::TRENAMEAT,
            Tmessage::Unlinkat { .. } => mt::TUNLINKAT,
        }
    }

    /// The message's name as logs print it ("Twalk").
    pub fn name(&self) -> &'static str {
        match self {
            Tmessage::Version { .. } => "Tversion",
            Tmessage::Auth { .. } => "Tauth",
            Tmessage::Attach { .. } => "Tattach",
            Tmessage::Flush { .. } => "Tflush",
            Tmessage::Walk { .. } => "Twalk",
            Tmessage::Read { .. } => "Tread",
            Tmessage::Write { .. } => "Twrite",
            Tmessage::Clunk { .. } => "Tclunk",
            Tmessage::Remove { .. } => "Tremove",
            Tmessage::Statfs { .. } => "Tstatfs",
            Tmessage::Lopen { .. } => "Tlopen",
            Tmessage::Lcreate { .. } => "Tlcreate",
            Tmessage::Symlink { .. } => "Tsymlink",
            Tmessage::Mknod { .. } => "Tmknod",
            Tmessage::Rename { .. } => "Trename",
            Tmessage::Readlink { .. } => "Treadlink",
            Tmessage::Getattr { .. } => "Tgetattr",
            Tmessage::Setattr { .. } => "Tsetattr",
            Tmessage::Xattrwalk { .. } => "Txattrwalk",
            Tmessage::Xattrcreate { .. } => "Txattrcreate",
            Tmessage::Readdir { .. } => "Treaddir",
            Tmessage::Fsync { .. } => "Tfsync",
            Tmessage::Lock { .. } => "Tlock",
            Tmessage::Getlock { .. } => "Tgetlock",
            Tmessage::Link { .. } => "Tlink",
            Tmessage::Mkdir { .. } => "Tmkdir",
            Tmessage::Renameat { .. } => "Trenameat",
            Tmessage::Unlinkat { .. } => "Tunlinkat",
        }
    }

    /// Whether a successful reply to this request comes with a host fd in
    /// its ancillary data (see [`Rmessage::carries_fd`](crate::Rmessage::carries_fd)).
    pub fn expects_fd(&self) -> bool {
        matches!(self, Tmessage::Lopen { .. } | Tmessage::Lcreate { .. })
    }

    /// Appends this request as one frame with `tag` to `buf`; returns the
    /// frame's length. On error `buf` is unchanged.
    pub fn encode(&self, tag: Tag, buf: &mut Vec<u8>) -> Result<usize, EncodeError> {
        encode_frame(self.msg_type(), tag, buf, |w| self.encode_body(w))
    }

    fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        match self {
            Tmessage::Version { msize, version } => {
                w.u32(*msize);
                w.string(version)?;
            }
            Tmessage::Auth {
                afid,
                uname,
                aname,
                n_uname,
            } => {
                w.fid(*afid);
                w.string(uname)?;
                w.string(aname)?;
                w.u32(*n_uname);
            }
            Tmessage::Attach {
                fid,
                afid,
                uname,
                aname,
                n_uname,
            } => {
                w.fid(*fid);
                w.fid(*afid);
                w.string(uname)?;
                w.string(aname)?;
                w.u32(*n_uname);
            }
            Tmessage::Flush { oldtag } => w.u16(*oldtag),
            Tmessage::Walk { fid, newfid, names } => {
                w.fid(*fid);
                w.fid(*newfid);
                let n = walk_count(names.len())?;
                w.u16(n);
                for name in names {
                    w.string(name)?;
                }
            }
            Tmessage::Read { fid, offset, count } | Tmessage::Readdir { fid, offset, count } => {
                w.fid(*fid);
                w.u64(*offset);
                w.u32(*count);
            }
            Tmessage::Write { fid, offset, data } => {
                w.fid(*fid);
                w.u64(*offset);
                w.data(data)?;
            }
            Tmessage::Clunk { fid }
            | Tmessage::Remove { fid }
            | Tmessage::Statfs { fid }
            | Tmessage::Readlink { fid } => w.fid(*fid),
            Tmessage::Lopen { fid, flags } => {
                w.fid(*fid);
                w.u32(*flags);
            }
            Tmessage::Lcreate {
                fid,
                name,
                flags,
                mode,
                gid,
            } => {
                w.fid(*fid);
                w.string(name)?;
                w.u32(*flags);
                w.u32(*mode);
                w.u32(*gid);
            }
            Tmessage::Symlink {
                dfid,
                name,
                target,
                gid,
            } => {
                w.fid(*dfid);
                w.string(name)?;
                w.string(target)?;
                w.u32(*gid);
            }
            Tmessage::Mknod {
                dfid,
                name,
                mode,
                major,
                minor,
                gid,
            } => {
                w.fid(*dfid);
                w.string(name)?;
                w.u32(*mode);
                w.u32(*major);
                w.u32(*minor);
                w.u32(*gid);
            }
            Tmessage::Rename { fid, dfid, name } => {
                w.fid(*fid);
                w.fid(*dfid);
                w.string(name)?;
            }
            Tmessage::Getattr { fid, request_mask } => {
                w.fid(*fid);
                w.u64(*request_mask);
            }
            Tmessage::Setattr { fid, attr } => {
                w.fid(*fid);
                w.u32(attr.valid);
                w.u32(attr.mode);
                w.u32(attr.uid);
                w.u32(attr.gid);
                w.u64(attr.size);
                w.timestamp(&attr.atime);
                w.timestamp(&attr.mtime);
            }
            Tmessage::Xattrwalk { fid, newfid, name } => {
                w.fid(*fid);
                w.fid(*newfid);
                w.string(name)?;
            }
            Tmessage::Xattrcreate {
                fid,
                name,
                attr_size,
                flags,
            } => {
                w.fid(*fid);
                w.string(name)?;
                w.u64(*attr_size);
                w.u32(*flags);
            }
            Tmessage::Fsync { fid, datasync } => {
                w.fid(*fid);
                w.u32(*datasync);
            }
            Tmessage::Lock { fid, flags, lock } => {
                w.fid(*fid);
                w.u8(lock.ty);
                w.u32(*flags);
                w.u64(lock.start);
                w.u64(lock.length);
                w.u32(lock.proc_id);
                w.string(&lock.client_id)?;
            }
            Tmessage::Getlock { fid, lock } => {
                w.fid(*fid);
                encode_flock(w, lock)?;
            }
            Tmessage::Link { dfid, fid, name } => {
                w.fid(*dfid);
                w.fid(*fid);
                w.string(name)?;
            }
            Tmessage::Mkdir {
                dfid,
                name,
                mode,
                gid,
            } => {
                w.fid(*dfid);
                w.string(name)?;
                w.u32(*mode);
                w.u32(*gid);
            }
            Tmessage::Renameat {
                olddirfid,
                oldname,
                newdirfid,
                newname,
            } => {
                w.fid(*olddirfid);
                w.string(oldname)?;
                w.fid(*newdirfid);
                w.string(newname)?;
            }
            Tmessage::Unlinkat { dfid, name, flags } => {
                w.fid(*dfid);
                w.string(name)?;
                w.u32(*flags);
            }
        }
        Ok(())
    }

    /// Decodes one whole frame (size field included). Anything but a
    /// well-formed 9P2000.L request, exactly filling the frame, is an error.
    pub fn decode(frame: &[u8]) -> Result<(Tag, Tmessage), DecodeError> {
        let (ty, tag, mut r) = decode_header(frame)?;
        let msg = Self::decode_body(ty, &mut r)?;
        r.finish()?;
        Ok((tag, msg))
    }

    fn decode_body(ty: u8, r: &mut Reader<'_>) -> Result<Tmessage, DecodeError> {
        Ok(match ty {
            mt::TVERSION => Tmessage::Version {
                msize: r.u32()?,
                version: r.string()?,
            },
            mt::TAUTH => Tmessage::Auth {
                afid: r.fid()?,
                uname: r.string()?,
                aname: r.string()?,
                n_uname: r.u32()?,
            },
            mt::TATTACH => Tmessage::Attach {
                fid: r.fid()?,
                afid: r.fid()?,
                uname: r.string()?,
                aname: r.string()?,
                n_uname: r.u32()?,
            },
            mt::TFLUSH => Tmessage::Flush { oldtag: r.u16()? },
            mt::TWALK => {
                let fid = r.fid()?;
                let newfid = r.fid()?;
                let n = r.u16()?;
                if usize::from(n) > MAX_WALK_ELEMENTS {
                    return Err(DecodeError::TooManyWalkElements(n));
                }
                let mut names = Vec::with_capacity(usize::from(n));
                for _ in 0..n {
                    names.push(r.string()?);
                }
                Tmessage::Walk { fid, newfid, names }
            }
            mt::TREAD => Tmessage::Read {
                fid: r.fid()?,
                offset: r.u64()?,
                count: r.u32()?,
            },
            mt::TWRITE => Tmessage::Write {
                fid: r.fid()?,
                offset: r.u64()?,
                data: r.data()?,
            },
            mt::TCLUNK => Tmessage::Clunk { fid: r.fid()? },
            mt::TREMOVE => Tmessage::Remove { fid: r.fid()? },
            mt::TSTATFS => Tmessage::Statfs { fid: r.fid()? },
            mt::TLOPEN => Tmessage::Lopen {
                fid: r.fid()?,
                flags: r.u32()?,
            },
            mt::TLCREATE => Tmessage::Lcreate {
                fid: r.fid()?,
                name: r.string()?,
                flags: r.u32()?,
                mode: r.u32()?,
                gid: r.u32()?,
            },
            mt::TSYMLINK => Tmessage::Symlink {
                dfid: r.fid()?,
                name: r.string()?,
                target: r.string()?,
                gid: r.u32()?,
            },
            mt::TMKNOD => Tmessage::Mknod {
                dfid: r.fid()?,
                name: r.string()?,
                mode: r.u32()?,
                major: r.u32()?,
                minor: r.u32()?,
                gid: r.u32()?,
            },
            mt::TRENAME => Tmessage::Rename {
                fid: r.fid()?,
                dfid: r.fid()?,
                name: r.string()?,
            },
            mt::TREADLINK => Tmessage::Readlink { fid: r.fid()? },
            mt::TGETATTR => Tmessage::Getattr {
                fid: r.fid()?,
                request_mask: r.u64()?,
            },
            mt::TSETATTR => Tmessage::Setattr {
                fid: r.fid()?,
                attr: SetAttr {
                    valid: r.u32()?,
                    mode: r.u32()?,
                    uid: r.u32()?,
                    gid: r.u32()?,
                    size: r.u64()?,
                    atime: r.timestamp()?,
                    mtime: r.timestamp()?,
                },
            },
            mt::TXATTRWALK => Tmessage::Xattrwalk {
                fid: r.fid()?,
                newfid: r.fid()?,
                name: r.string()?,
            },
            mt::TXATTRCREATE => Tmessage::Xattrcreate {
                fid: r.fid()?,
                name: r.string()?,
                attr_size: r.u64()?,
                flags: r.u32()?,
            },
            mt::TREADDIR => Tmessage::Readdir {
                fid: r.fid()?,
                offset: r.u64()?,
                count: r.u32()?,
            },
            mt::TFSYNC => Tmessage::Fsync {
                fid: r.fid()?,
                datasync: r.u32()?,
            },
            mt::TLOCK => {
                let fid = r.fid()?;
                let ty = r.u8()?;
                let flags = r.u32()?;
                let lock = Flock {
                    ty,
                    start: r.u64()?,
                    length: r.u64()?,
                    proc_id: r.u32()?,
                    client_id: r.string()?,
                };
                Tmessage::Lock { fid, flags, lock }
            }
            mt::TGETLOCK => Tmessage::Getlock {
                fid: r.fid()?,
                lock: decode_flock(r)?,
            },
            mt::TLINK => Tmessage::Link {
                dfid: r.fid()?,
                fid: r.fid()?,
                name: r.string()?,
            },
            mt::TMKDIR => Tmessage::Mkdir {
                dfid: r.fid()?,
                name: r.string()?,
                mode: r.u32()?,
                gid: r.u32()?,
            },
            mt::TRENAMEAT => Tmessage::Renameat {
                olddirfid: r.fid()?,
                oldname: r.string()?,
                newdirfid: r.fid()?,
                newname: r.string()?,
            },
            mt::TUNLINKAT => Tmessage::Unlinkat {
                dfid: r.fid()?,
                name: r.string()?,
                flags: r.u32()?,
            },
            other => return Err(DecodeError::UnknownType(other)),
        })
    }
}

/// Twalk's and Rwalk's element count, refused above the protocol's limit.
pub(crate) fn walk_count(n: usize) -> Result<u16, EncodeError> {
    if n > MAX_WALK_ELEMENTS {
        return Err(EncodeError::TooManyWalkElements(n));
    }
    u16::try_from(n).map_err(|_| EncodeError::TooManyWalkElements(n))
}

/// `type[1] start[8] length[8] proc_id[4] client_id[s]` (Tgetlock, Rgetlock).
pub(crate) fn encode_flock(w: &mut Writer<'_>, lock: &Flock) -> Result<(), EncodeError> {
    w.u8(lock.ty);
    w.u64(lock.start);
    w.u64(lock.length);
    w.u32(lock.proc_id);
    w.string(&lock.client_id)
}

pub(crate) fn decode_flock(r: &mut Reader<'_>) -> Result<Flock, DecodeError> {
    Ok(Flock {
        ty: r.u8()?,
        start: r.u64()?,
        length: r.u64()?,
        proc_id: r.u32()?,
        client_id: r.string()?,
    })
}
