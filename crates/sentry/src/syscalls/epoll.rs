//! epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2.

use super::poll::{read_timespec, restore_sigmask, set_temp_sigmask, Timeout};
use super::{Arg, SysResult, SyscallArgs, Table};
use crate::fs::epoll::{can_poll, epoll_of, EpollEvent, EpollFile, EPOLL_CTL_DEL};
use crate::kernel::limits::RLIMIT_NOFILE;
use crate::kernel::Task;
use crate::vfs::File;
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    t.add(sysno::EPOLL_CREATE, sys_epoll_create, &[Arg::Int]);
    t.add(sysno::EPOLL_CREATE1, sys_epoll_create1, &[Arg::Hex]);
    t.partial(
        sysno::EPOLL_CTL,
        sys_epoll_ctl,
        &[Arg::Fd, Arg::Int, Arg::Fd, Arg::Ptr],
        "EPOLLEXCLUSIVE is accepted but wakes every waiter; EPOLLWAKEUP is ignored",
    );
    t.add(
        sysno::EPOLL_WAIT,
        sys_epoll_wait,
        &[Arg::Fd, Arg::Ptr, Arg::Int, Arg::Int],
    );
    t.add(
        sysno::EPOLL_PWAIT,
        sys_epoll_pwait,
        &[Arg::Fd, Arg::Ptr, Arg::Int, Arg::Int, Arg::Ptr, Arg::Int],
    );
    t.add(
        sysno::EPOLL_PWAIT2,
        sys_epoll_pwait2,
        &[Arg::Fd, Arg::Ptr, Arg::Int, Arg::Ptr, Arg::Ptr, Arg::Int],
    );
}

/// The end of the user address range on x86-64 (Linux's TASK_SIZE).
const TASK_SIZE: u64 = 0x7fff_ffff_f000;

const EPOLL_CLOEXEC: u32 = libc::O_CLOEXEC as u32;

/// The most events one call may ask for (INT_MAX / sizeof(struct epoll_event)).
const MAX_EVENTS: i32 = i32::MAX / EpollEvent::SIZE as i32;

fn create(t: &mut Task, flags: u32) -> SysResult {
    if flags & !EPOLL_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    let file = File::new(Box::new(EpollFile::new()), None, None, libc::O_RDWR as u32);
    let limit = t.tg.limits.lock().cur(RLIMIT_NOFILE);
    Ok(t.fds.install(file, flags & EPOLL_CLOEXEC != 0, 0, limit)? as u64)
}

fn sys_epoll_create(t: &mut Task, a: &SyscallArgs) -> SysResult {
    if a.i32(0) <= 0 {
        return Err(Errno::EINVAL);
    }
    create(t, 0)
}

fn sys_epoll_create1(t: &mut Task, a: &SyscallArgs) -> SysResult {
    create(t, a.u32(0))
}

fn sys_epoll_ctl(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (epfd, op, fd, evp) = (a.fd(0), a.i32(1), a.fd(2), a.u64(3));
    let ev = if op != EPOLL_CTL_DEL {
        let mut b = [0u8; EpollEvent::SIZE];
        t.mm.read_bytes(evp, &mut b)?;
        EpollEvent::from_bytes(&b)
    } else {
        EpollEvent::default()
    };
    let ef = t
        .fds
        .get(epfd)
        .ok()
        .filter(|f| !f.is_path_only())
        .ok_or(Errno::EBADF)?;
    let tf = t
        .fds
        .get(fd)
        .ok()
        .filter(|f| !f.is_path_only())
        .ok_or(Errno::EBADF)?;
    if !can_poll(&tf) {
        return Err(Errno::EPERM);
    }
    let ep = epoll_of(&ef).ok_or(Errno::EINVAL)?;
    ep.ctl(op, fd, &tf, ev)?;
    Ok(0)
}

/// epoll_wait's core.
fn wait(t: &mut Task, epfd: i32, addr: u64, max: i32, timeout: Timeout) -> SysResult {
    if max <= 0 || max > MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    // Linux's access_ok: the whole array must lie below the top of user space.
    let end = addr.checked_add(max as u64 * EpollEvent::SIZE as u64);
    if end.is_none_or(|e| e > TASK_SIZE) {
        return Err(Errno::EFAULT);
    }
    let f = t
        .fds
        .get(epfd)
        .ok()
        .filter(|f| !f.is_path_only())
        .ok_or(Errno::EBADF)?;
    let ep = epoll_of(&f).ok_or(Errno::EINVAL)?.clone();
    let mut entry = None;
    let mut timed_out = false;
    loop {
        let events = ep.collect(max as usize);
        if !events.is_empty() {
            let raw: Vec<u8> = events.iter().flat_map(|e| e.to_bytes()).collect();
            t.mm.write_bytes(addr, &raw)?;
            return Ok(events.len() as u64);
        }
        if timed_out || timeout == Timeout::Zero {
            return Ok(0);
        }
        if entry.is_none() {
            entry = Some(ep.queue().register(&t.shared, u64::MAX));
            continue;
        }
        match t.block(timeout.deadline()) {
            Ok(()) => {}
            Err(Errno::ETIMEDOUT) => timed_out = true,
            // Not restartable, as on Linux.
            Err(_) => return Err(Errno::EINTR),
        }
    }
}

fn sys_epoll_wait(t: &mut Task, a: &SyscallArgs) -> SysResult {
    wait(t, a.fd(0), a.u64(1), a.i32(2), Timeout::from_ms(a.i32(3)))
}

fn pwait(t: &mut Task, a: &SyscallArgs, timeout: Timeout) -> SysResult {
    let old = set_temp_sigmask(t, a.u64(4), a.u64(5))?;
    let res = wait(t, a.fd(0), a.u64(1), a.i32(2), timeout);
    restore_sigmask(t, old, res == Err(Errno::EINTR));
    res
}

fn sys_epoll_pwait(t: &mut Task, a: &SyscallArgs) -> SysResult {
    pwait(t, a, Timeout::from_ms(a.i32(3)))
}

fn sys_epoll_pwait2(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let tsp = a.u64(3);
    let timeout = if tsp != 0 {
        Timeout::from_timespec(&read_timespec(t, tsp)?)
    } else {
        Timeout::Never
    };
    pwait(t, a, timeout)
}
