//! `runsc wait`: wait for the container's init (or --pid) to exit and
//! print `{"id":…,"exitStatus":N}` (N is 128+signal for a signal).

use crate::cli::{Cli, WaitArgs};
use crate::control::client::{call, CallError};
use crate::control::{Request, Response, SignalTarget};
use crate::hostsig::HostSignals;
use crate::state::{Container, ExitRecord};
use anyhow::{anyhow, bail, Result};

pub fn run(cli: &Cli, args: &WaitArgs) -> Result<i32> {
    let c = Container::load(&cli.root, &args.id)?;
    if let (Some(pid), true) = (args.pid, args.exit_with_status) {
        watch(&c, pid, args.tty)?;
    }
    let rec = wait(&c, args.pid)?;
    if args.exit_with_status {
        return Ok(rec.exit_code);
    }
    println!(
        "{}",
        serde_json::json!({ "id": args.id, "exitStatus": rec.exit_code })
    );
    Ok(0)
}

/// As the watcher of an exec'd process (its host pid is the one the pid
/// file names, so a shim's kill(2) lands here): pass the signals this
/// process gets on to process `pid`. `tty`: stdin is the process's
/// terminal; become its session's leader so the host's terminal driver
/// signals this process, and send those signals to the foreground job of
/// the process's terminal in the sandbox, as the driver would.
fn watch(c: &Container, pid: i32, tty: bool) -> Result<()> {
    let signals = HostSignals::block()?;
    if tty {
        // SAFETY: setsid and ioctl(TIOCSCTTY) take no pointers; fd 0 is ours.
        let ok = unsafe { libc::setsid() >= 0 && libc::ioctl(0, libc::TIOCSCTTY, 0) == 0 };
        if !ok {
            bail!(
                "cannot take the terminal of process {pid}: {}",
                std::io::Error::last_os_error()
            );
        }
    }
    let sock = c.socket();
    signals.on_each_from(move |signal, from_tty| {
        let target = if tty && from_tty {
            SignalTarget::Terminal(pid)
        } else {
            SignalTarget::Pid(pid)
        };
        let _ = call(&sock, &Request::Signal { signal, target }, &[]);
    })?;
    Ok(())
}

/// How process `pid` (init if None) of `c` ended.
pub fn wait(c: &Container, pid: Option<i32>) -> Result<ExitRecord> {
    let init = pid.is_none_or(|p| p == 1);
    if init {
        if let Some(rec) = c.exit() {
            return Ok(rec);
        }
    }
    match call(&c.socket(), &Request::Wait { pid }, &[]) {
        Ok(Response::Exited(rec)) => Ok(rec),
        Ok(Response::Error { message }) => Err(anyhow!(message)),
        Ok(other) => bail!("unexpected answer to wait: {other:?}"),
        Err(CallError::Closed) | Err(CallError::Unreachable(_)) => {
            // The sandbox is gone: it recorded init's status before exiting.
            if init {
                if let Some(rec) = c.exit() {
                    return Ok(rec);
                }
                bail!(
                    "container {:?}: the sandbox exited without recording a status (it was killed)",
                    c.id()
                );
            }
            // Everything in the sandbox died with it.
            Ok(ExitRecord {
                wait_status: libc::SIGKILL,
                exit_code: 128 + libc::SIGKILL,
            })
        }
        Err(e) => Err(e.into()),
    }
}
