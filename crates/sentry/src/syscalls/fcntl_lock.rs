//! fcntl's record locks: F_GETLK/F_SETLK/F_SETLKW (POSIX locks, owned by
//! the fd table: the process) and F_OFD_GETLK/F_OFD_SETLK/F_OFD_SETLKW
//! (owned by the open file description). Decodes `struct flock` as
//! Linux's `flock_to_posix_lock` does; the lock state is `vfs::lock`.

use super::flock::wait_for_lock;
use super::SysResult;
use crate::kernel::Task;
use crate::vfs::lock::range::{LockType, Owner, OFFSET_MAX};
use crate::vfs::lock::{self, Request};
use crate::vfs::File;
use abi::Errno;
use std::sync::Arc;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

pub const F_GETLK: i32 = 5;
pub const F_SETLK: i32 = 6;
pub const F_SETLKW: i32 = 7;
pub const F_OFD_GETLK: i32 = 36;
pub const F_OFD_SETLK: i32 = 37;
pub const F_OFD_SETLKW: i32 = 38;

const F_RDLCK: i16 = 0;
const F_WRLCK: i16 = 1;
const F_UNLCK: i16 = 2;

const SEEK_SET: i16 = 0;
const SEEK_CUR: i16 = 1;
const SEEK_END: i16 = 2;

/// `struct flock` (x86-64; `flock64` is the same).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Flock {
    pub l_type: i16,
    pub l_whence: i16,
    pub _pad: u32,
    pub l_start: i64,
    pub l_len: i64,
    pub l_pid: i32,
    pub _pad2: u32,
}

/// fcntl(fd, cmd, arg) for the six lock commands.
pub fn fcntl_lock(t: &mut Task, fd: i32, f: &Arc<File>, cmd: i32, arg: u64) -> SysResult {
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    let mut fl: Flock = t.mm.read_obj(arg)?;
    let ofd = matches!(cmd, F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW);
    let owner = if ofd {
        Owner::Ofd(lock::desc_id(f))
    } else {
        Owner::Posix(Arc::as_ptr(&t.fds) as usize)
    };
    if cmd == F_GETLK || cmd == F_OFD_GETLK {
        if cmd == F_GETLK && fl.l_type != F_RDLCK && fl.l_type != F_WRLCK {
            return Err(Errno::EINVAL);
        }
        let (typ, start, end) = to_range(f, &fl)?;
        if ofd && fl.l_pid != 0 {
            return Err(Errno::EINVAL);
        }
        let write = typ == Some(LockType::Write);
        match lock::test_record(f, owner, write, start, end) {
            None => fl.l_type = F_UNLCK,
            Some(c) => {
                fl.l_type = match c.typ {
                    LockType::Read => F_RDLCK,
                    LockType::Write => F_WRLCK,
                };
                fl.l_whence = SEEK_SET;
                fl.l_start = c.start;
                fl.l_len = if c.end == OFFSET_MAX {
                    0
                } else {
                    c.end - c.start + 1
                };
                fl.l_pid = c.pid;
            }
        }
        t.mm.write_obj(arg, &fl)?;
        return Ok(0);
    }
    let (typ, start, end) = to_range(f, &fl)?;
    match typ {
        Some(LockType::Read) if !f.readable() => return Err(Errno::EBADF),
        Some(LockType::Write) if !f.writable() => return Err(Errno::EBADF),
        _ => {}
    }
    if ofd && fl.l_pid != 0 {
        return Err(Errno::EINVAL);
    }
    let owner = match owner {
        // Tell the table it must drop its locks when it closes an fd.
        Owner::Posix(_) if typ.is_some() => Owner::Posix(t.fds.posix_lock_owner()),
        o => o,
    };
    let req = Request {
        owner,
        typ,
        start,
        end,
        pid: t.tg.tgid,
    };
    let wait = cmd == F_SETLKW || cmd == F_OFD_SETLKW;
    wait_for_lock(t, wait, |w| lock::set_record(f, req, w))?;
    // Linux's close/fcntl race check: if the fd was closed (or replaced)
    // while the lock was being taken, the close could not drop it.
    if !ofd && typ.is_some() && !t.fds.get(fd).is_ok_and(|now| Arc::ptr_eq(&now, f)) {
        let undo = Request { typ: None, ..req };
        let _ = lock::set_record(f, undo, None);
        return Err(Errno::EBADF);
    }
    Ok(0)
}

/// `l_type`, `l_whence`, `l_start`, `l_len` → type and inclusive range.
fn to_range(f: &File, fl: &Flock) -> Result<(Option<LockType>, i64, i64), Errno> {
    let base = match fl.l_whence {
        SEEK_SET => 0,
        SEEK_CUR => {
            if f.ops.own_position() {
                f.ops.seek(f, 0, libc::SEEK_CUR)?
            } else {
                *f.pos.lock()
            }
        }
        SEEK_END => f.attr()?.size.min(i64::MAX as u64) as i64,
        _ => return Err(Errno::EINVAL),
    };
    let (start, end) = posix_range(base, fl.l_start, fl.l_len)?;
    let typ = match fl.l_type {
        F_RDLCK => Some(LockType::Read),
        F_WRLCK => Some(LockType::Write),
        F_UNLCK => None,
        _ => return Err(Errno::EINVAL),
    };
    Ok((typ, start, end))
}

/// Linux's range rules: the start must not be negative; `len > 0` covers
/// `len` bytes (EOVERFLOW past the largest offset), `len == 0` runs to the
/// end of the file, `len < 0` covers the `-len` bytes before the start.
pub fn posix_range(base: i64, l_start: i64, l_len: i64) -> Result<(i64, i64), Errno> {
    let start = base.checked_add(l_start).ok_or(Errno::EINVAL)?;
    if start < 0 {
        return Err(Errno::EINVAL);
    }
    if l_len > 0 {
        if l_len - 1 > OFFSET_MAX - start {
            return Err(Errno::EOVERFLOW);
        }
        Ok((start, start + (l_len - 1)))
    } else if l_len < 0 {
        let begin = start.checked_add(l_len).ok_or(Errno::EINVAL)?;
        if begin < 0 {
            return Err(Errno::EINVAL);
        }
        Ok((begin, start - 1))
    } else {
        Ok((start, OFFSET_MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_linux_decodes_them() {
        assert_eq!(posix_range(0, 0, 0), Ok((0, OFFSET_MAX)));
        assert_eq!(posix_range(0, 10, 5), Ok((10, 14)));
        assert_eq!(posix_range(100, -10, 5), Ok((90, 94)));
        assert_eq!(posix_range(0, 10, -5), Ok((5, 9)));
        assert_eq!(posix_range(0, 10, -10), Ok((0, 9)));
        assert_eq!(posix_range(0, 10, -11), Err(Errno::EINVAL));
        assert_eq!(posix_range(0, -1, 1), Err(Errno::EINVAL));
        assert_eq!(posix_range(5, i64::MAX, 1), Err(Errno::EINVAL));
        assert_eq!(posix_range(0, 1, i64::MAX), Ok((1, OFFSET_MAX)));
        assert_eq!(posix_range(0, 2, i64::MAX), Err(Errno::EOVERFLOW));
        assert_eq!(posix_range(0, 0, i64::MAX), Ok((0, OFFSET_MAX - 1)));
        assert_eq!(posix_range(0, 0, i64::MIN), Err(Errno::EINVAL));
    }
}
