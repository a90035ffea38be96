//! `runsc install` / `runsc uninstall`: register this binary as a Docker
//! runtime in /etc/docker/daemon.json, or take it out again, as gVisor's
//! `runsc install` does:
//!
//! ```json
//! { "runtimes": { "rvisor": { "path": "/usr/local/bin/runsc", "runtimeArgs": [...] } } }
//! ```
//!
//! Every other key of the file is kept. Docker reads the file when it
//! starts or on SIGHUP (`systemctl reload docker`); this command tells the
//! user so and does not touch the daemon.

use crate::cli::{Cli, InstallArgs};
use anyhow::{anyhow, bail, Context, Result};
use serde_json::{Map, Value};
use std::path::Path;

pub fn install(_cli: &Cli, args: &InstallArgs) -> Result<i32> {
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .context("cannot find the runsc binary's own path")?;
    let mut config = read(&args.config_file)?;
    let mut entry = Map::new();
    entry.insert("path".into(), Value::String(exe.display().to_string()));
    if !args.runtime_args.is_empty() {
        entry.insert(
            "runtimeArgs".into(),
            Value::Array(
                args.runtime_args
                    .iter()
                    .cloned()
                    .map(Value::String)
                    .collect(),
            ),
        );
    }
    let runtimes = config
        .entry("runtimes")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(runtimes) = runtimes else {
        bail!(
            "{}: \"runtimes\" is not a JSON object",
            args.config_file.display()
        );
    };
    runtimes.insert(args.runtime.clone(), Value::Object(entry));
    write(&args.config_file, &config)?;
    println!(
        "runtime {:?} ({}) added to {}; restart or reload dockerd (SIGHUP) to use it: docker run --runtime={} …",
        args.runtime,
        exe.display(),
        args.config_file.display(),
        args.runtime
    );
    Ok(0)
}

pub fn uninstall(_cli: &Cli, args: &InstallArgs) -> Result<i32> {
    let mut config = read(&args.config_file)?;
    let removed = match config.get_mut("runtimes") {
        Some(Value::Object(runtimes)) => {
            let r = runtimes.remove(&args.runtime).is_some();
            if runtimes.is_empty() {
                config.remove("runtimes");
            }
            r
        }
        _ => false,
    };
    if !removed {
        bail!(
            "runtime {:?} is not in {}",
            args.runtime,
            args.config_file.display()
        );
    }
    write(&args.config_file, &config)?;
    println!(
        "runtime {:?} removed from {}; restart or reload dockerd (SIGHUP)",
        args.runtime,
        args.config_file.display()
    );
    Ok(0)
}

/// The file's object; a missing or empty file is an empty one.
fn read(path: &Path) -> Result<Map<String, Value>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(anyhow!("cannot read {}: {e}", path.display())),
    };
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => bail!("{}: not a JSON object", path.display()),
        Err(e) => bail!("{}: invalid JSON: {e}", path.display()),
    }
}

/// Replace the file atomically (mode 0644, as Docker's own), creating its
/// directory if needed.
fn write(path: &Path, config: &Map<String, Value>) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut text = serde_json::to_string_pretty(config)?;
    text.push('\n');
    crate::state::write_atomic(path, text.as_bytes(), 0o644)
        .with_context(|| format!("writing {}", path.display()))
}
