//! Confinement before serving (design §7): the Gofer ends up in its own
//! mount namespace whose root is an empty, read-only tmpfs holding only the
//! served trees, with no capabilities but the file ones it uses.
//!
//! 1. `unshare(CLONE_NEWNS)` (as root), or `unshare(CLONE_NEWUSER |
//!    CLONE_NEWNS)` with the caller's ids mapped when the caller is not
//!    privileged; then every mount becomes private, so nothing done here
//!    reaches the host's namespace.
//! 2. A tmpfs is mounted over `/proc` of the new namespace (a directory
//!    every Linux system has) as the future root; each served tree is
//!    bind-mounted (recursively, to keep its submounts) into it at
//!    `/proc/N`, read-only when served read-only. The host's `proc` and
//!    `sys` submounts of a tree are detached: the Sentry has its own.
//! 3. `pivot_root` into the tmpfs, and the old root is detached, so no
//!    path in this namespace leads to the rest of the host. When
//!    `pivot_root` is impossible (an initramfs root), the Gofer `chroot`s
//!    into the tmpfs instead; the old root stays mounted but unreachable
//!    by path (the Gofer keeps no fd of it).
//! 4. The new root is remounted read-only, the capability bounding set
//!    and the permitted/effective sets are cut down to the file
//!    capabilities a Gofer uses (reading and, for writable trees,
//!    changing files on the Sentry's behalf, whose permission checks are
//!    the Sentry's), and `no_new_privs` is set.
//!
//! The seccomp filter (`seccomp.rs`) comes last, installed by the caller.

use crate::mounts::MountSpec;
use crate::server::Tree;
use rustix::fs::{Mode, OFlags};
use rustix::mount::{MountFlags, MountPropagationFlags, UnmountFlags};
use rustix::thread::{CapabilitySet, CapabilitySets, UnshareFlags};
use std::os::fd::OwnedFd;

/// Where the new root is built (see the module comment).
const SCRATCH: &str = "/proc";

/// The name a single-file tree's file has in its scratch directory.
const FILE_NAME: &str = "file";

/// How the Gofer left the host's mount tree (for logs and tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootChange {
    PivotRoot,
    Chroot,
}

fn err(what: &str, e: impl std::fmt::Display) -> String {
    format!("gofer confinement: {what}: {e}")
}

/// Opens every tree without confinement (tests, and `--unconfined` for debugging).
pub fn open_trees(specs: &[MountSpec]) -> Result<Vec<Tree>, String> {
    specs
        .iter()
        .map(|m| {
            if is_dir(m)? {
                let root = open_root(m.path.as_os_str())?;
                return Ok(Tree {
                    name: m.name.as_bytes().to_vec(),
                    root,
                    writable: m.writable,
                    file: None,
                });
            }
            // A single file: served from its directory, by its name (as
            // mount(2) would, after following symlinks).
            let real = std::fs::canonicalize(&m.path)
                .map_err(|e| err(&format!("opening {}", m.path.display()), e))?;
            let (Some(dir), Some(name)) = (real.parent(), real.file_name()) else {
                return Err(err(&format!("opening {}", m.path.display()), "not a file"));
            };
            Ok(Tree {
                name: m.name.as_bytes().to_vec(),
                root: open_root(dir.as_os_str())?,
                writable: m.writable,
                file: Some(std::os::unix::ffi::OsStrExt::as_bytes(name).to_vec()),
            })
        })
        .collect()
}

/// Whether a tree is a directory (else a single file: a bind mount of a
/// file). Symlinks are followed, as mount(2) follows them.
fn is_dir(m: &MountSpec) -> Result<bool, String> {
    std::fs::metadata(&m.path)
        .map(|md| md.is_dir())
        .map_err(|e| err(&format!("opening {}", m.path.display()), e))
}

fn open_root(path: &std::ffi::OsStr) -> Result<OwnedFd, String> {
    rustix::fs::open(
        path,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| err(&format!("opening {}", path.to_string_lossy()), e))
}

/// Confines the calling process (which must have one thread) and returns
/// the served trees, opened inside the new root.
pub fn confine(specs: &[MountSpec]) -> Result<(Vec<Tree>, RootChange), String> {
    enter_namespaces()?;
    rustix::mount::mount_change(
        "/",
        MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
    )
    .map_err(|e| err("making mounts private", e))?;
    rustix::mount::mount(
        "rvisor-gofer",
        SCRATCH,
        "tmpfs",
        MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
        c"mode=0700",
    )
    .map_err(|e| err("mounting the new root", e))?;
    let mut trees = Vec::with_capacity(specs.len());
    for (i, m) in specs.iter().enumerate() {
        let at = format!("{SCRATCH}/{i}");
        rustix::fs::mkdir(at.as_str(), Mode::from_raw_mode(0o700))
            .map_err(|e| err(&format!("mkdir {at}"), e))?;
        if !is_dir(m)? {
            trees.push(bind_file(m, &at)?);
            continue;
        }
        rustix::mount::mount_bind_recursive(m.path.as_os_str(), at.as_str())
            .map_err(|e| err(&format!("binding {}", m.path.display()), e))?;
        for pseudo in ["proc", "sys"] {
            // Mounts may be stacked there (our scratch tmpfs over the
            // host's proc): detach until none is left. EINVAL (not a mount
            // point) or EPERM (locked by a user namespace) ends it.
            let p = format!("{at}/{pseudo}");
            for _ in 0..8 {
                if rustix::mount::unmount(p.as_str(), UnmountFlags::DETACH).is_err() {
                    break;
                }
            }
        }
        if !m.writable {
            // Defence in depth: the server refuses writes with EROFS anyway.
            let _ = rustix::mount::mount_remount(
                at.as_str(),
                MountFlags::BIND | MountFlags::RDONLY,
                c"",
            );
        }
        trees.push(Tree {
            name: m.name.as_bytes().to_vec(),
            root: open_root(std::ffi::OsStr::new(&at))?,
            writable: m.writable,
            file: None,
        });
    }
    let how = change_root()?;
    let _ = rustix::mount::mount_remount("/", MountFlags::RDONLY, c"");
    let writable = specs.iter().any(|m| m.writable);
    drop_capabilities(writable)?;
    rustix::thread::set_no_new_privs(true).map_err(|e| err("no_new_privs", e))?;
    Ok((trees, how))
}

/// A single-file tree: the host file bound on an empty file in the
/// scratch directory `at`, served from there.
fn bind_file(m: &MountSpec, at: &str) -> Result<Tree, String> {
    let file = format!("{at}/{FILE_NAME}");
    let created = rustix::fs::open(
        file.as_str(),
        OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )
    .map_err(|e| err(&format!("creating {file}"), e))?;
    drop(created);
    rustix::mount::mount_bind(m.path.as_os_str(), file.as_str())
        .map_err(|e| err(&format!("binding {}", m.path.display()), e))?;
    if !m.writable {
        let _ =
            rustix::mount::mount_remount(file.as_str(), MountFlags::BIND | MountFlags::RDONLY, c"");
    }
    Ok(Tree {
        name: m.name.as_bytes().to_vec(),
        root: open_root(std::ffi::OsStr::new(at))?,
        writable: m.writable,
        file: Some(FILE_NAME.as_bytes().to_vec()),
    })
}

fn enter_namespaces() -> Result<(), String> {
    // SAFETY: the Gofer is single-threaded here and CLONE_FILES is not
    // among the flags, so no thread can observe a changed fd table.
    let plain = unsafe { rustix::thread::unshare_unsafe(UnshareFlags::NEWNS) };
    match plain {
        Ok(()) => Ok(()),
        Err(rustix::io::Errno::PERM) => {
            let uid = rustix::process::getuid().as_raw();
            let gid = rustix::process::getgid().as_raw();
            // SAFETY: as above.
            unsafe { rustix::thread::unshare_unsafe(UnshareFlags::NEWUSER | UnshareFlags::NEWNS) }
                .map_err(|e| err("unshare(CLONE_NEWUSER | CLONE_NEWNS)", e))?;
            // Keep our own ids, so files keep their owners.
            std::fs::write("/proc/self/setgroups", "deny").map_err(|e| err("setgroups", e))?;
            std::fs::write("/proc/self/uid_map", format!("{uid} {uid} 1"))
                .map_err(|e| err("uid_map", e))?;
            std::fs::write("/proc/self/gid_map", format!("{gid} {gid} 1"))
                .map_err(|e| err("gid_map", e))?;
            Ok(())
        }
        Err(e) => Err(err("unshare(CLONE_NEWNS)", e)),
    }
}

fn change_root() -> Result<RootChange, String> {
    rustix::process::chdir(SCRATCH).map_err(|e| err("chdir to the new root", e))?;
    match rustix::process::pivot_root(".", ".") {
        Ok(()) => {
            // The old root is stacked on the new one: take it away.
            rustix::mount::unmount(".", UnmountFlags::DETACH)
                .map_err(|e| err("detaching the old root", e))?;
            rustix::process::chdir("/").map_err(|e| err("chdir /", e))?;
            Ok(RootChange::PivotRoot)
        }
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::PERM => {
            rustix::process::chroot(".").map_err(|e| err("chroot", e))?;
            rustix::process::chdir("/").map_err(|e| err("chdir /", e))?;
            Ok(RootChange::Chroot)
        }
        Err(e) => Err(err("pivot_root", e)),
    }
}

/// Keeps only the capabilities a Gofer uses: reading any file
/// (DAC_OVERRIDE, DAC_READ_SEARCH) and, when a tree is writable, giving
/// files the owners and modes the Sentry asks for (CHOWN, FOWNER, FSETID).
fn drop_capabilities(writable: bool) -> Result<(), String> {
    let mut keep = CapabilitySet::DAC_OVERRIDE | CapabilitySet::DAC_READ_SEARCH;
    if writable {
        keep |= CapabilitySet::CHOWN | CapabilitySet::FOWNER | CapabilitySet::FSETID;
    }
    let keep_bits = keep.bits();
    for cap in 0..64u32 {
        if keep_bits & (1u64 << cap) != 0 {
            continue;
        }
        // SAFETY: prctl(PR_CAPBSET_DROP, cap) takes integers only.
        let r = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
        if r != 0 {
            let e = std::io::Error::last_os_error();
            match e.raw_os_error() {
                // Past the last capability this kernel knows.
                Some(libc::EINVAL) => break,
                // Unprivileged: the bounding set is not ours to change,
                // and we hold nothing worth dropping from it.
                Some(libc::EPERM) => break,
                _ => return Err(err("dropping capabilities", e)),
            }
        }
    }
    let now = rustix::thread::capabilities(None).map_err(|e| err("capget", e))?;
    let sets = CapabilitySets {
        effective: now.effective & keep,
        permitted: now.permitted & keep,
        inheritable: CapabilitySet::empty(),
    };
    rustix::thread::set_capabilities(None, sets).map_err(|e| err("capset", e))
}
