//! Mounts and the mount tree of a sandbox.

use super::dentry::Dentry;
use super::inode::Inode;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

pub const MS_RDONLY: u32 = 1;
pub const MS_NOSUID: u32 = 2;
pub const MS_NODEV: u32 = 4;
pub const MS_NOEXEC: u32 = 8;

pub struct Mount {
    pub id: u32,
    pub root: Arc<Dentry>,
    /// Where it is mounted: the parent mount and the mountpoint dentry.
    pub parent: Option<(Arc<Mount>, Arc<Dentry>)>,
    pub flags: u32,
    pub fs_type: String,
    pub source: String,
}

impl std::fmt::Debug for Mount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mount({} {})", self.id, self.fs_type)
    }
}

impl Mount {
    pub fn read_only(&self) -> bool {
        self.flags & MS_RDONLY != 0
    }
}

static NEXT_MOUNT_ID: AtomicU32 = AtomicU32::new(1);

/// All mounts of a sandbox.
pub struct MountNamespace {
    pub root: Arc<Mount>,
    mounts: Mutex<Vec<Arc<Mount>>>,
}

impl std::fmt::Debug for MountNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MountNamespace")
    }
}

impl MountNamespace {
    pub fn new(root: Arc<dyn Inode>, fs_type: &str, source: &str) -> MountNamespace {
        let m = Arc::new(Mount {
            id: NEXT_MOUNT_ID.fetch_add(1, Ordering::Relaxed),
            root: Dentry::new_root(root),
            parent: None,
            flags: 0,
            fs_type: fs_type.into(),
            source: source.into(),
        });
        MountNamespace {
            root: m.clone(),
            mounts: Mutex::new(vec![m]),
        }
    }

    /// Mount `inode` on `(parent, at)`.
    pub fn mount(
        &self,
        parent: &Arc<Mount>,
        at: &Arc<Dentry>,
        inode: Arc<dyn Inode>,
        fs_type: &str,
        source: &str,
        flags: u32,
    ) -> Arc<Mount> {
        let m = Arc::new(Mount {
            id: NEXT_MOUNT_ID.fetch_add(1, Ordering::Relaxed),
            root: Dentry::new_root(inode),
            parent: Some((parent.clone(), at.clone())),
            flags,
            fs_type: fs_type.into(),
            source: source.into(),
        });
        at.mounts.fetch_add(1, Ordering::Relaxed);
        self.mounts.lock().push(m.clone());
        m
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
}
