//! The mount tree: bind mounts (plain and recursive), flags, unmount with
//! and without MNT_DETACH, busy mounts, MS_MOVE, the expiry mark.

use super::*;
use crate::fs::tmpfs::Tmpfs;
use crate::kernel::creds::Creds;
use crate::vfs::inode::{NewNode, Owner};
use crate::vfs::{namei, Path, Walk};
use memory::MemoryFile;

struct World {
    mf: Arc<MemoryFile>,
    ns: MountNamespace,
    creds: Creds,
}

impl World {
    fn new() -> World {
        let mf = Arc::new(MemoryFile::new(1 << 30).expect("memory file"));
        let root = Tmpfs::new(mf.clone(), 0o755, Owner::default()).root();
        let w = World {
            ns: MountNamespace::new(root, "tmpfs", "root"),
            mf,
            creds: Creds::new(0, 0),
        };
        for d in ["/a", "/a/sub", "/b", "/c"] {
            w.mkdir(d);
        }
        w
    }

    fn root(&self) -> Path {
        Path {
            mount: self.ns.root.clone(),
            dentry: self.ns.root.root.clone(),
        }
    }

    fn walk(&self, p: &str) -> Result<Path, Errno> {
        let root = self.root();
        let mut w = Walk::new(&self.ns, &root, &self.creds);
        w.walk(&root, p.as_bytes(), true)
    }

    fn mkdir(&self, p: &str) -> Path {
        let root = self.root();
        let mut w = Walk::new(&self.ns, &root, &self.creds);
        namei::create(
            &mut w,
            &root,
            p.as_bytes(),
            NewNode::Dir { mode: 0o755 },
            Owner::default(),
        )
        .unwrap_or_else(|e| panic!("mkdir {p}: {e:?}"))
    }

    fn tmpfs_on(&self, p: &str) -> Arc<Mount> {
        let at = self.walk(p).unwrap();
        let fs = Tmpfs::new(self.mf.clone(), 0o755, Owner::default()).root();
        self.ns.mount(&at.mount, &at.dentry, fs, "tmpfs", "t", 0)
    }

    fn points(&self) -> Vec<String> {
        let root = self.root();
        self.ns
            .all()
            .iter()
            .map(|m| {
                let p = Path {
                    mount: m.clone(),
                    dentry: m.root.clone(),
                };
                String::from_utf8(p.to_bytes(&root)).unwrap()
            })
            .collect()
    }
}

#[test]
fn bind_shows_the_same_files_and_copies_flags() {
    let w = World::new();
    let a = w.walk("/a").unwrap();
    a.mount.set_flags(MS_NOSUID);
    let b = w.walk("/b").unwrap();
    let m = w.ns.bind(&a.mount, &a.dentry, &b.mount, &b.dentry, false);
    assert_eq!(m.flags(), MS_NOSUID);
    assert_eq!(m.root_path(), b"/a");
    assert!(w.walk("/b/sub").is_ok());
    w.mkdir("/b/new");
    assert!(w.walk("/a/new").is_ok(), "one directory under two names");
    assert_eq!(w.points(), ["/", "/b"]);
}

#[test]
fn recursive_bind_brings_submounts() {
    let w = World::new();
    w.tmpfs_on("/a/sub");
    w.mkdir("/a/sub/inner");
    let a = w.walk("/a").unwrap();
    let c = w.walk("/c").unwrap();
    w.ns.bind(&a.mount, &a.dentry, &c.mount, &c.dentry, false);
    assert!(
        w.walk("/c/sub/inner").is_err(),
        "a plain bind leaves submounts behind"
    );
    let b = w.walk("/b").unwrap();
    w.ns.bind(&a.mount, &a.dentry, &b.mount, &b.dentry, true);
    assert!(w.walk("/b/sub/inner").is_ok());
    assert_eq!(w.points(), ["/", "/a/sub", "/c", "/b", "/b/sub"]);
}

#[test]
fn unmount_busy_and_detach() {
    let w = World::new();
    let m = w.tmpfs_on("/b");
    drop(m);
    w.mkdir("/b/x");
    // An open file (a held path) makes it busy.
    let held = w.walk("/b/x").unwrap();
    let top = w.walk("/b").unwrap();
    assert_eq!(w.ns.unmount(top.mount, false), Err(Errno::EBUSY));
    drop(held);
    // So do child mounts.
    w.tmpfs_on("/b/x");
    let top = w.walk("/b").unwrap();
    assert_eq!(w.ns.unmount(top.mount, false), Err(Errno::EBUSY));
    // MNT_DETACH takes the whole subtree at once, busy or not.
    let held = w.walk("/b/x").unwrap();
    let top = w.walk("/b").unwrap();
    assert_eq!(w.ns.unmount(top.mount, true), Ok(()));
    assert_eq!(w.points(), ["/"]);
    assert!(w.walk("/b/x").is_err(), "the covered directory shows again");
    assert!(!w.walk("/b").unwrap().dentry.is_mountpoint());
    // The detached mount still serves its user.
    assert!(held.dentry.inode.attr().is_ok());
    drop(held);
    // A plain unmount of an unused mount.
    w.tmpfs_on("/c");
    let c = w.walk("/c").unwrap();
    assert_eq!(w.ns.unmount(c.mount, false), Ok(()));
    assert_eq!(w.points(), ["/"]);
    // Not the root, and not twice.
    assert_eq!(w.ns.unmount(w.ns.root.clone(), false), Err(Errno::EBUSY));
    assert_eq!(w.ns.unmount(w.ns.root.clone(), true), Err(Errno::EINVAL));
}

#[test]
fn stacked_mounts_unmount_top_first() {
    let w = World::new();
    w.tmpfs_on("/b");
    w.mkdir("/b/one");
    w.tmpfs_on("/b");
    assert!(w.walk("/b/one").is_err());
    let top = w.walk("/b").unwrap();
    assert_eq!(w.ns.unmount(top.mount, false), Ok(()));
    assert!(w.walk("/b/one").is_ok());
}

#[test]
fn expire_marks_then_unmounts() {
    let w = World::new();
    w.tmpfs_on("/b");
    let m = w.walk("/b").unwrap().mount;
    assert_eq!(w.ns.unmount_expired(m), Err(Errno::EAGAIN));
    let m = w.walk("/b").unwrap().mount;
    assert_eq!(w.ns.unmount_expired(m), Ok(()));
}

#[test]
fn move_takes_the_subtree() {
    let w = World::new();
    w.tmpfs_on("/a");
    w.mkdir("/a/d");
    w.tmpfs_on("/a/d");
    w.mkdir("/a/d/deep");
    let m = w.walk("/a").unwrap().mount;
    let c = w.walk("/c").unwrap();
    w.ns.move_mount(m, &c.mount, &c.dentry).unwrap();
    assert!(w.walk("/c/d/deep").is_ok());
    assert!(w.walk("/a/d").is_err());
    assert_eq!(w.points(), ["/", "/c", "/c/d"]);
    // Not below itself.
    let m = w.walk("/c").unwrap().mount;
    let inside = w.walk("/c/d").unwrap();
    assert_eq!(
        w.ns.move_mount(m, &inside.mount, &inside.dentry).err(),
        Some(Errno::ELOOP)
    );
}

#[test]
fn read_only_mount_or_superblock() {
    let w = World::new();
    let m = w.tmpfs_on("/b");
    assert!(!m.read_only());
    m.set_flags(MS_RDONLY | MS_NOEXEC);
    assert!(m.read_only());
    m.set_flags(0);
    m.sb.set_read_only(true);
    assert!(m.read_only());
    assert_eq!(
        mount_flags_of(MS_NOATIME | MS_STRICTATIME | MS_BIND),
        MS_STRICTATIME
    );
}
