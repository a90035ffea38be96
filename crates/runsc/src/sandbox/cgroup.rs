//! Resource control of a sandbox from the host side (cgroups).
//!
//! `create` moves the sandbox process into the container's cgroup right
//! after starting it and before it reads its configuration, so the Gofer,
//! the MemoryFile's pages, the stub processes and every thread are
//! accounted there; `delete` removes the cgroup. The OCI `linux.resources`
//! say what is limited (memory, swap, memory reservation, pids, CPU
//! shares/quota/period, cpuset) and `linux.cgroupsPath` where:
//!
//! - an absolute path is relative to each hierarchy's root, a relative
//!   one to runsc's own cgroup (as runc does);
//! - `slice:prefix:name` (with `--systemd-cgroup`, as Docker and
//!   Kubernetes pass it under systemd) becomes `<slice path>/prefix-name.scope`
//!   — created directly in the cgroup filesystem: runsc does not talk to
//!   systemd;
//! - no path: `/rvisor/<id>`.
//!
//! cgroup v2 (one unified hierarchy at /sys/fs/cgroup) and v1 (one
//! hierarchy per controller, found in /proc/self/mountinfo) are both
//! handled, in `cgroup/v2.rs` and `cgroup/v1.rs`. A limit that cannot be
//! applied is an error (the container does not start); with no limit asked
//! for and no path given, a cgroup that cannot be made is only a warning.
//! Devices, block I/O, huge pages and the network classes are not
//! enforced: the sandbox has no host devices, and the rest is logged.

mod v1;
mod v2;

use oci_spec::runtime::{LinuxResources, Spec};
use std::path::{Path, PathBuf};

pub trait CgroupManager {
    /// Move process `pid` (the sandbox) into the container's cgroup and
    /// apply the spec's resource limits.
    fn apply(&self, pid: i32) -> Result<(), String>;
    /// Remove the container's cgroup (every process in it has exited).
    fn destroy(&self) -> Result<(), String>;
}

/// The limits runsc enforces, out of `linux.resources`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Bytes (memory.limit_in_bytes / memory.max).
    pub memory: Option<i64>,
    /// Memory plus swap, in bytes (-1: unlimited).
    pub memory_swap: Option<i64>,
    /// Soft limit in bytes (memory.soft_limit_in_bytes / memory.low).
    pub memory_reservation: Option<i64>,
    /// Most tasks (host processes and threads); <= 0: unlimited.
    pub pids: Option<i64>,
    pub cpu_shares: Option<u64>,
    /// Microseconds per period; <= 0: unlimited.
    pub cpu_quota: Option<i64>,
    pub cpu_period: Option<u64>,
    pub cpuset_cpus: Option<String>,
    pub cpuset_mems: Option<String>,
}

impl Limits {
    pub fn from_resources(r: &LinuxResources) -> Limits {
        let mut l = Limits::default();
        if let Some(m) = r.memory() {
            l.memory = m.limit().filter(|&v| v != 0);
            l.memory_swap = m.swap().filter(|&v| v != 0);
            l.memory_reservation = m.reservation().filter(|&v| v != 0);
        }
        if let Some(p) = r.pids() {
            l.pids = Some(p.limit());
        }
        if let Some(c) = r.cpu() {
            l.cpu_shares = c.shares().filter(|&v| v != 0);
            l.cpu_quota = c.quota().filter(|&v| v != 0);
            l.cpu_period = c.period().filter(|&v| v != 0);
            l.cpuset_cpus = c.cpus().clone().filter(|s| !s.is_empty());
            l.cpuset_mems = c.mems().clone().filter(|s| !s.is_empty());
        }
        let ignored: Vec<&str> = [
            (r.block_io().is_some(), "blockIO"),
            (
                r.hugepage_limits().as_ref().is_some_and(|h| !h.is_empty()),
                "hugepageLimits",
            ),
            (r.network().is_some(), "network"),
            (r.rdma().is_some(), "rdma"),
            (
                r.unified().as_ref().is_some_and(|u| !u.is_empty()),
                "unified",
            ),
        ]
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, n)| *n)
        .collect();
        if !ignored.is_empty() {
            tracing::debug!(
                "cgroups: linux.resources {} are not enforced",
                ignored.join(", ")
            );
        }
        l
    }

    pub fn is_empty(&self) -> bool {
        *self == Limits::default()
    }
}

/// The manager for container `id` of `spec`.
pub fn manager(spec: &Spec, id: &str, systemd: bool) -> Result<Box<dyn CgroupManager>, String> {
    let linux = spec.linux().as_ref();
    let limits = linux
        .and_then(|l| l.resources().as_ref())
        .map(Limits::from_resources)
        .unwrap_or_default();
    let given = linux.and_then(|l| l.cgroups_path().clone());
    let path = cgroup_path(given.as_deref(), id, systemd)?;
    // With no path and no limit, a cgroup is still made (for accounting),
    // but failing to make it does not stop the container.
    let explicit = given.is_some_and(|p| !p.as_os_str().is_empty());
    if v2::is_unified() {
        Ok(Box::new(v2::Manager::new(path, limits, explicit)))
    } else {
        Ok(Box::new(v1::Manager::new(path, limits, explicit)?))
    }
}

/// Where the container's cgroup is: relative to a hierarchy's root when
/// absolute, else relative to runsc's own cgroup in that hierarchy (the
/// caller joins it: see [`CgroupPath`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CgroupPath {
    Absolute(PathBuf),
    Relative(PathBuf),
}

impl CgroupPath {
    /// The path below a hierarchy root whose own cgroup (of runsc, for
    /// relative paths) is `own`.
    pub fn below(&self, own: &Path) -> PathBuf {
        let rel = match self {
            CgroupPath::Absolute(p) => p.strip_prefix("/").unwrap_or(p).to_path_buf(),
            CgroupPath::Relative(p) => own.strip_prefix("/").unwrap_or(own).join(p),
        };
        rel
    }
}

/// `linux.cgroupsPath` (or its absence) as a path.
pub fn cgroup_path(given: Option<&Path>, id: &str, systemd: bool) -> Result<CgroupPath, String> {
    let Some(p) = given.filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(CgroupPath::Absolute(PathBuf::from("/rvisor").join(id)));
    };
    let text = p.to_string_lossy();
    if systemd || (!text.starts_with('/') && text.matches(':').count() == 2) {
        return systemd_path(&text).map(CgroupPath::Absolute);
    }
    if p.components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(format!("linux.cgroupsPath {text:?}: \"..\" is not allowed"));
    }
    if p.is_absolute() {
        Ok(CgroupPath::Absolute(p.to_path_buf()))
    } else {
        Ok(CgroupPath::Relative(p.to_path_buf()))
    }
}

/// systemd's "slice:prefix:name" as a cgroup path: "a-b.slice" lives in
/// "a.slice/a-b.slice", the unit is "prefix-name.scope".
fn systemd_path(text: &str) -> Result<PathBuf, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let [slice, prefix, name] = parts[..] else {
        return Err(format!(
            "linux.cgroupsPath {text:?}: expected \"slice:prefix:name\" with --systemd-cgroup"
        ));
    };
    if [slice, prefix, name]
        .iter()
        .any(|s| s.contains('/') || *s == "..")
    {
        return Err(format!("linux.cgroupsPath {text:?}: bad systemd unit"));
    }
    let slice = if slice.is_empty() {
        "system.slice"
    } else {
        slice
    };
    let mut path = PathBuf::from("/");
    if slice != "-.slice" {
        let base = slice
            .strip_suffix(".slice")
            .ok_or_else(|| format!("linux.cgroupsPath {text:?}: {slice:?} is not a .slice unit"))?;
        let mut acc = String::new();
        for (i, part) in base.split('-').enumerate() {
            if i > 0 {
                acc.push('-');
            }
            acc.push_str(part);
            path.push(format!("{acc}.slice"));
        }
    }
    let unit = if name.ends_with(".slice") {
        name.to_string()
    } else if prefix.is_empty() {
        format!("{name}.scope")
    } else {
        format!("{prefix}-{name}.scope")
    };
    path.push(unit);
    Ok(path)
}

/// Write `value` to `dir/file`, naming both in the error.
pub(crate) fn write(dir: &Path, file: &str, value: &str) -> Result<(), String> {
    let p = dir.join(file);
    std::fs::write(&p, value).map_err(|e| format!("writing {value:?} to {}: {e}", p.display()))
}

/// Remove the cgroup directory `dir`, waiting a little while processes
/// that just died still hold it (EBUSY). A missing one is removed.
pub(crate) fn remove_dir(dir: &Path) -> Result<(), String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        match std::fs::remove_dir(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                if std::time::Instant::now() >= deadline {
                    return Err(format!("{}: {e}", dir.display()));
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(format!("{}: {e}", dir.display())),
        }
    }
}

/// "max" for a limit that is not one (<= 0), else the number.
pub(crate) fn limit_text(v: i64) -> String {
    if v <= 0 {
        "max".into()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            cgroup_path(None, "c1", false).unwrap(),
            CgroupPath::Absolute("/rvisor/c1".into())
        );
        assert_eq!(
            cgroup_path(Some(Path::new("/docker/abc")), "c1", false).unwrap(),
            CgroupPath::Absolute("/docker/abc".into())
        );
        assert_eq!(
            cgroup_path(Some(Path::new("system.slice:docker:abc")), "c1", true).unwrap(),
            CgroupPath::Absolute("/system.slice/docker-abc.scope".into())
        );
        assert_eq!(
            cgroup_path(Some(Path::new("a-b.slice:cri:x")), "c1", true).unwrap(),
            CgroupPath::Absolute("/a.slice/a-b.slice/cri-x.scope".into())
        );
        assert!(cgroup_path(Some(Path::new("/a/../b")), "c1", false).is_err());
        let rel = cgroup_path(Some(Path::new("sub/c")), "c1", false).unwrap();
        assert_eq!(
            rel.below(Path::new("/user.slice")),
            PathBuf::from("user.slice/sub/c")
        );
        assert_eq!(
            CgroupPath::Absolute("/docker/x".into()).below(Path::new("/whatever")),
            PathBuf::from("docker/x")
        );
    }
}
