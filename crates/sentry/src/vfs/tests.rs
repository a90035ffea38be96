//! Path resolution and namei error cases over real tmpfs trees: `..` at the root and
//! across mounts, relative and absolute symlinks, the 40-link budget, trailing slashes,
//! name length, search permission, `Path::to_bytes`, and the rename/rmdir/unlink errors.

use super::inode::{FileType, NewNode, Owner};
use super::mount::MountNamespace;
use super::namei;
use super::path::{Path, Walk, MAX_SYMLINKS, NAME_MAX};
use crate::fs::tmpfs::Tmpfs;
use crate::kernel::creds::Creds;
use abi::Errno;
use memory::MemoryFile;
use std::sync::Arc;

/// A mount namespace over one tmpfs, with a second tmpfs mounted on `/mnt`.
///
/// ```text
/// /            (tmpfs A, 0755)
/// ├── a/b/     directories
/// ├── f        regular file
/// ├── mnt/     mount point of tmpfs B, which holds x/
/// └── private/ 0700, owned by root, holds secret
/// ```
struct Tree {
    ns: MountNamespace,
    root: Path,
    creds: Creds,
    /// The memory both filesystems keep their data in.
    mf: Arc<MemoryFile>,
}

fn tmpfs(mf: &Arc<MemoryFile>) -> Arc<Tmpfs> {
    Tmpfs::new(mf.clone(), 0o755, Owner::default())
}

impl Tree {
    fn new() -> Tree {
        let mf = Arc::new(MemoryFile::new(1 << 30).expect("memory file"));
        let ns = MountNamespace::new(tmpfs(&mf).root(), "tmpfs", "a");
        let root = Path {
            mount: ns.root.clone(),
            dentry: ns.root.root.clone(),
        };
        let t = Tree {
            ns,
            root,
            creds: Creds::new(0, 0),
            mf,
        };
        t.mkdir("/a");
        t.mkdir("/a/b");
        t.mkfile("/f");
        let mnt = t.mkdir("/mnt");
        t.ns.mount(
            &mnt.mount,
            &mnt.dentry,
            tmpfs(&t.mf).root(),
            "tmpfs",
            "b",
            0,
        );
        t.mkdir("/mnt/x");
        t.mkdir_mode("/private", 0o700);
        t.mkfile("/private/secret");
        t
    }

    fn walker(&self) -> Walk<'_> {
        Walk::new(&self.ns, &self.root, &self.creds)
    }

    fn create(&self, path: &str, node: NewNode) -> Path {
        let mut w = self.walker();
        namei::create(&mut w, &self.root, path.as_bytes(), node, Owner::default())
            .unwrap_or_else(|e| panic!("creating {path}: {e:?}"))
    }

    fn mkdir(&self, path: &str) -> Path {
        self.mkdir_mode(path, 0o755)
    }

    fn mkdir_mode(&self, path: &str, mode: u32) -> Path {
        self.create(path, NewNode::Dir { mode })
    }

    fn mkfile(&self, path: &str) -> Path {
        self.create(path, NewNode::File { mode: 0o644 })
    }

    fn symlink(&self, path: &str, target: &str) -> Path {
        self.create(
            path,
            NewNode::Symlink {
                target: target.as_bytes().to_vec(),
            },
        )
    }

    /// Resolves `path` from the root, following a final symlink.
    fn walk(&self, path: &str) -> Result<Path, Errno> {
        self.walk_from(&self.root, path, true)
    }

    fn walk_from(&self, start: &Path, path: &str, follow: bool) -> Result<Path, Errno> {
        self.walker().walk(start, path.as_bytes(), follow)
    }

    /// Where `path` leads, as an absolute path (or the errno).
    fn resolve(&self, path: &str) -> Result<String, Errno> {
        self.walk(path).map(|p| self.name(&p))
    }

    fn name(&self, p: &Path) -> String {
        String::from_utf8(p.to_bytes(&self.root)).expect("utf-8 path")
    }

    fn kind(&self, p: &Path) -> FileType {
        p.dentry.inode.attr().expect("attr").file_type()
    }
}

#[test]
fn dot_dot_at_the_root_stays_at_the_root() {
    let t = Tree::new();
    assert!(t.walk("..").unwrap().same(&t.root));
    assert!(t.walk("/../../..").unwrap().same(&t.root));
    assert_eq!(t.resolve("/../a/../../a/b").unwrap(), "/a/b");
    assert_eq!(t.resolve("a/./b/.././b").unwrap(), "/a/b");
    // A walk whose root is /a (a chroot) cannot climb above /a either.
    let a = t.walk("/a").unwrap();
    let w = Walk::new(&t.ns, &a, &t.creds)
        .walk(&a, b"../../..", true)
        .unwrap();
    assert!(w.same(&a));
    assert_eq!(w.to_bytes(&a), b"/");
}

#[test]
fn dot_dot_across_a_mount_returns_to_the_mount_points_parent() {
    let t = Tree::new();
    let mnt = t.walk("/mnt").unwrap();
    // Walking onto /mnt lands on the mounted filesystem's root, not the covered directory.
    assert!(!Arc::ptr_eq(&mnt.mount, &t.root.mount));
    assert!(Arc::ptr_eq(&mnt.dentry, &mnt.mount.root));
    assert!(t.walk("/mnt/x").is_ok());
    assert!(t.walk("/mnt/..").unwrap().same(&t.root));
    assert!(t.walk("/mnt/x/../..").unwrap().same(&t.root));
    assert!(t.walk_from(&mnt, "..", true).unwrap().same(&t.root));
    assert_eq!(t.resolve("/mnt/x/../../a").unwrap(), "/a");
    assert_eq!(t.resolve("/mnt/x").unwrap(), "/mnt/x");
}

#[test]
fn relative_and_absolute_symlinks() {
    let t = Tree::new();
    t.mkdir("/a/c");
    t.mkfile("/a/c/file");
    t.symlink("/a/b/rel", "../c");
    t.symlink("/abs", "/a/c");
    t.symlink("/a/b/to_file", "../c/file");
    t.symlink("/into_mnt", "mnt/x");
    assert_eq!(t.resolve("/a/b/rel").unwrap(), "/a/c");
    assert_eq!(t.resolve("/a/b/rel/file").unwrap(), "/a/c/file");
    assert_eq!(t.resolve("/abs/file").unwrap(), "/a/c/file");
    assert_eq!(t.resolve("/a/b/to_file").unwrap(), "/a/c/file");
    assert_eq!(t.resolve("/into_mnt/..").unwrap(), "/mnt");
    // ".." after a symlink is the parent of its target, not of the link.
    assert_eq!(t.resolve("/abs/..").unwrap(), "/a");
    // Not following the last component gives the link itself; middle ones are always followed.
    let link = t.walk_from(&t.root, "/a/b/rel", false).unwrap();
    assert_eq!(t.kind(&link), FileType::Symlink);
    assert_eq!(t.name(&link), "/a/b/rel");
    let through = t.walk_from(&t.root, "/abs/file", false).unwrap();
    assert_eq!(t.kind(&through), FileType::Regular);
    // A trailing slash forces the final link to be followed.
    assert_eq!(
        t.kind(&t.walk_from(&t.root, "/abs/", false).unwrap()),
        FileType::Directory
    );
    // Absolute targets start at the walk's root: inside a chroot at /a, "/c" is /a/c.
    let a = t.walk("/a").unwrap();
    t.symlink("/a/chrooted", "/c");
    let p = Walk::new(&t.ns, &a, &t.creds)
        .walk(&a, b"chrooted", true)
        .unwrap();
    assert_eq!(p.to_bytes(&a), b"/c");
    assert_eq!(t.name(&p), "/a/c");
    // A dangling link is found, but not followed.
    t.symlink("/dangling", "nowhere");
    assert_eq!(t.walk("/dangling").err(), Some(Errno::ENOENT));
    assert!(t.walk_from(&t.root, "/dangling", false).is_ok());
}

/// `/chainN/l0 -> l1 -> ... -> l{n-1} -> /f`: resolving l0 follows exactly n links.
fn chain(t: &Tree, n: u32) -> String {
    let dir = format!("/chain{n}");
    t.mkdir(&dir);
    for i in 0..n {
        let target = if i + 1 == n {
            "/f".to_string()
        } else {
            format!("l{}", i + 1)
        };
        t.symlink(&format!("{dir}/l{i}"), &target);
    }
    format!("{dir}/l0")
}

#[test]
fn forty_links_resolve_and_forty_one_loop() {
    let t = Tree::new();
    assert_eq!(MAX_SYMLINKS, 40);
    let forty = chain(&t, 40);
    assert_eq!(t.resolve(&forty).unwrap(), "/f");
    let forty_one = chain(&t, 41);
    assert_eq!(t.walk(&forty_one).err(), Some(Errno::ELOOP));
    // Not following the last link costs nothing, so 41 links are fine that way...
    assert!(t.walk_from(&t.root, &forty_one, false).is_ok());
    // ...and the budget is per walk: the same Walk cannot resolve the 40-chain twice.
    let mut w = t.walker();
    assert!(w.walk(&t.root, forty.as_bytes(), true).is_ok());
    assert_eq!(
        w.walk(&t.root, forty.as_bytes(), true).err(),
        Some(Errno::ELOOP)
    );
}

#[test]
fn self_referencing_symlinks_loop() {
    let t = Tree::new();
    t.symlink("/self", "self");
    t.symlink("/ping", "pong");
    t.symlink("/pong", "ping");
    t.symlink("/up", "up/x");
    assert_eq!(t.walk("/self").err(), Some(Errno::ELOOP));
    assert_eq!(t.walk("/ping").err(), Some(Errno::ELOOP));
    assert_eq!(t.walk("/self/x").err(), Some(Errno::ELOOP));
    assert_eq!(t.walk("/up").err(), Some(Errno::ELOOP));
    // The link itself is reachable without following it.
    assert!(t.walk_from(&t.root, "/self", false).is_ok());
}

#[test]
fn files_in_the_middle_or_with_a_trailing_slash_are_not_directories() {
    let t = Tree::new();
    assert_eq!(t.walk("/f/").err(), Some(Errno::ENOTDIR));
    assert_eq!(t.walk("/f//").err(), Some(Errno::ENOTDIR));
    assert_eq!(t.walk("/f/x").err(), Some(Errno::ENOTDIR));
    assert_eq!(t.walk("/f/.").err(), Some(Errno::ENOTDIR));
    assert_eq!(t.walk("/f/..").err(), Some(Errno::ENOTDIR));
    t.symlink("/to_f", "f");
    assert_eq!(t.walk("/to_f/").err(), Some(Errno::ENOTDIR));
    assert_eq!(t.walk("/to_f/x").err(), Some(Errno::ENOTDIR));
    assert_eq!(
        t.walker().walk_parent(&t.root, b"/f/x").err(),
        Some(Errno::ENOTDIR)
    );
    assert!(t.walk("/a/").is_ok());
    assert!(t.walk("/a//b///").is_ok());
}

#[test]
fn missing_components() {
    let t = Tree::new();
    assert_eq!(t.walk("/missing").err(), Some(Errno::ENOENT));
    assert_eq!(t.walk("/missing/x").err(), Some(Errno::ENOENT));
    assert_eq!(t.walk("/a/missing/..").err(), Some(Errno::ENOENT));
    assert_eq!(t.walk("").err(), Some(Errno::ENOENT));
    assert_eq!(
        t.walker().walk_parent(&t.root, b"").err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(
        t.walker().walk_parent(&t.root, b"/missing/x").err(),
        Some(Errno::ENOENT)
    );
    // walk_parent does not look at the last component.
    let p = t.walker().walk_parent(&t.root, b"/a/missing").unwrap();
    assert_eq!(p.name, b"missing");
}

#[test]
fn names_longer_than_255_bytes() {
    let t = Tree::new();
    let max = "n".repeat(NAME_MAX);
    let over = "n".repeat(NAME_MAX + 1);
    assert_eq!(t.walk(&format!("/{max}")).err(), Some(Errno::ENOENT));
    assert_eq!(t.walk(&format!("/{over}")).err(), Some(Errno::ENAMETOOLONG));
    assert_eq!(
        t.walk(&format!("/a/{over}/b")).err(),
        Some(Errno::ENAMETOOLONG)
    );
    assert_eq!(
        t.walker()
            .walk_parent(&t.root, format!("/a/{over}").as_bytes())
            .err(),
        Some(Errno::ENAMETOOLONG)
    );
    let mut w = t.walker();
    let node = NewNode::File { mode: 0o644 };
    assert_eq!(
        namei::create(
            &mut w,
            &t.root,
            format!("/{over}").as_bytes(),
            node.clone(),
            Owner::default()
        )
        .err(),
        Some(Errno::ENAMETOOLONG)
    );
    assert!(namei::create(
        &mut w,
        &t.root,
        format!("/{max}").as_bytes(),
        node,
        Owner::default()
    )
    .is_ok());
    assert!(t.walk(&format!("/{max}")).is_ok());
}

#[test]
fn search_permission_is_checked_for_non_root() {
    let t = Tree::new();
    let user = Creds::new(1000, 1000);
    let w = || Walk::new(&t.ns, &t.root, &user);
    // The directory itself can be named; looking inside needs search (x) permission.
    assert!(w().walk(&t.root, b"/private", true).is_ok());
    assert_eq!(
        w().walk(&t.root, b"/private/secret", true).err(),
        Some(Errno::EACCES)
    );
    assert_eq!(
        w().walk(&t.root, b"/private/missing", true).err(),
        Some(Errno::EACCES)
    );
    assert_eq!(
        w().walk(&t.root, b"/private/..", true).err(),
        Some(Errno::EACCES)
    );
    assert_eq!(
        w().walk_parent(&t.root, b"/private/new").err(),
        Some(Errno::EACCES)
    );
    assert_eq!(
        w().walk_parent(&t.root, b"/private/a/b").err(),
        Some(Errno::EACCES)
    );
    // Through a symlink too.
    t.symlink("/to_private", "private/secret");
    assert_eq!(
        w().walk(&t.root, b"/to_private", true).err(),
        Some(Errno::EACCES)
    );
    // Root walks in; so does a user in the owning group once the group has x.
    assert!(t.walk("/private/secret").is_ok());
    let mut w_user = w();
    assert_eq!(
        namei::create(
            &mut w_user,
            &t.root,
            b"/a/mine",
            NewNode::File { mode: 0o644 },
            Owner::default()
        )
        .err(),
        Some(Errno::EACCES)
    );
    t.mkdir_mode("/grp", 0o710);
    t.mkfile("/grp/inside");
    let mut member = Creds::new(1000, 1000);
    member.groups.push(0);
    assert!(Walk::new(&t.ns, &t.root, &member)
        .walk(&t.root, b"/grp/inside", true)
        .is_ok());
    assert_eq!(
        w().walk(&t.root, b"/grp/inside", true).err(),
        Some(Errno::EACCES)
    );
}

#[test]
fn to_bytes_round_trips() {
    let t = Tree::new();
    t.mkdir("/a/b/c");
    for path in [
        "/",
        "/a",
        "/a/b",
        "/a/b/c",
        "/f",
        "/mnt",
        "/mnt/x",
        "/private/secret",
    ] {
        let p = t.walk(path).unwrap();
        let bytes = p.to_bytes(&t.root);
        assert_eq!(bytes, path.as_bytes(), "to_bytes of {path}");
        let again = t.walk(std::str::from_utf8(&bytes).unwrap()).unwrap();
        assert!(again.same(&p), "{path} does not resolve back to itself");
    }
    // Relative to another root (a chroot at /a), and after a rename.
    let a = t.walk("/a").unwrap();
    assert_eq!(t.walk("/a/b/c").unwrap().to_bytes(&a), b"/b/c");
    let mut w = t.walker();
    namei::rename(&mut w, &t.root, b"/a/b", &t.root, b"/a/renamed", 0).unwrap();
    assert_eq!(t.resolve("/a/renamed/c").unwrap(), "/a/renamed/c");
    assert_eq!(t.walk("/a/b").err(), Some(Errno::ENOENT));
}

#[test]
fn walk_parent_splits_the_last_component() {
    let t = Tree::new();
    let p = t.walker().walk_parent(&t.root, b"/a/b/").unwrap();
    assert_eq!(
        (t.name(&p.dir).as_str(), p.name.as_slice(), p.trailing_slash),
        ("/a", &b"b"[..], true)
    );
    let p = t.walker().walk_parent(&t.root, b"a//b").unwrap();
    assert_eq!(
        (t.name(&p.dir).as_str(), p.name.as_slice(), p.trailing_slash),
        ("/a", &b"b"[..], false)
    );
    let p = t.walker().walk_parent(&t.root, b"name").unwrap();
    assert!(p.dir.same(&t.root));
    assert_eq!(p.name, b"name");
    let p = t.walker().walk_parent(&t.root, b"///").unwrap();
    assert!(p.dir.same(&t.root));
    assert!(p.name.is_empty());
    let p = t.walker().walk_parent(&t.root, b"/mnt/x/..").unwrap();
    assert_eq!(
        (t.name(&p.dir).as_str(), p.name.as_slice()),
        ("/mnt/x", &b".."[..])
    );
}

#[test]
fn namei_errors() {
    let t = Tree::new();
    t.mkdir("/a/b/c");
    let mut w = t.walker();
    let r = &t.root;
    // A directory cannot move into its own subtree.
    assert_eq!(
        namei::rename(&mut w, r, b"/a", r, b"/a/b/c/x", 0).err(),
        Some(Errno::EINVAL)
    );
    assert_eq!(
        namei::rename(&mut w, r, b"/a", r, b"/a/x", 0).err(),
        Some(Errno::EINVAL)
    );
    // Onto its own ancestor: that target is not empty.
    assert_eq!(
        namei::rename(&mut w, r, b"/a/b/c", r, b"/a", 0).err(),
        Some(Errno::ENOTEMPTY)
    );
    // Across mounts.
    assert_eq!(
        namei::rename(&mut w, r, b"/f", r, b"/mnt/f", 0).err(),
        Some(Errno::EXDEV)
    );
    assert_eq!(
        namei::rename(&mut w, r, b"/mnt/x", r, b"/x", 0).err(),
        Some(Errno::EXDEV)
    );
    // Directory and non-directory mismatches.
    assert_eq!(
        namei::rename(&mut w, r, b"/f", r, b"/a", 0).err(),
        Some(Errno::EISDIR)
    );
    assert_eq!(
        namei::rename(&mut w, r, b"/a", r, b"/f", 0).err(),
        Some(Errno::ENOTDIR)
    );
    assert_eq!(
        namei::rename(&mut w, r, b"/missing", r, b"/x", 0).err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(
        namei::rename(&mut w, r, b"/f", r, b"/x", !0).err(),
        Some(Errno::EINVAL)
    );
    // rmdir of a non-empty directory, of a file, of a mount point.
    assert_eq!(
        namei::remove(&mut w, r, b"/a", true).err(),
        Some(Errno::ENOTEMPTY)
    );
    assert_eq!(
        namei::remove(&mut w, r, b"/f", true).err(),
        Some(Errno::ENOTDIR)
    );
    assert_eq!(
        namei::remove(&mut w, r, b"/mnt", true).err(),
        Some(Errno::EBUSY)
    );
    assert_eq!(
        namei::remove(&mut w, r, b"/a/.", true).err(),
        Some(Errno::EINVAL)
    );
    // unlink of a directory, of a file with a trailing slash.
    assert_eq!(
        namei::remove(&mut w, r, b"/a", false).err(),
        Some(Errno::EISDIR)
    );
    assert_eq!(
        namei::remove(&mut w, r, b"/f/", false).err(),
        Some(Errno::ENOTDIR)
    );
    assert_eq!(
        namei::remove(&mut w, r, b"/missing", false).err(),
        Some(Errno::ENOENT)
    );
    // Hard links: not to directories, not across mounts, not over an existing name.
    let f = t.walk("/f").unwrap();
    let a = t.walk("/a").unwrap();
    assert_eq!(namei::link(&mut w, &a, r, b"/a2").err(), Some(Errno::EPERM));
    assert_eq!(
        namei::link(&mut w, &f, r, b"/mnt/f").err(),
        Some(Errno::EXDEV)
    );
    assert_eq!(namei::link(&mut w, &f, r, b"/a").err(), Some(Errno::EEXIST));
    // create over an existing name, and "." / "..".
    let dir = NewNode::Dir { mode: 0o755 };
    assert_eq!(
        namei::create(&mut w, r, b"/a", dir.clone(), Owner::default()).err(),
        Some(Errno::EEXIST)
    );
    assert_eq!(
        namei::create(&mut w, r, b"/a/..", dir, Owner::default()).err(),
        Some(Errno::EEXIST)
    );
    // What succeeded nothing above: the tree is unchanged.
    for path in ["/a/b/c", "/f", "/mnt/x"] {
        assert!(t.walk(path).is_ok(), "{path} is gone");
    }
    assert_eq!(t.walk("/mnt/f").err(), Some(Errno::ENOENT));
    // And the successful forms work.
    namei::remove(&mut w, r, b"/a/b/c", true).unwrap();
    namei::remove(&mut w, r, b"/f", false).unwrap();
    assert_eq!(t.walk("/f").err(), Some(Errno::ENOENT));
}
