//! Extended attributes and statfs of host files through the Gofer client:
//! read in any tree, changed only in a writable one, carried into the
//! overlay's upper layer by copy-up.

use super::GoferClient;
use crate::fs::lower::tests::{memory_file, TempDir};
use crate::fs::lower::{FileServer, LowerInode};
use crate::fs::overlay::new_overlay;
use crate::fs::tmpfs::Tmpfs;
use crate::vfs::inode::{Inode, NewNode, Owner, XATTR_CREATE, XATTR_REPLACE};
use abi::Errno;
use rustix::fs::XattrFlags;
use rustix::net::{AddressFamily, SocketFlags, SocketType};
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn temp_tree() -> TempDir {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let p = std::env::temp_dir().join(format!(
        "rvisor-gofer-xattr-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(p.join("d")).unwrap();
    std::fs::write(p.join("d/f"), b"data").unwrap();
    std::os::unix::fs::symlink("d/f", p.join("l")).unwrap();
    rustix::fs::setxattr(p.join("d/f"), "user.a", b"host a", XattrFlags::empty()).unwrap();
    rustix::fs::setxattr(p.join("d"), "user.dir", b"host dir", XattrFlags::empty()).unwrap();
    TempDir(p)
}

/// The root of `dir` served by a Gofer on a thread.
fn root(dir: &Path, writable: bool) -> Arc<dyn Inode> {
    let (ours, theirs) = rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    let spec = gofer::MountSpec {
        name: "root".into(),
        path: dir.to_path_buf(),
        writable,
    };
    let trees = gofer::confine::open_trees(&[spec]).unwrap();
    std::thread::spawn(move || {
        let msize = gofer::conn::frame_capacity(theirs.as_fd(), proto::DEFAULT_MSIZE);
        let mut server = gofer::Server::new(trees, msize);
        let _ = gofer::serve(theirs.as_fd(), &mut server);
    });
    let c: Arc<dyn FileServer> = Arc::new(GoferClient::connect(ours, "root", writable).unwrap());
    LowerInode::new_root_with_ttl(c, memory_file(), Duration::from_secs(60)).unwrap()
}

fn at(root: &Arc<dyn Inode>, p: &str) -> Arc<dyn Inode> {
    p.split('/')
        .fold(root.clone(), |d, n| d.lookup(n.as_bytes()).unwrap())
}

fn host_get(p: &Path, name: &str) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 4096];
    let n = rustix::fs::getxattr(p, name, &mut buf[..]).ok()?;
    buf.truncate(n);
    Some(buf)
}

fn user_names(i: &Arc<dyn Inode>) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = i
        .listxattr()
        .unwrap()
        .into_iter()
        .filter(|n| n.starts_with(b"user."))
        .collect();
    v.sort();
    v
}

#[test]
fn host_attributes_read_only_tree() {
    let t = temp_tree();
    let r = root(&t.0, false);
    let f = at(&r, "d/f");
    assert_eq!(f.getxattr(b"user.a").unwrap(), b"host a");
    assert_eq!(f.getxattr(b"user.none"), Err(Errno::ENODATA));
    assert_eq!(user_names(&f), [b"user.a".to_vec()]);
    assert_eq!(at(&r, "d").getxattr(b"user.dir").unwrap(), b"host dir");
    assert_eq!(at(&r, "l").getxattr(b"user.a"), Err(Errno::ENODATA));
    assert_eq!(f.setxattr(b"user.b", b"x", 0), Err(Errno::EROFS));
    assert_eq!(f.removexattr(b"user.a"), Err(Errno::EROFS));
    assert_eq!(host_get(&t.0.join("d/f"), "user.a").unwrap(), b"host a");
}

#[test]
fn host_attributes_writable_tree() {
    let t = temp_tree();
    let r = root(&t.0, true);
    let f = at(&r, "d/f");
    let host = t.0.join("d/f");
    f.setxattr(b"user.b", b"bee", 0).unwrap();
    assert_eq!(host_get(&host, "user.b").unwrap(), b"bee");
    assert_eq!(
        f.setxattr(b"user.b", b"x", XATTR_CREATE),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        f.setxattr(b"user.c", b"x", XATTR_REPLACE),
        Err(Errno::ENODATA)
    );
    f.setxattr(b"user.empty", b"", 0).unwrap();
    assert_eq!(host_get(&host, "user.empty").unwrap(), b"");
    assert_eq!(
        user_names(&f),
        [
            b"user.a".to_vec(),
            b"user.b".to_vec(),
            b"user.empty".to_vec()
        ]
    );
    f.removexattr(b"user.empty").unwrap();
    assert_eq!(host_get(&host, "user.empty"), None);
    assert_eq!(f.removexattr(b"user.empty"), Err(Errno::ENODATA));
    assert_eq!(f.setxattr(b"security.x", b"x", 0), Err(Errno::EOPNOTSUPP));
    assert_eq!(at(&r, "l").setxattr(b"user.a", b"x", 0), Err(Errno::EPERM));
    // A file the Sentry created (its handle is an opened fid).
    let n = r
        .create(b"new", &NewNode::File { mode: 0o644 }, Owner::default())
        .unwrap();
    n.setxattr(b"user.n", b"new", 0).unwrap();
    assert_eq!(n.getxattr(b"user.n").unwrap(), b"new");
    assert_eq!(host_get(&t.0.join("new"), "user.n").unwrap(), b"new");
}

#[test]
fn copy_up_takes_the_host_attributes() {
    let t = temp_tree();
    let mf = memory_file();
    let upper = Tmpfs::new(mf, 0o755, Owner::default()).root();
    let r = new_overlay(upper.clone(), root(&t.0, false));
    let f = at(&r, "d/f");
    assert_eq!(f.getxattr(b"user.a").unwrap(), b"host a");
    f.setxattr(b"user.mine", b"m", 0).unwrap();
    assert_eq!(user_names(&f), [b"user.a".to_vec(), b"user.mine".to_vec()]);
    assert_eq!(at(&upper, "d/f").getxattr(b"user.a").unwrap(), b"host a");
    assert_eq!(at(&upper, "d").getxattr(b"user.dir").unwrap(), b"host dir");
    // The host file is untouched.
    assert_eq!(host_get(&t.0.join("d/f"), "user.mine"), None);
}

#[test]
fn statfs_is_the_hosts() {
    let t = temp_tree();
    let r = root(&t.0, false);
    let s = at(&r, "d/f").statfs().unwrap();
    let h = rustix::fs::statfs(&t.0).unwrap();
    assert_eq!(s.bsize, h.f_bsize as u64);
    assert_eq!(s.blocks, h.f_blocks);
    assert_eq!(s.namelen, h.f_namelen as u64);
    assert_eq!(r.fs_info().magic, h.f_type as u64);
}
