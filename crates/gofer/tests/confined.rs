//! A fully confined Gofer (mount namespace, pivot_root, capabilities,
//! no_new_privs, the seccomp allowlist) still serves reads and, when
//! writable, every change — and is confined as the design says.
//!
//! The Gofer runs in a child process: this test binary re-executed with
//! `CHILD_ENV` set runs only `child_gofer`, which becomes the Gofer.

mod support;

use abi::Errno;
use proto::{lopen, Fid, Rmessage, Tmessage};
use rustix::net::{AddressFamily, SocketFlags, SocketType};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Command, Stdio};
use support::{err, temp_dir, Client};

const CHILD_ENV: &str = "RVISOR_GOFER_TEST_CHILD";

/// Not a test of its own: the Gofer, when re-executed by the tests below.
#[test]
fn child_gofer() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (fd, mount) = spec.split_once(' ').unwrap();
    let fd: i32 = fd.parse().unwrap();
    // SAFETY: the parent passed this fd for the Gofer's use only.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    let r = gofer::run(gofer::Options {
        sock,
        mounts: vec![gofer::MountSpec::parse(mount).unwrap()],
        unconfined: false,
    });
    let code = match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            3
        }
    };
    // SAFETY: _exit ends the process at once; no Rust state is used after.
    unsafe { libc::_exit(code) };
}

/// Starts a confined Gofer serving `mount` (NAME:MODE:PATH).
fn spawn(mount: &str) -> (Client, std::process::Child) {
    let (ours, theirs) = rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    let inherited = rustix::io::dup(&theirs).unwrap();
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_gofer", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{} {mount}", inherited.as_raw_fd()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    drop(inherited);
    drop(theirs);
    (Client::new(ours), child)
}

/// `field` of /proc/PID/task/TID/status for every thread of `pid`, in
/// the order of `threads`.
fn status_fields(pid: u32, field: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tid in threads(pid) {
        let path = format!("/proc/{pid}/task/{tid}/status");
        let Ok(s) = std::fs::read_to_string(path) else {
            continue;
        };
        if let Some(v) = s
            .lines()
            .find_map(|l| l.strip_prefix(field).map(|v| v.trim().to_string()))
        {
            out.push(v);
        }
    }
    out
}

fn threads(pid: u32) -> Vec<u32> {
    let mut t: Vec<u32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    t.sort();
    t
}

/// Whether this machine lets a test make namespaces at all.
fn namespaces_available() -> bool {
    rustix::process::geteuid().is_root()
        || std::fs::read_to_string("/proc/sys/kernel/unprivileged_userns_clone")
            .map(|s| s.trim() == "1")
            .unwrap_or(true)
}

#[test]
fn a_confined_read_only_gofer_serves_and_cannot_write() {
    if !namespaces_available() {
        eprintln!("skipped: no namespaces here");
        return;
    }
    let t = temp_dir("confined-ro");
    std::fs::create_dir(t.0.join("d")).unwrap();
    std::fs::write(t.0.join("d/f"), b"data").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", t.0.join("l")).unwrap();
    let (mut c, mut child) = spawn(&format!("root:ro:{}", t.0.display()));
    assert!(matches!(c.attach("root"), Rmessage::Attach { .. }));
    // Confined: seccomp on, no new privileges, the namespace holds only
    // the scratch root and the served tree.
    // (The Gofer is the thread of the test harness that runs child_gofer.)
    let pid = child.id();
    let seccomp = status_fields(pid, "Seccomp:");
    let gofer_thread = seccomp.iter().position(|v| v == "2");
    let Some(i) = gofer_thread else {
        panic!("no thread under seccomp: {seccomp:?}");
    };
    assert_eq!(status_fields(pid, "NoNewPrivs:")[i], "1");
    let capeff = u64::from_str_radix(&status_fields(pid, "CapEff:")[i], 16).unwrap();
    // CAP_DAC_OVERRIDE (1) and CAP_DAC_READ_SEARCH (2).
    let allowed: u64 = (1 << 1) | (1 << 2);
    assert_eq!(capeff & !allowed, 0, "CapEff {capeff:#x}");
    let tid = threads(pid)[i];
    let task = format!("/proc/{pid}/task/{tid}");
    let mountinfo = std::fs::read_to_string(format!("{task}/mountinfo")).unwrap();
    assert!(
        mountinfo.lines().count() < 10,
        "the Gofer sees the host's mounts:\n{mountinfo}"
    );
    assert!(mountinfo.contains("rvisor-gofer"), "{mountinfo}");
    assert_eq!(
        std::fs::read_link(format!("{task}/root")).unwrap(),
        std::path::Path::new("/")
    );
    // Serving works under the filter.
    assert_eq!(c.read_file(1, &[b"d", b"f"]).unwrap(), b"data");
    assert_eq!(c.read_file(1, &[b"l"]), Err(Errno::ELOOP));
    c.walk(0, 2, &[b"d"]);
    c.rpc(Tmessage::Lopen {
        fid: Fid(2),
        flags: lopen::RDONLY,
    });
    match c.call(Tmessage::Readdir {
        fid: Fid(2),
        offset: 0,
        count: 4096,
    }) {
        Rmessage::Readdir { entries } => assert_eq!(entries.len(), 1),
        r => panic!("{r:?}"),
    }
    assert!(matches!(
        c.call(Tmessage::Statfs { fid: Fid(0) }),
        Rmessage::Statfs(_)
    ));
    assert_eq!(
        err(&c.call(Tmessage::Mkdir {
            dfid: Fid(0),
            name: b"x".to_vec(),
            mode: 0o755,
            gid: 0
        })),
        Errno::EROFS
    );
    drop(c);
    let st = child.wait().unwrap();
    assert!(st.success(), "the Gofer ended with {st}");
}

#[test]
fn a_confined_writable_gofer_makes_every_change() {
    if !namespaces_available() {
        eprintln!("skipped: no namespaces here");
        return;
    }
    let t = temp_dir("confined-rw");
    std::fs::write(t.0.join("f"), b"0123456789").unwrap();
    let (mut c, mut child) = spawn(&format!("root:rw:{}", t.0.display()));
    c.attach("root");
    c.walk(0, 1, &[]);
    let (r, fd) = c.rpc(Tmessage::Lcreate {
        fid: Fid(1),
        name: b"new".to_vec(),
        flags: lopen::RDWR,
        mode: 0o644,
        gid: 0,
    });
    assert!(matches!(r, Rmessage::Lcreate { .. }), "{r:?}");
    rustix::io::pwrite(fd.unwrap(), b"abc", 0).unwrap();
    let ok = |r: Rmessage| assert!(r.errno().is_none(), "{r:?}");
    ok(c.call(Tmessage::Mkdir {
        dfid: Fid(0),
        name: b"dir".to_vec(),
        mode: 0o755,
        gid: 0,
    }));
    ok(c.call(Tmessage::Symlink {
        dfid: Fid(0),
        name: b"sl".to_vec(),
        target: b"new".to_vec(),
        gid: 0,
    }));
    ok(c.call(Tmessage::Mknod {
        dfid: Fid(0),
        name: b"fifo".to_vec(),
        mode: 0o010644,
        major: 0,
        minor: 0,
        gid: 0,
    }));
    c.walk(0, 2, &[b"f"]);
    ok(c.call(Tmessage::Link {
        dfid: Fid(0),
        fid: Fid(2),
        name: b"hard".to_vec(),
    }));
    ok(c.call(Tmessage::Setattr {
        fid: Fid(2),
        attr: proto::SetAttr {
            valid: proto::setattr::MODE
                | proto::setattr::UID
                | proto::setattr::GID
                | proto::setattr::SIZE
                | proto::setattr::ATIME
                | proto::setattr::MTIME,
            mode: 0o600,
            uid: 0,
            gid: 0,
            size: 4,
            ..Default::default()
        },
    }));
    ok(c.call(Tmessage::Renameat {
        olddirfid: Fid(0),
        oldname: b"hard".to_vec(),
        newdirfid: Fid(0),
        newname: b"hard2".to_vec(),
    }));
    ok(c.call(Tmessage::Unlinkat {
        dfid: Fid(0),
        name: b"hard2".to_vec(),
        flags: 0,
    }));
    let (r, fd) = c.rpc(Tmessage::Lopen {
        fid: Fid(2),
        flags: lopen::RDWR,
    });
    ok(r);
    rustix::io::pwrite(fd.unwrap(), b"xy", 0).unwrap();
    ok(c.call(Tmessage::Fsync {
        fid: Fid(2),
        datasync: 0,
    }));
    drop(c);
    let st = child.wait().unwrap();
    assert!(st.success(), "the Gofer ended with {st}");
    assert_eq!(std::fs::read(t.0.join("f")).unwrap(), b"xy23");
    assert_eq!(std::fs::read(t.0.join("new")).unwrap(), b"abc");
    assert!(t.0.join("dir").is_dir());
    assert!(!t.0.join("hard2").exists());
}
