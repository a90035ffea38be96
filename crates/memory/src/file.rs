//! The memfd and the Sentry's mapping of it.

use crate::frames::FrameAllocator;
use abi::{Errno, PAGE_SIZE};
use parking_lot::Mutex;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// A run of bytes in the MemoryFile: `(offset, length)`.
pub type Block = (u64, u64);

/// One memfd holding every application page of a sandbox.
#[derive(Debug)]
pub struct MemoryFile {
    fd: OwnedFd,
    /// Start of the Sentry's shared mapping of the whole file.
    base: *mut u8,
    size: u64,
    frames: Mutex<FrameAllocator>,
}

// SAFETY: `base` points at a MAP_SHARED mapping that lives as long as the
// MemoryFile and is only accessed through raw copies; the allocator is behind
// a mutex.
unsafe impl Send for MemoryFile {}
// SAFETY: as above; all shared state is synchronised or raw shared memory.
unsafe impl Sync for MemoryFile {}

impl Drop for MemoryFile {
    fn drop(&mut self) {
        // SAFETY: `base`/`size` is exactly the mapping created in `new`.
        unsafe { libc::munmap(self.base.cast(), self.size as usize) };
    }
}

impl MemoryFile {
    /// Create a sparse memfd of `size` bytes and map it. Storage is consumed
    /// only by pages that are written.
    pub fn new(size: u64) -> std::io::Result<MemoryFile> {
        let name = c"rvisor-memory";
        // MFD_EXEC: application code is mapped from this file.
        const MFD_EXEC: libc::c_uint = 0x10;
        // SAFETY: name is a valid C string; the kernel returns a new fd or -1.
        let mut fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC | MFD_EXEC) };
        if fd < 0 {
            // SAFETY: as above, for kernels without MFD_EXEC.
            fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
        }
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: fd was just returned by memfd_create and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: plain syscall on an fd we own.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), size as libc::off_t) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: a fresh shared mapping of our own memfd; no existing memory is affected.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_NORESERVE,
                fd.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(MemoryFile {
            fd,
            base: base.cast(),
            size,
            frames: Mutex::new(FrameAllocator::new(size)),
        })
    }

    /// The memfd, for the platform to map frames into application address spaces.
    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Allocate `len` bytes of zeroed frames (reference count 1).
    pub fn allocate(&self, len: u64) -> Result<u64, Errno> {
        self.frames.lock().alloc(len)
    }

    pub fn incref(&self, off: u64, len: u64) {
        self.frames.lock().incref(off, len)
    }

    /// Drop a reference; frames that become free have their storage released,
    /// so a later allocation reads zeros.
    pub fn decref(&self, off: u64, len: u64) {
        let freed = self.frames.lock().decref(off, len);
        if freed.is_empty() {
            return;
        }
        // Discard the old contents first; only then may the frames be handed
        // out again (a punch after reuse would wipe the new owner's data).
        for &(s, l) in &freed {
            self.punch(s, l);
        }
        let mut frames = self.frames.lock();
        for (s, l) in freed {
            frames.release(s, l);
        }
    }

    pub fn refcount(&self, off: u64) -> u32 {
        self.frames.lock().refcount(off)
    }

    /// Bytes of frames handed out.
    pub fn allocated_bytes(&self) -> u64 {
        self.frames.lock().used_bytes()
    }

    /// Bytes of host memory actually holding data.
    pub fn resident_bytes(&self) -> u64 {
        // SAFETY: fstat into a zeroed struct on our own fd.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: valid fd and out-pointer.
        if unsafe { libc::fstat(self.fd.as_raw_fd(), &mut st) } != 0 {
            return 0;
        }
        st.st_blocks as u64 * 512
    }

    fn punch(&self, off: u64, len: u64) {
        // SAFETY: fallocate on our own fd; punching a hole only discards data of free frames.
        unsafe {
            libc::fallocate(
                self.fd.as_raw_fd(),
                libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                off as libc::off_t,
                len as libc::off_t,
            )
        };
    }

    /// Give `[off, off + len)` real storage now (MAP_POPULATE, mlock): touch
    /// every page, so it is resident as Linux's populate makes it.
    pub fn commit(&self, off: u64, len: u64) -> Result<(), Errno> {
        let p = self.check(off, len as usize)?;
        let mut at = 0u64;
        while at < len {
            // SAFETY: `p + at` is inside the checked range. A volatile
            // read-modify-write of one byte keeps its value and makes the
            // host allocate the page.
            unsafe {
                let b = p.add(at as usize);
                std::ptr::write_volatile(b, std::ptr::read_volatile(b));
            }
            at += PAGE_SIZE;
        }
        Ok(())
    }

    fn check(&self, off: u64, len: usize) -> Result<*mut u8, Errno> {
        match off.checked_add(len as u64) {
            Some(end) if end <= self.size => {
                // SAFETY: off < size, so the result stays inside the mapping.
                Ok(unsafe { self.base.add(off as usize) })
            }
            _ => Err(Errno::EFAULT),
        }
    }

    /// Copy `buf.len()` bytes at `off` into `buf`.
    pub fn read(&self, off: u64, buf: &mut [u8]) -> Result<(), Errno> {
        let p = self.check(off, buf.len())?;
        // SAFETY: `p..p+len` is inside the mapping (checked); `buf` is a distinct
        // Sentry buffer. Application threads may write the same frames
        // concurrently; that is a race the application owns, as on Linux.
        unsafe { std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }

    /// Copy `data` to `off`.
    pub fn write(&self, off: u64, data: &[u8]) -> Result<(), Errno> {
        let p = self.check(off, data.len())?;
        // SAFETY: destination is inside the mapping (checked); source is Sentry memory.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
        Ok(())
    }

    /// Atomically replace the u32 at `off` (4-aligned) with `f(old)`;
    /// returns the old value. Atomic with respect to application threads
    /// touching the same memory, which shares the frame.
    pub fn update_u32(&self, off: u64, f: impl Fn(u32) -> u32) -> Result<u32, Errno> {
        if !off.is_multiple_of(4) {
            return Err(Errno::EINVAL);
        }
        let p = self.check(off, 4)?;
        // SAFETY: `p` is 4-aligned and inside the mapping; AtomicU32 has the
        // layout of u32, and all accesses from the Sentry to this word go
        // through atomics here.
        let a = unsafe { &*(p as *const std::sync::atomic::AtomicU32) };
        let mut old = a.load(std::sync::atomic::Ordering::SeqCst);
        loop {
            match a.compare_exchange(
                old,
                f(old),
                std::sync::atomic::Ordering::SeqCst,
                std::sync::atomic::Ordering::SeqCst,
            ) {
                Ok(v) => return Ok(v),
                Err(v) => old = v,
            }
        }
    }

    /// The u32 at `off` (4-aligned) as an atomic, for words shared with
    /// another process that maps the same frame (the systrap platform's
    /// message pages). Its address is also valid for `futex(2)`: the
    /// mapping is `MAP_SHARED`, so the futex key is the frame itself.
    pub fn atomic_u32(&self, off: u64) -> Result<&std::sync::atomic::AtomicU32, Errno> {
        if !off.is_multiple_of(4) {
            return Err(Errno::EINVAL);
        }
        let p = self.check(off, 4)?;
        // SAFETY: `p` is 4-aligned and inside the mapping, which lives as
        // long as `self` (the returned reference borrows `self`). AtomicU32
        // has the layout of u32; whoever else touches the word (the Sentry
        // through this method, a stub process through its own mapping) does
        // so with atomic instructions.
        Ok(unsafe { &*(p as *const std::sync::atomic::AtomicU32) })
    }

    /// Zero `len` bytes at `off`. Whole pages are released rather than written.
    pub fn zero(&self, off: u64, len: u64) -> Result<(), Errno> {
        let p = self.check(off, len as usize)?;
        if off.is_multiple_of(PAGE_SIZE) && len.is_multiple_of(PAGE_SIZE) && len >= 4 * PAGE_SIZE {
            self.punch(off, len);
        } else {
            // SAFETY: range checked above.
            unsafe { std::ptr::write_bytes(p, 0, len as usize) };
        }
        Ok(())
    }

    /// Copy `len` bytes between frames. Pages of the source that were never
    /// written are skipped, so copying untouched memory costs no storage.
    pub fn copy(&self, dst: u64, src: u64, len: u64) -> Result<(), Errno> {
        let d = self.check(dst, len as usize)?;
        let s = self.check(src, len as usize)?;
        if src.is_multiple_of(PAGE_SIZE)
            && dst.is_multiple_of(PAGE_SIZE)
            && len.is_multiple_of(PAGE_SIZE)
        {
            let present = self.present(src, len);
            for (i, here) in present.iter().enumerate() {
                if *here {
                    let o = i * PAGE_SIZE as usize;
                    // SAFETY: both pages lie inside checked ranges; ranges are distinct frames.
                    unsafe { std::ptr::copy(s.add(o), d.add(o), PAGE_SIZE as usize) };
                }
            }
        } else {
            if len >= 64 * 1024
                && (dst >= src + len || src >= dst + len)
                && self.copy_in_kernel(dst, src, len)
            {
                return Ok(());
            }
            // SAFETY: both ranges checked; `copy` tolerates overlap.
            unsafe { std::ptr::copy(s, d, len as usize) };
        }
        Ok(())
    }

    /// Copy between distinct ranges of the file inside the host kernel
    /// (copy_file_range), which touches no page tables of ours: far cheaper
    /// than faulting fresh pages into the Sentry's mapping one by one.
    fn copy_in_kernel(&self, dst: u64, src: u64, len: u64) -> bool {
        let mut done = 0u64;
        while done < len {
            let mut so = (src + done) as libc::loff_t;
            let mut doff = (dst + done) as libc::loff_t;
            // SAFETY: plain syscall on our own fd with valid offset pointers.
            let r = unsafe {
                libc::copy_file_range(
                    self.fd.as_raw_fd(),
                    &mut so,
                    self.fd.as_raw_fd(),
                    &mut doff,
                    (len - done) as usize,
                    0,
                )
            };
            if r <= 0 {
                break;
            }
            done += r as u64;
        }
        if done == len {
            return true;
        }
        if done > 0 {
            // Finish the rest in user space.
            // SAFETY: the remaining ranges are inside the checked ranges.
            unsafe {
                std::ptr::copy(
                    self.base.add((src + done) as usize),
                    self.base.add((dst + done) as usize),
                    (len - done) as usize,
                )
            };
            return true;
        }
        false
    }

    /// For each page of `[off, off+len)`, whether it holds data (mincore on
    /// the Sentry mapping; untouched shmem pages are holes).
    pub fn present(&self, off: u64, len: u64) -> Vec<bool> {
        let pages = len.div_ceil(PAGE_SIZE) as usize;
        let mut vec = vec![0u8; pages];
        let Ok(p) = self.check(off & !(PAGE_SIZE - 1), len as usize) else {
            return vec![false; pages];
        };
        // SAFETY: the range is inside our mapping and `vec` has one byte per page.
        let r = unsafe { libc::mincore(p.cast(), len as usize, vec.as_mut_ptr()) };
        if r != 0 {
            return vec![true; pages];
        }
        vec.iter().map(|b| b & 1 != 0).collect()
    }

    fn iovecs(&self, blocks: &[Block]) -> Result<Vec<libc::iovec>, Errno> {
        blocks
            .iter()
            .map(|&(off, len)| {
                let p = self.check(off, len as usize)?;
                Ok(libc::iovec {
                    iov_base: p.cast(),
                    iov_len: len as usize,
                })
            })
            .collect()
    }

    /// Read from a host fd straight into frames (`preadv`, or `readv` when
    /// `off` is None). Returns bytes read.
    pub fn read_from_fd(
        &self,
        fd: RawFd,
        off: Option<i64>,
        blocks: &[Block],
    ) -> Result<usize, Errno> {
        let iov = self.iovecs(blocks)?;
        let n = iov.len().min(1024) as libc::c_int;
        // SAFETY: every iovec points inside our mapping (checked in `iovecs`).
        let r = unsafe {
            match off {
                Some(o) => libc::preadv(fd, iov.as_ptr(), n, o),
                None => libc::readv(fd, iov.as_ptr(), n),
            }
        };
        if r < 0 {
            Err(Errno::last())
        } else {
            Ok(r as usize)
        }
    }

    /// Write frames to a host fd (`pwritev`, or `writev` when `off` is None).
    pub fn write_to_fd(
        &self,
        fd: RawFd,
        off: Option<i64>,
        blocks: &[Block],
    ) -> Result<usize, Errno> {
        let iov = self.iovecs(blocks)?;
        let n = iov.len().min(1024) as libc::c_int;
        // SAFETY: every iovec points inside our mapping (checked in `iovecs`).
        let r = unsafe {
            match off {
                Some(o) => libc::pwritev(fd, iov.as_ptr(), n, o),
                None => libc::writev(fd, iov.as_ptr(), n),
            }
        };
        if r < 0 {
            Err(Errno::last())
        } else {
            Ok(r as usize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_read_write_and_release() {
        let mf = MemoryFile::new(1 << 30).unwrap();
        let f = mf.allocate(2 * PAGE_SIZE).unwrap();
        mf.write(f + 10, b"hello").unwrap();
        let mut b = [0u8; 5];
        mf.read(f + 10, &mut b).unwrap();
        assert_eq!(&b, b"hello");
        assert_eq!(mf.present(f, 2 * PAGE_SIZE), vec![true, false]);
        let g = mf.allocate(2 * PAGE_SIZE).unwrap();
        mf.copy(g, f, 2 * PAGE_SIZE).unwrap();
        mf.read(g + 10, &mut b).unwrap();
        assert_eq!(&b, b"hello");
        assert_eq!(mf.present(g, 2 * PAGE_SIZE), vec![true, false]);
        mf.decref(f, 2 * PAGE_SIZE);
        // A freed frame comes back zeroed.
        let h = mf.allocate(PAGE_SIZE).unwrap();
        assert_eq!(h, f);
        mf.read(h + 10, &mut b).unwrap();
        assert_eq!(b, [0; 5]);
        assert!(mf.read(mf.size() - 2, &mut b).is_err());
    }
}
