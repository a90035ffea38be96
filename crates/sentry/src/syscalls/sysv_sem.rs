//! System V semaphores: semget, semop, semtimedop, semctl.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::ipc::sem::SemopArgs;
use crate::kernel::Task;
use abi::ipc::*;
use abi::{sysno, Errno};
use std::time::{Duration, Instant};

pub fn register(t: &mut Table) {
    t.add(sysno::SEMGET, sys_semget, &[Arg::Hex, Arg::Int, Arg::Oct]);
    t.partial(
        sysno::SEMOP,
        sys_semop,
        &[Arg::Int, Arg::Ptr, Arg::Int],
        "waiters retry in wake-up order rather than Linux's queue order",
    );
    t.partial(
        sysno::SEMTIMEDOP,
        sys_semtimedop,
        &[Arg::Int, Arg::Ptr, Arg::Int, Arg::Ptr],
        "waiters retry in wake-up order rather than Linux's queue order",
    );
    t.partial(
        sysno::SEMCTL,
        sys_semctl,
        &[Arg::Int, Arg::Int, Arg::Int, Arg::Hex],
        "SEM_UNDO lists are per process; clone(CLONE_SYSVSEM) without CLONE_THREAD does not share them",
    );
}

fn sys_semget(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let ns = t.ipc_ns();
    Ok(ns.sem.get(a.i32(0), a.i32(1), a.u32(2), &t.creds)? as u64)
}

fn sys_semop(t: &mut Task, a: &SyscallArgs) -> SysResult {
    semtimedop(t, a.i32(0), a.u64(1), a.u32(2), None)
}

fn sys_semtimedop(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let timeout = match a.u64(3) {
        0 => None,
        p => {
            // Read before anything else is checked, as Linux.
            let ts: abi::Timespec = t.mm.read_obj(p)?;
            Some(ts)
        }
    };
    semtimedop(t, a.i32(0), a.u64(1), a.u32(2), timeout)
}

fn semtimedop(
    t: &mut Task,
    id: i32,
    sops: u64,
    nsops: u32,
    timeout: Option<abi::Timespec>,
) -> SysResult {
    if nsops < 1 || id < 0 {
        return Err(Errno::EINVAL);
    }
    if nsops > SEMOPM as u32 {
        return Err(Errno::E2BIG);
    }
    let mut ops = vec![Sembuf::default(); nsops as usize];
    t.mm.read_bytes(sops, zerocopy::IntoBytes::as_mut_bytes(ops.as_mut_slice()))?;
    let deadline = match timeout {
        None => None,
        Some(ts) => {
            if !crate::kernel::time::valid(&ts) {
                return Err(Errno::EINVAL);
            }
            let d = Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
            Some(Instant::now().checked_add(d).unwrap_or_else(far_future))
        }
    };
    let ns = t.ipc_ns();
    ns.sem.semop(
        t,
        SemopArgs {
            id,
            ops: &ops,
            deadline,
        },
    )?;
    Ok(0)
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(100 * 365 * 86400)
}

fn sys_semctl(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (id, semnum, cmd, arg) = (a.i32(0), a.i32(1), a.i32(2), a.u64(3));
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    let ns = t.ipc_ns();
    let pid = t.tg.tgid;
    match cmd {
        IPC_INFO | SEM_INFO => {
            let (max, info) = ns.sem.info(cmd == SEM_INFO);
            t.mm.write_obj(arg, &info)?;
            Ok(max as u64)
        }
        IPC_STAT | SEM_STAT | SEM_STAT_ANY => {
            let (real, ds) = ns
                .sem
                .stat(id, cmd != IPC_STAT, cmd != SEM_STAT_ANY, &t.creds)?;
            t.mm.write_obj(arg, &ds)?;
            Ok(if cmd == IPC_STAT { 0 } else { real as u64 })
        }
        GETVAL | GETPID | GETNCNT | GETZCNT => ns.sem.get_one(id, semnum, cmd, &t.creds),
        GETALL => {
            let vals = ns.sem.get_all(id, &t.creds)?;
            t.mm.write_bytes(arg, zerocopy::IntoBytes::as_bytes(vals.as_slice()))?;
            Ok(0)
        }
        SETALL => {
            let (n, serial) = ns.sem.set_all_prepare(id, &t.creds)?;
            let mut vals = vec![0u16; n];
            t.mm.read_bytes(arg, zerocopy::IntoBytes::as_mut_bytes(vals.as_mut_slice()))?;
            ns.sem.set_all(id, serial, &vals, pid)?;
            Ok(0)
        }
        SETVAL => {
            ns.sem
                .set_val(id, semnum, arg as u32 as i32, &t.creds, pid)?;
            Ok(0)
        }
        IPC_SET => {
            let ds: SemidDs = t.mm.read_obj(arg)?;
            ns.sem.set(id, &ds, &t.creds)?;
            Ok(0)
        }
        IPC_RMID => {
            ns.sem.remove(id, &t.creds)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
