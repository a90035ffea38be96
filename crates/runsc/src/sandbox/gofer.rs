//! Starting the root filesystem's Gofer from `runsc boot`, before the
//! sandbox isolates itself.
//!
//! The Gofer must keep the host's privileges the sandbox gives up (it opens
//! the container's files as the caller, then confines itself: see
//! `gofer::confine`), and after isolation the sandbox could not even find
//! the runsc binary. So it is started first, while the sandbox process is
//! still single-threaded (a new user namespace needs that, so unlike
//! `sentry::fs::gofer::spawn` no reaper thread is started here: the caller
//! calls [`Gofer::reap_in_background`] once it is isolated).
//!
//! The Gofer is the sandbox's child and PID 2 of its PID namespace; it gets
//! SIGKILL when the sandbox dies (PR_SET_PDEATHSIG, set by the Gofer), and
//! exits on its own when the Sentry closes its end of the socket.
//!
//! Its stderr is a pipe the sandbox reads: copied to the sandbox's own
//! stderr (the debug log), and its last line kept, so that a Gofer that
//! cannot start (a refused namespace or mount, a root it cannot open) is
//! named in the error `create` reports, not just "EIO" from its socket.

use rustix::net::{AddressFamily, SocketFlags, SocketType};
pub use sentry::fs::gofer::GoferMount;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// A started Gofer and the Sentry's end of its socket.
#[derive(Debug)]
pub struct Gofer {
    pub child: Child,
    pub sock: OwnedFd,
    /// The read end of the Gofer's stderr.
    stderr: OwnedFd,
}

/// Start `runsc gofer` serving `mounts`: the root first (named
/// `sentry::boot::ROOT_ANAME`), then the container's bind mounts (as
/// `ContainerMounts::gofer_mounts` names them). `debug`: the Gofer logs as
/// the sandbox does.
pub fn start(mounts: &[GoferMount], debug: bool) -> Result<Gofer, String> {
    let (ours, theirs) = rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| format!("gofer socket pair: {e}"))?;
    // A plain dup has no close-on-exec flag: the Gofer inherits it.
    let inherited = rustix::io::dup(&theirs).map_err(|e| format!("gofer socket: {e}"))?;
    drop(theirs);
    let (err_r, err_w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| format!("gofer stderr pipe: {e}"))?;
    let mut cmd = Command::new("/proc/self/exe");
    cmd.arg0("runsc");
    if debug {
        cmd.arg("--debug");
    }
    cmd.arg("gofer")
        .arg(format!("--sock-fd={}", inherited.as_raw_fd()))
        .args(mounts.iter().map(|m| {
            let mode = if m.writable { "rw" } else { "ro" };
            format!("--mount={}:{mode}:{}", m.name, m.path.display())
        }))
        // Nothing of the caller's environment reaches the Gofer.
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(err_w));
    let child = cmd
        .spawn()
        .map_err(|e| format!("starting the gofer: {e}"))?;
    drop(inherited);
    Ok(Gofer {
        child,
        sock: ours,
        stderr: err_r,
    })
}

/// How the Gofer ended: its exit status and last line on stderr.
#[derive(Clone, Debug)]
struct End {
    status: String,
    success: bool,
    last_line: String,
}

/// Watches a Gofer from the sandbox: see [`Gofer::reap_in_background`].
#[derive(Clone, Debug)]
pub struct Watch {
    end: Arc<(Mutex<Option<End>>, Condvar)>,
}

impl Watch {
    /// If the Gofer has failed (or fails within `wait`), what it said.
    pub fn failure(&self, wait: Duration) -> Option<String> {
        let (lock, cv) = &*self.end;
        let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = cv
            .wait_timeout_while(guard, wait, |e| e.is_none())
            .unwrap_or_else(|e| e.into_inner());
        let end = guard.as_ref()?;
        if end.success {
            return None;
        }
        Some(if end.last_line.is_empty() {
            format!("the gofer ended ({})", end.status)
        } else {
            format!("{} ({})", end.last_line, end.status)
        })
    }
}

impl Gofer {
    /// Copy the Gofer's stderr to ours and wait for its end on a thread of
    /// its own, so that it never lingers as a zombie; an unexpected end is
    /// logged (every host file then fails with EIO in the sandbox). Returns
    /// the Sentry's socket and a watch on the Gofer's end.
    pub fn reap_in_background(self) -> (OwnedFd, Watch) {
        let watch = Watch {
            end: Arc::new((Mutex::new(None), Condvar::new())),
        };
        let mut child = self.child;
        let pid = child.id();
        let stderr = self.stderr;
        let w = watch.clone();
        let _ = std::thread::Builder::new()
            .name("gofer-reaper".into())
            .spawn(move || {
                let last_line = copy_stderr(stderr);
                let end = match child.wait() {
                    Ok(s) => End {
                        status: s.to_string(),
                        success: s.success(),
                        last_line,
                    },
                    Err(e) => End {
                        status: format!("wait: {e}"),
                        success: false,
                        last_line,
                    },
                };
                if !end.success {
                    tracing::warn!("gofer {pid} ended ({}): {}", end.status, end.last_line);
                }
                let (lock, cv) = &*w.end;
                *lock.lock().unwrap_or_else(|e| e.into_inner()) = Some(end);
                cv.notify_all();
            });
        (self.sock, watch)
    }
}

/// Copy everything from `from` to our stderr until EOF (the Gofer and
/// every holder of its stderr are gone); the last non-empty line.
fn copy_stderr(from: OwnedFd) -> String {
    let mut f = std::fs::File::from(from);
    let mut buf = [0u8; 4096];
    let mut tail: Vec<u8> = Vec::new();
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let _ = std::io::stderr().write_all(&buf[..n]);
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > 8192 {
                    tail.drain(..tail.len() - 4096);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&tail)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}
