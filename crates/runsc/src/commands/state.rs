//! `runsc state`: the OCI state of a container, as JSON.

use crate::cli::{Cli, IdArgs};
use crate::state::Container;
use anyhow::Result;

pub fn run(cli: &Cli, args: &IdArgs) -> Result<i32> {
    let c = Container::load(&cli.root, &args.id)?;
    println!("{}", serde_json::to_string_pretty(&c.oci_state())?);
    Ok(0)
}
