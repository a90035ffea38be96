use super::regular::{CHUNK, MAX_FILE_SIZE};
use super::*;
use crate::mm::{IoDst, IoSrc};
use crate::vfs::file::File;
use crate::vfs::inode::{
    RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT, S_IFCHR, S_IFIFO, S_IFLNK, S_IFREG,
};
use abi::PAGE_SIZE;

fn setup() -> (Arc<MemoryFile>, Arc<Tmpfs>, Arc<dyn Inode>) {
    let mf = Arc::new(MemoryFile::new(1 << 30).unwrap());
    let fs = Tmpfs::new(mf.clone(), 0o1777, Owner { uid: 5, gid: 6 });
    let root = fs.root();
    (mf, fs, root)
}

fn mkdir(d: &Arc<dyn Inode>, name: &str) -> Arc<dyn Inode> {
    d.create(
        name.as_bytes(),
        &NewNode::Dir { mode: 0o755 },
        Owner::default(),
    )
    .unwrap()
}

fn mkfile(d: &Arc<dyn Inode>, name: &str) -> Arc<dyn Inode> {
    d.create(
        name.as_bytes(),
        &NewNode::File { mode: 0o644 },
        Owner::default(),
    )
    .unwrap()
}

fn names(d: &Arc<dyn Inode>) -> Vec<String> {
    d.readdir()
        .unwrap()
        .into_iter()
        .map(|e| String::from_utf8(e.name).unwrap())
        .collect()
}

fn nlink(i: &Arc<dyn Inode>) -> u64 {
    i.attr().unwrap().nlink
}

fn open(i: &Arc<dyn Inode>) -> Arc<File> {
    let flags = libc::O_RDWR as u32;
    File::new(i.open(i, flags).unwrap(), None, Some(i.clone()), flags)
}

fn write(f: &File, off: i64, data: &[u8]) -> Result<u64, Errno> {
    f.ops.write(f, &mut IoSrc::buf(data), off)
}

fn read(f: &File, off: i64, len: usize) -> Vec<u8> {
    let mut v = vec![0xAAu8; len];
    let n = f.ops.read(f, &mut IoDst::buf(&mut v), off).unwrap();
    v.truncate(n as usize);
    v
}

#[test]
fn root_and_create() {
    let (_mf, fs, root) = setup();
    let a = root.attr().unwrap();
    assert_eq!(
        (a.ino, a.mode, a.nlink, a.uid, a.gid),
        (1, S_IFDIR | 0o1777, 2, 5, 6)
    );
    assert_eq!(a.dev, fs.dev());
    assert_eq!(a.size, 40);
    assert_eq!(root.fs_info().magic, 0x01021994);
    assert_eq!(root.fs_info().name, "tmpfs");

    let d = mkdir(&root, "d");
    let f = mkfile(&root, "f");
    root.create(
        b"l",
        &NewNode::Symlink {
            target: b"f".to_vec(),
        },
        Owner::default(),
    )
    .unwrap();
    root.create(
        b"p",
        &NewNode::Node {
            mode: S_IFIFO | 0o600,
            rdev: 0,
        },
        Owner::default(),
    )
    .unwrap();
    assert_eq!(nlink(&root), 3);
    assert_eq!(nlink(&d), 2);
    assert_eq!(nlink(&f), 1);
    assert_eq!(root.attr().unwrap().size, 6 * 20);
    assert_eq!(names(&root), ["d", "f", "l", "p"]);
    let kinds: Vec<FileType> = root
        .readdir()
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            FileType::Directory,
            FileType::Regular,
            FileType::Symlink,
            FileType::Fifo
        ]
    );

    assert_eq!(
        root.lookup(b"f").unwrap().attr().unwrap().ino,
        f.attr().unwrap().ino
    );
    assert_eq!(root.lookup(b"nope").err(), Some(Errno::ENOENT));
    assert_eq!(f.lookup(b"x").err(), Some(Errno::ENOTDIR));
    assert_eq!(f.readdir().err(), Some(Errno::ENOTDIR));
    assert_eq!(
        root.create(b"f", &NewNode::Dir { mode: 0o755 }, Owner::default())
            .err(),
        Some(Errno::EEXIST)
    );

    let l = root.lookup(b"l").unwrap();
    assert_eq!(l.readlink().unwrap(), b"f");
    let la = l.attr().unwrap();
    assert_eq!((la.mode, la.size), (S_IFLNK | 0o777, 1));
    assert_eq!(f.readlink().err(), Some(Errno::EINVAL));
    let empty = NewNode::Symlink { target: Vec::new() };
    assert_eq!(
        root.create(b"e", &empty, Owner::default()).err(),
        Some(Errno::ENOENT)
    );
    let bad = NewNode::Node {
        mode: S_IFDIR | 0o755,
        rdev: 0,
    };
    assert_eq!(
        root.create(b"e", &bad, Owner::default()).err(),
        Some(Errno::EINVAL)
    );
    let reg = NewNode::Node {
        mode: 0o600,
        rdev: 0,
    };
    assert_eq!(
        root.create(b"r", &reg, Owner::default())
            .unwrap()
            .attr()
            .unwrap()
            .mode,
        S_IFREG | 0o600
    );
}

#[test]
fn special_nodes() {
    let (_mf, _fs, root) = setup();
    let rdev = crate::fs::devnum::makedev(1, 5);
    let z = root
        .create(
            b"zero",
            &NewNode::Node {
                mode: S_IFCHR | 0o666,
                rdev,
            },
            Owner::default(),
        )
        .unwrap();
    let a = z.attr().unwrap();
    assert_eq!((a.mode, a.rdev, a.size), (S_IFCHR | 0o666, rdev, 0));
    let f = open(&z);
    assert_eq!(read(&f, 0, 8), [0u8; 8]);

    let p = root
        .create(
            b"p",
            &NewNode::Node {
                mode: S_IFIFO | 0o600,
                rdev: 0,
            },
            Owner::default(),
        )
        .unwrap();
    // A FIFO opens onto its pipe; a nonblocking writer without a reader is ENXIO.
    let nb_writer = (libc::O_WRONLY | libc::O_NONBLOCK) as u32;
    assert_eq!(p.open(&p, nb_writer).err(), Some(Errno::ENXIO));
    assert!(p.open(&p, libc::O_RDWR as u32).is_ok());
    let s = root
        .create(
            b"s",
            &NewNode::Node {
                mode: 0o140755,
                rdev: 0,
            },
            Owner::default(),
        )
        .unwrap();
    assert_eq!(s.open(&s, 0).err(), Some(Errno::ENXIO));

    let l = root
        .create(
            b"l",
            &NewNode::Symlink {
                target: b"/x".to_vec(),
            },
            Owner::default(),
        )
        .unwrap();
    let lf = File::new(
        l.open(&l, libc::O_PATH as u32).unwrap(),
        None,
        Some(l.clone()),
        libc::O_PATH as u32,
    );
    assert_eq!(
        lf.ops.read(&lf, &mut IoDst::buf(&mut [0u8; 4]), 0),
        Err(Errno::EBADF)
    );

    let d = open(&root);
    assert_eq!(
        d.ops.read(&d, &mut IoDst::buf(&mut [0u8; 4]), 0),
        Err(Errno::EISDIR)
    );
    assert_eq!(d.ops.readdir(&d).unwrap().len(), 4);
}

#[test]
fn unlink_and_rmdir() {
    let (_mf, _fs, root) = setup();
    let d = mkdir(&root, "d");
    mkfile(&d, "inner");
    mkfile(&root, "f");
    assert_eq!(root.unlink(b"nope", false), Err(Errno::ENOENT));
    assert_eq!(root.unlink(b"d", false), Err(Errno::EISDIR));
    assert_eq!(root.unlink(b"f", true), Err(Errno::ENOTDIR));
    assert_eq!(root.unlink(b"d", true), Err(Errno::ENOTEMPTY));
    assert_eq!(mkfile(&root, "g").unlink(b"x", false), Err(Errno::ENOTDIR));

    let f = root.lookup(b"f").unwrap();
    let before = root.attr().unwrap().mtime;
    std::thread::sleep(std::time::Duration::from_millis(2));
    root.unlink(b"f", false).unwrap();
    assert_eq!(nlink(&f), 0);
    assert!(ts_key(&root.attr().unwrap().mtime) > ts_key(&before));
    assert_eq!(root.lookup(b"f").err(), Some(Errno::ENOENT));

    d.unlink(b"inner", false).unwrap();
    assert_eq!(nlink(&root), 3);
    root.unlink(b"d", true).unwrap();
    assert_eq!(nlink(&root), 2);
    assert_eq!(nlink(&d), 0);
    // A removed directory stays empty.
    assert_eq!(
        d.create(b"x", &NewNode::File { mode: 0o644 }, Owner::default())
            .err(),
        Some(Errno::ENOENT)
    );
    assert!(d.readdir().unwrap().is_empty());
}

#[test]
fn hard_links() {
    let (_mf, _fs, root) = setup();
    let f = mkfile(&root, "f");
    let d = mkdir(&root, "d");
    let ctime = f.attr().unwrap().ctime;
    std::thread::sleep(std::time::Duration::from_millis(2));
    d.link(b"g", &f).unwrap();
    assert_eq!(nlink(&f), 2);
    assert!(ts_key(&f.attr().unwrap().ctime) > ts_key(&ctime));
    assert_eq!(
        d.lookup(b"g").unwrap().attr().unwrap().ino,
        f.attr().unwrap().ino
    );
    assert_eq!(root.link(b"f", &f), Err(Errno::EEXIST));
    assert_eq!(root.link(b"dd", &d), Err(Errno::EPERM));
    assert_eq!(f.link(b"x", &f), Err(Errno::ENOTDIR));

    let (_mf2, _fs2, other) = setup();
    assert_eq!(other.link(b"f", &f), Err(Errno::EXDEV));

    root.unlink(b"f", false).unwrap();
    assert_eq!(nlink(&f), 1);
    d.unlink(b"g", false).unwrap();
    assert_eq!(nlink(&f), 0);
    assert_eq!(root.link(b"back", &f), Err(Errno::ENOENT));
}

#[test]
fn rename_moves_and_replaces() {
    let (_mf, _fs, root) = setup();
    let a = mkdir(&root, "a");
    let b = mkdir(&root, "b");
    let f = mkfile(&a, "f");
    a.rename(b"f", &b, b"g", 0).unwrap();
    assert!(names(&a).is_empty());
    assert_eq!(names(&b), ["g"]);
    assert_eq!(
        b.lookup(b"g").unwrap().attr().unwrap().ino,
        f.attr().unwrap().ino
    );
    assert_eq!(a.rename(b"f", &b, b"g", 0), Err(Errno::ENOENT));

    // Over an existing file: the victim loses a link.
    let h = mkfile(&b, "h");
    b.rename(b"g", &b, b"h", 0).unwrap();
    assert_eq!(nlink(&h), 0);
    assert_eq!(names(&b), ["h"]);

    // Directory moves change both parents' link counts.
    let sub = mkdir(&a, "sub");
    assert_eq!((nlink(&a), nlink(&b)), (3, 2));
    a.rename(b"sub", &b, b"sub2", 0).unwrap();
    assert_eq!((nlink(&a), nlink(&b)), (2, 3));
    assert_eq!(nlink(&sub), 2);

    // Directory over an empty directory.
    let empty = mkdir(&a, "empty");
    b.rename(b"sub2", &a, b"empty", 0).unwrap();
    assert_eq!(nlink(&empty), 0);
    assert_eq!((nlink(&a), nlink(&b)), (3, 2));
    assert_eq!(
        a.lookup(b"empty").unwrap().attr().unwrap().ino,
        sub.attr().unwrap().ino
    );

    // Renaming a name onto itself, or onto another link of the same file, does nothing.
    a.rename(b"empty", &a, b"empty", 0).unwrap();
    let x = mkfile(&root, "x");
    root.link(b"y", &x).unwrap();
    root.rename(b"x", &root, b"y", 0).unwrap();
    assert_eq!(nlink(&x), 2);
    assert!(names(&root).contains(&"x".to_string()));
}

#[test]
fn rename_errors() {
    let (_mf, _fs, root) = setup();
    let d = mkdir(&root, "d");
    let full = mkdir(&root, "full");
    mkfile(&full, "x");
    mkfile(&root, "f");
    let inner = mkdir(&d, "inner");
    let deeper = mkdir(&inner, "deeper");

    assert_eq!(
        root.rename(b"f", &root, b"d", RENAME_NOREPLACE),
        Err(Errno::EEXIST)
    );
    assert_eq!(root.rename(b"d", &root, b"f", 0), Err(Errno::ENOTDIR));
    assert_eq!(root.rename(b"f", &root, b"d", 0), Err(Errno::EISDIR));
    assert_eq!(root.rename(b"d", &root, b"full", 0), Err(Errno::ENOTEMPTY));
    assert_eq!(
        root.rename(b"f", &root, b"missing", RENAME_EXCHANGE),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        root.rename(b"f", &root, b"g", RENAME_EXCHANGE | RENAME_NOREPLACE),
        Err(Errno::EINVAL)
    );
    assert_eq!(root.rename(b"f", &root, b"g", 64), Err(Errno::EINVAL));
    // Into its own subtree.
    assert_eq!(root.rename(b"d", &deeper, b"d", 0), Err(Errno::EINVAL));
    assert_eq!(root.rename(b"d", &d, b"again", 0), Err(Errno::EINVAL));
    // Onto an ancestor of the source.
    assert_eq!(
        inner.rename(b"deeper", &root, b"d", 0),
        Err(Errno::ENOTEMPTY)
    );
    assert_eq!(
        inner.rename(b"deeper", &root, b"d", RENAME_EXCHANGE),
        Err(Errno::EINVAL)
    );
    // Across instances.
    let (_mf2, _fs2, other) = setup();
    assert_eq!(root.rename(b"f", &other, b"f", 0), Err(Errno::EXDEV));
    let f = root.lookup(b"f").unwrap();
    assert_eq!(root.rename(b"f", &f, b"f", 0), Err(Errno::ENOTDIR));
    assert_eq!(names(&root), ["d", "f", "full"]);

    // Into a removed directory.
    let gone = mkdir(&root, "gone");
    root.unlink(b"gone", true).unwrap();
    assert_eq!(root.rename(b"f", &gone, b"f", 0), Err(Errno::ENOENT));
}

#[test]
fn rename_exchange_and_whiteout() {
    let (_mf, _fs, root) = setup();
    let a = mkdir(&root, "a");
    let b = mkdir(&root, "b");
    let f = mkfile(&a, "f");
    let sub = mkdir(&b, "sub");
    mkfile(&sub, "content");
    a.rename(b"f", &b, b"sub", RENAME_EXCHANGE).unwrap();
    assert_eq!(
        a.lookup(b"f").unwrap().attr().unwrap().ino,
        sub.attr().unwrap().ino
    );
    assert_eq!(
        b.lookup(b"sub").unwrap().attr().unwrap().ino,
        f.attr().unwrap().ino
    );
    assert_eq!((nlink(&a), nlink(&b)), (3, 2));
    // The moved directory's parent followed it: it cannot now move into a.
    assert_eq!(root.rename(b"a", &sub, b"x", 0), Err(Errno::EINVAL));
    // Same directory exchange.
    mkfile(&root, "p");
    root.rename(b"a", &root, b"p", RENAME_EXCHANGE).unwrap();
    assert_eq!(
        root.lookup(b"p").unwrap().attr().unwrap().ino,
        a.attr().unwrap().ino
    );

    let w = mkfile(&root, "w");
    root.rename(b"w", &b, b"moved", RENAME_WHITEOUT).unwrap();
    let wo = root.lookup(b"w").unwrap().attr().unwrap();
    assert_eq!((wo.mode, wo.rdev), (S_IFCHR, 0));
    assert_eq!(
        b.lookup(b"moved").unwrap().attr().unwrap().ino,
        w.attr().unwrap().ino
    );
}

#[test]
fn setattr_changes() {
    let (_mf, _fs, root) = setup();
    let f = mkfile(&root, "f");
    let c0 = f.attr().unwrap().ctime;
    std::thread::sleep(std::time::Duration::from_millis(2));
    f.setattr(&SetAttr {
        mode: Some(0o4755 | S_IFDIR),
        uid: Some(10),
        gid: Some(20),
        ..Default::default()
    })
    .unwrap();
    let a = f.attr().unwrap();
    assert_eq!((a.mode, a.uid, a.gid), (S_IFREG | 0o4755, 10, 20));
    assert!(ts_key(&a.ctime) > ts_key(&c0));

    let at = Timespec {
        tv_sec: 1000,
        tv_nsec: 5,
    };
    f.setattr(&SetAttr {
        atime: Some(TimeSet::At(at)),
        mtime: Some(TimeSet::Now),
        ..Default::default()
    })
    .unwrap();
    let b = f.attr().unwrap();
    assert_eq!(b.atime, at);
    assert!(ts_key(&b.mtime) >= ts_key(&a.ctime));

    assert_eq!(
        root.setattr(&SetAttr {
            size: Some(0),
            ..Default::default()
        }),
        Err(Errno::EISDIR)
    );
    let l = root
        .create(
            b"l",
            &NewNode::Symlink {
                target: b"x".to_vec(),
            },
            Owner::default(),
        )
        .unwrap();
    assert_eq!(
        l.setattr(&SetAttr {
            size: Some(0),
            ..Default::default()
        }),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        f.setattr(&SetAttr {
            size: Some(MAX_FILE_SIZE + 1),
            ..Default::default()
        }),
        Err(Errno::EFBIG)
    );
    f.setattr(&SetAttr {
        size: Some(MAX_FILE_SIZE),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(f.attr().unwrap().size, MAX_FILE_SIZE);
}

#[test]
fn file_data_and_holes() {
    let (mf, _fs, root) = setup();
    let i = mkfile(&root, "f");
    let f = open(&i);
    assert_eq!(read(&f, 0, 10), b"");
    assert_eq!(write(&f, 0, b"hello world"), Ok(11));
    assert_eq!(read(&f, 0, 100), b"hello world");
    assert_eq!(read(&f, 6, 3), b"wor");
    assert_eq!(read(&f, 11, 3), b"");
    let a = i.attr().unwrap();
    assert_eq!((a.size, a.blocks, a.blksize), (11, 8, 4096));
    // One chunk holds the file.
    assert_eq!(mf.allocated_bytes(), CHUNK);

    // A write far away leaves a hole that costs nothing and reads as zeros.
    let far = 1u64 << 40;
    assert_eq!(write(&f, far as i64, b"end"), Ok(3));
    assert_eq!(i.attr().unwrap().size, far + 3);
    assert_eq!(mf.allocated_bytes(), 2 * CHUNK);
    assert_eq!(read(&f, 5000, 4), [0u8; 4]);
    assert_eq!(read(&f, far as i64 - 2, 10), b"\0\0end");
    // A read across a chunk boundary, partly a hole.
    assert_eq!(write(&f, CHUNK as i64 - 2, b"ab"), Ok(2));
    assert_eq!(read(&f, CHUNK as i64 - 3, 5), b"\0ab\0\0");

    // Writes larger than a chunk, at an odd offset.
    let big: Vec<u8> = (0..300_000u32).map(|x| (x % 251) as u8).collect();
    assert_eq!(write(&f, 12345, &big), Ok(big.len() as u64));
    assert_eq!(read(&f, 12345, big.len()), big);

    assert_eq!(
        f.ops.read(&f, &mut IoDst::buf(&mut [0u8; 1]), -1),
        Err(Errno::EINVAL)
    );
    assert_eq!(write(&f, MAX_FILE_SIZE as i64, b"x"), Err(Errno::EFBIG));
    assert_eq!(write(&f, MAX_FILE_SIZE as i64 - 1, b"xyz"), Ok(1));
    assert_eq!(i.attr().unwrap().size, MAX_FILE_SIZE);
    assert_eq!(write(&f, 0, b""), Ok(0));
}

#[test]
fn truncate_frees_and_zeroes() {
    let (mf, _fs, root) = setup();
    let i = mkfile(&root, "f");
    let f = open(&i);
    let data = vec![0x5Au8; 3 * CHUNK as usize];
    write(&f, 0, &data).unwrap();
    assert_eq!(mf.allocated_bytes(), 3 * CHUNK);
    assert_eq!(i.attr().unwrap().blocks, 3 * CHUNK / 512);

    let m0 = i.attr().unwrap().mtime;
    std::thread::sleep(std::time::Duration::from_millis(2));
    i.setattr(&SetAttr {
        size: Some(5000),
        ..Default::default()
    })
    .unwrap();
    assert!(ts_key(&i.attr().unwrap().mtime) > ts_key(&m0));
    // Pages past the new end are released; the last page keeps only its head.
    assert_eq!(mf.allocated_bytes(), 2 * PAGE_SIZE);
    assert_eq!(i.attr().unwrap().blocks, 16);
    i.setattr(&SetAttr {
        size: Some(10000),
        ..Default::default()
    })
    .unwrap();
    let back = read(&f, 4990, 100);
    assert_eq!(&back[..10], &[0x5A; 10]);
    assert_eq!(&back[10..], &[0u8; 90][..]);
    assert_eq!(read(&f, 9000, 2000), vec![0u8; 1000]);

    i.setattr(&SetAttr {
        size: Some(0),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(mf.allocated_bytes(), 0);
    assert_eq!(read(&f, 0, 10), b"");

    // Unlinking the last name and closing releases everything.
    write(&f, 0, &data).unwrap();
    assert_eq!(mf.allocated_bytes(), 3 * CHUNK);
    root.unlink(b"f", false).unwrap();
    assert_eq!(mf.allocated_bytes(), 3 * CHUNK);
    drop(f);
    drop(i);
    assert_eq!(mf.allocated_bytes(), 0);
}

#[test]
fn seek_data_and_hole() {
    let (_mf, _fs, root) = setup();
    let i = mkfile(&root, "f");
    let f = open(&i);
    let seek = |off: i64, hole: bool| f.ops.seek_data(&f, off, 0, hole);
    assert_eq!(seek(0, false), Err(Errno::ENXIO));
    let c = CHUNK as i64;
    write(&f, 4 * c + 10, b"data").unwrap();
    write(&f, 10 * c, b"more").unwrap();
    let size = 10 * c + 4;
    assert_eq!(seek(0, false), Ok(4 * c));
    assert_eq!(seek(0, true), Ok(0));
    assert_eq!(seek(4 * c + 7, false), Ok(4 * c + 7));
    // Holes are page granular, as in Linux's tmpfs.
    assert_eq!(seek(4 * c + 7, true), Ok(4 * c + 4096));
    assert_eq!(seek(5 * c, false), Ok(10 * c));
    assert_eq!(seek(10 * c, true), Ok(size));
    assert_eq!(seek(size, false), Err(Errno::ENXIO));
    assert_eq!(seek(size, true), Err(Errno::ENXIO));
    assert_eq!(seek(-1, true), Err(Errno::ENXIO));
    // Data ending before end of file leaves a hole at the end.
    i.setattr(&SetAttr {
        size: Some(20 * CHUNK),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(seek(10 * c + 1, true), Ok(10 * c + 4096));
    assert_eq!(seek(11 * c, false), Err(Errno::ENXIO));
}

#[test]
fn mappable_frames() {
    let (mf, _fs, root) = setup();
    let i = mkfile(&root, "f");
    let f = open(&i);
    let m = f.ops.mappable().unwrap();
    assert_eq!(m.size(), 0);
    assert!(m.get_frames(0, PAGE_SIZE, false).unwrap().is_empty());

    write(&f, 0, b"shared").unwrap();
    i.setattr(&SetAttr {
        size: Some(3 * PAGE_SIZE + 1),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(m.size(), 3 * PAGE_SIZE + 1);
    let (dev, ino, _) = m.describe();
    assert_eq!((dev, ino), (i.attr().unwrap().dev, i.attr().unwrap().ino));

    // Frames stop at the page holding end of file.
    let frames = m.get_frames(0, 8 * PAGE_SIZE, false).unwrap();
    let total: u64 = frames.iter().map(|r| r.1).sum();
    assert_eq!(total, 4 * PAGE_SIZE);
    let (frame, _) = frames[0];
    assert_eq!(mf.refcount(frame), 2);
    let mut b = [0u8; 6];
    mf.read(frame, &mut b).unwrap();
    assert_eq!(&b, b"shared");
    // Writing through the frame is writing the file.
    mf.write(frame + 1, b"H").unwrap();
    assert_eq!(read(&f, 0, 6), b"sHared");

    // Holes get frames too, with the extra reference.
    let far = 100 * CHUNK;
    i.setattr(&SetAttr {
        size: Some(far + PAGE_SIZE),
        ..Default::default()
    })
    .unwrap();
    let hole = m.get_frames(far, PAGE_SIZE, true).unwrap();
    assert_eq!(hole.len(), 1);
    assert_eq!(mf.refcount(hole[0].0), 2);
    assert!(m
        .get_frames(far + PAGE_SIZE, PAGE_SIZE, true)
        .unwrap()
        .is_empty());

    // Truncating drops the file's references; the mapping keeps its frames.
    i.setattr(&SetAttr {
        size: Some(0),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(mf.refcount(frame), 1);
    assert_eq!(mf.refcount(hole[0].0), 1);
    for (fr, l) in frames.into_iter().chain(hole) {
        mf.decref(fr, l);
    }
    assert_eq!(mf.allocated_bytes(), 0);
}

#[test]
fn mapped_tail_is_cleared_on_growth() {
    let (mf, _fs, root) = setup();
    let i = mkfile(&root, "f");
    let f = open(&i);
    write(&f, 0, b"abc").unwrap();
    let m = f.ops.mappable().unwrap();
    let frames = m.get_frames(0, PAGE_SIZE, true).unwrap();
    // A shared mapping may scribble past end of file in the last page.
    mf.write(frames[0].0 + 3, b"junk").unwrap();
    assert_eq!(read(&f, 0, 10), b"abc");
    write(&f, 10, b"z").unwrap();
    assert_eq!(read(&f, 0, 20), b"abc\0\0\0\0\0\0\0z");
    mf.decref(frames[0].0, frames[0].1);
}

#[test]
fn atime_is_relatime() {
    let (_mf, _fs, root) = setup();
    let i = mkfile(&root, "f");
    let f = open(&i);
    let old = Timespec {
        tv_sec: 1,
        tv_nsec: 0,
    };
    i.setattr(&SetAttr {
        atime: Some(TimeSet::At(old)),
        ..Default::default()
    })
    .unwrap();
    read(&f, 0, 1);
    let a1 = i.attr().unwrap().atime;
    assert!(a1.tv_sec > 1);
    // Newer than mtime and ctime and recent: left alone.
    std::thread::sleep(std::time::Duration::from_millis(2));
    read(&f, 0, 1);
    assert_eq!(i.attr().unwrap().atime, a1);
}

#[test]
fn deep_trees_drop_without_recursion() {
    let (mf, fs, root) = setup();
    let mut d = root.clone();
    for _ in 0..100_000 {
        d = mkdir(&d, "d");
    }
    let fi = mkfile(&d, "f");
    write(&open(&fi), 0, b"x").unwrap();
    drop(fi);
    drop(d);
    drop(root);
    // Run the teardown on a small stack to prove it is iterative.
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || drop(fs))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(mf.allocated_bytes(), 0);
}

#[test]
fn concurrent_renames_do_not_deadlock() {
    let (_mf, _fs, root) = setup();
    let a = mkdir(&root, "a");
    let b = mkdir(&root, "b");
    for i in 0..50 {
        mkfile(&a, &format!("a{i}"));
        mkfile(&b, &format!("b{i}"));
    }
    let t = {
        let (a, b) = (a.clone(), b.clone());
        std::thread::spawn(move || {
            for i in 0..50 {
                a.rename(
                    format!("a{i}").as_bytes(),
                    &b,
                    format!("a{i}").as_bytes(),
                    0,
                )
                .unwrap();
            }
        })
    };
    for i in 0..50 {
        b.rename(
            format!("b{i}").as_bytes(),
            &a,
            format!("b{i}").as_bytes(),
            0,
        )
        .unwrap();
    }
    t.join().unwrap();
    assert_eq!(names(&a).len(), 50);
    assert!(names(&a).iter().all(|n| n.starts_with('b')));
}
