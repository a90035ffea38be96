//! `runsc pause` and `runsc resume`: freeze and thaw every process of a
//! container (no application code runs while it is paused).

use crate::cli::{Cli, IdArgs};
use crate::control::Request;
use crate::state::{Container, Status};
use anyhow::{bail, Result};

pub fn pause(cli: &Cli, args: &IdArgs) -> Result<i32> {
    let mut c = Container::load(&cli.root, &args.id)?;
    match c.status() {
        Status::Running => {}
        s => bail!(
            "cannot pause container {:?}: it is {s}, not running",
            args.id
        ),
    }
    super::ask(&c, &Request::Pause, &[])?;
    c.saved.status = Status::Paused;
    c.save()?;
    Ok(0)
}

pub fn resume(cli: &Cli, args: &IdArgs) -> Result<i32> {
    let mut c = Container::load(&cli.root, &args.id)?;
    match c.status() {
        Status::Paused => {}
        s => bail!(
            "cannot resume container {:?}: it is {s}, not paused",
            args.id
        ),
    }
    super::ask(&c, &Request::Resume, &[])?;
    c.saved.status = Status::Running;
    c.save()?;
    Ok(0)
}
