//! The sandbox's user namespace, and the namespaces owned by it.
//!
//! `runsc boot` calls [`enter`] once, single-threaded (the kernel refuses
//! a new user namespace to a multi-threaded process), after everything
//! that needs the host's privileges is done (the Gofer is started, a
//! network namespace named by the spec is joined). One `unshare` makes the
//! user namespace and, owned by it, the mount, IPC, UTS and cgroup
//! namespaces (and the network one when the spec asks for a new one).
//!
//! Who the sandbox is on the host:
//!
//! - started by root (Docker, containerd): root in the namespace is mapped
//!   to the host's `nobody` (65534), uid and gid alike, as gVisor does. The
//!   sandbox then owns no host file and holds no capability outside its
//!   namespace. A process cannot write such a map for itself (the map's
//!   writer needs CAP_SETUID in the parent namespace), so a helper forked
//!   just before the `unshare` — still privileged in the host namespace —
//!   writes it and exits.
//! - started by anyone else: root in the namespace is the caller's own uid
//!   and gid (the one map an unprivileged process may write), with
//!   setgroups denied.
//!
//! Then the sandbox becomes root *in* the namespace (setresuid/setresgid
//! to 0, no supplementary groups), which keeps its capabilities there for
//! the next steps (pivot_root needs CAP_SYS_ADMIN; `caps` drops them all).
//!
//! ptrace: the Sentry traces its stub processes as the same uid, which is
//! allowed without any capability as long as the stubs are *dumpable*.
//! Changing uid makes a process non-dumpable (and its forks with it), and a
//! non-dumpable stub could then only be traced with CAP_SYS_PTRACE in the
//! namespace its memory was created in — the host's, since runsc was
//! exec'd there. So [`enter`] makes the process dumpable again; once the
//! stubs exist the Sentry itself is made non-dumpable (`isolate::lock_down`),
//! so that other host processes running as `nobody` cannot trace it or
//! read its memory. (The stubs stay dumpable: a host process running as
//! `nobody` could open their /proc/PID/mem. Closing that needs a uid no
//! other host process uses, or a re-exec inside the namespace so that the
//! stubs' memory belongs to it and they can be non-dumpable.)

use rustix::thread::UnshareFlags;
use std::io::{Read, Write};

/// The host's `nobody`, which root in the sandbox is when root starts it.
pub const NOBODY: u32 = 65534;

/// How root in the sandbox's user namespace maps to the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub host_uid: u32,
    pub host_gid: u32,
}

/// Unshare a user namespace with `also` (namespaces it will own), map root
/// in it as the module comment says, and become that root. The caller must
/// be single-threaded.
pub fn enter(also: UnshareFlags) -> Result<Mapping, String> {
    let privileged = rustix::process::geteuid().is_root();
    let map = if privileged {
        Mapping {
            host_uid: NOBODY,
            host_gid: NOBODY,
        }
    } else {
        Mapping {
            host_uid: rustix::process::geteuid().as_raw(),
            host_gid: rustix::process::getegid().as_raw(),
        }
    };
    let flags = UnshareFlags::NEWUSER | also;
    if privileged {
        unshare_with_helper(flags, map)?;
    } else {
        unshare(flags)?;
        write_maps("self", map, true)?;
    }
    become_root(privileged)?;
    Ok(map)
}

fn unshare(flags: UnshareFlags) -> Result<(), String> {
    // SAFETY: CLONE_FILES and CLONE_FS are not among the flags, and the
    // process is single-threaded (the kernel checks it for CLONE_NEWUSER).
    unsafe { rustix::thread::unshare_unsafe(flags) }
        .map_err(|e| format!("unshare({}): {e}", describe(flags)))
}

/// Names of the namespaces in `flags`, for messages.
fn describe(flags: UnshareFlags) -> String {
    let names = [
        (UnshareFlags::NEWUSER, "CLONE_NEWUSER"),
        (UnshareFlags::NEWNS, "CLONE_NEWNS"),
        (UnshareFlags::NEWIPC, "CLONE_NEWIPC"),
        (UnshareFlags::NEWUTS, "CLONE_NEWUTS"),
        (UnshareFlags::NEWNET, "CLONE_NEWNET"),
        (UnshareFlags::NEWCGROUP, "CLONE_NEWCGROUP"),
    ];
    names
        .iter()
        .filter(|(f, _)| flags.contains(*f))
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join("|")
}

/// Unshare with a forked helper writing the maps from the host namespace.
fn unshare_with_helper(flags: UnshareFlags, map: Mapping) -> Result<(), String> {
    // Our pid as the host's /proc names it (getpid() says 1 in our own PID
    // namespace; /proc is still the host's here).
    let host_pid = std::fs::read_link("/proc/self")
        .map_err(|e| format!("/proc/self: {e}"))?
        .to_string_lossy()
        .into_owned();
    let (go_r, go_w) = std::io::pipe().map_err(|e| format!("pipe: {e}"))?;
    let (res_r, res_w) = std::io::pipe().map_err(|e| format!("pipe: {e}"))?;
    // SAFETY: the process is single-threaded (required for the unshare
    // below anyway), so the child may use the allocator and std freely.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!(
            "fork (user namespace helper): {}",
            std::io::Error::last_os_error()
        ));
    }
    if pid == 0 {
        drop(go_w);
        drop(res_r);
        let mut go = go_r;
        let mut res = res_w;
        let mut b = [0u8; 1];
        let code = match go.read(&mut b) {
            Ok(1) => match write_maps(&host_pid, map, false) {
                Ok(()) => 0,
                Err(e) => {
                    let _ = res.write_all(e.as_bytes());
                    1
                }
            },
            // The parent gave up (its unshare failed).
            _ => 2,
        };
        // SAFETY: _exit ends the forked child without running the parent's
        // atexit handlers or destructors.
        unsafe { libc::_exit(code) };
    }
    drop(go_r);
    drop(res_w);
    let unshared = unshare(flags);
    let mut go = go_w;
    if unshared.is_ok() {
        let _ = go.write_all(b"g");
    }
    drop(go);
    let mut why = String::new();
    let mut res = res_r;
    let _ = res.read_to_string(&mut why);
    let mut status = 0;
    // SAFETY: waitpid on our own child with a valid status pointer.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    unshared?;
    if r != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        if why.is_empty() {
            why = format!("the helper ended with status {status:#x}");
        }
        return Err(format!("mapping the sandbox's user namespace: {why}"));
    }
    Ok(())
}

/// Write the uid and gid maps of process `pid` ("self" or a host pid):
/// root inside is `map` outside. `deny_setgroups`: needed (and only
/// allowed) when the writer maps its own ids without privilege.
fn write_maps(pid: &str, map: Mapping, deny_setgroups: bool) -> Result<(), String> {
    let write = |file: &str, text: String| {
        let path = format!("/proc/{pid}/{file}");
        std::fs::write(&path, text).map_err(|e| format!("writing {path}: {e}"))
    };
    if deny_setgroups {
        write("setgroups", "deny".into())?;
    }
    write("uid_map", format!("0 {} 1\n", map.host_uid))?;
    write("gid_map", format!("0 {} 1\n", map.host_gid))
}

/// Become uid and gid 0 of the namespace, with no supplementary groups
/// (a root caller's would otherwise stay, unmapped), and dumpable again.
fn become_root(may_setgroups: bool) -> Result<(), String> {
    let os = |what: &str| format!("{what}: {}", std::io::Error::last_os_error());
    // SAFETY: setresgid/setgroups/setresuid take integers and a null list;
    // the process is single-threaded, so changing only this thread's
    // credentials (the raw syscalls) changes the process's.
    unsafe {
        if libc::syscall(libc::SYS_setresgid, 0, 0, 0) != 0 {
            return Err(os("setresgid(0) in the user namespace"));
        }
        if may_setgroups && libc::syscall(libc::SYS_setgroups, 0, std::ptr::null::<u32>()) != 0 {
            return Err(os("setgroups([]) in the user namespace"));
        }
        if libc::syscall(libc::SYS_setresuid, 0, 0, 0) != 0 {
            return Err(os("setresuid(0) in the user namespace"));
        }
    }
    // See the module comment: the stubs forked from us must be traceable.
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::Dumpable)
        .map_err(|e| format!("PR_SET_DUMPABLE: {e}"))
}
