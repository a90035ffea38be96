//! The sandbox's isolation, seen from both sides (design §13; `runsc boot`'s
//! `sandbox::isolate`):
//!
//! - from the host: /proc/PID of the sandbox process shows a seccomp filter in force, no
//!   capability in any set (the Sentry keeps none: `sandbox::caps::TABLE`), no_new_privs,
//!   the host's `nobody` as its ids (when the test runs as root), namespaces of its own
//!   (user, mount, pid, ipc, uts, net, cgroup), an empty root holding only /proc/cpuinfo,
//!   and none of the caller's environment;
//! - from the application: it cannot open a host path outside its root (`..`, an absolute
//!   symlink planted in the rootfs, the host's /proc), cannot signal a host process (the
//!   sandbox has its own pid space: ESRCH), and sees no host process in /proc.
//!
//! Shares `oci_env` with the other OCI tests; skipped with `RVISOR_NATIVE_ONLY=1`.

mod oci_env;

use oci_env::*;
use std::fs;
use std::time::{Duration, Instant};

/// `Name:\tvalue` of /proc/PID/status.
fn status_field(pid: i32, name: &str) -> String {
    let text = read(std::path::Path::new(&format!("/proc/{pid}/status")));
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| panic!("/proc/{pid}/status has no {name}: {text}"))
}

fn ns_link(pid: &str, ns: &str) -> String {
    fs::read_link(format!("/proc/{pid}/ns/{ns}"))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|e| panic!("/proc/{pid}/ns/{ns}: {e}"))
}

#[test]
fn sandbox_process_is_confined() {
    let Some(e) = env("confined") else { return };
    let b = e.bundle("b", &["sleep", "100"], |_| {});
    let out = e.create(&b, "s1", &[]);
    assert_eq!(out.code, 0, "create: {out:?}");
    // Created: no application code has run, and the sandbox is already locked down.
    let pid = e.state("s1")["pid"].as_i64().expect("pid") as i32;

    assert_eq!(
        status_field(pid, "Seccomp"),
        "2",
        "a seccomp filter is in force"
    );
    for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(
            status_field(pid, set),
            "0000000000000000",
            "{set}: the Sentry keeps no capability"
        );
    }
    assert_eq!(status_field(pid, "NoNewPrivs"), "1");
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        assert_eq!(
            status_field(pid, "Uid"),
            "65534\t65534\t65534\t65534",
            "root in the sandbox is the host's nobody"
        );
        assert_eq!(status_field(pid, "Gid"), "65534\t65534\t65534\t65534");
        assert_eq!(status_field(pid, "Groups"), "", "no supplementary groups");
    }
    // PID 1 of a PID namespace of its own.
    let nspid = status_field(pid, "NSpid");
    assert!(nspid.ends_with("\t1"), "NSpid: {nspid}");
    for ns in ["user", "mnt", "pid", "ipc", "uts", "net", "cgroup"] {
        assert_ne!(
            ns_link(&pid.to_string(), ns),
            ns_link("self", ns),
            "the sandbox has its own {ns} namespace"
        );
    }
    // An empty root: nothing but the copy of /proc/cpuinfo.
    let mut root: Vec<String> = fs::read_dir(format!("/proc/{pid}/root"))
        .expect("the sandbox's root")
        .flatten()
        .map(|d| d.file_name().to_string_lossy().into_owned())
        .collect();
    root.sort();
    assert_eq!(root, ["proc"], "the sandbox's root holds only proc/cpuinfo");
    let env = fs::read(format!("/proc/{pid}/environ")).expect("environ");
    for var in env.split(|&b| b == 0).filter(|v| !v.is_empty()) {
        assert!(
            var.starts_with(b"RVISOR_"),
            "the caller's environment reached the sandbox: {}",
            String::from_utf8_lossy(var)
        );
    }
    // The Gofer, its child, is confined by its own means (crates/gofer); the stubs
    // are the sandbox's too: everything it forked shares its PID namespace.
    for child in live_descendants() {
        if stat(child).is_some_and(|(_, ppid)| ppid == pid) {
            assert_eq!(
                ns_link(&child.to_string(), "pid"),
                ns_link(&pid.to_string(), "pid")
            );
        }
    }

    assert_eq!(e.cmd(&["delete", "--force", "s1"]).code, 0);
    assert_nothing_left("after delete");
}

#[test]
fn application_cannot_reach_the_host() {
    let Some(e) = env("reach") else { return };
    let me = std::process::id();
    // A file next to the root filesystem, and a symlink inside it aiming at it.
    let script = format!(
        "for p in /../secret ../../secret /escape /escape-dir/secret /proc/{me}/root/etc/hostname; do \
           if cat $p >/dev/null 2>&1; then echo \"read $p\"; else echo \"no $p\"; fi; \
         done; \
         kill -0 {me} 2>&1 || echo kill-failed; \
         if [ -e /proc/{me} ]; then echo host-pid-visible; fi; \
         echo pids $(ls /proc | grep -c '^[0-9][0-9]*$'); \
         echo init $(cat /proc/1/cmdline | tr '\\0' ' ')"
    );
    let b = e.bundle("b", &["sh", "-c", &script], |_| {});
    fs::write(b.join("secret"), "host secret\n").expect("secret");
    let secret = fs::canonicalize(b.join("secret")).expect("secret path");
    std::os::unix::fs::symlink(&secret, b.join("rootfs/escape")).expect("symlink");
    std::os::unix::fs::symlink(b.to_str().expect("path"), b.join("rootfs/escape-dir"))
        .expect("symlink");

    assert_eq!(e.create(&b, "r1", &[]).code, 0);
    assert_eq!(e.cmd(&["start", "r1"]).code, 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !e.output("r1").contains("init ") {
        assert!(Instant::now() < deadline, "output: {:?}", e.output("r1"));
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = e.output("r1");
    for p in [
        "/../secret".to_string(),
        "../../secret".into(),
        "/escape".into(),
        "/escape-dir/secret".into(),
        format!("/proc/{me}/root/etc/hostname"),
    ] {
        assert!(
            out.lines().any(|l| l == format!("no {p}")),
            "the application read {p} outside its root: {out}"
        );
    }
    // (Line by line: the last line repeats the script, as init's command line.)
    let has = |line: &str| out.lines().any(|l| l == line);
    assert!(
        has(&format!("sh: can't kill pid {me}: No such process")) && has("kill-failed"),
        "kill of a host pid from inside fails with ESRCH: {out}"
    );
    assert!(!has("host-pid-visible"), "{out}");
    let pids: usize = out
        .lines()
        .find_map(|l| l.strip_prefix("pids "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(usize::MAX);
    assert!(
        pids <= 4,
        "the sandbox's /proc lists only its own processes: {out}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("init sh -c ")),
        "PID 1 is the container's init: {out}"
    );
    assert_eq!(e.cmd(&["delete", "--force", "r1"]).code, 0);
    assert_nothing_left("after delete");
}
