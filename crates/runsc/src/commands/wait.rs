//! `runsc wait`: wait for the container's init (or --pid) to exit and
//! print `{"id":…,"exitStatus":N}` (N is 128+signal for a signal).

use crate::cli::{Cli, WaitArgs};
use crate::control::client::{call, CallError};
use crate::control::{Request, Response};
use crate::state::{Container, ExitRecord};
use anyhow::{anyhow, bail, Result};

pub fn run(cli: &Cli, args: &WaitArgs) -> Result<i32> {
    let c = Container::load(&cli.root, &args.id)?;
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
