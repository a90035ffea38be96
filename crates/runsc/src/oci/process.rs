//! From an OCI process object to what the Sentry runs: arguments,
//! environment, working directory, credentials (uid, gid, additional
//! gids, capabilities) and resource limits.
//!
//! Honoured as far as the Sentry goes today: `noNewPrivileges` is accepted
//! (the Sentry grants no privilege on exec anyway: there are no set-id
//! programs or file capabilities in it yet); `umask`, `apparmorProfile`,
//! `selinuxLabel`, `oomScoreAdj`, `ioPriority`, `scheduler` and
//! `execCPUAffinity` are accepted and ignored.

use anyhow::{bail, Result};
use oci_spec::runtime::{Capabilities, Process};
use sentry::control::ProcessSpec;
use sentry::kernel::creds::{Creds, CAP_LAST_CAP};
use sentry::kernel::limits::Limits;
use std::os::fd::OwnedFd;

/// Capability names by number (Linux's order).
const CAPS: [&str; CAP_LAST_CAP as usize + 1] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Resource names by number (Linux's order).
const RLIMITS: [&str; 16] = [
    "RLIMIT_CPU",
    "RLIMIT_FSIZE",
    "RLIMIT_DATA",
    "RLIMIT_STACK",
    "RLIMIT_CORE",
    "RLIMIT_RSS",
    "RLIMIT_NPROC",
    "RLIMIT_NOFILE",
    "RLIMIT_MEMLOCK",
    "RLIMIT_AS",
    "RLIMIT_LOCKS",
    "RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",
    "RLIMIT_RTPRIO",
    "RLIMIT_RTTIME",
];

/// The capability number of `name` ("CAP_CHOWN" or "chown").
pub fn cap_number(name: &str) -> Option<u32> {
    let upper = name.to_ascii_uppercase();
    let full = if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    };
    CAPS.iter().position(|c| *c == full).map(|n| n as u32)
}

/// The OCI name of a capability (as config.json spells it).
fn oci_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn cap_mask(set: &Option<Capabilities>) -> Option<u64> {
    set.as_ref().map(|s| {
        s.iter()
            .filter_map(|c| cap_number(&oci_name(c)))
            .fold(0u64, |m, n| m | 1 << n)
    })
}

/// What config.json asks that cannot be done at all (as opposed to
/// what is ignored).
pub fn check_supported(p: &Process) -> Result<()> {
    if let Some(r) = p.rlimits() {
        for l in r {
            if l.soft() > l.hard() {
                bail!(
                    "process.rlimits: {} soft limit {} is above its hard limit {}",
                    oci_name(&l.typ()),
                    l.soft(),
                    l.hard()
                );
            }
        }
    }
    Ok(())
}

/// The credentials `p` runs with.
pub fn creds(p: &Process) -> Creds {
    let user = p.user();
    let mut c = Creds::new(user.uid(), user.gid());
    c.groups = user.additional_gids().clone().unwrap_or_default();
    if let Some(caps) = p.capabilities() {
        let all = c.cap_bounding;
        c.cap_bounding = cap_mask(caps.bounding()).unwrap_or(all);
        c.cap_effective = cap_mask(caps.effective()).unwrap_or(0);
        c.cap_permitted = cap_mask(caps.permitted()).unwrap_or(0);
        c.cap_inheritable = cap_mask(caps.inheritable()).unwrap_or(0);
    }
    c
}

/// The resource limits `p` starts with: Linux's defaults, then config.json's.
pub fn limits(p: &Process) -> Limits {
    let mut l = Limits::default();
    for r in p.rlimits().iter().flatten() {
        let name = oci_name(&r.typ());
        if let Some(i) = RLIMITS.iter().position(|n| *n == name) {
            l.0[i] = abi::Rlimit {
                rlim_cur: r.soft(),
                rlim_max: r.hard(),
            };
        }
    }
    l
}

/// What the Sentry runs for `p`, with `stdio` as its fds 0, 1, 2.
pub fn process_spec(p: &Process, stdio: Vec<OwnedFd>) -> Result<ProcessSpec> {
    let argv: Vec<Vec<u8>> = p
        .args()
        .iter()
        .flatten()
        .map(|a| a.as_bytes().to_vec())
        .collect();
    if argv.is_empty() {
        bail!("process.args is empty: nothing to run");
    }
    let envp = p
        .env()
        .iter()
        .flatten()
        .map(|e| e.as_bytes().to_vec())
        .collect();
    let cwd = p.cwd().as_os_str().as_encoded_bytes().to_vec();
    Ok(ProcessSpec {
        argv,
        envp,
        cwd,
        creds: creds(p),
        limits: limits(p),
        stdio,
    })
}

/// Every capability name the Sentry knows.
pub fn all_cap_names() -> &'static [&'static str] {
    &CAPS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_numbers() {
        assert_eq!(cap_number("CAP_SYS_ADMIN"), Some(21));
        assert_eq!(cap_number("kill"), Some(5));
        assert_eq!(cap_number("CAP_NOPE"), None);
        let p: Process = serde_json::from_str(
            r#"{"user":{"uid":1000,"gid":100,"additionalGids":[5,6]},"cwd":"/","args":["x"],
               "capabilities":{"bounding":["CAP_KILL","CAP_CHOWN"],"effective":["CAP_KILL"]},
               "rlimits":[{"type":"RLIMIT_NOFILE","soft":10,"hard":20}]}"#,
        )
        .unwrap();
        let c = creds(&p);
        assert_eq!((c.uid, c.gid, c.groups.clone()), (1000, 100, vec![5, 6]));
        assert_eq!(c.cap_bounding, 1 << 5 | 1);
        assert_eq!(c.cap_effective, 1 << 5);
        assert_eq!(c.cap_permitted, 0);
        let l = limits(&p);
        assert_eq!(l.0[7].rlim_cur, 10);
        assert_eq!(l.0[7].rlim_max, 20);
    }
}
