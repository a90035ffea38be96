//! Where bound Unix endpoints are found: one table per sandbox (held by
//! the `Kernel`) for the abstract namespace, keyed by socket type and name,
//! and one for filesystem names, keyed by the socket file's (device,
//! inode). bind(2) makes an S_IFSOCK node through the VFS and records its
//! identity here; connect(2) walks the path and looks the inode up, so a
//! renamed or hard-linked socket file still reaches its endpoint and a
//! stale file (its endpoint closed) answers ECONNREFUSED.
//!
//! Entries are weak: a closed endpoint is gone even if its entry stays.

use super::addr::UnixAddr;
use super::endpoint::{Endpoint, SockType};
use crate::kernel::Task;
use crate::vfs::inode::{FileType, NewNode, S_IFSOCK};
use crate::vfs::perm::{self, MAY_WRITE};
use abi::Errno;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::{Arc, Weak};

/// An abstract name: the socket type and the bytes after the NUL.
type AbstractKey = (SockType, Vec<u8>);

#[derive(Default)]
pub struct UnixNamespace {
    abstract_names: Mutex<HashMap<AbstractKey, Weak<Endpoint>>>,
    bound_inodes: Mutex<HashMap<(u64, u64), Weak<Endpoint>>>,
    next_auto: Mutex<u32>,
}

impl std::fmt::Debug for UnixNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UnixNamespace")
    }
}

fn live(w: &Weak<Endpoint>) -> Option<Arc<Endpoint>> {
    w.upgrade().filter(|e| !e.is_dead())
}

/// Drop dead entries now and then, so the tables do not grow without end.
fn prune<K: Eq + std::hash::Hash>(m: &mut HashMap<K, Weak<Endpoint>>) {
    if m.len() >= 64 && m.len().is_power_of_two() {
        m.retain(|_, w| live(w).is_some());
    }
}

impl UnixNamespace {
    /// Claim abstract `name` for `ep`; EADDRINUSE if a live endpoint has it.
    pub fn bind_abstract(&self, name: &[u8], ep: &Arc<Endpoint>) -> Result<(), Errno> {
        let mut m = self.abstract_names.lock();
        let key = (ep.ty, name.to_vec());
        if m.get(&key).and_then(live).is_some() {
            return Err(Errno::EADDRINUSE);
        }
        prune(&mut m);
        m.insert(key, Arc::downgrade(ep));
        Ok(())
    }

    /// Autobind: a free abstract name of five hex digits, as Linux picks.
    pub fn autobind(&self, ep: &Arc<Endpoint>) -> Result<UnixAddr, Errno> {
        for _ in 0..0x100000 {
            let n = {
                let mut next = self.next_auto.lock();
                *next = (*next + 1) & 0xfffff;
                *next
            };
            let name = format!("{n:05x}").into_bytes();
            if self.bind_abstract(&name, ep).is_ok() {
                return Ok(UnixAddr::Abstract(name));
            }
        }
        Err(Errno::ENOSPC)
    }

    /// Forget abstract `name` if it still belongs to `ep`.
    pub fn unbind_abstract(&self, ty: SockType, name: &[u8], ep: &Endpoint) {
        let mut m = self.abstract_names.lock();
        let key = (ty, name.to_vec());
        if m.get(&key)
            .is_some_and(|w| std::ptr::eq(w.as_ptr(), ep as *const Endpoint))
        {
            m.remove(&key);
        }
    }

    fn bind_inode(&self, key: (u64, u64), ep: &Arc<Endpoint>) {
        let mut m = self.bound_inodes.lock();
        prune(&mut m);
        m.insert(key, Arc::downgrade(ep));
    }

    /// bind(2) to a filesystem name: make the socket file (EADDRINUSE if
    /// the name exists) and record its inode.
    pub fn bind_path(&self, t: &Task, path: &[u8], ep: &Arc<Endpoint>) -> Result<(), Errno> {
        let mode = S_IFSOCK | (0o777 & !t.umask());
        let start = t.start_dir(libc::AT_FDCWD, path)?;
        let owner = t.owner();
        let node = NewNode::Node { mode, rdev: 0 };
        let created = t
            .with_walk(|w| crate::vfs::namei::create(w, &start, path, node, owner))
            .map_err(|e| {
                if e == Errno::EEXIST {
                    Errno::EADDRINUSE
                } else {
                    e
                }
            })?;
        let a = created.dentry.inode.attr()?;
        self.bind_inode((a.dev, a.ino), ep);
        Ok(())
    }

    /// The endpoint `addr` names, for a socket of type `ty`: ENOENT and the
    /// other walk errors for a missing path, ECONNREFUSED for a file that
    /// is not a socket, a stale socket file or an unknown abstract name,
    /// EPROTOTYPE for a socket file of another type.
    pub fn lookup(&self, t: &Task, addr: &UnixAddr, ty: SockType) -> Result<Arc<Endpoint>, Errno> {
        match addr {
            UnixAddr::Abstract(name) => self
                .abstract_names
                .lock()
                .get(&(ty, name.clone()))
                .and_then(live)
                .ok_or(Errno::ECONNREFUSED),
            UnixAddr::Path(path) => {
                let start = t.start_dir(libc::AT_FDCWD, path)?;
                let p = t.with_walk(|w| w.walk(&start, path, true))?;
                let a = p.dentry.inode.attr()?;
                perm::check(&a, &t.creds, MAY_WRITE)?;
                if a.file_type() != FileType::Socket {
                    return Err(Errno::ECONNREFUSED);
                }
                let ep = self
                    .bound_inodes
                    .lock()
                    .get(&(a.dev, a.ino))
                    .and_then(live)
                    .ok_or(Errno::ECONNREFUSED)?;
                if ep.ty != ty {
                    return Err(Errno::EPROTOTYPE);
                }
                Ok(ep)
            }
        }
    }
}
