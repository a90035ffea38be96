//! Scheduling as the application sees it: sched_yield, CPU affinity,
//! getcpu, scheduling policies and priorities, nice values.
//!
//! The Sentry does not schedule: host threads run on the host's
//! scheduler. Policies, real-time priorities, nice values and affinity
//! masks are recorded per task and reported back, with Linux's checks,
//! but change nothing on the host. The record lives here, keyed by the
//! task, until tasks carry it themselves.

use super::identity::creds_of;
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
    t.partial(
        sysno::SCHED_GETSCHEDULER,
        sys_sched_getscheduler,
        &[Arg::Int],
        RECORDED,
    );
    t.partial(
        sysno::SCHED_SETSCHEDULER,
        sys_sched_setscheduler,
        &[Arg::Int, Arg::Int, Arg::Ptr],
        RECORDED,
    );
    t.partial(
        sysno::SCHED_GETPARAM,
        sys_sched_getparam,
        &[Arg::Int, Arg::Ptr],
        RECORDED,
    );
    t.partial(
        sysno::SCHED_SETPARAM,
        sys_sched_setparam,
        &[Arg::Int, Arg::Ptr],
        RECORDED,
    );
    t.partial(
        sysno::SCHED_SETATTR,
        sys_sched_setattr,
        &[Arg::Int, Arg::Ptr, Arg::Hex],
        "recorded per task, not applied to host threads; no deadline admission control or utilization clamping (EOPNOTSUPP)",
    );
    t.partial(
        sysno::SCHED_GETATTR,
        sys_sched_getattr,
        &[Arg::Int, Arg::Ptr, Arg::Int, Arg::Hex],
        RECORDED,
    );
    t.add(
        sysno::SCHED_GET_PRIORITY_MAX,
        sys_sched_get_priority_max,
        &[Arg::Int],
    );
    t.add(
        sysno::SCHED_GET_PRIORITY_MIN,
        sys_sched_get_priority_min,
        &[Arg::Int],
    );
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
        "nice values recorded per task; another process's credentials are its leader's",
    );
    t.partial(
        sysno::SETPRIORITY,
        sys_setpriority,
        &[Arg::Int, Arg::Int, Arg::Int],
        "nice values recorded per task; another process's credentials are its leader's",
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
    /// A fair task's requested time slice (None: the scheduler's default).
    slice: Option<u64>,
    /// SCHED_DEADLINE runtime, deadline and period, and its flags.
    dl: (u64, u64, u64),
    dl_flags: u64,
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

/// Linux's check_same_owner: the caller's effective uid is the task's real or effective one.
fn same_owner(t: &Task, tid: i32) -> bool {
    let c = creds_of(t, tid);
    t.creds.euid == c.euid || t.creds.euid == c.uid
}

fn sys_sched_yield(_t: &mut Task, _a: &SyscallArgs) -> SysResult {
    std::thread::yield_now();
    Ok(0)
}

/// The CPUs the sandbox may use: the host's affinity of the Sentry.
fn host_cpus() -> Vec<usize> {
    match rustix::thread::sched_getaffinity(None) {
        Ok(set) => {
            let cpus: Vec<usize> = (0..rustix::thread::CpuSet::MAX_CPU)
                .filter(|&c| set.is_set(c))
                .collect();
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
    if !same_owner(t, task.tid) && !t.creds.has_cap(CAP_SYS_NICE) {
        return Err(Errno::EPERM);
    }
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
            cpu = host_cpus()
                .into_iter()
                .find(|&c| mask_has(&allowed, c))
                .unwrap_or(0);
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

/// The policies whose tasks have a nice value (`fair_policy`).
fn fair_policy(p: i32) -> bool {
    p == SCHED_NORMAL || p == SCHED_BATCH
}

fn valid_policy(p: i32) -> bool {
    matches!(
        p,
        SCHED_NORMAL | SCHED_FIFO | SCHED_RR | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE
    )
}

/// The time slice of a fair task: the host scheduler's base slice,
/// scaled (logarithmically) by the number of CPUs up to 8.
fn base_slice_ns() -> u64 {
    let cpus = host_cpus().len().clamp(1, 8);
    700_000 * (1 + u64::from(cpus.ilog2()))
}

/// `struct sched_attr` as the calls exchange it (the 56-byte VER1 layout).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Attr {
    policy: i32,
    flags: u64,
    nice: i32,
    priority: u32,
    runtime: u64,
    deadline: u64,
    period: u64,
    util_min: u32,
    util_max: u32,
}

impl Attr {
    fn from_bytes(b: &[u8; ATTR_SIZE_VER1]) -> Attr {
        let u32_at = |o: usize| u32::from_ne_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let u64_at = |o: usize| u64::from(u32_at(o)) | u64::from(u32_at(o + 4)) << 32;
        Attr {
            policy: u32_at(4) as i32,
            flags: u64_at(8),
            nice: u32_at(16) as i32,
            priority: u32_at(20),
            runtime: u64_at(24),
            deadline: u64_at(32),
            period: u64_at(40),
            util_min: u32_at(48),
            util_max: u32_at(52),
        }
    }

    fn to_bytes(self, size: u32) -> [u8; ATTR_SIZE_VER1] {
        let mut b = [0u8; ATTR_SIZE_VER1];
        let mut put = |o: usize, v: &[u8]| b[o..o + v.len()].copy_from_slice(v);
        put(0, &size.to_ne_bytes());
        put(4, &self.policy.to_ne_bytes());
        put(8, &self.flags.to_ne_bytes());
        put(16, &self.nice.to_ne_bytes());
        put(20, &self.priority.to_ne_bytes());
        put(24, &self.runtime.to_ne_bytes());
        put(32, &self.deadline.to_ne_bytes());
        put(40, &self.period.to_ne_bytes());
        put(48, &self.util_min.to_ne_bytes());
        put(52, &self.util_max.to_ne_bytes());
        b
    }
}

const ATTR_SIZE_VER0: usize = 48;
const ATTR_SIZE_VER1: usize = 56;
const PAGE_SIZE: usize = 4096;
const SCHED_FLAG_RESET_ON_FORK: u64 = 0x01;
const SCHED_FLAG_RECLAIM: u64 = 0x02;
const SCHED_FLAG_DL_OVERRUN: u64 = 0x04;
const SCHED_FLAG_KEEP_POLICY: u64 = 0x08;
const SCHED_FLAG_KEEP_PARAMS: u64 = 0x10;
const SCHED_FLAG_UTIL_CLAMP: u64 = 0x20 | 0x40;
const SCHED_FLAG_ALL: u64 = 0x7f;
const SCHED_FLAG_SUGOV: u64 = 0x1000_0000;
/// sysctl kernel.sched_deadline_period_{min,max}_us, in ns.
const DL_PERIOD_MIN_NS: u64 = 100 * 1000;
const DL_PERIOD_MAX_NS: u64 = (1 << 22) * 1000;

/// The kernel's get_params: a task's current parameters as an attr.
fn get_params(s: &SchedState, attr: &mut Attr) {
    if s.policy == SCHED_DEADLINE {
        attr.priority = s.rt_priority;
        (attr.runtime, attr.deadline, attr.period) = s.dl;
        attr.flags = s.dl_flags;
    } else if rt_policy(s.policy) {
        attr.priority = s.rt_priority;
    } else {
        attr.nice = s.nice;
        attr.runtime = s.slice.unwrap_or_else(base_slice_ns);
    }
}

/// Linux's __checkparam_dl: runtime <= deadline <= period, within the sysctl bounds.
fn dl_params_valid(a: &Attr) -> bool {
    if a.deadline == 0 || a.runtime < 1 << 10 {
        return false;
    }
    if a.deadline & 1 << 63 != 0 || a.period & 1 << 63 != 0 {
        return false;
    }
    let period = if a.period == 0 { a.deadline } else { a.period };
    if period < a.deadline || a.deadline < a.runtime {
        return false;
    }
    (DL_PERIOD_MIN_NS..=DL_PERIOD_MAX_NS).contains(&period)
}

fn sys_sched_getscheduler(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let pid = a.i32(0);
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let s = state_of(&find_task(t, pid)?);
    let flag = if s.reset_on_fork {
        SCHED_RESET_ON_FORK
    } else {
        0
    };
    Ok((s.policy | flag) as u64)
}

fn sys_sched_getparam(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (pid, param) = (a.i32(0), a.u64(1));
    if param == 0 || pid < 0 {
        return Err(Errno::EINVAL);
    }
    let s = state_of(&find_task(t, pid)?);
    let prio = if rt_policy(s.policy) || s.policy == SCHED_DEADLINE {
        s.rt_priority
    } else {
        0
    };
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

/// do_sched_setscheduler: the old interface, a policy and a priority.
fn setscheduler(t: &mut Task, pid: i32, policy: i32, param: u64) -> SysResult {
    if param == 0 || pid < 0 {
        return Err(Errno::EINVAL);
    }
    // `sched_priority` is an int the kernel reads as unsigned.
    let prio: u32 = t.mm.read_obj(param)?;
    let task = find_task(t, pid)?;
    let cur = state_of(&task);
    let mut attr = Attr {
        policy,
        priority: prio,
        nice: cur.nice,
        ..Default::default()
    };
    // The legacy way to ask for reset-on-fork: a bit in the policy.
    if policy != SETPARAM_POLICY && policy & SCHED_RESET_ON_FORK != 0 {
        attr.flags |= SCHED_FLAG_RESET_ON_FORK;
        attr.policy &= !SCHED_RESET_ON_FORK;
    }
    change(t, &task, attr)
}

/// Linux's __sched_setscheduler for a user request: validate, check
/// permission, record.
fn change(t: &Task, task: &Arc<TaskShared>, attr: Attr) -> SysResult {
    let cur = state_of(task);
    let (policy, reset) = if attr.policy < 0 {
        (cur.policy, cur.reset_on_fork)
    } else {
        if !valid_policy(attr.policy) {
            return Err(Errno::EINVAL);
        }
        (attr.policy, attr.flags & SCHED_FLAG_RESET_ON_FORK != 0)
    };
    if attr.flags & !(SCHED_FLAG_ALL | SCHED_FLAG_SUGOV) != 0 {
        return Err(Errno::EINVAL);
    }
    if attr.priority > MAX_RT_PRIO - 1 {
        return Err(Errno::EINVAL);
    }
    let dl = policy == SCHED_DEADLINE;
    if (dl && attr.flags & SCHED_FLAG_SUGOV == 0 && !dl_params_valid(&attr))
        || rt_policy(policy) != (attr.priority != 0)
    {
        return Err(Errno::EINVAL);
    }
    if !t.creds.has_cap(CAP_SYS_NICE) {
        let limits = group_of_task(t, task)
            .map(|g| g.limits.lock().clone())
            .unwrap_or_default();
        if fair_policy(policy)
            && attr.nice < cur.nice
            && nice_to_rlimit(attr.nice) > limits.cur(RLIMIT_NICE)
        {
            return Err(Errno::EPERM);
        }
        if rt_policy(policy) {
            let rlim = limits.cur(RLIMIT_RTPRIO);
            if policy != cur.policy && rlim == 0 {
                return Err(Errno::EPERM);
            }
            if attr.priority > cur.rt_priority && u64::from(attr.priority) > rlim {
                return Err(Errno::EPERM);
            }
        }
        if dl {
            return Err(Errno::EPERM);
        }
        // Leaving SCHED_IDLE counts as lowering the nice value from 20.
        if cur.policy == SCHED_IDLE
            && policy != SCHED_IDLE
            && nice_to_rlimit(cur.nice) > limits.cur(RLIMIT_NICE)
        {
            return Err(Errno::EPERM);
        }
        if !same_owner(t, task.tid) {
            return Err(Errno::EPERM);
        }
        if cur.reset_on_fork && !reset {
            return Err(Errno::EPERM);
        }
    }
    if attr.flags & SCHED_FLAG_SUGOV != 0 {
        return Err(Errno::EINVAL);
    }
    // Utilization clamping is not configured (as in kernels without
    // CONFIG_UCLAMP_TASK).
    if attr.flags & SCHED_FLAG_UTIL_CLAMP != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    update(task, |s| {
        s.reset_on_fork = reset;
        if attr.flags & SCHED_FLAG_KEEP_PARAMS != 0 {
            return;
        }
        s.policy = policy;
        s.rt_priority = attr.priority;
        if dl {
            s.dl = (attr.runtime, attr.deadline, attr.period);
            s.dl_flags = attr.flags & (SCHED_FLAG_RECLAIM | SCHED_FLAG_DL_OVERRUN);
        } else if fair_policy(policy) {
            s.nice = attr.nice;
            // A requested slice, bounded as Linux bounds it.
            s.slice = (attr.runtime != 0).then(|| attr.runtime.clamp(100_000, 100_000_000));
        }
    });
    Ok(0)
}

/// Write E2BIG's answer: the size of the attr this kernel knows.
fn attr_too_big(t: &Task, uattr: u64) -> SysResult {
    t.mm.write_obj(uattr, &(ATTR_SIZE_VER1 as u32))?;
    Err(Errno::E2BIG)
}

fn sys_sched_setattr(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (pid, uattr, flags) = (a.i32(0), a.u64(1), a.u32(2));
    if uattr == 0 || pid < 0 || flags != 0 {
        return Err(Errno::EINVAL);
    }
    // sched_copy_attr: sizes from VER0 to a page; bytes we do not know must be zero.
    let size = t.mm.read_obj::<u32>(uattr)? as usize;
    let size = if size == 0 { ATTR_SIZE_VER0 } else { size };
    if !(ATTR_SIZE_VER0..=PAGE_SIZE).contains(&size) {
        return attr_too_big(t, uattr);
    }
    let mut raw = [0u8; ATTR_SIZE_VER1];
    let known = size.min(ATTR_SIZE_VER1);
    t.mm.read_bytes(uattr, raw.get_mut(..known).unwrap_or_default())?;
    if size > ATTR_SIZE_VER1 {
        let mut rest = vec![0u8; size - ATTR_SIZE_VER1];
        t.mm.read_bytes(uattr.wrapping_add(ATTR_SIZE_VER1 as u64), &mut rest)?;
        if rest.iter().any(|&b| b != 0) {
            return attr_too_big(t, uattr);
        }
    }
    let mut attr = Attr::from_bytes(&raw);
    if attr.flags & SCHED_FLAG_UTIL_CLAMP != 0 && size < ATTR_SIZE_VER1 {
        return Err(Errno::EINVAL);
    }
    attr.nice = attr.nice.clamp(MIN_NICE, MAX_NICE);
    if attr.policy < 0 {
        return Err(Errno::EINVAL);
    }
    if attr.flags & SCHED_FLAG_KEEP_POLICY != 0 {
        attr.policy = SETPARAM_POLICY;
    }
    let task = find_task(t, pid)?;
    if attr.flags & SCHED_FLAG_KEEP_PARAMS != 0 {
        get_params(&state_of(&task), &mut attr);
    }
    change(t, &task, attr)
}

fn sys_sched_getattr(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (pid, uattr, usize_, flags) = (a.i32(0), a.u64(1), a.u32(2) as usize, a.u32(3));
    if uattr == 0 || pid < 0 || !(ATTR_SIZE_VER0..=PAGE_SIZE).contains(&usize_) || flags != 0 {
        return Err(Errno::EINVAL);
    }
    let s = state_of(&find_task(t, pid)?);
    let mut attr = Attr {
        policy: s.policy,
        ..Default::default()
    };
    get_params(&s, &mut attr);
    if s.reset_on_fork {
        attr.flags |= SCHED_FLAG_RESET_ON_FORK;
    }
    attr.flags &= SCHED_FLAG_ALL;
    // `size` says how much the kernel knows; bytes beyond it read as zero
    // (copy_struct_to_user).
    let known = usize_.min(ATTR_SIZE_VER1);
    let mut out = vec![0u8; usize_];
    let bytes = attr.to_bytes(known as u32);
    if let (Some(dst), Some(src)) = (out.get_mut(..known), bytes.get(..known)) {
        dst.copy_from_slice(src);
    }
    t.mm.write_bytes(uattr, &out)?;
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
    let ns = if s.policy == SCHED_RR {
        RR_TIMESLICE_NS
    } else {
        0
    };
    t.mm.write_obj(
        a.u64(1),
        &Timespec {
            tv_sec: 0,
            tv_nsec: ns,
        },
    )?;
    Ok(0)
}

/// A nice value as an rlimit-style number: 19..-20 becomes 1..40.
fn nice_to_rlimit(nice: i32) -> u64 {
    (MAX_NICE - nice + 1).max(0) as u64
}

/// A task getpriority/setpriority addresses, with its thread group.
type PrioTarget = (Arc<TaskShared>, Arc<ThreadGroup>);

/// The tasks getpriority/setpriority address.
fn prio_targets(t: &Task, which: i32, who: i32) -> Result<Vec<PrioTarget>, Errno> {
    let all_groups =
        || -> Vec<Arc<ThreadGroup>> { t.k.pids.lock().groups.values().cloned().collect() };
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
                Ok(task) => Ok(group_of_task(t, &task)
                    .map(|g| (task, g))
                    .into_iter()
                    .collect()),
                Err(_) => Ok(Vec::new()),
            }
        }
        PRIO_PGRP => {
            let pgid = if who == 0 { t.tg.pgid() } else { who };
            let groups = all_groups()
                .into_iter()
                .filter(|g| g.pgid() == pgid)
                .collect();
            Ok(tasks_of(groups))
        }
        PRIO_USER => {
            let uid = if who == 0 { t.creds.uid } else { who as u32 };
            let groups = all_groups()
                .into_iter()
                .filter(|g| creds_of(t, g.tgid).uid == uid)
                .collect();
            Ok(tasks_of(groups))
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
        // set_one_prio_perm: the caller's effective uid owns the task.
        let c = creds_of(t, task.tid);
        if c.uid != t.creds.euid && c.euid != t.creds.euid && !privileged {
            result = Err(Errno::EPERM);
            continue;
        }
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
