//! The sandbox's network namespace, as the spec's `linux.namespaces` asks:
//!
//! - `{"type": "network", "path": P}`: join P (Kubernetes pods,
//!   `docker run --network=container:…`). Joining needs the host's
//!   privileges, so it happens before the sandbox's user namespace exists.
//! - `{"type": "network"}` without a path: a new, empty one, made with the
//!   user namespace (and owned by it). This is what Docker asks for with
//!   its default bridge and with `--network=none`: after `create`, its
//!   prestart hook finds the namespace through /proc/PID/ns/net of the
//!   sandbox process and moves a veth (or nothing) into it.
//! - no entry: the caller's (`docker run --network=host`).
//!
//! Whatever the namespace holds, the sandbox starts: it has no network
//! stack of its own yet and does not look at the interfaces (unlike
//! gVisor's old check that refused a host network namespace).

use oci_spec::runtime::{LinuxNamespaceType, Spec};
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetNs {
    Join(PathBuf),
    New,
    Caller,
}

/// What the spec asks for.
pub fn plan(spec: &Spec) -> NetNs {
    let entry = spec
        .linux()
        .as_ref()
        .and_then(|l| l.namespaces().as_ref())
        .and_then(|nss| nss.iter().find(|n| n.typ() == LinuxNamespaceType::Network));
    match entry {
        Some(n) => match n.path() {
            Some(p) if !p.as_os_str().is_empty() => NetNs::Join(p.clone()),
            _ => NetNs::New,
        },
        None => NetNs::Caller,
    }
}

/// Join the network namespace at `path`.
pub fn join(path: &std::path::Path) -> Result<(), String> {
    let what = |e: &dyn std::fmt::Display| {
        format!(
            "joining the network namespace {} (linux.namespaces): {e}",
            path.display()
        )
    };
    let fd = rustix::fs::open(
        path,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| what(&e))?;
    rustix::thread::move_into_link_name_space(
        std::os::fd::AsFd::as_fd(&fd),
        Some(rustix::thread::LinkNameSpaceType::Network),
    )
    .map_err(|e| what(&e))
}
