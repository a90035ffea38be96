//! flock(2): whole-file advisory locks owned by the open file description
//! (state and rules in `vfs::lock`), and the waiting loop that flock and
//! fcntl's F_SETLKW share.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::task::TaskShared;
use crate::kernel::waiter::Waiter;
use crate::kernel::Task;
use crate::vfs::lock::range::LockType;
use crate::vfs::lock::{self, LockError};
use abi::{sysno, Errno};
use std::sync::{Arc, Weak};

pub fn register(t: &mut Table) {
    t.add(sysno::FLOCK, sys_flock, &[Arg::Fd, Arg::Hex]);
}

const LOCK_SH: u32 = 1;
const LOCK_EX: u32 = 2;
const LOCK_NB: u32 = 4;
const LOCK_UN: u32 = 8;
/// Mandatory-lock requests, which Linux ignores (answering 0) since 5.15.
const LOCK_MAND: u32 = 32;

fn sys_flock(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (fd, cmd) = (a.fd(0), a.u32(1));
    if cmd & LOCK_MAND != 0 {
        return Ok(0);
    }
    let typ = match cmd & !LOCK_NB {
        LOCK_SH => Some(LockType::Read),
        LOCK_EX => Some(LockType::Write),
        LOCK_UN => None,
        _ => return Err(Errno::EINVAL),
    };
    let f = t.fds.get(fd)?;
    if f.is_path_only() || (typ.is_some() && !f.readable() && !f.writable()) {
        return Err(Errno::EBADF);
    }
    let pid = t.tg.tgid;
    let wait = cmd & LOCK_NB == 0;
    wait_for_lock(t, wait, |w| lock::flock(&f, typ, pid, w))
}

/// Run `attempt` until it takes its lock. With `wait`, a conflict blocks
/// the task (interruptibly: ERESTARTSYS, which Linux restarts under
/// SA_RESTART) until a release lets it try again; without, it is EAGAIN.
pub(super) fn wait_for_lock(
    t: &mut Task,
    wait: bool,
    mut attempt: impl FnMut(Option<Weak<dyn Waiter>>) -> Result<(), LockError>,
) -> SysResult {
    loop {
        let w = wait.then(|| Arc::downgrade(&t.shared) as Weak<TaskShared> as Weak<dyn Waiter>);
        match attempt(w) {
            Ok(()) => return Ok(0),
            Err(LockError::WouldBlock) => return Err(Errno::EAGAIN),
            Err(LockError::Deadlock) => return Err(Errno::EDEADLK),
            Err(LockError::Wait(ticket)) => {
                let r = t.block(None);
                drop(ticket);
                if r.is_err() {
                    return Err(Errno::ERESTARTSYS);
                }
            }
        }
    }
}
