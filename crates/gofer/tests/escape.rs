//! No request reaches a host file outside the served tree: "..", names
//! with '/', over-long names, absolute and relative symlinks, a directory
//! swapped for a symlink while a walk runs, hostile fids and frames.

mod support;

use abi::Errno;
use proto::{lopen, Fid, Rmessage, Tmessage};
use std::os::unix::fs::symlink;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use support::{err, start, temp_dir, TempDir};

const SECRET: &[u8] = b"SECRET outside the served tree\n";

/// `base/outside/{secret,f}` hold SECRET; `base/root` is served:
/// ```text
/// file = "inside"            dir/f = "inside-dir"      swap/f = "inside-swap"
/// abs -> base/outside        absfile -> base/outside/secret
/// rel -> ../outside          swaplink -> base/outside (swapped with swap)
/// ```
fn tree() -> (TempDir, std::path::PathBuf) {
    let t = temp_dir("escape");
    let base = t.0.clone();
    let outside = base.join("outside");
    let root = base.join("root");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(root.join("dir")).unwrap();
    std::fs::create_dir_all(root.join("swap")).unwrap();
    std::fs::write(outside.join("secret"), SECRET).unwrap();
    std::fs::write(outside.join("f"), SECRET).unwrap();
    std::fs::write(root.join("file"), b"inside").unwrap();
    std::fs::write(root.join("dir/f"), b"inside-dir").unwrap();
    std::fs::write(root.join("swap/f"), b"inside-swap").unwrap();
    symlink(&outside, root.join("abs")).unwrap();
    symlink(outside.join("secret"), root.join("absfile")).unwrap();
    symlink("../outside", root.join("rel")).unwrap();
    symlink(&outside, root.join("swaplink")).unwrap();
    (t, root)
}

#[test]
fn dotdot_and_slashes_are_refused() {
    let (t, root) = tree();
    let (mut c, srv) = start(&[("root", &root, true)]);
    assert!(matches!(c.attach("root"), Rmessage::Attach { .. }));
    for bad in [
        &b".."[..],
        b".",
        b"a/b",
        b"/",
        b"/etc",
        b"x\0y",
        b"../outside",
    ] {
        let r = c.walk(0, 1, &[bad]);
        assert_eq!(
            err(&r),
            Errno::EINVAL,
            "walk {:?}",
            String::from_utf8_lossy(bad)
        );
    }
    assert_eq!(err(&c.walk(0, 1, &[b""])), Errno::ENOENT);
    assert_eq!(err(&c.walk(0, 1, &[&[b'n'; 256]])), Errno::ENAMETOOLONG);
    // A later bad name ends the walk short: newfid stays unbound.
    match c.walk(0, 1, &[b"dir", b".."]) {
        Rmessage::Walk { qids } => assert_eq!(qids.len(), 1),
        r => panic!("{r:?}"),
    }
    let r = c.call(Tmessage::Getattr {
        fid: Fid(1),
        request_mask: proto::getattr::BASIC,
    });
    assert_eq!(err(&r), Errno::EBADF);
    // The same names in every changing request.
    let bad_names: [&[u8]; 4] = [b"..", b"../escaped", b"a/b", b"/tmp/escaped"];
    for bad in bad_names {
        let n = bad.to_vec();
        let reqs = [
            Tmessage::Mkdir {
                dfid: Fid(0),
                name: n.clone(),
                mode: 0o755,
                gid: 0,
            },
            Tmessage::Symlink {
                dfid: Fid(0),
                name: n.clone(),
                target: b"x".to_vec(),
                gid: 0,
            },
            Tmessage::Mknod {
                dfid: Fid(0),
                name: n.clone(),
                mode: 0o010644,
                major: 0,
                minor: 0,
                gid: 0,
            },
            Tmessage::Unlinkat {
                dfid: Fid(0),
                name: n.clone(),
                flags: 0,
            },
            Tmessage::Renameat {
                olddirfid: Fid(0),
                oldname: b"file".to_vec(),
                newdirfid: Fid(0),
                newname: n.clone(),
            },
            Tmessage::Renameat {
                olddirfid: Fid(0),
                oldname: n.clone(),
                newdirfid: Fid(0),
                newname: b"stolen".to_vec(),
            },
        ];
        for req in reqs {
            let r = c.call(req.clone());
            assert_eq!(err(&r), Errno::EINVAL, "{req:?}");
        }
        assert!(matches!(c.walk(0, 2, &[]), Rmessage::Walk { .. }));
        let r = c.call(Tmessage::Lcreate {
            fid: Fid(2),
            name: n.clone(),
            flags: lopen::RDWR,
            mode: 0o644,
            gid: 0,
        });
        assert_eq!(err(&r), Errno::EINVAL);
        c.clunk(2);
        assert!(matches!(c.walk(0, 3, &[b"file"]), Rmessage::Walk { .. }));
        let r = c.call(Tmessage::Link {
            dfid: Fid(0),
            fid: Fid(3),
            name: n,
        });
        assert_eq!(err(&r), Errno::EINVAL);
        c.clunk(3);
    }
    // Nothing appeared outside the tree, nothing inside was lost.
    let outside: Vec<_> = std::fs::read_dir(t.0.join("outside")).unwrap().collect();
    assert_eq!(outside.len(), 2);
    assert!(!t.0.join("escaped").exists());
    assert!(!std::path::Path::new("/tmp/escaped").exists());
    assert_eq!(std::fs::read(root.join("file")).unwrap(), b"inside");
    drop(c);
    let (_, fids) = srv.join().unwrap();
    assert_eq!(fids, 1, "only the root fid is left");
}

#[test]
fn symlinks_are_returned_never_followed() {
    let (_t, root) = tree();
    let (mut c, _srv) = start(&[("root", &root, false)]);
    c.attach("root");
    for link in [&b"abs"[..], b"absfile", b"rel"] {
        match c.walk(0, 1, &[link]) {
            Rmessage::Walk { qids } => {
                assert_eq!(qids.len(), 1);
                assert_eq!(qids[0].ty, proto::qid_type::SYMLINK);
            }
            r => panic!("{r:?}"),
        }
        // Opening the link itself: ELOOP, no fd.
        let (r, fd) = c.rpc(Tmessage::Lopen {
            fid: Fid(1),
            flags: lopen::RDONLY,
        });
        assert_eq!(err(&r), Errno::ELOOP);
        assert!(fd.is_none());
        // Readlink gives the text, nothing more.
        match c.call(Tmessage::Readlink { fid: Fid(1) }) {
            Rmessage::Readlink { target } => assert!(!target.is_empty()),
            r => panic!("{r:?}"),
        }
        c.clunk(1);
        // Walking through it: not a directory.
        match c.walk(0, 1, &[link, b"secret"]) {
            Rmessage::Walk { qids } => assert_eq!(qids.len(), 1, "stopped at the link"),
            r => panic!("{r:?}"),
        }
        assert_eq!(
            c.read_file(1, &[link, b"secret"]),
            Err(Errno::ENOENT),
            "a walk through a symlink must stop"
        );
    }
    assert_eq!(c.read_file(1, &[b"absfile"]), Err(Errno::ELOOP));
    assert_eq!(c.read_file(1, &[b"file"]).unwrap(), b"inside");
}

#[test]
fn a_directory_swapped_for_a_symlink_mid_walk_never_leads_outside() {
    let (_t, root) = tree();
    let (mut c, _srv) = start(&[("root", &root, false)]);
    c.attach("root");
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let stop = stop.clone();
        let root = root.clone();
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                // swap <-> swaplink: "swap" is by turns the directory and a
                // symlink to the outside directory.
                rustix::fs::renameat_with(
                    rustix::fs::CWD,
                    root.join("swap").as_path(),
                    rustix::fs::CWD,
                    root.join("swaplink").as_path(),
                    rustix::fs::RenameFlags::EXCHANGE,
                )
                .unwrap();
                n += 1;
            }
            n
        })
    };
    let (mut inside, mut refused) = (0, 0);
    for i in 0..3000u32 {
        let fid = 10 + (i % 2);
        // In one walk, and in two steps from a held fid.
        let got = if i % 2 == 0 {
            c.read_file(fid, &[b"swap", b"f"])
        } else {
            match c.walk(0, 100, &[b"swap"]) {
                Rmessage::Walk { .. } => {
                    let r = match c.walk(100, fid, &[b"f"]) {
                        Rmessage::Walk { .. } => {
                            let (r, fd) = c.rpc(Tmessage::Lopen {
                                fid: Fid(fid),
                                flags: lopen::RDONLY,
                            });
                            c.clunk(fid);
                            match (r.errno(), fd) {
                                (None, Some(fd)) => {
                                    let mut buf = vec![0u8; 64];
                                    let n = rustix::io::pread(&fd, &mut buf, 0).unwrap();
                                    buf.truncate(n);
                                    Ok(buf)
                                }
                                (Some(e), _) => Err(e),
                                _ => panic!("Rlopen without an fd"),
                            }
                        }
                        r => Err(err(&r)),
                    };
                    c.clunk(100);
                    r
                }
                r => Err(err(&r)),
            }
        };
        match got {
            Ok(data) => {
                assert_ne!(data, SECRET, "read a file outside the tree (try {i})");
                assert_eq!(data, b"inside-swap");
                inside += 1;
            }
            Err(_) => refused += 1,
        }
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    assert!(swaps > 100, "the race did not run ({swaps} swaps)");
    assert!(
        inside > 0 && refused > 0,
        "inside {inside}, refused {refused}"
    );
}

#[test]
fn hostile_fids_and_requests_get_errors() {
    let (_t, root) = tree();
    let (mut c, _srv) = start(&[("root", &root, false)]);
    // Nothing before Tversion.
    let r = c.call(Tmessage::Attach {
        fid: Fid(0),
        afid: Fid::NONE,
        uname: Vec::new(),
        aname: b"root".to_vec(),
        n_uname: 0,
    });
    assert_eq!(err(&r), Errno::EPROTO);
    c.version();
    for aname in ["", "..", "/", "root/..", "other"] {
        let r = c.call(Tmessage::Attach {
            fid: Fid(0),
            afid: Fid::NONE,
            uname: Vec::new(),
            aname: aname.as_bytes().to_vec(),
            n_uname: 0,
        });
        assert_eq!(err(&r), Errno::ENOENT, "aname {aname:?}");
    }
    assert!(matches!(c.attach("root"), Rmessage::Attach { .. }));
    // Unknown fids, NOFID, a fid in use.
    assert_eq!(err(&c.walk(7, 8, &[])), Errno::EBADF);
    assert_eq!(err(&c.walk(0, Fid::NONE.0, &[])), Errno::EBADF);
    assert!(matches!(c.walk(0, 1, &[]), Rmessage::Walk { .. }));
    assert_eq!(err(&c.walk(0, 1, &[b"file"])), Errno::EBADF);
    assert_eq!(err(&c.clunk(99)), Errno::EBADF);
    // A read-only tree refuses every change.
    let r = c.call(Tmessage::Mkdir {
        dfid: Fid(0),
        name: b"new".to_vec(),
        mode: 0o755,
        gid: 0,
    });
    assert_eq!(err(&r), Errno::EROFS);
    assert!(matches!(c.walk(0, 2, &[b"file"]), Rmessage::Walk { .. }));
    let (r, fd) = c.rpc(Tmessage::Lopen {
        fid: Fid(2),
        flags: lopen::RDWR,
    });
    assert_eq!(err(&r), Errno::EROFS);
    assert!(fd.is_none());
    let r = c.call(Tmessage::Setattr {
        fid: Fid(2),
        attr: proto::SetAttr {
            valid: proto::setattr::SIZE,
            ..Default::default()
        },
    });
    assert_eq!(err(&r), Errno::EROFS);
    // Reads of an unopened fid, and a huge count, are bounded.
    let r = c.call(Tmessage::Read {
        fid: Fid(2),
        offset: 0,
        count: u32::MAX,
    });
    assert_eq!(err(&r), Errno::EBADF);
    let (r, _fd) = c.rpc(Tmessage::Lopen {
        fid: Fid(2),
        flags: lopen::RDONLY,
    });
    assert!(r.errno().is_none());
    match c.call(Tmessage::Read {
        fid: Fid(2),
        offset: 0,
        count: u32::MAX,
    }) {
        Rmessage::Read { data } => assert_eq!(data, b"inside"),
        r => panic!("{r:?}"),
    }
    // Directory reads with silly counts.
    assert!(matches!(c.walk(0, 3, &[]), Rmessage::Walk { .. }));
    c.rpc(Tmessage::Lopen {
        fid: Fid(3),
        flags: lopen::RDONLY,
    });
    let r = c.call(Tmessage::Readdir {
        fid: Fid(3),
        offset: 0,
        count: 0,
    });
    assert_eq!(err(&r), Errno::EINVAL);
    match c.call(Tmessage::Readdir {
        fid: Fid(3),
        offset: u64::MAX,
        count: u32::MAX,
    }) {
        Rmessage::Readdir { .. } | Rmessage::Lerror { .. } => {}
        r => panic!("{r:?}"),
    }
}

/// Frames with a sound header but any body get an answer; frames that
/// break the framing end the connection; the server never panics.
#[test]
fn garbage_frames_never_crash_the_server() {
    let (_t, root) = tree();
    let (mut c, srv) = start(&[("root", &root, false)]);
    c.attach("root");
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..3000u32 {
        let len = 7 + (next() % 64) as usize;
        let mut frame: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        frame[..4].copy_from_slice(&(len as u32).to_le_bytes());
        // Mostly real request types, so bodies get decoded and handled.
        if i % 4 != 0 {
            frame[4] = [
                proto::msg_type::TWALK,
                proto::msg_type::TLOPEN,
                proto::msg_type::TGETATTR,
                proto::msg_type::TREADDIR,
                proto::msg_type::TMKDIR,
                proto::msg_type::TRENAMEAT,
                proto::msg_type::TCLUNK,
                proto::msg_type::TREAD,
            ][(next() % 8) as usize];
        }
        if frame[4] == proto::msg_type::TVERSION {
            frame[4] = proto::msg_type::TFLUSH;
        }
        c.send_raw(&frame);
        let (reply, _fds) = c.recv().expect("a sound frame closed the connection");
        let (tag, _r) = Rmessage::decode(&reply).expect("the reply decodes");
        assert_eq!(tag.to_le_bytes(), [frame[5], frame[6]]);
    }
    // The tree is intact and the session still works.
    assert_eq!(c.read_file(500, &[b"file"]).unwrap(), b"inside");
    // A size field that lies: the connection ends, the server returns.
    c.send_raw(&[40, 0, 0, 0, 100, 1, 0, 1, 2]);
    assert!(c.recv().is_none());
    let (end, _) = srv.join().unwrap();
    assert!(matches!(end, gofer::End::Framing(_)), "{end:?}");
}

#[test]
fn file_descriptors_from_the_client_end_the_connection() {
    let (_t, root) = tree();
    let (mut c, srv) = start(&[("root", &root, false)]);
    c.attach("root");
    let mut frame = Vec::new();
    Tmessage::Clunk { fid: Fid(0) }
        .encode(1, &mut frame)
        .unwrap();
    let fd = rustix::fs::open("/", rustix::fs::OFlags::PATH, rustix::fs::Mode::empty()).unwrap();
    c.send_with_fd(&frame, &fd);
    assert!(c.recv().is_none());
    let (end, _) = srv.join().unwrap();
    assert!(matches!(end, gofer::End::Framing(_)), "{end:?}");
}
