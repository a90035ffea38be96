//! `runsc ps`: the sandbox's processes as its own /proc would show them.

use crate::kernel::sigstate::GroupStop;
use crate::kernel::{proc_view, Kernel, ThreadGroup};
use std::sync::Arc;

/// The most of a command line shown.
const CMDLINE_MAX: u64 = 4096;

/// One process of the sandbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessInfo {
    pub pid: i32,
    /// 0 for processes without a parent (init and exec'd ones).
    pub ppid: i32,
    pub uid: u32,
    pub comm: String,
    /// 'Z' (zombie), 'T' (stopped) or 'S' (alive: running or sleeping,
    /// which the Sentry does not tell apart).
    pub state: char,
    pub threads: usize,
    /// Its arguments, as /proc/PID/cmdline has them.
    pub cmdline: Vec<String>,
    /// When it started, in nanoseconds since the sandbox booted.
    pub start_ns: u64,
    /// CPU time of its address space (user plus system), in nanoseconds.
    pub cpu_ns: u64,
}

pub(super) fn list(k: &Kernel) -> Vec<ProcessInfo> {
    let groups: Vec<Arc<ThreadGroup>> = k.pids.lock().groups.values().cloned().collect();
    let mut out: Vec<ProcessInfo> = groups.iter().map(|g| info(k, g)).collect();
    out.sort_by_key(|p| p.pid);
    out
}

fn info(k: &Kernel, g: &ThreadGroup) -> ProcessInfo {
    let tasks = g.tasks.lock().clone();
    let comm = tasks
        .iter()
        .find(|t| t.tid == g.tgid)
        .or(tasks.first())
        .map(|t| String::from_utf8_lossy(&t.comm.lock()).into_owned())
        .unwrap_or_default();
    let state = if g.is_zombie() {
        'Z'
    } else if matches!(g.sig.lock().stop, GroupStop::Stopped(_)) {
        'T'
    } else {
        'S'
    };
    let view = proc_view::view(g);
    let uid = view.as_ref().map(|v| v.creds.uid).unwrap_or(0);
    let start_ns = view
        .as_ref()
        .map(|v| {
            let since = crate::kernel::time::ns(v.start) - crate::kernel::time::ns(k.boot_mono);
            u64::try_from(since).unwrap_or(0)
        })
        .unwrap_or(0);
    let mm = view.as_ref().and_then(|v| v.mm());
    let cmdline = mm.as_ref().map(|m| cmdline(m)).unwrap_or_default();
    let cpu_ns = mm
        .as_ref()
        .and_then(|m| m.aspace.cpu_time())
        .map(|(_, total)| total)
        .unwrap_or(0);
    ProcessInfo {
        pid: g.tgid,
        ppid: g.parent_tgid(),
        uid,
        comm,
        state,
        threads: tasks.len(),
        cmdline,
        start_ns,
        cpu_ns,
    }
}

fn cmdline(mm: &crate::mm::Mm) -> Vec<String> {
    let lay = mm.st.lock().layout.clone();
    if lay.arg_end <= lay.arg_start {
        return Vec::new();
    }
    let mut buf = vec![0u8; (lay.arg_end - lay.arg_start).min(CMDLINE_MAX) as usize];
    if mm.read_bytes(lay.arg_start, &mut buf).is_err() {
        return Vec::new();
    }
    if buf.last() == Some(&0) {
        buf.pop();
    }
    buf.split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}
