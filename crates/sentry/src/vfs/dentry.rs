//! Dentries: the name cache over inodes. A dentry names one inode within
//! its parent directory; children looked up once are kept, so repeated
//! walks do not ask the filesystem again, until the cache's bound makes it
//! drop unused ones (`dcache.rs` says which and when).
//!
//! Lock order: the dcache queue, then a parent's `children`, then a
//! child's `name`/`parent`.

use super::inode::Inode;
use abi::Errno;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

pub struct Dentry {
    pub inode: Arc<dyn Inode>,
    name: Mutex<Vec<u8>>,
    parent: Mutex<Option<Arc<Dentry>>>,
    children: Mutex<HashMap<Vec<u8>, Arc<Dentry>>>,
    /// Mounts whose mountpoint is this dentry.
    pub mounts: AtomicU32,
    /// Removed from its directory (unlinked or replaced).
    dead: AtomicBool,
    /// Found in the cache since the last sweep looked (CLOCK's bit).
    referenced: AtomicBool,
}

/// Why a dentry was not evicted.
#[derive(Debug, PartialEq, Eq)]
pub enum Busy {
    /// Something besides its parent's map holds it.
    Used,
    /// Not (or no longer) in its parent's map.
    NotCached,
}

impl std::fmt::Debug for Dentry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dentry({})", String::from_utf8_lossy(&self.name.lock()))
    }
}

impl Dentry {
    pub fn new_root(inode: Arc<dyn Inode>) -> Arc<Dentry> {
        Arc::new(Dentry {
            inode,
            name: Mutex::new(b"/".to_vec()),
            parent: Mutex::new(None),
            children: Mutex::new(HashMap::new()),
            mounts: AtomicU32::new(0),
            dead: AtomicBool::new(false),
            referenced: AtomicBool::new(false),
        })
    }

    pub fn name(&self) -> Vec<u8> {
        self.name.lock().clone()
    }

    pub fn parent(&self) -> Option<Arc<Dentry>> {
        self.parent.lock().clone()
    }

    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Relaxed)
    }

    pub fn is_mountpoint(&self) -> bool {
        self.mounts.load(Ordering::Relaxed) > 0
    }

    fn child(self: &Arc<Self>, name: &[u8], inode: Arc<dyn Inode>) -> Arc<Dentry> {
        Arc::new(Dentry {
            inode,
            name: Mutex::new(name.to_vec()),
            parent: Mutex::new(Some(self.clone())),
            children: Mutex::new(HashMap::new()),
            mounts: AtomicU32::new(0),
            dead: AtomicBool::new(false),
            referenced: AtomicBool::new(false),
        })
    }

    /// The child called `name`, from the cache or the filesystem.
    pub fn lookup(self: &Arc<Self>, name: &[u8]) -> Result<Arc<Dentry>, Errno> {
        let hit = self.children.lock().get(name).cloned();
        if let Some(d) = hit {
            // A mount point stays: its mounts hang on this very dentry.
            if d.is_mountpoint() || self.inode.revalidate_child(name, &d.inode) {
                d.touch();
                return Ok(d);
            }
            // Changed behind our back: forget it (if nobody replaced it
            // meanwhile) and ask the filesystem again.
            let mut children = self.children.lock();
            if children.get(name).is_some_and(|c| Arc::ptr_eq(c, &d)) {
                children.remove(name);
            }
        }
        let inode = self.inode.lookup(name)?;
        let mut children = self.children.lock();
        // Another thread may have raced us; keep the first.
        let mut added = false;
        let d = children
            .entry(name.to_vec())
            .or_insert_with(|| {
                added = true;
                self.child(name, inode)
            })
            .clone();
        drop(children);
        if added {
            super::dcache::cached(&d);
        } else {
            d.touch();
        }
        Ok(d)
    }

    /// A cache hit: the next sweep passes over it once more.
    fn touch(&self) {
        // Load first: no cache-line write on the hot path when set already.
        if !self.referenced.load(Ordering::Relaxed) {
            self.referenced.store(true, Ordering::Relaxed);
        }
    }

    /// Clear the referenced bit, saying whether it was set.
    pub(super) fn take_referenced(&self) -> bool {
        self.referenced.load(Ordering::Relaxed) && self.referenced.swap(false, Ordering::Relaxed)
    }

    /// Take `self` out of its parent's map if nothing but the map (and the
    /// caller's reference, given up here) holds it and no mount sits on it.
    /// Checked and removed under the parent's `children` lock, which every
    /// lookup takes to clone an entry: a concurrent lookup either holds its
    /// reference already (so the count says used) or misses and asks the
    /// filesystem afresh. The caller drops the result outside its own locks.
    pub(super) fn evict(self: Arc<Self>) -> Result<super::dcache::Evicted, Busy> {
        let Some(parent) = self.parent() else {
            return Err(Busy::NotCached); // a root is never in a map
        };
        let name = {
            let mut children = parent.children.lock();
            let name = self.name();
            if !children.get(&name).is_some_and(|c| Arc::ptr_eq(c, &self)) {
                return Err(Busy::NotCached);
            }
            // The map's reference and ours. Children hold their parent,
            // mounts their mountpoint, files, cwds and walks their path.
            if Arc::strong_count(&self) != 2 || self.is_mountpoint() {
                return Err(Busy::Used);
            }
            children.remove(&name);
            name
        };
        Ok(super::dcache::Evicted {
            dentry: self,
            parent,
            name,
        })
    }

    /// A child that is not in the directory (an O_TMPFILE file): it has a
    /// parent, for paths, but no entry, and reads as removed until linkat
    /// gives its inode a real name (which makes a new dentry).
    pub fn new_unnamed(self: &Arc<Self>, name: &[u8], inode: Arc<dyn Inode>) -> Arc<Dentry> {
        let d = self.child(name, inode);
        d.dead.store(true, Ordering::Relaxed);
        d
    }

    /// Only the cached child, if any.
    pub fn cached(&self, name: &[u8]) -> Option<Arc<Dentry>> {
        self.children.lock().get(name).cloned()
    }

    /// Record a child just created through this directory's inode.
    pub fn add_child(self: &Arc<Self>, name: &[u8], inode: Arc<dyn Inode>) -> Arc<Dentry> {
        let d = self.child(name, inode);
        let old = self.children.lock().insert(name.to_vec(), d.clone());
        if let Some(old) = old {
            old.dead.store(true, Ordering::Relaxed);
        }
        super::dcache::cached(&d);
        d
    }

    /// Forget a child that was removed.
    pub fn remove_child(&self, name: &[u8]) {
        if let Some(old) = self.children.lock().remove(name) {
            old.dead.store(true, Ordering::Relaxed);
        }
    }

    /// Drop a cached child without marking it dead (the filesystem may
    /// still have it; the next lookup asks again).
    pub fn invalidate_child(&self, name: &[u8]) {
        self.children.lock().remove(name);
    }

    /// Move the cached child `old` of `self` to `new` in `new_parent`.
    pub fn move_child(self: &Arc<Self>, old: &[u8], new_parent: &Arc<Dentry>, new: &[u8]) {
        let moved = self.children.lock().remove(old);
        if let Some(victim) = new_parent.children.lock().remove(new) {
            victim.dead.store(true, Ordering::Relaxed);
        }
        if let Some(d) = moved {
            *d.name.lock() = new.to_vec();
            *d.parent.lock() = Some(new_parent.clone());
            new_parent.children.lock().insert(new.to_vec(), d.clone());
            // A sweep may have dropped its queue entry while it was out.
            super::dcache::cached(&d);
        }
    }

    /// Swap two cached children (RENAME_EXCHANGE).
    pub fn exchange_child(self: &Arc<Self>, a: &[u8], other: &Arc<Dentry>, b: &[u8]) {
        let da = self.children.lock().remove(a);
        let db = other.children.lock().remove(b);
        if let Some(d) = da {
            *d.name.lock() = b.to_vec();
            *d.parent.lock() = Some(other.clone());
            other.children.lock().insert(b.to_vec(), d.clone());
            super::dcache::cached(&d);
        }
        if let Some(d) = db {
            *d.name.lock() = a.to_vec();
            *d.parent.lock() = Some(self.clone());
            self.children.lock().insert(a.to_vec(), d.clone());
            super::dcache::cached(&d);
        }
    }

    /// Whether `self` is `other` or below it.
    pub fn is_descendant_of(self: &Arc<Self>, other: &Arc<Dentry>) -> bool {
        let mut cur = Some(self.clone());
        while let Some(d) = cur {
            if Arc::ptr_eq(&d, other) {
                return true;
            }
            cur = d.parent();
        }
        false
    }
}
