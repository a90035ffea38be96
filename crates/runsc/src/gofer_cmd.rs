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
