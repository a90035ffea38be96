//! Directory-changing operations in VFS terms: mkdir, mknod, symlink, link,
//! unlink, rmdir, rename. Permission, mount and name checks live here;
//! filesystems only do the change.

use super::inode::{FileType, NewNode, Owner, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT};
use super::path::{Parent, Path, Walk};
use super::perm::{self, MAY_EXEC, MAY_WRITE};
use abi::Errno;
use std::sync::Arc;

/// The parent must be a writable directory on a writable mount.
fn may_modify_dir(w: &Walk, dir: &Path) -> Result<(), Errno> {
    let a = dir.dentry.inode.attr()?;
    if !a.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    perm::check(&a, w.creds, MAY_WRITE | MAY_EXEC)?;
    if dir.mount.read_only() {
        return Err(Errno::EROFS);
    }
    Ok(())
}

fn special_name(n: &[u8]) -> bool {
    n.is_empty() || n == b"." || n == b".."
}

/// Create `node` at `path` (mkdir, mknod, symlink, and creat's creation step).
pub fn create(
    w: &mut Walk,
    start: &Path,
    path: &[u8],
    node: NewNode,
    owner: Owner,
) -> Result<Path, Errno> {
    let p: Parent = w.walk_parent(start, path)?;
    if special_name(&p.name) {
        return Err(Errno::EEXIST);
    }
    if p.trailing_slash && !matches!(node, NewNode::Dir { .. }) {
        // "mknod x/" or "symlink t x/": the name must not exist, and cannot be a non-directory.
        return match p.dir.dentry.lookup(&p.name) {
            Ok(_) => Err(Errno::EEXIST),
            Err(Errno::ENOENT) => Err(Errno::ENOENT),
            Err(e) => Err(e),
        };
    }
    match p.dir.dentry.lookup(&p.name) {
        Ok(_) => return Err(Errno::EEXIST),
        Err(Errno::ENOENT) => {}
        Err(e) => return Err(e),
    }
    may_modify_dir(w, &p.dir)?;
    if p.dir.dentry.is_dead() {
        return Err(Errno::ENOENT);
    }
    let inode = p.dir.dentry.inode.create(&p.name, &node, owner)?;
    let d = p.dir.dentry.add_child(&p.name, inode);
    // inotify hook: IN_CREATE in the parent.
    crate::fs::inotify::created(&p.dir.dentry, &p.name, matches!(node, NewNode::Dir { .. }));
    Ok(Path {
        mount: p.dir.mount.clone(),
        dentry: d,
    })
}

/// link(2)/linkat(2): `old` (already resolved) gets a new name `path`.
pub fn link(w: &mut Walk, old: &Path, start: &Path, path: &[u8]) -> Result<(), Errno> {
    let a = old.dentry.inode.attr()?;
    if a.is_dir() {
        return Err(Errno::EPERM);
    }
    let p = w.walk_parent(start, path)?;
    if special_name(&p.name) {
        return Err(Errno::EEXIST);
    }
    match p.dir.dentry.lookup(&p.name) {
        Ok(_) => return Err(Errno::EEXIST),
        Err(Errno::ENOENT) => {}
        Err(e) => return Err(e),
    }
    if p.trailing_slash {
        return Err(Errno::ENOENT);
    }
    if !Arc::ptr_eq(&p.dir.mount, &old.mount) {
        return Err(Errno::EXDEV);
    }
    may_modify_dir(w, &p.dir)?;
    p.dir.dentry.inode.link(&p.name, &old.dentry.inode)?;
    p.dir.dentry.add_child(&p.name, old.dentry.inode.clone());
    // inotify hook: IN_ATTRIB on the inode, IN_CREATE in the parent.
    crate::fs::inotify::linked(old.dentry.inode.as_ref(), &p.dir.dentry, &p.name);
    Ok(())
}

/// unlink(2) (`dir == false`) and rmdir(2) (`dir == true`).
pub fn remove(w: &mut Walk, start: &Path, path: &[u8], dir: bool) -> Result<(), Errno> {
    let p = w.walk_parent(start, path)?;
    if p.name.is_empty() {
        return Err(if dir { Errno::EBUSY } else { Errno::EISDIR });
    }
    if p.name == b"." {
        return Err(if dir { Errno::EINVAL } else { Errno::EISDIR });
    }
    if p.name == b".." {
        return Err(if dir { Errno::ENOTEMPTY } else { Errno::EISDIR });
    }
    let victim = p.dir.dentry.lookup(&p.name)?;
    let va = victim.inode.attr()?;
    if dir && !va.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if !dir && va.is_dir() {
        return Err(Errno::EISDIR);
    }
    if !dir && p.trailing_slash {
        return Err(Errno::ENOTDIR);
    }
    may_modify_dir(w, &p.dir)?;
    let da = p.dir.dentry.inode.attr()?;
    if !perm::may_delete_sticky(&da, &va, w.creds) {
        return Err(Errno::EPERM);
    }
    if victim.is_mountpoint() {
        return Err(Errno::EBUSY);
    }
    p.dir.dentry.inode.unlink(&p.name, dir)?;
    p.dir.dentry.remove_child(&p.name);
    // inotify hook: IN_DELETE in the parent, IN_DELETE_SELF if it was the last name.
    crate::fs::inotify::removed(&p.dir.dentry, &p.name, &victim, dir);
    Ok(())
}

/// rename(2)/renameat2(2).
pub fn rename(
    w: &mut Walk,
    old_start: &Path,
    old: &[u8],
    new_start: &Path,
    new: &[u8],
    flags: u32,
) -> Result<(), Errno> {
    if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0
        || (flags & RENAME_NOREPLACE != 0 && flags & RENAME_EXCHANGE != 0)
        || (flags & RENAME_WHITEOUT != 0 && flags & RENAME_EXCHANGE != 0)
    {
        return Err(Errno::EINVAL);
    }
    if flags & RENAME_WHITEOUT != 0 {
        return Err(Errno::EPERM);
    }
    let op = w.walk_parent(old_start, old)?;
    let np = w.walk_parent(new_start, new)?;
    if special_name(&op.name) || special_name(&np.name) {
        return Err(Errno::EBUSY);
    }
    let src = op.dir.dentry.lookup(&op.name)?;
    let sa = src.inode.attr()?;
    let target = match np.dir.dentry.lookup(&np.name) {
        Ok(d) => Some(d),
        Err(Errno::ENOENT) => None,
        Err(e) => return Err(e),
    };
    if (op.trailing_slash || np.trailing_slash) && !sa.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if !Arc::ptr_eq(&op.dir.mount, &np.dir.mount) {
        return Err(Errno::EXDEV);
    }
    if flags & RENAME_EXCHANGE != 0 && target.is_none() {
        return Err(Errno::ENOENT);
    }
    if flags & RENAME_NOREPLACE != 0 && target.is_some() {
        return Err(Errno::EEXIST);
    }
    // Same object under both names: nothing to do.
    if let Some(t) = &target {
        if Arc::ptr_eq(t, &src) || Arc::ptr_eq(&t.inode, &src.inode) {
            return Ok(());
        }
    }
    may_modify_dir(w, &op.dir)?;
    may_modify_dir(w, &np.dir)?;
    // A directory cannot move below itself.
    if sa.is_dir() && np.dir.dentry.is_descendant_of(&src) {
        return Err(Errno::EINVAL);
    }
    if let Some(t) = &target {
        let ta = t.inode.attr()?;
        if flags & RENAME_EXCHANGE != 0 {
            if ta.is_dir() && op.dir.dentry.is_descendant_of(t) {
                return Err(Errno::EINVAL);
            }
        } else {
            if sa.is_dir() && !ta.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            if !sa.is_dir() && ta.is_dir() {
                return Err(Errno::EISDIR);
            }
            // Renaming onto an ancestor of the source: the target is not empty.
            if op.dir.dentry.is_descendant_of(t) {
                return Err(Errno::ENOTEMPTY);
            }
        }
        if t.is_mountpoint() {
            return Err(Errno::EBUSY);
        }
        let nda = np.dir.dentry.inode.attr()?;
        if !perm::may_delete_sticky(&nda, &ta, w.creds) {
            return Err(Errno::EPERM);
        }
    }
    if src.is_mountpoint() {
        return Err(Errno::EBUSY);
    }
    let oda = op.dir.dentry.inode.attr()?;
    if !perm::may_delete_sticky(&oda, &sa, w.creds) {
        return Err(Errno::EPERM);
    }
    // Moving a directory to a new parent rewrites its "..": needs write permission on it.
    if sa.is_dir() && !Arc::ptr_eq(&op.dir.dentry, &np.dir.dentry) {
        perm::check(&sa, w.creds, MAY_WRITE)?;
    }
    op.dir
        .dentry
        .inode
        .rename(&op.name, &np.dir.dentry.inode, &np.name, flags)?;
    if flags & RENAME_EXCHANGE != 0 {
        op.dir
            .dentry
            .exchange_child(&op.name, &np.dir.dentry, &np.name);
    } else {
        op.dir.dentry.move_child(&op.name, &np.dir.dentry, &np.name);
    }
    // inotify hook: IN_MOVED_FROM/IN_MOVED_TO/IN_MOVE_SELF.
    crate::fs::inotify::renamed(
        &op,
        &np,
        &src,
        target.as_ref(),
        flags & RENAME_EXCHANGE != 0,
    );
    Ok(())
}

/// readlink(2) of a resolved path.
pub fn readlink(p: &Path) -> Result<Vec<u8>, Errno> {
    if p.dentry.inode.attr()?.file_type() != FileType::Symlink {
        return Err(Errno::EINVAL);
    }
    p.dentry.inode.readlink()
}
