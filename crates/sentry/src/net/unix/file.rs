//! The open file of a Unix socket: I/O through read(2)/write(2), readiness,
//! fstat (S_IFSOCK on sockfs), ioctls; closing the last reference
//! releases the endpoint.

use super::endpoint::{Endpoint, RecvOpts, Scm, SockType};
use super::ns::UnixNamespace;
use crate::fs::devnum;
use crate::kernel::waiter::WaitQueue;
use crate::kernel::Task;
use crate::mm::{IoDst, IoSrc, Mm};
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::{Attr, Owner, S_IFSOCK};
use abi::{Errno, Timespec};
use std::sync::{Arc, OnceLock};

/// TIOCOUTQ / SIOCOUTQ.
const SIOCOUTQ: u32 = 0x5411;
const FIONREAD: u32 = 0x541b;

pub struct UnixSocket {
    pub ep: Arc<Endpoint>,
    ns: Arc<UnixNamespace>,
    owner: Owner,
    created: Timespec,
}

impl std::fmt::Debug for UnixSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UnixSocket({:?})", self.ep)
    }
}

/// The device number of sockfs.
fn sockfs_dev() -> u64 {
    static DEV: OnceLock<u64> = OnceLock::new();
    *DEV.get_or_init(devnum::alloc_anon_dev)
}

impl UnixSocket {
    pub fn new(ep: Arc<Endpoint>, ns: Arc<UnixNamespace>, owner: Owner) -> UnixSocket {
        UnixSocket {
            ep,
            ns,
            owner,
            created: crate::kernel::time::realtime(),
        }
    }

    pub fn ns(&self) -> &Arc<UnixNamespace> {
        &self.ns
    }

    /// read(2), readv(2): a receive without flags, blocking unless O_NONBLOCK.
    pub fn read(&self, t: &mut Task, f: &File, dst: &mut IoDst) -> Result<u64, Errno> {
        let o = RecvOpts {
            nonblock: f.nonblocking(),
            ..Default::default()
        };
        // Files passed with the data are dropped: read(2) has no control buffer.
        Ok(self.ep.recv(t, dst, &o)?.n)
    }

    /// write(2), writev(2): a send without flags; EPIPE raises SIGPIPE
    /// only on stream sockets, as Linux.
    pub fn write(&self, t: &mut Task, f: &File, src: &mut IoSrc) -> Result<u64, Errno> {
        let r = self.ep.send(t, src, Scm::default(), None, f.nonblocking());
        if r == Err(Errno::EPIPE) && self.ep.ty == SockType::Stream {
            crate::syscalls::blocking::sigpipe(t);
        }
        r
    }
}

impl Drop for UnixSocket {
    fn drop(&mut self) {
        self.ep.release(Some(&self.ns));
    }
}

impl FileOps for UnixSocket {
    fn seekable(&self) -> bool {
        false
    }

    fn poll(&self, _f: &File) -> u32 {
        self.ep.poll()
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(self.ep.wait_queue())
    }

    fn readable_bytes(&self, _f: &File) -> Option<u64> {
        self.ep.inq().ok()
    }

    fn ioctl(&self, _f: &File, mm: &Mm, cmd: u32, arg: u64) -> Result<u64, Errno> {
        let v = match cmd {
            SIOCOUTQ => {
                if self.ep.listening() {
                    return Err(Errno::EINVAL);
                }
                self.ep.wmem()
            }
            FIONREAD => self.ep.inq()?,
            _ => return Err(Errno::ENOTTY),
        };
        mm.write_obj(arg, &(v.min(i32::MAX as u64) as i32))?;
        Ok(0)
    }

    fn attr(&self) -> Result<Attr, Errno> {
        Ok(Attr {
            dev: sockfs_dev(),
            ino: self.ep.ino,
            mode: S_IFSOCK | 0o777,
            nlink: 1,
            uid: self.owner.uid,
            gid: self.owner.gid,
            rdev: 0,
            size: 0,
            blksize: 4096,
            blocks: 0,
            atime: self.created,
            mtime: self.created,
            ctime: self.created,
            btime: Timespec::default(),
        })
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// The Unix socket an open file is, if it is one.
pub fn socket_of(f: &File) -> Option<&UnixSocket> {
    f.ops.as_any()?.downcast_ref::<UnixSocket>()
}
