//! What /proc shows of a process that its [`ThreadGroup`] does not hold
//! itself: the address space, fd table, filesystem context and credentials
//! of its leader task, published by that task whenever they change (it is
//! created, it execs, its credentials change).
//!
//! The view refers weakly to what the task owns, so an exiting process
//! frees its memory and files at once, as Linux does (a zombie's
//! /proc/PID/maps is empty); the credentials are kept.

use super::creds::Creds;
use super::fs_context::FsContext;
use super::task::Task;
use super::thread_group::ThreadGroup;
use crate::mm::Mm;
use crate::vfs::FdTable;
use abi::Timespec;
use std::sync::{Arc, Weak};

#[derive(Clone, Debug)]
pub struct ProcView {
    pub mm: Weak<Mm>,
    pub fds: Weak<FdTable>,
    pub fs: Weak<FsContext>,
    pub creds: Arc<Creds>,
    /// Host monotonic time the process was created (stat's starttime).
    pub start: Timespec,
    /// /proc/PID/oom_score_adj: kept and shown, otherwise without effect.
    pub oom_score_adj: i32,
}

impl ProcView {
    pub fn mm(&self) -> Option<Arc<Mm>> {
        self.mm.upgrade()
    }

    pub fn fds(&self) -> Option<Arc<FdTable>> {
        self.fds.upgrade()
    }

    pub fn fs(&self) -> Option<Arc<FsContext>> {
        self.fs.upgrade()
    }
}

/// Record `t`'s address space, files, filesystem context and credentials
/// as its process's. Only the leader's count (as /proc/PID shows the
/// leader's); other tasks may call this and nothing happens.
pub fn publish(t: &Task) {
    if t.tid != t.tg.tgid {
        return;
    }
    let mut v = t.tg.proc_view.lock();
    let (start, oom_score_adj) = match v.as_ref() {
        Some(old) => (old.start, old.oom_score_adj),
        None => (super::time::host_monotonic(), 0),
    };
    *v = Some(ProcView {
        mm: Arc::downgrade(&t.mm),
        fds: Arc::downgrade(&t.fds),
        fs: Arc::downgrade(&t.fs),
        creds: t.creds.clone(),
        start,
        oom_score_adj,
    });
}

/// The published view of `tg`, if its leader has published one.
pub fn view(tg: &ThreadGroup) -> Option<ProcView> {
    tg.proc_view.lock().clone()
}

/// Change the stored oom_score_adj of `tg`.
pub fn set_oom_score_adj(tg: &ThreadGroup, v: i32) {
    if let Some(view) = tg.proc_view.lock().as_mut() {
        view.oom_score_adj = v;
    }
}
