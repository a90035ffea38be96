//! eventfd: a 64-bit counter as a file. Writes add to it, reads take it
//! (or, with EFD_SEMAPHORE, take 1); a read of zero and a write that would
//! reach 2^64-1 block (or answer EAGAIN).
//!
//! May use: `vfs` (file interface), `mm` (I/O buffers), `kernel` (wait
//! queues), `fs::anon`.
//!
//! Lock order: `EventFd::count` is a leaf; notifications happen after it is dropped.

use crate::kernel::waiter::WaitQueue;
use crate::mm::{IoDst, IoSrc};
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::Attr;
use abi::Errno;
use parking_lot::Mutex;

pub const EFD_SEMAPHORE: u32 = 1;
pub const EFD_CLOEXEC: u32 = libc::O_CLOEXEC as u32;
pub const EFD_NONBLOCK: u32 = libc::O_NONBLOCK as u32;

const POLLIN: u32 = libc::POLLIN as u32;
const POLLOUT: u32 = libc::POLLOUT as u32;
const POLLERR: u32 = libc::POLLERR as u32;

pub struct EventFd {
    count: Mutex<u64>,
    semaphore: bool,
    queue: WaitQueue,
}

impl std::fmt::Debug for EventFd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EventFd({})", *self.count.lock())
    }
}

impl EventFd {
    pub fn new(initval: u64, semaphore: bool) -> EventFd {
        EventFd {
            count: Mutex::new(initval),
            semaphore,
            queue: WaitQueue::new(),
        }
    }

    pub fn count(&self) -> u64 {
        *self.count.lock()
    }
}

/// Give back `n` bytes a write took from `src` but did not use, so a
/// retried write reads them again (they do not count as written).
fn unconsume(src: &mut IoSrc, n: usize) {
    match src {
        IoSrc::User { done, .. } => *done = done.saturating_sub(n as u64),
        IoSrc::Buf { done, .. } => *done = done.saturating_sub(n),
        IoSrc::Lazy { .. } => {}
    }
}

impl FileOps for EventFd {
    fn read(&self, _f: &File, dst: &mut IoDst, _off: i64) -> Result<u64, Errno> {
        if dst.remaining() < 8 {
            return Err(Errno::EINVAL);
        }
        let v = {
            let mut c = self.count.lock();
            if *c == 0 {
                return Err(Errno::EAGAIN);
            }
            let v = if self.semaphore { 1 } else { *c };
            *c -= v;
            v
        };
        self.queue.notify(POLLOUT as u64);
        // As on Linux, the counter is taken even if the copy then faults.
        if dst.put(&v.to_ne_bytes())? != 8 {
            return Err(Errno::EFAULT);
        }
        Ok(8)
    }

    fn write(&self, _f: &File, src: &mut IoSrc, _off: i64) -> Result<u64, Errno> {
        // Linux 6.x takes exactly one 8-byte value (older kernels took the
        // first 8 bytes of a longer buffer).
        if src.remaining() != 8 {
            return Err(Errno::EINVAL);
        }
        let mut b = [0u8; 8];
        let n = src.take(&mut b).map_err(|_| Errno::EFAULT)?;
        if n != 8 {
            return Err(Errno::EFAULT);
        }
        let v = u64::from_ne_bytes(b);
        if v == u64::MAX {
            return Err(Errno::EINVAL);
        }
        {
            let mut c = self.count.lock();
            if u64::MAX - *c <= v {
                unconsume(src, 8);
                return Err(Errno::EAGAIN);
            }
            *c += v;
        }
        // Even adding 0 wakes readers (and fires edge-triggered epoll), as on Linux.
        self.queue.notify(POLLIN as u64);
        Ok(8)
    }

    fn seekable(&self) -> bool {
        false
    }

    /// lseek is a no-op returning 0 (Linux's noop_llseek).
    fn own_position(&self) -> bool {
        true
    }

    fn seek(&self, _f: &File, _off: i64, _whence: i32) -> Result<i64, Errno> {
        Ok(0)
    }

    fn poll(&self, _f: &File) -> u32 {
        let c = *self.count.lock();
        let mut m = 0;
        if c > 0 {
            m |= POLLIN;
        }
        if c == u64::MAX {
            m |= POLLERR;
        }
        if u64::MAX - 1 > c {
            m |= POLLOUT;
        }
        m
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.queue)
    }

    fn attr(&self) -> Result<Attr, Errno> {
        Ok(crate::fs::anon::attr())
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(e: EventFd) -> std::sync::Arc<File> {
        File::new(Box::new(e), None, None, libc::O_RDWR as u32)
    }

    fn rd(f: &File) -> Result<u64, Errno> {
        let mut b = [0u8; 8];
        f.ops.read(f, &mut IoDst::buf(&mut b), 0)?;
        Ok(u64::from_ne_bytes(b))
    }

    fn wr(f: &File, v: u64) -> Result<u64, Errno> {
        f.ops.write(f, &mut IoSrc::buf(&v.to_ne_bytes()), 0)
    }

    #[test]
    fn counter_and_semaphore() {
        let f = file(EventFd::new(3, false));
        assert_eq!(wr(&f, 4), Ok(8));
        assert_eq!(rd(&f), Ok(7));
        assert_eq!(rd(&f), Err(Errno::EAGAIN));
        let s = file(EventFd::new(2, true));
        assert_eq!(rd(&s), Ok(1));
        assert_eq!(rd(&s), Ok(1));
        assert_eq!(rd(&s), Err(Errno::EAGAIN));
    }

    #[test]
    fn limits() {
        let f = file(EventFd::new(0, false));
        assert_eq!(wr(&f, u64::MAX), Err(Errno::EINVAL));
        assert_eq!(wr(&f, u64::MAX - 1), Ok(8));
        assert_eq!(f.ops.poll(&f), POLLIN);
        // The retried write must see its value again.
        let src_bytes = 1u64.to_ne_bytes();
        let mut src = IoSrc::buf(&src_bytes);
        assert_eq!(f.ops.write(&f, &mut src, 0), Err(Errno::EAGAIN));
        assert_eq!(src.remaining(), 8);
        let mut small = [0u8; 4];
        assert_eq!(
            f.ops.read(&f, &mut IoDst::buf(&mut small), 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            f.ops.write(&f, &mut IoSrc::buf(&small), 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(rd(&f), Ok(u64::MAX - 1));
        assert_eq!(f.ops.poll(&f), POLLOUT);
    }
}
