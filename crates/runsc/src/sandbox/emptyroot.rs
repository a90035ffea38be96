//! The sandbox's root directory: an empty, read-only tmpfs (design §13.2:
//! after boot the Sentry opens no host path; host files reach it as fds
//! donated by the Gofer, memory is the MemoryFile).
//!
//! Called in the sandbox's own mount namespace (see `userns`), as root of
//! its user namespace. Every mount becomes private (nothing done here
//! reaches the host), a tmpfs is mounted over `/proc` of this namespace (a
//! directory every system has), and `pivot_root` moves the process into
//! it; the old root is detached, so no path leads back to the host. Where
//! `pivot_root` is impossible (an initramfs root) the process `chroot`s
//! instead, keeping no fd of the old root.
//!
//! The one thing the Sentry reads by path while it builds its kernel is
//! `/proc/cpuinfo` (for the sandbox's own /proc): the caller reads it
//! before, and it is copied into the new root at the same path. Nothing
//! else is there, and the root is remounted read-only, nosuid, nodev,
//! noexec.

use rustix::fs::Mode;
use rustix::mount::{MountFlags, MountPropagationFlags, UnmountFlags};

/// Where the new root is built, before the pivot.
const SCRATCH: &str = "/proc";

/// How the sandbox left the host's mount tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootChange {
    PivotRoot,
    Chroot,
}

fn err(what: &str, e: impl std::fmt::Display) -> String {
    format!("sandbox root: {what}: {e}")
}

/// Move the calling process into an empty root holding only
/// `/proc/cpuinfo` (with `cpuinfo`, if given).
pub fn enter(cpuinfo: Option<&[u8]>) -> Result<RootChange, String> {
    rustix::mount::mount_change(
        "/",
        MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
    )
    .map_err(|e| err("making mounts private", e))?;
    rustix::mount::mount(
        "rvisor-sandbox",
        SCRATCH,
        "tmpfs",
        MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
        c"mode=0755,size=1m,nr_inodes=64",
    )
    .map_err(|e| err("mounting the new root", e))?;
    if let Some(text) = cpuinfo {
        let dir = format!("{SCRATCH}/proc");
        rustix::fs::mkdir(dir.as_str(), Mode::from_raw_mode(0o555))
            .map_err(|e| err("mkdir /proc", e))?;
        std::fs::write(format!("{dir}/cpuinfo"), text).map_err(|e| err("/proc/cpuinfo", e))?;
    }
    let how = change_root()?;
    rustix::mount::mount_remount(
        "/",
        MountFlags::BIND
            | MountFlags::RDONLY
            | MountFlags::NOSUID
            | MountFlags::NODEV
            | MountFlags::NOEXEC,
        c"",
    )
    .map_err(|e| err("remounting the root read-only", e))?;
    Ok(how)
}

fn change_root() -> Result<RootChange, String> {
    rustix::process::chdir(SCRATCH).map_err(|e| err("chdir to the new root", e))?;
    match rustix::process::pivot_root(".", ".") {
        Ok(()) => {
            // The old root is now stacked on the new one: take it away,
            // with everything mounted under it.
            rustix::mount::unmount(".", UnmountFlags::DETACH)
                .map_err(|e| err("detaching the old root", e))?;
            rustix::process::chdir("/").map_err(|e| err("chdir /", e))?;
            Ok(RootChange::PivotRoot)
        }
        Err(e) if e == rustix::io::Errno::INVAL => {
            rustix::process::chroot(".").map_err(|e| err("chroot", e))?;
            rustix::process::chdir("/").map_err(|e| err("chdir /", e))?;
            Ok(RootChange::Chroot)
        }
        Err(e) => Err(err("pivot_root", e)),
    }
}
