//! `runsc start`: start the process of a created container.

use crate::cli::{Cli, IdArgs};
use crate::control::{Request, Response};
use crate::oci::hooks;
use crate::state::{Container, Status};
use anyhow::{bail, Result};

pub fn run(cli: &Cli, args: &IdArgs) -> Result<i32> {
    let mut c = Container::load(&cli.root, &args.id)?;
    start(&mut c)?;
    Ok(0)
}

/// Start `c`'s init. If that fails, nothing of the container runs any more.
pub fn start(c: &mut Container) -> Result<()> {
    match c.status() {
        Status::Created => {}
        s => bail!(
            "cannot start container {:?}: it is {s}, not created",
            c.id()
        ),
    }
    let h = c.saved.spec.hooks().clone().unwrap_or_default();
    if let Err(e) = hooks::run(
        "startContainer",
        h.start_container().as_ref(),
        &c.oci_state_json(),
    ) {
        // The container must not run: stop the sandbox.
        let _ = crate::control::client::call(&c.socket(), &Request::Shutdown, &[]);
        return Err(e);
    }
    match super::ask(c, &Request::Start, &[])? {
        Response::Pid { pid } => tracing::debug!(
            "container {} started: init is pid {pid} in the sandbox",
            c.id()
        ),
        other => bail!("unexpected answer to start: {other:?}"),
    }
    c.saved.status = Status::Running;
    c.save()?;
    if let Err(e) = hooks::run("poststart", h.poststart().as_ref(), &c.oci_state_json()) {
        crate::logging::warning(&format!("{e:#}"));
    }
    Ok(())
}
