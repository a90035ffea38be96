//! futex(2).

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::futex::{self, WaitResult};
use crate::kernel::Task;
use abi::{sysno, Errno, Timespec};
use std::time::{Duration, Instant};

pub fn register(t: &mut Table) {
    t.partial(
        sysno::FUTEX,
        sys_futex,
        &[Arg::Ptr, Arg::Hex, Arg::Int, Arg::Ptr, Arg::Ptr, Arg::Hex],
        "no priority-inheritance operations (ENOSYS)",
    );
}

const FUTEX_WAIT: u32 = 0;
const FUTEX_WAKE: u32 = 1;
const FUTEX_REQUEUE: u32 = 3;
const FUTEX_CMP_REQUEUE: u32 = 4;
const FUTEX_WAKE_OP: u32 = 5;
const FUTEX_WAIT_BITSET: u32 = 9;
const FUTEX_WAKE_BITSET: u32 = 10;
const FUTEX_PRIVATE_FLAG: u32 = 128;
const FUTEX_CLOCK_REALTIME: u32 = 256;

/// An absolute or relative futex timeout as an Instant deadline.
fn deadline(t: &Task, addr: u64, absolute: bool, realtime: bool) -> Result<Option<Instant>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let ts: Timespec = t.mm.read_obj(addr)?;
    if !crate::kernel::time::valid(&ts) {
        return Err(Errno::EINVAL);
    }
    let now = Instant::now();
    let want = crate::kernel::time::ns(ts);
    let rel_ns = if absolute {
        let base = if realtime {
            crate::kernel::time::realtime()
        } else {
            crate::kernel::time::host_monotonic()
        };
        want - crate::kernel::time::ns(base)
    } else {
        want
    };
    Ok(Some(now + Duration::from_nanos(rel_ns.max(0) as u64)))
}

fn wait(
    t: &mut Task,
    addr: u64,
    val: u32,
    dl: Option<Instant>,
    bitset: u32,
    private: bool,
) -> SysResult {
    let k = futex::key(&t.mm, addr, private)?;
    let mm = t.mm.clone();
    let h = futex::prepare_wait(&mm, &t.shared, k, addr, val, bitset)?;
    let res = loop {
        if h.woken() {
            break WaitResult::Woken;
        }
        match t.block(dl) {
            Ok(()) => continue,
            Err(Errno::ETIMEDOUT) => break WaitResult::TimedOut,
            Err(_) => break WaitResult::Interrupted,
        }
    };
    match res {
        WaitResult::Woken => Ok(0),
        WaitResult::TimedOut => {
            if h.cancel() {
                Ok(0)
            } else {
                Err(Errno::ETIMEDOUT)
            }
        }
        WaitResult::Interrupted => {
            if h.cancel() {
                Ok(0)
            } else {
                Err(Errno::ERESTARTSYS)
            }
        }
    }
}

fn sys_futex(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (addr, op, val, timeout, addr2, val3) =
        (a.u64(0), a.u32(1), a.u32(2), a.u64(3), a.u64(4), a.u32(5));
    let private = op & FUTEX_PRIVATE_FLAG != 0;
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    if realtime && !matches!(cmd, FUTEX_WAIT | FUTEX_WAIT_BITSET) {
        return Err(Errno::ENOSYS);
    }
    let mm = t.mm.clone();
    match cmd {
        FUTEX_WAIT => {
            // FUTEX_WAIT's timeout is always relative.
            let dl = deadline(t, timeout, false, false)?;
            wait(t, addr, val, dl, u32::MAX, private)
        }
        FUTEX_WAIT_BITSET => {
            let dl = deadline(t, timeout, true, realtime)?;
            wait(t, addr, val, dl, val3, private)
        }
        FUTEX_WAKE => Ok(futex::wake(&mm, addr, val, u32::MAX, private)? as u64),
        FUTEX_WAKE_BITSET => Ok(futex::wake(&mm, addr, val, val3, private)? as u64),
        FUTEX_REQUEUE => {
            Ok(futex::requeue(&mm, addr, addr2, val, timeout as u32, None, private)? as u64)
        }
        FUTEX_CMP_REQUEUE => {
            Ok(futex::requeue(&mm, addr, addr2, val, timeout as u32, Some(val3), private)? as u64)
        }
        FUTEX_WAKE_OP => {
            Ok(futex::wake_op(&mm, addr, addr2, val, timeout as u32, val3, private)? as u64)
        }
        _ => Err(Errno::ENOSYS),
    }
}
