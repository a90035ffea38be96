//! Single-file trees (bind mounts of a file): Tattach answers with the
//! file itself, which opens, reads and (in a writable tree) writes the
//! host file; nothing else of its directory is reachable; a read-only one
//! refuses writes. Served in-process (walk rules) and by a confined
//! child Gofer next to a directory tree (the bind on the scratch root).

mod support;

use proto::{lopen, qid_type, Fid, Rmessage, Tmessage};
use rustix::net::{AddressFamily, SocketFlags, SocketType};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Command, Stdio};
use support::{err, start, temp_dir, Client};

const CHILD_ENV: &str = "RVISOR_GOFER_FILE_TREE_CHILD";

fn attach_qid(c: &mut Client, aname: &str) -> proto::Qid {
    match c.attach(aname) {
        Rmessage::Attach { qid } => qid,
        r => panic!("attach {aname}: {r:?}"),
    }
}

fn check_file_tree(c: &mut Client, writable: bool) {
    let qid = attach_qid(c, "hosts");
    assert_eq!(qid.ty & qid_type::DIR, 0, "the tree is the file");
    // Reads through a clone of the root fid.
    assert_eq!(c.read_file(5, &[]).unwrap(), b"127.0.0.1 localhost\n");
    // Nothing beside or below it.
    assert_eq!(err(&c.walk(0, 6, &[b"secret"])), abi::Errno::ENOTDIR);
    c.walk(0, 7, &[]);
    let r = c.call(Tmessage::Lopen {
        fid: Fid(7),
        flags: lopen::WRONLY,
    });
    if writable {
        assert!(matches!(r, Rmessage::Lopen { .. }), "{r:?}");
        let w = c.call(Tmessage::Write {
            fid: Fid(7),
            offset: 0,
            data: b"127.0.0.2".to_vec(),
        });
        assert!(matches!(w, Rmessage::Write { count: 9 }), "{w:?}");
    } else {
        assert_eq!(err(&r), abi::Errno::EROFS);
    }
    c.clunk(7);
}

#[test]
fn a_file_tree_serves_only_its_file() {
    for writable in [false, true] {
        let d = temp_dir("filetree");
        std::fs::write(d.0.join("hosts"), "127.0.0.1 localhost\n").unwrap();
        std::fs::write(d.0.join("secret"), "no").unwrap();
        let (mut c, t) = start(&[("hosts", &d.0.join("hosts"), writable)]);
        check_file_tree(&mut c, writable);
        drop(c);
        t.join().unwrap();
        let now = std::fs::read_to_string(d.0.join("hosts")).unwrap();
        if writable {
            assert_eq!(
                now, "127.0.0.2 localhost\n",
                "the write reached the host file"
            );
        } else {
            assert_eq!(now, "127.0.0.1 localhost\n");
        }
    }
}

#[test]
fn child_gofer_for_file_trees() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut words = spec.split(' ');
    let fd: i32 = words.next().unwrap().parse().unwrap();
    // SAFETY: the parent passed this fd for the Gofer's use only.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    let mounts = words.map(|m| gofer::MountSpec::parse(m).unwrap()).collect();
    let r = gofer::run(gofer::Options {
        sock,
        mounts,
        unconfined: false,
    });
    let code = if let Err(e) = r {
        eprintln!("{e}");
        3
    } else {
        0
    };
    // SAFETY: _exit ends the process at once; no Rust state is used after.
    unsafe { libc::_exit(code) };
}

#[test]
fn a_confined_gofer_serves_file_trees() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: confining the Gofer with bind mounts needs root here");
        return;
    }
    let d = temp_dir("filetree-confined");
    std::fs::create_dir_all(d.0.join("root")).unwrap();
    std::fs::write(d.0.join("hosts"), "127.0.0.1 localhost\n").unwrap();
    let (ours, theirs) = rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    let inherited = rustix::io::dup(&theirs).unwrap();
    let spec = format!(
        "{} root:ro:{} hosts:rw:{}",
        inherited.as_raw_fd(),
        d.0.join("root").display(),
        d.0.join("hosts").display()
    );
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_gofer_for_file_trees",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, spec)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    drop(inherited);
    drop(theirs);
    let mut c = Client::new(ours);
    check_file_tree(&mut c, true);
    drop(c);
    assert!(child.wait().unwrap().success());
    assert_eq!(
        std::fs::read_to_string(d.0.join("hosts")).unwrap(),
        "127.0.0.2 localhost\n"
    );
}
