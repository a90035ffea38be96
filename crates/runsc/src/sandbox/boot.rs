//! `runsc boot`: the sandbox process.
//!
//! 1. Keep the container's stdio (fds 0–2 as `create` left them) for init,
//!    and point its own 0–2 at /dev/null and the debug log: from here on
//!    nothing of runsc's own may reach the container's streams.
//! 2. Read the configuration (fd 3), bind the control socket,
//!    [`isolate`] (which starts the Gofer first), build the Sentry's
//!    kernel with the bundle's root, [`lock_down`] (seccomp).
//! 3. Report ready (fd 4) — or the error, and exit.
//! 4. Serve requests until the container stops; record how it ended in
//!    exit.json and exit with its status (128+N for signal N).

use super::gofer::GoferMount;
use super::isolate::{isolate, lock_down};
use super::BootConfig;
use crate::cli::{BootArgs, Cli};
use crate::control::server::{exit_record, Sandbox};
use crate::control::Response;
use crate::hostsig::HostSignals;
use sentry::boot::{build_kernel_with, BootSpec, GoferSource, RootFs, RootOverlay};
use sentry::control::Control;
use std::io::{Read, Write};
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::sync::Arc;

pub fn main(cli: &Cli, args: &BootArgs) -> i32 {
    // Before any thread exists (see hostsig).
    let signals = HostSignals::block();
    let (Some(config_fd), Some(ready_fd)) = (take_fd(args.config_fd), take_fd(args.ready_fd))
    else {
        eprintln!("runsc boot: is started by `runsc create`, with --config-fd and --ready-fd");
        return 125;
    };
    let mut ready = std::fs::File::from(ready_fd);
    let stdio = match keep_stdio(cli, &args.id) {
        Ok(s) => s,
        Err(e) => {
            report(&mut ready, Err(format!("sandbox stdio: {e}")));
            return 125;
        }
    };
    crate::logging::init(cli, "boot", Some(&args.id));

    let sandbox = match read_config(config_fd).and_then(|cfg| setup(cfg, stdio)) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("sandbox {}: {e}", args.id);
            report(&mut ready, Err(e));
            return 1;
        }
    };
    if !report(&mut ready, Ok(())) {
        // `create` is gone: nobody knows of this sandbox.
        return 1;
    }
    drop(ready);
    match signals {
        Ok(s) => {
            if let Err(e) = s.forward_to(sandbox.control().kernel().clone(), false) {
                tracing::warn!("host signals will not reach the sandbox: {e}");
            }
        }
        Err(e) => tracing::warn!("host signals will not reach the sandbox: {e}"),
    }

    let status = sandbox.wait_stopped();
    let rec = exit_record(status);
    tracing::info!("container {} stopped: {status:?}", args.id);
    if let Some(f) = EXIT_FILE.get() {
        // The file was opened before isolation (the state directory is
        // not reachable from the sandbox's root): one write, read back
        // by `state::read_exit`, which takes an empty file for none.
        let data = serde_json::to_vec(&rec).unwrap_or_default();
        if let Err(e) = (&*f).write_all(&data) {
            tracing::warn!("cannot record the exit status: {e}");
        }
    }
    // The request that stopped the container (a kill, a failed start)
    // is answered before the process ends.
    sandbox.wait_answered(std::time::Duration::from_secs(2));
    rec.exit_code
}

static EXIT_FILE: std::sync::OnceLock<std::fs::File> = std::sync::OnceLock::new();

/// Own fd `n`, inherited from `create`, if it is open.
fn take_fd(n: i32) -> Option<OwnedFd> {
    if n < 3 {
        return None;
    }
    // SAFETY: fcntl(F_GETFD) only queries the descriptor table.
    if unsafe { libc::fcntl(n, libc::F_GETFD) } < 0 {
        return None;
    }
    // SAFETY: fd `n` is open and nothing else in this process owns it: it
    // was inherited for exactly this use.
    let fd = unsafe { OwnedFd::from_raw_fd(n) };
    let _ = rustix::io::fcntl_setfd(&fd, rustix::io::FdFlags::CLOEXEC);
    Some(fd)
}

/// Copies of fds 0–2 for the container (/dev/null where one is closed);
/// then 0 and 1 become /dev/null and 2 the debug log (or /dev/null), so
/// that the Sentry's --strace lines and anything else written to stderr
/// land there.
fn keep_stdio(cli: &Cli, id: &str) -> std::io::Result<Vec<OwnedFd>> {
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    let mut kept = Vec::new();
    for fd in 0..3 {
        // SAFETY: fds 0-2 are only borrowed for the duplication.
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        let copy = match rustix::io::fcntl_dupfd_cloexec(fd, 5) {
            Ok(c) => c,
            Err(_) => rustix::io::fcntl_dupfd_cloexec(null.as_fd(), 5)?,
        };
        kept.push(copy);
    }
    let err_target: OwnedFd = match cli.debug_log.as_deref() {
        Some(pattern) => {
            let path = crate::logging::debug_log_path(pattern, "boot", Some(id));
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            match std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
            {
                Ok(f) => f.into(),
                Err(_) => null.try_clone()?.into(),
            }
        }
        None => null.try_clone()?.into(),
    };
    for (target, from) in [
        (0, null.as_fd()),
        (1, null.as_fd()),
        (2, err_target.as_fd()),
    ] {
        // SAFETY: dup2 onto the standard fds, which this process owns.
        if unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&from), target) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(kept)
}

fn read_config(fd: OwnedFd) -> Result<BootConfig, String> {
    let mut data = Vec::new();
    std::fs::File::from(fd)
        .read_to_end(&mut data)
        .map_err(|e| format!("reading the configuration: {e}"))?;
    serde_json::from_slice(&data).map_err(|e| format!("bad configuration from create: {e}"))
}

/// Everything up to ready: isolation, the kernel, the control socket.
fn setup(cfg: BootConfig, stdio: Vec<OwnedFd>) -> Result<Arc<Sandbox>, String> {
    if !sentry::boot::PLATFORMS.contains(&cfg.platform.as_str()) {
        return Err(format!(
            "platform {:?} is not available (available: {})",
            cfg.platform,
            sentry::boot::PLATFORMS.join(", ")
        ));
    }
    let Some(process) = cfg.spec.process().clone() else {
        return Err("config.json has no process".into());
    };
    let overlay = RootOverlay::parse(&cfg.overlay2)?;
    // The control socket lives in the host's state directory: bound before
    // the sandbox leaves the host's mount tree.
    let sock = cfg.state_dir.join(crate::state::SOCKET_FILE);
    let _ = std::fs::remove_file(&sock);
    let listener = crate::control::fdpass::bind(&sock)
        .map_err(|e| format!("control socket {}: {e}", sock.display()))?;
    let _ = std::fs::set_permissions(&sock, std::os::unix::fs::PermissionsExt::from_mode(0o600));
    let mounts = crate::oci::mounts::container_mounts(&cfg.spec, &cfg.bundle)?;
    let writable_root = overlay == RootOverlay::None && !mounts.root_readonly;
    // The Gofer serves the root and every bind mount's tree.
    let mut gofer_mounts = vec![GoferMount {
        name: sentry::boot::ROOT_ANAME.into(),
        path: cfg.rootfs.clone(),
        writable: writable_root,
    }];
    gofer_mounts.extend(mounts.gofer_mounts());
    let isolated = isolate(&cfg, &gofer_mounts)?;
    let spec = BootSpec {
        root_dir: cfg.rootfs.clone(),
        argv: Vec::new(),
        envp: Vec::new(),
        cwd: b"/".to_vec(),
        uid: process.user().uid(),
        gid: process.user().gid(),
        strace: cfg.strace,
        platform: cfg.platform.clone(),
    };
    // The root's Gofer was started by `isolate`, before the sandbox gave
    // up the host's privileges.
    let rootfs = RootFs {
        overlay,
        gofer: GoferSource::Connected(isolated.gofer),
        container: Some(mounts),
        ..RootFs::default()
    };
    let gofer_watch = isolated.gofer_watch.clone();
    let k = build_kernel_with(&spec, rootfs).map_err(|e| {
        // A Gofer that could not start says why on its stderr.
        match gofer_watch.failure(std::time::Duration::from_secs(2)) {
            Some(why) => format!("{e}: {why}"),
            None => e,
        }
    })?;
    if let Some(h) = cfg.spec.hostname() {
        if !h.is_empty() {
            *k.hostname.lock() = h.as_bytes().to_vec();
        }
    }
    if let Some(d) = cfg.spec.domainname() {
        if !d.is_empty() {
            *k.domainname.lock() = d.as_bytes().to_vec();
        }
    }
    // What `start` needs, checked now: an error at `create` is one
    // Docker cleans up after (see `preflight`).
    super::preflight::check_program(&k, &process)?;
    let sandbox = Sandbox::new(Control::new(k), process, stdio);
    // No application code runs before `start` comes through the control
    // socket: the filter is in force before it is served.
    lock_down()?;
    sandbox
        .serve(listener)
        .map_err(|e| format!("control thread: {e}"))?;
    let _ = EXIT_FILE.set(isolated.exit_file);
    Ok(sandbox)
}

/// Tell `create` how boot went; false if it is not listening any more.
fn report(ready: &mut std::fs::File, r: Result<(), String>) -> bool {
    let answer = match r {
        Ok(()) => Response::Ok,
        Err(message) => Response::Error { message },
    };
    let mut line = serde_json::to_vec(&answer).unwrap_or_default();
    line.push(b'\n');
    ready.write_all(&line).is_ok()
}
