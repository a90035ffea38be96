//! The stub factory: a dedicated host thread that owns the master stub and
//! forks new stub processes from it on request.
//!
//! The master is forked from the Sentry once; every later stub process is a
//! fork of the master (a one-page process, so forking it is cheap and the
//! child starts clean). The master dies with this thread (PTRACE_O_EXITKILL)
//! and its children die with the master (PR_SET_PDEATHSIG).

use super::stub::{self, StubPage};
use super::sys::{self, Pid, Stop};
use super::thread::StubThread;
use crate::{Error, Result};
use parking_lot::Mutex;
use std::sync::mpsc;

type Reply = mpsc::Sender<Result<Pid>>;

#[derive(Debug)]
pub struct Factory {
    requests: Mutex<mpsc::Sender<Reply>>,
    /// The master stub's pid.
    pub master: Pid,
}

impl Factory {
    pub fn start(page: StubPage, memfd: i32) -> Result<Factory> {
        let (tx, rx) = mpsc::channel::<Reply>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<Pid>>();
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
                while let Ok(reply) = rx.recv() {
                    let r = master
                        .inject(page.clone, libc::SYS_fork, [0; 6])
                        .and_then(|r| {
                            abi::Errno::from_ret(r)
                                .map_err(|e| Error::Host(format!("fork stub: {e}")))
                        })
                        .map(|p| p as Pid);
                    let _ = reply.send(r);
                }
            })
            .map_err(|e| Error::Host(format!("spawn stub factory: {e}")))?;
        let master = ready_rx
            .recv()
            .map_err(|_| Error::Host("stub factory died".into()))??;
        Ok(Factory {
            requests: Mutex::new(tx),
            master,
        })
    }

    /// A new, idle stub process (not yet traced by anyone).
    pub fn new_process(&self) -> Result<Pid> {
        let (tx, rx) = mpsc::channel();
        self.requests
            .lock()
            .send(tx)
            .map_err(|_| Error::Host("stub factory gone".into()))?;
        rx.recv()
            .map_err(|_| Error::Host("stub factory gone".into()))?
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
