//! Requests that change the served tree (only in writable trees; read-only
//! ones answer EROFS). Every change is an *at() call on a directory fd the
//! Gofer holds with one checked name, and never follows a symlink.

use crate::host::{self, errno, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK};
use crate::server::{ok, FidState, Node, OpResult, Open, Server};
use abi::Errno;
use proto::{lopen, setattr, Fid, Rmessage, SetAttr, Timestamp, AT_REMOVEDIR};
use rustix::fs::{AtFlags, Mode, OFlags, Timespec, Timestamps};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::sync::Arc;

/// The longest symlink target Linux stores.
const PATH_MAX: usize = 4095;

fn mode_bits(mode: u32) -> Mode {
    Mode::from_raw_mode(mode & 0o7777)
}

impl Server {
    /// Gives a new file the requested group and the attaching user
    /// (the Gofer creates as itself).
    fn own(&self, dir: BorrowedFd<'_>, name: &[u8], gid: u32) -> Result<(), Errno> {
        let uid = self.owner_uid.map(rustix::fs::Uid::from_raw);
        let gid = (gid != proto::NONUNAME).then(|| rustix::fs::Gid::from_raw(gid));
        if uid.is_none() && gid.is_none() {
            return Ok(());
        }
        let stx = rustix::fs::statx(
            dir,
            name,
            AtFlags::SYMLINK_NOFOLLOW,
            rustix::fs::StatxFlags::UID | rustix::fs::StatxFlags::GID,
        )
        .map_err(errno)?;
        let same = uid.is_none_or(|u| u.as_raw() == stx.stx_uid)
            && gid.is_none_or(|g| g.as_raw() == stx.stx_gid);
        if same {
            return Ok(());
        }
        rustix::fs::chownat(dir, name, uid, gid, AtFlags::SYMLINK_NOFOLLOW).map_err(errno)
    }

    /// The qid of the new entry `name` of `dir`.
    fn new_entry_qid(&mut self, dir: &Arc<Node>, name: &[u8]) -> Result<proto::Qid, Errno> {
        self.step(dir, name).map(|(_, q)| q)
    }

    pub(crate) fn lcreate(
        &mut self,
        fid: Fid,
        name: &[u8],
        flags: u32,
        mode: u32,
        gid: u32,
    ) -> OpResult {
        let dir = self.dir_for_change(fid)?;
        if self.fids.get(&fid.0).is_some_and(|f| f.open.is_some()) {
            return Err(Errno::EBADF);
        }
        host::check_name(name)?;
        let acc = flags & lopen::ACCMODE;
        let mut o = match acc {
            lopen::WRONLY => OFlags::WRONLY,
            lopen::RDWR => OFlags::RDWR,
            lopen::RDONLY => OFlags::RDONLY,
            _ => return Err(Errno::EINVAL),
        };
        // Always a new file: never open what a racing host process put there.
        o |= OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY;
        let fd = rustix::fs::openat(&dir.fd, name, o, mode_bits(mode)).map_err(errno)?;
        self.own(dir.fd.as_fd(), name, gid)?;
        let stx = host::stat_fd(fd.as_fd())?;
        let (dev, ino) = (host::dev_of(&stx), stx.stx_ino);
        let path_fd = host::walk_one(dir.fd.as_fd(), name)?;
        let pstx = host::stat_fd(path_fd.as_fd())?;
        if host::dev_of(&pstx) != dev || pstx.stx_ino != ino {
            return Err(Errno::ESTALE);
        }
        let qid = host::qid_of(&pstx, self.qpath(dev, ino));
        let node = Node {
            fd: path_fd,
            mode: u32::from(pstx.stx_mode),
            dev,
            ino,
            parent: Some((dir.clone(), name.to_vec())),
            tree: dir.tree.clone(),
        };
        let dup = rustix::io::fcntl_dupfd_cloexec(&fd, 0).map_err(errno)?;
        let open = Open::File {
            fd,
            read: acc != lopen::WRONLY,
            write: acc != lopen::RDONLY,
        };
        // The fid now stands for the new, opened file.
        self.fids.insert(
            fid.0,
            FidState {
                node: Arc::new(node),
                open: Some(open),
            },
        );
        Ok((Rmessage::Lcreate { qid, iounit: 0 }, Some(dup)))
    }

    pub(crate) fn mkdir(&mut self, dfid: Fid, name: &[u8], mode: u32, gid: u32) -> OpResult {
        let dir = self.dir_for_change(dfid)?;
        host::check_name(name)?;
        rustix::fs::mkdirat(&dir.fd, name, mode_bits(mode)).map_err(errno)?;
        self.own(dir.fd.as_fd(), name, gid)?;
        let qid = self.new_entry_qid(&dir, name)?;
        ok(Rmessage::Mkdir { qid })
    }

    pub(crate) fn symlink(&mut self, dfid: Fid, name: &[u8], target: &[u8], gid: u32) -> OpResult {
        let dir = self.dir_for_change(dfid)?;
        host::check_name(name)?;
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.contains(&0) {
            return Err(Errno::EINVAL);
        }
        if target.len() > PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        // The target is stored, never resolved by the Gofer.
        rustix::fs::symlinkat(target, &dir.fd, name).map_err(errno)?;
        self.own(dir.fd.as_fd(), name, gid)?;
        let qid = self.new_entry_qid(&dir, name)?;
        ok(Rmessage::Symlink { qid })
    }

    pub(crate) fn mknod(
        &mut self,
        dfid: Fid,
        name: &[u8],
        mode: u32,
        _major: u32,
        _minor: u32,
        gid: u32,
    ) -> OpResult {
        let dir = self.dir_for_change(dfid)?;
        host::check_name(name)?;
        // Device nodes live in the Sentry; a host device node in a served
        // tree would be a way out of it.
        let ty = match mode & S_IFMT {
            S_IFIFO => rustix::fs::FileType::Fifo,
            S_IFSOCK => rustix::fs::FileType::Socket,
            S_IFREG | 0 => rustix::fs::FileType::RegularFile,
            _ => return Err(Errno::EPERM),
        };
        rustix::fs::mknodat(&dir.fd, name, ty, mode_bits(mode), 0).map_err(errno)?;
        self.own(dir.fd.as_fd(), name, gid)?;
        let qid = self.new_entry_qid(&dir, name)?;
        ok(Rmessage::Mknod { qid })
    }

    pub(crate) fn link(&mut self, dfid: Fid, fid: Fid, name: &[u8]) -> OpResult {
        let dir = self.dir_for_change(dfid)?;
        host::check_name(name)?;
        let target = self.node(fid)?;
        if target.is_dir() {
            return Err(Errno::EPERM);
        }
        if !Arc::ptr_eq(&target.tree, &dir.tree) {
            return Err(Errno::EXDEV);
        }
        // AT_EMPTY_PATH links the very inode the fid holds, with no name
        // lookup that a racing rename could redirect.
        rustix::fs::linkat(&target.fd, "", &dir.fd, name, AtFlags::EMPTY_PATH).map_err(errno)?;
        ok(Rmessage::Link)
    }

    pub(crate) fn renameat(
        &mut self,
        olddir: Fid,
        oldname: &[u8],
        newdir: Fid,
        newname: &[u8],
    ) -> OpResult {
        let od = self.dir_for_change(olddir)?;
        let nd = self.dir_for_change(newdir)?;
        host::check_name(oldname)?;
        host::check_name(newname)?;
        if !Arc::ptr_eq(&od.tree, &nd.tree) {
            return Err(Errno::EXDEV);
        }
        let moved = host::walk_one(od.fd.as_fd(), oldname)
            .and_then(|fd| host::stat_fd(fd.as_fd()))
            .map(|stx| (host::dev_of(&stx), stx.stx_ino))
            .ok();
        rustix::fs::renameat(&od.fd, oldname, &nd.fd, newname).map_err(errno)?;
        if let Some(id) = moved {
            self.follow_rename(&od, oldname, id, &nd, newname);
        }
        ok(Rmessage::Renameat)
    }

    /// Fids of the file `id` that was `oldname` in `od` now reach it as
    /// `newname` in `nd` (opening goes through the parent and the name).
    fn follow_rename(
        &mut self,
        od: &Arc<Node>,
        oldname: &[u8],
        id: (u64, u64),
        nd: &Arc<Node>,
        newname: &[u8],
    ) {
        for f in self.fids.values_mut() {
            let n = &f.node;
            let here = match &n.parent {
                Some((p, name)) => p.dev == od.dev && p.ino == od.ino && name.as_slice() == oldname,
                None => false,
            };
            if !here || (n.dev, n.ino) != id {
                continue;
            }
            let Ok(fd) = rustix::io::fcntl_dupfd_cloexec(&n.fd, 0) else {
                continue;
            };
            f.node = Arc::new(Node {
                fd,
                mode: n.mode,
                dev: n.dev,
                ino: n.ino,
                parent: Some((nd.clone(), newname.to_vec())),
                tree: n.tree.clone(),
            });
        }
    }

    pub(crate) fn rename(&mut self, fid: Fid, dfid: Fid, name: &[u8]) -> OpResult {
        let n = self.node(fid)?;
        let nd = self.dir_for_change(dfid)?;
        host::check_name(name)?;
        let (parent, old) = n.parent.clone().ok_or(Errno::EBUSY)?;
        if !parent.tree.writable {
            return Err(Errno::EROFS);
        }
        if !Arc::ptr_eq(&parent.tree, &nd.tree) {
            return Err(Errno::EXDEV);
        }
        rustix::fs::renameat(&parent.fd, old.as_slice(), &nd.fd, name).map_err(errno)?;
        // The fid (and every other of the same file) follows its file.
        self.follow_rename(&parent, &old, (n.dev, n.ino), &nd, name);
        ok(Rmessage::Rename)
    }

    pub(crate) fn unlinkat(&mut self, dfid: Fid, name: &[u8], flags: u32) -> OpResult {
        let dir = self.dir_for_change(dfid)?;
        host::check_name(name)?;
        let f = match flags {
            0 => AtFlags::empty(),
            AT_REMOVEDIR => AtFlags::REMOVEDIR,
            _ => return Err(Errno::EINVAL),
        };
        rustix::fs::unlinkat(&dir.fd, name, f).map_err(errno)?;
        ok(Rmessage::Unlinkat)
    }

    pub(crate) fn remove(&mut self, fid: Fid) -> OpResult {
        // Tremove clunks the fid whether or not the removal works.
        let f = self.fids.remove(&fid.0).ok_or(Errno::EBADF)?;
        let n = f.node;
        let (parent, name) = n.parent.as_ref().ok_or(Errno::EBUSY)?;
        if !n.tree.writable {
            return Err(Errno::EROFS);
        }
        let flags = if n.is_dir() {
            AtFlags::REMOVEDIR
        } else {
            AtFlags::empty()
        };
        // Only if the name still holds the fid's file.
        let now = host::walk_one(parent.fd.as_fd(), name)?;
        let stx = host::stat_fd(now.as_fd())?;
        if host::dev_of(&stx) != n.dev || stx.stx_ino != n.ino {
            return Err(Errno::ESTALE);
        }
        rustix::fs::unlinkat(&parent.fd, name.as_slice(), flags).map_err(errno)?;
        ok(Rmessage::Remove)
    }

    pub(crate) fn setattr(&mut self, fid: Fid, a: &SetAttr) -> OpResult {
        let f = self.fids.get(&fid.0).ok_or(Errno::EBADF)?;
        let n = f.node.clone();
        if !n.tree.writable {
            return Err(Errno::EROFS);
        }
        let open_write = match &f.open {
            Some(Open::File {
                fd, write: true, ..
            }) => Some(rustix::io::fcntl_dupfd_cloexec(fd, 0).map_err(errno)?),
            _ => None,
        };
        if a.valid & setattr::SIZE != 0 {
            match n.mode & S_IFMT {
                S_IFREG => {}
                S_IFDIR => return Err(Errno::EISDIR),
                _ => return Err(Errno::EINVAL),
            }
            let fd = match open_write {
                Some(fd) => fd,
                None => {
                    let (parent, name) = n.parent.as_ref().ok_or(Errno::EINVAL)?;
                    host::reopen(parent.fd.as_fd(), name, OFlags::WRONLY, n.dev, n.ino)?
                }
            };
            rustix::fs::ftruncate(&fd, a.size).map_err(errno)?;
        }
        if a.valid & setattr::MODE != 0 {
            chmod_fd(n.fd.as_fd(), a.mode & 0o7777)?;
        }
        if a.valid & (setattr::UID | setattr::GID) != 0 {
            let uid = (a.valid & setattr::UID != 0).then(|| rustix::fs::Uid::from_raw(a.uid));
            let gid = (a.valid & setattr::GID != 0).then(|| rustix::fs::Gid::from_raw(a.gid));
            rustix::fs::chownat(&n.fd, "", uid, gid, AtFlags::EMPTY_PATH).map_err(errno)?;
        }
        if a.valid & (setattr::ATIME | setattr::MTIME) != 0 {
            let pick = |bit: u32, set: u32, t: Timestamp| -> Timespec {
                if a.valid & bit == 0 {
                    Timespec {
                        tv_sec: 0,
                        tv_nsec: libc::UTIME_OMIT,
                    }
                } else if a.valid & set == 0 {
                    Timespec {
                        tv_sec: 0,
                        tv_nsec: libc::UTIME_NOW,
                    }
                } else {
                    Timespec {
                        tv_sec: t.sec as i64,
                        tv_nsec: t.nsec as i64,
                    }
                }
            };
            let times = Timestamps {
                last_access: pick(setattr::ATIME, setattr::ATIME_SET, a.atime),
                last_modification: pick(setattr::MTIME, setattr::MTIME_SET, a.mtime),
            };
            rustix::fs::utimensat(&n.fd, "", &times, AtFlags::EMPTY_PATH).map_err(errno)?;
        }
        ok(Rmessage::Setattr)
    }
}

/// chmod of the file an O_PATH fd refers to: fchmodat2(AT_EMPTY_PATH)
/// (Linux 6.6), so no name is looked up again.
fn chmod_fd(fd: BorrowedFd<'_>, mode: u32) -> Result<(), Errno> {
    let empty = c"";
    // SAFETY: fchmodat2 reads a NUL-terminated path (a static empty string)
    // and integer arguments; the fd is valid for the duration of the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_fchmodat2,
            fd.as_raw_fd(),
            empty.as_ptr(),
            mode,
            libc::AT_EMPTY_PATH,
        )
    };
    if r == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO);
    Err(match e {
        // Older kernels: no fchmodat2.
        libc::ENOSYS => Errno::EOPNOTSUPP,
        e => Errno(e),
    })
}
