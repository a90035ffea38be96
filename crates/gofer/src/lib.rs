//! The Gofer: serves the container's directory trees to the Sentry over
//! 9P2000.L (`proto`) on a SOCK_SEQPACKET socket, and donates the host fds
//! of opened files so the Sentry reads, writes and maps them with no round
//! trip.
//!
//! `runsc gofer` (started by the sandbox, never by users) calls [`run`]:
//! open the trees, confine the process (`confine`: its own mount
//! namespace, pivot_root into a root that holds only the trees, capabilities
//! cut down, no_new_privs), install the seccomp allowlist (`seccomp`), then
//! answer requests in order (`conn`, `server`) until the Sentry closes its
//! end of the socket.
//!
//! The security boundary is the walk rule in `server`: every fid holds an
//! `O_PATH | O_NOFOLLOW` fd, and a walk moves one checked component at a
//! time with `openat`; names with '/', ".", ".." or NUL are refused and
//! symlinks are returned, never followed. Confinement and seccomp are the
//! second and third lines of defence.
//!
//! May use: `proto` (the codec), `abi` (errno), the host kernel. Knows
//! nothing of the Sentry.

pub mod confine;
pub mod conn;
pub mod host;
pub mod mounts;
pub mod seccomp;
pub mod server;
mod server_write;
mod server_xattr;

pub use confine::RootChange;
pub use conn::{serve, End};
pub use mounts::{MountSpec, ROOT_NAME};
pub use server::{Server, Tree};

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

/// How `runsc gofer` was asked to run.
#[derive(Debug)]
pub struct Options {
    /// The connection to the Sentry (inherited).
    pub sock: OwnedFd,
    pub mounts: Vec<MountSpec>,
    /// Skip namespaces, pivot_root and seccomp (debugging only).
    pub unconfined: bool,
}

/// Runs a Gofer to the end of its connection. `Err` says why it could not
/// start (printed by `runsc gofer`); a peer breaking the protocol ends it
/// with `Ok` after a message on stderr.
pub fn run(opts: Options) -> Result<(), String> {
    if opts.mounts.is_empty() {
        return Err("gofer: no tree to serve".into());
    }
    close_inherited_fds(opts.sock.as_raw_fd());
    // Modes of new files are the Sentry's, not reduced by ours.
    rustix::process::umask(rustix::fs::Mode::empty());
    // Leave the terminal's process group: ^C is for the sandbox, which
    // the Sentry forwards; the Gofer ends when the Sentry does.
    let _ = rustix::process::setsid();
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    // Before seccomp, which does not allow setsockopt.
    let msize = conn::frame_capacity(opts.sock.as_fd(), proto::DEFAULT_MSIZE);
    let trees = if opts.unconfined {
        confine::open_trees(&opts.mounts)?
    } else {
        let (trees, _how) = confine::confine(&opts.mounts)?;
        let writable = opts.mounts.iter().any(|m| m.writable);
        seccomp::install(opts.sock.as_raw_fd(), writable)?;
        trees
    };
    let mut server = Server::new(trees, msize);
    match serve(opts.sock.as_fd(), &mut server) {
        End::Closed => Ok(()),
        End::Framing(why) => {
            eprintln!("gofer: dropping the connection: {why}");
            Ok(())
        }
        End::Io(e) => Err(format!("gofer: connection: {e}")),
    }
}

/// Closes every fd above stdio but the socket: whatever the Gofer's parent
/// leaked to it must not be reachable from a Gofer under attack.
fn close_inherited_fds(sock: std::os::fd::RawFd) {
    let sock = sock as u32;
    let ranges = [
        (3u32, sock.saturating_sub(1)),
        (sock.saturating_add(1), u32::MAX),
    ];
    for (first, last) in ranges {
        if first > last {
            continue;
        }
        // SAFETY: close_range takes integers. No fd in these ranges is
        // owned by anything in this process: the Gofer has just started
        // and owns only `sock` (and stdio).
        unsafe { libc::syscall(libc::SYS_close_range, first, last, 0) };
    }
}
