//! `runsc gofer` (hidden): the Gofer process. Started by the sandbox with
//! one end of a SOCK_SEQPACKET socket pair (`--sock-fd`), never by users;
//! serves the `--mount` trees until the sandbox closes its end
//! (`gofer::run` says how it confines itself first).

use crate::cli::GoferArgs;
use std::os::fd::{FromRawFd, OwnedFd};

pub fn run(args: &GoferArgs) -> i32 {
    match serve(args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("runsc gofer: {e}");
            1
        }
    }
}

fn serve(args: &GoferArgs) -> Result<(), String> {
    let sock = take_socket(args.sock_fd)?;
    raise_nofile();
    let mounts = args
        .mounts
        .iter()
        .map(|m| gofer::MountSpec::parse(m))
        .collect::<Result<Vec<_>, _>>()?;
    gofer::run(gofer::Options {
        sock,
        mounts,
        unconfined: args.unconfined,
    })
}

/// The Gofer holds a host fd for every file the Sentry has walked to and
/// not yet let go of, so it takes all the fds its hard limit allows: with
/// a login shell's soft limit of 1024, a `find` over a tree of a thousand
/// directories would otherwise fail with EMFILE inside the sandbox.
fn raise_nofile() {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let lim = getrlimit(Resource::Nofile);
    let raised = Rlimit {
        current: lim.maximum,
        maximum: lim.maximum,
    };
    // Best effort: the limit as it was still works for smaller trees.
    let _ = setrlimit(Resource::Nofile, raised);
}

/// Owns the inherited socket, checking it is one.
fn take_socket(n: i32) -> Result<OwnedFd, String> {
    if n < 3 {
        return Err(format!("--sock-fd={n}: not an inherited descriptor"));
    }
    // SAFETY: fcntl(F_GETFD) only queries the descriptor table.
    if unsafe { libc::fcntl(n, libc::F_GETFD) } < 0 {
        return Err(format!("--sock-fd={n}: not open"));
    }
    // SAFETY: fd `n` is open and was inherited for this use only; nothing
    // else in this process owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(n) };
    let _ = rustix::io::fcntl_setfd(&fd, rustix::io::FdFlags::CLOEXEC);
    let st = rustix::fs::fstat(&fd).map_err(|e| format!("--sock-fd={n}: {e}"))?;
    if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::Socket {
        return Err(format!("--sock-fd={n}: not a socket"));
    }
    Ok(fd)
}
