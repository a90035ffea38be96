//! Starting a Gofer: `/proc/self/exe gofer --sock-fd N --mount …` with one
//! end of a SOCK_SEQPACKET socket pair; the Sentry keeps the other.
//!
//! The Gofer's end is passed as a non-close-on-exec duplicate that exists
//! only for the moment of the spawn (the Sentry has no other thread that
//! could fork then: this runs first, at boot).

use rustix::net::{AddressFamily, SocketFlags, SocketType};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

/// One tree for the Gofer to serve.
#[derive(Clone, Debug)]
pub struct GoferMount {
    /// Tattach's aname.
    pub name: String,
    pub path: std::path::PathBuf,
    pub writable: bool,
}

/// A running Gofer. Dropping this does not stop it: it exits when the
/// Sentry's end of the socket closes.
#[derive(Debug)]
pub struct GoferProcess {
    pub pid: u32,
}

/// Starts a Gofer serving `mounts` and returns it with the Sentry's end of
/// its socket. `exe` is the runsc binary (normally "/proc/self/exe");
/// `extra` are arguments placed before the `gofer` subcommand.
pub fn spawn(
    exe: &std::path::Path,
    extra: &[String],
    mounts: &[GoferMount],
) -> Result<(GoferProcess, OwnedFd), String> {
    let (ours, theirs) = rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )
    .map_err(|e| format!("gofer socket pair: {e}"))?;
    // A plain dup has no close-on-exec flag: the child inherits it.
    let inherited = rustix::io::dup(&theirs).map_err(|e| format!("gofer socket: {e}"))?;
    drop(theirs);
    let mut cmd = Command::new(exe);
    cmd.arg0("runsc")
        .args(extra)
        .arg("gofer")
        .arg(format!("--sock-fd={}", inherited.as_raw_fd()));
    for m in mounts {
        let mode = if m.writable { "rw" } else { "ro" };
        cmd.arg(format!("--mount={}:{mode}:{}", m.name, m.path.display()));
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::null());
    let child: Child = cmd
        .spawn()
        .map_err(|e| format!("starting the gofer ({}): {e}", exe.display()))?;
    drop(inherited);
    let pid = child.id();
    // Reap it whenever it ends, so it never lingers as a zombie; report an
    // unexpected end (the Sentry sees EIO on every host file from then on).
    let _ = std::thread::Builder::new()
        .name("gofer-reaper".into())
        .spawn(move || {
            let mut child = child;
            match child.wait() {
                Ok(s) if s.success() => {}
                Ok(s) => tracing::warn!("gofer {pid} ended: {s}"),
                Err(e) => tracing::warn!("gofer {pid}: wait: {e}"),
            }
        });
    Ok((GoferProcess { pid }, ours))
}
