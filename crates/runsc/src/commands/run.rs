//! `runsc run`: create, start and — unless --detach — wait, passing the
//! container's exit status on (128+N if a signal N ended it) and deleting
//! it afterwards (unless --keep). Signals this command receives (^C, a
//! SIGTERM from a supervisor) go to the container, through its sandbox.

use crate::cli::{Cli, RunArgs};
use crate::hostsig::HostSignals;
use anyhow::Result;

pub fn run(cli: &Cli, args: &RunArgs) -> Result<i32> {
    // Before any thread starts, so that none of ours takes them.
    let signals = if args.detach {
        None
    } else {
        Some(HostSignals::block()?)
    };
    let created = super::create::create(cli, &args.id, &args.opts, !args.detach)?;
    let mut c = created.container;
    let mut child = created.child;
    if let Err(e) = super::start::start(&mut c) {
        let _ = super::destroy(cli, &c);
        return Err(e);
    }
    if args.detach {
        return Ok(0);
    }
    if let Some(s) = signals {
        let pid = c.saved.pid;
        s.on_each(move |sig| {
            if let Some(p) = rustix::process::Pid::from_raw(pid) {
                // The sandbox is our child: its pid cannot be reused before we reap it.
                if let Some(sig) = rustix::process::Signal::from_named_raw(sig) {
                    let _ = rustix::process::kill_process(p, sig);
                }
            }
        })?;
    }
    let status = child.wait()?;
    let code = match c.exit() {
        Some(rec) => rec.exit_code,
        None => {
            use std::os::unix::process::ExitStatusExt;
            status
                .code()
                .unwrap_or_else(|| 128 + status.signal().unwrap_or(libc::SIGKILL))
        }
    };
    if !args.keep {
        super::destroy(cli, &c)?;
    }
    Ok(code)
}
