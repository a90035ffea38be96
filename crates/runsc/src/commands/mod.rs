//! The OCI lifecycle commands, one file each, and what they share.

pub mod create;
pub mod delete;
pub mod events;
pub mod exec;
pub mod install;
pub mod kill;
pub mod list;
pub mod pause;
pub mod ps;
pub mod run;
pub mod spec;
pub mod start;
pub mod state;
pub mod wait;

use crate::control::client::{call, CallError};
use crate::control::{Request, Response};
use crate::state::{process_alive, Container};
use anyhow::{anyhow, bail, Result};
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

/// Ask `c`'s sandbox; an `error` answer becomes an error.
pub fn ask(c: &Container, req: &Request, fds: &[BorrowedFd<'_>]) -> Result<Response> {
    match call(&c.socket(), req, fds) {
        Ok(Response::Error { message }) => Err(anyhow!(message)),
        Ok(r) => Ok(r),
        Err(CallError::Unreachable(_)) | Err(CallError::Closed) if !c.sandbox_alive() => {
            bail!(
                "container {:?} is not running (its sandbox process has exited)",
                c.id()
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// Signal numbers by name (without "SIG").
const SIGNALS: [(&str, i32); 31] = [
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("IOT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("SYS", 31),
];

/// A signal as runc accepts it: "SIGTERM", "TERM", "term", "15", "RTMIN+3".
pub fn signal_number(s: &str) -> Result<i32> {
    if let Ok(n) = s.parse::<i32>() {
        if (1..=64).contains(&n) {
            return Ok(n);
        }
        bail!("invalid signal {s:?}: numbers go from 1 to 64");
    }
    let up = s.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    if let Some((_, n)) = SIGNALS.iter().find(|(nm, _)| *nm == name) {
        return Ok(*n);
    }
    if name == "POLL" {
        return Ok(29);
    }
    if name == "PWR" {
        return Ok(30);
    }
    let offset = |off: &str, sign: char| -> Option<i32> {
        if off.is_empty() {
            return Some(0);
        }
        off.strip_prefix(sign)?.parse::<i32>().ok()
    };
    let n = if let Some(off) = name.strip_prefix("RTMIN") {
        offset(off, '+').map(|o| 34 + o)
    } else if let Some(off) = name.strip_prefix("RTMAX") {
        offset(off, '-').map(|o| 64 - o)
    } else {
        None
    };
    n.filter(|n| (34..=64).contains(n))
        .ok_or_else(|| anyhow!("unknown signal {s:?}"))
}

/// Wait until the process `pid` (started at `start_time`) is gone.
pub fn wait_gone(pid: i32, start_time: u64, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while process_alive(pid, start_time) {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

/// Stop `c`'s sandbox (whatever state it is in), run the poststop hooks
/// and remove every trace of it: process, socket, state directory.
pub fn destroy(cli: &crate::cli::Cli, c: &Container) -> Result<()> {
    let (pid, start) = (c.saved.pid, c.saved.pid_start_time);
    if process_alive(pid, start) {
        // Politely first: the sandbox exits at once, taking its stubs along.
        let _ = call(&c.socket(), &Request::Shutdown, &[]);
        if !wait_gone(pid, start, Duration::from_secs(2)) {
            // Checked just above: `pid` is still our sandbox.
            let _ = rustix::process::kill_process(
                rustix::process::Pid::from_raw(pid).ok_or_else(|| anyhow!("bad pid"))?,
                rustix::process::Signal::KILL,
            );
            if !wait_gone(pid, start, Duration::from_secs(10)) {
                bail!(
                    "the sandbox process {pid} of container {:?} does not die",
                    c.id()
                );
            }
        }
    }
    let state_json = c.oci_state_json();
    if let Err(e) = crate::oci::hooks::run(
        "poststop",
        c.saved
            .spec
            .hooks()
            .as_ref()
            .and_then(|h| h.poststop().as_ref()),
        &state_json,
    ) {
        crate::logging::warning(&format!("{e:#}"));
    }
    let removed = crate::sandbox::cgroup::manager(&c.saved.spec, c.id(), cli.systemd_cgroup)
        .and_then(|m| m.destroy());
    if let Err(e) = removed {
        crate::logging::warning(&format!("removing the cgroup: {e}"));
    }
    match std::fs::remove_dir_all(&c.dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(anyhow!("removing {}: {e}", c.dir.display())),
    }
}

/// Write `pid` to `path` atomically (as runc does).
pub fn write_pid_file(path: &std::path::Path, pid: i32) -> Result<()> {
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    crate::state::write_atomic(&path, pid.to_string().as_bytes(), 0o644)
        .map_err(|e| anyhow!("pid file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::signal_number;

    #[test]
    fn signal_names() {
        assert_eq!(signal_number("SIGTERM").unwrap(), 15);
        assert_eq!(signal_number("TERM").unwrap(), 15);
        assert_eq!(signal_number("kill").unwrap(), 9);
        assert_eq!(signal_number("9").unwrap(), 9);
        assert_eq!(signal_number("SIGRTMIN").unwrap(), 34);
        assert_eq!(signal_number("RTMIN+2").unwrap(), 36);
        assert_eq!(signal_number("SIGRTMAX").unwrap(), 64);
        assert_eq!(signal_number("RTMAX-1").unwrap(), 63);
        assert!(signal_number("NOPE").is_err());
        assert!(signal_number("0").is_err());
        assert!(signal_number("65").is_err());
    }
}
