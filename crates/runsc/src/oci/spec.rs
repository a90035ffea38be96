//! `runsc spec` (a default config.json) and `runsc features`.

use oci_spec::runtime::Spec;
use serde_json::{json, Value};

/// runc's default spec: `sh` on a terminal as root, in a read-only
/// `rootfs`, with the usual mounts and namespaces.
pub fn default_spec() -> Spec {
    let mut spec = Spec::default();
    spec.set_hostname(Some("runsc".into()));
    if let Some(p) = spec.process_mut() {
        p.set_terminal(Some(true));
    }
    spec
}

/// What `runsc features` prints: the runtime-spec's Features structure.
pub fn features() -> Value {
    let caps: Vec<&str> = super::process::all_cap_names().to_vec();
    json!({
        "ociVersionMin": "1.0.0",
        "ociVersionMax": "1.1.0",
        "hooks": ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
        "mountOptions": ["ro", "rw", "nosuid", "nodev", "noexec", "bind", "rbind"],
        "linux": {
            "namespaces": ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"],
            "capabilities": caps,
            "cgroup": { "v1": false, "v2": false, "systemd": false, "systemdUser": false },
            "seccomp": { "enabled": false },
            "apparmor": { "enabled": false },
            "selinux": { "enabled": false }
        },
        "annotations": {
            "org.opencontainers.runtime-spec.features": "rvisor",
            "dev.rvisor.platforms": "systrap,ptrace"
        }
    })
}
