//! `runsc create`: check the bundle, start the sandbox process and wait
//! until it is ready, record the container, run the create-time hooks.
//! The container's process is not started (`runsc start` does that).
//!
//! On any failure nothing is left behind: no sandbox process, no state
//! directory.

use crate::cli::{Cli, CreateArgs, CreateOpts};
use crate::oci::{self, hooks};
use crate::sandbox::{cgroup, launch, BootConfig};
use crate::state::{self, Container, Saved, Status};
use anyhow::{bail, Context, Result};
use std::os::fd::OwnedFd;
use std::process::Child;

pub fn run(cli: &Cli, args: &CreateArgs) -> Result<i32> {
    let created = create(cli, &args.id, &args.opts, false)?;
    // The sandbox outlives this command; nobody here waits for it.
    drop(created.child);
    Ok(0)
}

pub struct Created {
    pub container: Container,
    /// The sandbox process (our child until this command exits).
    pub child: Child,
}

/// Create container `id`. `foreground`: the caller (`run` without
/// --detach) stays attached, so a terminal may be its own.
pub fn create(cli: &Cli, id: &str, opts: &CreateOpts, foreground: bool) -> Result<Created> {
    oci::validate_id(id)?;
    if opts.preserve_fds > 0 {
        bail!("--preserve-fds is not supported");
    }
    let bundle = oci::load_bundle(&opts.bundle)?;
    let process = bundle.spec.process().clone().unwrap_or_default();
    let terminal = process.terminal().unwrap_or(false);
    match (terminal, &opts.console_socket) {
        (true, None) if !foreground => {
            bail!("process.terminal is true but no --console-socket was given to send the terminal to")
        }
        (false, Some(_)) => bail!("--console-socket was given but process.terminal is false"),
        _ => {}
    }
    if !sentry::boot::PLATFORMS.contains(&cli.platform.as_str()) {
        bail!(
            "platform {:?} is not available (available: {})",
            cli.platform,
            sentry::boot::PLATFORMS.join(", ")
        );
    }

    let cgroups = cgroup::manager(&bundle.spec, id, cli.systemd_cgroup)
        .map_err(|e| anyhow::anyhow!("cgroups: {e}"))?;
    let dir = state::make_dir(&cli.root, id)?;
    let mut child: Option<Child> = None;
    let r = (|| -> Result<Container> {
        let stdio: Option<[OwnedFd; 3]> = match (&opts.console_socket, terminal) {
            (Some(sock), true) => {
                let pty = crate::tty::open(crate::tty::console_size(&process))?;
                crate::tty::send_master(sock, &pty.master)?;
                Some(crate::tty::stdio_on(&pty.slave)?)
            }
            _ => None,
        };
        let cfg = BootConfig {
            id: id.to_string(),
            state_dir: dir.clone(),
            bundle: bundle.dir.clone(),
            rootfs: bundle.rootfs.clone(),
            spec: bundle.spec.clone(),
            platform: cli.platform.clone(),
            network: cli.network.clone(),
            overlay2: cli.overlay2.clone(),
            strace: cli.strace,
            debug: cli.debug,
            debug_log: cli.debug_log.clone(),
            log_format: cli.log_format,
        };
        let c = launch::launch(cli, &cfg, stdio, cgroups.as_ref())?;
        let pid = c.id() as i32;
        child = Some(c);
        let (_, start_time) = state::proc_stat(pid).context("the sandbox process vanished")?;
        let container = Container {
            dir: dir.clone(),
            saved: Saved {
                id: id.to_string(),
                status: Status::Created,
                pid,
                pid_start_time: start_time,
                bundle: bundle.dir.clone(),
                rootfs: bundle.rootfs.clone(),
                created: crate::time::rfc3339_now(),
                owner: state::user_name(rustix::process::geteuid().as_raw()),
                spec: bundle.spec.clone(),
            },
        };
        container.save()?;
        if let Some(p) = &opts.pid_file {
            super::write_pid_file(p, pid)?;
        }
        let state_json = container.oci_state_json();
        let h = bundle.spec.hooks().clone().unwrap_or_default();
        hooks::run("prestart", h.prestart().as_ref(), &state_json)?;
        hooks::run("createRuntime", h.create_runtime().as_ref(), &state_json)?;
        hooks::run(
            "createContainer",
            h.create_container().as_ref(),
            &state_json,
        )?;
        Ok(container)
    })();
    match r {
        Ok(container) => match child {
            Some(child) => Ok(Created { container, child }),
            None => bail!("internal error: no sandbox process"),
        },
        Err(e) => {
            if let Some(mut c) = child {
                let _ = c.kill();
                let _ = c.wait();
            }
            if let Err(e) = cgroups.destroy() {
                crate::logging::warning(&format!("removing the cgroup: {e}"));
            }
            if let Some(p) = &opts.pid_file {
                if p.exists() {
                    let _ = std::fs::remove_file(p);
                }
            }
            let _ = std::fs::remove_dir_all(&dir);
            Err(e)
        }
    }
}
