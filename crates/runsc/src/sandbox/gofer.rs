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

use rustix::net::{AddressFamily, SocketFlags, SocketType};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
pub use sentry::fs::gofer::GoferMount;
use std::process::{Child, Command, Stdio};

/// A started Gofer and the Sentry's end of its socket.
#[derive(Debug)]
pub struct Gofer {
    pub child: Child,
    pub sock: OwnedFd,
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
        .stdout(Stdio::null());
    let child = cmd
        .spawn()
        .map_err(|e| format!("starting the gofer: {e}"))?;
    drop(inherited);
    Ok(Gofer { child, sock: ours })
}

impl Gofer {
    /// Wait for the Gofer's end on a thread of its own, so that it never
    /// lingers as a zombie, and log an unexpected end (every host file
    /// then fails with EIO in the sandbox). Returns the Sentry's socket.
    pub fn reap_in_background(self) -> OwnedFd {
        let mut child = self.child;
        let pid = child.id();
        let _ = std::thread::Builder::new()
            .name("gofer-reaper".into())
            .spawn(move || match child.wait() {
                Ok(s) if s.success() => {}
                Ok(s) => tracing::warn!("gofer {pid} ended: {s}"),
                Err(e) => tracing::warn!("gofer {pid}: wait: {e}"),
            });
        self.sock
    }
}
