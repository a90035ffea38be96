//! The Gofer serves a tree correctly: walks and attributes, listings that
//! span several Treaddir replies, donated fds, and every changing request
//! in a writable tree.

mod support;

use abi::Errno;
use proto::{getattr, lopen, setattr, Fid, Rmessage, SetAttr, Timestamp, Tmessage};
use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use support::{err, start, temp_dir};

fn attr(c: &mut support::Client, fid: u32) -> proto::Attr {
    match c.call(Tmessage::Getattr {
        fid: Fid(fid),
        request_mask: getattr::ALL,
    }) {
        Rmessage::Getattr(a) => a,
        r => panic!("{r:?}"),
    }
}

#[test]
fn walk_getattr_and_donated_fds() {
    let t = temp_dir("proto");
    std::fs::create_dir(t.0.join("d")).unwrap();
    std::fs::write(t.0.join("d/hello"), b"hello world").unwrap();
    let (mut c, _srv) = start(&[("root", &t.0, false)]);
    c.attach("root");
    match c.walk(0, 1, &[b"d", b"hello"]) {
        Rmessage::Walk { qids } => {
            assert_eq!(qids.len(), 2);
            assert_eq!(qids[0].ty, proto::qid_type::DIR);
            assert_eq!(qids[1].ty, proto::qid_type::FILE);
            let md = std::fs::metadata(t.0.join("d/hello")).unwrap();
            assert_eq!(qids[1].path, md.ino());
        }
        r => panic!("{r:?}"),
    }
    let a = attr(&mut c, 1);
    assert_eq!(a.size, 11);
    assert_eq!(a.mode & 0o170000, 0o100000);
    assert_eq!(c.read_file(2, &[b"d", b"hello"]).unwrap(), b"hello world");
    assert_eq!(c.read_file(2, &[b"d", b"nope"]), Err(Errno::ENOENT));
    match c.call(Tmessage::Statfs { fid: Fid(0) }) {
        Rmessage::Statfs(s) => assert!(s.bsize > 0),
        r => panic!("{r:?}"),
    }
}

#[test]
fn listings_span_several_replies() {
    let t = temp_dir("list");
    let mut want = BTreeSet::new();
    for i in 0..3000 {
        let name = format!("entry-with-a-longish-name-{i:05}");
        std::fs::write(t.0.join(&name), b"").unwrap();
        want.insert(name.into_bytes());
    }
    std::os::unix::fs::symlink("x", t.0.join("link")).unwrap();
    want.insert(b"link".to_vec());
    let (mut c, _srv) = start(&[("root", &t.0, false)]);
    c.attach("root");
    c.walk(0, 1, &[]);
    let (r, fd) = c.rpc(Tmessage::Lopen {
        fid: Fid(1),
        flags: lopen::RDONLY,
    });
    assert!(r.errno().is_none() && fd.is_some());
    let mut got = BTreeSet::new();
    let mut offset = 0;
    let mut replies = 0;
    loop {
        let entries = match c.call(Tmessage::Readdir {
            fid: Fid(1),
            offset,
            count: 8192,
        }) {
            Rmessage::Readdir { entries } => entries,
            r => panic!("{r:?}"),
        };
        let Some(last) = entries.last() else { break };
        offset = last.offset;
        replies += 1;
        for e in entries {
            assert_ne!(e.name, b".");
            assert_ne!(e.name, b"..");
            if e.name == b"link" {
                assert_eq!(e.ty, proto::dirent_type::LNK);
            } else {
                assert_eq!(e.ty, proto::dirent_type::REG);
            }
            assert!(got.insert(e.name), "an entry twice");
        }
    }
    assert!(replies > 5, "{replies} replies");
    assert_eq!(got, want);
}

#[test]
fn changes_in_a_writable_tree() {
    let t = temp_dir("write");
    let (mut c, srv) = start(&[("root", &t.0, true)]);
    c.attach("root");
    // Create, write through the donated fd, read back through the host.
    c.walk(0, 1, &[]);
    let (r, fd) = c.rpc(Tmessage::Lcreate {
        fid: Fid(1),
        name: b"new".to_vec(),
        flags: lopen::RDWR,
        mode: 0o640,
        gid: 0,
    });
    assert!(matches!(r, Rmessage::Lcreate { .. }), "{r:?}");
    rustix::io::pwrite(fd.unwrap(), b"written", 0).unwrap();
    assert_eq!(std::fs::read(t.0.join("new")).unwrap(), b"written");
    let md = std::fs::metadata(t.0.join("new")).unwrap();
    assert_eq!(md.mode() & 0o7777, 0o640);
    // Creating it again fails: never opens what is there.
    c.walk(0, 2, &[]);
    let r = c.call(Tmessage::Lcreate {
        fid: Fid(2),
        name: b"new".to_vec(),
        flags: lopen::RDWR,
        mode: 0o640,
        gid: 0,
    });
    assert_eq!(err(&r), Errno::EEXIST);
    // mkdir, symlink, FIFO; device nodes are refused.
    assert!(matches!(
        c.call(Tmessage::Mkdir {
            dfid: Fid(0),
            name: b"dir".to_vec(),
            mode: 0o700,
            gid: 0
        }),
        Rmessage::Mkdir { .. }
    ));
    assert!(matches!(
        c.call(Tmessage::Symlink {
            dfid: Fid(0),
            name: b"sl".to_vec(),
            target: b"/etc/passwd".to_vec(),
            gid: 0
        }),
        Rmessage::Symlink { .. }
    ));
    assert_eq!(
        std::fs::read_link(t.0.join("sl")).unwrap(),
        std::path::Path::new("/etc/passwd")
    );
    assert!(matches!(
        c.call(Tmessage::Mknod {
            dfid: Fid(0),
            name: b"fifo".to_vec(),
            mode: 0o010600,
            major: 0,
            minor: 0,
            gid: 0
        }),
        Rmessage::Mknod { .. }
    ));
    let r = c.call(Tmessage::Mknod {
        dfid: Fid(0),
        name: b"null".to_vec(),
        mode: 0o020666,
        major: 1,
        minor: 3,
        gid: 0,
    });
    assert_eq!(err(&r), Errno::EPERM);
    // A fid of "new" follows it through a rename, and opens there.
    c.walk(0, 3, &[b"new"]);
    assert!(matches!(
        c.call(Tmessage::Renameat {
            olddirfid: Fid(0),
            oldname: b"new".to_vec(),
            newdirfid: Fid(0),
            newname: b"moved".to_vec()
        }),
        Rmessage::Renameat
    ));
    let (r, fd) = c.rpc(Tmessage::Lopen {
        fid: Fid(3),
        flags: lopen::RDONLY,
    });
    assert!(r.errno().is_none(), "{r:?}");
    let mut buf = [0u8; 16];
    let n = rustix::io::pread(fd.unwrap(), &mut buf, 0).unwrap();
    assert_eq!(&buf[..n], b"written");
    // Hard link, setattr (mode, size, times), unlink, rmdir.
    c.walk(0, 4, &[b"moved"]);
    assert!(matches!(
        c.call(Tmessage::Link {
            dfid: Fid(0),
            fid: Fid(4),
            name: b"hard".to_vec()
        }),
        Rmessage::Link
    ));
    assert_eq!(std::fs::metadata(t.0.join("hard")).unwrap().nlink(), 2);
    let r = c.call(Tmessage::Setattr {
        fid: Fid(4),
        attr: SetAttr {
            valid: setattr::MODE | setattr::SIZE | setattr::MTIME | setattr::MTIME_SET,
            mode: 0o600,
            size: 3,
            mtime: Timestamp {
                sec: 1_000_000_000,
                nsec: 5,
            },
            ..Default::default()
        },
    });
    assert!(matches!(r, Rmessage::Setattr), "{r:?}");
    let md = std::fs::metadata(t.0.join("moved")).unwrap();
    assert_eq!(
        (md.mode() & 0o7777, md.len(), md.mtime()),
        (0o600, 3, 1_000_000_000)
    );
    for (name, flags) in [
        (&b"hard"[..], 0),
        (b"sl", 0),
        (b"fifo", 0),
        (b"dir", proto::AT_REMOVEDIR),
    ] {
        let r = c.call(Tmessage::Unlinkat {
            dfid: Fid(0),
            name: name.to_vec(),
            flags,
        });
        assert!(matches!(r, Rmessage::Unlinkat), "{r:?}");
    }
    let left: BTreeSet<_> = std::fs::read_dir(&t.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    drop(c);
    srv.join().unwrap();
}
