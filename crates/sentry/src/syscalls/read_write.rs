//! read, write and their vector and positional forms; lseek.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::Task;
use crate::mm::{IoDst, IoSrc};
use crate::vfs::File;
use abi::{sysno, Errno};
use std::sync::Arc;

/// Linux caps one read or write at this many bytes.
const MAX_RW_COUNT: u64 = 0x7fff_f000;

pub fn register(t: &mut Table) {
    t.add(sysno::READ, sys_read, &[Arg::Fd, Arg::OutBuf, Arg::Int]);
    t.add(sysno::WRITE, sys_write, &[Arg::Fd, Arg::InBuf(2), Arg::Int]);
    t.add(
        sysno::PREAD64,
        sys_pread64,
        &[Arg::Fd, Arg::OutBuf, Arg::Int, Arg::Int],
    );
    t.add(
        sysno::PWRITE64,
        sys_pwrite64,
        &[Arg::Fd, Arg::InBuf(2), Arg::Int, Arg::Int],
    );
    t.add(sysno::READV, sys_readv, &[Arg::Fd, Arg::Ptr, Arg::Int]);
    t.add(sysno::WRITEV, sys_writev, &[Arg::Fd, Arg::Ptr, Arg::Int]);
    t.add(
        sysno::PREADV,
        sys_preadv,
        &[Arg::Fd, Arg::Ptr, Arg::Int, Arg::Int],
    );
    t.add(
        sysno::PWRITEV,
        sys_pwritev,
        &[Arg::Fd, Arg::Ptr, Arg::Int, Arg::Int],
    );
    t.partial(
        sysno::PREADV2,
        sys_preadv2,
        &[Arg::Fd, Arg::Ptr, Arg::Int, Arg::Int, Arg::Int, Arg::Hex],
        "RWF_* flags other than RWF_HIPRI are refused",
    );
    t.partial(
        sysno::PWRITEV2,
        sys_pwritev2,
        &[Arg::Fd, Arg::Ptr, Arg::Int, Arg::Int, Arg::Int, Arg::Hex],
        "RWF_* flags other than RWF_HIPRI/RWF_DSYNC/RWF_SYNC are refused",
    );
    t.add(sysno::LSEEK, sys_lseek, &[Arg::Fd, Arg::Int, Arg::Int]);
}

fn readable(t: &Task, fd: i32) -> Result<Arc<File>, Errno> {
    let f = t.fds.get(fd)?;
    if !f.readable() {
        return Err(Errno::EBADF);
    }
    Ok(f)
}

fn writable(t: &Task, fd: i32) -> Result<Arc<File>, Errno> {
    let f = t.fds.get(fd)?;
    if !f.writable() {
        return Err(Errno::EBADF);
    }
    Ok(f)
}

/// Read at the file position (advancing it), or at `off` for pread.
pub fn do_read(f: &File, dst: &mut IoDst, off: Option<i64>) -> SysResult {
    match off {
        Some(o) => f.ops.read(f, dst, o),
        None if f.ops.own_position() => f.ops.read(f, dst, -1),
        None if f.ops.seekable() => {
            let mut pos = f.pos.lock();
            let n = f.ops.read(f, dst, *pos)?;
            *pos += n as i64;
            Ok(n)
        }
        None => f.ops.read(f, dst, 0),
    }
}

/// Write at the file position (or the end for O_APPEND), or at `off` for pwrite.
pub fn do_write(f: &File, src: &mut IoSrc, off: Option<i64>) -> SysResult {
    let r = write_at(f, src, off);
    // inotify hook: IN_MODIFY.
    if matches!(r, Ok(n) if n > 0) {
        crate::fs::inotify::modified(f);
    }
    r
}

fn write_at(f: &File, src: &mut IoSrc, off: Option<i64>) -> SysResult {
    let append = f.flags() & libc::O_APPEND as u32 != 0;
    match off {
        // pwrite on an O_APPEND file appends, as Linux does.
        Some(_) if append => {
            let end = f.attr()?.size as i64;
            f.ops.write(f, src, end)
        }
        Some(o) => f.ops.write(f, src, o),
        None if f.ops.own_position() => f.ops.write(f, src, -1),
        None if f.ops.seekable() => {
            let mut pos = f.pos.lock();
            if append {
                *pos = f.attr()?.size as i64;
            }
            let n = f.ops.write(f, src, *pos)?;
            *pos += n as i64;
            Ok(n)
        }
        None => f.ops.write(f, src, 0),
    }
}

fn sys_read(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = readable(t, a.fd(0))?;
    crate::mm::io::access_ok(a.u64(1), a.u64(2))?;
    let count = a.u64(2).min(MAX_RW_COUNT);
    if count == 0 {
        return Ok(0);
    }
    let mut dst = t.mm.dst(a.u64(1), count)?;
    super::blocking::read(t, &f, &mut dst, |f, d| do_read(f, d, None))
}

fn sys_write(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = writable(t, a.fd(0))?;
    crate::mm::io::access_ok(a.u64(1), a.u64(2))?;
    let count = a.u64(2).min(MAX_RW_COUNT);
    if count == 0 {
        return Ok(0);
    }
    let mut src = t.mm.src(a.u64(1), count)?;
    super::blocking::write(t, &f, &mut src, |f, s| do_write(f, s, None))
}

fn positional(f: &File, off: i64) -> Result<i64, Errno> {
    if off < 0 {
        return Err(Errno::EINVAL);
    }
    if !f.ops.seekable() {
        return Err(Errno::ESPIPE);
    }
    Ok(off)
}

fn sys_pread64(t: &mut Task, a: &SyscallArgs) -> SysResult {
    if a.i64(3) < 0 {
        return Err(Errno::EINVAL);
    }
    let f = readable(t, a.fd(0))?;
    crate::mm::io::access_ok(a.u64(1), a.u64(2))?;
    let off = positional(&f, a.i64(3))?;
    let count = a.u64(2).min(MAX_RW_COUNT);
    if count == 0 {
        return Ok(0);
    }
    let mut dst = t.mm.dst(a.u64(1), count)?;
    do_read(&f, &mut dst, Some(off))
}

fn sys_pwrite64(t: &mut Task, a: &SyscallArgs) -> SysResult {
    if a.i64(3) < 0 {
        return Err(Errno::EINVAL);
    }
    let f = writable(t, a.fd(0))?;
    crate::mm::io::access_ok(a.u64(1), a.u64(2))?;
    let off = positional(&f, a.i64(3))?;
    let count = a.u64(2).min(MAX_RW_COUNT);
    if count == 0 {
        return Ok(0);
    }
    let mut src = t.mm.src(a.u64(1), count)?;
    do_write(&f, &mut src, Some(off))
}

fn vec_read(t: &mut Task, fd: i32, iov: u64, cnt: u64, off: Option<i64>) -> SysResult {
    let f = readable(t, fd)?;
    let off = match off {
        Some(o) => Some(positional(&f, o)?),
        None => None,
    };
    let iovs = t.mm.read_iovecs(iov, cnt)?;
    if iovs.iter().all(|v| v.len == 0) {
        return Ok(0);
    }
    let mut dst = t.mm.dst_iovecs(&iovs);
    super::blocking::read(t, &f, &mut dst, |f, d| do_read(f, d, off))
}

fn vec_write(t: &mut Task, fd: i32, iov: u64, cnt: u64, off: Option<i64>) -> SysResult {
    let f = writable(t, fd)?;
    let off = match off {
        Some(o) => Some(positional(&f, o)?),
        None => None,
    };
    let iovs = t.mm.read_iovecs(iov, cnt)?;
    if iovs.iter().all(|v| v.len == 0) {
        return Ok(0);
    }
    let mut src = t.mm.src_iovecs(&iovs);
    super::blocking::write(t, &f, &mut src, |f, s| do_write(f, s, off))
}

fn sys_readv(t: &mut Task, a: &SyscallArgs) -> SysResult {
    vec_read(t, a.fd(0), a.u64(1), a.u64(2), None)
}

fn sys_writev(t: &mut Task, a: &SyscallArgs) -> SysResult {
    vec_write(t, a.fd(0), a.u64(1), a.u64(2), None)
}

fn sys_preadv(t: &mut Task, a: &SyscallArgs) -> SysResult {
    vec_read(t, a.fd(0), a.u64(1), a.u64(2), Some(a.i64(3)))
}

fn sys_pwritev(t: &mut Task, a: &SyscallArgs) -> SysResult {
    vec_write(t, a.fd(0), a.u64(1), a.u64(2), Some(a.i64(3)))
}

const RWF_HIPRI: u64 = 1;
const RWF_DSYNC: u64 = 2;
const RWF_SYNC: u64 = 4;

fn sys_preadv2(t: &mut Task, a: &SyscallArgs) -> SysResult {
    if a.u64(5) & !RWF_HIPRI != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let off = if a.i64(3) == -1 { None } else { Some(a.i64(3)) };
    vec_read(t, a.fd(0), a.u64(1), a.u64(2), off)
}

fn sys_pwritev2(t: &mut Task, a: &SyscallArgs) -> SysResult {
    if a.u64(5) & !(RWF_HIPRI | RWF_DSYNC | RWF_SYNC) != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let off = if a.i64(3) == -1 { None } else { Some(a.i64(3)) };
    vec_write(t, a.fd(0), a.u64(1), a.u64(2), off)
}

fn sys_lseek(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    let off = a.i64(1);
    let whence = a.u32(2);
    if f.ops.own_position() {
        return f.ops.seek(&f, off, whence as i32).map(|o| o as u64);
    }
    if !f.ops.seekable() {
        return Err(Errno::ESPIPE);
    }
    let mut pos = f.pos.lock();
    let new = match whence as i32 {
        libc::SEEK_SET => off,
        libc::SEEK_CUR => pos.checked_add(off).ok_or(Errno::EINVAL)?,
        libc::SEEK_END => (f.attr()?.size as i64)
            .checked_add(off)
            .ok_or(Errno::EINVAL)?,
        libc::SEEK_DATA | libc::SEEK_HOLE => {
            if off < 0 {
                return Err(Errno::ENXIO);
            }
            let size = f.attr()?.size as i64;
            f.ops
                .seek_data(&f, off, size, whence as i32 == libc::SEEK_HOLE)?
        }
        _ => return Err(Errno::EINVAL),
    };
    if new < 0 {
        return Err(Errno::EINVAL);
    }
    *pos = new;
    if new == 0 {
        // Rewinding a directory restarts its listing.
        f.dir.lock().entries = None;
    }
    Ok(new as u64)
}
