//! The client against a real Gofer server (on a thread, unconfined): the
//! lower layer over the socket, revalidation against host changes, the
//! write side, write-back of shared mappings, and a Gofer that dies.

use super::GoferClient;
use crate::fs::lower::tests::{big_byte, memory_file, names, read_all, sample_tree, walk, BIG_LEN};
use crate::fs::lower::{FileServer, LowerInode};
use crate::mm::{IoSrc, Mappable};
use crate::vfs::dentry::Dentry;
use crate::vfs::file::File;
use crate::vfs::inode::{FileType, Inode, NewNode, Owner, SetAttr};
use abi::Errno;
use memory::MemoryFile;
use rustix::net::{AddressFamily, SocketFlags, SocketType};
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A Gofer serving `dir` on a thread; the Sentry's end of its socket.
fn serve(dir: &Path, writable: bool) -> (OwnedFd, std::thread::JoinHandle<()>) {
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
    let t = std::thread::spawn(move || {
        let msize = gofer::conn::frame_capacity(theirs.as_fd(), proto::DEFAULT_MSIZE);
        let mut server = gofer::Server::new(trees, msize);
        let _ = gofer::serve(theirs.as_fd(), &mut server);
    });
    (ours, t)
}

fn client(dir: &Path, writable: bool) -> Arc<GoferClient> {
    let (sock, _t) = serve(dir, writable);
    Arc::new(GoferClient::connect(sock, "root", writable).unwrap())
}

fn root_with_ttl(
    dir: &Path,
    mf: &Arc<MemoryFile>,
    writable: bool,
    ttl: Duration,
) -> Arc<dyn Inode> {
    let c: Arc<dyn FileServer> = client(dir, writable);
    LowerInode::new_root_with_ttl(c, mf.clone(), ttl).unwrap()
}

fn write_at(i: &Arc<dyn Inode>, flags: u32, off: i64, data: &[u8]) -> Result<u64, Errno> {
    let f = File::new(i.open(i, flags)?, None, Some(i.clone()), flags);
    f.ops.write(&f, &mut IoSrc::buf(data), off)
}

#[test]
fn the_lower_layer_over_a_gofer() {
    let t = sample_tree();
    let mf = memory_file();
    let root = root_with_ttl(&t.0, &mf, false, Duration::from_secs(60));
    assert_eq!(
        names(&root),
        ["a.txt", "big", "empty", "escape", "fifo", "sub", "up"]
    );
    assert_eq!(
        read_all(&walk(&root, "sub/deep/c").unwrap()).unwrap(),
        b"sea"
    );
    let big = read_all(&walk(&root, "big").unwrap()).unwrap();
    assert_eq!(big.len() as u64, BIG_LEN);
    assert!(big
        .iter()
        .enumerate()
        .all(|(i, &b)| b == big_byte(i as u64)));
    assert_eq!(walk(&root, "escape").unwrap().readlink().unwrap(), b"/etc");
    assert_eq!(walk(&root, "escape/passwd").err(), Some(Errno::ENOTDIR));
    assert_eq!(root.lookup(b"nope").err(), Some(Errno::ENOENT));
    let a = walk(&root, "a.txt").unwrap();
    let st = std::fs::metadata(t.0.join("a.txt")).unwrap();
    assert_eq!(
        a.attr().unwrap().ino,
        std::os::unix::fs::MetadataExt::ino(&st)
    );
    // Read-only: every change is refused.
    assert_eq!(
        write_at(&a, libc::O_WRONLY as u32, 0, b"x").err(),
        Some(Errno::EROFS)
    );
    assert_eq!(
        root.create(b"n", &NewNode::Dir { mode: 0o755 }, Owner::default())
            .err(),
        Some(Errno::EROFS)
    );
    assert!(root.fs_info().read_only);
    // Mapped pages come from the page cache.
    let f = File::new(a.open(&a, 0).unwrap(), None, Some(a.clone()), 0);
    let m = f.ops.mappable().unwrap();
    let runs = m.get_frames(0, 4096, false).unwrap();
    let mut buf = vec![0u8; 12];
    mf.read(runs[0].0, &mut buf).unwrap();
    assert_eq!(buf, b"hello lower\n");
    for (fr, l) in runs {
        mf.decref(fr, l);
    }
}

#[test]
fn host_changes_show_through_revalidation() {
    let t = sample_tree();
    let mf = memory_file();
    let root = root_with_ttl(&t.0, &mf, false, Duration::ZERO);
    let d = Dentry::new_root(root.clone());
    let a = d.lookup(b"a.txt").unwrap();
    assert_eq!(a.inode.attr().unwrap().size, 12);
    // Appended on the host: the size follows, and so do the pages.
    std::fs::write(t.0.join("a.txt"), b"hello lower\nand more\n").unwrap();
    assert_eq!(a.inode.attr().unwrap().size, 21);
    assert_eq!(read_all(&a.inode).unwrap(), b"hello lower\nand more\n");
    // Replaced on the host: the cached entry is dropped for the new file.
    std::fs::write(t.0.join("new-a"), b"replaced").unwrap();
    std::fs::rename(t.0.join("new-a"), t.0.join("a.txt")).unwrap();
    let again = d.lookup(b"a.txt").unwrap();
    assert!(!Arc::ptr_eq(&a, &again), "a stale dentry was kept");
    assert_eq!(read_all(&again.inode).unwrap(), b"replaced");
    // Removed on the host: gone; created on the host: there at once.
    std::fs::remove_file(t.0.join("a.txt")).unwrap();
    assert_eq!(d.lookup(b"a.txt").err(), Some(Errno::ENOENT));
    std::fs::write(t.0.join("fresh"), b"new file").unwrap();
    assert_eq!(
        read_all(&d.lookup(b"fresh").unwrap().inode).unwrap(),
        b"new file"
    );
    assert!(names(&root).contains(&"fresh".to_string()));
    // A directory replaced by a symlink: revalidation notices the type.
    let sub = d.lookup(b"sub").unwrap();
    std::fs::rename(t.0.join("sub"), t.0.join("sub2")).unwrap();
    std::os::unix::fs::symlink("sub2", t.0.join("sub")).unwrap();
    let now = d.lookup(b"sub").unwrap();
    assert!(!Arc::ptr_eq(&sub, &now));
    assert_eq!(now.inode.attr().unwrap().file_type(), FileType::Symlink);
}

#[test]
fn a_long_ttl_keeps_entries() {
    let t = sample_tree();
    let mf = memory_file();
    let root = root_with_ttl(&t.0, &mf, false, Duration::from_secs(3600));
    let d = Dentry::new_root(root);
    let a = d.lookup(b"a.txt").unwrap();
    std::fs::remove_file(t.0.join("a.txt")).unwrap();
    // Within the TTL the cached entry is trusted (no round trip).
    assert!(Arc::ptr_eq(&a, &d.lookup(b"a.txt").unwrap()));
}

#[test]
fn writes_go_through_the_gofer() {
    let t = sample_tree();
    let mf = memory_file();
    let root = root_with_ttl(&t.0, &mf, true, Duration::from_secs(60));
    assert!(!root.fs_info().read_only);
    let me = Owner {
        uid: rustix::process::getuid().as_raw(),
        gid: rustix::process::getgid().as_raw(),
    };
    let f = root
        .create(b"new", &NewNode::File { mode: 0o640 }, me)
        .unwrap();
    let rw = libc::O_RDWR as u32;
    assert_eq!(write_at(&f, rw, 0, b"hello").unwrap(), 5);
    assert_eq!(write_at(&f, rw, 5, b" world").unwrap(), 6);
    assert_eq!(std::fs::read(t.0.join("new")).unwrap(), b"hello world");
    assert_eq!(f.attr().unwrap().size, 11);
    assert_eq!(f.attr().unwrap().mode & 0o7777, 0o640);
    root.create(b"dir", &NewNode::Dir { mode: 0o700 }, me)
        .unwrap();
    root.create(
        b"sl",
        &NewNode::Symlink {
            target: b"new".to_vec(),
        },
        me,
    )
    .unwrap();
    root.create(
        b"fifo2",
        &NewNode::Node {
            mode: 0o010600,
            rdev: 0,
        },
        me,
    )
    .unwrap();
    assert_eq!(
        root.create(
            b"null",
            &NewNode::Node {
                mode: 0o020666,
                rdev: libc::makedev(1, 3),
            },
            me
        )
        .err(),
        Some(Errno::EPERM)
    );
    root.link(b"hard", &f).unwrap();
    assert_eq!(f.attr().unwrap().nlink, 2);
    let dir = root.lookup(b"dir").unwrap();
    root.rename(b"new", &dir, b"moved", 0).unwrap();
    assert_eq!(
        std::fs::read(t.0.join("dir/moved")).unwrap(),
        b"hello world"
    );
    // The renamed inode still opens (the Gofer's fid followed it).
    assert_eq!(read_all(&f).unwrap(), b"hello world");
    assert_eq!(
        root.rename(b"hard", &dir, b"moved", crate::vfs::inode::RENAME_NOREPLACE)
            .err(),
        Some(Errno::EEXIST)
    );
    f.setattr(&SetAttr {
        size: Some(5),
        mode: Some(0o600),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(std::fs::read(t.0.join("hard")).unwrap(), b"hello");
    let a = f.attr().unwrap();
    assert_eq!((a.size, a.mode & 0o7777), (5, 0o600));
    root.unlink(b"hard", false).unwrap();
    assert_eq!(f.attr().unwrap().nlink, 1, "the link count after unlink");
    dir.unlink(b"moved", false).unwrap();
    root.unlink(b"dir", true).unwrap();
    assert!(!t.0.join("dir").exists());
    // FIFOs of a writable tree are the Sentry's own pipes.
    let fifo = root.lookup(b"fifo2").unwrap();
    assert!(fifo.open(&fifo, (libc::O_RDWR) as u32).is_ok());
}

#[test]
fn shared_mappings_write_back() {
    let t = sample_tree();
    let mf = memory_file();
    let root = root_with_ttl(&t.0, &mf, true, Duration::from_secs(60));
    let big = root.lookup(b"big").unwrap();
    let rw = libc::O_RDWR as u32;
    let file = File::new(big.open(&big, rw).unwrap(), None, Some(big.clone()), rw);
    let m: Arc<dyn Mappable> = file.ops.mappable().unwrap();
    // A shared writable mapping writes into the cached frames...
    let runs = m.get_frames(0, 8192, true).unwrap();
    mf.write(runs[0].0 + 10, b"MAPPED").unwrap();
    // ...which read(2) through the file sees (written back first)...
    let mut buf = [0u8; 6];
    let n = file
        .ops
        .read(&file, &mut crate::mm::IoDst::buf(&mut buf), 10)
        .unwrap();
    assert_eq!(&buf[..n as usize], b"MAPPED");
    // ...and write(2) shows in the mapping.
    assert_eq!(write_at(&big, rw, 100, b"WRITTEN").unwrap(), 7);
    let mut seen = [0u8; 7];
    mf.read(runs[0].0 + 100, &mut seen).unwrap();
    assert_eq!(&seen, b"WRITTEN");
    // More through the mapping; the end of the mapping writes it back.
    mf.write(runs[0].0 + 200, b"AT-UNMAP").unwrap();
    for (fr, l) in runs {
        mf.decref(fr, l);
    }
    drop(m);
    let host = std::fs::read(t.0.join("big")).unwrap();
    assert_eq!(&host[10..16], b"MAPPED");
    assert_eq!(&host[100..107], b"WRITTEN");
    assert_eq!(&host[200..208], b"AT-UNMAP");
    assert_eq!(host.len() as u64, BIG_LEN);
    assert_eq!(host[300], big_byte(300));
    // fsync writes back too.
    let m = file.ops.mappable().unwrap();
    let runs = m.get_frames(0, 4096, true).unwrap();
    mf.write(runs[0].0 + 400, b"FSYNCED").unwrap();
    file.ops.fsync(&file).unwrap();
    assert_eq!(
        &std::fs::read(t.0.join("big")).unwrap()[400..407],
        b"FSYNCED"
    );
    for (fr, l) in runs {
        mf.decref(fr, l);
    }
}

#[test]
fn a_dead_gofer_gives_eio() {
    let t = sample_tree();
    let mf = memory_file();
    let (sock, thread) = serve(&t.0, false);
    // Keep a way to cut the connection from the Gofer's side.
    let c = Arc::new(GoferClient::connect(sock, "root", false).unwrap());
    let server: Arc<dyn FileServer> = c.clone();
    let root: Arc<dyn Inode> =
        LowerInode::new_root_with_ttl(server, mf.clone(), Duration::ZERO).unwrap();
    let a = walk(&root, "a.txt").unwrap();
    let opened = read_all(&a).unwrap();
    assert_eq!(opened, b"hello lower\n");
    // The Gofer goes away: drop the serving thread's socket by shutting
    // the connection down from our side of the pair's peer.
    c.shutdown_for_tests();
    thread.join().unwrap();
    assert_eq!(root.lookup(b"sub").err(), Some(Errno::EIO));
    assert_eq!(root.readdir().err(), Some(Errno::EIO));
    assert_eq!(a.attr().err(), None, "an open host fd still answers fstat");
    assert_eq!(walk(&root, "sub/b.txt").err(), Some(Errno::EIO));
    assert!(c.is_broken());
}

#[test]
fn big_listings_fit_the_socket() {
    // 10,000 names of 40 bytes: several hundred KiB of Rreaddir, more than
    // a default socket buffer carries in one message.
    let t = sample_tree();
    let d = t.0.join("many");
    std::fs::create_dir(&d).unwrap();
    for i in 0..10_000 {
        std::fs::write(
            d.join(format!("a-fairly-long-entry-name-number-{i:05}")),
            b"",
        )
        .unwrap();
    }
    let mf = memory_file();
    let root = root_with_ttl(&t.0, &mf, false, Duration::from_secs(60));
    let many = root.lookup(b"many").unwrap();
    assert_eq!(many.readdir().unwrap().len(), 10_000);
}
