//! Pseudo-terminals for `terminal: true` (runc's protocol).
//!
//! The runtime makes a pty pair; the slave becomes the process's stdin,
//! stdout and stderr; the master goes to the caller's `--console-socket`:
//! one message on a unix stream socket whose data is the master's name,
//! "/dev/ptmx", with the fd attached as SCM_RIGHTS — what containerd's and
//! runc's `recvtty` read.

use crate::control::fdpass;
use anyhow::{Context, Result};
use rustix::fs::{Mode, OFlags};
use rustix::pty::OpenptFlags;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
}

/// A new pty pair, sized `size` (rows, cols) if given.
pub fn open(size: Option<(u16, u16)>) -> Result<Pty> {
    let master =
        rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
            .context("opening /dev/ptmx")?;
    rustix::pty::grantpt(&master).context("grantpt")?;
    rustix::pty::unlockpt(&master).context("unlockpt")?;
    let name = rustix::pty::ptsname(&master, Vec::new()).context("ptsname")?;
    let slave = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .with_context(|| format!("opening {}", name.to_string_lossy()))?;
    if let Some((rows, cols)) = size.filter(|(r, c)| *r > 0 && *c > 0) {
        let ws = rustix::termios::Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let _ = rustix::termios::tcsetwinsize(&master, ws);
    }
    Ok(Pty { master, slave })
}

/// Send `master` to the console socket at `path`.
pub fn send_master(path: &Path, master: &OwnedFd) -> Result<()> {
    let sock =
        fdpass::connect(path).with_context(|| format!("console socket {}", path.display()))?;
    fdpass::send(&sock, b"/dev/ptmx", &[master.as_fd()])
        .with_context(|| format!("sending the terminal to {}", path.display()))
}

/// Three fds for stdin, stdout and stderr, all on `fd`.
pub fn stdio_on(fd: &OwnedFd) -> Result<[OwnedFd; 3]> {
    Ok([fd.try_clone()?, fd.try_clone()?, fd.try_clone()?])
}

/// The console size config.json asks for, as (rows, cols).
pub fn console_size(p: &oci_spec::runtime::Process) -> Option<(u16, u16)> {
    p.console_size().map(|b| {
        (
            b.height().min(u16::MAX as u64) as u16,
            b.width().min(u16::MAX as u64) as u16,
        )
    })
}
