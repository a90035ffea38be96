//! Copies between application memory and the Sentry, and the I/O
//! destinations/sources file operations read into and write from.

use super::Mm;
use abi::{Errno, Iovec};
use memory::{Block, MemoryFile};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::Arc;
use zerocopy::{FromBytes, Immutable, IntoBytes};

/// Frames of application memory the Sentry is using, referenced until dropped
/// so a concurrent munmap cannot hand them to someone else meanwhile.
pub struct Pinned {
    mf: Arc<MemoryFile>,
    pub blocks: Vec<Block>,
}

impl Pinned {
    pub fn new(mf: Arc<MemoryFile>, blocks: Vec<Block>) -> Pinned {
        Pinned { mf, blocks }
    }

    pub fn len(&self) -> u64 {
        self.blocks.iter().map(|b| b.1).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn mf(&self) -> &MemoryFile {
        &self.mf
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        for &(f, l) in &self.blocks {
            self.mf.decref(f, l);
        }
    }
}

/// Where a read puts its bytes: application memory or a Sentry buffer.
pub enum IoDst<'a> {
    User {
        pin: Pinned,
        done: u64,
    },
    /// Application memory (segments of an iovec) not translated yet: files
    /// that never touch the buffer (/dev/null, directories) must not fault
    /// on it, as on Linux.
    Lazy {
        mm: Arc<Mm>,
        segs: Vec<(u64, u64)>,
    },
    Buf {
        buf: &'a mut [u8],
        done: usize,
    },
}

/// Translate `segs` with Linux's prefix rule: stop at the first fault;
/// EFAULT only if nothing at all is accessible.
fn translate_segs(mm: &Mm, segs: &[(u64, u64)], write: bool) -> Result<Pinned, Errno> {
    if let [(addr, len)] = segs {
        return mm.translate(*addr, *len, write);
    }
    let mut blocks = Vec::new();
    let mut pins = Vec::new();
    for &(addr, len) in segs {
        if len == 0 {
            continue;
        }
        match mm.translate(addr, len, write) {
            Ok(p) => {
                let full = p.len() == len;
                blocks.extend_from_slice(&p.blocks);
                pins.push(p);
                if !full {
                    break;
                }
            }
            Err(e) => {
                if blocks.is_empty() {
                    return Err(e);
                }
                break;
            }
        }
    }
    for &(f, l) in &blocks {
        mm.mf.incref(f, l);
    }
    drop(pins);
    Ok(Pinned::new(mm.mf.clone(), blocks))
}

impl<'a> IoDst<'a> {
    pub fn buf(buf: &'a mut [u8]) -> IoDst<'a> {
        IoDst::Buf { buf, done: 0 }
    }

    /// Bytes still wanted.
    pub fn remaining(&self) -> u64 {
        match self {
            IoDst::User { pin, done } => pin.len() - done,
            IoDst::Lazy { segs, .. } => segs.iter().map(|s| s.1).sum(),
            IoDst::Buf { buf, done } => (buf.len() - done) as u64,
        }
    }

    pub fn written(&self) -> u64 {
        match self {
            IoDst::User { done, .. } => *done,
            IoDst::Lazy { .. } => 0,
            IoDst::Buf { done, .. } => *done as u64,
        }
    }

    /// Translate a lazy destination now.
    fn force(&mut self) -> Result<(), Errno> {
        if let IoDst::Lazy { mm, segs } = self {
            let pin = translate_segs(mm, segs, true)?;
            *self = IoDst::User { pin, done: 0 };
        }
        Ok(())
    }

    /// Append bytes; returns how many fitted.
    pub fn put(&mut self, data: &[u8]) -> Result<usize, Errno> {
        self.force()?;
        match self {
            IoDst::Lazy { .. } => Ok(0),
            IoDst::Buf { buf, done } => {
                let n = data.len().min(buf.len() - *done);
                buf[*done..*done + n].copy_from_slice(&data[..n]);
                *done += n;
                Ok(n)
            }
            IoDst::User { pin, done } => {
                let mut copied = 0usize;
                for (frame, len) in sub_blocks(&pin.blocks, *done, data.len() as u64) {
                    pin.mf.write(frame, &data[copied..copied + len as usize])?;
                    copied += len as usize;
                }
                *done += copied as u64;
                Ok(copied)
            }
        }
    }

    /// Append `len` bytes from MemoryFile frames starting at `frame`.
    pub fn put_frames(&mut self, mf: &MemoryFile, frame: u64, len: u64) -> Result<u64, Errno> {
        self.force()?;
        match self {
            IoDst::Lazy { .. } => Ok(0),
            IoDst::Buf { buf, done } => {
                let n = (len as usize).min(buf.len() - *done);
                mf.read(frame, &mut buf[*done..*done + n])?;
                *done += n;
                Ok(n as u64)
            }
            IoDst::User { pin, done } => {
                let mut copied = 0u64;
                for (dst, l) in sub_blocks(&pin.blocks, *done, len) {
                    pin.mf.copy(dst, frame + copied, l)?;
                    copied += l;
                }
                *done += copied;
                Ok(copied)
            }
        }
    }

    /// Append zeros.
    pub fn put_zeros(&mut self, len: u64) -> Result<u64, Errno> {
        let zeros = [0u8; 4096];
        let mut left = len.min(self.remaining());
        let mut total = 0;
        while left > 0 {
            let n = self.put(&zeros[..left.min(4096) as usize])? as u64;
            if n == 0 {
                break;
            }
            total += n;
            left -= n;
        }
        Ok(total)
    }

    /// Read from a host fd straight into the destination (one host call).
    pub fn read_from_fd(&mut self, fd: BorrowedFd<'_>, off: Option<i64>) -> Result<u64, Errno> {
        self.force()?;
        match self {
            IoDst::Lazy { .. } => Ok(0),
            IoDst::Buf { buf, done } => {
                let b = &mut buf[*done..];
                let n = host_read(fd, b, off)?;
                *done += n;
                Ok(n as u64)
            }
            IoDst::User { pin, done } => {
                let blocks = sub_blocks(&pin.blocks, *done, u64::MAX);
                let n = pin.mf.read_from_fd(fd.as_raw_fd(), off, &blocks)? as u64;
                *done += n;
                Ok(n)
            }
        }
    }
}

/// Where a write takes its bytes from.
pub enum IoSrc<'a> {
    User {
        pin: Pinned,
        done: u64,
    },
    /// Application memory not translated yet (see `IoDst::Lazy`).
    Lazy {
        mm: Arc<Mm>,
        segs: Vec<(u64, u64)>,
    },
    Buf {
        buf: &'a [u8],
        done: usize,
    },
}

impl<'a> IoSrc<'a> {
    pub fn buf(buf: &'a [u8]) -> IoSrc<'a> {
        IoSrc::Buf { buf, done: 0 }
    }

    pub fn remaining(&self) -> u64 {
        match self {
            IoSrc::User { pin, done } => pin.len() - done,
            IoSrc::Lazy { segs, .. } => segs.iter().map(|s| s.1).sum(),
            IoSrc::Buf { buf, done } => (buf.len() - done) as u64,
        }
    }

    fn force(&mut self) -> Result<(), Errno> {
        if let IoSrc::Lazy { mm, segs } = self {
            let pin = translate_segs(mm, segs, false)?;
            *self = IoSrc::User { pin, done: 0 };
        }
        Ok(())
    }

    /// Take up to `out.len()` bytes.
    pub fn take(&mut self, out: &mut [u8]) -> Result<usize, Errno> {
        self.force()?;
        match self {
            IoSrc::Lazy { .. } => Ok(0),
            IoSrc::Buf { buf, done } => {
                let n = out.len().min(buf.len() - *done);
                out[..n].copy_from_slice(&buf[*done..*done + n]);
                *done += n;
                Ok(n)
            }
            IoSrc::User { pin, done } => {
                let mut copied = 0usize;
                for (frame, len) in sub_blocks(&pin.blocks, *done, out.len() as u64) {
                    pin.mf
                        .read(frame, &mut out[copied..copied + len as usize])?;
                    copied += len as usize;
                }
                *done += copied as u64;
                Ok(copied)
            }
        }
    }

    /// Take `len` bytes into MemoryFile frames starting at `frame`.
    pub fn take_into_frames(
        &mut self,
        mf: &MemoryFile,
        frame: u64,
        len: u64,
    ) -> Result<u64, Errno> {
        self.force()?;
        match self {
            IoSrc::Lazy { .. } => Ok(0),
            IoSrc::Buf { buf, done } => {
                let n = (len as usize).min(buf.len() - *done);
                mf.write(frame, &buf[*done..*done + n])?;
                *done += n;
                Ok(n as u64)
            }
            IoSrc::User { pin, done } => {
                let mut copied = 0u64;
                for (src, l) in sub_blocks(&pin.blocks, *done, len) {
                    pin.mf.copy(frame + copied, src, l)?;
                    copied += l;
                }
                *done += copied;
                Ok(copied)
            }
        }
    }

    /// Write the rest to a host fd (one host call); returns bytes written.
    pub fn write_to_fd(&mut self, fd: BorrowedFd<'_>, off: Option<i64>) -> Result<u64, Errno> {
        self.force()?;
        match self {
            IoSrc::Lazy { .. } => Ok(0),
            IoSrc::Buf { buf, done } => {
                let n = host_write(fd, &buf[*done..], off)?;
                *done += n;
                Ok(n as u64)
            }
            IoSrc::User { pin, done } => {
                let blocks = sub_blocks(&pin.blocks, *done, u64::MAX);
                let n = pin.mf.write_to_fd(fd.as_raw_fd(), off, &blocks)? as u64;
                *done += n;
                Ok(n)
            }
        }
    }

    /// Everything that is left, as one buffer.
    pub fn take_all(&mut self) -> Result<Vec<u8>, Errno> {
        let mut v = vec![0u8; self.remaining() as usize];
        let n = self.take(&mut v)?;
        v.truncate(n);
        Ok(v)
    }
}

fn host_read(fd: BorrowedFd<'_>, b: &mut [u8], off: Option<i64>) -> Result<usize, Errno> {
    let r = match off {
        Some(o) => rustix::io::pread(fd, b, o as u64),
        None => rustix::io::read(fd, b),
    };
    r.map_err(|e| Errno(e.raw_os_error()))
}

fn host_write(fd: BorrowedFd<'_>, b: &[u8], off: Option<i64>) -> Result<usize, Errno> {
    let r = match off {
        Some(o) => rustix::io::pwrite(fd, b, o as u64),
        None => rustix::io::write(fd, b),
    };
    r.map_err(|e| Errno(e.raw_os_error()))
}

/// The part of `blocks` from byte `skip` on, at most `len` bytes.
fn sub_blocks(blocks: &[Block], mut skip: u64, mut len: u64) -> Vec<Block> {
    let mut out = Vec::new();
    for &(f, l) in blocks {
        if len == 0 {
            break;
        }
        if skip >= l {
            skip -= l;
            continue;
        }
        let n = (l - skip).min(len);
        out.push((f + skip, n));
        len -= n;
        skip = 0;
    }
    out
}

/// Highest user address + 1 Linux's `access_ok` checks against.
pub const TASK_SIZE_MAX: u64 = 0x7fff_ffff_f000;

/// Linux's `access_ok`: the range must not wrap and must lie below the top
/// of the user address space (nothing is touched yet).
pub fn access_ok(addr: u64, len: u64) -> Result<(), Errno> {
    match addr.checked_add(len) {
        Some(end) if end <= TASK_SIZE_MAX => Ok(()),
        _ => Err(Errno::EFAULT),
    }
}

impl Mm {
    /// Copy application memory into `buf`; the whole range must be readable.
    pub fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        let pin = self.translate(addr, buf.len() as u64, false)?;
        if pin.len() < buf.len() as u64 {
            return Err(Errno::EFAULT);
        }
        let mut at = 0usize;
        for &(f, l) in &pin.blocks {
            self.mf.read(f, &mut buf[at..at + l as usize])?;
            at += l as usize;
        }
        Ok(())
    }

    /// Copy `data` to application memory; the whole range must be writable.
    pub fn write_bytes(&self, addr: u64, data: &[u8]) -> Result<(), Errno> {
        let pin = self.translate(addr, data.len() as u64, true)?;
        if pin.len() < data.len() as u64 {
            return Err(Errno::EFAULT);
        }
        let mut at = 0usize;
        for &(f, l) in &pin.blocks {
            self.mf.write(f, &data[at..at + l as usize])?;
            at += l as usize;
        }
        Ok(())
    }

    pub fn read_obj<T: FromBytes + IntoBytes>(&self, addr: u64) -> Result<T, Errno> {
        let mut v = T::new_zeroed();
        self.read_bytes(addr, v.as_mut_bytes())?;
        Ok(v)
    }

    pub fn write_obj<T: IntoBytes + Immutable>(&self, addr: u64, v: &T) -> Result<(), Errno> {
        self.write_bytes(addr, v.as_bytes())
    }

    /// A NUL-terminated string of at most `max` bytes (without the NUL).
    /// ENAMETOOLONG if no NUL within `max`; EFAULT if unreadable before the NUL.
    pub fn read_cstring(&self, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        let mut at = addr;
        loop {
            // Read up to the end of the current page so we never touch a
            // page past the terminator.
            let chunk = (abi::PAGE_SIZE - at % abi::PAGE_SIZE) as usize;
            let mut buf = vec![0u8; chunk];
            self.read_bytes(at, &mut buf)?;
            if let Some(i) = buf.iter().position(|&b| b == 0) {
                out.extend_from_slice(&buf[..i]);
                if out.len() > max {
                    return Err(Errno::ENAMETOOLONG);
                }
                return Ok(out);
            }
            out.extend_from_slice(&buf);
            if out.len() > max {
                return Err(Errno::ENAMETOOLONG);
            }
            at = at.checked_add(chunk as u64).ok_or(Errno::EFAULT)?;
        }
    }

    /// An iovec array (`count` entries, at most 1024 as UIO_MAXIOV).
    pub fn read_iovecs(&self, addr: u64, count: u64) -> Result<Vec<Iovec>, Errno> {
        if count > 1024 {
            return Err(Errno::EINVAL);
        }
        let mut v = vec![Iovec::default(); count as usize];
        self.read_bytes(addr, v.as_mut_slice().as_mut_bytes())?;
        // As Linux's import_iovec: negative lengths are EINVAL, each segment
        // must pass access_ok, and the total is capped at MAX_RW_COUNT.
        if v.iter().any(|iov| iov.len > i64::MAX as u64) {
            return Err(Errno::EINVAL);
        }
        let mut total: u64 = 0;
        for iov in &mut v {
            access_ok(iov.base, iov.len)?;
            let room = 0x7fff_f000u64 - total;
            iov.len = iov.len.min(room);
            total += iov.len;
        }
        Ok(v)
    }

    /// Destination for a vectored read into `iovs`, translated on first use.
    pub fn dst_iovecs(self: &Arc<Self>, iovs: &[Iovec]) -> IoDst<'static> {
        IoDst::Lazy {
            mm: self.clone(),
            segs: iovs
                .iter()
                .filter(|v| v.len > 0)
                .map(|v| (v.base, v.len))
                .collect(),
        }
    }

    /// Source for a vectored write from `iovs`, translated on first use.
    pub fn src_iovecs(self: &Arc<Self>, iovs: &[Iovec]) -> IoSrc<'static> {
        IoSrc::Lazy {
            mm: self.clone(),
            segs: iovs
                .iter()
                .filter(|v| v.len > 0)
                .map(|v| (v.base, v.len))
                .collect(),
        }
    }

    /// Destination for reading `len` bytes into application memory at
    /// `addr`, translated when the file first writes to it.
    pub fn dst(self: &Arc<Self>, addr: u64, len: u64) -> Result<IoDst<'static>, Errno> {
        Ok(IoDst::Lazy {
            mm: self.clone(),
            segs: vec![(addr, len)],
        })
    }

    /// Source for writing `len` bytes from application memory at `addr`,
    /// translated when the file first reads from it.
    pub fn src(self: &Arc<Self>, addr: u64, len: u64) -> Result<IoSrc<'static>, Errno> {
        Ok(IoSrc::Lazy {
            mm: self.clone(),
            segs: vec![(addr, len)],
        })
    }
}
