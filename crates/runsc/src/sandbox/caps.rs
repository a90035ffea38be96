//! The capabilities of the sandbox process (the Sentry), as data.
//!
//! The Sentry runs as root of its own user namespace, so before this step
//! it holds every capability — over that namespace and the ones it owns
//! (its mount, IPC, UTS, cgroup and possibly network namespaces), never
//! over the host's. [`drop_all_but_kept`] cuts the bounding, permitted,
//! effective, inheritable and ambient sets down to the rows of [`TABLE`]
//! marked `keep`, and sets no_new_privs. It runs before the Sentry starts
//! any thread (capabilities are per thread; threads inherit them).
//!
//! The rows are the capabilities one might expect the Sentry to need, with
//! why it does not (or does). Today it keeps none: everything it does to
//! other processes is done to its own stubs, which share its uid.

use rustix::thread::{CapabilitySet, CapabilitySets};

/// One capability considered for the Sentry.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    pub cap: CapabilitySet,
    pub name: &'static str,
    pub keep: bool,
    pub why: &'static str,
}

pub const TABLE: &[Row] = &[
    Row {
        cap: CapabilitySet::SYS_PTRACE,
        name: "CAP_SYS_PTRACE",
        keep: false,
        why: "the stubs are forked from the Sentry after it became root of its user \
              namespace: same uid, dumpable, so PTRACE_SEIZE needs no capability",
    },
    Row {
        cap: CapabilitySet::KILL,
        name: "CAP_KILL",
        keep: false,
        why: "the Sentry signals only its stubs (interrupts, SIGKILL), which share its uid",
    },
    Row {
        cap: CapabilitySet::SYS_ADMIN,
        name: "CAP_SYS_ADMIN",
        keep: false,
        why: "mounts and pivot_root happen before the drop; nothing later",
    },
    Row {
        cap: CapabilitySet::SYS_CHROOT,
        name: "CAP_SYS_CHROOT",
        keep: false,
        why: "the chroot fallback happens before the drop",
    },
    Row {
        cap: CapabilitySet::SETUID.union(CapabilitySet::SETGID),
        name: "CAP_SETUID, CAP_SETGID",
        keep: false,
        why: "application credentials are the Sentry's own bookkeeping; the host ones never change after boot",
    },
    Row {
        cap: CapabilitySet::SYS_RESOURCE,
        name: "CAP_SYS_RESOURCE",
        keep: false,
        why: "application rlimits are virtual; the Sentry never raises its own",
    },
    Row {
        cap: CapabilitySet::NET_ADMIN.union(CapabilitySet::NET_RAW),
        name: "CAP_NET_ADMIN, CAP_NET_RAW",
        keep: false,
        why: "no network stack in the sandbox yet; a packet endpoint will need NET_RAW \
              (and a row here) when netstack arrives",
    },
    Row {
        cap: CapabilitySet::DAC_OVERRIDE.union(CapabilitySet::DAC_READ_SEARCH),
        name: "CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH",
        keep: false,
        why: "the Sentry opens no host file by path; the Gofer opens them",
    },
];

/// The capabilities kept.
pub fn kept() -> CapabilitySet {
    TABLE
        .iter()
        .filter(|r| r.keep)
        .fold(CapabilitySet::empty(), |s, r| s | r.cap)
}

/// Drop every capability not kept, from every set, and set no_new_privs.
/// Call single-threaded.
pub fn drop_all_but_kept() -> Result<(), String> {
    let keep = kept();
    for cap in 0..64u32 {
        if keep.bits() & (1u64 << cap) != 0 {
            continue;
        }
        // SAFETY: prctl(PR_CAPBSET_DROP, cap) takes integers only.
        let r = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
        if r != 0 {
            let e = std::io::Error::last_os_error();
            match e.raw_os_error() {
                // Past the last capability this kernel knows.
                Some(libc::EINVAL) => break,
                _ => {
                    return Err(format!(
                        "dropping capability {cap} from the bounding set: {e}"
                    ))
                }
            }
        }
    }
    rustix::thread::clear_ambient_capability_set()
        .map_err(|e| format!("clearing the ambient capabilities: {e}"))?;
    let now = rustix::thread::capabilities(None).map_err(|e| format!("capget: {e}"))?;
    let sets = CapabilitySets {
        effective: now.effective & keep,
        permitted: now.permitted & keep,
        inheritable: CapabilitySet::empty(),
    };
    rustix::thread::set_capabilities(None, sets).map_err(|e| format!("capset: {e}"))?;
    rustix::thread::set_no_new_privs(true).map_err(|e| format!("no_new_privs: {e}"))?;
    for r in TABLE {
        let what = if r.keep { "kept" } else { "dropped" };
        tracing::debug!("capabilities: {} {what}: {}", r.name, r.why);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_distinct() {
        let mut seen = CapabilitySet::empty();
        for r in TABLE {
            assert!(!seen.intersects(r.cap), "{} listed twice", r.name);
            seen |= r.cap;
        }
    }
}
