//! A container's mounts at boot, as runc makes them from an OCI
//! config.json: the `mounts` list in order, then `readonlyPaths`, then
//! `maskedPaths`, then a read-only root (`root.readonly`). Part of
//! [`crate::boot`]; the OCI types stay in runsc, which fills
//! [`ContainerMounts`].
//!
//! - `bind` (or any entry with the "bind"/"rbind" option): the host file or
//!   directory is served by the container's Gofer as the tree
//!   [`bind_tree_name`]`(i)`, attached over the root's connection and
//!   revalidated on every use (TTL 0), so host changes show at once.
//!   Flags (ro, nosuid, nodev, noexec) apply to the mount; a read-only bind
//!   is also served read-only by the Gofer.
//! - every other type comes from [`fs::fstype`](crate::fs::fstype); a tmpfs
//!   on `/dev` gets the device nodes of `fs::dev`.
//! - proc, sysfs, /dev, devpts and a /dev/shm tmpfs are added when the
//!   list lacks them, as gVisor does (the runtime spec says a container
//!   SHOULD have them).
//! - a missing mount point is created, as runc does: directories and
//!   files with mode 0755, symlinks on the way resolved inside the
//!   container (a dangling one gets its target created). Under the root
//!   overlay they land in its memory upper layer.
//! - readonlyPaths: each existing path is bound on itself (recursively)
//!   and the bind made read-only. maskedPaths: an existing directory gets
//!   an empty read-only tmpfs, anything else a bind of the container's
//!   /dev/null. Missing paths are skipped.

use crate::fs::cgroupfs::CgroupLimits;
use crate::fs::fstype;
use crate::fs::gofer::GoferMount;
use crate::fs::mount_opts::{self, MountOptions};
use crate::kernel::creds::Creds;
use crate::vfs::inode::{Inode, NewNode, Owner};
use crate::vfs::mount::{check_graft, NewMount, SuperBlock, MS_RDONLY};
use crate::vfs::{namei, Dentry, MountNamespace, Path, Walk};
use abi::Errno;
use memory::MemoryFile;
use std::sync::Arc;

/// One entry of the container's mount list (an OCI `mounts` item).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MountEntry {
    /// Absolute path in the container.
    pub destination: Vec<u8>,
    /// "bind", "tmpfs", "proc", … (empty: decided by the options).
    pub fs_type: String,
    /// For a bind mount, the host path (absolute); else what the tables
    /// show as the source.
    pub source: String,
    /// fstab-style words: "rbind", "ro", "nosuid", "mode=755", …
    pub options: Vec<String>,
}

impl MountEntry {
    /// runc's rule: a bind mount is one with the "bind" or "rbind" option
    /// (whatever its type says), or of type "bind".
    pub fn is_bind(&self) -> bool {
        self.fs_type == "bind" || mount_opts::parse(&self.options).is_bind()
    }

    /// Whether the Gofer may change files of a bind mount's tree.
    pub fn bind_writable(&self) -> bool {
        !mount_opts::parse(&self.options).read_only()
    }
}

/// A container's filesystem beyond its root.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerMounts {
    pub mounts: Vec<MountEntry>,
    pub masked_paths: Vec<Vec<u8>>,
    pub readonly_paths: Vec<Vec<u8>>,
    /// `root.readonly`: the root mount is read-only.
    pub root_readonly: bool,
    /// What the container's cgroup files report.
    pub cgroup: CgroupLimits,
}

/// Tattach's aname of the tree serving the bind mount at index `i` of
/// the mount list.
pub fn bind_tree_name(i: usize) -> String {
    format!("mount{i}")
}

impl ContainerMounts {
    /// The trees the container's Gofer serves besides the root: one per
    /// bind mount, named by [`bind_tree_name`].
    pub fn gofer_mounts(&self) -> Vec<GoferMount> {
        self.mounts
            .iter()
            .enumerate()
            .filter(|(_, m)| m.is_bind())
            .map(|(i, m)| GoferMount {
                name: bind_tree_name(i),
                path: m.source.clone().into(),
                writable: m.bind_writable(),
            })
            .collect()
    }
}

fn entry(dest: &str, ty: &str, options: &[&str]) -> MountEntry {
    MountEntry {
        destination: dest.as_bytes().to_vec(),
        fs_type: ty.into(),
        source: ty.into(),
        options: options.iter().map(|o| o.to_string()).collect(),
    }
}

/// The mount list with the mounts a container must have: /proc, /dev and
/// /sys in front, /dev/pts and /dev/shm right after the last /dev mount
/// (so that a /dev from the list does not cover them). The second element
/// is the entry's index in `list` (bind mounts' trees are named by it).
fn with_mandatory(list: &[MountEntry]) -> Vec<(MountEntry, Option<usize>)> {
    let has = |d: &str| {
        list.iter()
            .any(|m| clean(&m.destination).as_slice() == d.as_bytes())
    };
    let mut out = Vec::new();
    if !has("/proc") {
        out.push((entry("/proc", "proc", &["nosuid", "nodev", "noexec"]), None));
    }
    if !has("/dev") {
        out.push((
            entry("/dev", "tmpfs", &["nosuid", "strictatime", "mode=755"]),
            None,
        ));
    }
    if !has("/sys") {
        out.push((
            entry("/sys", "sysfs", &["nosuid", "nodev", "noexec", "ro"]),
            None,
        ));
    }
    out.extend(list.iter().cloned().enumerate().map(|(i, m)| (m, Some(i))));
    let after_dev = |out: &[(MountEntry, Option<usize>)]| {
        out.iter()
            .rposition(|(m, _)| clean(&m.destination) == b"/dev")
            .map_or(0, |i| i + 1)
    };
    if !has("/dev/shm") {
        let shm = entry(
            "/dev/shm",
            "tmpfs",
            &["nosuid", "noexec", "nodev", "mode=1777"],
        );
        let at = after_dev(&out);
        out.insert(
            at,
            (
                MountEntry {
                    source: "shm".into(),
                    ..shm
                },
                None,
            ),
        );
    }
    if !has("/dev/pts") {
        let pts = entry(
            "/dev/pts",
            "devpts",
            &[
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5",
            ],
        );
        let at = after_dev(&out);
        out.insert(at, (pts, None));
    }
    out
}

/// An absolute path without empty, "." and trailing components.
fn clean(p: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in p.split(|&b| b == b'/') {
        if c.is_empty() || c == b"." {
            continue;
        }
        out.push(b'/');
        out.extend_from_slice(c);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// Everything the mounting needs.
pub struct Mounter<'a> {
    pub ns: &'a MountNamespace,
    pub mf: &'a Arc<MemoryFile>,
    root: Path,
    creds: Creds,
}

impl<'a> Mounter<'a> {
    pub fn new(ns: &'a MountNamespace, mf: &'a Arc<MemoryFile>) -> Mounter<'a> {
        Mounter {
            ns,
            mf,
            root: Path {
                mount: ns.root.clone(),
                dentry: ns.root.root.clone(),
            },
            creds: Creds::new(0, 0),
        }
    }

    fn walk(&self, path: &[u8]) -> Result<Path, Errno> {
        let mut w = Walk::new(self.ns, &self.root, &self.creds);
        w.walk(&self.root, path, true)
    }

    /// The mount point `path`, created as runc does when missing: a
    /// directory, or for a non-directory mount an empty file.
    pub fn mount_point(&self, path: &[u8], dir: bool) -> Result<Path, Errno> {
        self.ensure(&self.root, path, dir, 0)
    }

    fn ensure(&self, start: &Path, path: &[u8], dir: bool, depth: u32) -> Result<Path, Errno> {
        if depth > crate::vfs::path::MAX_SYMLINKS {
            return Err(Errno::ELOOP);
        }
        let mut w = Walk::new(self.ns, &self.root, &self.creds);
        match w.walk(start, path, true) {
            Err(Errno::ENOENT) => {}
            other => return other,
        }
        let comps: Vec<&[u8]> = path
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty())
            .collect();
        let mut cur = if path.starts_with(b"/") {
            self.root.clone()
        } else {
            start.clone()
        };
        for (i, c) in comps.iter().enumerate() {
            let last = i + 1 == comps.len();
            let mut w = Walk::new(self.ns, &self.root, &self.creds);
            match w.walk(&cur, c, true) {
                Ok(p) => {
                    cur = p;
                    continue;
                }
                Err(Errno::ENOENT) => {}
                Err(e) => return Err(e),
            }
            // Missing, or a symlink to something missing: create that.
            if let Ok(link) = w.walk(&cur, c, false) {
                let target = link.dentry.inode.readlink()?;
                cur = self.ensure(&cur, &target, dir || !last, depth + 1)?;
                continue;
            }
            let node = if last && !dir {
                NewNode::File { mode: 0o755 }
            } else {
                NewNode::Dir { mode: 0o755 }
            };
            cur = namei::create(&mut w, &cur, c, node, Owner::default())?;
        }
        Ok(cur)
    }

    /// Mount `root` of `sb` on `at` with `flags`.
    fn attach(
        &self,
        at: &Path,
        root: Arc<dyn Inode>,
        sb: Arc<SuperBlock>,
        source: &str,
        flags: u32,
    ) -> Result<(), Errno> {
        let root = Dentry::new_root(root);
        check_graft(&at.dentry, &root)?;
        self.ns.attach(
            &at.mount,
            &at.dentry,
            NewMount {
                root,
                sb,
                source: source.into(),
                flags,
            },
        );
        Ok(())
    }

    /// One entry of the list. `bind_root` gives a bind mount's tree.
    fn mount_one(
        &self,
        m: &MountEntry,
        bind_root: &mut dyn FnMut() -> Result<Arc<dyn Inode>, String>,
    ) -> Result<(), String> {
        let dest = clean(&m.destination);
        let what = || {
            format!(
                "mount {} ({} {})",
                String::from_utf8_lossy(&dest),
                if m.is_bind() { "bind" } else { &m.fs_type },
                m.source
            )
        };
        let fail = |e: Errno| format!("{}: {}", what(), crate::boot::describe(e));
        if dest == b"/" {
            return Err(format!("{}: cannot mount over the root", what()));
        }
        let o: MountOptions = mount_opts::parse(&m.options);
        if m.is_bind() {
            let root = bind_root().map_err(|e| format!("{}: {e}", what()))?;
            let dir = root.attr().map_err(fail)?.is_dir();
            let at = self.mount_point(&dest, dir).map_err(fail)?;
            let sb = SuperBlock::new("9p", false, String::new());
            return self.attach(&at, root, sb, &m.source, o.flags).map_err(fail);
        }
        let made = if m.fs_type == "tmpfs" && dest == b"/dev" {
            fstype::dev_tmpfs(self.mf, &o.data)
        } else {
            fstype::make(self.ns, self.mf, &m.fs_type, &o.data)
        }
        .map_err(|e| match e {
            Errno::ENODEV => format!("{}: unknown filesystem type {:?}", what(), m.fs_type),
            Errno::EINVAL => format!("{}: bad options {:?}", what(), o.data),
            e => fail(e),
        })?;
        let at = self.mount_point(&dest, true).map_err(fail)?;
        self.attach(&at, made.root, made.sb, &m.source, o.flags)
            .map_err(fail)
    }

    /// readonlyPaths: `path` bound on itself, read-only.
    fn read_only_path(&self, path: &[u8]) -> Result<(), Errno> {
        let p = match self.walk(path) {
            Ok(p) => p,
            Err(Errno::ENOENT) => return Ok(()),
            Err(e) => return Err(e),
        };
        let m = self.ns.bind(&p.mount, &p.dentry, &p.mount, &p.dentry, true);
        m.set_flags(m.flags() | MS_RDONLY);
        Ok(())
    }

    /// maskedPaths: an empty read-only tmpfs over a directory, the
    /// container's /dev/null over anything else.
    fn mask_path(&self, path: &[u8]) -> Result<(), Errno> {
        let p = match self.walk(path) {
            Ok(p) => p,
            Err(Errno::ENOENT) => return Ok(()),
            Err(e) => return Err(e),
        };
        if p.is_dir() {
            let (_, made) = fstype::tmpfs(self.mf, &[])?;
            return self.attach(&p, made.root, made.sb, "tmpfs", MS_RDONLY);
        }
        let null = self.walk(b"/dev/null")?;
        check_graft(&p.dentry, &null.dentry)?;
        self.ns
            .bind(&null.mount, &null.dentry, &p.mount, &p.dentry, false);
        Ok(())
    }

    /// Everything of `cm`, in runc's order. `bind_root(i)` attaches the
    /// Gofer's tree of the bind mount at index `i` of `cm.mounts`.
    pub fn apply(
        &self,
        cm: &ContainerMounts,
        bind_root: &mut dyn FnMut(usize) -> Result<Arc<dyn Inode>, String>,
    ) -> Result<(), String> {
        for (m, index) in with_mandatory(&cm.mounts) {
            let mut root = || match index {
                Some(i) => bind_root(i),
                None => Err("no tree for this bind mount".to_string()),
            };
            self.mount_one(&m, &mut root)?;
        }
        if cm.root_readonly {
            self.ns.root.set_flags(self.ns.root.flags() | MS_RDONLY);
        }
        for p in &cm.readonly_paths {
            self.read_only_path(p).map_err(|e| {
                format!(
                    "readonlyPaths {}: {}",
                    String::from_utf8_lossy(p),
                    crate::boot::describe(e)
                )
            })?;
        }
        for p in &cm.masked_paths {
            self.mask_path(p).map_err(|e| {
                format!(
                    "maskedPaths {}: {}",
                    String::from_utf8_lossy(p),
                    crate::boot::describe(e)
                )
            })?;
        }
        Ok(())
    }

    /// What `runsc do` mounts over the host root: /dev, /dev/pts, /proc, /sys.
    pub fn defaults(&self) -> Result<(), String> {
        let list = [
            entry("/dev", "tmpfs", &["mode=755"]),
            entry(
                "/dev/pts",
                "devpts",
                &[
                    "nosuid",
                    "noexec",
                    "newinstance",
                    "gid=5",
                    "mode=0620",
                    "ptmxmode=0666",
                ],
            ),
            entry("/proc", "proc", &["nosuid", "nodev", "noexec"]),
            entry("/sys", "sysfs", &["nosuid", "nodev", "noexec", "ro"]),
        ];
        for m in &list {
            // A root without the directory has nothing to cover.
            if matches!(self.walk(&m.destination), Err(Errno::ENOENT)) {
                continue;
            }
            self.mount_one(m, &mut || Err("not a bind mount".into()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
