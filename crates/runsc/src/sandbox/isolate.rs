//! Isolating the sandbox process from the host (design §1, §13).
//!
//! `runsc boot` starts as the caller (root, for Docker) in the caller's
//! namespaces except one: `create` made it PID 1 of a new PID namespace
//! (`pidns`). Then, in this order:
//!
//! [`isolate`] — before the kernel is built, single-threaded:
//! 1. what needs the host: `exit.json` is opened for the end (the state
//!    directory is the caller's); `/proc/cpuinfo` and the host's /sys facts
//!    are read (`emptyroot` copies cpuinfo in; `SysFacts` keeps the rest); the Gofer is
//!    started with the caller's privileges (`gofer`); a network namespace
//!    named by the spec is joined (`netns`). The control socket was bound
//!    before this by the caller.
//! 2. a new user namespace mapping root to the host's `nobody`, owning new
//!    mount, IPC, UTS and cgroup namespaces, and a new network namespace
//!    when the spec asks for one (`userns`);
//! 3. an empty, read-only root: pivot_root into a tmpfs (`emptyroot`);
//! 4. an empty environment (but rvisor's own `RVISOR_*` knobs);
//! 5. no capabilities but the kept ones of `caps::TABLE` (none today),
//!    no_new_privs.
//!
//! [`lock_down`] — after the kernel is built (the stub processes exist),
//! before the control server answers and so before any application code:
//! 6. the Sentry becomes non-dumpable (see `userns`);
//! 7. the Sentry's seccomp allowlist (`seccomp`) on every thread.
//!
//! cgroups are applied from outside by `create` before the sandbox reads
//! its configuration (see `cgroup`), so everything it forks is accounted.

use super::gofer::GoferMount;
use super::BootConfig;
use rustix::thread::UnshareFlags;
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;

/// What the sandbox keeps from before its isolation.
#[derive(Debug)]
pub struct Isolated {
    /// The Sentry's end of the root Gofer's socket.
    pub gofer: OwnedFd,
    /// How the Gofer is doing (for errors: see `gofer`).
    pub gofer_watch: super::gofer::Watch,
    /// `<state>/exit.json`, opened (empty) for the record of the end.
    pub exit_file: std::fs::File,
}

/// Steps 1–5 of the module comment, the Gofer serving `gofer_mounts`
/// (the root first). The caller is single-threaded.
pub fn isolate(cfg: &BootConfig, gofer_mounts: &[GoferMount]) -> Result<Isolated, String> {
    let exit_path = cfg.state_dir.join(crate::state::EXIT_FILE);
    let exit_file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&exit_path)
        .map_err(|e| format!("{}: {e}", exit_path.display()))?;
    // Host facts the sandbox's /proc and /sys show, read while the host's
    // are reachable (memoized: the kernel's build finds them there).
    let cpuinfo = std::fs::read("/proc/cpuinfo").ok();
    sentry::fs::sys::SysFacts::collect();
    let net = super::netns::plan(&cfg.spec);

    let gofer = super::gofer::start(gofer_mounts, cfg.debug)?;
    if let super::netns::NetNs::Join(path) = &net {
        super::netns::join(path)?;
    }
    let mut also =
        UnshareFlags::NEWNS | UnshareFlags::NEWIPC | UnshareFlags::NEWUTS | UnshareFlags::NEWCGROUP;
    if net == super::netns::NetNs::New {
        also |= UnshareFlags::NEWNET;
    }
    let mapping = super::userns::enter(also)?;
    let root_change = super::emptyroot::enter(cpuinfo.as_deref())?;
    clear_environment();
    super::caps::drop_all_but_kept()?;
    tracing::debug!(
        "sandbox {} isolated: root is host uid {} in its user namespace, {root_change:?}, network {net:?}",
        cfg.id,
        mapping.host_uid
    );
    let (gofer, gofer_watch) = gofer.reap_in_background();
    Ok(Isolated {
        gofer,
        gofer_watch,
        exit_file,
    })
}

/// Steps 6 and 7: call once the kernel is built and before anything can
/// start application code.
pub fn lock_down() -> Result<(), String> {
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        .map_err(|e| format!("PR_SET_DUMPABLE: {e}"))?;
    super::seccomp::install()
}

/// Nothing of the caller's environment stays in the sandbox process but
/// rvisor's own knobs (`launch` already started it with no more).
fn clear_environment() {
    for (k, _) in std::env::vars_os() {
        if !is_knob(&k) {
            // Single-threaded (see `isolate`): nothing reads it concurrently.
            std::env::remove_var(k);
        }
    }
}

/// rvisor's tuning knobs (`RVISOR_SPIN_US`…), the only environment
/// variables a sandbox process keeps.
pub fn is_knob(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b"RVISOR_")
}
