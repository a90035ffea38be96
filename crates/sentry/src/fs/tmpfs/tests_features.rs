//! The "file features" of tmpfs: extended attributes, O_TMPFILE files,
//! fallocate, and the numbers statfs reports.

use super::*;
use crate::mm::{IoDst, IoSrc};
use crate::vfs::file::File;
use crate::vfs::inode::{S_IFREG, XATTR_CREATE, XATTR_REPLACE};
use crate::vfs::range::{FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE};

fn setup() -> (Arc<MemoryFile>, Arc<Tmpfs>, Arc<dyn Inode>) {
    let mf = Arc::new(MemoryFile::new(1 << 30).unwrap());
    let fs = Tmpfs::new(mf.clone(), 0o1777, Owner::default());
    let root = fs.root();
    (mf, fs, root)
}

fn mkfile(d: &Arc<dyn Inode>, name: &str) -> Arc<dyn Inode> {
    d.create(
        name.as_bytes(),
        &NewNode::File { mode: 0o644 },
        Owner::default(),
    )
    .unwrap()
}

fn open(i: &Arc<dyn Inode>) -> Arc<File> {
    let flags = libc::O_RDWR as u32;
    File::new(i.open(i, flags).unwrap(), None, Some(i.clone()), flags)
}

fn read(f: &File, off: i64, len: usize) -> Vec<u8> {
    let mut v = vec![0xAAu8; len];
    let n = f.ops.read(f, &mut IoDst::buf(&mut v), off).unwrap();
    v.truncate(n as usize);
    v
}

#[test]
fn xattrs_are_stored_per_inode() {
    let (_mf, _fs, root) = setup();
    let f = mkfile(&root, "f");
    assert_eq!(f.listxattr().unwrap(), Vec::<Vec<u8>>::new());
    assert_eq!(f.getxattr(b"user.a"), Err(Errno::ENODATA));
    f.setxattr(b"user.a", b"1", 0).unwrap();
    f.setxattr(b"trusted.b", b"", 0).unwrap();
    assert_eq!(f.getxattr(b"user.a").unwrap(), b"1");
    assert_eq!(f.getxattr(b"trusted.b").unwrap(), b"");
    assert_eq!(
        f.setxattr(b"user.a", b"2", XATTR_CREATE),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        f.setxattr(b"user.c", b"2", XATTR_REPLACE),
        Err(Errno::ENODATA)
    );
    f.setxattr(b"user.a", b"22", XATTR_REPLACE).unwrap();
    assert_eq!(f.getxattr(b"user.a").unwrap(), b"22");
    assert_eq!(
        f.listxattr().unwrap(),
        vec![b"trusted.b".to_vec(), b"user.a".to_vec()]
    );
    f.removexattr(b"user.a").unwrap();
    assert_eq!(f.removexattr(b"user.a"), Err(Errno::ENODATA));
    // Another name of the same inode sees the same attributes.
    root.link(b"g", &f).unwrap();
    assert_eq!(
        root.lookup(b"g").unwrap().getxattr(b"trusted.b").unwrap(),
        b""
    );
    // Directories have their own.
    assert_eq!(root.getxattr(b"trusted.b"), Err(Errno::ENODATA));
}

#[test]
fn xattr_space_is_bounded_and_given_back() {
    let (_mf, fs, root) = setup();
    fs.shared.xattr_space.store(1000, Ordering::Relaxed);
    let f = mkfile(&root, "f");
    f.setxattr(b"user.a", &[1; 500], 0).unwrap();
    assert_eq!(f.setxattr(b"user.b", &[1; 500], 0), Err(Errno::ENOSPC));
    // Replacing a value costs only the difference in the end.
    f.setxattr(b"user.a", &[2; 100], 0).unwrap();
    f.setxattr(b"user.b", &[1; 500], 0).unwrap();
    root.unlink(b"f", false).unwrap();
    drop(f);
    // The inode is gone: all its space is back.
    assert_eq!(fs.shared.xattr_space.load(Ordering::Relaxed), 1000);
}

#[test]
fn tmpfiles_have_no_name_until_linked_once() {
    let (_mf, _fs, root) = setup();
    let t = root.create_tmpfile(0o600, Owner::default(), true).unwrap();
    let a = t.attr().unwrap();
    assert_eq!((a.nlink, a.mode), (0, S_IFREG | 0o600));
    assert!(root.readdir().unwrap().is_empty());
    let f = open(&t);
    f.ops.write(&f, &mut IoSrc::buf(b"hi"), 0).unwrap();
    root.link(b"named", &t).unwrap();
    assert_eq!(t.attr().unwrap().nlink, 1);
    assert_eq!(read(&open(&root.lookup(b"named").unwrap()), 0, 10), b"hi");
    root.unlink(b"named", false).unwrap();
    // Linkable only once: after losing the name it stays unnamed.
    assert_eq!(root.link(b"again", &t), Err(Errno::ENOENT));

    let excl = root.create_tmpfile(0o600, Owner::default(), false).unwrap();
    assert_eq!(root.link(b"excl", &excl), Err(Errno::ENOENT));
    // Not in a directory that is gone, nor in a file.
    let d = root
        .create(b"d", &NewNode::Dir { mode: 0o755 }, Owner::default())
        .unwrap();
    root.unlink(b"d", true).unwrap();
    assert!(d.create_tmpfile(0o600, Owner::default(), true).is_err());
    let file = mkfile(&root, "file");
    assert_eq!(
        file.create_tmpfile(0o600, Owner::default(), true).err(),
        Some(Errno::ENOTDIR)
    );
}

#[test]
fn fallocate_allocates_and_punches() {
    let (mf, fs, root) = setup();
    let i = mkfile(&root, "f");
    let f = open(&i);
    let used = || fs.shared.quota.used.load(Ordering::Relaxed);
    f.ops.fallocate(&f, 0, 0, 1 << 20).unwrap();
    let a = i.attr().unwrap();
    assert_eq!((a.size, a.blocks), (1 << 20, 2048));
    assert_eq!(used(), 1 << 20);
    // KEEP_SIZE allocates past the end without growing the file.
    f.ops
        .fallocate(&f, FALLOC_FL_KEEP_SIZE, 1 << 20, 1 << 16)
        .unwrap();
    assert_eq!(i.attr().unwrap().size, 1 << 20);
    assert_eq!(used(), (1 << 20) + (1 << 16));
    // Punching: partial pages are zeroed, whole pages given back.
    f.ops
        .write(&f, &mut IoSrc::buf(&[7u8; 3 * 4096]), 0)
        .unwrap();
    let before = mf.allocated_bytes();
    f.ops
        .fallocate(&f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 8192)
        .unwrap();
    let d = read(&f, 0, 3 * 4096);
    assert!(d[..100].iter().all(|&b| b == 7));
    assert!(d[100..8292].iter().all(|&b| b == 0));
    assert!(d[8292..].iter().all(|&b| b == 7));
    assert_eq!(before - mf.allocated_bytes(), 4096);
    assert_eq!(used(), (1 << 20) + (1 << 16) - 4096);
    assert_eq!(i.attr().unwrap().blocks, 2048 - 8);
    // Writing into the hole again gives it a frame again.
    f.ops
        .write(&f, &mut IoSrc::buf(&[9u8; 4096]), 4096)
        .unwrap();
    assert_eq!(read(&f, 4096, 4096), vec![9u8; 4096]);
    assert_eq!(used(), (1 << 20) + (1 << 16));
    // Modes tmpfs does not have.
    assert_eq!(
        f.ops.fallocate(&f, FALLOC_FL_ZERO_RANGE, 0, 4096),
        Err(Errno::EOPNOTSUPP)
    );
    // More than fits: refused before anything is allocated.
    let held = mf.allocated_bytes();
    assert_eq!(f.ops.fallocate(&f, 0, 0, 1 << 50), Err(Errno::ENOSPC));
    assert_eq!(mf.allocated_bytes(), held);
    // With a size limit, the limit decides.
    fs.set_size_limit(Some(2 << 20)).unwrap();
    assert_eq!(f.ops.fallocate(&f, 0, 2 << 20, 1 << 20), Err(Errno::ENOSPC));
    // Everything goes back when the file does.
    drop(f);
    root.unlink(b"f", false).unwrap();
    drop(i);
    assert_eq!(used(), 0);
}

#[test]
fn statfs_counts_blocks_and_inodes() {
    let (_mf, fs, root) = setup();
    let s0 = root.statfs().unwrap();
    assert_eq!((s0.bsize, s0.namelen), (4096, 255));
    assert!(s0.blocks > 0 && s0.bfree <= s0.blocks && s0.bavail == s0.bfree);
    assert!(s0.files > 0 && s0.ffree < s0.files);
    let i = mkfile(&root, "f");
    let f = open(&i);
    f.ops
        .write(&f, &mut IoSrc::buf(&[1u8; 1 << 20]), 0)
        .unwrap();
    let s1 = root.statfs().unwrap();
    assert_eq!(s0.bfree - s1.bfree, 256);
    assert_eq!(s0.ffree - s1.ffree, 1);
    fs.set_size_limit(Some(4 << 20)).unwrap();
    let s2 = i.statfs().unwrap();
    assert_eq!((s2.blocks, s2.bfree), (1024, 768));
    drop(f);
    root.unlink(b"f", false).unwrap();
    drop(i);
    let s3 = root.statfs().unwrap();
    assert_eq!((s3.bfree, s3.ffree), (1024, s0.ffree));
}
