//! Pipes and FIFOs: a kernel buffer with a read side and a write side.
//!
//! The buffer is Linux's: a ring of page-sized slots (16 by default,
//! F_SETPIPE_SZ changes the count). A write first tops up the last slot
//! with the part of it that is not a whole number of pages, then fills
//! fresh slots a page at a time; the pipe is full when every slot is in
//! use, whatever their fill. That is what makes writes of at most PIPE_BUF
//! bytes atomic, and it is why byte counts (how much fits before EAGAIN,
//! what a nonblocking write returns) match Linux exactly. Slots written by
//! a packet-mode (O_DIRECT) writer are packets: never merged, and a read
//! takes at most one of them.
//!
//! Readiness changes are announced on the pipe's one wait queue with poll
//! bits, always after the state lock is dropped. Blocking is not done
//! here: reads and writes that cannot proceed answer EAGAIN and the
//! syscall layer waits on the queue (`syscalls::blocking`); FIFO opens wait
//! in [`FileOps::open_wait`].
//!
//! May use: `vfs` (file interface), `mm` (I/O buffers), `kernel` (wait
//! queues, tasks for open waits), `fs::devnum`.
//!
//! Lock order: `Pipe::st` is a leaf (never held across a notification or
//! a call into other objects; copies to and from application memory are
//! done under it, as Linux does under the pipe mutex).

use crate::fs::devnum;
use crate::kernel::waiter::{WaitQueue, EV_ALL};
use crate::kernel::Task;
use crate::mm::{IoDst, IoSrc};
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::{Attr, Owner, S_IFIFO};
use abi::{Errno, Timespec};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

const PAGE: usize = 4096;
/// Writes of at most this many bytes are atomic.
pub const PIPE_BUF: usize = 4096;
/// A new pipe's capacity: 16 pages.
pub const DEFAULT_PIPE_SIZE: u64 = 16 * PAGE as u64;
const DEFAULT_SLOTS: usize = 16;
/// /proc/sys/fs/pipe-max-size: the most an unprivileged F_SETPIPE_SZ may ask.
pub const PIPE_MAX_SIZE: u64 = 1 << 20;

const POLLIN: u32 = libc::POLLIN as u32;
const POLLOUT: u32 = libc::POLLOUT as u32;
const POLLERR: u32 = libc::POLLERR as u32;
const POLLHUP: u32 = libc::POLLHUP as u32;
const POLLRDNORM: u32 = libc::POLLRDNORM as u32;
const POLLWRNORM: u32 = libc::POLLWRNORM as u32;

/// Events announced when data arrives / when room appears.
pub const EV_READABLE: u64 = (POLLIN | POLLRDNORM) as u64;
pub const EV_WRITABLE: u64 = (POLLOUT | POLLWRNORM) as u64;

/// One slot: a page holding `len` bytes from `off`.
struct Buf {
    page: Box<[u8]>,
    off: usize,
    len: usize,
    /// Written in packet mode: not merged into, read whole or truncated.
    packet: bool,
}

struct State {
    bufs: VecDeque<Buf>,
    /// Slots the pipe may use (capacity / page size).
    max_slots: usize,
    readers: u32,
    writers: u32,
    /// Opens for reading / writing ever made: a FIFO opener waiting for
    /// its other side waits for these to change (Linux's r_counter/w_counter).
    r_counter: u64,
    w_counter: u64,
    /// A freed page kept for the next write (Linux's tmp_page).
    spare: Option<Box<[u8]>>,
}

impl State {
    fn full(&self) -> bool {
        self.bufs.len() >= self.max_slots
    }

    fn bytes(&self) -> u64 {
        self.bufs.iter().map(|b| b.len as u64).sum()
    }

    fn page(&mut self) -> Box<[u8]> {
        self.spare
            .take()
            .unwrap_or_else(|| vec![0u8; PAGE].into_boxed_slice())
    }

    fn recycle(&mut self, page: Box<[u8]>) {
        if self.spare.is_none() {
            self.spare = Some(page);
        }
    }
}

/// A pipe: shared by its ends (anonymous pipes) or held by a FIFO inode.
pub struct Pipe {
    st: Mutex<State>,
    queue: WaitQueue,
    /// A FIFO's pipe: opens follow FIFO rules and the contents go when the
    /// last end closes. (An anonymous pipe goes with its last end anyway.)
    fifo: bool,
    /// What fstat on an anonymous pipe shows.
    ino: u64,
    owner: Owner,
    created: Timespec,
}

impl std::fmt::Debug for Pipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pipe(ino={})", self.ino)
    }
}

/// The device number of pipefs, where anonymous pipes live.
fn pipefs_dev() -> u64 {
    static DEV: OnceLock<u64> = OnceLock::new();
    *DEV.get_or_init(devnum::alloc_anon_dev)
}

static NEXT_INO: AtomicU64 = AtomicU64::new(1);

/// How far a write has consumed its source (for the one-time merge).
fn src_consumed(src: &IoSrc) -> u64 {
    match src {
        IoSrc::User { done, .. } => *done,
        IoSrc::Buf { done, .. } => *done as u64,
        IoSrc::Lazy { .. } => 0,
    }
}

impl Pipe {
    fn new(fifo: bool, owner: Owner) -> Arc<Pipe> {
        Arc::new(Pipe {
            st: Mutex::new(State {
                bufs: VecDeque::new(),
                max_slots: DEFAULT_SLOTS,
                readers: 0,
                writers: 0,
                r_counter: 0,
                w_counter: 0,
                spare: None,
            }),
            queue: WaitQueue::new(),
            fifo,
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            owner,
            created: crate::kernel::time::realtime(),
        })
    }

    /// Capacity in bytes (F_GETPIPE_SZ).
    pub fn size(&self) -> u64 {
        (self.st.lock().max_slots * PAGE) as u64
    }

    /// Bytes buffered (FIONREAD).
    pub fn len(&self) -> u64 {
        self.st.lock().bytes()
    }

    pub fn is_empty(&self) -> bool {
        self.st.lock().bufs.is_empty()
    }

    /// F_SETPIPE_SZ: round `arg` up to a power of two of pages; returns
    /// the new capacity. EBUSY if the content needs more slots, EPERM
    /// beyond /proc/sys/fs/pipe-max-size without `privileged`.
    pub fn set_size(&self, arg: u32, privileged: bool) -> Result<u64, Errno> {
        let size = round_pipe_size(arg).ok_or(Errno::EINVAL)?;
        let slots = (size / PAGE as u64) as usize;
        let grew = {
            let mut st = self.st.lock();
            if slots > st.max_slots && size > PIPE_MAX_SIZE && !privileged {
                return Err(Errno::EPERM);
            }
            if slots < st.bufs.len() {
                return Err(Errno::EBUSY);
            }
            let grew = slots > st.max_slots;
            st.max_slots = slots;
            grew
        };
        if grew {
            self.queue.notify(EV_WRITABLE);
        }
        Ok(size)
    }

    /// Move up to `dst.remaining()` bytes out. Ok(0) is end of file (no
    /// writers); EAGAIN means empty with writers.
    pub fn read(&self, dst: &mut IoDst) -> Result<u64, Errno> {
        let mut want = dst.remaining();
        if want == 0 {
            return Ok(0);
        }
        let mut st = self.st.lock();
        let was_full = st.full();
        let mut ret = 0u64;
        let mut err = None;
        let mut freed = false;
        while want > 0 {
            let Some(b) = st.bufs.front_mut() else { break };
            let chars = (b.len as u64).min(want) as usize;
            let piece = b.page.get(b.off..b.off + chars).unwrap_or(&[]);
            match dst.put(piece) {
                Ok(n) if n == chars => {}
                Ok(_) => {
                    err = Some(Errno::EFAULT);
                    break;
                }
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
            ret += chars as u64;
            want -= chars as u64;
            b.off += chars;
            b.len -= chars;
            let packet = b.packet;
            if packet {
                // The rest of a packet that did not fit is discarded.
                b.len = 0;
            }
            if b.len == 0 {
                if let Some(done) = st.bufs.pop_front() {
                    st.recycle(done.page);
                }
                freed = true;
            }
            if packet {
                break;
            }
        }
        let result = if ret > 0 {
            Ok(ret)
        } else if let Some(e) = err {
            Err(e)
        } else if st.writers == 0 {
            Ok(0)
        } else {
            Err(Errno::EAGAIN)
        };
        drop(st);
        // Linux wakes writers only when the pipe was full; an edge-triggered
        // EPOLLOUT fires on exactly those reads.
        if freed && was_full {
            self.queue.notify(EV_WRITABLE);
        }
        result
    }

    /// Move bytes in. Ok(n) once everything is written; EAGAIN when the
    /// pipe filled first (what was consumed from `src` was written); EPIPE
    /// with no readers; EFAULT on a bad source before anything was written.
    pub fn write(&self, src: &mut IoSrc, packet: bool) -> Result<u64, Errno> {
        let total = src.remaining();
        if total == 0 {
            return Ok(0);
        }
        let first = src_consumed(src) == 0;
        let mut st = self.st.lock();
        if st.readers == 0 {
            return Err(Errno::EPIPE);
        }
        let mut ret = 0u64;
        let mut left = total;
        // Whether the source has been translated and how much of it is valid.
        let mut avail: Option<u64> = None;
        let mut fault = false;
        // First top up the last slot with the sub-page remainder (only at
        // the start of a write: a write resumed after waiting does not).
        let chars = (total % PAGE as u64) as usize;
        if first && chars > 0 {
            if let Some(last) = st.bufs.back_mut() {
                let end = last.off + last.len;
                if !last.packet && end + chars <= PAGE {
                    let a = force_src(src)?;
                    if a < chars as u64 {
                        return Err(Errno::EFAULT);
                    }
                    let slot = last.page.get_mut(end..end + chars).unwrap_or(&mut []);
                    let n = src.take(slot)?;
                    last.len += n;
                    ret += n as u64;
                    left -= n as u64;
                    avail = Some(a - n as u64);
                }
            }
        }
        while left > 0 && !st.full() {
            let a = match avail {
                Some(a) => a,
                None => match force_src(src) {
                    Ok(a) => a,
                    Err(e) => {
                        if ret == 0 {
                            return Err(e);
                        }
                        fault = true;
                        break;
                    }
                },
            };
            let chunk = left.min(PAGE as u64) as usize;
            if a < chunk as u64 {
                // The source faults inside this page: Linux drops the page.
                fault = true;
                break;
            }
            let mut page = st.page();
            let n = match src.take(page.get_mut(..chunk).unwrap_or(&mut [])) {
                Ok(n) if n > 0 => n,
                _ => {
                    st.recycle(page);
                    fault = true;
                    break;
                }
            };
            st.bufs.push_back(Buf {
                page,
                off: 0,
                len: n,
                packet,
            });
            ret += n as u64;
            left -= n as u64;
            avail = Some(a - n as u64);
        }
        drop(st);
        if ret > 0 {
            self.queue.notify(EV_READABLE);
        }
        if fault {
            return if ret > 0 { Ok(ret) } else { Err(Errno::EFAULT) };
        }
        if left == 0 {
            Ok(ret)
        } else {
            Err(Errno::EAGAIN)
        }
    }

    // For splice, tee and vmsplice (syscalls/splice.rs): look at the
    // contents without taking them, take them afterwards, and ask how much
    // room there is, so that bytes leave a pipe only once they are placed.

    /// Copy up to `buf.len()` bytes from the front without taking them.
    pub fn peek(&self, buf: &mut [u8]) -> usize {
        let st = self.st.lock();
        let mut n = 0;
        for b in &st.bufs {
            let take = b.len.min(buf.len() - n);
            if let (Some(to), Some(from)) =
                (buf.get_mut(n..n + take), b.page.get(b.off..b.off + take))
            {
                to.copy_from_slice(from);
            }
            n += take;
            if n == buf.len() {
                break;
            }
        }
        n
    }

    /// Drop `n` bytes from the front (after `peek`).
    pub fn consume(&self, mut n: usize) {
        let mut st = self.st.lock();
        let was_full = st.full();
        let mut freed = false;
        while n > 0 {
            let Some(b) = st.bufs.front_mut() else { break };
            let k = b.len.min(n);
            b.off += k;
            b.len -= k;
            n -= k;
            if b.len == 0 {
                if let Some(done) = st.bufs.pop_front() {
                    st.recycle(done.page);
                }
                freed = true;
            }
        }
        drop(st);
        if freed && was_full {
            self.queue.notify(EV_WRITABLE);
        }
    }

    /// Bytes a write could add now without waiting.
    pub fn room(&self) -> u64 {
        let st = self.st.lock();
        let free = st.max_slots.saturating_sub(st.bufs.len()) * PAGE;
        let tail = st
            .bufs
            .back()
            .filter(|b| !b.packet)
            .map_or(0, |b| PAGE - (b.off + b.len));
        (free + tail) as u64
    }

    /// Open read ends and write ends.
    pub fn ends(&self) -> (u32, u32) {
        let st = self.st.lock();
        (st.readers, st.writers)
    }

    /// Where readiness changes are announced.
    pub fn wait_queue(&self) -> &WaitQueue {
        &self.queue
    }

    /// Readiness seen by an end that reads and/or writes. `hup_after`: a
    /// FIFO reader opened without writers does not see POLLHUP until a
    /// writer has come (the writer count then differs from this).
    fn poll(&self, read: bool, write: bool, hup_after: Option<u64>) -> u32 {
        let st = self.st.lock();
        let mut m = 0;
        if read {
            if !st.bufs.is_empty() {
                m |= POLLIN | POLLRDNORM;
            }
            if st.writers == 0 && hup_after != Some(st.w_counter) {
                m |= POLLHUP;
            }
        }
        if write {
            if !st.full() {
                m |= POLLOUT | POLLWRNORM;
            }
            if st.readers == 0 {
                m |= POLLERR;
            }
        }
        m
    }

    /// A new end: counts it, wakes whoever waits for this side. Returns
    /// (readers, r_counter, writers, w_counter) as they stood right after,
    /// read under the same lock: a FIFO opener decides whether to wait from
    /// this snapshot, so a partner that opens and closes in between is
    /// still seen as having come.
    fn attach(&self, read: bool, write: bool) -> (u32, u64, u32, u64) {
        let snap = {
            let mut st = self.st.lock();
            if read {
                st.readers += 1;
                st.r_counter += 1;
            }
            if write {
                st.writers += 1;
                st.w_counter += 1;
            }
            (st.readers, st.r_counter, st.writers, st.w_counter)
        };
        self.queue.notify(EV_ALL);
        snap
    }

    /// An end closed.
    fn release(&self, read: bool, write: bool) {
        let wake = {
            let mut st = self.st.lock();
            if read {
                st.readers = st.readers.saturating_sub(1);
            }
            if write {
                st.writers = st.writers.saturating_sub(1);
            }
            if st.readers == 0 && st.writers == 0 && self.fifo {
                // The last close of a FIFO frees its pipe on Linux: the
                // next opener starts with an empty default-sized one.
                st.bufs.clear();
                st.spare = None;
                st.max_slots = DEFAULT_SLOTS;
            }
            (read && st.readers == 0) || (write && st.writers == 0)
        };
        if wake {
            self.queue.notify(EV_ALL);
        }
    }

    /// What fstat shows for an anonymous pipe.
    fn attr(&self) -> Attr {
        Attr {
            dev: pipefs_dev(),
            ino: self.ino,
            mode: S_IFIFO | 0o600,
            nlink: 1,
            uid: self.owner.uid,
            gid: self.owner.gid,
            rdev: 0,
            size: 0,
            blksize: PAGE as u64,
            blocks: 0,
            atime: self.created,
            mtime: self.created,
            ctime: self.created,
            btime: Timespec::default(),
        }
    }
}

/// Translate the source now; returns how many bytes of it are valid.
fn force_src(src: &mut IoSrc) -> Result<u64, Errno> {
    src.take(&mut [])?;
    Ok(src.remaining())
}

/// Linux's round_pipe_size: at least a page, a power of two, at most 2^31.
fn round_pipe_size(arg: u32) -> Option<u64> {
    let size = arg as u64;
    if size > 1 << 31 {
        return None;
    }
    Some(size.max(PAGE as u64).next_power_of_two())
}

/// One open end of a pipe or FIFO.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    read: bool,
    write: bool,
    /// See `Pipe::poll`.
    hup_after: Option<u64>,
    /// A FIFO open that must wait for its other side: (waits for a
    /// writer, the counter it waits to change).
    partner: Option<(bool, u64)>,
}

impl PipeEnd {
    fn new(pipe: Arc<Pipe>, read: bool, write: bool) -> PipeEnd {
        PipeEnd::new_counted(pipe, read, write).0
    }

    /// A new end and the pipe's counts right after it was attached.
    fn new_counted(pipe: Arc<Pipe>, read: bool, write: bool) -> (PipeEnd, (u32, u64, u32, u64)) {
        let snap = pipe.attach(read, write);
        (
            PipeEnd {
                pipe,
                read,
                write,
                hup_after: None,
                partner: None,
            },
            snap,
        )
    }

    pub fn pipe(&self) -> &Arc<Pipe> {
        &self.pipe
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        self.pipe.release(self.read, self.write);
    }
}

impl FileOps for PipeEnd {
    fn read(&self, _f: &File, dst: &mut IoDst, _off: i64) -> Result<u64, Errno> {
        if !self.read {
            return Err(Errno::EBADF);
        }
        self.pipe.read(dst)
    }

    fn write(&self, f: &File, src: &mut IoSrc, _off: i64) -> Result<u64, Errno> {
        if !self.write {
            return Err(Errno::EBADF);
        }
        self.pipe.write(src, f.flags() & libc::O_DIRECT as u32 != 0)
    }

    fn seekable(&self) -> bool {
        false
    }

    /// O_DIRECT on a pipe is packet mode (it matters on the write end).
    fn supports_direct(&self) -> bool {
        true
    }

    fn poll(&self, _f: &File) -> u32 {
        self.pipe.poll(self.read, self.write, self.hup_after)
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.pipe.queue)
    }

    fn readable_bytes(&self, _f: &File) -> Option<u64> {
        Some(self.pipe.len())
    }

    fn attr(&self) -> Result<Attr, Errno> {
        Ok(self.pipe.attr())
    }

    fn open_wait(&self, _f: &File, t: &mut Task) -> Result<(), Errno> {
        let Some((want_writer, seen)) = self.partner else {
            return Ok(());
        };
        let arrived = || {
            let st = self.pipe.st.lock();
            if want_writer {
                st.w_counter != seen
            } else {
                st.r_counter != seen
            }
        };
        let mut entry = None;
        loop {
            if arrived() {
                return Ok(());
            }
            if entry.is_none() {
                entry = Some(self.pipe.queue.register(&t.shared, EV_ALL));
                continue;
            }
            match t.block(None) {
                Ok(()) => {}
                // Dropping the file undoes this end's count.
                Err(_) => return Err(Errno::ERESTARTSYS),
            }
        }
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// A new anonymous pipe: its read end and its write end.
pub fn new_pipe(owner: Owner) -> (PipeEnd, PipeEnd) {
    let p = Pipe::new(false, owner);
    (
        PipeEnd::new(p.clone(), true, false),
        PipeEnd::new(p, false, true),
    )
}

/// The pipe behind a FIFO inode: made on first open, kept while the inode lives.
#[derive(Default)]
pub struct Fifo {
    pipe: OnceLock<Arc<Pipe>>,
}

impl std::fmt::Debug for Fifo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fifo")
    }
}

impl Fifo {
    pub fn new() -> Fifo {
        Fifo::default()
    }

    /// Open the FIFO with Linux's rules: O_RDONLY waits for a writer
    /// (O_NONBLOCK: does not), O_WRONLY waits for a reader (O_NONBLOCK:
    /// ENXIO), O_RDWR never waits. The wait itself happens in `open_wait`.
    pub fn open(&self, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        let pipe = self
            .pipe
            .get_or_init(|| Pipe::new(true, Owner::default()))
            .clone();
        let nonblock = flags & libc::O_NONBLOCK as u32 != 0;
        match (flags & libc::O_ACCMODE as u32) as i32 {
            libc::O_RDONLY => {
                let (mut end, (_, _, writers, w_counter)) = PipeEnd::new_counted(pipe, true, false);
                if writers == 0 {
                    if nonblock {
                        end.hup_after = Some(w_counter);
                    } else {
                        end.partner = Some((true, w_counter));
                    }
                }
                Ok(Box::new(end))
            }
            libc::O_WRONLY => {
                if nonblock && pipe.st.lock().readers == 0 {
                    return Err(Errno::ENXIO);
                }
                let (mut end, (readers, r_counter, _, _)) = PipeEnd::new_counted(pipe, false, true);
                if readers == 0 {
                    end.partner = Some((false, r_counter));
                }
                Ok(Box::new(end))
            }
            libc::O_RDWR => Ok(Box::new(PipeEnd::new(pipe, true, true))),
            _ => Err(Errno::EINVAL),
        }
    }
}

/// The pipe an open file refers to, if it is a pipe or FIFO end.
pub fn pipe_of(f: &File) -> Option<&Arc<Pipe>> {
    f.ops.as_any()?.downcast_ref::<PipeEnd>().map(|e| e.pipe())
}

/// fcntl(F_GETPIPE_SZ).
pub fn get_pipe_size(f: &File) -> Result<u64, Errno> {
    Ok(pipe_of(f).ok_or(Errno::EBADF)?.size())
}

/// fcntl(F_SETPIPE_SZ); `privileged`: the caller has CAP_SYS_RESOURCE.
pub fn set_pipe_size(f: &File, arg: u32, privileged: bool) -> Result<u64, Errno> {
    pipe_of(f).ok_or(Errno::EBADF)?.set_size(arg, privileged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rd(p: &Pipe, n: usize) -> Result<Vec<u8>, Errno> {
        let mut buf = vec![0u8; n];
        let mut dst = IoDst::buf(&mut buf);
        let got = p.read(&mut dst)? as usize;
        buf.truncate(got);
        Ok(buf)
    }

    fn wr(p: &Pipe, data: &[u8], packet: bool) -> (Result<u64, Errno>, usize) {
        let mut src = IoSrc::buf(data);
        let r = p.write(&mut src, packet);
        let consumed = src_consumed(&src) as usize;
        (r, consumed)
    }

    fn pair() -> (PipeEnd, PipeEnd) {
        new_pipe(Owner::default())
    }

    #[test]
    fn bytes_round_trip_in_order() {
        let (r, _w) = pair();
        let p = r.pipe().clone();
        assert_eq!(wr(&p, b"hello ", false).0, Ok(6));
        assert_eq!(wr(&p, b"world", false).0, Ok(5));
        assert_eq!(p.len(), 11);
        assert_eq!(rd(&p, 3).unwrap(), b"hel");
        assert_eq!(rd(&p, 100).unwrap(), b"lo world");
        assert_eq!(rd(&p, 1), Err(Errno::EAGAIN));
    }

    #[test]
    fn eof_without_writers_and_epipe_without_readers() {
        let (r, w) = pair();
        let p = r.pipe().clone();
        assert_eq!(wr(&p, b"x", false).0, Ok(1));
        drop(w);
        assert_eq!(rd(&p, 10).unwrap(), b"x");
        assert_eq!(rd(&p, 10).unwrap(), b"");
        let (r, w) = pair();
        let p = w.pipe().clone();
        drop(r);
        assert_eq!(wr(&p, b"x", false).0, Err(Errno::EPIPE));
    }

    #[test]
    fn fills_sixteen_pages_of_single_bytes() {
        let (r, _w) = pair();
        let p = r.pipe().clone();
        let mut n = 0;
        while wr(&p, b"a", false).0.is_ok() {
            n += 1;
        }
        assert_eq!(n, 65536);
        assert_eq!(p.poll(false, true, None) & POLLOUT, 0);
    }

    #[test]
    fn odd_sized_writes_leave_slack_in_each_slot() {
        // 100-byte writes: 40 fit in a page, so 16 slots hold 64000 bytes.
        let (r, _w) = pair();
        let p = r.pipe().clone();
        let chunk = [7u8; 100];
        let mut total = 0;
        while let (Ok(n), _) = wr(&p, &chunk, false) {
            total += n;
        }
        assert_eq!(total, 64000);
    }

    #[test]
    fn small_writes_are_atomic_and_large_ones_partial() {
        let (r, _w) = pair();
        let p = r.pipe().clone();
        // 15 full pages and 4000 bytes in the last slot.
        assert_eq!(
            wr(&p, &vec![1u8; 15 * PAGE], false).0,
            Ok((15 * PAGE) as u64)
        );
        assert_eq!(wr(&p, &[2u8; 4000], false).0, Ok(4000));
        // 200 bytes do not fit in the last slot and no slot is free: all or nothing.
        assert_eq!(wr(&p, &[3u8; 200], false), (Err(Errno::EAGAIN), 0));
        // 96 bytes still merge.
        assert_eq!(wr(&p, &[3u8; 96], false).0, Ok(96));
        assert_eq!(rd(&p, PAGE).unwrap().len(), PAGE);
        // One slot free: a 10000-byte write takes one page (its 1808-byte
        // remainder does not fit in the full last slot) and stops.
        assert_eq!(wr(&p, &vec![4u8; 10000], false), (Err(Errno::EAGAIN), PAGE));
    }

    #[test]
    fn packets_are_read_one_at_a_time() {
        let (r, _w) = pair();
        let p = r.pipe().clone();
        assert_eq!(wr(&p, b"one", true).0, Ok(3));
        assert_eq!(wr(&p, b"three", true).0, Ok(5));
        assert_eq!(rd(&p, 100).unwrap(), b"one");
        // A short read discards the rest of the packet.
        assert_eq!(rd(&p, 2).unwrap(), b"th");
        assert_eq!(rd(&p, 100), Err(Errno::EAGAIN));
    }

    #[test]
    fn set_size_rounds_and_refuses() {
        let (r, _w) = pair();
        let p = r.pipe().clone();
        assert_eq!(p.set_size(0, false), Ok(4096));
        assert_eq!(p.set_size(5000, false), Ok(8192));
        assert_eq!(p.set_size(PIPE_MAX_SIZE as u32, false), Ok(PIPE_MAX_SIZE));
        assert_eq!(
            p.set_size(PIPE_MAX_SIZE as u32 + 1, false),
            Err(Errno::EPERM)
        );
        assert_eq!(
            p.set_size(PIPE_MAX_SIZE as u32 + 1, true),
            Ok(2 * PIPE_MAX_SIZE)
        );
        assert_eq!(p.set_size(u32::MAX, true), Err(Errno::EINVAL));
        assert_eq!(wr(&p, &vec![0u8; 3 * PAGE], false).0, Ok(3 * PAGE as u64));
        assert_eq!(p.set_size(8192, false), Err(Errno::EBUSY));
        assert_eq!(p.set_size(3 * PAGE as u32, false), Ok(4 * PAGE as u64));
        assert_eq!(p.size(), 4 * PAGE as u64);
    }

    #[test]
    fn poll_bits_follow_the_other_side() {
        let (r, w) = pair();
        let p = r.pipe().clone();
        assert_eq!(p.poll(true, false, None), 0);
        assert_eq!(p.poll(false, true, None), POLLOUT | POLLWRNORM);
        wr(&p, b"x", false).0.unwrap();
        assert_eq!(p.poll(true, false, None), POLLIN | POLLRDNORM);
        drop(w);
        assert_eq!(p.poll(true, false, None), POLLIN | POLLRDNORM | POLLHUP);
        drop(r);
        assert_eq!(p.poll(false, true, None) & POLLERR, POLLERR);
    }

    #[test]
    fn fifo_open_rules() {
        let fifo = Fifo::new();
        let nb = libc::O_NONBLOCK as u32;
        assert_eq!(
            fifo.open(libc::O_WRONLY as u32 | nb).err(),
            Some(Errno::ENXIO)
        );
        let r = fifo.open(libc::O_RDONLY as u32 | nb).unwrap();
        // No writer yet: no POLLHUP for this reader until one came and went.
        let re = r.as_any().unwrap().downcast_ref::<PipeEnd>().unwrap();
        assert_eq!(re.partner, None);
        assert_eq!(re.pipe.poll(true, false, re.hup_after), 0);
        let w = fifo.open(libc::O_WRONLY as u32 | nb).unwrap();
        let we = w.as_any().unwrap().downcast_ref::<PipeEnd>().unwrap();
        assert_eq!(we.partner, None);
        we.pipe.write(&mut IoSrc::buf(b"data"), false).unwrap();
        drop(w);
        assert_eq!(
            re.pipe.poll(true, false, re.hup_after),
            POLLIN | POLLRDNORM | POLLHUP
        );
        // A blocking writer with a reader present need not wait.
        let w2 = fifo.open(libc::O_WRONLY as u32).unwrap();
        assert_eq!(
            w2.as_any()
                .unwrap()
                .downcast_ref::<PipeEnd>()
                .unwrap()
                .partner,
            None
        );
        drop(w2);
        drop(r);
        // The last close emptied the FIFO; a blocking reader now waits.
        let r2 = fifo.open(libc::O_RDONLY as u32).unwrap();
        let r2e = r2.as_any().unwrap().downcast_ref::<PipeEnd>().unwrap();
        assert!(r2e.partner.is_some());
        assert!(r2e.pipe.is_empty());
        let rw = fifo.open(libc::O_RDWR as u32).unwrap();
        assert_eq!(
            rw.as_any()
                .unwrap()
                .downcast_ref::<PipeEnd>()
                .unwrap()
                .partner,
            None
        );
        assert_eq!(fifo.open(3).err(), Some(Errno::EINVAL));
    }
}
