//! Isolating the sandbox process from the host, before the Sentry starts.
//!
//! This is the one place where the second half of the OCI runtime work
//! plugs in: [`isolate`] runs in `runsc boot` after the configuration is
//! read and before the kernel (MemoryFile, platform, stub processes,
//! filesystems) is built and any application code exists. What goes here,
//! in order (design §1, §13):
//!
//! 1. new user, mount, pid, ipc, uts (and, per config, net) namespaces —
//!    or re-exec into them, since a pid namespace applies to children;
//! 2. a mount namespace with nothing but what the Sentry needs, then
//!    pivot_root/chroot into an empty directory (after this the Sentry
//!    opens no host path: host files come from the Gofer);
//! 3. dropping every capability the Sentry does not use, no_new_privs;
//! 4. the Sentry's seccomp allowlist (`seccompiler`), installed before the
//!    first application instruction runs — it can also go right before the
//!    control server starts if kernel construction needs calls the filter
//!    forbids.
//!
//! cgroups are applied from outside by `create` (see [`super::cgroup`]).

use super::BootConfig;

/// Isolate the calling process (the sandbox) according to `cfg`.
/// Nothing yet: the sandbox runs with the caller's namespaces and privileges.
pub fn isolate(cfg: &BootConfig) -> Result<(), String> {
    tracing::debug!("isolate: nothing to do yet for sandbox {}", cfg.id);
    Ok(())
}
