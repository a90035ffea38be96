//! The stub factory: a dedicated host thread that owns the master stub and
//! forks new stub processes from it on request.
//!
//! The master is forked from the Sentry once; every later stub process is a
//! fork of the master (a one-page process, so forking it is cheap and the
//! child starts clean). The master dies with this thread (PTRACE_O_EXITKILL)
//! and its children die with the master (PR_SET_PDEATHSIG).
//!
//! A platform may pass a `Prepare` hook, called on the factory thread
//! before each fork: it sets the registers the child starts its `clone`
//! path with (the systrap platform's thread set-up) and returns a token
//! that comes back with the child's pid.

use super::sys::{self, Pid, Stop};
use super::thread::StubThread;
use crate::stub::{self, StubPage};
use crate::{Error, Result};
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::sync::mpsc;
use std::sync::Arc;

/// Stub processes kept forked ahead of demand, so creating an address space
/// (fork, exec) takes no round trip to the factory thread.
const POOL_TARGET: usize = 2;

/// What a new stub process starts with, besides r12 = the master's pid.
#[derive(Clone, Copy, Debug, Default)]
pub struct ChildSetup {
    /// Handed back with the pid by `Factory::new_process`.
    pub token: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rbp: u64,
}

/// Called before each fork; see the module comment.
pub type Prepare = Box<dyn FnMut() -> Result<ChildSetup> + Send>;

#[derive(Default)]
struct Pool {
    ready: VecDeque<(Pid, u64)>,
    /// Set when the factory can no longer fork: the reason.
    broken: Option<String>,
}

#[derive(Default)]
struct Shared {
    pool: Mutex<Pool>,
    cv: Condvar,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StubPool")
    }
}

#[derive(Debug)]
pub struct Factory {
    shared: Arc<Shared>,
    /// The master stub's pid.
    pub master: Pid,
}

impl Factory {
    pub fn start(page: StubPage, memfd: i32, mut prepare: Option<Prepare>) -> Result<Factory> {
        let shared = Arc::new(Shared::default());
        let (ready_tx, ready_rx) = mpsc::channel::<Result<Pid>>();
        let sh = shared.clone();
        std::thread::Builder::new()
            .name("rvisor-stubs".into())
            .spawn(move || {
                let mut master = match start_master(&page, memfd) {
                    Ok(m) => {
                        let _ = ready_tx.send(Ok(m.pid));
                        m
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                loop {
                    {
                        let mut p = sh.pool.lock();
                        while p.ready.len() >= POOL_TARGET {
                            sh.cv.wait(&mut p);
                        }
                    }
                    let setup = match prepare.as_mut().map(|f| f()).transpose() {
                        Ok(s) => s.unwrap_or_default(),
                        Err(e) => {
                            let mut p = sh.pool.lock();
                            p.broken = Some(e.to_string());
                            sh.cv.notify_all();
                            return;
                        }
                    };
                    let r = master
                        .inject_with(page.clone, libc::SYS_fork, [0; 6], |r| {
                            r.r13 = setup.r13;
                            r.r14 = setup.r14;
                            r.r15 = setup.r15;
                            r.rbp = setup.rbp;
                        })
                        .and_then(|r| {
                            abi::Errno::from_ret(r)
                                .map_err(|e| Error::Host(format!("fork stub: {e}")))
                        });
                    let mut p = sh.pool.lock();
                    match r {
                        Ok(pid) => p.ready.push_back((pid as Pid, setup.token)),
                        Err(e) => {
                            p.broken = Some(e.to_string());
                            sh.cv.notify_all();
                            return;
                        }
                    }
                    sh.cv.notify_all();
                }
            })
            .map_err(|e| Error::Host(format!("spawn stub factory: {e}")))?;
        let master = ready_rx
            .recv()
            .map_err(|_| Error::Host("stub factory died".into()))??;
        Ok(Factory { shared, master })
    }

    /// A new stub process (not traced by anyone), with the token its
    /// `Prepare` hook returned (0 without one).
    pub fn new_process(&self) -> Result<(Pid, u64)> {
        let mut p = self.shared.pool.lock();
        loop {
            if let Some(child) = p.ready.pop_front() {
                // Let the factory fork the next one meanwhile.
                self.shared.cv.notify_all();
                return Ok(child);
            }
            if let Some(e) = &p.broken {
                return Err(Error::Host(format!("stub factory: {e}")));
            }
            self.shared.cv.wait(&mut p);
        }
    }
}

fn start_master(page: &StubPage, memfd: i32) -> Result<StubThread> {
    let pid = stub::fork_master(page, memfd)
        .map_err(|e| Error::Host(format!("fork master stub: {e}")))?;
    if let Err(e) = sys::seize(pid) {
        sys::kill(pid, libc::SIGKILL);
        return Err(Error::Host(format!("seize master stub: {e}")));
    }
    // The master stops itself with SIGSTOP once its set-up is complete.
    loop {
        match sys::wait(pid).map_err(|e| Error::Host(format!("wait master: {e}")))? {
            Stop::Stopped {
                sig: libc::SIGSTOP, ..
            } => break,
            Stop::Stopped { .. } => {
                sys::cont(pid, 0).map_err(|e| Error::Host(format!("resume master: {e}")))?;
            }
            Stop::Gone(st) => {
                return Err(Error::Host(format!(
                    "master stub exited during set-up ({st:#x})"
                )))
            }
        }
    }
    Ok(StubThread {
        pid,
        tid: pid,
        master: pid,
        pending_interrupt: false,
    })
}
