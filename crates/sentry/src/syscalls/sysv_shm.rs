//! System V shared memory: shmget, shmat, shmdt, shmctl.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::ipc::shm;
use crate::kernel::limits::RLIMIT_MEMLOCK;
use crate::kernel::Task;
use abi::ipc::*;
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    t.partial(
        sysno::SHMGET,
        sys_shmget,
        &[Arg::Hex, Arg::Hex, Arg::Oct],
        "SHM_HUGETLB fails with ENOMEM (no huge pages); the limits are Linux's defaults and fixed",
    );
    t.add(sysno::SHMAT, sys_shmat, &[Arg::Int, Arg::Ptr, Arg::Oct]);
    t.add(sysno::SHMDT, sys_shmdt, &[Arg::Ptr]);
    t.partial(
        sysno::SHMCTL,
        sys_shmctl,
        &[Arg::Int, Arg::Int, Arg::Ptr],
        "SHM_LOCK/SHM_UNLOCK only set the flag; shm_nattch counts attaches, not areas split by mprotect",
    );
}

fn sys_shmget(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let ns = t.ipc_ns();
    Ok(ns
        .shm
        .get(a.i32(0), a.u64(1), a.u32(2), &t.creds, t.tg.tgid)? as u64)
}

fn sys_shmat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (id, flags) = (a.i32(0), a.u32(2));
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    let addr = shm::attach_address(a.u64(1), flags)?;
    let mut access = if flags & SHM_RDONLY != 0 {
        0o444
    } else {
        0o666
    };
    if flags & SHM_EXEC != 0 {
        access |= 0o111;
    }
    let ns = t.ipc_ns();
    let plan = ns.shm.attach(id, access, &t.creds)?;
    shm::map_attach(&t.mm, plan, addr, flags, t.tg.tgid)
}

fn sys_shmdt(t: &mut Task, a: &SyscallArgs) -> SysResult {
    shm::detach_at(&t.mm, a.u64(0))?;
    Ok(0)
}

fn sys_shmctl(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (id, cmd, buf) = (a.i32(0), a.i32(1), a.u64(2));
    if id < 0 || cmd < 0 {
        return Err(Errno::EINVAL);
    }
    let ns = t.ipc_ns();
    match cmd {
        IPC_INFO => {
            let (max, info) = ns.shm.info();
            t.mm.write_obj(buf, &info)?;
            Ok(max as u64)
        }
        SHM_INFO => {
            let (max, info) = ns.shm.usage();
            t.mm.write_obj(buf, &info)?;
            Ok(max as u64)
        }
        IPC_STAT | SHM_STAT | SHM_STAT_ANY => {
            let (real, ds) = ns
                .shm
                .stat(id, cmd != IPC_STAT, cmd != SHM_STAT_ANY, &t.creds)?;
            t.mm.write_obj(buf, &ds)?;
            Ok(if cmd == IPC_STAT { 0 } else { real as u64 })
        }
        IPC_SET => {
            let ds: ShmidDs = t.mm.read_obj(buf)?;
            ns.shm.set(id, &ds, &t.creds)?;
            Ok(0)
        }
        IPC_RMID => {
            ns.shm.remove(id, &t.creds)?;
            Ok(0)
        }
        SHM_LOCK | SHM_UNLOCK => {
            let memlock = t.tg.limits.lock().cur(RLIMIT_MEMLOCK);
            ns.shm.lock(id, cmd == SHM_LOCK, &t.creds, memlock)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
