//! timer_create, timer_settime, timer_gettime, timer_getoverrun,
//! timer_delete: argument decoding over `kernel::posix_timer`.

use super::timerfd::ItimerSpec;
use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::limits::RLIMIT_SIGPENDING;
use crate::kernel::posix_timer::{
    mono_ns, Notify, Setting, TimerClock, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_THREAD_ID,
};
use crate::kernel::time::{
    from_ns, ns, realtime, to_ts, valid, CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC,
    CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME,
    CLOCK_REALTIME_ALARM, CLOCK_REALTIME_COARSE, CLOCK_TAI, CLOCK_THREAD_CPUTIME_ID,
};
use crate::kernel::{proc_view, Task};
use abi::signal::{SIGALRM, SIGRTMAX};
use abi::{sysno, Errno, Timespec};
use rustix::time::{clock_gettime_dynamic, DynamicClockId};

const TIMER_ABSTIME: u32 = 1;
const CAP_WAKE_ALARM: u32 = 35;
/// sizeof(struct sigevent).
const SIGEVENT_SIZE: usize = 64;
/// Low bits of a negative clock id (see syscalls/time.rs).
const CPUCLOCK_WHICH_MASK: i32 = 3;
const CPUCLOCK_PERTHREAD: i32 = 4;
const CPUCLOCK_VIRT: i32 = 1;
const CLOCKFD: i32 = 3;
const CLOCKFD_MASK: i32 = 7;

pub fn register(t: &mut Table) {
    t.partial(
        sysno::TIMER_CREATE,
        sys_timer_create,
        &[Arg::Int, Arg::Ptr, Arg::Ptr],
        "real-time clocks follow the host's monotonic clock (the sandbox cannot set the time); a thread's CPU clock is its process's",
    );
    t.add(
        sysno::TIMER_SETTIME,
        sys_timer_settime,
        &[Arg::Int, Arg::Hex, Arg::Ptr, Arg::Ptr],
    );
    t.add(
        sysno::TIMER_GETTIME,
        sys_timer_gettime,
        &[Arg::Int, Arg::Ptr],
    );
    t.add(sysno::TIMER_GETOVERRUN, sys_timer_getoverrun, &[Arg::Int]);
    t.add(sysno::TIMER_DELETE, sys_timer_delete, &[Arg::Int]);
}

/// Whether the host has an RTC for the alarm clocks (as syscalls/time.rs decides).
fn alarm_clocks() -> bool {
    clock_gettime_dynamic(DynamicClockId::RealtimeAlarm).is_ok()
}

/// What a clock id names, in the two steps Linux checks it: whether the
/// clock exists and has timers (before the timer gets an id), then the
/// clock's own timer_create (after).
enum Kind {
    Real,
    Alarm,
    Cpu {
        which: i32,
        thread: bool,
        pid: i32,
    },
    /// A clock named by a file descriptor: the sandbox has none.
    Dynamic,
}

fn kind(id: i32) -> Result<Kind, Errno> {
    if id < 0 {
        if id & CLOCKFD_MASK == CLOCKFD {
            return Ok(Kind::Dynamic);
        }
        return Ok(Kind::Cpu {
            which: id & CPUCLOCK_WHICH_MASK,
            thread: id & CPUCLOCK_PERTHREAD != 0,
            pid: !(id >> 3),
        });
    }
    match id {
        CLOCK_REALTIME | CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_TAI => Ok(Kind::Real),
        CLOCK_PROCESS_CPUTIME_ID => Ok(Kind::Cpu {
            which: 2,
            thread: false,
            pid: 0,
        }),
        CLOCK_THREAD_CPUTIME_ID => Ok(Kind::Cpu {
            which: 2,
            thread: true,
            pid: 0,
        }),
        CLOCK_MONOTONIC_RAW | CLOCK_REALTIME_COARSE | CLOCK_MONOTONIC_COARSE => {
            Err(Errno::EOPNOTSUPP)
        }
        CLOCK_REALTIME_ALARM | CLOCK_BOOTTIME_ALARM => Ok(Kind::Alarm),
        _ => Err(Errno::EINVAL),
    }
}

/// The clock's own timer_create checks; the clock a timer runs on.
fn timer_clock(t: &Task, k: Kind) -> Result<TimerClock, Errno> {
    match k {
        Kind::Real => Ok(TimerClock::Real),
        Kind::Alarm if !alarm_clocks() => Err(Errno::EOPNOTSUPP),
        Kind::Alarm if !t.creds.has_cap(CAP_WAKE_ALARM) => Err(Errno::EPERM),
        Kind::Alarm => Ok(TimerClock::Real),
        Kind::Dynamic => Err(Errno::EINVAL),
        Kind::Cpu { which, thread, pid } => {
            if which > 2 {
                return Err(Errno::EINVAL);
            }
            let virt = which == CPUCLOCK_VIRT;
            // The platform measures an address space: a thread's clock is its process's.
            let own = pid == 0
                || pid == t.tg.tgid
                || (thread && t.tg.tasks.lock().iter().any(|s| s.tid == pid));
            if own {
                return Ok(TimerClock::Cpu {
                    mm: t.mm.clone(),
                    virt,
                });
            }
            if thread {
                return Err(Errno::EINVAL);
            }
            let g =
                t.k.pids
                    .lock()
                    .groups
                    .get(&pid)
                    .cloned()
                    .ok_or(Errno::EINVAL)?;
            let mm = proc_view::view(&g)
                .and_then(|v| v.mm())
                .ok_or(Errno::EINVAL)?;
            Ok(TimerClock::Cpu { mm, virt })
        }
    }
}

/// A sigevent as the kernel checks it (good_sigevent). `value` None means
/// the timer's id (a NULL sigevent).
fn notify_of(t: &Task, sev: Option<&[u8; SIGEVENT_SIZE]>) -> Result<(Notify, bool), Errno> {
    let Some(b) = sev else {
        return Ok((
            Notify::Signal {
                signo: SIGALRM,
                value: 0,
                tid: None,
            },
            true,
        ));
    };
    let word = |o: usize| i32::from_ne_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    let value = u64::from_ne_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    let (signo, how, tid) = (word(8), word(12), word(16));
    let signal_ok = (1..=SIGRTMAX).contains(&signo);
    match how {
        SIGEV_NONE => Ok((Notify::None, false)),
        SIGEV_SIGNAL | SIGEV_THREAD if signal_ok => Ok((
            Notify::Signal {
                signo,
                value,
                tid: None,
            },
            false,
        )),
        SIGEV_THREAD_ID if signal_ok && t.tg.tasks.lock().iter().any(|s| s.tid == tid) => Ok((
            Notify::Signal {
                signo,
                value,
                tid: Some(tid),
            },
            false,
        )),
        _ => Err(Errno::EINVAL),
    }
}

fn sys_timer_create(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (clockid, sevp, idp) = (a.i32(0), a.u64(1), a.u64(2));
    let sev = if sevp != 0 {
        Some(t.mm.read_obj::<[u8; SIGEVENT_SIZE]>(sevp)?)
    } else {
        None
    };
    let k = kind(clockid)?;
    let limit =
        t.tg.limits
            .lock()
            .cur(RLIMIT_SIGPENDING)
            .min(usize::MAX as u64) as usize;
    let timers = &t.tg.posix_timers;
    // From here on the id is used up, whatever happens (as on Linux).
    let id = timers.alloc_id(limit)?;
    let (notify, by_id) = notify_of(t, sev.as_ref())?;
    t.mm.write_obj(idp, &id)?;
    let clock = timer_clock(t, k)?;
    let notify = match notify {
        Notify::Signal { signo, tid, .. } if by_id => Notify::Signal {
            signo,
            value: id as u32 as u64,
            tid,
        },
        n => n,
    };
    t.tg.posix_timers.insert(id, clockid, clock, notify);
    Ok(0)
}

fn write_spec(t: &Task, addr: u64, (left, interval): (i128, i128)) -> Result<(), Errno> {
    t.mm.write_obj(
        addr,
        &ItimerSpec {
            interval: from_ns(interval),
            value: from_ns(left),
        },
    )
}

/// Clock `clockid` now, for absolute settings of real-time timers.
fn real_now(t: &Task, clockid: i32) -> Timespec {
    match clockid {
        CLOCK_REALTIME | CLOCK_REALTIME_ALARM => realtime(),
        CLOCK_TAI => clock_gettime_dynamic(DynamicClockId::Tai).map_or_else(|_| realtime(), to_ts),
        _ => super::time::monotonic(&t.k),
    }
}

fn sys_timer_settime(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (id, flags, new, old) = (a.i32(0), a.u32(1), a.u64(2), a.u64(3));
    if new == 0 {
        return Err(Errno::EINVAL);
    }
    let spec: ItimerSpec = t.mm.read_obj(new)?;
    if !valid(&spec.value) || !valid(&spec.interval) {
        return Err(Errno::EINVAL);
    }
    let clockid = t.tg.posix_timers.clockid(id)?;
    let absolute = flags & TIMER_ABSTIME != 0;
    let real_offset = if absolute {
        mono_ns() - ns(real_now(t, clockid))
    } else {
        0
    };
    let setting = Setting {
        value: ns(spec.value),
        absolute,
        interval: ns(spec.interval),
        real_offset,
    };
    let prev = t.tg.posix_timers.set(&t.tg, id, setting)?;
    if old != 0 {
        write_spec(t, old, prev)?;
    }
    Ok(0)
}

fn sys_timer_gettime(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let cur = t.tg.posix_timers.get(a.i32(0))?;
    write_spec(t, a.u64(1), cur)?;
    Ok(0)
}

fn sys_timer_getoverrun(t: &mut Task, a: &SyscallArgs) -> SysResult {
    t.tg.posix_timers.overrun(a.i32(0))
}

fn sys_timer_delete(t: &mut Task, a: &SyscallArgs) -> SysResult {
    t.tg.posix_timers.delete(a.i32(0))?;
    Ok(0)
}
