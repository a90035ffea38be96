//! Directory operations of the overlay: merged lookup and listing, and
//! changes to entries (copying the directory up first).

use super::{Origin, OverlayInode};
use crate::vfs::inode::{
    DirEntry, FileType, Inode, NewNode, Owner, RENAME_EXCHANGE, RENAME_NOREPLACE,
};
use abi::Errno;
use parking_lot::MutexGuard;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Weak};

/// A parent directory and the name in it.
pub(super) type Placement = (Arc<OverlayInode>, Vec<u8>);

/// Proof that a directory's `dirlock` is held.
type DirGuard<'a> = MutexGuard<'a, ()>;

/// `Ok(None)` for ENOENT.
fn found(r: Result<Arc<dyn Inode>, Errno>) -> Result<Option<Arc<dyn Inode>>, Errno> {
    match r {
        Ok(i) => Ok(Some(i)),
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

impl OverlayInode {
    fn check_dir(&self) -> Result<(), Errno> {
        if !self.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if self.st.lock().dead {
            return Err(Errno::ENOENT);
        }
        Ok(())
    }

    pub(super) fn lookup_child(&self, name: &[u8]) -> Result<Arc<OverlayInode>, Errno> {
        self.check_dir()?;
        if let Some(c) = self.st.lock().children.get(name) {
            return Ok(c.clone());
        }
        let g = self.dirlock.lock();
        self.lookup_in(name, &g)
    }

    /// Take the cached child `name` out of the cache if it can be rebuilt
    /// from the layers as it is: it exists only in the lower layer (no
    /// copy-up, so nothing of it is in the upper tmpfs), remembers no
    /// whiteouts or opaqueness (`hidden`, which only a copied-up directory
    /// can have anyway), has no cached children (they would lose their
    /// parent), is not a removed directory, and nothing but this cache holds
    /// it (strong count 1: no dentry, no open file, no operation in flight)
    /// or could get it (weak count 1: only its own `me`; children and
    /// renamed objects hold their parent weakly). Its inode number is the
    /// lower one, so the rebuilt object has the same. Returns what the
    /// caller must drop after releasing our locks.
    pub(super) fn forget_unused_child(&self, name: &[u8]) -> Option<Arc<OverlayInode>> {
        let mut st = self.st.lock();
        let c = st.children.get(name)?;
        if Arc::strong_count(c) != 1 || Arc::weak_count(c) != 1 {
            return None;
        }
        // Nobody else can reach `c` (see above), so its lock is free; try_lock
        // keeps that from being a lock-order question at all.
        let rebuildable = c.st.try_lock().is_some_and(|cs| {
            cs.upper.is_none()
                && cs.lower.is_some()
                && cs.hidden.is_empty()
                && cs.children.is_empty()
                && !cs.dead
                && matches!(cs.origin, Origin::Child { .. })
        });
        if !rebuildable {
            return None;
        }
        st.children.remove(name)
    }

    /// Whether `name` is in this directory's child cache.
    #[cfg(test)]
    pub(crate) fn has_cached_child(&self, name: &[u8]) -> bool {
        self.st.lock().children.contains_key(name)
    }

    /// The merged child `name`, from the cache or the layers; caller holds our dirlock.
    fn lookup_in(&self, name: &[u8], _g: &DirGuard) -> Result<Arc<OverlayInode>, Errno> {
        let (upper, lower, hidden) = {
            let st = self.st.lock();
            if st.dead {
                return Err(Errno::ENOENT);
            }
            if let Some(c) = st.children.get(name) {
                return Ok(c.clone());
            }
            (st.upper.clone(), st.lower.clone(), st.hidden.contains(name))
        };
        let u = match &upper {
            Some(d) => found(d.lookup(name))?,
            None => None,
        };
        let ua = match &u {
            Some(u) => Some(u.attr()?),
            None => None,
        };
        // An upper non-directory hides whatever the lower has; an upper
        // directory merges with a lower directory of the same name.
        let look_lower = !hidden && ua.as_ref().is_none_or(|a| a.is_dir());
        let l = match &lower {
            Some(d) if look_lower => found(d.lookup(name))?,
            _ => None,
        };
        let la = match &l {
            Some(l) => Some(l.attr()?),
            None => None,
        };
        let origin = Origin::Child {
            parent: self.me.clone(),
            name: name.to_vec(),
        };
        let child = match (u, ua, l, la) {
            (Some(u), Some(ua), Some(l), Some(la)) if ua.is_dir() && la.is_dir() => {
                let ino = self.fs.lower_ino(la.dev, la.ino);
                OverlayInode::new(
                    self.fs.clone(),
                    ino,
                    FileType::Directory,
                    Some(u),
                    Some(l),
                    origin,
                )
            }
            (Some(u), Some(ua), _, _) => OverlayInode::new(
                self.fs.clone(),
                self.fs.upper_ino(ua.ino),
                ua.file_type(),
                Some(u),
                None,
                origin,
            ),
            (None, _, Some(l), Some(la)) => {
                let ino = self.fs.lower_ino(la.dev, la.ino);
                OverlayInode::new(self.fs.clone(), ino, la.file_type(), None, Some(l), origin)
            }
            _ => return Err(Errno::ENOENT),
        };
        self.st.lock().children.insert(name.to_vec(), child.clone());
        Ok(child)
    }

    /// Upper entries, then lower entries not shadowed or hidden.
    pub(super) fn merged_readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        if !self.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let (upper, lower, dead) = {
            let st = self.st.lock();
            (st.upper.clone(), st.lower.clone(), st.dead)
        };
        if dead {
            return Ok(Vec::new());
        }
        let upper_ents = match &upper {
            Some(u) => u.readdir()?,
            None => Vec::new(),
        };
        let (dev, lower_ents) = match &lower {
            Some(l) => (l.attr()?.dev, l.readdir()?),
            None => (0, Vec::new()),
        };
        let st = self.st.lock();
        let lower_by_name: HashMap<&[u8], &DirEntry> = lower_ents
            .iter()
            .filter(|e| !st.hidden.contains(&e.name))
            .map(|e| (e.name.as_slice(), e))
            .collect();
        let mut out = Vec::with_capacity(upper_ents.len() + lower_by_name.len());
        let mut shown: HashSet<Vec<u8>> = HashSet::new();
        // Each entry reports the number stat gives its object: the cached
        // object's (a copied-up file keeps its lower number), else the lower
        // one for a directory that merges, else its own layer's.
        for mut e in upper_ents {
            e.ino = match (
                st.children.get(&e.name),
                lower_by_name.get(e.name.as_slice()),
            ) {
                (Some(c), _) => c.ino,
                (None, Some(l))
                    if e.kind == FileType::Directory && l.kind == FileType::Directory =>
                {
                    self.fs.lower_ino(dev, l.ino)
                }
                _ => self.fs.upper_ino(e.ino),
            };
            shown.insert(e.name.clone());
            out.push(e);
        }
        for e in lower_ents {
            if shown.contains(&e.name) || st.hidden.contains(&e.name) {
                continue;
            }
            let ino = match st.children.get(&e.name) {
                Some(c) => c.ino,
                None => self.fs.lower_ino(dev, e.ino),
            };
            out.push(DirEntry { ino, ..e });
        }
        Ok(out)
    }

    /// Whether the lower directory has `name` (so removing it needs a whiteout).
    fn lower_has(&self, name: &[u8]) -> bool {
        let (lower, hidden) = {
            let st = self.st.lock();
            (st.lower.clone(), st.hidden.contains(name))
        };
        match lower {
            _ if hidden => true,
            None => false,
            // When unsure, hide: a needless whiteout is harmless.
            Some(l) => !matches!(l.lookup(name), Err(Errno::ENOENT)),
        }
    }

    /// Record that `name` was removed or replaced by an upper-only object.
    fn whiteout(&self, name: &[u8]) {
        if self.lower_has(name) {
            self.st.lock().hidden.insert(name.to_vec());
        }
    }

    /// Whether the merged directory has no entries.
    fn is_empty_dir(&self) -> Result<bool, Errno> {
        Ok(self.merged_readdir()?.is_empty())
    }

    pub(super) fn create_child(
        &self,
        name: &[u8],
        node: &NewNode,
        owner: Owner,
    ) -> Result<Arc<OverlayInode>, Errno> {
        let ns = self.lock_ns();
        self.check_dir()?;
        let g = self.dirlock.lock();
        match self.lookup_in(name, &g) {
            Ok(_) => return Err(Errno::EEXIST),
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        let upper_dir = self.copy_up(&ns, None)?;
        let u = upper_dir.create(name, node, owner)?;
        let ua = u.attr()?;
        // Any lower entry of this name is hidden already (else lookup would
        // have found it), so a new directory here is opaque.
        let origin = Origin::Child {
            parent: self.me.clone(),
            name: name.to_vec(),
        };
        let child = OverlayInode::new(
            self.fs.clone(),
            self.fs.upper_ino(ua.ino),
            ua.file_type(),
            Some(u),
            None,
            origin,
        );
        self.st.lock().children.insert(name.to_vec(), child.clone());
        Ok(child)
    }

    /// O_TMPFILE here: an unnamed file in the upper layer (this directory
    /// is copied up to hold it), outside the tree until linkat names it.
    pub(super) fn tmpfile_child(
        &self,
        mode: u32,
        owner: Owner,
        linkable: bool,
    ) -> Result<Arc<OverlayInode>, Errno> {
        let ns = self.lock_ns();
        self.check_dir()?;
        let upper_dir = self.copy_up(&ns, None)?;
        let u = upper_dir.create_tmpfile(mode, owner, linkable)?;
        let ua = u.attr()?;
        Ok(OverlayInode::new(
            self.fs.clone(),
            self.fs.upper_ino(ua.ino),
            FileType::Regular,
            Some(u),
            None,
            Origin::Unlinked,
        ))
    }

    pub(super) fn link_child(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        let t = match target.as_any().downcast_ref::<OverlayInode>() {
            Some(t) if Arc::ptr_eq(&t.fs, &self.fs) => t.me.upgrade().ok_or(Errno::ENOENT)?,
            _ => return Err(Errno::EXDEV),
        };
        if t.is_dir() {
            return Err(Errno::EPERM);
        }
        let ns = self.lock_ns();
        self.check_dir()?;
        let g = self.dirlock.lock();
        match self.lookup_in(name, &g) {
            Ok(_) => return Err(Errno::EEXIST),
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        let tu = t.copy_up(&ns, None)?;
        let upper_dir = self.copy_up(&ns, None)?;
        upper_dir.link(name, &tu)?;
        // Both names show the same object, as with any hard link.
        self.st.lock().children.insert(name.to_vec(), t);
        Ok(())
    }

    pub(super) fn unlink_child(&self, name: &[u8], dir: bool) -> Result<(), Errno> {
        let ns = self.lock_ns();
        self.check_dir()?;
        let g = self.dirlock.lock();
        let child = self.lookup_in(name, &g)?;
        match (dir, child.is_dir()) {
            (true, false) => return Err(Errno::ENOTDIR),
            (false, true) => return Err(Errno::EISDIR),
            (true, true) if !child.is_empty_dir()? => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        let upper_dir = self.copy_up(&ns, None)?;
        if child.upper().is_some() {
            upper_dir.unlink(name, dir)?;
        }
        self.whiteout(name);
        self.st.lock().children.remove(name);
        child.detach();
        Ok(())
    }

    /// `self` left the tree (removed or replaced).
    fn detach(&self) {
        let mut st = self.st.lock();
        st.origin = Origin::Unlinked;
        if self.is_dir() {
            st.dead = true;
            st.children.clear();
        }
    }

    pub(super) fn rename_child(
        &self,
        old: &[u8],
        new_dir: &Arc<dyn Inode>,
        new: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE) != 0
            || flags == RENAME_NOREPLACE | RENAME_EXCHANGE
        {
            return Err(Errno::EINVAL);
        }
        let exchange = flags & RENAME_EXCHANGE != 0;
        let q = match new_dir.as_any().downcast_ref::<OverlayInode>() {
            Some(q) if Arc::ptr_eq(&q.fs, &self.fs) => q,
            _ => return Err(Errno::EXDEV),
        };
        let same_dir = std::ptr::eq(self, q);
        let ns = self.lock_ns();
        self.check_dir()?;
        q.check_dir()?;
        // Two dirlocks only under `ns`, in address order.
        let (g1, g2) = if same_dir {
            (self.dirlock.lock(), None)
        } else if (self as *const OverlayInode) < (q as *const OverlayInode) {
            let a = self.dirlock.lock();
            (a, Some(q.dirlock.lock()))
        } else {
            let b = q.dirlock.lock();
            (self.dirlock.lock(), Some(b))
        };
        let gq = g2.as_ref().unwrap_or(&g1);
        let src = self.lookup_in(old, &g1)?;
        let dst = match q.lookup_in(new, gq) {
            Ok(d) => Some(d),
            Err(Errno::ENOENT) => None,
            Err(e) => return Err(e),
        };
        if let Some(d) = &dst {
            if Arc::ptr_eq(d, &src) {
                return Ok(()); // two names of one object: nothing to do
            }
        }
        match (&dst, exchange) {
            (None, true) => return Err(Errno::ENOENT),
            (Some(_), false) if flags & RENAME_NOREPLACE != 0 => return Err(Errno::EEXIST),
            (Some(d), false) => match (src.is_dir(), d.is_dir()) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true) if !d.is_empty_dir()? => return Err(Errno::ENOTEMPTY),
                _ => {}
            },
            _ => {}
        }
        // A directory with lower parts cannot move without redirects; Linux
        // says EXDEV and programs fall back to copying.
        let moves_lower_dir = |o: &OverlayInode| o.is_dir() && o.lower().is_some();
        if moves_lower_dir(&src) || (exchange && dst.as_deref().is_some_and(moves_lower_dir)) {
            return Err(Errno::EXDEV);
        }
        src.copy_up(&ns, None)?;
        if let (Some(d), true) = (&dst, exchange) {
            d.copy_up(&ns, None)?;
        }
        let pu = self.copy_up(&ns, None)?;
        let qu = q.copy_up(&ns, None)?;
        // A lower-only target has nothing in the upper layer to replace; the
        // whiteout below hides it.
        pu.rename(old, &qu, new, flags)?;
        // Neither name may show its lower entry any more: the objects now
        // there are upper-only (a directory among them becomes opaque).
        self.whiteout(old);
        q.whiteout(new);
        self.st.lock().children.remove(old);
        let replaced = q.st.lock().children.insert(new.to_vec(), src.clone());
        src.set_origin(&q.me, new);
        if let Some(d) = replaced {
            if exchange {
                self.st.lock().children.insert(old.to_vec(), d.clone());
                d.set_origin(&self.me, old);
            } else {
                d.detach();
            }
        }
        Ok(())
    }

    fn set_origin(&self, parent: &Weak<OverlayInode>, name: &[u8]) {
        self.st.lock().origin = Origin::Child {
            parent: parent.clone(),
            name: name.to_vec(),
        };
    }

    /// Where `self` would be copied up: its parent and name, or `None`
    /// if it was removed from the tree. The root has no origin.
    pub(super) fn origin(&self) -> Result<Option<Placement>, Errno> {
        match &self.st.lock().origin {
            Origin::Root => Err(Errno::EIO),
            Origin::Child { parent, name } => {
                Ok(Some((parent.upgrade().ok_or(Errno::ENOENT)?, name.clone())))
            }
            Origin::Unlinked => Ok(None),
        }
    }
}
