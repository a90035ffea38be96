//! Resource control of a sandbox from the host side (cgroups).
//!
//! `create` puts the sandbox process into the container's cgroup before it
//! builds anything (so the MemoryFile, stub processes and gofer are all
//! accounted), `delete` removes it. The OCI `linux.resources` and
//! `linux.cgroupsPath` say what; `--systemd-cgroup` says through whom.
//! Only the no-op manager exists yet: limits are not enforced.

use oci_spec::runtime::Spec;

pub trait CgroupManager {
    /// Move process `pid` (the sandbox) into the container's cgroup and
    /// apply the spec's resource limits.
    fn apply(&self, pid: i32) -> Result<(), String>;
    /// Remove the container's cgroup (every process in it has exited).
    fn destroy(&self) -> Result<(), String>;
}

/// Accepts everything, enforces nothing.
#[derive(Debug, Default)]
pub struct NoCgroups;

impl CgroupManager for NoCgroups {
    fn apply(&self, _pid: i32) -> Result<(), String> {
        Ok(())
    }
    fn destroy(&self) -> Result<(), String> {
        Ok(())
    }
}

/// The manager for `spec`'s container.
pub fn manager(spec: &Spec, systemd: bool) -> Box<dyn CgroupManager> {
    let asks = spec
        .linux()
        .as_ref()
        .is_some_and(|l| l.resources().is_some() || l.cgroups_path().is_some());
    if asks {
        tracing::debug!(
            "cgroups (systemd: {systemd}) are not managed yet: resource limits are not enforced"
        );
    }
    Box::new(NoCgroups)
}
