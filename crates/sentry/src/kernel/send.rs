//! Sending signals to tasks and thread groups (kill, tgkill, faults,
//! SIGCHLD, timers, SIGPIPE...).

use super::limits::RLIMIT_SIGPENDING;
use super::signal::{default_action, DefaultAction, ExitStatus};
use super::sigstate::GroupStop;
use super::thread_group::{ThreadGroup, WaitEvent};
use super::waiter::WaitQueue;
use abi::signal::*;
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock};

/// signalfd readers and pollers wait here (Linux's `sighand->signalfd_wqh`,
/// one queue for the whole kernel): every queued signal notifies it with
/// POLLIN and each signalfd re-checks its reader's own pending signals.
pub static SIGNALFD_QUEUE: LazyLock<WaitQueue> = LazyLock::new(WaitQueue::new);

fn is_stop(sig: i32) -> bool {
    matches!(sig, SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU)
}

fn stop_set() -> SigSet {
    SigSet(
        SigSet::bit(SIGSTOP) | SigSet::bit(SIGTSTP) | SigSet::bit(SIGTTIN) | SigSet::bit(SIGTTOU),
    )
}

/// Whether `sig` would be thrown away on arrival: ignored, and not blocked by `mask`.
fn ignored(tg: &ThreadGroup, sig: i32, mask: SigSet) -> bool {
    if mask.has(sig) {
        return false;
    }
    let act = tg.sighand().get(sig);
    match act.handler {
        SIG_IGN => true,
        SIG_DFL => matches!(default_action(sig), DefaultAction::Ignore),
        _ => false,
    }
}

/// A signal from a process (kill, tgkill, sigqueue): the sandbox's init
/// ignores every unblocked signal it has no handler for, even SIGKILL, as
/// Linux's init of a PID namespace does.
pub fn send_from_user(tg: &Arc<ThreadGroup>, tid: Option<i32>, info: SigInfo) {
    deliver(tg, tid, info, true)
}

/// Send `info` to thread group `tg` (`tid: None`, process-directed) or to one of its tasks.
pub fn send(tg: &Arc<ThreadGroup>, tid: Option<i32>, info: SigInfo) {
    deliver(tg, tid, info, false)
}

/// Whether init, as the target of a user signal, drops it: no handler and not blocked.
fn init_drops(tg: &ThreadGroup, tid: Option<i32>, sig: i32) -> bool {
    if tg.tgid != super::kernel::INIT_PID || tg.sighand().get(sig).handler != SIG_DFL {
        return false;
    }
    let st = tg.sig.lock();
    let blocked = match tid {
        Some(t) => st.task(t).mask.has(sig),
        None => st.tasks.values().any(|t| t.mask.has(sig)),
    };
    !blocked || sig == SIGKILL || sig == SIGSTOP
}

fn deliver(tg: &Arc<ThreadGroup>, tid: Option<i32>, info: SigInfo, from_user: bool) {
    let sig = info.signo;
    if !(1..=64).contains(&sig) || tg.group_exit_status().is_some() {
        return;
    }
    if from_user && init_drops(tg, tid, sig) {
        return;
    }
    if sig == SIGKILL {
        tg.start_group_exit(ExitStatus::Signaled {
            sig: SIGKILL,
            core: false,
        });
        return;
    }
    let mut wake_all = false;
    let mut continued = false;
    {
        let mut st = tg.sig.lock();
        if is_stop(sig) {
            let cont = SigSet(SigSet::bit(SIGCONT));
            st.shared.discard(cont);
            for t in st.tasks.values_mut() {
                t.pending.discard(cont);
            }
        }
        if sig == SIGCONT {
            st.shared.discard(stop_set());
            for t in st.tasks.values_mut() {
                t.pending.discard(stop_set());
            }
            if let GroupStop::Stopped(_) = st.stop {
                st.stop = GroupStop::Running;
                wake_all = true;
                continued = true;
            }
        }
        let mask = match tid {
            Some(t) => st.task(t).mask,
            None => st
                .tasks
                .values()
                .map(|t| t.mask)
                .fold(SigSet(u64::MAX), |a, m| SigSet(a.0 & m.0)),
        };
        if !ignored(tg, sig, mask) {
            let limit = tg.limits.lock().cur(RLIMIT_SIGPENDING).min(1 << 20) as usize;
            match tid {
                Some(t) => {
                    st.task_mut(t).pending.push(info, limit);
                }
                None => {
                    st.shared.push(info, limit);
                }
            }
        }
    }
    // signalfd hook: a signal may have been queued for a reader.
    SIGNALFD_QUEUE.notify(libc::POLLIN as u64);
    if continued {
        *tg.wait_event.lock() = Some(WaitEvent::Continued);
        notify_parent_stop(tg, None);
    }
    // Wake the task(s) that can take it.
    let tasks = tg.tasks.lock().clone();
    for t in tasks {
        if wake_all || tid.is_none_or(|x| x == t.tid) {
            t.wake();
        }
    }
}

/// A process signal from the kernel (SIGCHLD, SIGPIPE, SIGALRM...) with si_code and pid/uid.
pub fn kernel_info(sig: i32, code: i32) -> SigInfo {
    SigInfo {
        signo: sig,
        code,
        ..Default::default()
    }
}

pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_DUMPED: i32 = 3;
pub const CLD_STOPPED: i32 = 5;
pub const CLD_CONTINUED: i32 = 6;

/// SIGCHLD info for a child event.
pub fn chld_info(child: &ThreadGroup, code: i32, status: i32) -> SigInfo {
    let mut si = SigInfo {
        signo: SIGCHLD,
        code,
        ..Default::default()
    };
    si.set_pid_uid(child.tgid, 0);
    // si_status follows si_pid/si_uid; si_utime/si_stime after it.
    si.fields[1] = status as u32 as u64;
    si
}

/// Tell `tg`'s parent that it stopped (`Some(sig)`) or continued (`None`).
pub fn notify_parent_stop(tg: &Arc<ThreadGroup>, stopped: Option<i32>) {
    let Some(parent) = tg.parent() else { return };
    let act = parent.sighand().get(SIGCHLD);
    if act.flags & SA_NOCLDSTOP == 0 {
        let info = match stopped {
            Some(s) => chld_info(tg, CLD_STOPPED, s),
            None => chld_info(tg, CLD_CONTINUED, SIGCONT),
        };
        send(&parent, None, info);
    }
    parent.child_wq.notify(u64::MAX);
}

/// Deliver the exit of `tg` to its parent: SIGCHLD (or the clone exit
/// signal) and a wake-up of waiters. Returns true if the parent will never
/// reap it (it ignores SIGCHLD or set SA_NOCLDWAIT), so it is reaped now.
pub fn notify_parent_exit(tg: &Arc<ThreadGroup>, status: ExitStatus) -> bool {
    let Some(parent) = tg.parent() else {
        return true;
    };
    let act = parent.sighand().get(SIGCHLD);
    let autoreap = act.handler == SIG_IGN || act.flags & SA_NOCLDWAIT != 0;
    let exit_sig = tg.exit_signal.load(Ordering::Relaxed);
    if exit_sig != 0 {
        let (code, st) = match status {
            ExitStatus::Exited(c) => (CLD_EXITED, c),
            ExitStatus::Signaled { sig, core: true } => (CLD_DUMPED, sig),
            ExitStatus::Signaled { sig, core: false } => (CLD_KILLED, sig),
        };
        let mut info = chld_info(tg, code, st);
        info.signo = exit_sig;
        send(&parent, None, info);
    }
    let autoreap = autoreap && exit_sig == SIGCHLD;
    // An automatically reaped child must be gone before waiters look again.
    if !autoreap {
        parent.child_wq.notify(u64::MAX);
    }
    autoreap
}
