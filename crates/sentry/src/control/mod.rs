//! The sandbox's control API: what `runsc boot` (the sandbox process) does
//! when the runtime's command line asks — start the container's init,
//! start another process in it (`runsc exec`), signal, wait, list
//! processes, report statistics, pause and resume.
//!
//! The wire protocol (a unix socket, serde JSON, fds passed with
//! SCM_RIGHTS) is runsc's; this module is what the requests turn into, on
//! the [`Kernel`] of one sandbox. Host fds arrive already received; nothing
//! here touches the host beyond wrapping them.
//!
//! May use: kernel (pid table, thread groups, sending signals, the
//! freezer), fs (donated host fds), boot (program lookup).

mod process;
mod ps;
mod stats;
mod wait;

pub use process::ProcessSpec;
pub use ps::ProcessInfo;
pub use stats::Stats;

use crate::kernel::kernel::INIT_PID;
use crate::kernel::signal::ExitStatus;
use crate::kernel::tty::{signal_pgrp, Tty};
use crate::kernel::{send, Kernel, ThreadGroup};
use abi::signal::{SigInfo, SI_USER};
use abi::Errno;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// How long `pause` waits for every task to leave application code.
const FREEZE_LIMIT: Duration = Duration::from_secs(5);

/// Exited processes started from outside kept for a late `wait`, at most.
const KEEP_EXITED: usize = 1024;

/// Where a signal goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The container's init process.
    Init,
    /// Every process of the sandbox (`runsc kill --all`).
    All,
    /// One process, by its pid in the sandbox.
    Pid(i32),
    /// The foreground process group of the controlling terminal of the
    /// session of process `pid` — where the terminal's own signals (^C,
    /// ^\, ^Z, a resize, a hangup) go; process `pid` itself if its session
    /// has no terminal or the terminal no foreground group.
    Terminal(i32),
}

/// The control side of one sandbox.
pub struct Control {
    k: Arc<Kernel>,
    /// Processes started through this API (init and exec'd ones) by pid.
    /// They have no parent in the sandbox, so nobody reaps them there: the
    /// entry keeps the exit status for `wait` after the pid table forgot
    /// them.
    started: Mutex<BTreeMap<i32, Arc<ThreadGroup>>>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Control")
    }
}

impl Control {
    pub fn new(k: Arc<Kernel>) -> Control {
        Control {
            k,
            started: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn kernel(&self) -> &Arc<Kernel> {
        &self.k
    }

    /// Start the container's init process (PID 1). An error is the
    /// user-facing reason, e.g. "cannot run foo: No such file or directory".
    pub fn start_init(&self, spec: ProcessSpec) -> Result<i32, String> {
        if self.k.pids.lock().groups.contains_key(&INIT_PID) {
            return Err("the container's init process was already started".into());
        }
        let tg = process::spawn(&self.k, spec)?;
        if tg.tgid != INIT_PID {
            // Cannot happen: no process exists before init.
            tracing::warn!("init started as pid {}", tg.tgid);
        }
        Ok(self.remember(tg))
    }

    /// Start another process in the running sandbox (`runsc exec`). Like
    /// runc's, it is not a child of init: it has no parent.
    pub fn exec(&self, spec: ProcessSpec) -> Result<i32, String> {
        if !self.init_alive() {
            return Err("the container is not running".into());
        }
        let tg = process::spawn(&self.k, spec)?;
        Ok(self.remember(tg))
    }

    fn remember(&self, tg: Arc<ThreadGroup>) -> i32 {
        let pid = tg.tgid;
        let mut started = self.started.lock();
        if started.len() >= KEEP_EXITED {
            // Forget the exited ones nobody waited for (never init).
            started.retain(|&p, g| p == INIT_PID || !g.is_zombie());
        }
        started.insert(pid, tg);
        pid
    }

    fn init_alive(&self) -> bool {
        self.k
            .pids
            .lock()
            .groups
            .get(&INIT_PID)
            .is_some_and(|g| !g.is_zombie())
    }

    /// Send `sig` from outside the sandbox (si_code SI_USER, no sender pid
    /// in the sandbox). Like a signal forwarded from the host, it reaches
    /// init even when init has no handler for it. Returns how many
    /// processes it was sent to; ESRCH if none.
    pub fn signal(&self, target: Target, sig: i32) -> Result<usize, Errno> {
        if !(0..=64).contains(&sig) {
            return Err(Errno::EINVAL);
        }
        if let Target::Terminal(p) = target {
            let sid = self.k.pids.lock().groups.get(&p).map(|g| g.sid());
            let fg = sid
                .and_then(|sid| Tty::of_session(&self.k, sid))
                .and_then(|t| t.foreground())
                .filter(|&pgrp| pgrp > 0);
            if let Some(pgrp) = fg {
                if sig == 0 {
                    return Ok(1);
                }
                return match signal_pgrp(&self.k, pgrp, sig, true) {
                    0 => Err(Errno::ESRCH),
                    n => Ok(n),
                };
            }
        }
        let groups: Vec<Arc<ThreadGroup>> = {
            let pids = self.k.pids.lock();
            match target {
                Target::Init => pids.groups.get(&INIT_PID).cloned().into_iter().collect(),
                Target::Pid(p) | Target::Terminal(p) => {
                    pids.groups.get(&p).cloned().into_iter().collect()
                }
                Target::All => pids.groups.values().cloned().collect(),
            }
        };
        let live: Vec<Arc<ThreadGroup>> = groups.into_iter().filter(|g| !g.is_zombie()).collect();
        if live.is_empty() {
            return Err(Errno::ESRCH);
        }
        if sig != 0 {
            let info = SigInfo {
                signo: sig,
                code: SI_USER,
                ..Default::default()
            };
            for g in &live {
                // From outside the sandbox's PID namespace, init gets only
                // the signals it handles, plus SIGKILL and SIGSTOP (as
                // Linux treats a child namespace's init): `docker stop` of
                // an init without a SIGTERM handler ends with SIGKILL.
                let unhandled = g.sighand().get(sig).handler == abi::signal::SIG_DFL;
                if g.tgid == INIT_PID
                    && unhandled
                    && sig != abi::signal::SIGKILL
                    && sig != abi::signal::SIGSTOP
                {
                    continue;
                }
                send::send(g, None, info);
            }
        }
        Ok(live.len())
    }

    /// Wait for process `pid` to exit and return how it ended. Init's
    /// status stays available; another process's can be collected once.
    /// ESRCH if there is no such process (or its status was collected).
    pub fn wait(&self, pid: i32) -> Result<ExitStatus, Errno> {
        if pid == INIT_PID {
            return Ok(self.k.wait_exit());
        }
        let tg = {
            let known = self.started.lock().get(&pid).cloned();
            match known {
                Some(g) => g,
                None => self
                    .k
                    .pids
                    .lock()
                    .groups
                    .get(&pid)
                    .cloned()
                    .ok_or(Errno::ESRCH)?,
            }
        };
        let status = wait::exit_status(&tg);
        let mut started = self.started.lock();
        if started.get(&pid).is_some_and(|g| Arc::ptr_eq(g, &tg)) {
            started.remove(&pid);
        }
        Ok(status)
    }

    /// Every process of the sandbox, by pid.
    pub fn processes(&self) -> Vec<ProcessInfo> {
        ps::list(&self.k)
    }

    /// Resource usage of the whole sandbox.
    pub fn stats(&self) -> Stats {
        let started: Vec<Arc<ThreadGroup>> = self.started.lock().values().cloned().collect();
        stats::collect(&self.k, &started)
    }

    /// Stop every task from running application code (`runsc pause`).
    pub fn pause(&self) -> Result<(), String> {
        if self.k.freezer.freeze(&self.k, FREEZE_LIMIT) {
            Ok(())
        } else {
            Err(format!(
                "some tasks did not stop within {}s",
                FREEZE_LIMIT.as_secs()
            ))
        }
    }

    /// Let every task run again (`runsc resume`).
    pub fn resume(&self) {
        self.k.freezer.thaw();
    }

    pub fn is_paused(&self) -> bool {
        self.k.freezer.is_frozen()
    }
}
