//! Lock state over real files: flock conversion and release, record locks
//! between owners, deadlock detection, and keys through overlay copy-up.

use super::range::{LockType, Owner, OFFSET_MAX};
use super::{flock, key_of, set_record, test_record, LockError, Request};
use crate::fs::lower::tests::{lower_root, memory_file, sample_tree};
use crate::fs::overlay::new_overlay;
use crate::fs::tmpfs::Tmpfs;
use crate::kernel::waiter::Waiter;
use crate::vfs::file::File;
use crate::vfs::inode::{Inode, NewNode, Owner as NodeOwner};
use std::sync::{Arc, Weak};

struct Nobody;

impl Waiter for Nobody {
    fn notify_event(&self, _events: u64) {}
}

fn open(i: &Arc<dyn Inode>, flags: i32) -> Arc<File> {
    let flags = flags as u32;
    File::new(i.open(i, flags).unwrap(), None, Some(i.clone()), flags)
}

/// A fresh tmpfs file (each test its own, so tests never share locks).
fn tmp_file() -> Arc<dyn Inode> {
    let mf = memory_file();
    let root = Tmpfs::new(mf, 0o755, NodeOwner::default()).root();
    root.create(b"f", &NewNode::File { mode: 0o644 }, NodeOwner::default())
        .unwrap()
}

fn req(owner: Owner, typ: Option<LockType>, start: i64, end: i64) -> Request {
    Request {
        owner,
        typ,
        start,
        end,
        pid: 7,
    }
}

#[test]
fn flock_conflicts_converts_and_releases_on_drop() {
    let i = tmp_file();
    let (a, b) = (open(&i, libc::O_RDWR), open(&i, libc::O_RDONLY));
    assert!(flock(&a, Some(LockType::Read), 1, None).is_ok());
    assert!(flock(&b, Some(LockType::Read), 2, None).is_ok());
    assert!(matches!(
        flock(&a, Some(LockType::Write), 1, None),
        Err(LockError::WouldBlock)
    ));
    // The failed conversion dropped a's shared lock (as on Linux).
    assert!(flock(&b, Some(LockType::Write), 2, None).is_ok());
    let w: Weak<dyn Waiter> = Arc::downgrade(&(Arc::new(Nobody) as Arc<dyn Waiter>));
    assert!(matches!(
        flock(&a, Some(LockType::Read), 1, Some(w)),
        Err(LockError::Wait(_))
    ));
    drop(b);
    assert!(flock(&a, Some(LockType::Write), 1, None).is_ok());
    // Record locks are a separate world.
    assert!(set_record(&a, req(Owner::Ofd(1), Some(LockType::Write), 0, 9), None).is_ok());
}

#[test]
fn record_locks_between_owners_and_ofd_release() {
    let i = tmp_file();
    let (a, b) = (open(&i, libc::O_RDWR), open(&i, libc::O_RDWR));
    let (pa, pb) = (Owner::Posix(1), Owner::Posix(2));
    assert!(set_record(&a, req(pa, Some(LockType::Write), 0, 100), None).is_ok());
    assert!(set_record(&a, req(pa, None, 40, 60), None).is_ok());
    let c = test_record(&b, pb, false, 50, 50);
    assert!(c.is_none());
    let c = test_record(&b, pb, false, 0, OFFSET_MAX).unwrap();
    assert_eq!((c.typ, c.start, c.end, c.pid), (LockType::Write, 0, 39, 7));
    assert!(matches!(
        set_record(&b, req(pb, Some(LockType::Read), 61, 61), None),
        Err(LockError::WouldBlock)
    ));
    // An OFD lock reports pid -1 and goes with its description.
    let ofd = Owner::Ofd(super::desc_id(&b));
    assert!(set_record(&b, req(ofd, Some(LockType::Read), 200, 300), None).is_ok());
    assert_eq!(test_record(&a, pa, true, 250, 250).map(|c| c.pid), Some(-1));
    drop(b);
    assert!(test_record(&a, pa, true, 250, 250).is_none());
    // Closing any fd of the file drops the table's POSIX locks.
    let other = open(&i, libc::O_RDONLY);
    super::posix_closed(1, &other);
    assert!(test_record(&a, pb, true, 0, OFFSET_MAX).is_none());
}

#[test]
fn deadlock_through_a_blocked_owner() {
    let i = tmp_file();
    let f = open(&i, libc::O_RDWR);
    let (pa, pb) = (Owner::Posix(11), Owner::Posix(12));
    let nobody: Arc<dyn Waiter> = Arc::new(Nobody);
    assert!(set_record(&f, req(pa, Some(LockType::Write), 0, 0), None).is_ok());
    assert!(set_record(&f, req(pb, Some(LockType::Write), 1, 1), None).is_ok());
    // A waits for B's byte...
    let ticket = match set_record(
        &f,
        req(pa, Some(LockType::Write), 1, 1),
        Some(Arc::downgrade(&nobody)),
    ) {
        Err(LockError::Wait(t)) => t,
        _ => panic!("A should wait"),
    };
    // ...so B waiting for A's byte is a deadlock.
    assert!(matches!(
        set_record(
            &f,
            req(pb, Some(LockType::Write), 0, 0),
            Some(Arc::downgrade(&nobody))
        ),
        Err(LockError::Deadlock)
    ));
    // OFD owners are not part of deadlock detection.
    let ofd = Owner::Ofd(99);
    assert!(matches!(
        set_record(
            &f,
            req(ofd, Some(LockType::Write), 0, 0),
            Some(Arc::downgrade(&nobody))
        ),
        Err(LockError::Wait(_))
    ));
    drop(ticket);
    // Once A no longer waits, B may wait for A.
    assert!(matches!(
        set_record(
            &f,
            req(pb, Some(LockType::Write), 0, 0),
            Some(Arc::downgrade(&nobody))
        ),
        Err(LockError::Wait(_))
    ));
}

#[test]
fn overlay_copy_up_keeps_the_key() {
    let tree = sample_tree();
    let mf = memory_file();
    let upper = Tmpfs::new(mf.clone(), 0o755, NodeOwner::default()).root();
    let root = new_overlay(upper, lower_root(&tree.0, &mf));
    let i = root.lookup(b"a.txt").unwrap();
    let before = open(&i, libc::O_RDONLY);
    let after = open(&i, libc::O_RDWR); // copies the file up
    assert_eq!(key_of(&before), key_of(&after));
    let (pa, pb) = (Owner::Posix(21), Owner::Posix(22));
    assert!(set_record(&before, req(pa, Some(LockType::Read), 0, 0), None).is_ok());
    assert!(test_record(&after, pb, true, 0, 0).is_some());
}
