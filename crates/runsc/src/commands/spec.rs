//! `runsc spec`: write a default config.json (runc's: `sh` on a
//! terminal, root filesystem in `rootfs`).

use crate::cli::{Cli, SpecArgs};
use anyhow::{bail, Context, Result};

pub fn run(_cli: &Cli, args: &SpecArgs) -> Result<i32> {
    let dir = match &args.bundle {
        Some(b) => b.clone(),
        None => std::env::current_dir()?,
    };
    let path = dir.join("config.json");
    if path.exists() {
        bail!("{} exists: remove it first", path.display());
    }
    let mut text = serde_json::to_string_pretty(&crate::oci::spec::default_spec())?;
    text.push('\n');
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(0)
}

pub fn features() -> Result<i32> {
    println!(
        "{}",
        serde_json::to_string_pretty(&crate::oci::spec::features())?
    );
    Ok(0)
}
