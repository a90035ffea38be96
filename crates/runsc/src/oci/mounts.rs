//! A bundle's mounts for the Sentry: config.json's `mounts`,
//! `linux.maskedPaths`, `linux.readonlyPaths`, `root.readonly` and the
//! resource limits the cgroup files report, as
//! [`sentry::boot_mounts::ContainerMounts`] (which says how each is made).
//!
//! Bind sources are host paths, relative ones taken from the bundle
//! directory as runc does; they are checked here, so a missing one is a
//! clear error from `create` rather than a Gofer that cannot start.

use oci_spec::runtime::Spec;
use sentry::boot_mounts::{ContainerMounts, MountEntry};
use sentry::fs::cgroupfs::CgroupLimits;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// What `spec` (of the bundle in `bundle`) asks of the container's mounts.
pub fn container_mounts(spec: &Spec, bundle: &Path) -> Result<ContainerMounts, String> {
    let mut mounts = Vec::new();
    for m in spec.mounts().iter().flatten() {
        let dest = m.destination();
        // runc takes a relative destination from the root, with a warning.
        let mut destination = Vec::new();
        if !dest.is_absolute() {
            destination.push(b'/');
        }
        destination.extend_from_slice(dest.as_os_str().as_bytes());
        let mut e = MountEntry {
            destination,
            fs_type: m.typ().clone().unwrap_or_default(),
            source: m
                .source()
                .as_ref()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            options: m.options().clone().unwrap_or_default(),
        };
        if e.is_bind() {
            let src = bundle.join(&e.source);
            if let Err(err) = std::fs::metadata(&src) {
                return Err(format!(
                    "mount {}: bind source {}: {err}",
                    dest.display(),
                    src.display()
                ));
            }
            e.source = src.to_string_lossy().into_owned();
        }
        mounts.push(e);
    }
    let linux = spec.linux().as_ref();
    let paths = |v: Option<&Vec<String>>| -> Vec<Vec<u8>> {
        v.into_iter()
            .flatten()
            .map(|p| p.as_bytes().to_vec())
            .collect()
    };
    Ok(ContainerMounts {
        mounts,
        masked_paths: paths(linux.and_then(|l| l.masked_paths().as_ref())),
        readonly_paths: paths(linux.and_then(|l| l.readonly_paths().as_ref())),
        root_readonly: spec
            .root()
            .as_ref()
            .and_then(|r| r.readonly())
            .unwrap_or(false),
        cgroup: cgroup_limits(spec),
    })
}

/// `linux.resources` as cgroup2 files show it (runc's v1 → v2 conversions).
fn cgroup_limits(spec: &Spec) -> CgroupLimits {
    let mut l = CgroupLimits::default();
    let Some(r) = spec.linux().as_ref().and_then(|l| l.resources().as_ref()) else {
        return l;
    };
    let positive = |v: Option<i64>| v.filter(|&n| n > 0).map(|n| n as u64);
    if let Some(m) = r.memory() {
        l.memory_max = positive(m.limit());
        // memory.swap is memory+swap; -1 is unlimited.
        if let (Some(total), Some(mem)) = (positive(m.swap()), l.memory_max) {
            l.swap_max = Some(total.saturating_sub(mem));
        }
    }
    if let Some(c) = r.cpu() {
        l.cpu_quota = positive(c.quota());
        l.cpu_period = c.period().filter(|&p| p > 0);
        // runc's ConvertCPUSharesToCgroupV2Value.
        l.cpu_weight = c
            .shares()
            .filter(|&s| s > 0)
            .map(|s| 1 + (s.saturating_sub(2) * 9999) / 262142);
    }
    if let Some(p) = r.pids() {
        l.pids_max = positive(Some(p.limit()));
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_a_spec() {
        let dir = std::env::temp_dir().join(format!("rvisor-mounts-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("vol")).unwrap();
        let spec: Spec = serde_json::from_value(serde_json::json!({
            "ociVersion": "1.0.2",
            "root": {"path": "rootfs", "readonly": true},
            "mounts": [
                {"destination": "/proc", "type": "proc", "source": "proc"},
                {"destination": "/data", "type": "bind", "source": "vol", "options": ["rbind", "ro"]},
                {"destination": "run", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}
            ],
            "linux": {
                "maskedPaths": ["/proc/kcore"],
                "readonlyPaths": ["/proc/sys"],
                "resources": {"memory": {"limit": 1048576}, "pids": {"limit": 10},
                              "cpu": {"quota": 50000, "period": 100000, "shares": 1024}}
            }
        }))
        .unwrap();
        let cm = container_mounts(&spec, &dir).unwrap();
        assert!(cm.root_readonly);
        assert_eq!(cm.mounts.len(), 3);
        assert_eq!(cm.mounts[1].source, dir.join("vol").to_string_lossy());
        assert_eq!(cm.mounts[2].destination, b"/run");
        assert_eq!(cm.masked_paths, [b"/proc/kcore".to_vec()]);
        assert_eq!(cm.readonly_paths, [b"/proc/sys".to_vec()]);
        assert_eq!(cm.cgroup.memory_max, Some(1 << 20));
        assert_eq!(cm.cgroup.pids_max, Some(10));
        assert_eq!(cm.cgroup.cpu_quota, Some(50000));
        assert_eq!(cm.cgroup.cpu_weight, Some(39));
        let gm = cm.gofer_mounts();
        assert_eq!(gm.len(), 1);
        assert_eq!(gm[0].name, "mount1");
        assert!(!gm[0].writable);

        let missing: Spec = serde_json::from_value(serde_json::json!({
            "ociVersion": "1.0.2",
            "mounts": [{"destination": "/x", "type": "bind", "source": "/no/such/dir", "options": ["bind"]}]
        }))
        .unwrap();
        let e = container_mounts(&missing, &dir).unwrap_err();
        assert!(e.contains("mount /x: bind source /no/such/dir"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
