//! Extended attributes over 9P: Txattrwalk reads a value or the name list
//! (user.* and trusted.* only), Txattrcreate + Twrite + Tclunk sets one
//! (the clunk's reply is the outcome) or removes it, only in writable
//! trees; xattr fids are neither walked nor opened.

mod support;

use abi::Errno;
use proto::{xattr, Fid, Rmessage, Tmessage};
use support::{err, start, temp_dir};

fn host_get(p: &std::path::Path, name: &str) -> Result<Vec<u8>, rustix::io::Errno> {
    let mut buf = vec![0u8; 65536];
    let n = rustix::fs::getxattr(p, name, &mut buf[..])?;
    buf.truncate(n);
    Ok(buf)
}

/// Txattrwalk `name` of `fid` into `newfid`, then Tread all of it and clunk.
fn read_xattr(
    c: &mut support::Client,
    fid: u32,
    newfid: u32,
    name: &[u8],
) -> Result<Vec<u8>, Errno> {
    let size = match c.call(Tmessage::Xattrwalk {
        fid: Fid(fid),
        newfid: Fid(newfid),
        name: name.to_vec(),
    }) {
        Rmessage::Xattrwalk { size } => size,
        r => return Err(err(&r)),
    };
    let data = match c.call(Tmessage::Read {
        fid: Fid(newfid),
        offset: 0,
        count: 1 << 20,
    }) {
        Rmessage::Read { data } => data,
        r => panic!("{r:?}"),
    };
    assert_eq!(data.len() as u64, size);
    assert!(matches!(c.clunk(newfid), Rmessage::Clunk));
    Ok(data)
}

/// Clone `fid` into `newfid`, Txattrcreate, Twrite `value` in `chunk`-byte
/// pieces, Tclunk: the clunk's answer.
fn write_xattr(
    c: &mut support::Client,
    fid: u32,
    newfid: u32,
    name: &[u8],
    value: &[u8],
    flags: u32,
    chunk: usize,
) -> Result<(), Errno> {
    assert!(matches!(c.walk(fid, newfid, &[]), Rmessage::Walk { .. }));
    let r = c.call(Tmessage::Xattrcreate {
        fid: Fid(newfid),
        name: name.to_vec(),
        attr_size: value.len() as u64,
        flags,
    });
    if r.errno().is_some() {
        c.clunk(newfid);
        return Err(err(&r));
    }
    for (i, part) in value.chunks(chunk.max(1)).enumerate() {
        let r = c.call(Tmessage::Write {
            fid: Fid(newfid),
            offset: (i * chunk) as u64,
            data: part.to_vec(),
        });
        assert!(
            matches!(r, Rmessage::Write { count } if count as usize == part.len()),
            "{r:?}"
        );
    }
    match c.clunk(newfid) {
        Rmessage::Clunk => Ok(()),
        r => Err(err(&r)),
    }
}

#[test]
fn reads_values_and_lists() {
    let t = temp_dir("xattr-read");
    let f = t.0.join("f");
    std::fs::write(&f, b"x").unwrap();
    std::fs::create_dir(t.0.join("d")).unwrap();
    std::os::unix::fs::symlink("f", t.0.join("l")).unwrap();
    rustix::fs::setxattr(&f, "user.a", b"alpha", rustix::fs::XattrFlags::empty()).unwrap();
    rustix::fs::setxattr(&f, "user.b", b"", rustix::fs::XattrFlags::empty()).unwrap();
    rustix::fs::setxattr(
        t.0.join("d"),
        "user.d",
        b"dir",
        rustix::fs::XattrFlags::empty(),
    )
    .unwrap();
    let (mut c, srv) = start(&[("root", &t.0, false)]);
    c.attach("root");
    c.walk(0, 1, &[b"f"]);
    assert_eq!(read_xattr(&mut c, 1, 2, b"user.a").unwrap(), b"alpha");
    assert_eq!(read_xattr(&mut c, 1, 2, b"user.b").unwrap(), b"");
    assert_eq!(read_xattr(&mut c, 1, 2, b"user.none"), Err(Errno::ENODATA));
    let list = read_xattr(&mut c, 1, 2, b"").unwrap();
    let mut names: Vec<&[u8]> = list.split(|&b| b == 0).filter(|n| !n.is_empty()).collect();
    names.sort();
    assert_eq!(names, [&b"user.a"[..], b"user.b"]);
    // Namespaces the Gofer does not serve, and bad names.
    assert_eq!(
        read_xattr(&mut c, 1, 2, b"security.selinux"),
        Err(Errno::EOPNOTSUPP)
    );
    assert_eq!(
        read_xattr(&mut c, 1, 2, b"system.posix_acl_access"),
        Err(Errno::EOPNOTSUPP)
    );
    assert_eq!(read_xattr(&mut c, 1, 2, &[b'u'; 300]), Err(Errno::ERANGE));
    assert_eq!(read_xattr(&mut c, 1, 2, b"user.a\0x"), Err(Errno::EINVAL));
    // Reads at an offset, past the end.
    c.call(Tmessage::Xattrwalk {
        fid: Fid(1),
        newfid: Fid(2),
        name: b"user.a".to_vec(),
    });
    match c.call(Tmessage::Read {
        fid: Fid(2),
        offset: 3,
        count: 100,
    }) {
        Rmessage::Read { data } => assert_eq!(data, b"ha"),
        r => panic!("{r:?}"),
    }
    match c.call(Tmessage::Read {
        fid: Fid(2),
        offset: 99,
        count: 100,
    }) {
        Rmessage::Read { data } => assert!(data.is_empty()),
        r => panic!("{r:?}"),
    }
    // An xattr fid is no file: no walk, no open, no write.
    assert_eq!(err(&c.walk(2, 3, &[])), Errno::EBADF);
    assert_eq!(
        err(&c.call(Tmessage::Lopen {
            fid: Fid(2),
            flags: proto::lopen::RDONLY
        })),
        Errno::EBADF
    );
    assert_eq!(
        err(&c.call(Tmessage::Write {
            fid: Fid(2),
            offset: 0,
            data: b"x".to_vec()
        })),
        Errno::EBADF
    );
    c.clunk(2);
    // Directories have attributes; symlinks have none served.
    c.walk(0, 3, &[b"d"]);
    assert_eq!(read_xattr(&mut c, 3, 4, b"user.d").unwrap(), b"dir");
    c.walk(0, 5, &[b"l"]);
    assert_eq!(read_xattr(&mut c, 5, 6, b"user.a"), Err(Errno::ENODATA));
    assert_eq!(read_xattr(&mut c, 5, 6, b"").unwrap(), b"");
    // The new fid must be new.
    assert_eq!(
        err(&c.call(Tmessage::Xattrwalk {
            fid: Fid(1),
            newfid: Fid(3),
            name: b"user.a".to_vec()
        })),
        Errno::EBADF
    );
    assert_eq!(
        err(&c.call(Tmessage::Xattrwalk {
            fid: Fid(1),
            newfid: Fid(1),
            name: b"user.a".to_vec()
        })),
        Errno::EINVAL
    );
    // A read-only tree refuses changes.
    c.walk(1, 7, &[]);
    assert_eq!(
        err(&c.call(Tmessage::Xattrcreate {
            fid: Fid(7),
            name: b"user.n".to_vec(),
            attr_size: 1,
            flags: 0,
        })),
        Errno::EROFS
    );
    for fid in [1, 3, 5, 7] {
        c.clunk(fid);
    }
    drop(c);
    let (_, left) = srv.join().unwrap();
    assert_eq!(left, 1, "only the root fid stays bound");
}

#[test]
fn sets_and_removes_in_a_writable_tree() {
    let t = temp_dir("xattr-write");
    let f = t.0.join("f");
    std::fs::write(&f, b"x").unwrap();
    std::os::unix::fs::symlink("f", t.0.join("l")).unwrap();
    let (mut c, _srv) = start(&[("root", &t.0, true)]);
    c.attach("root");
    c.walk(0, 1, &[b"f"]);
    write_xattr(&mut c, 1, 2, b"user.a", b"one", 0, 100).unwrap();
    assert_eq!(host_get(&f, "user.a").unwrap(), b"one");
    assert_eq!(
        write_xattr(&mut c, 1, 2, b"user.a", b"two", xattr::CREATE, 100),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        write_xattr(&mut c, 1, 2, b"user.b", b"two", xattr::REPLACE, 100),
        Err(Errno::ENODATA)
    );
    write_xattr(&mut c, 1, 2, b"user.a", b"replaced", xattr::REPLACE, 100).unwrap();
    assert_eq!(host_get(&f, "user.a").unwrap(), b"replaced");
    // A value in several Twrites; an empty value is a value.
    let long: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    write_xattr(&mut c, 1, 2, b"user.long", &long, 0, 700).unwrap();
    assert_eq!(host_get(&f, "user.long").unwrap(), long);
    write_xattr(&mut c, 1, 2, b"user.empty", b"", 0, 1).unwrap();
    assert_eq!(host_get(&f, "user.empty").unwrap(), b"");
    // Removal.
    write_xattr(&mut c, 1, 2, b"user.empty", b"", xattr::REMOVE, 1).unwrap();
    assert!(host_get(&f, "user.empty").is_err());
    assert_eq!(
        write_xattr(&mut c, 1, 2, b"user.empty", b"", xattr::REMOVE, 1),
        Err(Errno::ENODATA)
    );
    // Removal takes no value and no other flag.
    c.walk(1, 2, &[]);
    for (size, flags) in [
        (1, xattr::REMOVE),
        (0, xattr::REMOVE | xattr::CREATE),
        (0, 0x40),
    ] {
        assert_eq!(
            err(&c.call(Tmessage::Xattrcreate {
                fid: Fid(2),
                name: b"user.a".to_vec(),
                attr_size: size,
                flags,
            })),
            Errno::EINVAL
        );
    }
    assert_eq!(
        err(&c.call(Tmessage::Xattrcreate {
            fid: Fid(2),
            name: b"user.big".to_vec(),
            attr_size: xattr::SIZE_MAX + 1,
            flags: 0,
        })),
        Errno::E2BIG
    );
    assert_eq!(
        err(&c.call(Tmessage::Xattrcreate {
            fid: Fid(2),
            name: b"security.x".to_vec(),
            attr_size: 1,
            flags: 0,
        })),
        Errno::EOPNOTSUPP
    );
    c.clunk(2);
    // A value written short, out of order, or too long: the clunk fails
    // and nothing is set.
    c.walk(1, 2, &[]);
    c.call(Tmessage::Xattrcreate {
        fid: Fid(2),
        name: b"user.short".to_vec(),
        attr_size: 4,
        flags: 0,
    });
    assert_eq!(
        err(&c.call(Tmessage::Write {
            fid: Fid(2),
            offset: 1,
            data: b"ab".to_vec()
        })),
        Errno::EINVAL
    );
    assert_eq!(
        err(&c.call(Tmessage::Write {
            fid: Fid(2),
            offset: 0,
            data: b"abcde".to_vec()
        })),
        Errno::EINVAL
    );
    c.call(Tmessage::Write {
        fid: Fid(2),
        offset: 0,
        data: b"ab".to_vec(),
    });
    assert_eq!(err(&c.clunk(2)), Errno::EINVAL);
    assert!(host_get(&f, "user.short").is_err());
    // The fid is gone after a failed clunk too.
    assert_eq!(err(&c.clunk(2)), Errno::EBADF);
    // Symlinks take no user attributes.
    c.walk(0, 3, &[b"l"]);
    assert_eq!(
        write_xattr(&mut c, 3, 4, b"user.a", b"x", 0, 10),
        Err(Errno::EPERM)
    );
    // A file opened (here: created) through its fid can still be cloned
    // for its attributes.
    c.walk(0, 5, &[]);
    let (r, _fd) = c.rpc(Tmessage::Lcreate {
        fid: Fid(5),
        name: b"new".to_vec(),
        flags: proto::lopen::RDWR,
        mode: 0o644,
        gid: proto::NONUNAME,
    });
    assert!(matches!(r, Rmessage::Lcreate { .. }), "{r:?}");
    assert_eq!(err(&c.walk(5, 6, &[b"x"])), Errno::EBADF);
    write_xattr(&mut c, 5, 6, b"user.n", b"new", 0, 10).unwrap();
    assert_eq!(host_get(&t.0.join("new"), "user.n").unwrap(), b"new");
    assert_eq!(read_xattr(&mut c, 5, 6, b"user.n").unwrap(), b"new");
}
