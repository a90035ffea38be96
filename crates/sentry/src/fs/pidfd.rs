//! pidfd: a file that refers to a process (or, with PIDFD_THREAD, one
//! thread). It becomes readable (POLLIN | POLLRDNORM) when the process has
//! exited and hangs up (POLLHUP) once it is reaped, as Linux 6.9+; read and
//! write are EINVAL.
//!
//! May use: `vfs` (file interface), `kernel` (thread groups, wait queues),
//! `fs::anon`.

use crate::kernel::thread_group::ThreadGroup;
use crate::kernel::waiter::WaitQueue;
use crate::mm::{IoDst, IoSrc};
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::Attr;
use abi::Errno;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// pidfd_open flags.
pub const PIDFD_NONBLOCK: u32 = libc::O_NONBLOCK as u32;
pub const PIDFD_THREAD: u32 = libc::O_EXCL as u32;

const POLLIN: u32 = libc::POLLIN as u32;
const POLLRDNORM: u32 = libc::POLLRDNORM as u32;
const POLLHUP: u32 = libc::POLLHUP as u32;

pub struct PidFd {
    pub tg: Arc<ThreadGroup>,
    /// PIDFD_THREAD: the thread this pidfd names (else the whole group).
    pub thread: Option<i32>,
}

impl std::fmt::Debug for PidFd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PidFd({}, {:?})", self.tg.tgid, self.thread)
    }
}

impl PidFd {
    /// The pid this pidfd names (the group's leader, or its thread).
    pub fn pid(&self) -> i32 {
        self.thread.unwrap_or(self.tg.tgid)
    }

    pub fn reaped(&self) -> bool {
        self.tg.reaped.load(Ordering::SeqCst)
    }

    /// Whether the named task no longer exists at all (Linux: its pid has no
    /// task): the group was reaped, or a non-leader thread exited.
    pub fn gone(&self) -> bool {
        match self.thread {
            Some(tid) if tid != self.tg.tgid => !self.tg.tasks.lock().iter().any(|t| t.tid == tid),
            _ => self.reaped(),
        }
    }

    /// Whether it has exited (readable): the whole group, or the thread
    /// (a leader's thread pidfd as soon as that thread exits, as Linux).
    pub fn exited(&self) -> bool {
        if self.gone() || self.tg.is_zombie() {
            return true;
        }
        match self.thread {
            Some(tid) => !self.tg.tasks.lock().iter().any(|t| t.tid == tid),
            None => false,
        }
    }

    /// The pid /proc/PID/fdinfo shows ("Pid:"), -1 once the task is gone.
    pub fn shown_pid(&self) -> i32 {
        if self.gone() {
            -1
        } else {
            self.pid()
        }
    }
}

/// A new pidfd file for `tg` (or its thread `thread`).
pub fn new_file(tg: Arc<ThreadGroup>, thread: Option<i32>, nonblock: bool) -> Arc<File> {
    let mut flags = libc::O_RDWR as u32;
    if nonblock {
        flags |= PIDFD_NONBLOCK;
    }
    File::new(Box::new(PidFd { tg, thread }), None, None, flags)
}

/// The pidfd behind `f`, if it is one.
pub fn of(f: &File) -> Option<&PidFd> {
    f.ops.as_any().and_then(|a| a.downcast_ref::<PidFd>())
}

/// What a pidfd adds to /proc/PID/fdinfo/N: flag bits its status keeps
/// (PIDFD_THREAD, which is O_EXCL) and its lines (one pid namespace: NSpid
/// has the one level).
pub fn fdinfo(f: &File) -> Option<(u32, String)> {
    let p = of(f)?;
    let nr = p.shown_pid();
    let flags = if p.thread.is_some() { PIDFD_THREAD } else { 0 };
    Some((flags, format!("Pid:\t{nr}\nNSpid:\t{nr}\n")))
}

impl FileOps for PidFd {
    fn read(&self, _f: &File, _dst: &mut IoDst, _off: i64) -> Result<u64, Errno> {
        Err(Errno::EINVAL)
    }

    fn write(&self, _f: &File, _src: &mut IoSrc, _off: i64) -> Result<u64, Errno> {
        Err(Errno::EINVAL)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn poll(&self, _f: &File) -> u32 {
        if self.gone() {
            POLLIN | POLLRDNORM | POLLHUP
        } else if self.exited() {
            POLLIN | POLLRDNORM
        } else {
            0
        }
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.tg.exit_wq)
    }

    fn attr(&self) -> Result<Attr, Errno> {
        Ok(crate::fs::anon::attr())
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("[pidfd]")
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}
