//! Resource limits: getrlimit, setrlimit, prlimit64.
//!
//! Limits belong to the thread group ([`ThreadGroup::limits`]); the checks
//! are Linux's do_prlimit and check_prlimit_permission.

use super::identity::creds_of;
use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::creds::CAP_SYS_RESOURCE;
use crate::kernel::limits::{RLIMIT_NOFILE, RLIM_NLIMITS};
use crate::kernel::{Task, ThreadGroup};
use abi::{sysno, Errno, Rlimit};
use std::sync::Arc;

pub fn register(t: &mut Table) {
    t.add(sysno::GETRLIMIT, sys_getrlimit, &[Arg::Int, Arg::Ptr]);
    t.add(sysno::SETRLIMIT, sys_setrlimit, &[Arg::Int, Arg::Ptr]);
    t.partial(
        sysno::PRLIMIT64,
        sys_prlimit64,
        &[Arg::Int, Arg::Int, Arg::Ptr, Arg::Ptr],
        "another process's credentials are its leader's",
    );
}

/// The most file descriptors any process may have (fs.nr_open).
pub const NR_OPEN: u64 = 1 << 20;

/// Linux's do_prlimit: read and/or replace one limit of `tg`.
fn do_prlimit(
    t: &Task,
    tg: &ThreadGroup,
    resource: u32,
    new: Option<Rlimit>,
) -> Result<Rlimit, Errno> {
    let r = resource as usize;
    if r >= RLIM_NLIMITS {
        return Err(Errno::EINVAL);
    }
    if let Some(n) = new {
        if n.rlim_cur > n.rlim_max {
            return Err(Errno::EINVAL);
        }
        if r == RLIMIT_NOFILE && n.rlim_max > NR_OPEN {
            return Err(Errno::EPERM);
        }
    }
    let mut limits = tg.limits.lock();
    let old = limits.get(r);
    if let Some(n) = new {
        if n.rlim_max > old.rlim_max && !t.creds.has_cap(CAP_SYS_RESOURCE) {
            return Err(Errno::EPERM);
        }
        if let Some(slot) = limits.0.get_mut(r) {
            *slot = n;
        }
    }
    Ok(old)
}

fn sys_getrlimit(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let old = do_prlimit(t, &t.tg, a.u32(0), None)?;
    t.mm.write_obj(a.u64(1), &old)?;
    Ok(0)
}

fn sys_setrlimit(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let new: Rlimit = t.mm.read_obj(a.u64(1))?;
    do_prlimit(t, &t.tg, a.u32(0), Some(new))?;
    Ok(0)
}

/// The thread group of task `tid`, if it exists.
pub fn group_of(t: &Task, tid: i32) -> Option<Arc<ThreadGroup>> {
    let groups: Vec<Arc<ThreadGroup>> = {
        let pids = t.k.pids.lock();
        if !pids.tasks.contains_key(&tid) {
            return None;
        }
        if let Some(g) = pids.groups.get(&tid) {
            return Some(g.clone());
        }
        pids.groups.values().cloned().collect()
    };
    groups
        .into_iter()
        .find(|g| g.tasks.lock().iter().any(|s| s.tid == tid))
}

fn sys_prlimit64(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (pid, resource, new_addr, old_addr) = (a.i32(0), a.u32(1), a.u64(2), a.u64(3));
    let new = if new_addr != 0 {
        Some(t.mm.read_obj::<Rlimit>(new_addr)?)
    } else {
        None
    };
    let tg = if pid == 0 || pid == t.tid {
        t.tg.clone()
    } else {
        let tg = group_of(t, pid).ok_or(Errno::ESRCH)?;
        // Another task: the caller's real ids must be all of the target's
        // ids, or the caller needs CAP_SYS_RESOURCE.
        let (c, tc) = (&t.creds, creds_of(t, pid));
        let id_match = [tc.uid, tc.euid, tc.suid].iter().all(|&u| u == c.uid)
            && [tc.gid, tc.egid, tc.sgid].iter().all(|&g| g == c.gid);
        if !id_match && !c.has_cap(CAP_SYS_RESOURCE) {
            return Err(Errno::EPERM);
        }
        tg
    };
    let old = do_prlimit(t, &tg, resource, new)?;
    if old_addr != 0 {
        t.mm.write_obj(old_addr, &old)?;
    }
    Ok(0)
}
