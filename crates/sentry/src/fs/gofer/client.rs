//! [`GoferClient`]: a [`FileServer`] over a Gofer connection. Handles are
//! 9P fids; every operation is one call of a few pipelined requests (see
//! the mapping table in `proto`'s crate docs).

use super::conn::{Answer, Conn};
use crate::fs::lower::server::{FileServer, FsStat, Handle, Identity};
use crate::vfs::inode::{Attr, DirEntry, FileType, Owner, SetAttr, TimeSet};
use abi::{Errno, Timespec};
use proto::{getattr, lopen, qid_type, setattr, Fid, Rmessage, Tmessage, NONUNAME};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// The first fid handed out after the root.
const FIRST_FID: u32 = 1;

pub struct GoferClient {
    /// Shared by the clients of every tree attached over one connection
    /// ([`GoferClient::attach`]), as is the fid space.
    conn: Arc<Conn>,
    root: Fid,
    next_fid: Arc<AtomicU32>,
    /// st_dev of every file of this tree (one anonymous device, as a
    /// Linux 9p mount has).
    dev: u64,
    writable: bool,
}

impl std::fmt::Debug for GoferClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GoferClient({:?})", self.conn)
    }
}

fn unexpected() -> Errno {
    Errno::EIO
}

fn ts(t: proto::Timestamp) -> Timespec {
    Timespec {
        tv_sec: t.sec as i64,
        tv_nsec: t.nsec as i64,
    }
}

fn wire_ts(t: Timespec) -> proto::Timestamp {
    proto::Timestamp {
        sec: t.tv_sec as u64,
        nsec: t.tv_nsec as u64,
    }
}

fn kind_of_dirent(ty: u8) -> FileType {
    use proto::dirent_type as d;
    match ty {
        d::DIR => FileType::Directory,
        d::LNK => FileType::Symlink,
        d::CHR => FileType::CharDev,
        d::BLK => FileType::BlockDev,
        d::FIFO => FileType::Fifo,
        d::SOCK => FileType::Socket,
        _ => FileType::Regular,
    }
}

impl GoferClient {
    /// Agrees on the protocol over `sock` and attaches to the tree `aname`.
    pub fn connect(sock: OwnedFd, aname: &str, writable: bool) -> Result<GoferClient, Errno> {
        let conn = Arc::new(Conn::new(sock));
        conn.handshake(conn.frame_capacity(proto::DEFAULT_MSIZE))?;
        Self::attach_on(
            conn,
            Arc::new(AtomicU32::new(FIRST_FID)),
            Fid(0),
            aname,
            writable,
        )
    }

    /// Attaches to another tree `aname` of the same Gofer over this
    /// client's connection (a bind mount's tree: one socket and one fid
    /// space for all of a container's trees).
    pub fn attach(&self, aname: &str, writable: bool) -> Result<GoferClient, Errno> {
        let root = self.new_fid();
        Self::attach_on(
            self.conn.clone(),
            self.next_fid.clone(),
            root,
            aname,
            writable,
        )
    }

    fn attach_on(
        conn: Arc<Conn>,
        next_fid: Arc<AtomicU32>,
        root: Fid,
        aname: &str,
        writable: bool,
    ) -> Result<GoferClient, Errno> {
        let a = conn.call(&[Tmessage::Attach {
            fid: root,
            afid: Fid::NONE,
            uname: Vec::new(),
            aname: aname.as_bytes().to_vec(),
            n_uname: NONUNAME,
        }])?;
        match a.into_iter().next().map(Answer::ok) {
            Some(Ok(Answer {
                msg: Rmessage::Attach { .. },
                ..
            })) => {}
            Some(Err(e)) => return Err(e),
            _ => return Err(unexpected()),
        }
        Ok(GoferClient {
            conn,
            root,
            next_fid,
            dev: crate::fs::devnum::alloc_anon_dev(),
            writable,
        })
    }

    /// Whether the Gofer is gone (every call then fails with EIO).
    pub fn is_broken(&self) -> bool {
        self.conn.is_broken()
    }

    /// Cuts the connection as a dying Gofer would.
    #[cfg(test)]
    pub fn shutdown_for_tests(&self) {
        self.conn.shutdown();
    }

    fn new_fid(&self) -> Fid {
        loop {
            let f = self.next_fid.fetch_add(1, Ordering::Relaxed);
            // Never the root's fid nor NOFID, even after wrapping.
            if f >= FIRST_FID && f != Fid::NONE.0 {
                return Fid(f);
            }
        }
    }

    fn fid(h: Handle) -> Fid {
        Fid(h.0 as u32)
    }

    fn attr_of(&self, a: &proto::Attr) -> Attr {
        Attr {
            dev: self.dev,
            ino: a.qid.path,
            mode: a.mode,
            nlink: a.nlink,
            uid: a.uid,
            gid: a.gid,
            rdev: a.rdev,
            size: a.size,
            blksize: a.blksize,
            blocks: a.blocks,
            atime: ts(a.atime),
            mtime: ts(a.mtime),
            ctime: ts(a.ctime),
            btime: if a.valid & getattr::BTIME != 0 {
                ts(a.btime)
            } else {
                Timespec::default()
            },
        }
    }

    /// One request, its reply or its error.
    fn one(&self, req: Tmessage) -> Result<Answer, Errno> {
        self.conn
            .call(std::slice::from_ref(&req))?
            .into_iter()
            .next()
            .ok_or_else(unexpected)?
            .ok()
    }

    fn getattr_req(fid: Fid) -> Tmessage {
        Tmessage::Getattr {
            fid,
            request_mask: getattr::BASIC | getattr::BTIME,
        }
    }

    /// The attributes in an Rgetattr answer.
    fn attr_answer(&self, a: Option<Answer>) -> Result<Attr, Errno> {
        match a.map(Answer::ok) {
            Some(Ok(Answer {
                msg: Rmessage::Getattr(at),
                ..
            })) => Ok(self.attr_of(&at)),
            Some(Err(e)) => Err(e),
            _ => Err(unexpected()),
        }
    }

    /// mkdir, symlink and mknod: `first` creates `name` in `dir`, then the
    /// new file is walked to and given `owner` (EROFS on a read-only tree).
    fn make_node(
        &self,
        first: Tmessage,
        dir: Handle,
        name: &[u8],
        owner: Owner,
    ) -> Result<(Handle, Attr), Errno> {
        if !self.writable {
            return Err(Errno::EROFS);
        }
        let (h, attr) = self.change_then_walk(first, dir, name)?;
        Ok((h, self.fix_owner(h, attr, owner)?))
    }

    /// `[first, Twalk dir→fid [name], Tgetattr fid]`: the usual shape of a
    /// creating call, which answers with the new file's handle.
    fn change_then_walk(
        &self,
        first: Tmessage,
        dir: Handle,
        name: &[u8],
    ) -> Result<(Handle, Attr), Errno> {
        let nf = self.new_fid();
        let mut a = self
            .conn
            .call(&[
                first,
                Tmessage::Walk {
                    fid: Self::fid(dir),
                    newfid: nf,
                    names: vec![name.to_vec()],
                },
                Self::getattr_req(nf),
            ])?
            .into_iter();
        a.next().ok_or_else(unexpected)?.ok()?;
        let walked = a.next().ok_or_else(unexpected)?.ok();
        let attr = self.attr_answer(a.next());
        match (walked, attr) {
            (Ok(_), Ok(attr)) => Ok((Handle(u64::from(nf.0)), attr)),
            (Ok(_), Err(e)) => {
                self.conn.clunk_later(nf);
                Err(e)
            }
            (Err(e), _) => Err(e),
        }
    }

    /// Gives a new file the owner the Sentry wants when the Gofer (which
    /// creates as itself, with the group asked) did not.
    fn fix_owner(&self, h: Handle, attr: Attr, owner: Owner) -> Result<Attr, Errno> {
        if attr.uid == owner.uid && attr.gid == owner.gid {
            return Ok(attr);
        }
        let req = SetAttr {
            uid: Some(owner.uid),
            gid: Some(owner.gid),
            ..Default::default()
        };
        self.setattr(h, &req)?;
        self.getattr(h)
    }
}

impl FileServer for GoferClient {
    fn root(&self) -> Handle {
        Handle(u64::from(self.root.0))
    }

    fn walk(&self, dir: Handle, name: &[u8]) -> Result<(Handle, Attr), Errno> {
        let nf = self.new_fid();
        let mut a = self
            .conn
            .call(&[
                Tmessage::Walk {
                    fid: Self::fid(dir),
                    newfid: nf,
                    names: vec![name.to_vec()],
                },
                Self::getattr_req(nf),
            ])?
            .into_iter();
        match a.next().ok_or_else(unexpected)?.ok()?.msg {
            Rmessage::Walk { qids } if qids.len() == 1 => {}
            _ => return Err(unexpected()),
        }
        match self.attr_answer(a.next()) {
            Ok(attr) => Ok((Handle(u64::from(nf.0)), attr)),
            Err(e) => {
                self.conn.clunk_later(nf);
                Err(e)
            }
        }
    }

    fn identify(&self, dir: Handle, name: &[u8]) -> Result<Identity, Errno> {
        let nf = self.new_fid();
        let a = self.conn.call(&[
            Tmessage::Walk {
                fid: Self::fid(dir),
                newfid: nf,
                names: vec![name.to_vec()],
            },
            Tmessage::Clunk { fid: nf },
        ])?;
        match a.into_iter().next().ok_or_else(unexpected)?.ok()?.msg {
            Rmessage::Walk { qids } => match qids.as_slice() {
                [q] => Ok(Identity {
                    ino: q.path,
                    version: q.version,
                    dir: q.ty & qid_type::DIR != 0,
                    symlink: q.ty & qid_type::SYMLINK != 0,
                }),
                _ => Err(unexpected()),
            },
            _ => Err(unexpected()),
        }
    }

    fn getattr(&self, h: Handle) -> Result<Attr, Errno> {
        let a = self.one(Self::getattr_req(Self::fid(h)));
        self.attr_answer(Some(a?))
    }

    fn readdir(&self, h: Handle) -> Result<Vec<DirEntry>, Errno> {
        let nf = self.new_fid();
        let count = self.conn.msize().saturating_sub(proto::RREADDIR_HEADER);
        let first = self.conn.call(&[
            Tmessage::Walk {
                fid: Self::fid(h),
                newfid: nf,
                names: Vec::new(),
            },
            Tmessage::Lopen {
                fid: nf,
                flags: lopen::RDONLY | lopen::DIRECTORY,
            },
            Tmessage::Readdir {
                fid: nf,
                offset: 0,
                count,
            },
        ])?;
        let mut it = first.into_iter();
        it.next().ok_or_else(unexpected)?.ok()?;
        let result = (|| {
            // The donated fd of the directory is not needed: entries come
            // in Rreaddir, already typed by the Gofer.
            it.next().ok_or_else(unexpected)?.ok()?;
            let mut out = Vec::new();
            let mut next = it.next();
            loop {
                let entries = match next.ok_or_else(unexpected)?.ok()?.msg {
                    Rmessage::Readdir { entries } => entries,
                    _ => return Err(unexpected()),
                };
                let Some(last) = entries.last() else {
                    return Ok(out);
                };
                let offset = last.offset;
                for e in entries {
                    out.push(DirEntry {
                        kind: kind_of_dirent(e.ty),
                        ino: e.qid.path,
                        name: e.name,
                    });
                }
                next = Some(self.one_raw(Tmessage::Readdir {
                    fid: nf,
                    offset,
                    count,
                })?);
            }
        })();
        self.conn.clunk_later(nf);
        result
    }

    fn readlink(&self, h: Handle) -> Result<Vec<u8>, Errno> {
        match self.one(Tmessage::Readlink { fid: Self::fid(h) })?.msg {
            Rmessage::Readlink { target } => Ok(target),
            _ => Err(unexpected()),
        }
    }

    fn open(&self, h: Handle, flags: u32) -> Result<OwnedFd, Errno> {
        let nf = self.new_fid();
        let flags = flags & (lopen::ACCMODE | lopen::TRUNC);
        let mut a = self
            .conn
            .call(&[
                Tmessage::Walk {
                    fid: Self::fid(h),
                    newfid: nf,
                    names: Vec::new(),
                },
                Tmessage::Lopen { fid: nf, flags },
                Tmessage::Clunk { fid: nf },
            ])?
            .into_iter();
        a.next().ok_or_else(unexpected)?.ok()?;
        a.next()
            .ok_or_else(unexpected)?
            .ok()?
            .fd
            .ok_or_else(unexpected)
    }

    fn statfs(&self, h: Handle) -> Result<FsStat, Errno> {
        match self.one(Tmessage::Statfs { fid: Self::fid(h) })?.msg {
            Rmessage::Statfs(s) => Ok(FsStat {
                magic: u64::from(s.ty),
                bsize: u64::from(s.bsize),
                blocks: s.blocks,
                bfree: s.bfree,
                bavail: s.bavail,
                files: s.files,
                ffree: s.ffree,
                namelen: u64::from(s.namelen),
            }),
            _ => Err(unexpected()),
        }
    }

    fn release(&self, h: Handle) {
        if Self::fid(h) != self.root {
            self.conn.clunk_later(Self::fid(h));
        }
    }

    fn writable(&self) -> bool {
        self.writable
    }

    fn create(
        &self,
        dir: Handle,
        name: &[u8],
        flags: u32,
        mode: u32,
        owner: Owner,
    ) -> Result<(Handle, Attr, OwnedFd), Errno> {
        if !self.writable {
            return Err(Errno::EROFS);
        }
        let nf = self.new_fid();
        let mut a = self
            .conn
            .call(&[
                Tmessage::Walk {
                    fid: Self::fid(dir),
                    newfid: nf,
                    names: Vec::new(),
                },
                Tmessage::Lcreate {
                    fid: nf,
                    name: name.to_vec(),
                    flags: flags & lopen::ACCMODE,
                    mode: mode & 0o7777,
                    gid: owner.gid,
                },
                Self::getattr_req(nf),
            ])?
            .into_iter();
        a.next().ok_or_else(unexpected)?.ok()?;
        let h = Handle(u64::from(nf.0));
        let created = a.next().ok_or_else(unexpected)?.ok();
        let fd = match created {
            Ok(ans) => ans.fd.ok_or_else(unexpected),
            Err(e) => Err(e),
        };
        let fd = match fd {
            Ok(fd) => fd,
            Err(e) => {
                self.conn.clunk_later(nf);
                return Err(e);
            }
        };
        let attr = self
            .attr_answer(a.next())
            .and_then(|at| self.fix_owner(h, at, owner));
        match attr {
            Ok(attr) => Ok((h, attr, fd)),
            Err(e) => {
                self.conn.clunk_later(nf);
                Err(e)
            }
        }
    }

    fn mkdir(
        &self,
        dir: Handle,
        name: &[u8],
        mode: u32,
        owner: Owner,
    ) -> Result<(Handle, Attr), Errno> {
        let first = Tmessage::Mkdir {
            dfid: Self::fid(dir),
            name: name.to_vec(),
            mode: mode & 0o7777,
            gid: owner.gid,
        };
        self.make_node(first, dir, name, owner)
    }

    fn symlink(
        &self,
        dir: Handle,
        name: &[u8],
        target: &[u8],
        owner: Owner,
    ) -> Result<(Handle, Attr), Errno> {
        let first = Tmessage::Symlink {
            dfid: Self::fid(dir),
            name: name.to_vec(),
            target: target.to_vec(),
            gid: owner.gid,
        };
        self.make_node(first, dir, name, owner)
    }

    fn mknod(
        &self,
        dir: Handle,
        name: &[u8],
        mode: u32,
        owner: Owner,
    ) -> Result<(Handle, Attr), Errno> {
        let first = Tmessage::Mknod {
            dfid: Self::fid(dir),
            name: name.to_vec(),
            mode,
            major: 0,
            minor: 0,
            gid: owner.gid,
        };
        self.make_node(first, dir, name, owner)
    }

    fn link(&self, dir: Handle, name: &[u8], target: Handle) -> Result<(), Errno> {
        if !self.writable {
            return Err(Errno::EROFS);
        }
        self.one(Tmessage::Link {
            dfid: Self::fid(dir),
            fid: Self::fid(target),
            name: name.to_vec(),
        })
        .map(|_| ())
    }

    fn unlink(&self, parent: Handle, name: &[u8], dir: bool) -> Result<(), Errno> {
        if !self.writable {
            return Err(Errno::EROFS);
        }
        self.one(Tmessage::Unlinkat {
            dfid: Self::fid(parent),
            name: name.to_vec(),
            flags: if dir { proto::AT_REMOVEDIR } else { 0 },
        })
        .map(|_| ())
    }

    fn rename(
        &self,
        old_dir: Handle,
        old: &[u8],
        new_dir: Handle,
        new: &[u8],
    ) -> Result<(), Errno> {
        if !self.writable {
            return Err(Errno::EROFS);
        }
        self.one(Tmessage::Renameat {
            olddirfid: Self::fid(old_dir),
            oldname: old.to_vec(),
            newdirfid: Self::fid(new_dir),
            newname: new.to_vec(),
        })
        .map(|_| ())
    }

    fn setattr(&self, h: Handle, req: &SetAttr) -> Result<(), Errno> {
        if !self.writable {
            return Err(Errno::EROFS);
        }
        let mut a = proto::SetAttr::default();
        if let Some(m) = req.mode {
            a.valid |= setattr::MODE;
            a.mode = m;
        }
        if let Some(u) = req.uid {
            a.valid |= setattr::UID;
            a.uid = u;
        }
        if let Some(g) = req.gid {
            a.valid |= setattr::GID;
            a.gid = g;
        }
        if let Some(s) = req.size {
            a.valid |= setattr::SIZE;
            a.size = s;
        }
        match req.atime {
            Some(TimeSet::Now) => a.valid |= setattr::ATIME,
            Some(TimeSet::At(t)) => {
                a.valid |= setattr::ATIME | setattr::ATIME_SET;
                a.atime = wire_ts(t);
            }
            None => {}
        }
        match req.mtime {
            Some(TimeSet::Now) => a.valid |= setattr::MTIME,
            Some(TimeSet::At(t)) => {
                a.valid |= setattr::MTIME | setattr::MTIME_SET;
                a.mtime = wire_ts(t);
            }
            None => {}
        }
        if a.valid == 0 {
            return Ok(());
        }
        self.one(Tmessage::Setattr {
            fid: Self::fid(h),
            attr: a,
        })
        .map(|_| ())
    }

    fn getxattr(&self, h: Handle, name: &[u8]) -> Result<Vec<u8>, Errno> {
        self.xattr_read(h, name)
    }

    fn listxattr(&self, h: Handle) -> Result<Vec<u8>, Errno> {
        self.xattr_read(h, b"")
    }

    /// A clone of the fid becomes the attribute's writer (Txattrcreate),
    /// gets the value (Twrite), and sets it when clunked: one round trip,
    /// whose first failure is the answer (Rclunk carries the set's own).
    fn setxattr(
        &self,
        h: Handle,
        name: &[u8],
        value: Option<&[u8]>,
        flags: u32,
    ) -> Result<(), Errno> {
        use proto::xattr;
        if !self.writable {
            return Err(Errno::EROFS);
        }
        let nf = self.new_fid();
        let (size, flags) = match value {
            Some(v) => (v.len() as u64, flags & (xattr::CREATE | xattr::REPLACE)),
            None => (0, xattr::REMOVE),
        };
        let mut reqs = vec![
            Tmessage::Walk {
                fid: Self::fid(h),
                newfid: nf,
                names: Vec::new(),
            },
            Tmessage::Xattrcreate {
                fid: nf,
                name: name.to_vec(),
                attr_size: size,
                flags,
            },
        ];
        let chunk = (self.conn.msize().saturating_sub(proto::TWRITE_HEADER) as usize).max(1);
        for (i, part) in value.unwrap_or_default().chunks(chunk).enumerate() {
            reqs.push(Tmessage::Write {
                fid: nf,
                offset: (i * chunk) as u64,
                data: part.to_vec(),
            });
        }
        reqs.push(Tmessage::Clunk { fid: nf });
        for a in self.conn.call(&reqs)? {
            a.ok()?;
        }
        Ok(())
    }
}

impl GoferClient {
    /// Txattrwalk then Tread: the value of `name`, or the name list for "".
    fn xattr_read(&self, h: Handle, name: &[u8]) -> Result<Vec<u8>, Errno> {
        let nf = self.new_fid();
        let count = self.conn.msize().saturating_sub(proto::RREAD_HEADER);
        let mut a = self
            .conn
            .call(&[
                Tmessage::Xattrwalk {
                    fid: Self::fid(h),
                    newfid: nf,
                    name: name.to_vec(),
                },
                Tmessage::Read {
                    fid: nf,
                    offset: 0,
                    count,
                },
            ])?
            .into_iter();
        // A failed Txattrwalk binds nothing (and its Tread fails too).
        let size = match a.next().ok_or_else(unexpected)?.ok()?.msg {
            Rmessage::Xattrwalk { size } => size,
            _ => return Err(unexpected()),
        };
        let result = (|| {
            if size > proto::xattr::SIZE_MAX {
                return Err(Errno::E2BIG);
            }
            let mut out = match a.next().ok_or_else(unexpected)?.ok()?.msg {
                Rmessage::Read { data } => data,
                _ => return Err(unexpected()),
            };
            while (out.len() as u64) < size {
                let offset = out.len() as u64;
                match self
                    .one(Tmessage::Read {
                        fid: nf,
                        offset,
                        count,
                    })?
                    .msg
                {
                    Rmessage::Read { data } if !data.is_empty() => out.extend_from_slice(&data),
                    Rmessage::Read { .. } => break,
                    _ => return Err(unexpected()),
                }
            }
            out.truncate(size as usize);
            Ok(out)
        })();
        self.conn.clunk_later(nf);
        result
    }

    /// One request whose reply (or Rlerror) is returned as an answer.
    fn one_raw(&self, req: Tmessage) -> Result<Answer, Errno> {
        self.conn
            .call(std::slice::from_ref(&req))?
            .into_iter()
            .next()
            .ok_or_else(unexpected)
    }
}

impl Drop for GoferClient {
    fn drop(&mut self) {
        // Send whatever clunks are pending; the Gofer exits when the
        // socket closes after this.
        if !self.conn.is_broken() {
            let _ = self.conn.call(&[]);
        }
    }
}
