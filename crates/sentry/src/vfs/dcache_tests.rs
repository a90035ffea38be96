//! The dentry cache's eviction rules (`dcache.rs`): what may never be
//! evicted (a dentry in use, a mountpoint, a directory with cached
//! children), the CLOCK order of a sweep, and the overlay's own cache (an
//! object with an upper copy or whiteouts is never forgotten; a lower-only
//! one is, and its Gofer handle is released).

use super::dcache::{self, Lru};
use super::dentry::{Busy, Dentry};
use super::file::File;
use super::inode::{Inode, NewNode, Owner, SetAttr};
use super::mount::MountNamespace;
use super::path::Path;
use crate::fs::lower::tests::{memory_file, sample_tree};
use crate::fs::lower::{DirectServer, LowerInode};
use crate::fs::overlay::{new_overlay, OverlayInode};
use crate::fs::tmpfs::Tmpfs;
use abi::Errno;
use std::sync::Arc;

fn tmpfs_root() -> Arc<Dentry> {
    let fs = Tmpfs::new(memory_file(), 0o755, Owner::default());
    let root = Dentry::new_root(fs.root());
    for name in ["a", "b", "c", "d", "e"] {
        root.inode
            .create(
                name.as_bytes(),
                &NewNode::Dir { mode: 0o755 },
                Owner::default(),
            )
            .unwrap();
    }
    root
}

fn evict(d: Arc<Dentry>) -> Result<(), Busy> {
    d.evict().map(dcache::Evicted::finish)
}

#[test]
fn an_unused_dentry_goes_and_comes_back_with_the_same_inode() {
    let root = tmpfs_root();
    let a = root.lookup(b"a").unwrap();
    let inode = a.inode.clone();
    assert_eq!(evict(a), Ok(()));
    assert!(root.cached(b"a").is_none());
    let again = root.lookup(b"a").unwrap();
    // tmpfs directories own their children: the very same inode.
    assert!(Arc::ptr_eq(&again.inode, &inode));
    assert_eq!(evict(again.clone()), Err(Busy::Used));
}

#[test]
fn a_dentry_in_use_is_never_evicted() {
    let root = tmpfs_root();
    let a = root.lookup(b"a").unwrap();
    // An open file holds its path.
    let path = Path {
        mount: MountNamespace::new(root.inode.clone(), "tmpfs", "t").root,
        dentry: a.clone(),
    };
    let flags = libc::O_RDONLY as u32;
    let f = File::new(
        a.inode.open(&a.inode, flags).unwrap(),
        Some(path),
        Some(a.inode.clone()),
        flags,
    );
    assert_eq!(evict(a.clone()), Err(Busy::Used));
    assert!(root.cached(b"a").is_some());
    drop(f);
    assert_eq!(evict(a), Ok(()));
    // A second reference (a cwd, a walk in progress) is a use too.
    let b = root.lookup(b"b").unwrap();
    let cwd = b.clone();
    assert_eq!(evict(b), Err(Busy::Used));
    assert!(root.cached(b"b").is_some_and(|c| Arc::ptr_eq(&c, &cwd)));
}

#[test]
fn a_directory_with_cached_children_stays_until_they_go() {
    let root = tmpfs_root();
    let a = root.lookup(b"a").unwrap();
    a.inode
        .create(b"x", &NewNode::Dir { mode: 0o755 }, Owner::default())
        .unwrap();
    let x = a.lookup(b"x").unwrap();
    drop(x);
    assert_eq!(evict(a.clone()), Err(Busy::Used));
    assert_eq!(evict(a.cached(b"x").unwrap()), Ok(()));
    assert_eq!(evict(a), Ok(()));
}

#[test]
fn a_mountpoint_is_never_evicted() {
    let root = tmpfs_root();
    let ns = MountNamespace::new(root.inode.clone(), "tmpfs", "t");
    let mnt_root = ns.root.root.clone();
    let at = mnt_root.lookup(b"a").unwrap();
    let other = Tmpfs::new(memory_file(), 0o755, Owner::default());
    let m = ns.mount(&ns.root, &at, other.root(), "tmpfs", "u", 0);
    assert_eq!(evict(at.clone()), Err(Busy::Used));
    drop(at);
    assert_eq!(evict(mnt_root.cached(b"a").unwrap()), Err(Busy::Used));
    ns.unmount(m, false).unwrap();
    assert_eq!(evict(mnt_root.cached(b"a").unwrap()), Ok(()));
}

#[test]
fn a_removed_or_moved_dentry_is_not_evicted_from_its_old_place() {
    let root = tmpfs_root();
    let a = root.lookup(b"a").unwrap();
    root.remove_child(b"a");
    assert_eq!(evict(a), Err(Busy::NotCached));
    let b = root.lookup(b"b").unwrap();
    let c = root.lookup(b"c").unwrap();
    root.inode.rename(b"b", &c.inode, b"b2", 0).unwrap();
    root.move_child(b"b", &c, b"b2");
    drop(c);
    // Now under c: c is in use (its child holds it), b2 is not.
    assert_eq!(evict(root.cached(b"c").unwrap()), Err(Busy::Used));
    assert_eq!(evict(b), Ok(()));
}

#[test]
fn a_sweep_evicts_the_oldest_unreferenced_unused_first() {
    let root = tmpfs_root();
    let mut lru = Lru::new(2);
    let names: [&[u8]; 5] = [b"a", b"b", b"c", b"d", b"e"];
    let ds: Vec<Arc<Dentry>> = names.iter().map(|n| root.lookup(n).unwrap()).collect();
    for d in &ds {
        lru.push(d);
    }
    let held = ds[1].clone(); // b: in use
    drop(ds);
    root.lookup(b"a").unwrap(); // a: referenced again
    let evicted = lru.sweep();
    let gone: Vec<Vec<u8>> = evicted.iter().map(|e| e.name.clone()).collect();
    // a gets a second chance (its bit is cleared), b is used; c, d and e
    // go, which brings the queue (a, b) down to the bound.
    assert_eq!(gone, vec![b"c".to_vec(), b"d".to_vec(), b"e".to_vec()]);
    for e in evicted {
        e.finish();
    }
    assert_eq!(lru.len(), 2);
    assert!(root.cached(b"a").is_some());
    assert!(root.cached(b"b").is_some_and(|c| Arc::ptr_eq(&c, &held)));
    assert!(root.cached(b"c").is_none());
    // Nothing left to evict: the next trigger moves up, the queue stays.
    assert!(!lru.over());
}

/// An overlay (tmpfs upper) over the sample tree, served by a
/// `DirectServer` whose open handles the tests count.
struct Overlay {
    _tree: crate::fs::lower::tests::TempDir,
    server: Arc<DirectServer>,
    root: Arc<Dentry>,
}

fn overlay() -> Overlay {
    let tree = sample_tree();
    let mf = memory_file();
    let server = DirectServer::new(&tree.0).unwrap();
    let lower = LowerInode::new_root(server.clone(), mf.clone()).unwrap();
    let upper = Tmpfs::new(mf, 0o755, Owner::default()).root();
    Overlay {
        _tree: tree,
        server,
        root: Dentry::new_root(new_overlay(upper, lower)),
    }
}

/// Whether the overlay directory behind `dir` still caches `name`.
fn overlay_has(dir: &Arc<Dentry>, name: &str) -> bool {
    dir.inode
        .as_any()
        .downcast_ref::<OverlayInode>()
        .expect("an overlay inode")
        .has_cached_child(name.as_bytes())
}

fn ino(i: &Arc<dyn Inode>) -> (u64, u64) {
    let a = i.attr().unwrap();
    (a.dev, a.ino)
}

#[test]
fn a_lower_only_overlay_object_is_forgotten_and_its_handle_released() {
    let o = overlay();
    let sub = o.root.lookup(b"sub").unwrap();
    let b = sub.lookup(b"b.txt").unwrap();
    let id = ino(&b.inode);
    let handles = o.server.handle_count();
    assert!(overlay_has(&sub, "b.txt"));
    assert_eq!(evict(b), Ok(()));
    // The overlay let go of it too, and so its lower inode of its handle.
    assert!(!overlay_has(&sub, "b.txt"));
    assert_eq!(o.server.handle_count(), handles - 1);
    let again = sub.lookup(b"b.txt").unwrap();
    assert_eq!(ino(&again.inode), id);
    // And its parent, once it has no cached children.
    drop(again);
    assert_eq!(evict(sub.cached(b"b.txt").unwrap()), Ok(()));
    let sub_id = ino(&sub.inode);
    assert_eq!(evict(sub), Ok(()));
    assert!(!overlay_has(&o.root, "sub"));
    assert_eq!(o.server.handle_count(), handles - 2);
    assert_eq!(ino(&o.root.lookup(b"sub").unwrap().inode), sub_id);
}

#[test]
fn an_overlay_object_held_elsewhere_is_not_forgotten() {
    let o = overlay();
    let a = o.root.lookup(b"a.txt").unwrap();
    let inode = a.inode.clone(); // say, an open file's
    assert_eq!(evict(a), Ok(()));
    assert!(overlay_has(&o.root, "a.txt"));
    let again = o.root.lookup(b"a.txt").unwrap();
    assert!(Arc::ptr_eq(&again.inode, &inode));
}

#[test]
fn a_copied_up_object_keeps_its_upper_copy_and_number() {
    let o = overlay();
    let a = o.root.lookup(b"a.txt").unwrap();
    let id = ino(&a.inode);
    a.inode
        .setattr(&SetAttr {
            mode: Some(0o600),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(evict(a), Ok(()));
    // The dentry went; the overlay kept its object (and with it the upper
    // copy and the lower number it shows).
    assert!(overlay_has(&o.root, "a.txt"));
    let again = o.root.lookup(b"a.txt").unwrap();
    assert_eq!(ino(&again.inode), id);
    assert_eq!(again.inode.attr().unwrap().mode & 0o7777, 0o600);
}

#[test]
fn whiteouts_survive_eviction() {
    let o = overlay();
    let sub = o.root.lookup(b"sub").unwrap();
    let deep = sub.lookup(b"deep").unwrap();
    deep.inode.unlink(b"c", false).unwrap();
    assert_eq!(evict(deep), Ok(()));
    assert!(
        overlay_has(&sub, "deep"),
        "a directory with whiteouts stays"
    );
    // sub was copied up with it, and caches deep: it stays too.
    assert_eq!(evict(sub), Ok(()));
    assert!(overlay_has(&o.root, "sub"));
    let deep = o.root.lookup(b"sub").unwrap().lookup(b"deep").unwrap();
    assert_eq!(deep.lookup(b"c").err(), Some(Errno::ENOENT));
    assert!(deep.inode.readdir().unwrap().is_empty());
}

#[test]
fn an_upper_only_object_is_never_forgotten() {
    let o = overlay();
    o.root
        .inode
        .create(b"new", &NewNode::Dir { mode: 0o700 }, Owner::default())
        .unwrap();
    let n = o.root.lookup(b"new").unwrap();
    let id = ino(&n.inode);
    assert_eq!(evict(n), Ok(()));
    assert!(overlay_has(&o.root, "new"));
    assert_eq!(ino(&o.root.lookup(b"new").unwrap().inode), id);
}
