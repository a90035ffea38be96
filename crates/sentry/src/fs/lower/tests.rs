//! Tests of the host layer over a real temporary directory; the helpers
//! here also build lower layers for the overlay's tests.

use super::{DirectServer, FileServer, LowerInode};
use crate::mm::IoDst;
use crate::vfs::file::File;
use crate::vfs::inode::{FileType, Inode, NewNode, Owner, SetAttr};
use abi::{Errno, PAGE_SIZE};
use memory::MemoryFile;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// A directory under /tmp removed when dropped.
pub(crate) struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// The contents of `big` in the sample tree: byte i is `i % 251`.
pub(crate) fn big_byte(i: u64) -> u8 {
    (i % 251) as u8
}

/// Size of `big`: two chunks and a bit, not page aligned.
pub(crate) const BIG_LEN: u64 = 2 * (64 << 10) + 5000;

/// A sample tree:
/// ```text
/// a.txt = "hello lower\n"        sub/b.txt = "bee"
/// sub/deep/c = "sea"             empty/
/// big (BIG_LEN bytes)            escape -> /etc      up -> ../..
/// fifo (a FIFO)
/// ```
pub(crate) fn sample_tree() -> TempDir {
    let p = std::env::temp_dir().join(format!(
        "rvisor-lower-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(p.join("sub/deep")).unwrap();
    std::fs::create_dir_all(p.join("empty")).unwrap();
    std::fs::write(p.join("a.txt"), b"hello lower\n").unwrap();
    std::fs::write(p.join("sub/b.txt"), b"bee").unwrap();
    std::fs::write(p.join("sub/deep/c"), b"sea").unwrap();
    let big: Vec<u8> = (0..BIG_LEN).map(big_byte).collect();
    std::fs::write(p.join("big"), big).unwrap();
    std::os::unix::fs::symlink("/etc", p.join("escape")).unwrap();
    std::os::unix::fs::symlink("../..", p.join("up")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        p.join("fifo").as_path(),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    TempDir(p)
}

pub(crate) fn memory_file() -> Arc<MemoryFile> {
    Arc::new(MemoryFile::new(1 << 30).unwrap())
}

pub(crate) fn lower_root(dir: &Path, mf: &Arc<MemoryFile>) -> Arc<dyn Inode> {
    let server: Arc<dyn FileServer> = DirectServer::new(dir).unwrap();
    LowerInode::new_root(server, mf.clone()).unwrap()
}

/// The whole contents of a file, read through its `FileOps`.
pub(crate) fn read_all(i: &Arc<dyn Inode>) -> Result<Vec<u8>, Errno> {
    let flags = libc::O_RDONLY as u32;
    let f = File::new(i.open(i, flags)?, None, Some(i.clone()), flags);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 7000];
    loop {
        let mut dst = IoDst::buf(&mut buf);
        let n = f.ops.read(&f, &mut dst, out.len() as i64)? as usize;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

pub(crate) fn walk(root: &Arc<dyn Inode>, path: &str) -> Result<Arc<dyn Inode>, Errno> {
    let mut cur = root.clone();
    for c in path.split('/').filter(|c| !c.is_empty()) {
        cur = cur.lookup(c.as_bytes())?;
    }
    Ok(cur)
}

pub(crate) fn names(dir: &Arc<dyn Inode>) -> Vec<String> {
    let mut v: Vec<String> = dir
        .readdir()
        .unwrap()
        .into_iter()
        .map(|e| String::from_utf8(e.name).unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn direct_server_walks_one_component_at_a_time() {
    let t = sample_tree();
    let s = DirectServer::new(&t.0).unwrap();
    let root = s.root();
    let (a, attr) = s.walk(root, b"a.txt").unwrap();
    assert_eq!(attr.size, 12);
    assert_eq!(attr.file_type(), FileType::Regular);
    assert_eq!(s.getattr(a).unwrap().ino, attr.ino);

    // Nothing that is not a single plain name is interpreted.
    assert_eq!(s.walk(root, b"sub/b.txt").unwrap_err(), Errno::EINVAL);
    assert_eq!(s.walk(root, b"..").unwrap_err(), Errno::EINVAL);
    assert_eq!(s.walk(root, b".").unwrap_err(), Errno::EINVAL);
    assert_eq!(s.walk(root, b"/etc").unwrap_err(), Errno::EINVAL);
    assert_eq!(s.walk(root, b"a\0b").unwrap_err(), Errno::EINVAL);
    assert_eq!(s.walk(root, b"").unwrap_err(), Errno::ENOENT);
    assert_eq!(s.walk(root, &[b'x'; 300]).unwrap_err(), Errno::ENAMETOOLONG);
    assert_eq!(s.walk(root, b"missing").unwrap_err(), Errno::ENOENT);
    assert_eq!(s.walk(a, b"x").unwrap_err(), Errno::ENOTDIR);

    // Symlinks are handles of their own, never followed.
    let (esc, ea) = s.walk(root, b"escape").unwrap();
    assert_eq!(ea.file_type(), FileType::Symlink);
    assert_eq!(s.readlink(esc).unwrap(), b"/etc");
    assert_eq!(s.walk(esc, b"passwd").unwrap_err(), Errno::ENOTDIR);
    assert_eq!(s.readdir(esc).unwrap_err(), Errno::ENOTDIR);
    assert_eq!(s.open(esc, 0).unwrap_err(), Errno::ELOOP);
    let (up, _) = s.walk(root, b"up").unwrap();
    assert_eq!(s.walk(up, b"etc").unwrap_err(), Errno::ENOTDIR);
    assert_eq!(s.readlink(a).unwrap_err(), Errno::EINVAL);

    let mut names: Vec<Vec<u8>> = s
        .readdir(root)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    names.sort();
    let want: Vec<&[u8]> = vec![
        b"a.txt", b"big", b"empty", b"escape", b"fifo", b"sub", b"up",
    ];
    assert_eq!(names, want);
    let ents = s.readdir(root).unwrap();
    let sub = ents.iter().find(|e| e.name == b"sub").unwrap();
    assert_eq!(sub.kind, FileType::Directory);
    assert_eq!(
        ents.iter().find(|e| e.name == b"escape").unwrap().kind,
        FileType::Symlink
    );
    s.release(esc);
    s.release(up);
    s.release(a);
    assert_eq!(s.handle_count(), 1);
    assert_eq!(s.getattr(a).unwrap_err(), Errno::EBADF);
}

#[test]
fn direct_server_opens_read_only() {
    let t = sample_tree();
    let s = DirectServer::new(&t.0).unwrap();
    let (sub, _) = s.walk(s.root(), b"sub").unwrap();
    let (b, _) = s.walk(sub, b"b.txt").unwrap();
    // The parent's handle may go; the child still reopens through it.
    s.release(sub);
    for f in [
        libc::O_WRONLY,
        libc::O_RDWR,
        libc::O_RDONLY | libc::O_TRUNC,
        libc::O_RDONLY | libc::O_CREAT,
    ] {
        assert_eq!(s.open(b, f as u32).unwrap_err(), Errno::EROFS);
    }
    let fd = s.open(b, libc::O_RDONLY as u32).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(rustix::io::pread(&fd, &mut buf, 0).unwrap(), 3);
    assert_eq!(&buf[..3], b"bee");
    assert!(rustix::io::write(&fd, b"x").is_err());
    // A FIFO is not opened (and the call does not hang).
    let (fifo, fa) = s.walk(s.root(), b"fifo").unwrap();
    assert_eq!(fa.file_type(), FileType::Fifo);
    assert_eq!(
        s.open(fifo, libc::O_RDONLY as u32).unwrap_err(),
        Errno::ENXIO
    );
    // Directories open for reading.
    let dfd = s.open(s.root(), libc::O_RDONLY as u32).unwrap();
    assert!(rustix::fs::fstat(&dfd).is_ok());
    assert!(s.statfs(s.root()).unwrap().magic != 0);
}

#[test]
fn direct_server_detects_a_replaced_file() {
    let t = sample_tree();
    let s = DirectServer::new(&t.0).unwrap();
    let (a, _) = s.walk(s.root(), b"a.txt").unwrap();
    std::fs::remove_file(t.0.join("a.txt")).unwrap();
    std::fs::write(t.0.join("a.txt"), b"other").unwrap();
    assert_eq!(s.open(a, libc::O_RDONLY as u32).unwrap_err(), Errno::ESTALE);
}

#[test]
fn lower_inode_lookup_readdir_readlink_read() {
    let t = sample_tree();
    let mf = memory_file();
    let root = lower_root(&t.0, &mf);
    assert!(root.attr().unwrap().is_dir());
    assert_eq!(root.fs_info().name, "lower");
    assert!(root.fs_info().read_only);
    assert_eq!(
        names(&root),
        ["a.txt", "big", "empty", "escape", "fifo", "sub", "up"]
    );
    assert_eq!(names(&walk(&root, "sub").unwrap()), ["b.txt", "deep"]);
    assert_eq!(
        read_all(&walk(&root, "sub/deep/c").unwrap()).unwrap(),
        b"sea"
    );
    assert_eq!(
        read_all(&walk(&root, "a.txt").unwrap()).unwrap(),
        b"hello lower\n"
    );
    let big = read_all(&walk(&root, "big").unwrap()).unwrap();
    assert_eq!(big.len() as u64, BIG_LEN);
    assert!(big
        .iter()
        .enumerate()
        .all(|(i, &b)| b == big_byte(i as u64)));
    assert_eq!(walk(&root, "escape").unwrap().readlink().unwrap(), b"/etc");
    assert_eq!(root.readlink().unwrap_err(), Errno::EINVAL);
    assert_eq!(walk(&root, "escape/passwd").err().unwrap(), Errno::ENOTDIR);
    assert_eq!(walk(&root, "a.txt/x").err().unwrap(), Errno::ENOTDIR);
    assert_eq!(root.lookup(b"nope").err().unwrap(), Errno::ENOENT);
    // Reading a directory.
    let d = walk(&root, "sub").unwrap();
    let flags = libc::O_RDONLY as u32;
    let f = File::new(d.open(&d, flags).unwrap(), None, Some(d.clone()), flags);
    let mut buf = [0u8; 4];
    assert_eq!(
        f.ops.read(&f, &mut IoDst::buf(&mut buf), 0).unwrap_err(),
        Errno::EISDIR
    );
    assert_eq!(f.ops.readdir(&f).unwrap().len(), 2);
    // A read at the end and past it.
    let a = walk(&root, "a.txt").unwrap();
    let f = File::new(a.open(&a, flags).unwrap(), None, Some(a.clone()), flags);
    assert_eq!(f.ops.read(&f, &mut IoDst::buf(&mut buf), 12).unwrap(), 0);
    assert_eq!(f.ops.read(&f, &mut IoDst::buf(&mut buf), 100).unwrap(), 0);
    assert_eq!(
        f.ops.read(&f, &mut IoDst::buf(&mut buf), -1).unwrap_err(),
        Errno::EINVAL
    );
    assert_eq!(f.ops.seek_data(&f, 0, 12, false).unwrap(), 0);
    assert_eq!(f.ops.seek_data(&f, 0, 12, true).unwrap(), 12);
    assert_eq!(
        f.ops.seek_data(&f, 20, 12, false).unwrap_err(),
        Errno::ENXIO
    );
}

#[test]
fn lower_inode_is_read_only() {
    let t = sample_tree();
    let mf = memory_file();
    let root = lower_root(&t.0, &mf);
    let a = walk(&root, "a.txt").unwrap();
    let o = Owner::default();
    assert_eq!(
        root.create(b"new", &NewNode::File { mode: 0o644 }, o)
            .err()
            .unwrap(),
        Errno::EROFS
    );
    assert_eq!(root.unlink(b"a.txt", false).unwrap_err(), Errno::EROFS);
    assert_eq!(root.link(b"l", &a).unwrap_err(), Errno::EROFS);
    assert_eq!(
        root.rename(b"a.txt", &root, b"b", 0).unwrap_err(),
        Errno::EROFS
    );
    assert_eq!(
        a.setattr(&SetAttr {
            mode: Some(0o600),
            ..SetAttr::default()
        })
        .unwrap_err(),
        Errno::EROFS
    );
    for f in [libc::O_WRONLY, libc::O_RDWR, libc::O_TRUNC] {
        assert_eq!(a.open(&a, f as u32).err().unwrap(), Errno::EROFS);
    }
    assert_eq!(
        root.open(&root, libc::O_WRONLY as u32).err().unwrap(),
        Errno::EISDIR
    );
    let fifo = walk(&root, "fifo").unwrap();
    assert_eq!(
        fifo.open(&fifo, libc::O_RDONLY as u32).err().unwrap(),
        Errno::ENXIO
    );
    assert!(a.open(&a, libc::O_PATH as u32).is_ok());
}

#[test]
fn lower_inode_maps_through_the_page_cache() {
    let t = sample_tree();
    let mf = memory_file();
    let root = lower_root(&t.0, &mf);
    let big = walk(&root, "big").unwrap();
    let flags = libc::O_RDONLY as u32;
    let f = File::new(
        big.open(&big, flags).unwrap(),
        None,
        Some(big.clone()),
        flags,
    );
    let m = f.ops.mappable().unwrap();
    assert_eq!(m.size(), BIG_LEN);
    let runs = m.get_frames(0, 4 * PAGE_SIZE, false).unwrap();
    assert_eq!(runs.iter().map(|r| r.1).sum::<u64>(), 4 * PAGE_SIZE);
    let mut b = [0u8; 16];
    mf.read(runs[0].0 + 4000, &mut b).unwrap();
    assert!(b
        .iter()
        .enumerate()
        .all(|(i, &x)| x == big_byte(4000 + i as u64)));
    let (_, ino, path) = m.describe();
    assert_eq!(ino, big.attr().unwrap().ino);
    assert_eq!(path, "/big");
    for (fr, l) in runs {
        mf.decref(fr, l);
    }
    // Dropping everything gives the cache's frames back.
    drop(f);
    drop(m);
    drop(big);
    assert_eq!(mf.allocated_bytes(), 0);
}

#[test]
fn lower_inodes_release_their_handles() {
    let t = sample_tree();
    let mf = memory_file();
    let server = DirectServer::new(&t.0).unwrap();
    let dyn_server: Arc<dyn FileServer> = server.clone();
    let root: Arc<dyn Inode> = LowerInode::new_root(dyn_server, mf).unwrap();
    let sub = walk(&root, "sub").unwrap();
    let c = walk(&sub, "deep/c").unwrap();
    // The walk dropped "deep" on the way; its host fd lives on in c's handle.
    assert_eq!(server.handle_count(), 3);
    assert_eq!(read_all(&c).unwrap(), b"sea");
    drop(c);
    drop(sub);
    assert_eq!(server.handle_count(), 1);
}

/// Two inode objects of one host file (a lookup after the dentry cache
/// dropped the first, or two hard links) share one page cache, so a shared
/// mapping through one and read(2) through the other agree.
#[test]
fn inode_objects_of_one_file_share_its_page_cache() {
    let t = sample_tree();
    std::fs::hard_link(t.0.join("a.txt"), t.0.join("link")).unwrap();
    let mf = memory_file();
    let root = lower_root(&t.0, &mf);
    let a1 = root.lookup(b"a.txt").unwrap();
    let a2 = root.lookup(b"a.txt").unwrap();
    let l = root.lookup(b"link").unwrap();
    assert!(!Arc::ptr_eq(&a1, &a2));
    let cache = |i: &Arc<dyn Inode>| {
        let ops = i.open(i, libc::O_RDONLY as u32).unwrap();
        Arc::as_ptr(&ops.mappable().unwrap()) as *const u8 as usize
    };
    let first = cache(&a1);
    assert_eq!(cache(&a2), first);
    assert_eq!(cache(&l), first);
    // Another file has its own.
    assert_ne!(cache(&root.lookup(b"big").unwrap()), first);
}
