//! The sandbox's PID namespace, made by `create` (the host side).
//!
//! A process cannot move itself into a new PID namespace: `unshare(2)`
//! with CLONE_NEWPID only decides where the caller's *children* go. So
//! `create` does it around the one spawn that starts `runsc boot`: the
//! sandbox process becomes PID 1 of a namespace of its own (and the Gofer
//! and the stub processes it forks live there too), then `create` moves
//! its own children back to its original namespace, so that the OCI hooks
//! it runs afterwards run where the caller expects them.
//!
//! Being PID 1 there means: the kernel kills every process in the
//! namespace (stubs, Gofer) when the sandbox process dies; orphans are
//! re-parented to it; and a signal from outside reaches it only if it is
//! SIGKILL/SIGSTOP or blocked/handled — `runsc boot` blocks the ones it
//! forwards (see `hostsig`), so `runsc kill` and a supervisor's SIGTERM
//! still work.
//!
//! Without the privilege (a rootless caller) the sandbox is started in the
//! caller's namespace and the debug log says so.

use std::os::fd::OwnedFd;
use std::process::{Child, Command};

/// Spawn `cmd` as PID 1 of a new PID namespace (or, when that is not
/// permitted, as an ordinary child). Returns the child and whether it has
/// a namespace of its own.
pub fn spawn(cmd: &mut Command) -> std::io::Result<(Child, bool)> {
    let own = match current() {
        Ok(fd) => fd,
        Err(e) => {
            tracing::warn!("no PID namespace for the sandbox: /proc/self/ns/pid: {e}");
            return cmd.spawn().map(|c| (c, false));
        }
    };
    // SAFETY: CLONE_NEWPID touches neither the fd table nor the
    // filesystem attributes other threads may share.
    match unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWPID) } {
        Ok(()) => {}
        Err(rustix::io::Errno::PERM) | Err(rustix::io::Errno::INVAL) => {
            tracing::warn!(
                "no PID namespace for the sandbox: unshare(CLONE_NEWPID) is not permitted here"
            );
            return cmd.spawn().map(|c| (c, false));
        }
        Err(e) => return Err(std::io::Error::other(format!("unshare(CLONE_NEWPID): {e}"))),
    }
    let spawned = cmd.spawn();
    // Back to where we were, whatever the spawn did: later children (the
    // hooks) belong to the caller's namespace.
    let back = rustix::thread::move_into_link_name_space(
        std::os::fd::AsFd::as_fd(&own),
        Some(rustix::thread::LinkNameSpaceType::ProcessID),
    );
    match (spawned, back) {
        (Ok(child), Ok(())) => Ok((child, true)),
        (Ok(mut child), Err(e)) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(std::io::Error::other(format!(
                "returning to the caller's PID namespace: {e}"
            )))
        }
        (Err(e), _) => Err(e),
    }
}

fn current() -> std::io::Result<OwnedFd> {
    Ok(rustix::fs::open(
        "/proc/self/ns/pid",
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?)
}
