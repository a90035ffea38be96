//! `runsc kill ID [SIGNAL]`: signal the container's init (or, with
//! --all, every process; with --pid, one). Works on a created container
//! too: a signal that would kill its process stops it.

use crate::cli::{Cli, KillArgs};
use crate::control::{Request, SignalTarget};
use crate::state::{Container, Status};
use anyhow::{bail, Result};

pub fn run(cli: &Cli, args: &KillArgs) -> Result<i32> {
    let signal = super::signal_number(&args.signal)?;
    let c = Container::load(&cli.root, &args.id)?;
    if c.status() == Status::Stopped {
        if args.all {
            return Ok(0);
        }
        bail!("container {:?} is not running", args.id);
    }
    let target = match (args.all, args.pid) {
        (true, _) => SignalTarget::All,
        (false, Some(p)) => SignalTarget::Pid(p),
        (false, None) => SignalTarget::Init,
    };
    super::ask(&c, &Request::Signal { signal, target }, &[])?;
    Ok(0)
}
