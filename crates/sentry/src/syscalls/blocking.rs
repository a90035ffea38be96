//! Reads and writes that wait. A file that can block (one with a wait
//! queue: pipes, FIFOs, eventfd, sockets...) answers EAGAIN when it cannot
//! proceed; unless the file is O_NONBLOCK, the calling task waits on the
//! file's queue and tries again, interruptibly (ERESTARTSYS: restarted
//! under SA_RESTART, EINTR otherwise, as Linux's read and write).
//!
//! A blocking write goes on until everything is written; what a file
//! consumed from the source before answering EAGAIN counts as written, so
//! an interrupted or nonblocking write returns that partial count. Any
//! other error means the call wrote nothing.
//!
//! EPIPE from a write raises SIGPIPE in the writing thread, as Linux's
//! pipes and stream sockets do for write(2).

use super::SysResult;
use crate::kernel::send;
use crate::kernel::Task;
use crate::mm::{IoDst, IoSrc};
use crate::vfs::File;
use abi::signal::{SIGPIPE, SI_USER};
use abi::Errno;

const READ_EVENTS: u64 = (libc::POLLIN | libc::POLLRDNORM | libc::POLLHUP | libc::POLLERR) as u64;
const WRITE_EVENTS: u64 = (libc::POLLOUT | libc::POLLWRNORM | libc::POLLHUP | libc::POLLERR) as u64;

/// Bytes taken from `src` so far.
fn consumed(src: &IoSrc) -> u64 {
    match src {
        IoSrc::User { done, .. } => *done,
        IoSrc::Buf { done, .. } => *done as u64,
        IoSrc::Lazy { .. } => 0,
    }
}

/// Run `op` (a read of `f` into `dst`), waiting while it would block.
pub fn read(
    t: &mut Task,
    f: &File,
    dst: &mut IoDst,
    mut op: impl FnMut(&File, &mut IoDst) -> SysResult,
) -> SysResult {
    // Sockets wait by their own rules (SO_RCVTIMEO, restart).
    if let Some(s) = crate::net::unix::socket_of(f) {
        return s.read(t, f, dst);
    }
    let first = op(f, dst);
    let q = match (first, f.ops.wait_queue()) {
        (Err(Errno::EAGAIN), Some(q)) if !f.nonblocking() => q,
        (r, _) => return r,
    };
    let _entry = q.register(&t.shared, READ_EVENTS);
    loop {
        // Registered before this try, so a wake-up after it is not lost.
        match op(f, dst) {
            Err(Errno::EAGAIN) => {}
            r => return r,
        }
        if t.block(None).is_err() {
            return Err(Errno::ERESTARTSYS);
        }
    }
}

/// Raise SIGPIPE in the calling thread (a write found no reader).
pub fn sigpipe(t: &Task) {
    let mut info = send::kernel_info(SIGPIPE, SI_USER);
    info.set_pid_uid(t.tg.tgid, t.creds.uid);
    send::send(&t.tg, Some(t.tid), info);
}

/// Run `op` (a write of `src` to `f`), waiting while it would block
/// until all of `src` is written.
pub fn write(
    t: &mut Task,
    f: &File,
    src: &mut IoSrc,
    mut op: impl FnMut(&File, &mut IoSrc) -> SysResult,
) -> SysResult {
    // Sockets wait by their own rules (SO_SNDTIMEO; SIGPIPE only for streams).
    if let Some(s) = crate::net::unix::socket_of(f) {
        return s.write(t, f, src);
    }
    let start = consumed(src);
    let mut entry = None;
    loop {
        let before = consumed(src) - start;
        let r = op(f, src);
        // Only EAGAIN reports progress through `src`; a call failing
        // otherwise wrote nothing (it would have returned its count).
        let total = consumed(src) - start;
        match r {
            Ok(n) => return Ok(before + n),
            Err(Errno::EAGAIN) => {}
            Err(e) => {
                if e == Errno::EPIPE {
                    sigpipe(t);
                }
                return if before > 0 { Ok(before) } else { Err(e) };
            }
        }
        let q = match f.ops.wait_queue() {
            Some(q) if !f.nonblocking() => q,
            _ => {
                return if total > 0 {
                    Ok(total)
                } else {
                    Err(Errno::EAGAIN)
                }
            }
        };
        if entry.is_none() {
            // Register, then try once more before sleeping.
            entry = Some(q.register(&t.shared, WRITE_EVENTS));
            continue;
        }
        if t.block(None).is_err() {
            return if total > 0 {
                Ok(total)
            } else {
                Err(Errno::ERESTARTSYS)
            };
        }
    }
}
