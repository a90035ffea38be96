//! pipe, pipe2.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::fs::pipe::new_pipe;
use crate::kernel::limits::RLIMIT_NOFILE;
use crate::kernel::Task;
use crate::vfs::File;
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    t.add(sysno::PIPE, sys_pipe, &[Arg::Ptr]);
    t.partial(
        sysno::PIPE2,
        sys_pipe2,
        &[Arg::Ptr, Arg::Hex],
        "O_NOTIFICATION_PIPE (watch queues) is not supported (ENOPKG)",
    );
}

const O_CLOEXEC: u32 = libc::O_CLOEXEC as u32;
const O_NONBLOCK: u32 = libc::O_NONBLOCK as u32;
const O_DIRECT: u32 = libc::O_DIRECT as u32;
/// O_NOTIFICATION_PIPE shares O_EXCL's bit.
const O_NOTIFICATION_PIPE: u32 = libc::O_EXCL as u32;

fn sys_pipe(t: &mut Task, a: &SyscallArgs) -> SysResult {
    do_pipe(t, a.u64(0), 0)
}

fn sys_pipe2(t: &mut Task, a: &SyscallArgs) -> SysResult {
    do_pipe(t, a.u64(0), a.u32(1))
}

fn do_pipe(t: &mut Task, addr: u64, flags: u32) -> SysResult {
    if flags & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & O_NOTIFICATION_PIPE != 0 {
        // What Linux answers when built without watch queues.
        return Err(Errno::ENOPKG);
    }
    let (r, w) = new_pipe(t.owner());
    // Packet mode is the writer's: Linux gives the read end only O_NONBLOCK.
    let rf = File::new(
        Box::new(r),
        None,
        None,
        libc::O_RDONLY as u32 | (flags & O_NONBLOCK),
    );
    let wf = File::new(
        Box::new(w),
        None,
        None,
        libc::O_WRONLY as u32 | (flags & (O_NONBLOCK | O_DIRECT)),
    );
    let cloexec = flags & O_CLOEXEC != 0;
    let limit = t.tg.limits.lock().cur(RLIMIT_NOFILE);
    let rfd = t.fds.install(rf, cloexec, 0, limit)?;
    let wfd = match t.fds.install(wf, cloexec, 0, limit) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = t.fds.remove(rfd);
            return Err(e);
        }
    };
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&rfd.to_ne_bytes());
    out[4..].copy_from_slice(&wfd.to_ne_bytes());
    if let Err(e) = t.mm.write_bytes(addr, &out) {
        // Linux installs the fds only once the array is written: none stay behind.
        let _ = t.fds.remove(rfd);
        let _ = t.fds.remove(wfd);
        return Err(e);
    }
    Ok(0)
}
