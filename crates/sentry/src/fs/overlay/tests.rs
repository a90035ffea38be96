//! Overlay tests: a tmpfs upper over a host temporary directory.

use super::{new_overlay, OverlayInode, OVERLAYFS_SUPER_MAGIC};
use crate::fs::lower::tests::{
    big_byte, lower_root, memory_file, names, read_all, sample_tree, walk, TempDir, BIG_LEN,
};
use crate::fs::tmpfs::Tmpfs;
use crate::mm::IoSrc;
use crate::vfs::file::File;
use crate::vfs::inode::{
    FileType, Inode, NewNode, Owner, SetAttr, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT,
    S_IFIFO,
};
use abi::Errno;
use memory::MemoryFile;
use std::sync::Arc;

struct Fixture {
    tree: TempDir,
    _mf: Arc<MemoryFile>,
    upper: Arc<dyn Inode>,
    root: Arc<dyn Inode>,
}

/// The sample tree under an empty tmpfs; `prepare` may fill the upper first.
fn fixture_with(prepare: impl FnOnce(&Arc<dyn Inode>)) -> Fixture {
    let tree = sample_tree();
    let mf = memory_file();
    let upper = Tmpfs::new(mf.clone(), 0o755, Owner::default()).root();
    prepare(&upper);
    let root = new_overlay(upper.clone(), lower_root(&tree.0, &mf));
    Fixture {
        tree,
        _mf: mf,
        upper,
        root,
    }
}

fn fixture() -> Fixture {
    fixture_with(|_| {})
}

fn write_at(i: &Arc<dyn Inode>, flags: i32, off: i64, data: &[u8]) -> Result<(), Errno> {
    let flags = flags as u32;
    let f = File::new(i.open(i, flags)?, None, Some(i.clone()), flags);
    let mut src = IoSrc::buf(data);
    let n = f.ops.write(&f, &mut src, off)?;
    assert_eq!(n as usize, data.len());
    Ok(())
}

fn file(mode: u32) -> NewNode {
    NewNode::File { mode }
}

fn mkdir(dir: &Arc<dyn Inode>, name: &str) -> Arc<dyn Inode> {
    dir.create(
        name.as_bytes(),
        &NewNode::Dir { mode: 0o755 },
        Owner::default(),
    )
    .ok()
    .unwrap()
}

fn errno<T>(r: Result<T, Errno>) -> Errno {
    r.err().expect("expected an error")
}

fn host(fx: &Fixture, p: &str) -> Vec<u8> {
    std::fs::read(fx.tree.0.join(p)).unwrap()
}

fn same(a: &Arc<dyn Inode>, b: &Arc<dyn Inode>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

fn lower_only(i: &Arc<dyn Inode>) -> bool {
    i.as_any()
        .downcast_ref::<OverlayInode>()
        .unwrap()
        .is_lower_only()
}

#[test]
fn upper_wins_and_directories_merge() {
    let fx = fixture_with(|u| {
        let a = u
            .create(b"a.txt", &file(0o644), Owner::default())
            .ok()
            .unwrap();
        write_at(&a, libc::O_WRONLY, 0, b"upper!").unwrap();
        let sub = mkdir(u, "sub");
        sub.create(b"u.txt", &file(0o644), Owner::default())
            .ok()
            .unwrap();
        // An upper file over a lower directory hides it entirely.
        u.create(b"empty", &file(0o644), Owner::default())
            .ok()
            .unwrap();
    });
    let r = &fx.root;
    assert_eq!(read_all(&walk(r, "a.txt").unwrap()).unwrap(), b"upper!");
    assert_eq!(
        names(r),
        ["a.txt", "big", "empty", "escape", "fifo", "sub", "up"]
    );
    assert_eq!(names(&walk(r, "sub").unwrap()), ["b.txt", "deep", "u.txt"]);
    assert_eq!(
        walk(r, "empty").unwrap().attr().unwrap().file_type(),
        FileType::Regular
    );
    assert_eq!(read_all(&walk(r, "sub/deep/c").unwrap()).unwrap(), b"sea");
    // A merged directory without upper subdirectories shows the lower's
    // link count; once the upper has its own subdirectories, 1.
    let sub = walk(r, "sub").unwrap();
    let lower_links = std::fs::metadata(fx.tree.0.join("sub"))
        .map(|m| std::os::unix::fs::MetadataExt::nlink(&m))
        .unwrap();
    assert_eq!(sub.attr().unwrap().nlink, lower_links);
    mkdir(&sub, "newdir");
    assert_eq!(
        sub.attr().unwrap().nlink,
        1,
        "upper subdirectories: the count is not reliable"
    );
    let dev = r.attr().unwrap().dev;
    for p in ["a.txt", "sub", "sub/u.txt", "sub/b.txt", "escape"] {
        assert_eq!(walk(r, p).unwrap().attr().unwrap().dev, dev, "{p}");
    }
    let info = r.fs_info();
    assert_eq!(
        (info.magic, info.name, info.read_only),
        (OVERLAYFS_SUPER_MAGIC, "overlay", false)
    );
    // The same name gives the same object.
    assert!(same(
        &walk(r, "sub/b.txt").unwrap(),
        &walk(r, "sub/b.txt").unwrap()
    ));
    assert_eq!(walk(r, "escape").unwrap().readlink().unwrap(), b"/etc");
    assert_eq!(errno(walk(r, "a.txt/x")), Errno::ENOTDIR);
}

#[test]
fn readdir_numbers_match_stat() {
    let fx = fixture_with(|u| {
        u.create(b"new", &file(0o644), Owner::default())
            .ok()
            .unwrap();
        mkdir(u, "sub");
    });
    let r = &fx.root;
    // Copy one up first: it must keep its number in both places.
    walk(r, "a.txt")
        .unwrap()
        .setattr(&SetAttr {
            mode: Some(0o600),
            ..SetAttr::default()
        })
        .unwrap();
    let ents = r.readdir().unwrap();
    let mut seen = std::collections::HashSet::new();
    for e in &ents {
        assert!(seen.insert(e.name.clone()), "duplicate {:?}", e.name);
        let i = r.lookup(&e.name).ok().unwrap();
        let a = i.attr().unwrap();
        assert_eq!(e.ino, a.ino, "{}", String::from_utf8_lossy(&e.name));
        assert_eq!(e.kind, a.file_type());
    }
    let new = walk(r, "new").unwrap().attr().unwrap().ino;
    let a = walk(r, "a.txt").unwrap().attr().unwrap().ino;
    assert_ne!(new, a);
    assert_eq!(
        a,
        std::fs::metadata(fx.tree.0.join("a.txt"))
            .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
            .unwrap()
    );
}

#[test]
fn unlink_leaves_a_whiteout() {
    let fx = fixture();
    let r = &fx.root;
    let a = walk(r, "a.txt").unwrap();
    r.unlink(b"a.txt", false).unwrap();
    assert_eq!(errno(r.lookup(b"a.txt")), Errno::ENOENT);
    assert!(!names(r).contains(&"a.txt".to_string()));
    assert_eq!(host(&fx, "a.txt"), b"hello lower\n");
    // The unlinked object still reads.
    assert_eq!(read_all(&a).unwrap(), b"hello lower\n");
    assert_eq!(errno(r.unlink(b"a.txt", false)), Errno::ENOENT);
    assert_eq!(errno(r.unlink(b"sub", false)), Errno::EISDIR);
    assert_eq!(errno(r.unlink(b"big", true)), Errno::ENOTDIR);
    // A new file in its place starts empty and shows.
    let n = r
        .create(b"a.txt", &file(0o644), Owner::default())
        .ok()
        .unwrap();
    assert_eq!(read_all(&n).unwrap(), b"");
    assert!(names(r).contains(&"a.txt".to_string()));
    assert_ne!(n.attr().unwrap().ino, a.attr().unwrap().ino);
    assert_eq!(
        errno(r.create(b"a.txt", &file(0o644), Owner::default())),
        Errno::EEXIST
    );
    assert_eq!(
        errno(r.create(b"sub", &file(0o644), Owner::default())),
        Errno::EEXIST
    );
    // Removing the new one brings back nothing from below.
    r.unlink(b"a.txt", false).unwrap();
    assert_eq!(errno(r.lookup(b"a.txt")), Errno::ENOENT);
}

#[test]
fn rmdir_needs_a_merged_empty_directory_and_new_ones_are_opaque() {
    let fx = fixture();
    let r = &fx.root;
    assert_eq!(errno(r.unlink(b"sub", true)), Errno::ENOTEMPTY);
    r.unlink(b"empty", true).unwrap();
    assert_eq!(errno(r.lookup(b"empty")), Errno::ENOENT);
    let sub = walk(r, "sub").unwrap();
    let deep = walk(r, "sub/deep").unwrap();
    deep.unlink(b"c", false).unwrap();
    sub.unlink(b"b.txt", false).unwrap();
    assert_eq!(errno(r.unlink(b"sub", true)), Errno::ENOTEMPTY);
    sub.unlink(b"deep", true).unwrap();
    assert!(names(&sub).is_empty());
    r.unlink(b"sub", true).unwrap();
    assert_eq!(
        errno(sub.create(b"x", &file(0o644), Owner::default())),
        Errno::ENOENT
    );
    assert_eq!(errno(sub.lookup(b"b.txt")), Errno::ENOENT);
    let again = mkdir(r, "sub");
    assert!(
        names(&again).is_empty(),
        "a directory made over a whiteout is opaque"
    );
    assert_eq!(errno(again.lookup(b"b.txt")), Errno::ENOENT);
    assert_eq!(again.attr().unwrap().nlink, 2);
    assert!(
        std::fs::metadata(fx.tree.0.join("sub/deep/c")).is_ok(),
        "the lower layer is never written"
    );
}

#[test]
fn writing_copies_up_and_keeps_identity() {
    let fx = fixture();
    let r = &fx.root;
    let c = walk(r, "sub/deep/c").unwrap();
    let before = c.attr().unwrap();
    assert!(lower_only(&c));
    write_at(&c, libc::O_WRONLY, 0, b"SEA").unwrap();
    assert!(!lower_only(&c));
    assert_eq!(read_all(&c).unwrap(), b"SEA");
    let after = c.attr().unwrap();
    assert_eq!(
        (after.ino, after.dev, after.mode),
        (before.ino, before.dev, before.mode)
    );
    assert!(same(&c, &walk(r, "sub/deep/c").unwrap()));
    // The directory chain came up with it; the host file did not change.
    assert_eq!(
        read_all(&walk(&fx.upper, "sub/deep/c").unwrap()).unwrap(),
        b"SEA"
    );
    assert_eq!(
        walk(&fx.upper, "sub").unwrap().attr().unwrap().mode & 0o7777,
        walk(r, "sub").unwrap().attr().unwrap().mode & 0o7777
    );
    assert_eq!(names(&walk(r, "sub").unwrap()), ["b.txt", "deep"]);
    assert_eq!(host(&fx, "sub/deep/c"), b"sea");
    // Read-only opens do not copy up.
    let b = walk(r, "sub/b.txt").unwrap();
    read_all(&b).unwrap();
    assert!(lower_only(&b));
    // O_TRUNC copies up nothing of the old data.
    write_at(&b, libc::O_WRONLY | libc::O_TRUNC, 0, b"").unwrap();
    assert_eq!(b.attr().unwrap().size, 0);
}

#[test]
fn setattr_copies_up_data_and_attributes() {
    let fx = fixture();
    let r = &fx.root;
    let a = walk(r, "a.txt").unwrap();
    let la = a.attr().unwrap();
    a.setattr(&SetAttr {
        mode: Some(0o600),
        ..SetAttr::default()
    })
    .unwrap();
    let ua = a.attr().unwrap();
    assert_eq!(ua.mode & 0o7777, 0o600);
    assert_eq!(
        (ua.uid, ua.gid, ua.size, ua.mtime),
        (la.uid, la.gid, la.size, la.mtime)
    );
    assert_eq!(read_all(&a).unwrap(), b"hello lower\n");

    let big = walk(r, "big").unwrap();
    big.setattr(&SetAttr {
        size: Some(10),
        ..SetAttr::default()
    })
    .unwrap();
    let want: Vec<u8> = (0..10).map(big_byte).collect();
    assert_eq!(read_all(&big).unwrap(), want);
}

#[test]
fn copy_up_copies_every_byte() {
    let fx = fixture();
    let big = walk(&fx.root, "big").unwrap();
    write_at(&big, libc::O_RDWR, BIG_LEN as i64, b"!").unwrap();
    let data = read_all(&big).unwrap();
    assert_eq!(data.len() as u64, BIG_LEN + 1);
    assert!(data[..BIG_LEN as usize]
        .iter()
        .enumerate()
        .all(|(i, &b)| b == big_byte(i as u64)));
}

#[test]
fn special_files_and_symlinks_copy_up_as_themselves() {
    let fx = fixture();
    let r = &fx.root;
    let esc = walk(r, "escape").unwrap();
    esc.setattr(&SetAttr {
        uid: Some(1234),
        ..SetAttr::default()
    })
    .unwrap();
    assert_eq!(esc.readlink().unwrap(), b"/etc");
    assert_eq!(esc.attr().unwrap().uid, 1234);
    assert_eq!(
        walk(&fx.upper, "escape").unwrap().readlink().unwrap(),
        b"/etc"
    );
    let fifo = walk(r, "fifo").unwrap();
    fifo.setattr(&SetAttr {
        mode: Some(0o600),
        ..SetAttr::default()
    })
    .unwrap();
    let ua = walk(&fx.upper, "fifo").unwrap().attr().unwrap();
    assert_eq!(ua.mode, S_IFIFO | 0o600);
}

#[test]
fn an_unlinked_open_file_can_still_be_copied_up() {
    let fx = fixture();
    let r = &fx.root;
    let a = walk(r, "a.txt").unwrap();
    r.unlink(b"a.txt", false).unwrap();
    a.setattr(&SetAttr {
        mode: Some(0o640),
        ..SetAttr::default()
    })
    .unwrap();
    assert_eq!(a.attr().unwrap().mode & 0o7777, 0o640);
    assert_eq!(read_all(&a).unwrap(), b"hello lower\n");
    assert!(!names(r).contains(&"a.txt".to_string()));
    assert!(names(&fx.upper).iter().all(|n| !n.starts_with(".rvisor")));
}

#[test]
fn rename_files_and_upper_directories() {
    let fx = fixture();
    let r = &fx.root;
    let a = walk(r, "a.txt").unwrap();
    let ino = a.attr().unwrap().ino;
    r.rename(b"a.txt", r, b"moved", 0).unwrap();
    assert_eq!(errno(r.lookup(b"a.txt")), Errno::ENOENT);
    let m = walk(r, "moved").unwrap();
    assert!(same(&a, &m));
    assert_eq!(m.attr().unwrap().ino, ino);
    assert_eq!(read_all(&m).unwrap(), b"hello lower\n");
    assert!(!names(r).contains(&"a.txt".to_string()));

    // Directories with lower parts do not move.
    assert_eq!(errno(r.rename(b"sub", r, b"sub2", 0)), Errno::EXDEV);
    assert_eq!(errno(r.rename(b"empty", r, b"e2", 0)), Errno::EXDEV);
    let sub = walk(r, "sub").unwrap();
    // Across directories, onto a lower file.
    sub.rename(b"b.txt", r, b"big", 0).unwrap();
    assert_eq!(read_all(&walk(r, "big").unwrap()).unwrap(), b"bee");
    assert_eq!(names(&sub), ["deep"]);

    // Upper-only directories do; over a lower directory they become opaque.
    let nd = mkdir(r, "newdir");
    nd.create(b"inside", &file(0o644), Owner::default())
        .ok()
        .unwrap();
    assert_eq!(errno(r.rename(b"newdir", r, b"moved", 0)), Errno::ENOTDIR);
    assert_eq!(errno(r.rename(b"moved", r, b"newdir", 0)), Errno::EISDIR);
    assert_eq!(errno(r.rename(b"newdir", r, b"sub", 0)), Errno::ENOTEMPTY);
    r.rename(b"newdir", r, b"empty", 0).unwrap();
    assert_eq!(names(&walk(r, "empty").unwrap()), ["inside"]);
    assert!(same(&walk(r, "empty").unwrap(), &nd));
    r.rename(b"empty", &sub, b"nd", 0).unwrap();
    assert_eq!(names(&sub), ["deep", "nd"]);
    assert_eq!(
        errno(r.lookup(b"empty")),
        Errno::ENOENT,
        "the lower directory stays hidden"
    );
    assert_eq!(errno(r.rename(b"missing", r, b"x", 0)), Errno::ENOENT);
    assert_eq!(
        errno(r.rename(b"moved", r, b"x", RENAME_WHITEOUT)),
        Errno::EINVAL
    );
    assert_eq!(
        errno(r.rename(b"moved", r, b"x", RENAME_EXCHANGE | RENAME_NOREPLACE)),
        Errno::EINVAL
    );
    assert_eq!(host(&fx, "a.txt"), b"hello lower\n");
}

#[test]
fn rename_noreplace_and_exchange() {
    let fx = fixture();
    let r = &fx.root;
    assert_eq!(
        errno(r.rename(b"a.txt", r, b"big", RENAME_NOREPLACE)),
        Errno::EEXIST
    );
    assert_eq!(
        errno(r.rename(b"a.txt", r, b"none", RENAME_EXCHANGE)),
        Errno::ENOENT
    );
    let sub = walk(r, "sub").unwrap();
    let a = walk(r, "a.txt").unwrap();
    let b = walk(r, "sub/b.txt").unwrap();
    r.rename(b"a.txt", &sub, b"b.txt", RENAME_EXCHANGE).unwrap();
    assert_eq!(read_all(&walk(r, "a.txt").unwrap()).unwrap(), b"bee");
    assert_eq!(
        read_all(&walk(r, "sub/b.txt").unwrap()).unwrap(),
        b"hello lower\n"
    );
    assert!(same(&walk(r, "a.txt").unwrap(), &b));
    assert!(same(&walk(r, "sub/b.txt").unwrap(), &a));
    // A merged directory cannot take part.
    assert_eq!(
        errno(r.rename(b"a.txt", r, b"sub", RENAME_EXCHANGE)),
        Errno::EXDEV
    );
    r.rename(b"a.txt", r, b"fresh", RENAME_NOREPLACE).unwrap();
    assert_eq!(
        names(r),
        ["big", "empty", "escape", "fifo", "fresh", "sub", "up"]
    );
}

#[test]
fn hard_links_copy_up_their_target() {
    let fx = fixture();
    let r = &fx.root;
    let a = walk(r, "a.txt").unwrap();
    let sub = walk(r, "sub").unwrap();
    sub.link(b"a2", &a).unwrap();
    let a2 = walk(r, "sub/a2").unwrap();
    assert!(same(&a, &a2));
    assert_eq!(a2.attr().unwrap().nlink, 2);
    write_at(&a2, libc::O_WRONLY, 0, b"HELLO").unwrap();
    assert_eq!(
        read_all(&walk(r, "a.txt").unwrap()).unwrap(),
        b"HELLO lower\n"
    );
    assert_eq!(errno(sub.link(b"a2", &a)), Errno::EEXIST);
    assert_eq!(errno(r.link(b"d", &sub)), Errno::EPERM);
    let foreign = fx.upper.clone();
    assert_eq!(errno(r.link(b"f", &foreign)), Errno::EXDEV);
}

#[test]
fn directory_files_list_the_merged_directory() {
    let fx = fixture();
    let sub = walk(&fx.root, "sub").unwrap();
    sub.create(b"new", &file(0o644), Owner::default())
        .ok()
        .unwrap();
    let flags = libc::O_RDONLY as u32;
    let f = File::new(
        sub.open(&sub, flags).ok().unwrap(),
        None,
        Some(sub.clone()),
        flags,
    );
    let mut n: Vec<_> = f
        .ops
        .readdir(&f)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    n.sort();
    assert_eq!(n, [b"b.txt".to_vec(), b"deep".to_vec(), b"new".to_vec()]);
    assert_eq!(errno(sub.open(&sub, libc::O_WRONLY as u32)), Errno::EISDIR);
}

#[test]
fn concurrent_changes_lookups_and_copy_ups() {
    let fx = fixture();
    let r = fx.root.clone();
    let mut threads = Vec::new();
    for t in 0..4 {
        let r = r.clone();
        threads.push(std::thread::spawn(move || {
            let sub = walk(&r, "sub").unwrap();
            for j in 0..50 {
                let name = format!("t{t}-{j}");
                let f = sub
                    .create(name.as_bytes(), &file(0o644), Owner::default())
                    .ok()
                    .unwrap();
                write_at(&f, libc::O_WRONLY, 0, name.as_bytes()).unwrap();
                assert_eq!(
                    read_all(&walk(&r, &format!("sub/{name}")).unwrap()).unwrap(),
                    name.as_bytes()
                );
                if j % 2 == 0 {
                    sub.unlink(name.as_bytes(), false).unwrap();
                }
            }
        }));
    }
    for _ in 0..2 {
        let r = r.clone();
        threads.push(std::thread::spawn(move || {
            for _ in 0..50 {
                let c = walk(&r, "sub/deep/c").unwrap();
                let _ = c.setattr(&SetAttr {
                    mode: Some(0o640),
                    ..SetAttr::default()
                });
                assert_eq!(read_all(&c).unwrap(), b"sea");
                let n = walk(&r, "sub").unwrap().readdir().unwrap();
                assert!(n.iter().any(|e| e.name == b"b.txt"));
            }
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    let n = names(&walk(&r, "sub").unwrap());
    assert_eq!(n.len(), 2 + 4 * 25);
    assert_eq!(
        walk(&r, "sub/deep/c").unwrap().attr().unwrap().mode & 0o7777,
        0o640
    );
}
