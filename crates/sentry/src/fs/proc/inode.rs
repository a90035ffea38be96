//! The inodes of procfs: one type, [`ProcInode`], naming what it shows
//! ([`Node`]); the other modules of procfs produce the content.

use super::pid::{PidFile, PidLink, PidRef};
use super::system::SystemFile;
use super::{fd, pid, root, seq, sys, system, sysvipc, ProcFs, PROC_SUPER_MAGIC};
use crate::vfs::file::FileOps;
use crate::vfs::inode::{S_IFDIR, S_IFLNK, S_IFREG};
use crate::vfs::{Attr, DirEntry, FileType, FsInfo, Inode, NewNode, Owner, Path, SetAttr};
use abi::{Errno, Timespec};
use std::any::Any;
use std::sync::Arc;

/// What a procfs inode is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Node {
    /// /proc
    Root,
    /// /proc/self
    SelfLink,
    /// /proc/thread-self
    ThreadSelf,
    /// /proc/mounts (a link to self/mounts, as in Linux)
    MountsLink,
    /// /proc/meminfo, /proc/cpuinfo...
    System(SystemFile),
    /// A directory under /proc/sys, by its path below /proc/sys ("" is /proc/sys).
    SysDir(&'static str),
    /// A file under /proc/sys, by its index in the sysctl table.
    Sysctl(usize),
    /// /proc/sysvipc
    SysvIpcDir,
    /// /proc/sysvipc/{msg,sem,shm}
    SysvIpc(u8),
    /// /proc/PID, or /proc/PID/task/TID.
    Pid(PidRef),
    PidFile(PidRef, PidFile),
    PidLink(PidRef, PidLink),
    /// /proc/PID/task
    TaskDir(i32),
    FdDir(PidRef),
    FdInfoDir(PidRef),
    /// /proc/PID/fd/N
    Fd(PidRef, i32),
    /// /proc/PID/fdinfo/N
    FdInfo(PidRef, i32),
}

impl Node {
    pub(super) fn kind(self) -> FileType {
        match self {
            Node::Root
            | Node::SysDir(_)
            | Node::SysvIpcDir
            | Node::Pid(_)
            | Node::TaskDir(_)
            | Node::FdDir(_)
            | Node::FdInfoDir(_) => FileType::Directory,
            Node::SelfLink
            | Node::ThreadSelf
            | Node::MountsLink
            | Node::PidLink(..)
            | Node::Fd(..) => FileType::Symlink,
            Node::System(_)
            | Node::Sysctl(_)
            | Node::SysvIpc(_)
            | Node::PidFile(..)
            | Node::FdInfo(..) => FileType::Regular,
        }
    }

    /// The process the node belongs to, if any.
    fn pid_ref(self) -> Option<PidRef> {
        match self {
            Node::Pid(r)
            | Node::PidFile(r, _)
            | Node::PidLink(r, _)
            | Node::FdDir(r)
            | Node::FdInfoDir(r) => Some(r),
            Node::Fd(r, _) | Node::FdInfo(r, _) => Some(r),
            Node::TaskDir(tgid) => Some(PidRef { tgid, tid: None }),
            _ => None,
        }
    }

    /// Inode numbers: small ones for the fixed files, and for a process's
    /// files the pid in the high half, so directories never share one
    /// (`find` and `du` take a repeated directory inode for a loop).
    pub(super) fn ino(self) -> u64 {
        fn of_pid(r: PidRef, kind: u64, sub: u64) -> u64 {
            let id = r.tid.unwrap_or(r.tgid) as u64;
            (id << 32) | (u64::from(r.tid.is_some()) << 31) | (kind << 24) | (sub & 0xff_ffff)
        }
        match self {
            Node::Root => 1,
            Node::SelfLink => 2,
            Node::ThreadSelf => 3,
            Node::MountsLink => 4,
            Node::System(f) => 16 + f as u64,
            Node::Sysctl(i) => 0x1000 + i as u64,
            Node::SysvIpcDir => 0x2000,
            Node::SysvIpc(i) => 0x2001 + u64::from(i),
            Node::SysDir(p) => 0x10_0000 + (sys::path_hash(p) & 0xf_ffff),
            Node::Pid(r) => of_pid(r, 0, 0),
            Node::PidFile(r, f) => of_pid(r, 1, f as u64),
            Node::PidLink(r, l) => of_pid(r, 2, l as u64),
            Node::TaskDir(tgid) => of_pid(PidRef { tgid, tid: None }, 3, 0),
            Node::FdDir(r) => of_pid(r, 4, 0),
            Node::FdInfoDir(r) => of_pid(r, 5, 0),
            Node::Fd(r, n) => of_pid(r, 6, n as u64),
            Node::FdInfo(r, n) => of_pid(r, 7, n as u64),
        }
    }
}

#[derive(Clone)]
pub(super) struct ProcInode {
    pub(super) fs: Arc<ProcFs>,
    pub(super) node: Node,
}

impl std::fmt::Debug for ProcInode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProcInode({:?})", self.node)
    }
}

impl ProcInode {
    pub(super) fn make(fs: &Arc<ProcFs>, node: Node) -> Arc<dyn Inode> {
        Arc::new(ProcInode {
            fs: fs.clone(),
            node,
        })
    }

    /// The entries of a directory node, in the order Linux lists them.
    fn entries(&self) -> Result<Vec<(Vec<u8>, Node)>, Errno> {
        match self.node {
            Node::Root => root::entries(&self.fs),
            Node::SysDir(p) => Ok(sys::entries(p)),
            Node::SysvIpcDir => Ok(sysvipc::entries()),
            Node::Pid(r) => pid::entries(&self.fs, r),
            Node::TaskDir(tgid) => pid::task_entries(&self.fs, tgid),
            Node::FdDir(r) => fd::entries(&self.fs, r, false),
            Node::FdInfoDir(r) => fd::entries(&self.fs, r, true),
            _ => Err(Errno::ENOTDIR),
        }
    }

    /// The content of a file node, as of now.
    pub(super) fn generate(&self) -> Result<Vec<u8>, Errno> {
        match self.node {
            Node::System(f) => system::generate(&self.fs, f),
            Node::Sysctl(i) => sys::generate(&self.fs, i),
            Node::SysvIpc(i) => sysvipc::generate(&self.fs, i),
            Node::PidFile(r, f) => pid::generate(&self.fs, r, f),
            Node::FdInfo(r, n) => fd::info(&self.fs, r, n),
            _ => Err(Errno::EISDIR),
        }
    }

    /// Whether the file takes writes at all (checked before any byte is taken).
    pub(super) fn check_write(&self) -> Result<(), Errno> {
        match self.node {
            Node::PidFile(_, f) => pid::check_write(f),
            Node::Sysctl(i) => sys::check_write(i),
            // Linux's system-wide proc files have no write operation: EIO.
            Node::System(_) | Node::SysvIpc(_) => Err(Errno::EIO),
            _ => Err(Errno::EINVAL),
        }
    }

    /// A write of `total` bytes to a file node, of which `data` is the
    /// start; returns the bytes consumed.
    pub(super) fn write(&self, data: &[u8], total: u64) -> Result<u64, Errno> {
        match self.node {
            Node::PidFile(r, f) => pid::write(&self.fs, r, f, data, total),
            Node::Sysctl(i) => sys::write(&self.fs, i, data, total),
            _ => self.check_write().map(|()| 0),
        }
    }

    /// Where a "magic" link leads without a path walk: /proc/PID/exe, cwd,
    /// root and fd/N open what the process has, even a file that has no
    /// name any more. `None` for ordinary links.
    pub fn follow_link(&self) -> Option<Result<Path, Errno>> {
        match self.node {
            Node::PidLink(r, l) => Some(pid::follow(&self.fs, r, l)),
            Node::Fd(r, n) => Some(fd::follow(&self.fs, r, n)),
            _ => None,
        }
    }

    /// Owner and time of the inode; ENOENT once what it shows is gone.
    fn owner(&self) -> Result<(u32, u32, Timespec), Errno> {
        match self.node.pid_ref() {
            Some(r) => pid::owner(&self.fs, r),
            None => Ok((0, 0, self.fs.boot_wall)),
        }
    }
}

impl Inode for ProcInode {
    fn attr(&self) -> Result<Attr, Errno> {
        let (uid, gid, time) = self.owner()?;
        let (perm, nlink, size) = match self.node {
            Node::Root => (0o555, 3 + root::process_count(&self.fs), 0),
            Node::SelfLink | Node::ThreadSelf | Node::MountsLink | Node::PidLink(..) => {
                (0o777, 1, 0)
            }
            Node::System(_) => (0o444, 1, 0),
            Node::SysDir(_) => (0o555, 1, 0),
            Node::SysvIpcDir => (0o555, 2, 0),
            Node::SysvIpc(_) => (0o444, 1, 0),
            Node::Sysctl(i) => (sys::mode(i), 1, 0),
            Node::Pid(r) => (0o555, pid::nlink(r), 0),
            Node::PidFile(_, f) => (f.mode(), 1, 0),
            Node::TaskDir(tgid) => (0o555, 2 + pid::thread_count(&self.fs, tgid), 0),
            // Linux reports the number of open fds as the size of fd/.
            Node::FdDir(r) => (0o500, 2, fd::count(&self.fs, r)),
            Node::FdInfoDir(_) => (0o555, 2, 0),
            Node::Fd(r, n) => (fd::link_mode(&self.fs, r, n)?, 1, 64),
            Node::FdInfo(r, n) => {
                fd::link_mode(&self.fs, r, n)?;
                (0o444, 1, 0)
            }
        };
        let kind = match self.node.kind() {
            FileType::Directory => S_IFDIR,
            FileType::Symlink => S_IFLNK,
            _ => S_IFREG,
        };
        Ok(Attr {
            dev: self.fs.dev,
            ino: self.node.ino(),
            mode: kind | perm,
            nlink,
            uid,
            gid,
            rdev: 0,
            size,
            blksize: 1024,
            blocks: 0,
            atime: time,
            mtime: time,
            ctime: time,
            btime: time,
        })
    }

    /// Linux refuses mode changes (and owner changes of sysctls); a
    /// truncation, as `echo x > /proc/self/comm` asks, succeeds doing nothing.
    fn setattr(&self, req: &SetAttr) -> Result<(), Errno> {
        self.owner()?;
        if req.mode.is_some() || req.uid.is_some() || req.gid.is_some() {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    // Nothing can be created or removed in /proc. Linux fails creation in
    // the name lookup (ENOENT) and removal for want of an operation (EPERM).
    fn create(
        &self,
        _name: &[u8],
        _node: &NewNode,
        _owner: Owner,
    ) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::ENOENT)
    }

    fn link(&self, _name: &[u8], _target: &Arc<dyn Inode>) -> Result<(), Errno> {
        Err(Errno::ENOENT)
    }

    fn unlink(&self, _name: &[u8], _dir: bool) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    fn rename(
        &self,
        _old: &[u8],
        _new_dir: &Arc<dyn Inode>,
        _new: &[u8],
        _flags: u32,
    ) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        let node = match self.node {
            Node::Root => root::lookup(&self.fs, name)?,
            Node::SysDir(p) => sys::lookup(p, name)?,
            Node::SysvIpcDir => sysvipc::lookup(name)?,
            Node::Pid(r) => pid::lookup(&self.fs, r, name)?,
            Node::TaskDir(tgid) => pid::task_lookup(&self.fs, tgid, name)?,
            Node::FdDir(r) => fd::lookup(&self.fs, r, name, false)?,
            Node::FdInfoDir(r) => fd::lookup(&self.fs, r, name, true)?,
            _ => return Err(Errno::ENOTDIR),
        };
        Ok(ProcInode::make(&self.fs, node))
    }

    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        self.owner()?;
        Ok(self
            .entries()?
            .into_iter()
            .map(|(name, node)| DirEntry {
                name,
                ino: node.ino(),
                kind: node.kind(),
            })
            .collect())
    }

    fn follow_link(&self) -> Option<Result<Path, Errno>> {
        ProcInode::follow_link(self)
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        match self.node {
            Node::SelfLink => root::self_link(false),
            Node::ThreadSelf => root::self_link(true),
            Node::MountsLink => Ok(b"self/mounts".to_vec()),
            Node::PidLink(r, l) => pid::readlink(&self.fs, r, l),
            Node::Fd(r, n) => fd::readlink(&self.fs, r, n),
            _ => Err(Errno::EINVAL),
        }
    }

    fn open(&self, _me: &Arc<dyn Inode>, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        self.owner()?;
        match self.node.kind() {
            FileType::Directory => Ok(Box::new(seq::DirOps(self.clone()))),
            FileType::Symlink => Err(Errno::ELOOP),
            _ => {
                if let Node::Sysctl(i) = self.node {
                    sys::check_open(i, flags)?;
                }
                Ok(Box::new(seq::SeqFile::new(self.clone())))
            }
        }
    }

    fn fs_info(&self) -> FsInfo {
        FsInfo {
            magic: PROC_SUPER_MAGIC,
            name: "proc",
            read_only: false,
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
