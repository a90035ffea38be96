//! Clocks as the application sees them. Real time is the host's; the
//! monotonic and boot clocks count from the sandbox's start, as a fresh
//! machine's would.

use abi::Timespec;
use rustix::time::{clock_gettime, ClockId};

pub const CLOCK_REALTIME: i32 = 0;
pub const CLOCK_MONOTONIC: i32 = 1;
pub const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
pub const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
pub const CLOCK_MONOTONIC_RAW: i32 = 4;
pub const CLOCK_REALTIME_COARSE: i32 = 5;
pub const CLOCK_MONOTONIC_COARSE: i32 = 6;
pub const CLOCK_BOOTTIME: i32 = 7;
pub const CLOCK_REALTIME_ALARM: i32 = 8;
pub const CLOCK_BOOTTIME_ALARM: i32 = 9;
pub const CLOCK_TAI: i32 = 11;

pub fn to_ts(t: rustix::time::Timespec) -> Timespec {
    Timespec {
        tv_sec: t.tv_sec,
        tv_nsec: t.tv_nsec,
    }
}

pub fn realtime() -> Timespec {
    to_ts(clock_gettime(ClockId::Realtime))
}

pub fn host_monotonic() -> Timespec {
    to_ts(clock_gettime(ClockId::Monotonic))
}

pub fn ns(t: Timespec) -> i128 {
    t.tv_sec as i128 * 1_000_000_000 + t.tv_nsec as i128
}

pub fn from_ns(n: i128) -> Timespec {
    Timespec {
        tv_sec: n.div_euclid(1_000_000_000) as i64,
        tv_nsec: n.rem_euclid(1_000_000_000) as i64,
    }
}

/// Thread CPU time of the calling host thread (which runs one task).
pub fn thread_cputime() -> Timespec {
    to_ts(clock_gettime(ClockId::ThreadCPUTime))
}

pub fn process_cputime() -> Timespec {
    to_ts(clock_gettime(ClockId::ProcessCPUTime))
}

/// Whether a timespec from an application is valid (0 <= nsec < 1e9, sec >= 0).
pub fn valid(t: &Timespec) -> bool {
    t.tv_sec >= 0 && (0..1_000_000_000).contains(&t.tv_nsec)
}
