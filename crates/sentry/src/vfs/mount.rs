//! Mounts and the mount tree of a sandbox, in Linux's shape:
//!
//! - a [`SuperBlock`] is one filesystem instance as mounted: its type name,
//!   whether the filesystem itself is read-only, and its own options as the
//!   mount tables print them ("size=65536k,mode=755,inode64"). Bind mounts
//!   share their source's.
//! - a [`Mount`] shows one dentry of a filesystem (its root or, for a bind
//!   mount, any directory or file of it) at a dentry of a parent mount, with
//!   per-mount flags (ro, nosuid, nodev, noexec, atime rules).
//! - the [`MountNamespace`] lists the mounts in the order they were made,
//!   the order /proc/PID/mounts shows them.
//!
//! A mount is busy (umount without MNT_DETACH answers EBUSY) when it has
//! child mounts or anything but the namespace holds it: an open file, a
//! working or root directory, a mapping. Those all hold an `Arc<Mount>`
//! (in a [`Path`](super::Path)), so the reference count is the measure, as
//! Linux's mnt_count is.
//!
//! A detached mount (MNT_DETACH, MS_MOVE) keeps its `parent` link while
//! files opened under it live: ".." from its root still leads where it
//! was mounted, where Linux would stay at the root.
//!
//! Lock order: `MountNamespace::mounts` → `SuperBlock::options`. Flags are
//! atomics, read without locks.

use super::dentry::Dentry;
use super::inode::Inode;
use abi::Errno;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

pub const MS_RDONLY: u32 = 1;
pub const MS_NOSUID: u32 = 2;
pub const MS_NODEV: u32 = 4;
pub const MS_NOEXEC: u32 = 8;
pub const MS_SYNCHRONOUS: u32 = 16;
pub const MS_REMOUNT: u32 = 32;
pub const MS_MANDLOCK: u32 = 64;
pub const MS_DIRSYNC: u32 = 128;
pub const MS_NOSYMFOLLOW: u32 = 256;
pub const MS_NOATIME: u32 = 1024;
pub const MS_NODIRATIME: u32 = 2048;
pub const MS_BIND: u32 = 4096;
pub const MS_MOVE: u32 = 8192;
pub const MS_REC: u32 = 16384;
pub const MS_SILENT: u32 = 32768;
pub const MS_POSIXACL: u32 = 1 << 16;
pub const MS_UNBINDABLE: u32 = 1 << 17;
pub const MS_PRIVATE: u32 = 1 << 18;
pub const MS_SLAVE: u32 = 1 << 19;
pub const MS_SHARED: u32 = 1 << 20;
pub const MS_RELATIME: u32 = 1 << 21;
pub const MS_KERNMOUNT: u32 = 1 << 22;
pub const MS_I_VERSION: u32 = 1 << 23;
pub const MS_STRICTATIME: u32 = 1 << 24;
pub const MS_LAZYTIME: u32 = 1 << 25;
pub const MS_NOUSER: u32 = 1 << 31;

/// The bits a mount keeps (Linux's MNT_USER_SETTABLE_MASK). The atime
/// rule is kept normalised: MS_STRICTATIME, or MS_NOATIME, or neither,
/// which means relatime (Linux's default).
pub const MOUNT_FLAGS: u32 = MS_RDONLY
    | MS_NOSUID
    | MS_NODEV
    | MS_NOEXEC
    | MS_NOATIME
    | MS_NODIRATIME
    | MS_STRICTATIME
    | MS_NOSYMFOLLOW;

/// The per-mount flags mount(2)'s `flags` ask for, as a mount keeps them.
pub fn mount_flags_of(flags: u32) -> u32 {
    let mut f = flags & MOUNT_FLAGS;
    if f & MS_STRICTATIME != 0 {
        f &= !MS_NOATIME;
    }
    f
}

/// One filesystem instance as mounted.
pub struct SuperBlock {
    pub fs_type: String,
    read_only: AtomicBool,
    /// The filesystem's own options, as the tables print them after the
    /// generic ones ("" or "size=65536k,mode=755,inode64").
    options: Mutex<String>,
}

impl std::fmt::Debug for SuperBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SuperBlock({})", self.fs_type)
    }
}

impl SuperBlock {
    pub fn new(fs_type: &str, read_only: bool, options: String) -> Arc<SuperBlock> {
        Arc::new(SuperBlock {
            fs_type: fs_type.into(),
            read_only: AtomicBool::new(read_only),
            options: Mutex::new(options),
        })
    }

    pub fn read_only(&self) -> bool {
        self.read_only.load(Ordering::Relaxed)
    }

    pub fn set_read_only(&self, ro: bool) {
        self.read_only.store(ro, Ordering::Relaxed);
    }

    pub fn options(&self) -> String {
        self.options.lock().clone()
    }

    pub fn set_options(&self, options: String) {
        *self.options.lock() = options;
    }
}

pub struct Mount {
    pub id: u32,
    /// The dentry shown at the mount point: the filesystem's root, or for a
    /// bind mount the directory or file that was bound.
    pub root: Arc<Dentry>,
    /// Where it is mounted: the parent mount and the mountpoint dentry.
    pub parent: Option<(Arc<Mount>, Arc<Dentry>)>,
    flags: AtomicU32,
    pub sb: Arc<SuperBlock>,
    /// `sb.fs_type`, for convenience.
    pub fs_type: String,
    pub source: String,
    /// Mounts whose `parent` names this one (attached or detached but still
    /// referenced): their references do not make this mount busy.
    children: AtomicU32,
    /// umount(MNT_EXPIRE) marked it once already.
    expiry_mark: AtomicBool,
}

impl std::fmt::Debug for Mount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mount({} {})", self.id, self.fs_type)
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        if let Some((p, _)) = &self.parent {
            p.children.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Mount {
    /// Writes are refused (EROFS): the mount or its filesystem is read-only.
    pub fn read_only(&self) -> bool {
        self.flags() & MS_RDONLY != 0 || self.sb.read_only()
    }

    /// The per-mount flags ([`MOUNT_FLAGS`] bits).
    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// Replace the per-mount flags (remount).
    pub fn set_flags(&self, flags: u32) {
        self.flags.store(flags & MOUNT_FLAGS, Ordering::Relaxed);
    }

    /// Set the MNT_EXPIRE mark; whether it was set already.
    pub fn mark_expired(&self) -> bool {
        self.expiry_mark.swap(true, Ordering::Relaxed)
    }

    /// The path of [`Mount::root`] within its filesystem ("/" for the
    /// filesystem's root): mountinfo's fourth field.
    pub fn root_path(&self) -> Vec<u8> {
        let mut parts = Vec::new();
        let mut cur = self.root.clone();
        while let Some(p) = cur.parent() {
            parts.push(cur.name());
            cur = p;
        }
        if parts.is_empty() {
            return b"/".to_vec();
        }
        let mut out = Vec::new();
        for p in parts.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(p);
        }
        out
    }
}

static NEXT_MOUNT_ID: AtomicU32 = AtomicU32::new(1);

/// What a new mount shows and how.
pub struct NewMount {
    /// The dentry at the top of the new mount.
    pub root: Arc<Dentry>,
    pub sb: Arc<SuperBlock>,
    pub source: String,
    /// mount(2) flags; only the per-mount ones are kept.
    pub flags: u32,
}

/// A single-instance filesystem: its type, root and superblock.
type Singleton = (String, Arc<dyn Inode>, Arc<SuperBlock>);

/// All mounts of a sandbox.
pub struct MountNamespace {
    pub root: Arc<Mount>,
    /// In mount order; a parent always comes before its children.
    mounts: Mutex<Vec<Arc<Mount>>>,
    /// Filesystems of which a sandbox has one instance (proc, sysfs):
    /// mounting the type again shows the same one, as Linux does for a pid
    /// namespace's proc.
    singletons: Mutex<Vec<Singleton>>,
}

impl std::fmt::Debug for MountNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MountNamespace")
    }
}

impl MountNamespace {
    pub fn new(root: Arc<dyn Inode>, fs_type: &str, source: &str) -> MountNamespace {
        Self::with_root(
            Dentry::new_root(root),
            SuperBlock::new(fs_type, false, String::new()),
            source,
            0,
        )
    }

    /// A namespace whose root mount shows `root` of `sb`.
    pub fn with_root(
        root: Arc<Dentry>,
        sb: Arc<SuperBlock>,
        source: &str,
        flags: u32,
    ) -> MountNamespace {
        let m = Arc::new(Mount {
            id: NEXT_MOUNT_ID.fetch_add(1, Ordering::Relaxed),
            root,
            parent: None,
            flags: AtomicU32::new(mount_flags_of(flags)),
            fs_type: sb.fs_type.clone(),
            sb,
            source: source.into(),
            children: AtomicU32::new(0),
            expiry_mark: AtomicBool::new(false),
        });
        MountNamespace {
            root: m.clone(),
            mounts: Mutex::new(vec![m]),
            singletons: Mutex::new(Vec::new()),
        }
    }

    /// Mount the filesystem whose root is `inode` on `(parent, at)`.
    pub fn mount(
        &self,
        parent: &Arc<Mount>,
        at: &Arc<Dentry>,
        inode: Arc<dyn Inode>,
        fs_type: &str,
        source: &str,
        flags: u32,
    ) -> Arc<Mount> {
        let new = NewMount {
            root: Dentry::new_root(inode),
            sb: SuperBlock::new(fs_type, false, String::new()),
            source: source.into(),
            flags,
        };
        self.attach(parent, at, new)
    }

    /// Put `new` on `(parent, at)`, above whatever is mounted there.
    pub fn attach(&self, parent: &Arc<Mount>, at: &Arc<Dentry>, new: NewMount) -> Arc<Mount> {
        let mut mounts = self.mounts.lock();
        self.attach_locked(&mut mounts, parent, at, new)
    }

    fn attach_locked(
        &self,
        mounts: &mut Vec<Arc<Mount>>,
        parent: &Arc<Mount>,
        at: &Arc<Dentry>,
        new: NewMount,
    ) -> Arc<Mount> {
        let m = Arc::new(Mount {
            id: NEXT_MOUNT_ID.fetch_add(1, Ordering::Relaxed),
            root: new.root,
            parent: Some((parent.clone(), at.clone())),
            flags: AtomicU32::new(mount_flags_of(new.flags)),
            fs_type: new.sb.fs_type.clone(),
            sb: new.sb,
            source: new.source,
            children: AtomicU32::new(0),
            expiry_mark: AtomicBool::new(false),
        });
        parent.children.fetch_add(1, Ordering::Relaxed);
        at.mounts.fetch_add(1, Ordering::Relaxed);
        mounts.push(m.clone());
        m
    }

    /// A bind mount of `(src_mount, src)` on `(parent, at)`: the same
    /// filesystem, its flags copied from the source mount (as Linux's
    /// clone_mnt; mount(2)'s own flags are ignored for a bind). With
    /// `recursive` (MS_REC), the mounts below `src` come along.
    pub fn bind(
        &self,
        src_mount: &Arc<Mount>,
        src: &Arc<Dentry>,
        parent: &Arc<Mount>,
        at: &Arc<Dentry>,
        recursive: bool,
    ) -> Arc<Mount> {
        let mut mounts = self.mounts.lock();
        let before: Vec<Arc<Mount>> = mounts.clone();
        let top = self.attach_locked(
            &mut mounts,
            parent,
            at,
            NewMount {
                root: src.clone(),
                sb: src_mount.sb.clone(),
                source: src_mount.source.clone(),
                flags: src_mount.flags(),
            },
        );
        if !recursive {
            return top;
        }
        // Parents precede children in the list, so one pass copies the
        // whole tree below `src`.
        let mut copies: Vec<(Arc<Mount>, Arc<Mount>)> = vec![(src_mount.clone(), top.clone())];
        for m in &before {
            let Some((p, d)) = &m.parent else { continue };
            let new_parent = if Arc::ptr_eq(p, src_mount) {
                if !d.is_descendant_of(src) {
                    continue;
                }
                top.clone()
            } else {
                match copies.iter().skip(1).find(|(old, _)| Arc::ptr_eq(old, p)) {
                    Some((_, new)) => new.clone(),
                    None => continue,
                }
            };
            let copy = self.attach_locked(
                &mut mounts,
                &new_parent,
                d,
                NewMount {
                    root: m.root.clone(),
                    sb: m.sb.clone(),
                    source: m.source.clone(),
                    flags: m.flags(),
                },
            );
            copies.push((m.clone(), copy));
        }
        top
    }

    /// The topmost mount on `(parent, at)`, if any.
    pub fn mounted_on(&self, parent: &Arc<Mount>, at: &Arc<Dentry>) -> Option<Arc<Mount>> {
        if !at.is_mountpoint() {
            return None;
        }
        self.mounts
            .lock()
            .iter()
            .rev()
            .find(|m| {
                m.parent
                    .as_ref()
                    .is_some_and(|(p, d)| Arc::ptr_eq(p, parent) && Arc::ptr_eq(d, at))
            })
            .cloned()
    }

    pub fn all(&self) -> Vec<Arc<Mount>> {
        self.mounts.lock().clone()
    }

    /// Whether `m` is (still) attached to this namespace.
    pub fn contains(&self, m: &Arc<Mount>) -> bool {
        self.mounts.lock().iter().any(|x| Arc::ptr_eq(x, m))
    }

    /// umount(2) of `m`, which the caller passes in as its only reference.
    /// Without `detach`, a mount with child mounts or other users is
    /// EBUSY; with it (MNT_DETACH) the mount and everything below it leave
    /// the tree at once, and live on for their users until the last one
    /// lets go. The namespace's root cannot be unmounted (EINVAL; EBUSY
    /// without `detach`, as Linux's failing remount of "/" read-only).
    pub fn unmount(&self, m: Arc<Mount>, detach: bool) -> Result<(), Errno> {
        self.unmount_how(m, detach, false)
    }

    /// umount(2) with MNT_EXPIRE: EBUSY if in use; else the first call
    /// marks the mount (EAGAIN) and the next unmounts it.
    pub fn unmount_expired(&self, m: Arc<Mount>) -> Result<(), Errno> {
        self.unmount_how(m, false, true)
    }

    fn unmount_how(&self, m: Arc<Mount>, detach: bool, expire: bool) -> Result<(), Errno> {
        if Arc::ptr_eq(&m, &self.root) {
            return Err(if detach || expire {
                Errno::EINVAL
            } else {
                Errno::EBUSY
            });
        }
        let mut mounts = self.mounts.lock();
        let Some(at) = mounts.iter().position(|x| Arc::ptr_eq(x, &m)) else {
            return Err(Errno::EINVAL);
        };
        let doomed: Vec<usize> = if detach {
            // `m` and every mount below it, in list order.
            let mut set = vec![at];
            for (i, x) in mounts.iter().enumerate().skip(at + 1) {
                if let Some((p, _)) = &x.parent {
                    if set.iter().any(|&j| Arc::ptr_eq(&mounts[j], p)) {
                        set.push(i);
                    }
                }
            }
            set
        } else {
            let has_children = mounts
                .iter()
                .any(|x| x.parent.as_ref().is_some_and(|(p, _)| Arc::ptr_eq(p, &m)));
            // References: the list, the caller's, and one per child mount.
            let expected = 2 + m.children.load(Ordering::Relaxed) as usize;
            if has_children || Arc::strong_count(&m) > expected {
                return Err(Errno::EBUSY);
            }
            if expire && !m.mark_expired() {
                return Err(Errno::EAGAIN);
            }
            vec![at]
        };
        for &i in doomed.iter().rev() {
            let gone = mounts.remove(i);
            if let Some((_, d)) = &gone.parent {
                d.mounts.fetch_sub(1, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// MS_MOVE: `m` (a mount's root) and everything below it move to
    /// `(parent, at)`. Done as a recursive bind there and a detach here,
    /// so files open under the old place keep working.
    pub fn move_mount(
        &self,
        m: Arc<Mount>,
        parent: &Arc<Mount>,
        at: &Arc<Dentry>,
    ) -> Result<Arc<Mount>, Errno> {
        if Arc::ptr_eq(&m, &self.root) || !self.contains(&m) {
            return Err(Errno::EINVAL);
        }
        // Not into itself.
        let mut cur = Some(parent.clone());
        while let Some(c) = cur {
            if Arc::ptr_eq(&c, &m) {
                return Err(Errno::ELOOP);
            }
            cur = c.parent.as_ref().map(|(p, _)| p.clone());
        }
        let new = self.bind(&m, &m.root, parent, at, true);
        self.unmount(m, true)?;
        Ok(new)
    }

    /// Record the one instance of a filesystem type (see `singletons`).
    pub fn set_singleton(&self, fs_type: &str, root: Arc<dyn Inode>, sb: Arc<SuperBlock>) {
        let mut s = self.singletons.lock();
        s.retain(|(t, _, _)| t != fs_type);
        s.push((fs_type.into(), root, sb));
    }

    /// The one instance of `fs_type`, if it has been recorded.
    pub fn singleton(&self, fs_type: &str) -> Option<(Arc<dyn Inode>, Arc<SuperBlock>)> {
        self.singletons
            .lock()
            .iter()
            .find(|(t, _, _)| t == fs_type)
            .map(|(_, r, sb)| (r.clone(), sb.clone()))
    }
}

/// Linux's graft rule: a directory only on a directory, a non-directory
/// only on a non-directory (ENOTDIR otherwise).
pub fn check_graft(at: &Arc<Dentry>, root: &Arc<Dentry>) -> Result<(), Errno> {
    if at.inode.attr()?.is_dir() != root.inode.attr()?.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    Ok(())
}

#[cfg(test)]
#[path = "mount_tests.rs"]
mod tests;
