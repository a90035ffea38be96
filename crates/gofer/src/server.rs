//! The 9P2000.L server: one connection's fid table and the answer to each
//! request. No I/O on the socket here (see `conn`), so the rules can be
//! tested with hand-built messages.
//!
//! Every fid holds an `O_PATH | O_NOFOLLOW` fd of its file, reached one
//! component at a time from a tree's root fd (`host::walk_one`). Opening a
//! file for I/O reopens it by name from its parent's fd and checks it is
//! still the same inode. No request can name a path, "..", or make the
//! Gofer follow a symlink, so nothing outside the served trees is reachable
//! whatever the Sentry sends.

use crate::host::{self, errno, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};
use abi::Errno;
use proto::{
    dirent_type, lopen, negotiate_version, Dirent, Fid, Negotiated, Qid, Rmessage, StatFs,
    Tmessage, DEFAULT_MSIZE, MIN_MSIZE, NONUNAME, RREADDIR_HEADER, RREAD_HEADER, UNKNOWN_VERSION,
    VERSION,
};
use rustix::fs::{AtFlags, OFlags};
use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

/// One served tree, opened before confinement: a directory, or a single
/// file (a bind mount of a file).
#[derive(Debug)]
pub struct Tree {
    /// Tattach's aname.
    pub name: Vec<u8>,
    /// `O_PATH | O_DIRECTORY` fd of the tree's root — for a single file,
    /// of the directory holding it (never reachable by the Sentry: files
    /// are reopened by name from their directory).
    pub root: OwnedFd,
    pub writable: bool,
    /// A single-file tree: the file's name in `root`. Tattach answers
    /// with the file itself.
    pub file: Option<Vec<u8>>,
}

/// A host file a fid refers to.
#[derive(Debug)]
pub(crate) struct Node {
    /// `O_PATH | O_NOFOLLOW` fd of the file itself.
    pub fd: OwnedFd,
    /// The type bits at walk time.
    pub mode: u32,
    pub dev: u64,
    pub ino: u64,
    /// The directory it was walked from and its name there: Linux cannot
    /// reopen an O_PATH fd, so opening for I/O goes through the parent.
    pub parent: Option<(Arc<Node>, Vec<u8>)>,
    pub tree: Arc<Tree>,
}

impl Node {
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }
}

/// What an opened fid holds.
#[derive(Debug)]
pub(crate) enum Open {
    Dir(OwnedFd),
    File {
        fd: OwnedFd,
        read: bool,
        write: bool,
    },
    /// A Txattrwalk fid: the value (or name list) to read.
    XattrRead(Vec<u8>),
    /// A Txattrcreate fid: the attribute to set when it is clunked.
    XattrWrite {
        name: Vec<u8>,
        flags: u32,
        size: u64,
        value: Vec<u8>,
    },
}

#[derive(Debug)]
pub(crate) struct FidState {
    pub node: Arc<Node>,
    pub open: Option<Open>,
}

/// A reply and the fd that travels with it (Rlopen and Rlcreate only).
pub type Reply = (Rmessage, Option<OwnedFd>);

pub(crate) type OpResult = Result<Reply, Errno>;

/// Qid paths: host inode numbers of the first tree's device as they are;
/// files of other devices get a tag in bits 48.. so paths never collide.
const TAG_SHIFT: u32 = 48;
const MAX_TAG: u64 = 0xffff;

/// The state of one connection.
#[derive(Debug)]
pub struct Server {
    trees: Vec<Arc<Tree>>,
    pub(crate) fids: HashMap<u32, FidState>,
    msize: u32,
    max_msize: u32,
    versioned: bool,
    devs: HashMap<u64, u64>,
    /// Tattach's n_uname: the owner given to new files (None: the Gofer's own).
    pub(crate) owner_uid: Option<u32>,
}

pub(crate) fn ok(m: Rmessage) -> OpResult {
    Ok((m, None))
}

impl Server {
    /// A server for `trees`, accepting an msize of at most `max_msize`.
    pub fn new(trees: Vec<Tree>, max_msize: u32) -> Server {
        let mut devs = HashMap::new();
        if let Some(t) = trees.first() {
            if let Ok(stx) = host::stat_fd(t.root.as_fd()) {
                devs.insert(host::dev_of(&stx), 0);
            }
        }
        Server {
            trees: trees.into_iter().map(Arc::new).collect(),
            fids: HashMap::new(),
            msize: DEFAULT_MSIZE.min(max_msize),
            max_msize: max_msize.max(MIN_MSIZE),
            versioned: false,
            devs,
            owner_uid: None,
        }
    }

    /// The negotiated msize (the largest frame either side may send).
    pub fn msize(&self) -> u32 {
        self.msize
    }

    /// Fids currently bound (for leak checks in tests).
    pub fn fid_count(&self) -> usize {
        self.fids.len()
    }

    /// The answer to one request. Never panics; every failure is an Rlerror.
    pub fn handle(&mut self, req: Tmessage) -> Reply {
        if !self.versioned && !matches!(req, Tmessage::Version { .. }) {
            return (Rmessage::lerror(Errno::EPROTO), None);
        }
        match self.dispatch(req) {
            Ok(r) => r,
            Err(e) => (Rmessage::lerror(e), None),
        }
    }

    fn dispatch(&mut self, req: Tmessage) -> OpResult {
        match req {
            Tmessage::Version { msize, version } => self.version(msize, &version),
            Tmessage::Auth { .. } => Err(Errno::EOPNOTSUPP),
            Tmessage::Attach {
                fid,
                uname: _,
                aname,
                n_uname,
                ..
            } => self.attach(fid, &aname, n_uname),
            // Requests are answered in order, so none is outstanding.
            Tmessage::Flush { .. } => ok(Rmessage::Flush),
            Tmessage::Walk { fid, newfid, names } => self.walk(fid, newfid, &names),
            Tmessage::Clunk { fid } => {
                let f = self.fids.remove(&fid.0).ok_or(Errno::EBADF)?;
                // The fid is gone whatever the outcome; an attribute
                // writer's outcome is the clunk's.
                if let Some(Open::XattrWrite {
                    name,
                    flags,
                    size,
                    value,
                }) = &f.open
                {
                    Self::xattr_commit(&f.node, name, *flags, *size, value)?;
                }
                ok(Rmessage::Clunk)
            }
            Tmessage::Getattr { fid, .. } => {
                let n = self.node(fid)?;
                let stx = host::stat_fd(n.fd.as_fd())?;
                let path = self.qpath(host::dev_of(&stx), stx.stx_ino);
                ok(Rmessage::Getattr(host::attr_of(&stx, path)))
            }
            Tmessage::Statfs { fid } => self.statfs(fid),
            Tmessage::Readlink { fid } => {
                let n = self.node(fid)?;
                if n.mode & S_IFMT != S_IFLNK {
                    return Err(Errno::EINVAL);
                }
                let t = rustix::fs::readlinkat(&n.fd, "", Vec::new()).map_err(errno)?;
                ok(Rmessage::Readlink {
                    target: t.into_bytes(),
                })
            }
            Tmessage::Lopen { fid, flags } => self.lopen(fid, flags),
            Tmessage::Readdir { fid, offset, count } => self.readdir(fid, offset, count),
            Tmessage::Read { fid, offset, count } => self.read(fid, offset, count),
            Tmessage::Write { fid, offset, data } => self.write(fid, offset, &data),
            Tmessage::Fsync { fid, datasync } => {
                let f = self.fids.get(&fid.0).ok_or(Errno::EBADF)?;
                if !f.node.tree.writable {
                    // Nothing of a read-only tree can need syncing.
                    return ok(Rmessage::Fsync);
                }
                let fd = match &f.open {
                    Some(Open::Dir(fd)) | Some(Open::File { fd, .. }) => fd,
                    _ => return Err(Errno::EBADF),
                };
                if datasync != 0 {
                    rustix::fs::fdatasync(fd).map_err(errno)?;
                } else {
                    rustix::fs::fsync(fd).map_err(errno)?;
                }
                ok(Rmessage::Fsync)
            }
            Tmessage::Lcreate {
                fid,
                name,
                flags,
                mode,
                gid,
            } => self.lcreate(fid, &name, flags, mode, gid),
            Tmessage::Mkdir {
                dfid,
                name,
                mode,
                gid,
            } => self.mkdir(dfid, &name, mode, gid),
            Tmessage::Symlink {
                dfid,
                name,
                target,
                gid,
            } => self.symlink(dfid, &name, &target, gid),
            Tmessage::Mknod {
                dfid,
                name,
                mode,
                major,
                minor,
                gid,
            } => self.mknod(dfid, &name, mode, major, minor, gid),
            Tmessage::Link { dfid, fid, name } => self.link(dfid, fid, &name),
            Tmessage::Rename { fid, dfid, name } => self.rename(fid, dfid, &name),
            Tmessage::Renameat {
                olddirfid,
                oldname,
                newdirfid,
                newname,
            } => self.renameat(olddirfid, &oldname, newdirfid, &newname),
            Tmessage::Unlinkat { dfid, name, flags } => self.unlinkat(dfid, &name, flags),
            Tmessage::Remove { fid } => self.remove(fid),
            Tmessage::Setattr { fid, attr } => self.setattr(fid, &attr),
            Tmessage::Xattrwalk { fid, newfid, name } => self.xattrwalk(fid, newfid, &name),
            Tmessage::Xattrcreate {
                fid,
                name,
                attr_size,
                flags,
            } => self.xattrcreate(fid, &name, attr_size, flags),
            // Locks are the Sentry's business.
            Tmessage::Lock { .. } | Tmessage::Getlock { .. } => Err(Errno::EOPNOTSUPP),
        }
    }

    fn version(&mut self, msize: u32, version: &[u8]) -> OpResult {
        // A new session: everything of the old one is forgotten.
        self.fids.clear();
        match negotiate_version(msize, version, self.max_msize) {
            Negotiated::Agreed { msize } => {
                self.msize = msize;
                self.versioned = true;
                ok(Rmessage::Version {
                    msize,
                    version: VERSION.to_vec(),
                })
            }
            Negotiated::Unsupported => {
                self.versioned = false;
                ok(Rmessage::Version {
                    msize: self.max_msize,
                    version: UNKNOWN_VERSION.to_vec(),
                })
            }
        }
    }

    fn attach(&mut self, fid: Fid, aname: &[u8], n_uname: u32) -> OpResult {
        self.check_new_fid(fid)?;
        let tree = self
            .trees
            .iter()
            .find(|t| t.name == aname)
            .cloned()
            .ok_or(Errno::ENOENT)?;
        let fd = rustix::io::fcntl_dupfd_cloexec(&tree.root, 0).map_err(errno)?;
        let stx = host::stat_fd(fd.as_fd())?;
        let dev = host::dev_of(&stx);
        let qid = host::qid_of(&stx, self.qpath(dev, stx.stx_ino));
        let file = tree.file.clone();
        let node = Node {
            fd,
            mode: u32::from(stx.stx_mode),
            dev,
            ino: stx.stx_ino,
            parent: None,
            tree,
        };
        let (node, qid) = match file {
            Some(name) => {
                let (n, q) = self.step(&Arc::new(node), &name)?;
                if n.is_dir() {
                    return Err(Errno::ENOTDIR);
                }
                (n, q)
            }
            None => (node, qid),
        };
        self.owner_uid = (n_uname != NONUNAME).then_some(n_uname);
        self.fids.insert(
            fid.0,
            FidState {
                node: Arc::new(node),
                open: None,
            },
        );
        ok(Rmessage::Attach { qid })
    }

    pub(crate) fn check_new_fid(&self, fid: Fid) -> Result<(), Errno> {
        if fid == Fid::NONE || self.fids.contains_key(&fid.0) {
            return Err(Errno::EBADF);
        }
        Ok(())
    }

    /// The node of a fid that is not opened (walks and directory changes
    /// work on unopened fids, as 9P requires).
    pub(crate) fn node(&self, fid: Fid) -> Result<Arc<Node>, Errno> {
        self.fids
            .get(&fid.0)
            .map(|f| f.node.clone())
            .ok_or(Errno::EBADF)
    }

    /// A directory fid that may be changed (not opened, in a writable tree).
    pub(crate) fn dir_for_change(&self, fid: Fid) -> Result<Arc<Node>, Errno> {
        let n = self.node(fid)?;
        if !n.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if !n.tree.writable {
            return Err(Errno::EROFS);
        }
        Ok(n)
    }

    /// The qid path of host file `(dev, ino)`.
    pub(crate) fn qpath(&mut self, dev: u64, ino: u64) -> u64 {
        let next = (self.devs.len() as u64).min(MAX_TAG);
        let tag = *self.devs.entry(dev).or_insert(next);
        ino ^ (tag << TAG_SHIFT)
    }

    /// Walks one component from `dir`: a new node and its qid.
    pub(crate) fn step(&mut self, dir: &Arc<Node>, name: &[u8]) -> Result<(Node, Qid), Errno> {
        if !dir.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let fd = host::walk_one(dir.fd.as_fd(), name)?;
        let stx = host::stat_fd(fd.as_fd())?;
        let dev = host::dev_of(&stx);
        let qid = host::qid_of(&stx, self.qpath(dev, stx.stx_ino));
        let node = Node {
            fd,
            mode: u32::from(stx.stx_mode),
            dev,
            ino: stx.stx_ino,
            parent: Some((dir.clone(), name.to_vec())),
            tree: dir.tree.clone(),
        };
        Ok((node, qid))
    }

    fn walk(&mut self, fid: Fid, newfid: Fid, names: &[Vec<u8>]) -> OpResult {
        let start = self.fids.get(&fid.0).ok_or(Errno::EBADF)?;
        // An opened fid walks nowhere, but may be cloned (into an unopened
        // fid of the same file): a file the Sentry created holds its
        // Tlcreate'd fid, and extended attributes need a fresh one.
        match &start.open {
            None => {}
            Some(Open::Dir(_)) | Some(Open::File { .. }) if names.is_empty() && newfid != fid => {}
            Some(_) => return Err(Errno::EBADF),
        }
        let mut cur = start.node.clone();
        if newfid != fid {
            self.check_new_fid(newfid)?;
        }
        let mut qids = Vec::with_capacity(names.len());
        for name in names {
            match self.step(&cur, name) {
                Ok((node, qid)) => {
                    qids.push(qid);
                    cur = Arc::new(node);
                }
                // The first name failing is an error; a later one ends
                // the walk short and leaves newfid unbound.
                Err(e) if qids.is_empty() => return Err(e),
                Err(_) => return ok(Rmessage::Walk { qids }),
            }
        }
        self.fids.insert(
            newfid.0,
            FidState {
                node: cur,
                open: None,
            },
        );
        ok(Rmessage::Walk { qids })
    }

    fn statfs(&self, fid: Fid) -> OpResult {
        let n = self.node(fid)?;
        let s = rustix::fs::fstatfs(&n.fd).map_err(errno)?;
        ok(Rmessage::Statfs(StatFs {
            ty: s.f_type as u32,
            bsize: s.f_bsize as u32,
            blocks: s.f_blocks,
            bfree: s.f_bfree,
            bavail: s.f_bavail,
            files: s.f_files,
            ffree: s.f_ffree,
            fsid: 0,
            namelen: s.f_namelen as u32,
        }))
    }

    fn lopen(&mut self, fid: Fid, flags: u32) -> OpResult {
        let f = self.fids.get(&fid.0).ok_or(Errno::EBADF)?;
        if f.open.is_some() {
            return Err(Errno::EBADF);
        }
        let n = f.node.clone();
        let acc = flags & lopen::ACCMODE;
        let trunc = flags & lopen::TRUNC != 0;
        let wants_write = acc == lopen::WRONLY || acc == lopen::RDWR || trunc;
        let (open, donated) = match n.mode & S_IFMT {
            S_IFDIR => {
                if wants_write {
                    return Err(Errno::EISDIR);
                }
                let fd = host::open_dir(n.fd.as_fd())?;
                let dup = rustix::io::fcntl_dupfd_cloexec(&fd, 0).map_err(errno)?;
                (Open::Dir(fd), dup)
            }
            S_IFREG => {
                if flags & lopen::DIRECTORY != 0 {
                    return Err(Errno::ENOTDIR);
                }
                if wants_write && !n.tree.writable {
                    return Err(Errno::EROFS);
                }
                let mut o = match acc {
                    lopen::WRONLY => OFlags::WRONLY,
                    lopen::RDWR => OFlags::RDWR,
                    lopen::RDONLY => OFlags::RDONLY,
                    _ => return Err(Errno::EINVAL),
                };
                if trunc {
                    o |= OFlags::TRUNC;
                }
                let (parent, name) = n.parent.as_ref().ok_or(Errno::EINVAL)?;
                let fd = host::reopen(parent.fd.as_fd(), name, o, n.dev, n.ino)?;
                let dup = rustix::io::fcntl_dupfd_cloexec(&fd, 0).map_err(errno)?;
                let read = acc != lopen::WRONLY;
                let write = acc != lopen::RDONLY;
                (Open::File { fd, read, write }, dup)
            }
            S_IFLNK => return Err(Errno::ELOOP),
            // Devices, FIFOs and sockets are served by the Sentry itself.
            _ => return Err(Errno::ENXIO),
        };
        let stx = host::stat_fd(n.fd.as_fd())?;
        let qid = host::qid_of(&stx, self.qpath(n.dev, n.ino));
        if let Some(f) = self.fids.get_mut(&fid.0) {
            f.open = Some(open);
        }
        Ok((Rmessage::Lopen { qid, iounit: 0 }, Some(donated)))
    }

    fn read(&self, fid: Fid, offset: u64, count: u32) -> OpResult {
        let f = self.fids.get(&fid.0).ok_or(Errno::EBADF)?;
        let count = count.min(self.msize.saturating_sub(RREAD_HEADER));
        if let Some(Open::XattrRead(value)) = &f.open {
            return Self::xattr_read(value, offset, count);
        }
        let Some(Open::File { fd, read: true, .. }) = &f.open else {
            return Err(Errno::EBADF);
        };
        let mut data = vec![0u8; count as usize];
        let n = loop {
            match rustix::io::pread(fd, &mut data, offset) {
                Err(rustix::io::Errno::INTR) => continue,
                r => break r.map_err(errno)?,
            }
        };
        data.truncate(n);
        ok(Rmessage::Read { data })
    }

    fn write(&mut self, fid: Fid, offset: u64, data: &[u8]) -> OpResult {
        if let Some(FidState {
            open: Some(Open::XattrWrite { .. }),
            ..
        }) = self.fids.get(&fid.0)
        {
            return self.xattr_write(fid, offset, data);
        }
        let f = self.fids.get(&fid.0).ok_or(Errno::EBADF)?;
        let Some(Open::File {
            fd, write: true, ..
        }) = &f.open
        else {
            return Err(Errno::EBADF);
        };
        let n = loop {
            match rustix::io::pwrite(fd, data, offset) {
                Err(rustix::io::Errno::INTR) => continue,
                r => break r.map_err(errno)?,
            }
        };
        ok(Rmessage::Write {
            count: u32::try_from(n).unwrap_or(u32::MAX),
        })
    }

    fn readdir(&mut self, fid: Fid, offset: u64, count: u32) -> OpResult {
        let f = self.fids.get(&fid.0).ok_or(Errno::EBADF)?;
        let Some(Open::Dir(fd)) = &f.open else {
            return Err(Errno::EBADF);
        };
        let dev = f.node.dev;
        let fd = rustix::io::fcntl_dupfd_cloexec(fd, 0).map_err(errno)?;
        let limit = count.min(self.msize.saturating_sub(RREADDIR_HEADER)) as usize;
        // Offsets are the host's own directory cookies (d_off).
        rustix::fs::seek(&fd, rustix::fs::SeekFrom::Start(offset)).map_err(errno)?;
        let mut buf = vec![std::mem::MaybeUninit::<u8>::uninit(); limit.clamp(4096, 1 << 20)];
        let mut dir = rustix::fs::RawDir::new(&fd, &mut buf);
        let mut used = 0usize;
        let mut too_small = false;
        let mut found: Vec<(Vec<u8>, u64, u8, u64)> = Vec::new();
        while let Some(e) = dir.next() {
            let e = e.map_err(errno)?;
            let name = e.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let cost = Dirent::FIXED_SIZE.saturating_add(name.len());
            if used.saturating_add(cost) > limit {
                too_small = found.is_empty();
                break;
            }
            used += cost;
            let ty = match dirent_type_of(e.file_type()) {
                Some(t) => t,
                None => match rustix::fs::statat(&fd, name, AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(st) => dirent_type::from_mode(st.st_mode),
                    Err(_) => dirent_type::UNKNOWN,
                },
            };
            found.push((name.to_vec(), e.ino(), ty, e.next_entry_cookie()));
        }
        if too_small {
            // An empty reply would read as the end of the directory.
            return Err(Errno::EINVAL);
        }
        let mut entries = Vec::with_capacity(found.len());
        for (name, ino, ty, off) in found {
            let qty = match ty {
                dirent_type::DIR => proto::qid_type::DIR,
                dirent_type::LNK => proto::qid_type::SYMLINK,
                _ => proto::qid_type::FILE,
            };
            entries.push(Dirent {
                qid: Qid {
                    ty: qty,
                    version: 0,
                    path: self.qpath(dev, ino),
                },
                offset: off,
                ty,
                name,
            });
        }
        ok(Rmessage::Readdir { entries })
    }
}

fn dirent_type_of(t: rustix::fs::FileType) -> Option<u8> {
    use rustix::fs::FileType as H;
    Some(match t {
        H::RegularFile => dirent_type::REG,
        H::Directory => dirent_type::DIR,
        H::Symlink => dirent_type::LNK,
        H::Fifo => dirent_type::FIFO,
        H::Socket => dirent_type::SOCK,
        H::CharacterDevice => dirent_type::CHR,
        H::BlockDevice => dirent_type::BLK,
        _ => return None,
    })
}
