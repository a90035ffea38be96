//! `runsc exec`: run another process in a running container.
//!
//! The process is given this command's stdin, stdout and stderr (sent to
//! the sandbox with SCM_RIGHTS) — or, with a terminal, the slave of a new
//! pty whose master goes to --console-socket. Like runc's, it is not a
//! child of the container's init.
//!
//! Without --detach this command waits and exits with the process's
//! status, passing the signals it receives on to the process. With
//! --detach it returns once the process runs, leaving behind a small
//! watcher (`runsc wait --pid N`) that exits with the process's status and
//! passes on the signals it gets: its host pid is what --pid-file gets,
//! which is how containerd's shim follows and signals an exec'd process.
//!
//! With a pty of its own, the process's terminal signals need a host
//! process to land on: the watcher (started in both modes then) takes the
//! pty as its controlling terminal, so the host's terminal driver sends it
//! SIGINT for ^C, SIGWINCH for a resize, SIGHUP for a hangup, and it sends
//! them to the foreground job of that terminal inside the sandbox.

use crate::cli::{Cli, ExecArgs};
use crate::control::{Request, Response, SignalTarget};
use crate::hostsig::HostSignals;
use crate::state::{Container, Status};
use anyhow::{anyhow, bail, Context, Result};
use oci_spec::runtime::{Capability, LinuxCapabilities, Process};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

pub fn run(cli: &Cli, args: &ExecArgs) -> Result<i32> {
    let signals = if args.detach {
        None
    } else {
        Some(HostSignals::block()?)
    };
    if args.preserve_fds > 0 {
        bail!("--preserve-fds is not supported");
    }
    let c = Container::load(&cli.root, &args.id)?;
    match c.status() {
        Status::Running => {}
        Status::Paused if args.ignore_paused => {}
        s => bail!(
            "cannot exec in container {:?}: it is {s}, not running",
            args.id
        ),
    }
    let process = build_process(&c, args)?;
    let terminal = process.terminal().unwrap_or(false);

    // The process's stdio.
    let mut pty_slave: Option<OwnedFd> = None;
    match (&args.console_socket, terminal) {
        (Some(sock), true) => {
            let pty = crate::tty::open(crate::tty::console_size(&process))?;
            crate::tty::send_master(sock, &pty.master)?;
            pty_slave = Some(pty.slave);
        }
        (None, true) if args.detach => {
            bail!("a terminal was asked for but no --console-socket was given to send it to")
        }
        (Some(_), false) => bail!("--console-socket was given but the process has no terminal"),
        _ => {}
    }
    let (stdin, stdout, stderr) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    let own: [BorrowedFd<'_>; 3] = [stdin.as_fd(), stdout.as_fd(), stderr.as_fd()];
    let fds: Vec<BorrowedFd<'_>> = match &pty_slave {
        Some(s) => vec![s.as_fd(); 3],
        None => own.to_vec(),
    };
    let pid = match super::ask(
        &c,
        &Request::Exec {
            process: Box::new(process),
        },
        &fds,
    )? {
        Response::Pid { pid } => pid,
        other => bail!("unexpected answer to exec: {other:?}"),
    };

    // The watcher: `runsc wait --pid` exiting with the process's status, and
    // passing on the signals it gets. With a pty of our own it also takes
    // the pty as its controlling terminal, so ^C typed there comes to it
    // from the host's terminal driver and goes on to the foreground job.
    let watcher = if args.detach || pty_slave.is_some() {
        let mut cmd = Command::new("/proc/self/exe");
        cmd.arg0("runsc")
            .args(crate::sandbox::launch::global_args(cli))
            .args(["wait", "--exit-with-status", "--pid", &pid.to_string()]);
        match &pty_slave {
            Some(slave) => {
                let slave = slave
                    .try_clone()
                    .context("cannot pass the pty to the watcher")?;
                // A session leader of its own (setsid needs it not to lead a group).
                cmd.arg("--tty").stdin(Stdio::from(slave));
            }
            None => {
                cmd.stdin(Stdio::null()).process_group(0);
            }
        }
        let child = cmd
            .arg(&args.id)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start the process watcher")?;
        Some(child)
    } else {
        None
    };
    drop(pty_slave);

    if args.detach {
        if let (Some(p), Some(w)) = (&args.pid_file, &watcher) {
            super::write_pid_file(p, w.id() as i32)?;
        }
        return Ok(0);
    }
    if let Some(p) = &args.pid_file {
        super::write_pid_file(p, std::process::id() as i32)?;
    }
    if let Some(s) = signals {
        let sock = c.socket();
        s.on_each_from(move |signal, from_tty| {
            // On the caller's own terminal (a terminal without
            // --console-socket), its signal keys belong to the job in the
            // foreground there.
            let target = if terminal && from_tty {
                SignalTarget::Terminal(pid)
            } else {
                SignalTarget::Pid(pid)
            };
            let req = Request::Signal { signal, target };
            let _ = crate::control::client::call(&sock, &req, &[]);
        })?;
    }
    let status = super::wait::wait(&c, Some(pid))?.exit_code;
    if let Some(mut w) = watcher {
        // It sees the same exit and ends by itself.
        let _ = w.wait();
    }
    Ok(status)
}

/// The process to run: --process's, or the container's with the command
/// line's changes.
fn build_process(c: &Container, args: &ExecArgs) -> Result<Process> {
    if let Some(path) = &args.process {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let p: Process = serde_json::from_str(&text)
            .map_err(|e| anyhow!("{}: invalid JSON: {e}", path.display()))?;
        if p.args().as_ref().is_none_or(|a| a.is_empty()) {
            bail!("{}: args is missing or empty", path.display());
        }
        if !p.cwd().is_absolute() {
            bail!(
                "{}: cwd {:?} is not an absolute path",
                path.display(),
                p.cwd()
            );
        }
        return Ok(p);
    }
    if args.command.is_empty() {
        bail!("exec needs a command (or --process)");
    }
    let mut p = c.saved.spec.process().clone().unwrap_or_default();
    p.set_args(Some(args.command.clone()));
    p.set_terminal(Some(args.tty));
    if let Some(cwd) = &args.cwd {
        if !cwd.starts_with('/') {
            bail!("--cwd {cwd:?} is not an absolute path");
        }
        p.set_cwd(cwd.into());
    }
    let env = p.env_mut().get_or_insert_with(Vec::new);
    for e in &args.env {
        let Some((key, _)) = e.split_once('=') else {
            bail!("--env {e:?} is not KEY=VALUE")
        };
        env.retain(|old| old.split_once('=').is_none_or(|(k, _)| k != key));
        env.push(e.clone());
    }
    if let Some(u) = &args.user {
        let (uid, gid) = match u.split_once(':') {
            Some((a, b)) => (a, Some(b)),
            None => (u.as_str(), None),
        };
        let uid: u32 = uid
            .parse()
            .map_err(|_| anyhow!("--user {u:?}: give numeric UID[:GID]"))?;
        p.user_mut().set_uid(uid);
        if let Some(g) = gid {
            p.user_mut().set_gid(
                g.parse()
                    .map_err(|_| anyhow!("--user {u:?}: give numeric UID[:GID]"))?,
            );
        }
    }
    if !args.additional_gids.is_empty() {
        p.user_mut()
            .set_additional_gids(Some(args.additional_gids.clone()));
    }
    if !args.cap.is_empty() {
        let mut caps = p.capabilities().clone().unwrap_or_default();
        for name in &args.cap {
            let full = if name.to_ascii_uppercase().starts_with("CAP_") {
                name.to_ascii_uppercase()
            } else {
                format!("CAP_{}", name.to_ascii_uppercase())
            };
            let cap: Capability = serde_json::from_value(serde_json::Value::String(full))
                .map_err(|_| anyhow!("unknown capability {name:?}"))?;
            add_cap(&mut caps, cap);
        }
        p.set_capabilities(Some(caps));
    }
    if args.no_new_privs {
        p.set_no_new_privileges(Some(true));
    }
    Ok(p)
}

fn add_cap(caps: &mut LinuxCapabilities, cap: Capability) {
    let add = |set: &Option<oci_spec::runtime::Capabilities>| {
        let mut s = set.clone().unwrap_or_default();
        s.insert(cap);
        Some(s)
    };
    let (b, e, p, i) = (
        add(caps.bounding()),
        add(caps.effective()),
        add(caps.permitted()),
        add(caps.inheritable()),
    );
    caps.set_bounding(b);
    caps.set_effective(e);
    caps.set_permitted(p);
    caps.set_inheritable(i);
}
