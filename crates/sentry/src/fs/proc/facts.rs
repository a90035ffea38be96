//! The facts about a process that stat, statm and status show, gathered
//! from the kernel's objects in one go (each lock taken on its own).

use super::pid::Proc;
use super::{ProcFs, USER_HZ};
use crate::kernel::creds::Creds;
use crate::kernel::limits::{RLIMIT_RSS, RLIMIT_SIGPENDING};
use crate::kernel::sigstate::GroupStop;
use crate::kernel::{current, time};
use crate::mm::vma::{Backing, VmaName};
use crate::mm::{Mappable, Mm};
use abi::signal::{SIG_DFL, SIG_IGN};
use std::sync::Arc;

/// A process's memory, in bytes (addresses as they are).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct MemFacts {
    pub vsize: u64,
    pub rss_anon: u64,
    pub rss_file: u64,
    pub rss_shmem: u64,
    /// Private writable memory other than the stack.
    pub data: u64,
    pub stack: u64,
    /// Executable, non-writable memory (program and libraries).
    pub exec: u64,
    /// The program's own code.
    pub text: u64,
    pub start_code: u64,
    pub end_code: u64,
    pub start_data: u64,
    pub end_data: u64,
    pub start_brk: u64,
    pub start_stack: u64,
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
}

impl MemFacts {
    pub fn rss(&self) -> u64 {
        self.rss_anon + self.rss_file + self.rss_shmem
    }
}

/// A task's state letter and name, as stat and status show them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TaskState {
    Running,
    Sleeping,
    Stopped,
    Zombie,
}

impl TaskState {
    pub fn letter(self) -> char {
        match self {
            TaskState::Running => 'R',
            TaskState::Sleeping => 'S',
            TaskState::Stopped => 'T',
            TaskState::Zombie => 'Z',
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TaskState::Running => "R (running)",
            TaskState::Sleeping => "S (sleeping)",
            TaskState::Stopped => "T (stopped)",
            TaskState::Zombie => "Z (zombie)",
        }
    }
}

#[derive(Clone, Debug)]
pub(super) struct TaskFacts {
    /// The pid shown (a thread's tid in a task directory).
    pub pid: i32,
    pub tgid: i32,
    pub ppid: i32,
    pub pgid: i32,
    pub sid: i32,
    pub comm: Vec<u8>,
    pub state: TaskState,
    pub threads: u64,
    pub creds: Creds,
    pub umask: Option<u32>,
    pub fd_size: u64,
    /// Signal sets: the thread's own pending, the process's, blocked, ignored, caught.
    pub sig_pending: u64,
    pub sig_shared: u64,
    pub sig_blocked: u64,
    pub sig_ignored: u64,
    pub sig_caught: u64,
    /// Queued signals and their limit (RLIMIT_SIGPENDING).
    pub sigq: (u64, u64),
    pub mem: MemFacts,
    /// Clock ticks since boot when the process started.
    pub start_ticks: u64,
    /// CPU time in clock ticks: own user and system, reaped children's.
    pub utime: u64,
    pub stime: u64,
    pub cutime: u64,
    pub cstime: u64,
    pub rsslim: u64,
    pub exit_signal: i32,
    pub cpus: usize,
    /// seccomp mode and number of filters.
    pub seccomp: (u8, u32),
}

fn same_mappable(a: &Arc<dyn Mappable>, b: &Arc<dyn Mappable>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

/// Memory facts of an address space. The program is the first file mapped
/// (it is mapped before its interpreter and any library): its executable
/// areas are the code, its writable ones the data.
pub(super) fn mem_facts(mm: &Mm) -> MemFacts {
    let st = mm.st.lock();
    let mut m = MemFacts::default();
    let mut program: Option<Arc<dyn Mappable>> = None;
    for v in st.vmas.iter() {
        let len = v.len();
        m.vsize += len;
        let stack = v.growsdown || v.name == VmaName::Stack;
        if stack {
            m.stack += len;
        } else if v.prot.write() && !v.shared {
            m.data += len;
        }
        if v.prot.exec() && !v.prot.write() && !stack {
            m.exec += len;
        }
        for p in st.pmas.overlapping(v.start, v.end) {
            let n = p.end.min(v.end) - p.start.max(v.start);
            match &v.backing {
                Backing::Anon => m.rss_anon += n,
                // Pages still shared with the file are the file's; copies are anonymous.
                Backing::File { .. } if !v.shared && !p.cow => m.rss_anon += n,
                Backing::File { m: f, .. } if v.shared && f.describe().1 == 0 => m.rss_shmem += n,
                Backing::File { .. } => m.rss_file += n,
            }
        }
        if let Backing::File { m: f, .. } = &v.backing {
            let prog = program.get_or_insert_with(|| f.clone());
            if same_mappable(prog, f) {
                if v.prot.exec() {
                    if m.start_code == 0 {
                        m.start_code = v.start;
                    }
                    m.end_code = v.end;
                } else if v.prot.write() {
                    if m.start_data == 0 {
                        m.start_data = v.start;
                    }
                    m.end_data = v.end;
                }
            }
        }
    }
    m.text = (m.end_code - m.start_code).min(m.exec);
    m.start_brk = st.brk_start;
    m.start_stack = st.layout.start_stack;
    m.arg_start = st.layout.arg_start;
    m.arg_end = st.layout.arg_end;
    m.env_start = st.layout.env_start;
    m.env_end = st.layout.env_end;
    m
}

/// FDSize: the fd table's capacity, which in Linux grows by powers of two from 64.
fn fd_capacity(highest: Option<i32>) -> u64 {
    let need = highest.map_or(0, |h| h as u64 + 1);
    need.next_power_of_two().max(64)
}

fn ns_ticks(ns: u64) -> u64 {
    ns / (1_000_000_000 / USER_HZ)
}

fn ticks(t: abi::Timespec) -> u64 {
    ns_ticks(time::ns(t).max(0) as u64)
}

pub(super) fn task_facts(fs: &ProcFs, p: &Proc) -> TaskFacts {
    let view = p.view();
    let tid = p.task.as_ref().map_or(p.r.tgid, |t| t.tid);
    let me = current::get();
    let asking = me.as_ref().is_some_and(|c| c.tid == tid);
    let zombie = p.task.is_none() || p.tg.is_zombie();
    let (stopped, sig_pending, sig_shared, sig_blocked) = {
        let s = p.tg.sig.lock();
        let own = s.tasks.get(&tid);
        (
            matches!(s.stop, GroupStop::Stopped(_)),
            own.map_or(0, |t| t.pending.set.0),
            s.shared.set.0,
            own.map_or(0, |t| t.mask.0),
        )
    };
    let state = if zombie {
        TaskState::Zombie
    } else if stopped {
        TaskState::Stopped
    } else if asking {
        TaskState::Running
    } else {
        TaskState::Sleeping
    };
    let (mut sig_ignored, mut sig_caught) = (0u64, 0u64);
    for (i, a) in p.tg.sighand().actions.lock().iter().enumerate() {
        match a.handler {
            SIG_DFL => {}
            SIG_IGN => sig_ignored |= 1 << i,
            _ => sig_caught |= 1 << i,
        }
    }
    let (rsslim, sigq_limit) = {
        let l = p.tg.limits.lock();
        (l.cur(RLIMIT_RSS), l.cur(RLIMIT_SIGPENDING))
    };
    let mm = view.as_ref().and_then(|v| v.mm());
    let mem = mm.as_ref().map(|mm| mem_facts(mm)).unwrap_or_default();
    // CPU time of the address space (the platform counts per process).
    let (user_ns, total_ns) = mm.and_then(|mm| mm.aspace.cpu_time()).unwrap_or((0, 0));
    let umask = view
        .as_ref()
        .and_then(|v| v.fs())
        .map(|f| f.st.lock().umask);
    let fd_size = view
        .as_ref()
        .and_then(|v| v.fds())
        .map_or(0, |f| fd_capacity(f.fds().last().map(|(fd, _)| *fd)));
    let start_ticks = view.as_ref().map_or(0, |v| {
        ticks(time::from_ns(time::ns(v.start) - time::ns(p.k.boot_mono)))
    });
    let (cutime, cstime) = *p.tg.child_times.lock();
    TaskFacts {
        pid: p.id(),
        tgid: p.tg.tgid,
        ppid: p.tg.parent_tgid(),
        pgid: p.tg.pgid(),
        sid: p.tg.sid(),
        comm: p.comm(),
        state,
        threads: p.tg.tasks.lock().len().max(1) as u64,
        seccomp: p.task.as_ref().map_or((0, 0), |t| {
            let s = t.seccomp.get();
            (s.mode, s.count())
        }),
        creds: view
            .as_ref()
            .map_or_else(|| Creds::new(0, 0), |v| (*v.creds).clone()),
        umask,
        fd_size,
        sig_pending,
        sig_shared,
        sig_blocked,
        sig_ignored,
        sig_caught,
        sigq: ((sig_pending | sig_shared).count_ones() as u64, sigq_limit),
        mem,
        start_ticks,
        utime: ns_ticks(user_ns),
        stime: ns_ticks(total_ns.saturating_sub(user_ns)),
        cutime,
        cstime,
        rsslim,
        exit_signal: p.tg.exit_signal.load(std::sync::atomic::Ordering::Relaxed),
        cpus: fs.host.ncpus,
    }
}
