//! The "file features" through the overlay: extended attributes (read
//! through, carried by copy-up), O_TMPFILE files, statfs. The lower layer
//! is a tmpfs here, so its attributes can be set directly.

use super::new_overlay;
use super::OverlayInode;
use crate::fs::tmpfs::Tmpfs;
use crate::vfs::inode::{FileType, Inode, NewNode, Owner};
use abi::Errno;
use memory::MemoryFile;
use std::sync::Arc;

struct Layers {
    _mf: Arc<MemoryFile>,
    lower: Arc<dyn Inode>,
    upper: Arc<dyn Inode>,
    root: Arc<dyn Inode>,
}

/// A lower tmpfs holding `dir/f` (with attributes on both) and a root
/// attribute, under an empty upper tmpfs.
fn layers() -> Layers {
    let mf = Arc::new(MemoryFile::new(1 << 28).unwrap());
    let lower = Tmpfs::new(mf.clone(), 0o755, Owner::default()).root();
    lower.setxattr(b"user.root", b"r", 0).unwrap();
    let dir = lower
        .create(b"dir", &NewNode::Dir { mode: 0o755 }, Owner::default())
        .unwrap();
    dir.setxattr(b"user.dir", b"d", 0).unwrap();
    let f = dir
        .create(b"f", &NewNode::File { mode: 0o644 }, Owner::default())
        .unwrap();
    f.setxattr(b"user.a", b"lower a", 0).unwrap();
    f.setxattr(b"trusted.t", b"t", 0).unwrap();
    let upper = Tmpfs::new(mf.clone(), 0o755, Owner::default()).root();
    let root = new_overlay(upper.clone(), lower.clone());
    Layers {
        _mf: mf,
        lower,
        upper,
        root,
    }
}

fn lower_only(i: &Arc<dyn Inode>) -> bool {
    i.as_any()
        .downcast_ref::<OverlayInode>()
        .unwrap()
        .is_lower_only()
}

fn path(root: &Arc<dyn Inode>, p: &str) -> Arc<dyn Inode> {
    p.split('/')
        .fold(root.clone(), |d, n| d.lookup(n.as_bytes()).unwrap())
}

#[test]
fn lower_attributes_read_through() {
    let l = layers();
    let f = path(&l.root, "dir/f");
    assert_eq!(f.getxattr(b"user.a").unwrap(), b"lower a");
    assert_eq!(
        f.listxattr().unwrap(),
        vec![b"trusted.t".to_vec(), b"user.a".to_vec()]
    );
    assert_eq!(f.getxattr(b"user.none"), Err(Errno::ENODATA));
    // Removing what is not there copies nothing up.
    assert_eq!(f.removexattr(b"user.none"), Err(Errno::ENODATA));
    assert!(lower_only(&f));
    // The root's upper stood for the lower one from the start.
    assert_eq!(l.root.getxattr(b"user.root").unwrap(), b"r");
    assert_eq!(l.upper.getxattr(b"user.root").unwrap(), b"r");
}

#[test]
fn changes_copy_up_with_the_lower_attributes() {
    let l = layers();
    let f = path(&l.root, "dir/f");
    f.setxattr(b"user.new", b"n", 0).unwrap();
    assert!(!lower_only(&f));
    // The copy has the lower's attributes, and the new one.
    assert_eq!(
        f.listxattr().unwrap(),
        vec![
            b"trusted.t".to_vec(),
            b"user.a".to_vec(),
            b"user.new".to_vec()
        ]
    );
    let up = path(&l.upper, "dir/f");
    assert_eq!(up.getxattr(b"user.a").unwrap(), b"lower a");
    // Its directory came up with its own.
    assert_eq!(path(&l.upper, "dir").getxattr(b"user.dir").unwrap(), b"d");
    // Removing a copied attribute leaves the lower layer alone.
    f.removexattr(b"user.a").unwrap();
    assert_eq!(f.getxattr(b"user.a"), Err(Errno::ENODATA));
    assert_eq!(
        path(&l.lower, "dir/f").getxattr(b"user.a").unwrap(),
        b"lower a"
    );
    assert_eq!(
        path(&l.lower, "dir/f").getxattr(b"user.new"),
        Err(Errno::ENODATA)
    );
}

#[test]
fn removing_a_lower_attribute_copies_up() {
    let l = layers();
    let f = path(&l.root, "dir/f");
    f.removexattr(b"trusted.t").unwrap();
    assert!(!lower_only(&f));
    assert_eq!(f.listxattr().unwrap(), vec![b"user.a".to_vec()]);
    assert_eq!(
        path(&l.lower, "dir/f").getxattr(b"trusted.t").unwrap(),
        b"t"
    );
}

#[test]
fn tmpfiles_live_in_the_upper_layer() {
    let l = layers();
    let dir = path(&l.root, "dir");
    assert!(lower_only(&dir));
    let t = dir.create_tmpfile(0o640, Owner::default(), true).unwrap();
    // The directory was copied up to hold it; it has no name yet.
    assert!(!lower_only(&dir));
    let a = t.attr().unwrap();
    assert_eq!((a.nlink, a.file_type()), (0, FileType::Regular));
    assert_eq!(a.dev, l.root.attr().unwrap().dev);
    assert!(dir.lookup(b"t").is_err());
    dir.link(b"t", &t).unwrap();
    assert_eq!(dir.lookup(b"t").unwrap().attr().unwrap().ino, a.ino);
    assert_eq!(t.attr().unwrap().nlink, 1);
    dir.unlink(b"t", false).unwrap();
    assert_eq!(dir.link(b"t", &t), Err(Errno::ENOENT));
    let excl = dir.create_tmpfile(0o600, Owner::default(), false).unwrap();
    assert_eq!(dir.link(b"x", &excl), Err(Errno::ENOENT));
    let f = path(&l.root, "dir/f");
    assert_eq!(
        f.create_tmpfile(0o600, Owner::default(), true).err(),
        Some(Errno::ENOTDIR)
    );
}

#[test]
fn statfs_is_the_upper_layers() {
    let l = layers();
    assert_eq!(l.root.statfs().unwrap(), l.upper.statfs().unwrap());
    assert_eq!(
        path(&l.root, "dir/f").statfs().unwrap(),
        l.upper.statfs().unwrap()
    );
}
