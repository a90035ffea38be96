//! sendfile, copy_file_range, splice, tee, vmsplice.
//!
//! A copying implementation: bytes move through a Sentry buffer with the
//! files' own read and write operations, and through the pipe's buffer API
//! (`fs::pipe::Pipe::{peek, consume, room}`), so that bytes leave a pipe
//! only once they have been placed and a file is read only as far as the
//! destination pipe has room. Linux's argument checks are followed in
//! Linux's order; what each call waits for (room in an output pipe, data in
//! an input pipe) is waited for interruptibly, or answered with EAGAIN under
//! SPLICE_F_NONBLOCK (or the pipe's own O_NONBLOCK, where Linux honours it).

use super::blocking;
use super::read_write::{do_read, do_write};
use super::{Arg, SysResult, SyscallArgs, Table};
use crate::fs::pipe::{pipe_of, Pipe};
use crate::kernel::waiter::EV_ALL;
use crate::kernel::Task;
use crate::mm::{IoDst, IoSrc};
use crate::vfs::{File, FileType};
use abi::{sysno, Errno};
use std::sync::atomic::Ordering;
use std::sync::Arc;

const SPLICE_F_NONBLOCK: u32 = 2;
const SPLICE_F_ALL: u32 = 0xf;
/// Linux caps one transfer at this many bytes.
const MAX_RW_COUNT: u64 = 0x7fff_f000;
/// Bytes moved per step between two files.
const CHUNK: usize = 128 * 1024;
/// The most one splice into a pipe reads at once (pipes can be made huge).
const MAX_PIPE_STEP: u64 = 16 << 20;
/// UIO_MAXIOV.
const UIO_MAXIOV: u64 = 1024;

pub fn register(t: &mut Table) {
    t.partial(
        sysno::SENDFILE,
        sys_sendfile,
        &[Arg::Fd, Arg::Fd, Arg::Ptr, Arg::Int],
        "copies through the Sentry",
    );
    t.partial(
        sysno::COPY_FILE_RANGE,
        sys_copy_file_range,
        &[Arg::Fd, Arg::Ptr, Arg::Fd, Arg::Ptr, Arg::Int, Arg::Hex],
        "copies through the Sentry; files on different filesystems are EXDEV",
    );
    t.partial(
        sysno::SPLICE,
        sys_splice,
        &[Arg::Fd, Arg::Ptr, Arg::Fd, Arg::Ptr, Arg::Int, Arg::Hex],
        "copies instead of moving pages; spliced bytes may merge with written ones in the pipe",
    );
    t.add(sysno::TEE, sys_tee, &[Arg::Fd, Arg::Fd, Arg::Int, Arg::Hex]);
    t.partial(
        sysno::VMSPLICE,
        sys_vmsplice,
        &[Arg::Fd, Arg::Ptr, Arg::Int, Arg::Hex],
        "copies the memory (SPLICE_F_GIFT is ignored)",
    );
}

fn pipe_arc(f: &File) -> Option<Arc<Pipe>> {
    pipe_of(f).cloned()
}

/// Files with no splice_read/splice_write in Linux: directories and
/// anonymous files (eventfd, epoll, timerfd...); pipes are handled apart.
fn spliceable(f: &File) -> bool {
    match f.attr() {
        Ok(a) => a.mode & crate::vfs::inode::S_IFMT != 0 && a.file_type() != FileType::Directory,
        Err(_) => false,
    }
}

/// Wait until `ready` says so: EAGAIN instead under `nonblock`,
/// ERESTARTSYS if a signal comes first.
fn wait_for(
    t: &mut Task,
    p: &Pipe,
    nonblock: bool,
    mut ready: impl FnMut() -> Result<bool, Errno>,
) -> Result<(), Errno> {
    if ready()? {
        return Ok(());
    }
    if nonblock {
        return Err(Errno::EAGAIN);
    }
    let _entry = p.wait_queue().register(&t.shared, EV_ALL);
    loop {
        // Registered before this look, so a change after it is not missed.
        if ready()? {
            return Ok(());
        }
        if t.block(None).is_err() {
            return Err(Errno::ERESTARTSYS);
        }
    }
}

/// Wait for data in `p`; false: empty with no writers (end of file).
fn wait_input(t: &mut Task, p: &Pipe, nonblock: bool) -> Result<bool, Errno> {
    wait_for(t, p, nonblock, || Ok(!p.is_empty() || p.ends().1 == 0))?;
    Ok(!p.is_empty())
}

/// Wait for room in `p`; EPIPE (with SIGPIPE) once it has no readers.
fn wait_output(t: &mut Task, p: &Pipe, nonblock: bool) -> Result<(), Errno> {
    let r = wait_for(t, p, nonblock, || {
        if p.ends().0 == 0 {
            Err(Errno::EPIPE)
        } else {
            Ok(p.room() > 0)
        }
    });
    if r == Err(Errno::EPIPE) {
        blocking::sigpipe(t);
    }
    r
}

/// Read into `buf` from `f` at `off` (None: at and advancing the file
/// position; files that can block wait, per their own O_NONBLOCK).
fn read_in(t: &mut Task, f: &File, buf: &mut [u8], off: Option<i64>) -> Result<usize, Errno> {
    let mut dst = IoDst::buf(buf);
    let n = match off {
        Some(o) => f.ops.read(f, &mut dst, o)?,
        None => blocking::read(t, f, &mut dst, |f, d| do_read(f, d, None))?,
    };
    Ok(n as usize)
}

/// Write all of `data` to `f` at `off` (None: at and advancing the file
/// position), waiting where the file can block. Returns what was written.
fn write_out(t: &mut Task, f: &File, data: &[u8], off: Option<i64>) -> Result<usize, Errno> {
    let mut src = IoSrc::buf(data);
    let n = blocking::write(t, f, &mut src, |f, s| do_write(f, s, off))?;
    Ok(n as usize)
}

/// A long copy stops early (with what it copied) for a signal or an exit.
fn interrupted(t: &Task) -> bool {
    t.killed() || (t.shared.sig_hint.load(Ordering::SeqCst) && t.tg.sig.lock().deliverable(t.tid))
}

/// Copy up to `count` bytes between two non-pipe files, from `*in_off` and
/// to `*out_off` (None: the files' positions), advancing the offsets.
fn copy_files(
    t: &mut Task,
    inf: &File,
    in_off: &mut Option<i64>,
    outf: &File,
    out_off: &mut Option<i64>,
    count: u64,
) -> SysResult {
    let mut buf = vec![0u8; CHUNK.min(count as usize)];
    let mut done = 0u64;
    while done < count {
        if done > 0 && interrupted(t) {
            break;
        }
        let want = ((count - done) as usize).min(buf.len());
        let got = match read_in(t, inf, &mut buf[..want], *in_off) {
            Ok(n) => n,
            Err(e) => return if done > 0 { Ok(done) } else { Err(e) },
        };
        if got == 0 {
            break;
        }
        let put = match write_out(t, outf, &buf[..got], *out_off) {
            Ok(n) => n,
            Err(e) => {
                // What was read but not written goes back, where it can.
                if in_off.is_none() && inf.ops.seekable() && !inf.ops.own_position() {
                    *inf.pos.lock() -= got as i64;
                }
                return if done > 0 { Ok(done) } else { Err(e) };
            }
        };
        if put < got && in_off.is_none() && inf.ops.seekable() && !inf.ops.own_position() {
            *inf.pos.lock() -= (got - put) as i64;
        }
        if let Some(o) = in_off.as_mut() {
            *o += put as i64;
        }
        if let Some(o) = out_off.as_mut() {
            *o += put as i64;
        }
        done += put as u64;
        if put < got || got < want {
            break;
        }
    }
    Ok(done)
}

/// A file into a pipe: as much as the pipe has room for, at most `len`.
fn file_to_pipe(
    t: &mut Task,
    inf: &File,
    off: &mut Option<i64>,
    out: &Pipe,
    len: u64,
    nonblock: bool,
) -> SysResult {
    // A pipe has no splice_read (sendfile from one).
    if !spliceable(inf) || pipe_of(inf).is_some() {
        return Err(Errno::EINVAL);
    }
    wait_output(t, out, nonblock)?;
    let n = len.min(out.room()).min(MAX_PIPE_STEP) as usize;
    let mut buf = vec![0u8; n];
    let got = read_in(t, inf, &mut buf, *off)?;
    if got == 0 {
        return Ok(0);
    }
    let mut placed = 0;
    while placed < got {
        let mut src = IoSrc::buf(&buf[placed..got]);
        match out.write(&mut src, false) {
            Ok(k) => placed += k as usize,
            Err(Errno::EAGAIN) => {
                // Another writer took the room meanwhile: wait for more.
                placed += (got - placed) - src.remaining() as usize;
                if wait_output(t, out, false).is_err() {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    if placed < got && off.is_none() && inf.ops.seekable() && !inf.ops.own_position() {
        *inf.pos.lock() -= (got - placed) as i64;
    }
    if let Some(o) = off.as_mut() {
        *o += placed as i64;
    }
    if placed == 0 {
        return Err(Errno::EPIPE);
    }
    Ok(placed as u64)
}

/// A pipe into a file: what the pipe holds now, at most `len`, waiting
/// only while nothing has been moved.
fn pipe_to_file(
    t: &mut Task,
    inp: &Pipe,
    outf: &File,
    off: &mut Option<i64>,
    len: u64,
    nonblock: bool,
) -> SysResult {
    if !spliceable(outf) {
        return Err(Errno::EINVAL);
    }
    if !wait_input(t, inp, nonblock)? {
        return Ok(0);
    }
    let mut buf = vec![0u8; (len as usize).min(CHUNK)];
    let mut done = 0u64;
    while done < len {
        let want = ((len - done) as usize).min(buf.len());
        let n = inp.peek(&mut buf[..want]);
        if n == 0 {
            break;
        }
        let put = match write_out(t, outf, &buf[..n], *off) {
            Ok(k) => k,
            Err(e) => return if done > 0 { Ok(done) } else { Err(e) },
        };
        inp.consume(put);
        if let Some(o) = off.as_mut() {
            *o += put as i64;
        }
        done += put as u64;
        if put < n {
            break;
        }
    }
    Ok(done)
}

/// Bytes from one pipe into another: splice moves them, tee copies.
fn pipe_to_pipe(
    t: &mut Task,
    inp: &Pipe,
    out: &Pipe,
    len: u64,
    nonblock: bool,
    keep: bool,
) -> SysResult {
    if !wait_input(t, inp, nonblock)? {
        return Ok(0);
    }
    wait_output(t, out, nonblock)?;
    let n = len.min(out.room()).min(inp.len()).min(MAX_PIPE_STEP) as usize;
    let mut buf = vec![0u8; n];
    let n = inp.peek(&mut buf);
    let mut src = IoSrc::buf(&buf[..n]);
    let placed = match out.write(&mut src, false) {
        Ok(k) => k as usize,
        Err(Errno::EAGAIN) => n - src.remaining() as usize,
        Err(e) => return Err(e),
    };
    if !keep {
        inp.consume(placed);
    }
    Ok(placed as u64)
}

/// Read an offset argument (EFAULT).
fn read_off(t: &Task, addr: u64) -> Result<Option<i64>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    Ok(Some(t.mm.read_obj::<i64>(addr)?))
}

/// Linux's rw_verify_area for an explicit offset.
fn verify_area(off: i64, len: u64) -> Result<(), Errno> {
    if off < 0 {
        return Err(Errno::EINVAL);
    }
    if (off as u64)
        .checked_add(len)
        .is_none_or(|e| e > i64::MAX as u64)
    {
        return Err(Errno::EOVERFLOW);
    }
    Ok(())
}

fn sys_sendfile(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (out_fd, in_fd, offp, count) = (a.fd(0), a.fd(1), a.u64(2), a.u64(3));
    let mut off = read_off(t, offp)?;
    let inf = t.fds.get(in_fd)?;
    if !inf.readable() {
        return Err(Errno::EBADF);
    }
    let start = match off {
        Some(o) => {
            if !inf.ops.seekable() {
                return Err(Errno::ESPIPE);
            }
            o
        }
        None => *inf.pos.lock(),
    };
    if start < 0 {
        return Err(Errno::EINVAL);
    }
    let count = count.min(MAX_RW_COUNT);
    let outf = t.fds.get(out_fd)?;
    if !outf.writable() {
        return Err(Errno::EBADF);
    }
    let r = if let Some(op) = pipe_arc(&outf) {
        file_to_pipe(t, &inf, &mut off, &op, count, outf.nonblocking())
    } else {
        if outf.flags() & libc::O_APPEND as u32 != 0
            || pipe_arc(&inf).is_some()
            || !spliceable(&inf)
            || !spliceable(&outf)
        {
            return Err(Errno::EINVAL);
        }
        if count == 0 {
            return Ok(0);
        }
        copy_files(t, &inf, &mut off, &outf, &mut None, count)
    };
    if let (Some(o), true) = (off, offp != 0) {
        t.mm.write_obj(offp, &o)?;
    }
    r
}

fn sys_copy_file_range(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (in_fd, in_p, out_fd, out_p, len, flags) =
        (a.fd(0), a.u64(1), a.fd(2), a.u64(3), a.u64(4), a.u32(5));
    let inf = t.fds.get(in_fd)?;
    let outf = t.fds.get(out_fd)?;
    let mut in_off = read_off(t, in_p)?;
    let mut out_off = read_off(t, out_p)?;
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let (ia, oa) = (inf.attr()?, outf.attr()?);
    if ia.is_dir() || oa.is_dir() {
        return Err(Errno::EISDIR);
    }
    if ia.file_type() != FileType::Regular || oa.file_type() != FileType::Regular {
        return Err(Errno::EINVAL);
    }
    if !inf.readable() || !outf.writable() || outf.flags() & libc::O_APPEND as u32 != 0 {
        return Err(Errno::EBADF);
    }
    // Neither side is a filesystem that copies across superblocks.
    let same_sb = match (&inf.path, &outf.path) {
        (Some(a), Some(b)) => Arc::ptr_eq(&a.mount.sb, &b.mount.sb),
        _ => ia.dev == oa.dev,
    };
    if !same_sb {
        return Err(Errno::EXDEV);
    }
    let pos_in = in_off.unwrap_or_else(|| *inf.pos.lock());
    let pos_out = out_off.unwrap_or_else(|| *outf.pos.lock());
    // Offsets that wrap (negative ones, taken as unsigned) overflow.
    if (pos_in as u64).checked_add(len).is_none() || (pos_out as u64).checked_add(len).is_none() {
        return Err(Errno::EOVERFLOW);
    }
    // Only as far as the end of the input.
    let count = if pos_in >= 0 && (pos_in as u64) < ia.size {
        len.min(ia.size - pos_in as u64)
    } else {
        0
    };
    if ia.dev == oa.dev
        && ia.ino == oa.ino
        && pos_out.saturating_add(count as i64) > pos_in
        && pos_out < pos_in.saturating_add(count as i64)
    {
        return Err(Errno::EINVAL);
    }
    verify_area(pos_in, len)?;
    verify_area(pos_out, len)?;
    if count == 0 {
        return Ok(0);
    }
    let count = count.min(MAX_RW_COUNT);
    // Explicit offsets for both sides; the file positions move only for
    // the sides without one.
    let (mut i, mut o) = (Some(pos_in), Some(pos_out));
    let n = copy_files(t, &inf, &mut i, &outf, &mut o, count)?;
    match in_off.as_mut() {
        Some(x) => *x += n as i64,
        None => *inf.pos.lock() += n as i64,
    }
    match out_off.as_mut() {
        Some(x) => *x += n as i64,
        None => *outf.pos.lock() += n as i64,
    }
    if let Some(x) = in_off {
        t.mm.write_obj(in_p, &x)?;
    }
    if let Some(x) = out_off {
        t.mm.write_obj(out_p, &x)?;
    }
    Ok(n)
}

fn sys_splice(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (in_fd, in_p, out_fd, out_p, len, flags) =
        (a.fd(0), a.u64(1), a.fd(2), a.u64(3), a.u64(4), a.u32(5));
    if len == 0 {
        return Ok(0);
    }
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    let inf = t.fds.get(in_fd)?;
    let outf = t.fds.get(out_fd)?;
    let (ip, op) = (pipe_arc(&inf), pipe_arc(&outf));
    if (ip.is_some() && in_p != 0) || (op.is_some() && out_p != 0) {
        return Err(Errno::ESPIPE);
    }
    let mut out_off = read_off(t, out_p)?;
    let mut in_off = read_off(t, in_p)?;
    if !inf.readable() || !outf.writable() {
        return Err(Errno::EBADF);
    }
    let len = len.min(MAX_RW_COUNT);
    let nonblock = flags & SPLICE_F_NONBLOCK != 0;
    let r = match (&ip, &op) {
        (Some(ip), Some(op)) => {
            if Arc::ptr_eq(ip, op) {
                return Err(Errno::EINVAL);
            }
            let nb = nonblock || inf.nonblocking() || outf.nonblocking();
            pipe_to_pipe(t, ip, op, len, nb, false)
        }
        (Some(ip), None) => {
            if let Some(o) = out_off {
                if !outf.ops.seekable() {
                    return Err(Errno::EINVAL);
                }
                verify_area(o, len)?;
            }
            if outf.flags() & libc::O_APPEND as u32 != 0 {
                return Err(Errno::EINVAL);
            }
            pipe_to_file(
                t,
                ip,
                &outf,
                &mut out_off,
                len,
                nonblock || inf.nonblocking(),
            )
        }
        (None, Some(op)) => {
            if let Some(o) = in_off {
                if !inf.ops.seekable() {
                    return Err(Errno::EINVAL);
                }
                verify_area(o, len)?;
            }
            file_to_pipe(
                t,
                &inf,
                &mut in_off,
                op,
                len,
                nonblock || outf.nonblocking(),
            )
        }
        (None, None) => return Err(Errno::EINVAL),
    };
    let n = r?;
    if let Some(o) = out_off {
        t.mm.write_obj(out_p, &o)?;
    }
    if let Some(o) = in_off {
        t.mm.write_obj(in_p, &o)?;
    }
    Ok(n)
}

fn sys_tee(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (in_fd, out_fd, len, flags) = (a.fd(0), a.fd(1), a.u64(2), a.u32(3));
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let inf = t.fds.get(in_fd)?;
    let outf = t.fds.get(out_fd)?;
    if !inf.readable() || !outf.writable() {
        return Err(Errno::EBADF);
    }
    match (pipe_arc(&inf), pipe_arc(&outf)) {
        (Some(ip), Some(op)) if !Arc::ptr_eq(&ip, &op) => {
            let nb = flags & SPLICE_F_NONBLOCK != 0 || inf.nonblocking() || outf.nonblocking();
            pipe_to_pipe(t, &ip, &op, len.min(MAX_RW_COUNT), nb, true)
        }
        _ => Err(Errno::EINVAL),
    }
}

fn sys_vmsplice(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (fd, iov, nr, flags) = (a.fd(0), a.u64(1), a.u64(2), a.u32(3));
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    let f = t.fds.get(fd)?;
    let to_pipe = if f.writable() {
        true
    } else if f.readable() {
        false
    } else {
        return Err(Errno::EBADF);
    };
    if nr > UIO_MAXIOV {
        return Err(Errno::EINVAL);
    }
    let iovs = t.mm.read_iovecs(iov, nr)?;
    if iovs.iter().all(|v| v.len == 0) {
        return Ok(0);
    }
    let p = pipe_arc(&f).ok_or(Errno::EBADF)?;
    // Only SPLICE_F_NONBLOCK makes these calls nonblocking (not O_NONBLOCK).
    let nonblock = flags & SPLICE_F_NONBLOCK != 0;
    if to_pipe {
        wait_output(t, &p, nonblock)?;
        let mut src = t.mm.src_iovecs(&iovs);
        let before = src.remaining();
        match p.write(&mut src, false) {
            Ok(n) => Ok(n),
            Err(Errno::EAGAIN) => Ok(before - src.remaining()),
            Err(e) => Err(e),
        }
    } else {
        if !wait_input(t, &p, nonblock)? {
            return Ok(0);
        }
        let mut dst = t.mm.dst_iovecs(&iovs);
        match p.read(&mut dst) {
            Err(Errno::EAGAIN) => Ok(0),
            r => r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::pipe::new_pipe;
    use crate::vfs::Owner;

    #[test]
    fn pipe_peek_consume_and_room() {
        let (r, _w) = new_pipe(Owner::default());
        let p = r.pipe().clone();
        assert_eq!(p.room(), 16 * 4096);
        assert_eq!(p.write(&mut IoSrc::buf(b"hello world"), false), Ok(11));
        // One slot used, with 4085 bytes left in it.
        assert_eq!(p.room(), 15 * 4096 + 4085);
        let mut b = [0u8; 5];
        assert_eq!(p.peek(&mut b), 5);
        assert_eq!(&b, b"hello");
        assert_eq!(p.len(), 11);
        p.consume(6);
        let mut rest = [0u8; 20];
        assert_eq!(p.peek(&mut rest), 5);
        assert_eq!(&rest[..5], b"world");
        p.consume(5);
        assert!(p.is_empty());
        assert_eq!(p.ends(), (1, 1));
    }

    #[test]
    fn offsets_are_verified_as_linux_does() {
        assert_eq!(verify_area(-1, 1), Err(Errno::EINVAL));
        assert_eq!(verify_area(i64::MAX, 1), Err(Errno::EOVERFLOW));
        assert_eq!(verify_area(10, 5), Ok(()));
    }
}
