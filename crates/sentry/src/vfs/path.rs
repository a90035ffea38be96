//! Paths and path resolution: symlinks (at most 40 per walk), "..",
//! mount crossings, trailing slashes.

use super::dentry::Dentry;
use super::inode::{FileType, S_IFDIR, S_IFMT};
use super::mount::{Mount, MountNamespace};
use super::perm::{self, MAY_EXEC};
use crate::kernel::creds::Creds;
use abi::Errno;
use std::sync::Arc;

/// The longest name of one path component.
pub const NAME_MAX: usize = 255;
/// The longest path a syscall accepts, including the NUL.
pub const PATH_MAX: usize = 4096;
/// Symlinks followed in one walk before ELOOP.
pub const MAX_SYMLINKS: u32 = 40;

/// A location in the mount tree.
#[derive(Clone)]
pub struct Path {
    pub mount: Arc<Mount>,
    pub dentry: Arc<Dentry>,
}

impl std::fmt::Debug for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Path({:?} in {:?})", self.dentry, self.mount)
    }
}

impl Path {
    pub fn same(&self, o: &Path) -> bool {
        Arc::ptr_eq(&self.mount, &o.mount) && Arc::ptr_eq(&self.dentry, &o.dentry)
    }

    pub fn is_dir(&self) -> bool {
        self.dentry
            .inode
            .attr()
            .map(|a| a.mode & S_IFMT == S_IFDIR)
            .unwrap_or(false)
    }

    /// The absolute path as seen from `root` (for getcwd, /proc).
    pub fn to_bytes(&self, root: &Path) -> Vec<u8> {
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut cur = self.clone();
        let mut guard = 0;
        loop {
            guard += 1;
            if cur.same(root) || guard > 4096 {
                break;
            }
            if Arc::ptr_eq(&cur.dentry, &cur.mount.root) {
                match &cur.mount.parent {
                    Some((pm, pd)) => {
                        cur = Path {
                            mount: pm.clone(),
                            dentry: pd.clone(),
                        };
                        continue;
                    }
                    None => break,
                }
            }
            parts.push(cur.dentry.name());
            match cur.dentry.parent() {
                Some(p) => {
                    cur = Path {
                        mount: cur.mount.clone(),
                        dentry: p,
                    }
                }
                None => break,
            }
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

/// State of one resolution: the namespace, the caller's root and
/// credentials, and the symlink budget.
pub struct Walk<'a> {
    pub ns: &'a MountNamespace,
    pub root: &'a Path,
    pub creds: &'a Creds,
    pub links: u32,
}

/// The result of resolving all but the last component.
pub struct Parent {
    pub dir: Path,
    /// The last component ("" for "/", may be "." or "..").
    pub name: Vec<u8>,
    /// The path ended with '/'.
    pub trailing_slash: bool,
}

fn is_dir_type(p: &Path) -> Result<bool, Errno> {
    Ok(p.dentry.inode.attr()?.file_type() == FileType::Directory)
}

impl<'a> Walk<'a> {
    pub fn new(ns: &'a MountNamespace, root: &'a Path, creds: &'a Creds) -> Walk<'a> {
        Walk {
            ns,
            root,
            creds,
            links: 0,
        }
    }

    /// One step up.
    fn parent_of(&self, p: &Path) -> Path {
        let mut cur = p.clone();
        loop {
            if cur.same(self.root) {
                return cur;
            }
            if Arc::ptr_eq(&cur.dentry, &cur.mount.root) {
                match &cur.mount.parent {
                    Some((pm, pd)) => {
                        cur = Path {
                            mount: pm.clone(),
                            dentry: pd.clone(),
                        };
                        continue;
                    }
                    None => return cur,
                }
            }
            return match cur.dentry.parent() {
                Some(d) => Path {
                    mount: cur.mount.clone(),
                    dentry: d,
                },
                None => cur,
            };
        }
    }

    /// Follow mounts stacked on `p`.
    fn cross_mounts(&self, mut p: Path) -> Path {
        while let Some(m) = self.ns.mounted_on(&p.mount, &p.dentry) {
            p = Path {
                dentry: m.root.clone(),
                mount: m,
            };
        }
        p
    }

    /// The child `name` of directory `dir` (which the caller may search).
    pub fn step(&mut self, dir: &Path, name: &[u8]) -> Result<Path, Errno> {
        if name == b"." {
            return Ok(dir.clone());
        }
        if name == b".." {
            return Ok(self.parent_of(dir));
        }
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let d = dir.dentry.lookup(name)?;
        Ok(self.cross_mounts(Path {
            mount: dir.mount.clone(),
            dentry: d,
        }))
    }

    fn check_search(&self, dir: &Path) -> Result<(), Errno> {
        let a = dir.dentry.inode.attr()?;
        if !a.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        perm::check(&a, self.creds, MAY_EXEC)
    }

    /// If `p` is a symlink, where it leads (relative to `dir`, the directory holding it).
    fn follow(&mut self, dir: &Path, p: Path) -> Result<Path, Errno> {
        let a = p.dentry.inode.attr()?;
        if a.file_type() != FileType::Symlink {
            return Ok(p);
        }
        self.links += 1;
        if self.links > MAX_SYMLINKS {
            return Err(Errno::ELOOP);
        }
        if let Some(target) = p.dentry.inode.follow_link() {
            return target;
        }
        let target = p.dentry.inode.readlink()?;
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        self.walk(dir, &target, true)
    }

    /// Resolve `path` from `start`. `follow_last`: follow a final symlink.
    pub fn walk(&mut self, start: &Path, path: &[u8], follow_last: bool) -> Result<Path, Errno> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        let mut cur = if path[0] == b'/' {
            self.root.clone()
        } else {
            start.clone()
        };
        let trailing = path.ends_with(b"/");
        let comps: Vec<&[u8]> = path
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty())
            .collect();
        let n = comps.len();
        for (i, comp) in comps.into_iter().enumerate() {
            let last = i + 1 == n;
            self.check_search(&cur)?;
            let next = self.step(&cur, comp)?;
            cur = if !last || follow_last || trailing {
                self.follow(&cur, next)?
            } else {
                next
            };
        }
        if trailing && !is_dir_type(&cur)? {
            return Err(Errno::ENOTDIR);
        }
        Ok(cur)
    }

    /// Resolve all but the last component of `path`.
    pub fn walk_parent(&mut self, start: &Path, path: &[u8]) -> Result<Parent, Errno> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        let trimmed_len = path
            .iter()
            .rposition(|&b| b != b'/')
            .map(|i| i + 1)
            .unwrap_or(0);
        if trimmed_len == 0 {
            // "/" or "///": the root itself.
            return Ok(Parent {
                dir: self.root.clone(),
                name: Vec::new(),
                trailing_slash: true,
            });
        }
        let trimmed = &path[..trimmed_len];
        let trailing_slash = trimmed_len < path.len();
        let (dir_part, name) = match trimmed.iter().rposition(|&b| b == b'/') {
            Some(i) => (&trimmed[..i + 1], &trimmed[i + 1..]),
            None => (&b""[..], trimmed),
        };
        let dir = if dir_part.is_empty() {
            start.clone()
        } else {
            self.walk(start, dir_part, true)?
        };
        self.check_search(&dir)?;
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        Ok(Parent {
            dir,
            name: name.to_vec(),
            trailing_slash,
        })
    }
}
