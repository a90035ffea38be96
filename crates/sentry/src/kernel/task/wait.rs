//! wait4/waitid: collecting children's exits, stops and continues.

use super::Task;
use crate::kernel::signal::ExitStatus;
use crate::kernel::thread_group::{ThreadGroup, WaitEvent};
use crate::kernel::Kernel;
use abi::Errno;
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub const WNOHANG: u32 = 1;
pub const WUNTRACED: u32 = 2;
pub const WSTOPPED: u32 = 2;
pub const WEXITED: u32 = 4;
pub const WCONTINUED: u32 = 8;
pub const WNOWAIT: u32 = 0x0100_0000;
pub const WNOTHREAD: u32 = 0x2000_0000;
pub const WALL: u32 = 0x4000_0000;
pub const WCLONE: u32 = 0x8000_0000;

/// Which children a wait is for.
#[derive(Clone, Copy, Debug)]
pub enum Which {
    Any,
    Pid(i32),
    Pgid(i32),
}

/// What a wait reports.
#[derive(Clone, Copy, Debug)]
pub struct Waited {
    pub pid: i32,
    pub uid: u32,
    pub kind: WaitKind,
    /// CPU time (user, system ns) of the child and its reaped children.
    pub times: (u64, u64),
}

#[derive(Clone, Copy, Debug)]
pub enum WaitKind {
    Exited(ExitStatus),
    Stopped(i32),
    Continued,
}

impl Waited {
    /// The wait4 status word.
    pub fn status(&self) -> i32 {
        match self.kind {
            WaitKind::Exited(s) => s.wait_status(),
            WaitKind::Stopped(sig) => (sig << 8) | 0x7f,
            WaitKind::Continued => 0xffff,
        }
    }
}

/// CPU time (user, system ns) of `child` and its reaped children: at its
/// exit if it has exited, else so far.
fn usage(child: &ThreadGroup) -> (u64, u64) {
    let (cu, cs) = *child.child_times.lock();
    let own = if child.is_zombie() {
        *child.exit_times.lock()
    } else {
        let mm = child.proc_view.lock().as_ref().and_then(|v| v.mm());
        match mm.and_then(|m| m.aspace.cpu_time()) {
            Some((user, total)) => (user, total.saturating_sub(user)),
            None => (0, 0),
        }
    };
    (own.0 + cu, own.1 + cs)
}

/// Forget a reaped child: drop it from its parent and free its pid.
pub fn reap(k: &Kernel, parent: &ThreadGroup, child: &Arc<ThreadGroup>) {
    parent.children.lock().retain(|c| !Arc::ptr_eq(c, child));
    child.reaped.store(true, Ordering::SeqCst);
    k.pids.lock().groups.remove(&child.tgid);
    parent.child_wq.notify(u64::MAX);
    child.exit_wq.notify(u64::MAX);
}

impl Task {
    /// One pass over the children: Ok(Some) if one has something to report,
    /// Ok(None) if some match but none is ready, ECHILD if none match.
    fn wait_once(&self, which: Which, opts: u32, exited: bool) -> Result<Option<Waited>, Errno> {
        let children = self.tg.children.lock().clone();
        let my_pgid = self.tg.pgid();
        let matching: Vec<Arc<ThreadGroup>> = children
            .into_iter()
            .filter(|c| match which {
                Which::Any => true,
                Which::Pid(p) => c.tgid == p,
                Which::Pgid(0) => c.pgid() == my_pgid,
                Which::Pgid(g) => c.pgid() == g,
            })
            .filter(|c| {
                // Clone children (exit signal other than SIGCHLD) need __WCLONE unless __WALL.
                let clone_child = c.exit_signal.load(Ordering::Relaxed) != abi::signal::SIGCHLD;
                opts & WALL != 0 || clone_child == (opts & WCLONE != 0)
            })
            .collect();
        if matching.is_empty() {
            return Err(Errno::ECHILD);
        }
        for c in &matching {
            if !exited {
                break;
            }
            let status = *c.exit_status.lock();
            if let Some(s) = status {
                let times = usage(c);
                if opts & WNOWAIT == 0 {
                    // Only children waited for count in RUSAGE_CHILDREN.
                    let mut ct = self.tg.child_times.lock();
                    *ct = (ct.0 + times.0, ct.1 + times.1);
                    drop(ct);
                    reap(&self.k, &self.tg, c);
                }
                return Ok(Some(Waited {
                    pid: c.tgid,
                    uid: 0,
                    kind: WaitKind::Exited(s),
                    times,
                }));
            }
        }
        for c in &matching {
            let mut ev = c.wait_event.lock();
            match *ev {
                Some(WaitEvent::Stopped(sig)) if opts & WSTOPPED != 0 => {
                    if opts & WNOWAIT == 0 {
                        *ev = None;
                    }
                    return Ok(Some(Waited {
                        pid: c.tgid,
                        uid: 0,
                        kind: WaitKind::Stopped(sig),
                        times: usage(c),
                    }));
                }
                Some(WaitEvent::Continued) if opts & WCONTINUED != 0 => {
                    if opts & WNOWAIT == 0 {
                        *ev = None;
                    }
                    return Ok(Some(Waited {
                        pid: c.tgid,
                        uid: 0,
                        kind: WaitKind::Continued,
                        times: usage(c),
                    }));
                }
                _ => {}
            }
        }
        Ok(None)
    }

    /// Wait for a child as wait4/waitid describe. `exited`: report exits
    /// (always for wait4, WEXITED for waitid). Ok(None) means WNOHANG and nothing ready.
    pub fn wait_child(
        &mut self,
        which: Which,
        opts: u32,
        exited: bool,
    ) -> Result<Option<Waited>, Errno> {
        loop {
            if let Some(w) = self.wait_once(which, opts, exited)? {
                return Ok(Some(w));
            }
            if opts & WNOHANG != 0 {
                return Ok(None);
            }
            let tg = self.tg.clone();
            let _entry = tg.child_wq.register(&self.shared, u64::MAX);
            if let Some(w) = self.wait_once(which, opts, exited)? {
                return Ok(Some(w));
            }
            match self.block(None) {
                Ok(()) => {}
                Err(Errno::EINTR) => {
                    // A child's exit wakes us together with its SIGCHLD: as
                    // Linux, report the child rather than the interruption.
                    if let Some(w) = self.wait_once(which, opts, exited)? {
                        return Ok(Some(w));
                    }
                    return Err(Errno::ERESTARTSYS);
                }
                Err(e) => return Err(e),
            }
        }
    }
}
