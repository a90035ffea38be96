//! Starting the sandbox process (the CLI side of `create`).

use super::cgroup::CgroupManager;
use super::BootConfig;
use crate::cli::{Cli, LogFormat};
use crate::control::Response;
use anyhow::{anyhow, bail, Context, Result};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long the sandbox may take to boot.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// The global flags a child runsc process gets, so that it logs and
/// behaves as this one.
pub fn global_args(cli: &Cli) -> Vec<OsString> {
    let mut a: Vec<OsString> = vec!["--root".into(), cli.root.clone().into()];
    if let Some(l) = &cli.log {
        a.push("--log".into());
        a.push(l.into());
    }
    if cli.log_format == LogFormat::Json {
        a.push("--log-format=json".into());
    }
    if cli.debug {
        a.push("--debug".into());
    }
    if let Some(d) = &cli.debug_log {
        a.push(format!("--debug-log={d}").into());
    }
    if cli.systemd_cgroup {
        a.push("--systemd-cgroup".into());
    }
    if cli.strace {
        a.push("--strace".into());
    }
    a.push(format!("--platform={}", cli.platform).into());
    a.push(format!("--network={}", cli.network).into());
    a.push(format!("--overlay2={}", cli.overlay2).into());
    a
}

/// Start `runsc boot` for `cfg` with `stdio` (or this process's) as the
/// container's stdio — as PID 1 of a new PID namespace (`pidns`), in the
/// container's cgroup (`cgroups` moves it there before it reads its
/// configuration, so everything it forks is accounted) — and wait until
/// it is ready. On failure the sandbox process is gone and the error is
/// the sandbox's own.
pub fn launch(
    cli: &Cli,
    cfg: &BootConfig,
    stdio: Option<[OwnedFd; 3]>,
    cgroups: &dyn CgroupManager,
) -> Result<Child> {
    let flags = rustix::pipe::PipeFlags::CLOEXEC;
    let (cfg_r_low, cfg_w) = rustix::pipe::pipe_with(flags).context("pipe")?;
    let (ready_r, ready_w_low) = rustix::pipe::pipe_with(flags).context("pipe")?;
    // The child's ends go above the numbers they are moved to, so neither
    // move clobbers the other; the originals are closed (the write end of
    // the ready pipe must have no other holder, or its EOF never comes).
    let cfg_r = rustix::io::fcntl_dupfd_cloexec(&cfg_r_low, 10).context("dup")?;
    let ready_w = rustix::io::fcntl_dupfd_cloexec(&ready_w_low, 10).context("dup")?;
    drop((cfg_r_low, ready_w_low));

    let mut cmd = Command::new("/proc/self/exe");
    // The caller's environment stays out of the sandbox process (even out
    // of its /proc/PID/environ); only rvisor's own knobs pass.
    cmd.env_clear()
        .envs(std::env::vars_os().filter(|(k, _)| super::isolate::is_knob(k)));
    cmd.arg0("runsc")
        .args(global_args(cli))
        .arg("boot")
        .arg("--config-fd=3")
        .arg("--ready-fd=4")
        .arg(&cfg.id);
    if let Some([i, o, e]) = stdio {
        cmd.stdin(Stdio::from(i))
            .stdout(Stdio::from(o))
            .stderr(Stdio::from(e));
    }
    let (cfg_fd, ready_fd) = (cfg_r.as_raw_fd(), ready_w.as_raw_fd());
    // SAFETY: between fork and exec the closure only makes async-signal-safe
    // calls (setsid, dup2, ioctl) on fds this process owns.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() < 0 || libc::dup2(cfg_fd, 3) < 0 || libc::dup2(ready_fd, 4) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // A terminal of its own (the pty of --console-socket) becomes
            // the sandbox's controlling terminal, so that ^C, ^\, ^Z,
            // window changes and hang-ups typed on it reach the sandbox as
            // host signals, which it forwards to the container's foreground
            // job. A terminal that already belongs to a session (the
            // caller's, for `runsc run` in the foreground) stays its own:
            // the ioctl fails and the caller forwards signals instead.
            let _ = libc::ioctl(0, libc::TIOCSCTTY, 0);
            Ok(())
        });
    }
    let (mut child, _own_pidns) =
        super::pidns::spawn(&mut cmd).context("cannot start the sandbox process")?;
    drop(cfg_r);
    drop(ready_w);
    if let Err(e) = cgroups.apply(child.id() as i32) {
        let _ = child.kill();
        let _ = child.wait();
        bail!("cgroups: {e}");
    }

    let config = serde_json::to_vec(cfg)?;
    let mut w = std::fs::File::from(cfg_w);
    // If the sandbox died at once, the write fails; its reason comes below.
    let _ = w.write_all(&config);
    drop(w);

    match wait_ready(ready_r) {
        Ok(()) => Ok(child),
        Err(e) => {
            let _ = child.kill();
            let status = child.wait().ok();
            match (e, status) {
                (Ready::Failed(msg), _) => Err(anyhow!(msg)),
                (Ready::TimedOut, _) => bail!(
                    "the sandbox did not become ready within {}s",
                    READY_TIMEOUT.as_secs()
                ),
                (Ready::Silent, Some(s))
                    if std::os::unix::process::ExitStatusExt::signal(&s) == Some(libc::SIGSYS) =>
                {
                    bail!(
                        "the sandbox process was killed by its seccomp filter: it made a host \
                         syscall missing from the Sentry's allowlist (the kernel log names it: \
                         audit type=1326)"
                    )
                }
                (Ready::Silent, Some(s)) => bail!(
                    "the sandbox process exited before it was ready ({s}); --debug-log has details"
                ),
                (Ready::Silent, None) => bail!("the sandbox process exited before it was ready"),
            }
        }
    }
}

enum Ready {
    Failed(String),
    Silent,
    TimedOut,
}

/// Read the sandbox's one-line report.
fn wait_ready(r: OwnedFd) -> Result<(), Ready> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // One line, or EOF if the sandbox died first.
        let mut data = Vec::new();
        let mut f = std::fs::File::from(r);
        let mut buf = [0u8; 4096];
        while !data.ends_with(b"\n") {
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => data.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = tx.send(data);
    });
    let data = rx
        .recv_timeout(READY_TIMEOUT)
        .map_err(|_| Ready::TimedOut)?;
    if data.is_empty() {
        return Err(Ready::Silent);
    }
    match serde_json::from_slice::<Response>(&data) {
        Ok(Response::Ok) => Ok(()),
        Ok(Response::Error { message }) => Err(Ready::Failed(message)),
        Ok(other) => Err(Ready::Failed(format!(
            "unexpected report from the sandbox: {other:?}"
        ))),
        Err(e) => Err(Ready::Failed(format!(
            "unreadable report from the sandbox: {e}"
        ))),
    }
}
