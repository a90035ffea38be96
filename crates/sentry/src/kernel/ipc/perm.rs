//! What the three System V IPC families share: permissions (`ipc_perm`,
//! checked as Linux's `ipcperms`), and the id table each family keeps
//! (keys, ids built from an index and a sequence number, the
//! get-or-create rules of shmget/semget/msgget).

use crate::kernel::creds::{Creds, CAP_SYS_ADMIN};
use abi::ipc::{Ipc64Perm, IPCMNI_SEQ_MULTIPLIER, IPC_CREAT, IPC_EXCL, IPC_PRIVATE};
use abi::Errno;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bypasses IPC permission checks.
pub const CAP_IPC_OWNER: u32 = 15;
/// Allows SHM_LOCK of any segment.
pub const CAP_IPC_LOCK: u32 = 14;

/// Highest index + 1 (Linux's IPCMNI without ipcmni_extend).
const IPCMNI: i32 = IPCMNI_SEQ_MULTIPLIER;
/// Sequence numbers wrap after this (INT_MAX >> 15).
const SEQ_MAX: i32 = i32::MAX / IPCMNI_SEQ_MULTIPLIER;

/// Tells objects apart across id reuse (a waiter whose object was removed
/// and replaced must see EIDRM, not the new one).
static SERIAL: AtomicU64 = AtomicU64::new(1);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Perm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    /// Permission bits and the family's state bits (SHM_DEST...).
    pub mode: u32,
    pub seq: u16,
}

impl Perm {
    pub fn to_abi(&self) -> Ipc64Perm {
        Ipc64Perm {
            key: self.key,
            uid: self.uid,
            gid: self.gid,
            cuid: self.cuid,
            cgid: self.cgid,
            mode: self.mode,
            seq: self.seq,
            ..Default::default()
        }
    }

    /// Linux's `ipcperms`: `flag` holds the requested bits in any of the
    /// three positions (S_IRUGO, S_IWUGO, or a get call's mode).
    pub fn check(&self, c: &Creds, flag: u32) -> Result<(), Errno> {
        let requested = (flag >> 6) | (flag >> 3) | flag;
        let mut granted = self.mode;
        if c.euid == self.cuid || c.euid == self.uid {
            granted >>= 6;
        } else if c.in_group(self.cgid) || c.in_group(self.gid) {
            granted >>= 3;
        }
        if requested & !granted & 0o7 != 0 && !c.has_cap(CAP_IPC_OWNER) {
            return Err(Errno::EACCES);
        }
        Ok(())
    }

    /// IPC_SET and IPC_RMID: the owner, the creator, or CAP_SYS_ADMIN.
    pub fn check_owner(&self, c: &Creds) -> Result<(), Errno> {
        if c.euid == self.uid || c.euid == self.cuid || c.has_cap(CAP_SYS_ADMIN) {
            Ok(())
        } else {
            Err(Errno::EPERM)
        }
    }

    /// IPC_SET's `ipc_update_perm`: owner and permission bits.
    pub fn update(&mut self, p: &Ipc64Perm) -> Result<(), Errno> {
        if p.uid == u32::MAX || p.gid == u32::MAX {
            return Err(Errno::EINVAL);
        }
        self.uid = p.uid;
        self.gid = p.gid;
        self.mode = (self.mode & !0o777) | (p.mode & 0o777);
        Ok(())
    }
}

/// One object of a family's table.
#[derive(Debug)]
pub struct Obj<T> {
    pub id: i32,
    pub serial: u64,
    pub perm: Perm,
    pub data: T,
}

/// A family's objects by index.
#[derive(Debug)]
pub struct Table<T> {
    objs: BTreeMap<i32, Obj<T>>,
    /// Most objects the table holds (SHMMNI, SEMMNI, MSGMNI).
    limit: usize,
    seq: i32,
    last_idx: i32,
}

/// How get calls ask for an object.
#[derive(Clone, Copy, Debug)]
pub struct GetArgs {
    pub key: i32,
    pub flags: u32,
}

impl<T> Table<T> {
    pub fn new(limit: usize) -> Table<T> {
        Table {
            objs: BTreeMap::new(),
            limit,
            seq: 0,
            last_idx: -1,
        }
    }

    pub fn len(&self) -> usize {
        self.objs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objs.is_empty()
    }

    /// The highest index in use, -1 when empty (what the INFO commands return).
    pub fn max_idx(&self) -> i32 {
        self.objs.keys().next_back().copied().unwrap_or(-1)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Obj<T>> {
        self.objs.values()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Obj<T>> {
        self.objs.values_mut()
    }

    /// The object with id `id` (EINVAL when there is none, or the index
    /// holds a newer object).
    pub fn get(&self, id: i32) -> Result<&Obj<T>, Errno> {
        if id < 0 {
            return Err(Errno::EINVAL);
        }
        self.objs
            .get(&(id % IPCMNI))
            .filter(|o| o.id == id)
            .ok_or(Errno::EINVAL)
    }

    pub fn get_mut(&mut self, id: i32) -> Result<&mut Obj<T>, Errno> {
        if id < 0 {
            return Err(Errno::EINVAL);
        }
        self.objs
            .get_mut(&(id % IPCMNI))
            .filter(|o| o.id == id)
            .ok_or(Errno::EINVAL)
    }

    /// The object at index `idx` (the *_STAT commands; as Linux, an id
    /// works too: only its index part counts).
    pub fn by_index(&self, idx: i32) -> Result<&Obj<T>, Errno> {
        if idx < 0 {
            return Err(Errno::EINVAL);
        }
        self.objs.get(&(idx % IPCMNI)).ok_or(Errno::EINVAL)
    }

    /// The object `id` refers to if it is still the one with `serial`.
    pub fn get_serial_mut(&mut self, id: i32, serial: u64) -> Option<&mut Obj<T>> {
        self.get_mut(id).ok().filter(|o| o.serial == serial)
    }

    pub fn remove(&mut self, id: i32) -> Option<Obj<T>> {
        self.get(id).ok()?;
        self.objs.remove(&(id % IPCMNI))
    }

    /// IPC_RMID by `c`: the object, removed if `c` may (owner, creator or
    /// CAP_SYS_ADMIN). The caller wakes its waiters once the lock is dropped.
    pub fn remove_as_owner(&mut self, id: i32, c: &Creds) -> Result<Obj<T>, Errno> {
        self.get(id)?.perm.check_owner(c)?;
        self.remove(id).ok_or(Errno::EINVAL)
    }

    /// Make `id` unreachable by key (IPC_RMID of an attached segment).
    pub fn set_private(&mut self, id: i32) {
        if let Ok(o) = self.get_mut(id) {
            o.perm.key = IPC_PRIVATE;
        }
    }

    fn find_key(&mut self, key: i32) -> Option<&mut Obj<T>> {
        self.objs.values_mut().find(|o| o.perm.key == key)
    }

    /// Add an object; ENOSPC when the table is full.
    pub fn insert(&mut self, key: i32, mode: u32, c: &Creds, data: T) -> Result<i32, Errno> {
        if self.objs.len() >= self.limit {
            return Err(Errno::ENOSPC);
        }
        // Cyclic allocation, as Linux: the sequence number moves on when
        // the index wraps, so a just-freed id is not handed out again.
        let free_from = |from: i32| (from..IPCMNI).find(|i| !self.objs.contains_key(i));
        let idx = match free_from(self.last_idx + 1) {
            Some(i) => i,
            None => free_from(0).ok_or(Errno::ENOSPC)?,
        };
        if idx <= self.last_idx {
            self.seq = if self.seq + 1 > SEQ_MAX {
                0
            } else {
                self.seq + 1
            };
        }
        self.last_idx = idx;
        let id = self.seq * IPCMNI_SEQ_MULTIPLIER + idx;
        let perm = Perm {
            key,
            uid: c.euid,
            gid: c.egid,
            cuid: c.euid,
            cgid: c.egid,
            mode: mode & 0o777,
            seq: self.seq as u16,
        };
        self.objs.insert(
            idx,
            Obj {
                id,
                serial: SERIAL.fetch_add(1, Ordering::Relaxed),
                perm,
                data,
            },
        );
        Ok(id)
    }

    /// Linux's `ipcget`: IPC_PRIVATE always creates; a key finds its
    /// object (EEXIST under IPC_CREAT|IPC_EXCL, then `more_checks`, then
    /// permissions) or creates one under IPC_CREAT (ENOENT otherwise).
    pub fn get_or_create(
        &mut self,
        a: GetArgs,
        c: &Creds,
        more_checks: impl FnOnce(&T) -> Result<(), Errno>,
        create: impl FnOnce() -> Result<T, Errno>,
    ) -> Result<i32, Errno> {
        if a.key != IPC_PRIVATE {
            if let Some(o) = self.find_key(a.key) {
                if a.flags & IPC_CREAT != 0 && a.flags & IPC_EXCL != 0 {
                    return Err(Errno::EEXIST);
                }
                more_checks(&o.data)?;
                o.perm.check(c, a.flags)?;
                return Ok(o.id);
            }
            if a.flags & IPC_CREAT == 0 {
                return Err(Errno::ENOENT);
            }
        }
        if self.objs.len() >= self.limit {
            return Err(Errno::ENOSPC);
        }
        let data = create()?;
        self.insert(a.key, a.flags, c, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(uid: u32) -> Creds {
        Creds::new(uid, uid)
    }

    #[test]
    fn get_or_create_follows_linux() {
        let mut t: Table<u32> = Table::new(4);
        let root = user(0);
        let get = |key, flags| GetArgs { key, flags };
        assert_eq!(
            t.get_or_create(get(5, 0o600), &root, |_| Ok(()), || Ok(1)),
            Err(Errno::ENOENT)
        );
        let id = t
            .get_or_create(get(5, IPC_CREAT | 0o600), &root, |_| Ok(()), || Ok(1))
            .unwrap();
        assert_eq!(
            t.get_or_create(get(5, 0), &root, |_| Ok(()), || Ok(2)),
            Ok(id)
        );
        assert_eq!(
            t.get_or_create(get(5, IPC_CREAT | IPC_EXCL), &root, |_| Ok(()), || Ok(2)),
            Err(Errno::EEXIST)
        );
        assert_eq!(
            t.get_or_create(get(5, 0), &root, |_| Err(Errno::EINVAL), || Ok(2)),
            Err(Errno::EINVAL)
        );
        // Another user asking for read access to a 0600 object.
        assert_eq!(
            t.get_or_create(get(5, 0o400), &user(1000), |_| Ok(()), || Ok(2)),
            Err(Errno::EACCES)
        );
        // Private objects are always new.
        let p = t
            .get_or_create(get(IPC_PRIVATE, 0), &root, |_| Ok(()), || Ok(3))
            .unwrap();
        assert_ne!(p, id);
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn ids_are_not_reused_at_once() {
        let mut t: Table<()> = Table::new(8);
        let root = user(0);
        let a = t.insert(0, 0o600, &root, ()).unwrap();
        t.remove(a);
        let b = t.insert(0, 0o600, &root, ()).unwrap();
        assert_ne!(a, b);
        assert_eq!(t.get(a).err(), Some(Errno::EINVAL));
        assert!(t.get(b).is_ok());
        assert_eq!(t.max_idx(), b % IPCMNI);
    }

    #[test]
    fn full_table_is_enospc() {
        let mut t: Table<()> = Table::new(2);
        let root = user(0);
        t.insert(0, 0, &root, ()).unwrap();
        t.insert(0, 0, &root, ()).unwrap();
        assert_eq!(t.insert(0, 0, &root, ()), Err(Errno::ENOSPC));
    }

    #[test]
    fn owner_group_other_bits() {
        let p = Perm {
            key: 1,
            uid: 1000,
            gid: 100,
            cuid: 1000,
            cgid: 100,
            mode: 0o640,
            seq: 0,
        };
        let owner = user(1000);
        let mut member = user(2000);
        member.groups = vec![100];
        member.fsgid = 2000;
        let other = user(3000);
        assert!(p.check(&owner, 0o600).is_ok());
        assert!(p.check(&member, 0o444).is_ok());
        assert_eq!(p.check(&member, 0o222), Err(Errno::EACCES));
        assert_eq!(p.check(&other, 0o444), Err(Errno::EACCES));
        assert!(p.check(&user(0), 0o666).is_ok());
        assert_eq!(p.check_owner(&other), Err(Errno::EPERM));
    }
}
