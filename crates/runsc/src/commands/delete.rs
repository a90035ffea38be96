//! `runsc delete`: remove a stopped (or created) container; with
//! --force, a running or paused one too. Leaves no process, socket or
//! state file behind.

use crate::cli::{Cli, DeleteArgs};
use crate::state::{container_dir, Container, Status};
use anyhow::{bail, Result};

pub fn run(cli: &Cli, args: &DeleteArgs) -> Result<i32> {
    crate::oci::validate_id(&args.id)?;
    let c = match Container::load(&cli.root, &args.id) {
        Ok(c) => c,
        Err(e) => {
            let dir = container_dir(&cli.root, &args.id);
            if args.force {
                // Whatever is left of a container whose state was never
                // written (or is unreadable): nothing to stop, only files.
                if dir.exists() {
                    std::fs::remove_dir_all(&dir)?;
                }
                return Ok(0);
            }
            return Err(e);
        }
    };
    match c.status() {
        Status::Running | Status::Paused if !args.force => {
            bail!(
                "cannot delete container {:?} that is not stopped: it is {} (use --force)",
                args.id,
                c.status()
            )
        }
        _ => super::destroy(cli, &c)?,
    }
    Ok(0)
}
