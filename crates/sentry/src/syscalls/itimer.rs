//! setitimer, getitimer, alarm.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::itimer::ITIMER_REAL;
use crate::kernel::Task;
use abi::{sysno, Errno, Timeval};
use std::time::Duration;

pub fn register(t: &mut Table) {
    t.add(
        sysno::SETITIMER,
        sys_setitimer,
        &[Arg::Int, Arg::Ptr, Arg::Ptr],
    );
    t.add(sysno::GETITIMER, sys_getitimer, &[Arg::Int, Arg::Ptr]);
    t.add(sysno::ALARM, sys_alarm, &[Arg::Int]);
}

fn to_tv(d: Duration) -> Timeval {
    Timeval {
        tv_sec: d.as_secs() as i64,
        tv_usec: d.subsec_micros() as i64,
    }
}

fn from_tv(tv: &Timeval) -> Result<Duration, Errno> {
    if tv.tv_sec < 0 || !(0..1_000_000).contains(&tv.tv_usec) {
        return Err(Errno::EINVAL);
    }
    Ok(Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000))
}

fn which(a: &SyscallArgs) -> Result<usize, Errno> {
    match a.i32(0) {
        w @ 0..=2 => Ok(w as usize),
        _ => Err(Errno::EINVAL),
    }
}

fn sys_getitimer(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let w = which(a)?;
    let (left, interval) = t.tg.itimers.get(w);
    t.mm.write_obj(a.u64(1), &[to_tv(interval), to_tv(left)])?;
    Ok(0)
}

fn sys_setitimer(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let w = which(a)?;
    let (interval, value) = if a.u64(1) == 0 {
        // A NULL new value disarms, as Linux still accepts.
        (Duration::ZERO, Duration::ZERO)
    } else {
        let v: [Timeval; 2] = t.mm.read_obj(a.u64(1))?;
        (from_tv(&v[0])?, from_tv(&v[1])?)
    };
    let tg = t.tg.clone();
    let old = tg.itimers.set(&tg, &t.mm, w, value, interval);
    if a.u64(2) != 0 {
        t.mm.write_obj(a.u64(2), &[to_tv(old.1), to_tv(old.0)])?;
    }
    Ok(0)
}

fn sys_alarm(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let secs = a.u32(0) as u64;
    let tg = t.tg.clone();
    let (left, _) = tg.itimers.set(
        &tg,
        &t.mm,
        ITIMER_REAL,
        Duration::from_secs(secs),
        Duration::ZERO,
    );
    // Remaining seconds, rounded to nearest, never 0 while armed.
    let mut r = left.as_secs();
    if left.subsec_micros() >= 500_000 {
        r += 1;
    }
    if r == 0 && !left.is_zero() {
        r = 1;
    }
    Ok(r)
}
