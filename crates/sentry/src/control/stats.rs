//! `runsc events --stats`: what the sandbox as a whole uses.

use crate::kernel::{proc_view, Kernel, ThreadGroup};
use std::collections::HashSet;
use std::sync::Arc;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Host memory holding application data (the MemoryFile's resident pages).
    pub memory_bytes: u64,
    /// Tasks (threads), as the pids cgroup counts them.
    pub tasks: u64,
    /// Processes (thread groups), zombies included.
    pub processes: u64,
    /// CPU time in nanoseconds: user, and system (the Sentry's work on the
    /// application's behalf is not included).
    pub cpu_user_ns: u64,
    pub cpu_system_ns: u64,
}

/// `started`: processes started from outside, counted even once reaped.
pub(super) fn collect(k: &Kernel, started: &[Arc<ThreadGroup>]) -> Stats {
    let (groups, tasks) = {
        let pids = k.pids.lock();
        (
            pids.groups.values().cloned().collect::<Vec<_>>(),
            pids.tasks.len() as u64,
        )
    };
    let mut s = Stats {
        memory_bytes: k.mf.resident_bytes(),
        tasks,
        processes: groups.len() as u64,
        ..Default::default()
    };
    let mut seen_mm = HashSet::new();
    let mut seen_group = HashSet::new();
    let gone = started
        .iter()
        .filter(|g| !groups.iter().any(|h| Arc::ptr_eq(g, h)));
    for g in groups.iter().chain(gone) {
        if !seen_group.insert(Arc::as_ptr(g)) {
            continue;
        }
        // Reaped descendants' time was added to their reaper's.
        let (cu, cs) = *g.child_times.lock();
        s.cpu_user_ns += cu;
        s.cpu_system_ns += cs;
        let mm = proc_view::view(g).and_then(|v| v.mm());
        match mm.and_then(|m| {
            seen_mm
                .insert(Arc::as_ptr(&m))
                .then(|| m.aspace.cpu_time())
                .flatten()
        }) {
            Some((user, total)) => {
                s.cpu_user_ns += user;
                s.cpu_system_ns += total.saturating_sub(user);
            }
            None => {
                let (eu, es) = *g.exit_times.lock();
                s.cpu_user_ns += eu;
                s.cpu_system_ns += es;
            }
        }
    }
    s
}
