//! The sandbox side: accept connections on the control socket and turn
//! each request into a call on the Sentry's control API
//! (`sentry::control`), one thread per connection.

use super::{fdpass, Process, Request, Response, SignalTarget, Stats};
use crate::state::ExitRecord;
use parking_lot::{Condvar, Mutex};
use sentry::control::{Control, Target};
use sentry::kernel::signal::{default_action, DefaultAction, ExitStatus};
use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;

/// Largest request accepted.
const MAX_REQUEST: usize = 16 << 20;

/// Where the container is in its life, as the sandbox sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Booted; init not started.
    Created,
    Running,
    /// Init ended (or never will): the sandbox process exits with this.
    Stopped(ExitStatus),
}

/// What the sandbox process serves.
pub struct Sandbox {
    control: Control,
    /// The container's process (config.json's), started by `start`.
    init: oci_spec::runtime::Process,
    /// The stdio the sandbox was created with, donated to init at `start`.
    stdio: Mutex<Option<Vec<OwnedFd>>>,
    phase: Mutex<Phase>,
    phase_cv: Condvar,
    /// Requests read and not yet answered: the sandbox answers them
    /// before it exits (the one that stopped the container, a `start`
    /// that failed, must reach its caller).
    unanswered: Mutex<usize>,
    answered_cv: Condvar,
}

impl Sandbox {
    pub fn new(
        control: Control,
        init: oci_spec::runtime::Process,
        stdio: Vec<OwnedFd>,
    ) -> Arc<Sandbox> {
        Arc::new(Sandbox {
            control,
            init,
            stdio: Mutex::new(Some(stdio)),
            phase: Mutex::new(Phase::Created),
            phase_cv: Condvar::new(),
            unanswered: Mutex::new(0),
            answered_cv: Condvar::new(),
        })
    }

    /// Wait (at most `limit`) until every request read has been answered.
    pub fn wait_answered(&self, limit: std::time::Duration) {
        let deadline = std::time::Instant::now() + limit;
        let mut n = self.unanswered.lock();
        while *n > 0 {
            if self.answered_cv.wait_until(&mut n, deadline).timed_out() {
                return;
            }
        }
    }

    pub fn control(&self) -> &Control {
        &self.control
    }

    fn set_stopped(&self, status: ExitStatus) {
        let mut p = self.phase.lock();
        if !matches!(*p, Phase::Stopped(_)) {
            *p = Phase::Stopped(status);
        }
        self.phase_cv.notify_all();
    }

    /// Block until the container has stopped; how it ended.
    pub fn wait_stopped(&self) -> ExitStatus {
        let mut p = self.phase.lock();
        loop {
            if let Phase::Stopped(s) = *p {
                return s;
            }
            self.phase_cv.wait(&mut p);
        }
    }

    /// Serve `listener` on a thread of its own, for as long as the process lives.
    pub fn serve(self: &Arc<Self>, listener: UnixListener) -> std::io::Result<()> {
        let me = self.clone();
        std::thread::Builder::new()
            .name("control".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    match conn {
                        Ok(c) => {
                            let me = me.clone();
                            let spawned = std::thread::Builder::new()
                                .name("control-conn".into())
                                .spawn(move || me.connection(c));
                            if let Err(e) = spawned {
                                tracing::warn!("control: cannot start a thread: {e}");
                            }
                        }
                        Err(e) => tracing::warn!("control: accept: {e}"),
                    }
                }
            })?;
        Ok(())
    }

    fn connection(self: Arc<Self>, conn: UnixStream) {
        let mut data = Vec::new();
        let mut fds = Vec::new();
        let mut buf = [0u8; 8192];
        while !data.ends_with(b"\n") {
            match fdpass::recv(&conn, &mut buf, &mut fds) {
                Ok(0) => break,
                Ok(n) => data.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    tracing::debug!("control: read: {e}");
                    return;
                }
            }
            if data.len() > MAX_REQUEST {
                return;
            }
        }
        *self.unanswered.lock() += 1;
        let answer = match serde_json::from_slice::<Request>(&data) {
            Ok(req) => {
                tracing::debug!("control request: {req:?}");
                self.handle(req, fds)
            }
            Err(e) => Response::Error {
                message: format!("bad request: {e}"),
            },
        };
        let mut line = serde_json::to_vec(&answer).unwrap_or_default();
        line.push(b'\n');
        let _ = (&conn).write_all(&line);
        let mut n = self.unanswered.lock();
        *n -= 1;
        self.answered_cv.notify_all();
    }

    fn handle(self: &Arc<Self>, req: Request, fds: Vec<OwnedFd>) -> Response {
        let r = match req {
            Request::Start => self.start(),
            Request::Exec { process } => self.exec(&process, fds),
            Request::Signal { signal, target } => self.signal(signal, target),
            Request::Wait { pid } => self.wait(pid),
            Request::Ps => Ok(Response::Processes {
                processes: self.processes(),
            }),
            Request::Stats => {
                let s = self.control.stats();
                Ok(Response::Stats {
                    stats: Stats {
                        memory_bytes: s.memory_bytes,
                        tasks: s.tasks,
                        processes: s.processes,
                        cpu_user_ns: s.cpu_user_ns,
                        cpu_system_ns: s.cpu_system_ns,
                    },
                })
            }
            Request::Pause => self
                .running()
                .and_then(|()| self.control.pause())
                .map(|()| Response::Ok),
            Request::Resume => {
                self.control.resume();
                Ok(Response::Ok)
            }
            Request::Shutdown => {
                self.set_stopped(ExitStatus::Signaled {
                    sig: abi::signal::SIGKILL,
                    core: false,
                });
                Ok(Response::Ok)
            }
        };
        r.unwrap_or_else(|message| Response::Error { message })
    }

    fn running(&self) -> Result<(), String> {
        match *self.phase.lock() {
            Phase::Running => Ok(()),
            Phase::Created => Err("the container has not been started".into()),
            Phase::Stopped(_) => Err("the container is not running".into()),
        }
    }

    fn start(self: &Arc<Self>) -> Result<Response, String> {
        let mut phase = self.phase.lock();
        match *phase {
            Phase::Created => {}
            Phase::Running => return Err("the container is already running".into()),
            Phase::Stopped(_) => return Err("the container has stopped".into()),
        }
        let stdio = self.stdio.lock().take().unwrap_or_default();
        let started = crate::oci::process::process_spec(&self.init, stdio)
            .map_err(|e| format!("{e:#}"))
            .and_then(|spec| self.control.start_init(spec));
        match started {
            Ok(pid) => {
                *phase = Phase::Running;
                drop(phase);
                let me = self.clone();
                std::thread::Builder::new()
                    .name("init-wait".into())
                    .spawn(move || {
                        let status = me.control.kernel().wait_exit();
                        me.set_stopped(status);
                    })
                    .map_err(|e| format!("cannot start a thread: {e}"))?;
                Ok(Response::Pid { pid })
            }
            Err(message) => {
                // A start that fails leaves nothing running: the sandbox exits.
                *phase = Phase::Stopped(ExitStatus::Exited(127));
                self.phase_cv.notify_all();
                Err(message)
            }
        }
    }

    fn exec(
        &self,
        process: &oci_spec::runtime::Process,
        fds: Vec<OwnedFd>,
    ) -> Result<Response, String> {
        self.running()?;
        if fds.len() != 3 {
            return Err(format!("exec needs 3 stdio fds, got {}", fds.len()));
        }
        let spec = crate::oci::process::process_spec(process, fds).map_err(|e| format!("{e:#}"))?;
        let pid = self.control.exec(spec)?;
        Ok(Response::Pid { pid })
    }

    fn signal(&self, sig: i32, target: SignalTarget) -> Result<Response, String> {
        if !(0..=64).contains(&sig) {
            return Err(format!("invalid signal {sig}"));
        }
        let phase = *self.phase.lock();
        match phase {
            Phase::Stopped(_) => Err("the container is not running".into()),
            Phase::Created => {
                // No process runs yet. A signal that would kill init stops
                // the container, as if it had arrived at the very start.
                if matches!(target, SignalTarget::Pid(p) | SignalTarget::Terminal(p) if p != sentry::kernel::kernel::INIT_PID)
                {
                    return Err("no such process".into());
                }
                let fatal = sig == abi::signal::SIGKILL
                    || (sig != 0
                        && matches!(
                            default_action(sig),
                            DefaultAction::Terminate | DefaultAction::Core
                        ));
                if fatal {
                    self.set_stopped(ExitStatus::Signaled { sig, core: false });
                }
                Ok(Response::Ok)
            }
            Phase::Running => {
                let t = match target {
                    SignalTarget::Init => Target::Init,
                    SignalTarget::All => Target::All,
                    SignalTarget::Pid(p) => Target::Pid(p),
                    SignalTarget::Terminal(p) => Target::Terminal(p),
                };
                match self.control.signal(t, sig) {
                    Ok(_) => Ok(Response::Ok),
                    Err(abi::Errno::ESRCH) => Err("no such process".into()),
                    Err(e) => Err(format!("cannot signal: {e}")),
                }
            }
        }
    }

    fn wait(&self, pid: Option<i32>) -> Result<Response, String> {
        let status = match pid {
            None | Some(sentry::kernel::kernel::INIT_PID) => self.wait_stopped(),
            Some(p) => match self.control.wait(p) {
                Ok(s) => s,
                Err(_) => return Err(format!("no process {p} in the container")),
            },
        };
        Ok(Response::Exited(exit_record(status)))
    }

    fn processes(&self) -> Vec<Process> {
        self.control
            .processes()
            .into_iter()
            .map(|p| Process {
                pid: p.pid,
                ppid: p.ppid,
                uid: p.uid,
                comm: p.comm,
                state: p.state.to_string(),
                threads: p.threads,
                cmdline: p.cmdline,
                start_ns: p.start_ns,
                cpu_ns: p.cpu_ns,
            })
            .collect()
    }
}

pub fn exit_record(s: ExitStatus) -> ExitRecord {
    ExitRecord {
        wait_status: s.wait_status(),
        exit_code: s.shell_status(),
    }
}
