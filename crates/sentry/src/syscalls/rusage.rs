//! Resource usage: getrusage, times, and the `struct rusage` wait4 and
//! waitid report.
//!
//! CPU time is what the platform measures for an address space: the
//! application's instructions (user) and the host kernel's work for them
//! (system) in the stub process that runs it. The Sentry's own time serving
//! the process's syscalls is not counted. A process's time is its current
//! address space's, so time spent before its last execve is lost, and a
//! vfork child that exits without exec reports its parent's address space.
//! Children's times are collected when they are waited for (not when
//! reaped automatically), as Linux does.
//!
//! ru_maxrss is the pages the address space has populated now, not its
//! high-water mark; for children it is 0. The other fields (faults,
//! context switches, block I/O) are 0.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::Task;
use abi::{sysno, Errno, Rusage, Timeval, Tms};
use rustix::time::{clock_getres, ClockId};

const RUSAGE_SELF: i32 = 0;
const RUSAGE_CHILDREN: i32 = -1;
const RUSAGE_THREAD: i32 = 1;

/// Clock ticks per second as times(2) counts them.
const USER_HZ: u64 = 100;
const NSEC_PER_SEC: u64 = 1_000_000_000;

pub fn register(t: &mut Table) {
    t.partial(
        sysno::GETRUSAGE,
        sys_getrusage,
        &[Arg::Int, Arg::Ptr],
        "CPU times of the address space (RUSAGE_THREAD reports the process's); maxrss is the current resident size; other fields are 0",
    );
    t.partial(
        sysno::TIMES,
        sys_times,
        &[Arg::Ptr],
        "CPU times of the address space, without the Sentry's time serving it",
    );
}

/// `ns` nanoseconds as a timeval.
fn timeval(ns: u64) -> Timeval {
    Timeval {
        tv_sec: (ns / NSEC_PER_SEC) as i64,
        tv_usec: (ns % NSEC_PER_SEC / 1000) as i64,
    }
}

/// A `struct rusage` with CPU times (user, system ns) and maxrss (KiB).
pub fn rusage(times: (u64, u64), maxrss_kb: u64) -> Rusage {
    let mut r = Rusage {
        ru_utime: timeval(times.0),
        ru_stime: timeval(times.1),
        ..Default::default()
    };
    // ru_maxrss is the first field after the two timevals.
    r.rest[0] = maxrss_kb as i64;
    r
}

/// The calling process's own CPU time (user, system ns).
fn own_times(t: &Task) -> (u64, u64) {
    match t.mm.aspace.cpu_time() {
        Some((user, total)) => (user, total.saturating_sub(user)),
        None => (0, 0),
    }
}

/// The calling process's resident memory, in KiB.
fn resident_kb(t: &Task) -> u64 {
    let st = t.mm.st.lock();
    st.pmas.iter().map(|p| p.end - p.start).sum::<u64>() / 1024
}

fn sys_getrusage(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let r = match a.i32(0) {
        RUSAGE_SELF | RUSAGE_THREAD => rusage(own_times(t), resident_kb(t)),
        RUSAGE_CHILDREN => rusage(*t.tg.child_times.lock(), 0),
        _ => return Err(Errno::EINVAL),
    };
    t.mm.write_obj(a.u64(1), &r)?;
    Ok(0)
}

fn ticks(ns: u64) -> i64 {
    (ns / (NSEC_PER_SEC / USER_HZ)) as i64
}

/// The kernel's tick rate (HZ), from the coarse clocks' resolution.
fn host_hz() -> u64 {
    let r = clock_getres(ClockId::MonotonicCoarse);
    let ns = (r.tv_sec as u64)
        .saturating_mul(NSEC_PER_SEC)
        .saturating_add(r.tv_nsec as u64);
    if ns > 0 && ns <= NSEC_PER_SEC {
        NSEC_PER_SEC / ns
    } else {
        USER_HZ
    }
}

fn sys_times(t: &mut Task, a: &SyscallArgs) -> SysResult {
    if a.u64(0) != 0 {
        let (u, s) = own_times(t);
        let (cu, cs) = *t.tg.child_times.lock();
        let tms = Tms {
            tms_utime: ticks(u),
            tms_stime: ticks(s),
            tms_cutime: ticks(cu),
            tms_cstime: ticks(cs),
        };
        t.mm.write_obj(a.u64(0), &tms)?;
    }
    // Linux counts jiffies from five minutes before the 32-bit wrap, so
    // that wrap bugs show early; times() reports that count in USER_HZ.
    let hz = host_hz();
    let initial = ((1u64 << 32) - 300 * hz) * USER_HZ / hz;
    let uptime = u64::try_from(super::time::uptime_ns(&t.k)).unwrap_or(0);
    Ok(initial + ticks(uptime) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        let r = rusage((1_500_000_000, 2_000_999), 640);
        assert_eq!((r.ru_utime.tv_sec, r.ru_utime.tv_usec), (1, 500_000));
        assert_eq!((r.ru_stime.tv_sec, r.ru_stime.tv_usec), (0, 2000));
        assert_eq!(r.rest[0], 640);
        assert_eq!(ticks(1_000_000_000), 100);
        assert_eq!(ticks(9_999_999), 0);
    }
}
