//! Clocks and sleeping: clock_gettime, clock_getres, clock_nanosleep,
//! nanosleep, gettimeofday, time; clock_settime and settimeofday are
//! refused. (times and getrusage are in rusage.rs.)
//!
//! Real time is the host's. The monotonic clocks count from the sandbox's
//! boot plus [`BOOT_OFFSET_NS`], so uptimes look like a freshly booted
//! machine's. CPU-time clocks read what the platform measures for the
//! application's address space (its stub process), so a thread's clock is
//! its process's, and time before the last execve is not counted.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::task::RestartBlock;
use crate::kernel::time::{
    from_ns, host_monotonic, ns, process_cputime, realtime, thread_cputime, to_ts, valid,
    CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE,
    CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_REALTIME_ALARM,
    CLOCK_REALTIME_COARSE, CLOCK_TAI, CLOCK_THREAD_CPUTIME_ID,
};
use crate::kernel::{proc_view, Kernel, Task, ThreadGroup};
use abi::{sysno, Errno, Timespec, Timeval, Timezone};
use rustix::time::{clock_getres, clock_gettime, clock_gettime_dynamic, ClockId, DynamicClockId};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub fn register(t: &mut Table) {
    const CPU_NOTE: &str =
        "CPU-time clocks measure the process's address space: a thread's clock reads its process's, and time before the last execve is not counted";
    t.partial(
        sysno::CLOCK_GETTIME,
        sys_clock_gettime,
        &[Arg::Int, Arg::Ptr],
        CPU_NOTE,
    );
    t.add(sysno::CLOCK_GETRES, sys_clock_getres, &[Arg::Int, Arg::Ptr]);
    t.partial(
        sysno::CLOCK_NANOSLEEP,
        sys_clock_nanosleep,
        &[Arg::Int, Arg::Hex, Arg::Ptr, Arg::Ptr],
        "CPU-time clocks as clock_gettime reads them; an interrupted relative CPU-time sleep returns EINTR instead of restarting",
    );
    t.add(sysno::NANOSLEEP, sys_nanosleep, &[Arg::Ptr, Arg::Ptr]);
    t.add(sysno::GETTIMEOFDAY, sys_gettimeofday, &[Arg::Ptr, Arg::Ptr]);
    t.add(sysno::TIME, sys_time, &[Arg::Ptr]);
    t.refuse(
        sysno::CLOCK_SETTIME,
        Errno::EPERM,
        &[Arg::Int, Arg::Ptr],
        "the sandbox cannot set the host's clocks",
    );
    t.refuse(
        sysno::SETTIMEOFDAY,
        Errno::EPERM,
        &[Arg::Ptr, Arg::Ptr],
        "the sandbox cannot set the host's clocks",
    );
}

/// CLOCK_MONOTONIC at the sandbox's boot: a machine has been up for a
/// moment when its init starts, and some programs treat 0 as "never".
pub const BOOT_OFFSET_NS: i128 = 1_000_000_000;

const NSEC_PER_SEC: i128 = 1_000_000_000;
const TIMER_ABSTIME: i32 = 1;
const CAP_WAKE_ALARM: u32 = 35;
/// Low bits of a negative clock id: which CPU clock, and per-thread.
const CPUCLOCK_WHICH_MASK: i32 = 3;
const CPUCLOCK_PERTHREAD: i32 = 4;
const CPUCLOCK_VIRT: i32 = 1;
const CPUCLOCK_SCHED: i32 = 2;
/// A negative id with these low bits names a clock by file descriptor (PTP devices).
const CLOCKFD: i32 = 3;
const CLOCKFD_MASK: i32 = 7;

/// The sandbox's CLOCK_MONOTONIC (and CLOCK_BOOTTIME: the sandbox never suspends).
pub fn monotonic(k: &Kernel) -> Timespec {
    from_host_monotonic(k, host_monotonic())
}

/// Time since the sandbox booted, as uptime counts it (with the boot offset).
pub fn uptime_ns(k: &Kernel) -> i128 {
    ns(monotonic(k))
}

fn from_host_monotonic(k: &Kernel, host: Timespec) -> Timespec {
    from_ns(ns(host) - ns(k.boot_mono) + BOOT_OFFSET_NS)
}

/// Whether the host has an RTC for the alarm clocks; without one Linux
/// refuses them (EINVAL to read, EOPNOTSUPP to sleep), and so do we.
fn alarm_clocks() -> bool {
    static HAVE: OnceLock<bool> = OnceLock::new();
    *HAVE.get_or_init(|| clock_gettime_dynamic(DynamicClockId::RealtimeAlarm).is_ok())
}

/// The resolution of the coarse clocks: one scheduler tick of the host.
fn tick_ns() -> i64 {
    let r = clock_getres(ClockId::MonotonicCoarse);
    let n = r
        .tv_sec
        .saturating_mul(1_000_000_000)
        .saturating_add(r.tv_nsec);
    if n > 0 && n <= 1_000_000_000 {
        n
    } else {
        10_000_000
    }
}

/// What a clock id names, as the kernel's clockid_to_kclock decodes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Clock {
    /// One of the fixed clocks 0..MAX_CLOCKS that exists.
    Fixed(i32),
    /// A CPU-time clock encoded in a negative id (`pid` 0 means the caller).
    Cpu { which: i32, thread: bool, pid: i32 },
    /// A clock named by a file descriptor: the sandbox has no such devices.
    Dynamic,
}

fn decode(id: i32) -> Result<Clock, Errno> {
    if id < 0 {
        if id & CLOCKFD_MASK == CLOCKFD {
            return Ok(Clock::Dynamic);
        }
        return Ok(Clock::Cpu {
            which: id & CPUCLOCK_WHICH_MASK,
            thread: id & CPUCLOCK_PERTHREAD != 0,
            pid: !(id >> 3),
        });
    }
    match id {
        CLOCK_REALTIME..=CLOCK_BOOTTIME_ALARM | CLOCK_TAI => Ok(Clock::Fixed(id)),
        // 10 was CLOCK_SGI_CYCLE, long gone; MAX_CLOCKS and above never were.
        _ => Err(Errno::EINVAL),
    }
}

/// Whose CPU time a CPU clock measures.
#[derive(Clone, Debug)]
enum CpuTarget {
    /// The caller's own process (also its threads: the platform measures
    /// an address space, not a thread).
    Own,
    /// Another process.
    Process(Arc<ThreadGroup>),
}

/// The kernel's pid_for_clock: which task or process a CPU clock names.
/// `gettime` lets a clock_gettime name the caller's process by its own tid.
fn cpu_target(
    t: &Task,
    which: i32,
    thread: bool,
    pid: i32,
    gettime: bool,
) -> Result<CpuTarget, Errno> {
    if which > CPUCLOCK_SCHED {
        return Err(Errno::EINVAL);
    }
    if pid == 0 || (thread && pid == t.tid) || (gettime && pid == t.tid) || pid == t.tg.tgid {
        return Ok(CpuTarget::Own);
    }
    if thread {
        // Another thread of the caller's own group only.
        let same_group = t.tg.tasks.lock().iter().any(|s| s.tid == pid);
        return if same_group {
            Ok(CpuTarget::Own)
        } else {
            Err(Errno::EINVAL)
        };
    }
    // A process clock needs the pid of a thread group.
    let g = t.k.pids.lock().groups.get(&pid).cloned();
    g.map(CpuTarget::Process).ok_or(Errno::EINVAL)
}

/// The CPU time a CPU clock reads: `which` is PROF (user + system), VIRT
/// (user) or SCHED (user + system), of the application's address space as
/// the platform measures it; the Sentry's own CPU time where it cannot.
fn cpu_now(t: &Task, target: &CpuTarget, which: i32) -> Timespec {
    let times = match target {
        CpuTarget::Own => t.mm.aspace.cpu_time(),
        CpuTarget::Process(g) => proc_view::view(g)
            .and_then(|v| v.mm())
            .and_then(|mm| mm.aspace.cpu_time()),
    };
    match times {
        Some((user, total)) => {
            let n = if which == CPUCLOCK_VIRT { user } else { total };
            from_ns(i128::from(n))
        }
        None => match target {
            CpuTarget::Own => thread_cputime(),
            CpuTarget::Process(_) => process_cputime(),
        },
    }
}

/// The current value of a fixed clock.
fn fixed_now(k: &Kernel, id: i32) -> Result<Timespec, Errno> {
    let host = |c: ClockId| to_ts(clock_gettime(c));
    Ok(match id {
        // With the vDSO's clock running, every clock it serves reads its
        // lines here too, so values from the vDSO and from this syscall
        // never go backwards against each other.
        CLOCK_REALTIME => vdso_line(k, crate::vdso::clock::REALTIME).unwrap_or_else(realtime),
        CLOCK_REALTIME_COARSE => vdso_line(k, crate::vdso::clock::REALTIME)
            .unwrap_or_else(|| host(ClockId::RealtimeCoarse)),
        CLOCK_TAI => clock_gettime_dynamic(DynamicClockId::Tai).map_or_else(|_| realtime(), to_ts),
        CLOCK_MONOTONIC | CLOCK_BOOTTIME => {
            vdso_line(k, crate::vdso::clock::MONOTONIC).unwrap_or_else(|| monotonic(k))
        }
        CLOCK_MONOTONIC_COARSE => vdso_line(k, crate::vdso::clock::MONOTONIC)
            .unwrap_or_else(|| from_host_monotonic(k, host(ClockId::MonotonicCoarse))),
        CLOCK_MONOTONIC_RAW => vdso_line(k, crate::vdso::clock::MONOTONIC_RAW)
            .unwrap_or_else(|| from_host_monotonic(k, host(ClockId::MonotonicRaw))),
        CLOCK_REALTIME_ALARM if alarm_clocks() => realtime(),
        CLOCK_BOOTTIME_ALARM if alarm_clocks() => monotonic(k),
        _ => return Err(Errno::EINVAL),
    })
}

fn vdso_line(k: &Kernel, line: usize) -> Option<Timespec> {
    k.vdso.get().and_then(|v| v.line_now(line)).map(from_ns)
}

fn clock_now(t: &Task, id: i32) -> Result<Timespec, Errno> {
    match decode(id)? {
        Clock::Fixed(CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID) => {
            Ok(cpu_now(t, &CpuTarget::Own, CPUCLOCK_SCHED))
        }
        Clock::Fixed(n) => fixed_now(&t.k, n),
        Clock::Cpu { which, thread, pid } => {
            let target = cpu_target(t, which, thread, pid, true)?;
            Ok(cpu_now(t, &target, which))
        }
        Clock::Dynamic => Err(Errno::EINVAL),
    }
}

fn clock_res(t: &Task, id: i32) -> Result<Timespec, Errno> {
    let one = Timespec {
        tv_sec: 0,
        tv_nsec: 1,
    };
    let tick = Timespec {
        tv_sec: 0,
        tv_nsec: tick_ns(),
    };
    match decode(id)? {
        Clock::Fixed(CLOCK_REALTIME_COARSE | CLOCK_MONOTONIC_COARSE) => Ok(tick),
        Clock::Fixed(CLOCK_REALTIME_ALARM | CLOCK_BOOTTIME_ALARM) if !alarm_clocks() => {
            Err(Errno::EINVAL)
        }
        Clock::Fixed(_) => Ok(one),
        Clock::Cpu { which, thread, pid } => {
            cpu_target(t, which, thread, pid, false)?;
            // The scheduler's clock is exact; the profiling ones tick.
            Ok(if which == CPUCLOCK_SCHED { one } else { tick })
        }
        Clock::Dynamic => Err(Errno::EINVAL),
    }
}

fn sys_clock_gettime(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let now = clock_now(t, a.i32(0))?;
    t.mm.write_obj(a.u64(1), &now)?;
    Ok(0)
}

fn sys_clock_getres(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let res = clock_res(t, a.i32(0))?;
    if a.u64(1) != 0 {
        t.mm.write_obj(a.u64(1), &res)?;
    }
    Ok(0)
}

fn sys_gettimeofday(t: &mut Task, a: &SyscallArgs) -> SysResult {
    if a.u64(0) != 0 {
        let now = realtime();
        let tv = Timeval {
            tv_sec: now.tv_sec,
            tv_usec: now.tv_nsec / 1000,
        };
        t.mm.write_obj(a.u64(0), &tv)?;
    }
    if a.u64(1) != 0 {
        // The kernel's timezone is never set in the sandbox.
        t.mm.write_obj(a.u64(1), &Timezone::default())?;
    }
    Ok(0)
}

fn sys_time(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let secs = realtime().tv_sec;
    if a.u64(0) != 0 {
        t.mm.write_obj(a.u64(0), &secs)?;
    }
    Ok(secs as u64)
}

/// A `Duration` for a non-negative nanosecond count; `None` when it does
/// not fit (a sleep that only a signal ends).
fn duration(n: i128) -> Option<Duration> {
    u64::try_from(n.max(0)).ok().map(Duration::from_nanos)
}

/// The host `Instant` `n` nanoseconds from now (`None`: never).
fn instant_after(n: i128) -> Option<Instant> {
    duration(n).and_then(|d| Instant::now().checked_add(d))
}

/// A host-monotonic time `n` ns from now, saturated to what a timespec holds.
fn host_deadline_after(n: i128) -> Timespec {
    let at = ns(host_monotonic()).saturating_add(n);
    from_ns(at.min(i128::from(i64::MAX) * NSEC_PER_SEC))
}

fn sys_nanosleep(t: &mut Task, a: &SyscallArgs) -> SysResult {
    t.restart_block = None;
    let req: Timespec = t.mm.read_obj(a.u64(0))?;
    if !valid(&req) {
        return Err(Errno::EINVAL);
    }
    sleep_relative(t, CLOCK_MONOTONIC, ns(req), a.u64(1))
}

fn sys_clock_nanosleep(t: &mut Task, a: &SyscallArgs) -> SysResult {
    t.restart_block = None;
    let (id, flags, req_addr, rem_addr) = (a.i32(0), a.i32(1), a.u64(2), a.u64(3));
    let clock = decode(id)?;
    // Clocks without a sleep operation.
    match clock {
        Clock::Fixed(
            CLOCK_THREAD_CPUTIME_ID
            | CLOCK_MONOTONIC_RAW
            | CLOCK_REALTIME_COARSE
            | CLOCK_MONOTONIC_COARSE,
        )
        | Clock::Dynamic => return Err(Errno::EOPNOTSUPP),
        _ => {}
    }
    let req: Timespec = t.mm.read_obj(req_addr)?;
    if !valid(&req) {
        return Err(Errno::EINVAL);
    }
    let abs = flags & TIMER_ABSTIME != 0;
    match clock {
        Clock::Fixed(CLOCK_REALTIME_ALARM | CLOCK_BOOTTIME_ALARM) => {
            if !alarm_clocks() {
                return Err(Errno::EOPNOTSUPP);
            }
            if flags & !TIMER_ABSTIME != 0 {
                return Err(Errno::EINVAL);
            }
            if !t.creds.has_cap(CAP_WAKE_ALARM) {
                return Err(Errno::EPERM);
            }
        }
        Clock::Fixed(CLOCK_PROCESS_CPUTIME_ID) => {
            return cpu_sleep(t, CpuTarget::Own, CPUCLOCK_SCHED, abs, req, rem_addr);
        }
        Clock::Cpu { which, thread, pid } => {
            // A thread cannot sleep on its own CPU clock: it would never advance.
            if thread && (pid == 0 || pid == t.tid) {
                return Err(Errno::EINVAL);
            }
            let target = cpu_target(t, which, thread, pid, false)?;
            return cpu_sleep(t, target, which, abs, req, rem_addr);
        }
        _ => {}
    }
    if abs {
        // Until the clock reads `req`: converted once to a host deadline.
        let now = fixed_now(&t.k, id)?;
        let left = ns(req) - ns(now);
        if left <= 0 {
            return Ok(0);
        }
        return match t.sleep_until(instant_after(left)) {
            Ok(()) => Ok(0),
            // Absolute sleeps restart with the same arguments.
            Err(_) => Err(Errno::ERESTARTNOHAND),
        };
    }
    sleep_relative(t, id, ns(req), rem_addr)
}

/// Sleep `n` ns. When a signal interrupts, write the time left to `rem`
/// (if given) and ask for a restart through restart_syscall, which
/// resumes the sleep from the restart block (syscalls/time_restart.rs).
fn sleep_relative(t: &mut Task, clock: i32, n: i128, rem: u64) -> SysResult {
    let deadline = host_deadline_after(n);
    match t.sleep_until(instant_after(n)) {
        Ok(()) => Ok(0),
        Err(_) => {
            let left = ns(deadline) - ns(host_monotonic());
            if left <= 0 {
                return Ok(0);
            }
            if rem != 0 {
                t.mm.write_obj(rem, &from_ns(left))?;
            }
            t.restart_block = Some(RestartBlock::Sleep {
                clock,
                deadline,
                rem,
            });
            Err(Errno::ERESTART_RESTARTBLOCK)
        }
    }
}

/// Sleep until a CPU-time clock reaches a value. CPU time only advances
/// while something runs, so this polls: each wait is the time still
/// missing, which CPU time cannot cover faster than real time.
fn cpu_sleep(
    t: &mut Task,
    target: CpuTarget,
    which: i32,
    abs: bool,
    req: Timespec,
    rem: u64,
) -> SysResult {
    let start = ns(cpu_now(t, &target, which));
    let goal = if abs { ns(req) } else { start + ns(req) };
    loop {
        let left = goal - ns(cpu_now(t, &target, which));
        if left <= 0 {
            return Ok(0);
        }
        if t.sleep_until(instant_after(left.max(1_000_000))).is_err() {
            if abs {
                return Err(Errno::ERESTARTNOHAND);
            }
            let left = goal - ns(cpu_now(t, &target, which));
            if left <= 0 {
                return Ok(0);
            }
            if rem != 0 {
                t.mm.write_obj(rem, &from_ns(left))?;
            }
            return Err(Errno::EINTR);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_ids_decode_as_linux() {
        assert_eq!(decode(CLOCK_MONOTONIC), Ok(Clock::Fixed(CLOCK_MONOTONIC)));
        assert_eq!(decode(10), Err(Errno::EINVAL));
        assert_eq!(decode(12), Err(Errno::EINVAL));
        assert_eq!(decode(12345), Err(Errno::EINVAL));
        // MAKE_PROCESS_CPUCLOCK(0, CPUCLOCK_SCHED)
        assert_eq!(
            decode(!0 << 3 | 2),
            Ok(Clock::Cpu {
                which: 2,
                thread: false,
                pid: 0
            })
        );
        // MAKE_THREAD_CPUCLOCK(1234, CPUCLOCK_PROF)
        assert_eq!(
            decode(!1234 << 3 | 4),
            Ok(Clock::Cpu {
                which: 0,
                thread: true,
                pid: 1234
            })
        );
        // FD_TO_CLOCKID(5)
        assert_eq!(decode(!5 << 3 | 3), Ok(Clock::Dynamic));
        assert_eq!(
            decode(-1000),
            Ok(Clock::Cpu {
                which: 0,
                thread: false,
                pid: 124
            })
        );
    }

    #[test]
    fn huge_sleeps_have_no_deadline() {
        assert!(instant_after(i128::from(i64::MAX) * NSEC_PER_SEC).is_none());
        assert!(instant_after(1000).is_some());
        let d = host_deadline_after(i128::from(i64::MAX) * NSEC_PER_SEC);
        assert!(d.tv_sec > 0 && valid(&d));
    }
}
