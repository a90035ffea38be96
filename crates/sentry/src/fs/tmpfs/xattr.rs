//! Extended attributes of tmpfs nodes: every namespace the VFS lets
//! through, stored per inode. Each attribute is charged against its
//! instance's space (Linux's `free_ispace`), so an application cannot fill
//! the Sentry's heap with them: ENOSPC when it runs out.

use abi::Errno;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// What one attribute costs besides its name and value (Linux's
/// `simple_xattr_space` counts its bookkeeping too).
const OVERHEAD: u64 = 48;

fn cost(name: &[u8], value: &[u8]) -> u64 {
    OVERHEAD + name.len() as u64 + 1 + value.len() as u64
}

fn take(space: &AtomicU64, n: u64) -> Result<(), Errno> {
    space
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
            left.checked_sub(n)
        })
        .map(|_| ())
        .map_err(|_| Errno::ENOSPC)
}

fn give_back(space: &AtomicU64, n: u64) {
    space.fetch_add(n, Ordering::Relaxed);
}

/// One inode's attributes, by whole name ("user.x").
#[derive(Default)]
pub(super) struct Xattrs {
    map: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl Xattrs {
    pub(super) fn get(&self, name: &[u8]) -> Result<Vec<u8>, Errno> {
        self.map.get(name).cloned().ok_or(Errno::ENODATA)
    }

    pub(super) fn set(
        &mut self,
        space: &AtomicU64,
        name: &[u8],
        value: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        use crate::vfs::inode::{XATTR_CREATE, XATTR_REPLACE};
        let old = self.map.get(name);
        if old.is_some() && flags & XATTR_CREATE != 0 {
            return Err(Errno::EEXIST);
        }
        if old.is_none() && flags & XATTR_REPLACE != 0 {
            return Err(Errno::ENODATA);
        }
        take(space, cost(name, value))?;
        if let Some(old) = self.map.insert(name.to_vec(), value.to_vec()) {
            give_back(space, cost(name, &old));
        }
        Ok(())
    }

    pub(super) fn remove(&mut self, space: &AtomicU64, name: &[u8]) -> Result<(), Errno> {
        let old = self.map.remove(name).ok_or(Errno::ENODATA)?;
        give_back(space, cost(name, &old));
        Ok(())
    }

    /// Names in byte order.
    pub(super) fn names(&self) -> Vec<Vec<u8>> {
        self.map.keys().cloned().collect()
    }

    /// Give back the space of every attribute (the inode is going away).
    pub(super) fn release(&mut self, space: &AtomicU64) {
        for (name, value) in std::mem::take(&mut self.map) {
            give_back(space, cost(&name, &value));
        }
    }
}
