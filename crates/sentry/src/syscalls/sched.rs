//! Scheduling as the application sees it: sched_yield, CPU affinity,
//! getcpu, scheduling policies and priorities, nice values.
//!
//! The Sentry does not schedule: host threads run on the host's
//! scheduler. Policies, real-time priorities, nice values and affinity
//! masks are recorded per task and reported back, with Linux's checks,
//! but change nothing on the host. The record lives here, keyed by the
//! task, until tasks carry it themselves.

use super::rlimit::group_of;
use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::limits::{RLIMIT_NICE, RLIMIT_RTPRIO};
use crate::kernel::task::TaskShared;
use crate::kernel::{Task, ThreadGroup};
use abi::{sysno, Errno, Timespec};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::{Arc, Weak};

pub fn register(t: &mut Table) {
    const RECORDED: &str =
        "recorded and reported per task, not applied to host threads; children start from the defaults";
    t.add(sysno::SCHED_YIELD, sys_sched_yield, &[]);
    t.partial(
        sysno::SCHED_GETAFFINITY,
        sys_sched_getaffinity,
        &[Arg::Int, Arg::Int, Arg::Ptr],
        RECORDED,
    );
    t.partial(
        sysno::SCHED_SETAFFINITY,
        sys_sched_setaffinity,
        &[Arg::Int, Arg::Int, Arg::Ptr],
        RECORDED,
    );
    t.partial(
        sysno::GETCPU,
        sys_getcpu,
        &[Arg::Ptr, Arg::Ptr, Arg::Ptr],
        "the CPU the Sentry's host thread last ran on; NUMA node 0",
    );
    t.partial(sysno::SCHED_GETSCHEDULER, sys_sched_getscheduler, &[Arg::Int], RECORDED);
    t.partial(
        sysno::SCHED_SETSCHEDULER,
        sys_sched_setscheduler,
        &[Arg::Int, Arg::Int, Arg::Ptr],
        RECORDED,
    );
    t.partial(sysno::SCHED_GETPARAM, sys_sched_getparam, &[Arg::Int, Arg::Ptr], RECORDED);
    t.partial(sysno::SCHED_SETPARAM, sys_sched_setparam, &[Arg::Int, Arg::Ptr], RECORDED);
    t.add(sysno::SCHED_GET_PRIORITY_MAX, sys_sched_get_priority_max, &[Arg::Int]);
    t.add(sysno::SCHED_GET_PRIORITY_MIN, sys_sched_get_priority_min, &[Arg::Int]);
    t.partial(
        sysno::SCHED_RR_GET_INTERVAL,
        sys_sched_rr_get_interval,
        &[Arg::Int, Arg::Ptr],
        RECORDED,
    );
    t.partial(
        sysno::GETPRIORITY,
        sys_getpriority,
        &[Arg::Int, Arg::Int],
        "nice values recorded per task; PRIO_USER takes every task in the sandbox as the caller's user's",
    );
    t.partial(
        sysno::SETPRIORITY,
        sys_setpriority,
        &[Arg::Int, Arg::Int, Arg::Int],
        "nice values recorded per task; PRIO_USER takes every task in the sandbox as the caller's user's",
    );
}

const SCHED_NORMAL: i32 = 0;
const SCHED_FIFO: i32 = 1;
const SCHED_RR: i32 = 2;
const SCHED_BATCH: i32 = 3;
const SCHED_IDLE: i32 = 5;
const SCHED_DEADLINE: i32 = 6;
const SCHED_EXT: i32 = 7;
const SCHED_RESET_ON_FORK: i32 = 0x4000_0000;
/// sched_setparam's "keep the policy".
const SETPARAM_POLICY: i32 = -1;
const MAX_RT_PRIO: u32 = 100;
const MIN_NICE: i32 = -20;
const MAX_NICE: i32 = 19;
const CAP_SYS_NICE: u32 = 23;
/// SCHED_RR's time slice.
const RR_TIMESLICE_NS: i64 = 100_000_000;

const PRIO_PROCESS: i32 = 0;
const PRIO_PGRP: i32 = 1;
const PRIO_USER: i32 = 2;

/// A task's scheduling attributes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct SchedState {
    policy: i32,
    rt_priority: u32,
    nice: i32,
    reset_on_fork: bool,
    /// Set by sched_setaffinity: the CPUs allowed, one bit each.
    affinity: Option<Vec<u8>>,
}

struct Record {
    /// Keeps the task's allocation (its key) from being reused while recorded.
    task: Weak<TaskShared>,
    state: SchedState,
}

/// Scheduling state of every task that changed it, keyed by the address of its [`TaskShared`].
static STATE: Mutex<Option<HashMap<usize, Record>>> = Mutex::new(None);

fn key(task: &Arc<TaskShared>) -> usize {
    Arc::as_ptr(task) as usize
}

fn state_of(task: &Arc<TaskShared>) -> SchedState {
    STATE
        .lock()
        .as_ref()
        .and_then(|m| m.get(&key(task)))
        .map(|r| r.state.clone())
        .unwrap_or_default()
}

fn update(task: &Arc<TaskShared>, f: impl FnOnce(&mut SchedState)) {
    let mut g = STATE.lock();
    let m = g.get_or_insert_with(HashMap::new);
    // Forget tasks that are gone.
    m.retain(|_, r| r.task.strong_count() > 0);
    let r = m.entry(key(task)).or_insert_with(|| Record {
        task: Arc::downgrade(task),
        state: SchedState::default(),
    });
    f(&mut r.state);
}

/// The task `pid` names (0: the caller), for calls that fail with ESRCH.
fn find_task(t: &Task, pid: i32) -> Result<Arc<TaskShared>, Errno> {
    if pid == 0 || pid == t.tid {
        return Ok(t.shared.clone());
    }
    t.k.pids.lock().tasks.get(&pid).cloned().ok_or(Errno::ESRCH)
}

/// The thread group of a task found by [`find_task`].
fn group_of_task(t: &Task, task: &Arc<TaskShared>) -> Option<Arc<ThreadGroup>> {
    if task.tid == t.tid {
        Some(t.tg.clone())
    } else {
        group_of(t, task.tid)
    }
}

fn sys_sched_yield(_t: &mut Task, _a: &SyscallArgs) -> SysResult {
    std::thread::yield_now();
    Ok(0)
}

/// The CPUs the sandbox may use: the host's affinity of the Sentry.
fn host_cpus() -> Vec<usize> {
    match rustix::thread::sched_getaffinity(None) {
        Ok(set) => {
            let cpus: Vec<usize> =
                (0..rustix::thread::CpuSet::MAX_CPU).filter(|&c| set.is_set(c)).collect();
            if cpus.is_empty() {
                vec![0]
            } else {
                cpus
            }
        }
        Err(_) => vec![0],
    }
}

/// The kernel's nr_cpu_ids: one more than the highest CPU number.
fn nr_cpu_ids(cpus: &[usize]) -> usize {
    cpus.iter().max().map_or(1, |m| m + 1)
}

/// Size in bytes of the kernel's CPU mask (cpumask_size): what
/// sched_getaffinity returns. Kernels built for up to 256 CPUs (the
/// common configuration) use 32 bytes.
fn mask_size(cpus: &[usize]) -> usize {
    nr_cpu_ids(cpus).div_ceil(64).max(4) * 8
}

fn mask_of(cpus: &[usize], size: usize) -> Vec<u8> {
    let mut m = vec![0u8; size];
    for &c in cpus {
        if let Some(b) = m.get_mut(c / 8) {
            *b |= 1 << (c % 8);
        }
    }
    m
}

fn mask_has(mask: &[u8], cpu: usize) -> bool {
    mask.get(cpu / 8).is_some_and(|b| b & (1 << (cpu % 8)) != 0)
}

fn sys_sched_getaffinity(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (pid, len, addr) = (a.i32(0), a.u32(1), a.u64(2));
    let cpus = host_cpus();
    // In the kernel's unsigned arithmetic.
    if (len.wrapping_mul(8) as usize) < nr_cpu_ids(&cpus) || len % 8 != 0 {
        return Err(Errno::EINVAL);
    }
    let task = find_task(t, pid)?;
    let size = mask_size(&cpus);
    let mut mask = mask_of(&cpus, size);
    if let Some(allowed) = state_of(&task).affinity {
        for (m, a) in mask.iter_mut().zip(allowed.iter()) {
            *m &= a;
        }
    }
    let n = (len as usize).min(size);
    t.mm.write_bytes(addr, mask.get(..n).unwrap_or_default())?;
    Ok(n as u64)
}

fn sys_sched_setaffinity(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (pid, len, addr) = (a.i32(0), a.u32(1), a.u64(2));
    let cpus = host_cpus();
    let size = mask_size(&cpus);
    // A shorter mask is zero-extended, a longer one cut.
    let mut want = vec![0u8; size];
    let n = (len as usize).min(size);
    if n > 0 {
        t.mm.read_bytes(addr, want.get_mut(..n).unwrap_or_default())?;
    }
    let task = find_task(t, pid)?;
    let host = mask_of(&cpus, size);
    let allowed: Vec<u8> = want.iter().zip(host.iter()).map(|(w, h)| w & h).collect();
    if allowed.iter().all(|&b| b == 0) {
        return Err(Errno::EINVAL);
    }
    update(&task, |s| s.affinity = Some(allowed));
    Ok(0)
}

fn sys_getcpu(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let mut cpu = rustix::thread::sched_getcpu();
    // Report a CPU the task may run on, as it would be on Linux.
    if let Some(allowed) = state_of(&t.shared).affinity {
        if !mask_has(&allowed, cpu) {
            cpu = host_cpus().into_iter().find(|&c| mask_has(&allowed, c)).unwrap_or(0);
        }
    }
    let mut fault = false;
    if a.u64(0) != 0 {
        fault |= t.mm.write_obj(a.u64(0), &(cpu as u32)).is_err();
    }
    if a.u64(1) != 0 {
        fault |= t.mm.write_obj(a.u64(1), &0u32).is_err();
    }
    if fault {
        return Err(Errno::EFAULT);
    }
    Ok(0)
}

fn rt_policy(p: i32) -> bool {
    p == SCHED_FIFO || p == SCHED_RR
}

fn sys_sched_getscheduler(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let pid = a.i32(0);
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let s = state_of(&find_task(t, pid)?);
    let flag = if s.reset_on_fork { SCHED_RESET_ON_FORK } else { 0 };
    Ok((s.policy | flag) as u64)
}

fn sys_sched_getparam(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (pid, param) = (a.i32(0), a.u64(1));
    if param == 0 || pid < 0 {
        return Err(Errno::EINVAL);
    }
    let s = state_of(&find_task(t, pid)?);
    let prio = if rt_policy(s.policy) { s.rt_priority } else { 0 };
    t.mm.write_obj(param, &prio)?;
    Ok(0)
}

fn sys_sched_setscheduler(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let policy = a.i32(1);
    if policy < 0 {
        return Err(Errno::EINVAL);
    }
    setscheduler(t, a.i32(0), policy, a.u64(2))
}

fn sys_sched_setparam(t: &mut Task, a: &SyscallArgs) -> SysResult {
    setscheduler(t, a.i32(0), SETPARAM_POLICY, a.u64(1))
}

/// Linux's do_sched_setscheduler and the checks of __sched_setscheduler
/// that apply to SCHED_NORMAL/BATCH/IDLE/FIFO/RR.
fn setscheduler(t: &mut Task, pid: i32, policy: i32, param: u64) -> SysResult {
    if param == 0 || pid < 0 {
        return Err(Errno::EINVAL);
    }
    // `sched_priority` is an int the kernel reads as unsigned.
    let prio: u32 = t.mm.read_obj(param)?;
    let task = find_task(t, pid)?;
    let cur = state_of(&task);
    let (policy, reset) = if policy == SETPARAM_POLICY {
        (cur.policy, cur.reset_on_fork)
    } else {
        let p = policy & !SCHED_RESET_ON_FORK;
        if !matches!(p, SCHED_NORMAL | SCHED_FIFO | SCHED_RR | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE)
        {
            return Err(Errno::EINVAL);
        }
        (p, policy & SCHED_RESET_ON_FORK != 0)
    };
    if prio > MAX_RT_PRIO - 1 {
        return Err(Errno::EINVAL);
    }
    // A deadline task needs runtime and deadline, which only sched_setattr carries.
    if policy == SCHED_DEADLINE || rt_policy(policy) != (prio != 0) {
        return Err(Errno::EINVAL);
    }
    if !t.creds.has_cap(CAP_SYS_NICE) {
        let limits = group_of_task(t, &task).map(|g| g.limits.lock().clone()).unwrap_or_default();
        if rt_policy(policy) {
            let rlim = limits.cur(RLIMIT_RTPRIO);
            if policy != cur.policy && rlim == 0 {
                return Err(Errno::EPERM);
            }
            if prio > cur.rt_priority && u64::from(prio) > rlim {
                return Err(Errno::EPERM);
            }
        }
        // Leaving SCHED_IDLE counts as lowering the nice value from 20.
        if cur.policy == SCHED_IDLE
            && policy != SCHED_IDLE
            && nice_to_rlimit(cur.nice) > limits.cur(RLIMIT_NICE)
        {
            return Err(Errno::EPERM);
        }
        if cur.reset_on_fork && !reset {
            return Err(Errno::EPERM);
        }
    }
    update(&task, |s| {
        s.policy = policy;
        s.rt_priority = if rt_policy(policy) { prio } else { 0 };
        s.reset_on_fork = reset;
    });
    Ok(0)
}

fn sys_sched_get_priority_max(_t: &mut Task, a: &SyscallArgs) -> SysResult {
    match a.i32(0) {
        SCHED_FIFO | SCHED_RR => Ok(u64::from(MAX_RT_PRIO - 1)),
        SCHED_NORMAL | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE | SCHED_EXT => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

fn sys_sched_get_priority_min(_t: &mut Task, a: &SyscallArgs) -> SysResult {
    match a.i32(0) {
        SCHED_FIFO | SCHED_RR => Ok(1),
        SCHED_NORMAL | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE | SCHED_EXT => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

fn sys_sched_rr_get_interval(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let pid = a.i32(0);
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let s = state_of(&find_task(t, pid)?);
    // Fair tasks report 0 on an idle machine; FIFO tasks have no slice.
    let ns = if s.policy == SCHED_RR { RR_TIMESLICE_NS } else { 0 };
    t.mm.write_obj(a.u64(1), &Timespec { tv_sec: 0, tv_nsec: ns })?;
    Ok(0)
}

/// A nice value as an rlimit-style number: 19..-20 becomes 1..40.
fn nice_to_rlimit(nice: i32) -> u64 {
    (MAX_NICE - nice + 1).max(0) as u64
}

/// The tasks getpriority/setpriority address, each with its thread group.
fn prio_targets(
    t: &Task,
    which: i32,
    who: i32,
) -> Result<Vec<(Arc<TaskShared>, Arc<ThreadGroup>)>, Errno> {
    let all_groups = || -> Vec<Arc<ThreadGroup>> { t.k.pids.lock().groups.values().cloned().collect() };
    let tasks_of = |groups: Vec<Arc<ThreadGroup>>| {
        let mut out = Vec::new();
        for g in groups {
            let tasks: Vec<Arc<TaskShared>> = g.tasks.lock().clone();
            out.extend(tasks.into_iter().map(|s| (s, g.clone())));
        }
        out
    };
    match which {
        PRIO_PROCESS => {
            if who == 0 {
                return Ok(vec![(t.shared.clone(), t.tg.clone())]);
            }
            match find_task(t, who) {
                Ok(task) => Ok(group_of_task(t, &task).map(|g| (task, g)).into_iter().collect()),
                Err(_) => Ok(Vec::new()),
            }
        }
        PRIO_PGRP => {
            let pgid = if who == 0 { t.tg.pgid() } else { who };
            let groups = all_groups().into_iter().filter(|g| g.pgid() == pgid).collect();
            Ok(tasks_of(groups))
        }
        PRIO_USER => {
            let uid = if who == 0 { t.creds.uid } else { who as u32 };
            if uid != t.creds.uid {
                return Ok(Vec::new());
            }
            Ok(tasks_of(all_groups()))
        }
        _ => Err(Errno::EINVAL),
    }
}

fn sys_getpriority(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let targets = prio_targets(t, a.i32(0), a.i32(1))?;
    targets
        .iter()
        .map(|(task, _)| nice_to_rlimit(state_of(task).nice))
        .max()
        .ok_or(Errno::ESRCH)
}

fn sys_setpriority(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let targets = prio_targets(t, a.i32(0), a.i32(1))?;
    let nice = a.i32(2).clamp(MIN_NICE, MAX_NICE);
    let privileged = t.creds.has_cap(CAP_SYS_NICE);
    // As Linux: ESRCH until a task is found; a refusal replaces the result.
    let mut result = Err(Errno::ESRCH);
    for (task, tg) in targets {
        let cur = state_of(&task).nice;
        let limit = tg.limits.lock().cur(RLIMIT_NICE);
        if nice < cur && nice_to_rlimit(nice) > limit && !privileged {
            result = Err(Errno::EACCES);
            continue;
        }
        if result == Err(Errno::ESRCH) {
            result = Ok(0);
        }
        update(&task, |s| s.nice = nice);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_are_kernel_sized() {
        assert_eq!(mask_size(&[0, 1]), 32);
        assert_eq!(mask_size(&[300]), 40);
        let m = mask_of(&[0, 9], 32);
        assert_eq!(&m[..2], &[1, 2]);
        assert!(mask_has(&m, 9) && !mask_has(&m, 8) && !mask_has(&m, 1000));
    }

    #[test]
    fn nice_maps_to_rlimit_range() {
        assert_eq!(nice_to_rlimit(19), 1);
        assert_eq!(nice_to_rlimit(0), 20);
        assert_eq!(nice_to_rlimit(-20), 40);
    }
}
