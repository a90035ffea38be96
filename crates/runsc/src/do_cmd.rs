//! `runsc do CMD ARGS…`: boot a sandbox over a host directory, run one
//! command in it, exit with its status.

use crate::cli::{Cli, DoArgs};
use sentry::boot::{boot, BootSpec};
use std::os::unix::ffi::OsStrExt;

pub fn run(cli: &Cli, args: &DoArgs) -> i32 {
    if cli.platform != "ptrace" {
        eprintln!("runsc: platform {:?} is not available (available: ptrace)", cli.platform);
        return 125;
    }
    let cwd = match &args.cwd {
        Some(c) => c.clone(),
        None => std::env::current_dir().map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| "/".into()),
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
    };
    match boot(spec) {
        Ok(k) => k.wait_exit().shell_status(),
        Err(e) => {
            eprintln!("runsc: {e}");
            127
        }
    }
}
