//! timerfd_create, timerfd_settime, timerfd_gettime.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::fs::timerfd::{
    TimerFd, TFD_CLOEXEC, TFD_NONBLOCK, TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET,
};
use crate::kernel::limits::RLIMIT_NOFILE;
use crate::kernel::time::{
    ns, realtime, valid, CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_REALTIME,
    CLOCK_REALTIME_ALARM,
};
use crate::kernel::Task;
use crate::vfs::File;
use abi::{sysno, Errno, Timespec};
use std::time::{Duration, Instant};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

const CAP_WAKE_ALARM: u32 = 35;

/// `struct itimerspec`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct ItimerSpec {
    pub interval: Timespec,
    pub value: Timespec,
}

pub fn register(t: &mut Table) {
    t.partial(
        sysno::TIMERFD_CREATE,
        sys_timerfd_create,
        &[Arg::Int, Arg::Hex],
        "every clock follows the host's monotonic clock: the sandbox cannot set the time, so TFD_TIMER_CANCEL_ON_SET never cancels",
    );
    t.add(
        sysno::TIMERFD_SETTIME,
        sys_timerfd_settime,
        &[Arg::Fd, Arg::Hex, Arg::Ptr, Arg::Ptr],
    );
    t.add(
        sysno::TIMERFD_GETTIME,
        sys_timerfd_gettime,
        &[Arg::Fd, Arg::Ptr],
    );
}

pub fn duration_of(t: &Timespec) -> Duration {
    Duration::new(
        t.tv_sec.max(0) as u64,
        t.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

pub fn timespec_of(d: Duration) -> Timespec {
    Timespec {
        tv_sec: d.as_secs() as i64,
        tv_nsec: i64::from(d.subsec_nanos()),
    }
}

fn sys_timerfd_create(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (clock, flags) = (a.i32(0), a.u32(1));
    let known = matches!(
        clock,
        CLOCK_REALTIME
            | CLOCK_MONOTONIC
            | CLOCK_BOOTTIME
            | CLOCK_REALTIME_ALARM
            | CLOCK_BOOTTIME_ALARM
    );
    if flags & !(TFD_CLOEXEC | TFD_NONBLOCK) != 0 || !known {
        return Err(Errno::EINVAL);
    }
    if matches!(clock, CLOCK_REALTIME_ALARM | CLOCK_BOOTTIME_ALARM)
        && !t.creds.has_cap(CAP_WAKE_ALARM)
    {
        return Err(Errno::EPERM);
    }
    let file = File::new(
        Box::new(TimerFd::new(clock)),
        None,
        None,
        libc::O_RDWR as u32 | (flags & TFD_NONBLOCK),
    );
    let limit = t.tg.limits.lock().cur(RLIMIT_NOFILE);
    Ok(t.fds.install(file, flags & TFD_CLOEXEC != 0, 0, limit)? as u64)
}

/// The timerfd ops of `f` (EINVAL: not a timerfd).
fn timerfd(f: &File) -> Result<&TimerFd, Errno> {
    f.ops
        .as_any()
        .and_then(|x| x.downcast_ref::<TimerFd>())
        .ok_or(Errno::EINVAL)
}

/// The host instant at which clock `clock` reads `abs`.
pub fn instant_of_abs(t: &Task, clock: i32, abs: &Timespec) -> Instant {
    let now = match clock {
        CLOCK_REALTIME | CLOCK_REALTIME_ALARM => realtime(),
        _ => super::time::monotonic(&t.k),
    };
    let delta = ns(*abs) - ns(now);
    let host = Instant::now();
    if delta >= 0 {
        host.checked_add(Duration::from_nanos(delta.min(u64::MAX as i128) as u64))
            .unwrap_or(host + Duration::from_secs(1 << 40))
    } else {
        host.checked_sub(Duration::from_nanos((-delta).min(u64::MAX as i128) as u64))
            .unwrap_or(host)
    }
}

fn write_spec(t: &Task, addr: u64, (left, interval): (Duration, Duration)) -> Result<(), Errno> {
    t.mm.write_obj(
        addr,
        &ItimerSpec {
            interval: timespec_of(interval),
            value: timespec_of(left),
        },
    )
}

fn sys_timerfd_settime(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (fd, flags, new, old) = (a.fd(0), a.u32(1), a.u64(2), a.u64(3));
    let spec: ItimerSpec = t.mm.read_obj(new)?;
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0
        || !valid(&spec.value)
        || !valid(&spec.interval)
    {
        return Err(Errno::EINVAL);
    }
    let f = t.fds.get(fd)?;
    let tf = timerfd(&f)?;
    let first = if spec.value == Timespec::default() {
        None
    } else if flags & TFD_TIMER_ABSTIME != 0 {
        Some(instant_of_abs(t, tf.clock, &spec.value))
    } else {
        let now = Instant::now();
        Some(
            now.checked_add(duration_of(&spec.value))
                .unwrap_or(now + Duration::from_secs(1 << 40)),
        )
    };
    let prev = tf.set(first, duration_of(&spec.interval));
    if old != 0 {
        write_spec(t, old, prev)?;
    }
    Ok(0)
}

fn sys_timerfd_gettime(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    let cur = timerfd(&f)?.get();
    write_spec(t, a.u64(1), cur)?;
    Ok(0)
}
