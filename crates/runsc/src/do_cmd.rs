//! `runsc do CMD ARGS…`: boot a sandbox over a host directory, run one
//! command in it, exit with its status.
//!
//! Host signals (^C, ^\, ^Z on the terminal, SIGTERM, SIGHUP, SIGUSR1/2,
//! SIGWINCH, SIGCONT) are taken by one thread and passed into the sandbox
//! (`sentry::kernel::hostsig` says where each goes). They are blocked
//! before the Sentry starts any thread, so every thread — and every stub
//! process forked from one — inherits the mask and none of them is ever
//! chosen to receive one. SIGCHLD, which the ptrace platform uses to
//! interrupt stubs, stays unblocked.

use crate::cli::{Cli, DoArgs};
use crate::hostsig::HostSignals;
use sentry::boot::{boot_with, BootSpec, RootFs, RootOverlay};
use std::os::unix::ffi::OsStrExt;

pub fn run(cli: &Cli, args: &DoArgs) -> i32 {
    if !sentry::boot::PLATFORMS.contains(&cli.platform.as_str()) {
        eprintln!(
            "runsc: platform {:?} is not available (available: {})",
            cli.platform,
            sentry::boot::PLATFORMS.join(", ")
        );
        return 125;
    }
    let cwd = match &args.cwd {
        Some(c) => c.clone(),
        None => std::env::current_dir()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "/".into()),
    };
    let envp: Vec<Vec<u8>> = std::env::vars_os()
        .map(|(k, v)| {
            let mut e = k.as_bytes().to_vec();
            e.push(b'=');
            e.extend_from_slice(v.as_bytes());
            e
        })
        .collect();
    let spec = BootSpec {
        root_dir: args.root.clone().into(),
        argv: args.command.iter().map(|s| s.as_bytes().to_vec()).collect(),
        envp,
        cwd: cwd.into_bytes(),
        uid: rustix::process::getuid().as_raw(),
        gid: rustix::process::getgid().as_raw(),
        strace: cli.strace,
        platform: cli.platform.clone(),
    };
    let signals = match HostSignals::block() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("runsc: blocking host signals: {e}");
            return 125;
        }
    };
    let overlay = match RootOverlay::parse(&cli.overlay2) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("runsc: {e}");
            return 125;
        }
    };
    let mut gofer_args = Vec::new();
    if cli.debug {
        gofer_args.push("--debug".to_string());
    }
    let rootfs = RootFs {
        overlay,
        gofer: sentry::boot::GoferSource::Spawn {
            exe: "/proc/self/exe".into(),
            args: gofer_args,
        },
        ..RootFs::default()
    };
    match boot_with(spec, rootfs) {
        Ok(k) => {
            // Test knob: the Sentry's seccomp allowlist here too, so that
            // the differential suite checks it (tests/run). It goes in as
            // the program starts, not before: a check, not a boundary.
            if std::env::var_os("RVISOR_SENTRY_SECCOMP").is_some() {
                if let Err(e) = crate::sandbox::seccomp::install() {
                    eprintln!("runsc: {e}");
                    return 125;
                }
            }
            if let Err(e) = signals.forward_to(k.clone(), true) {
                eprintln!("runsc: host signals will not reach the sandbox: {e}");
            }
            k.wait_exit().shell_status()
        }
        Err(e) => {
            eprintln!("runsc: {e}");
            127
        }
    }
}
