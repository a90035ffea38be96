//! Advisory file locks: flock(2) locks and record locks (fcntl's POSIX
//! locks and open-file-description locks). They are sandbox-wide state the
//! Sentry keeps itself; nothing is forwarded to the host (as in gVisor), so
//! they exclude processes of the sandbox from each other only.
//!
//! Locks key on a file's identity, its device and inode number as stat
//! shows them, so every open of one file meets the same locks: through
//! another mount or hard link, and before and after an overlay copy-up
//! (overlay inode numbers are stable through it). Files without
//! attributes key on their open description.
//!
//! Owners: a flock lock and an OFD lock belong to the open file
//! description (shared by dup and fork, released when its last reference
//! goes, `file_released`); a POSIX lock belongs to the fd table
//! (Linux's `current->files`) and goes when that table closes any fd of the
//! file (`posix_closed`) — including when the process exits. flock locks
//! and record locks never conflict with each other, as on Linux.
//!
//! Waiting is the caller's loop (`syscalls::flock`, `syscalls::fcntl_lock`):
//! an attempt that must wait returns a [`WaitTicket`] registered on the
//! file's wait queue under the state's lock, so no release is missed.
//!
//! Lock order: `STATE` → a wait queue's own lock. Queues are notified after
//! `STATE` is dropped.

pub mod range;

use self::range::{LockType, Owner, RecordLock, RecordLocks, OFFSET_MAX};
use super::file::File;
use crate::fs::devnum;
use crate::kernel::waiter::{WaitQueue, Waiter, EV_ALL};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Weak};

/// What locks are keyed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockKey {
    Inode {
        dev: u64,
        ino: u64,
    },
    /// A file whose attributes cannot be read: its description alone.
    Description(usize),
}

/// The key of `f`'s file, computed once per description.
pub fn key_of(f: &File) -> LockKey {
    *f.lock_key.get_or_init(|| match f.attr() {
        Ok(a) => LockKey::Inode {
            dev: a.dev,
            ino: a.ino,
        },
        Err(_) => LockKey::Description(desc_id(f)),
    })
}

/// The identity of an open description while it lives.
pub fn desc_id(f: &File) -> usize {
    f as *const File as usize
}

/// Why a lock was not taken now.
pub enum LockError {
    /// A conflicting lock is held and the caller does not wait (EAGAIN).
    WouldBlock,
    /// Waiting would deadlock (EDEADLK; POSIX locks only).
    Deadlock,
    /// A conflicting lock is held: block, then try again.
    Wait(WaitTicket),
}

/// A conflicting record lock, as F_GETLK reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub typ: LockType,
    pub start: i64,
    pub end: i64,
    /// The holder's pid; -1 for an OFD lock.
    pub pid: i32,
}

#[derive(Clone, Copy, Debug)]
struct FlockLock {
    desc: usize,
    typ: LockType,
    pid: i32,
}

#[derive(Default)]
struct FileLocks {
    flocks: Vec<FlockLock>,
    records: RecordLocks,
    queue: Arc<WaitQueue>,
    /// Tasks holding a ticket on `queue`: the entry stays while any does.
    waiters: usize,
}

impl FileLocks {
    fn unused(&self) -> bool {
        self.flocks.is_empty() && self.records.is_empty() && self.waiters == 0
    }

    /// The queue to notify after a release, if anyone waits.
    fn to_wake(&self) -> Option<Arc<WaitQueue>> {
        (self.waiters > 0).then(|| self.queue.clone())
    }
}

/// A POSIX owner blocked in F_SETLKW, for deadlock detection.
struct Blocked {
    ticket: u64,
    owner: usize,
    key: LockKey,
    write: bool,
    start: i64,
    end: i64,
}

struct State {
    files: BTreeMap<LockKey, FileLocks>,
    blocked: Vec<Blocked>,
    next_ticket: u64,
}

impl State {
    fn prune(&mut self, key: LockKey) {
        if self.files.get(&key).is_some_and(FileLocks::unused) {
            self.files.remove(&key);
        }
    }

    /// Register `waiter` for the file's releases.
    fn ticket(
        &mut self,
        key: LockKey,
        waiter: Weak<dyn Waiter>,
        blocked: Option<(usize, bool, i64, i64)>,
    ) -> WaitTicket {
        self.next_ticket += 1;
        let id = self.next_ticket;
        let fl = self.files.entry(key).or_default();
        fl.waiters += 1;
        let queue = fl.queue.clone();
        let reg = queue.add(waiter, EV_ALL);
        if let Some((owner, write, start, end)) = blocked {
            self.blocked.push(Blocked {
                ticket: id,
                owner,
                key,
                write,
                start,
                end,
            });
        }
        WaitTicket {
            queue,
            reg,
            key,
            id,
        }
    }

    /// Whether POSIX owner `caller`, about to wait for a lock of
    /// `blocker`, would wait forever: Linux's `posix_locks_deadlock`,
    /// following what each blocked owner waits for (at most 10 steps).
    fn deadlock(&self, caller: usize, mut blocker: Owner) -> bool {
        const MAX_DEADLK_ITERATIONS: usize = 10;
        for _ in 0..=MAX_DEADLK_ITERATIONS {
            let Owner::Posix(o) = blocker else {
                return false;
            };
            let Some(b) = self.blocked.iter().find(|b| b.owner == o) else {
                return false;
            };
            let next = self
                .files
                .get(&b.key)
                .and_then(|fl| fl.records.conflict(blocker, b.write, b.start, b.end));
            match next {
                Some(l) if l.owner == Owner::Posix(caller) => return true,
                Some(l) => blocker = l.owner,
                None => return false,
            }
        }
        false
    }
}

static STATE: Mutex<State> = Mutex::new(State {
    files: BTreeMap::new(),
    blocked: Vec::new(),
    next_ticket: 0,
});

/// A waiting task's registration: drop it once woken (or interrupted),
/// then try again.
pub struct WaitTicket {
    queue: Arc<WaitQueue>,
    reg: u64,
    key: LockKey,
    id: u64,
}

impl Drop for WaitTicket {
    fn drop(&mut self) {
        self.queue.remove(self.reg);
        let mut st = STATE.lock();
        st.blocked.retain(|b| b.ticket != self.id);
        if let Some(fl) = st.files.get_mut(&self.key) {
            fl.waiters = fl.waiters.saturating_sub(1);
        }
        st.prune(self.key);
    }
}

fn wake(q: Option<Arc<WaitQueue>>) {
    if let Some(q) = q {
        q.notify(EV_ALL);
    }
}

/// flock(2) on description `f`: `Some(typ)` locks, `None` unlocks. A lock
/// of the other type held through `f` is dropped first (Linux converts
/// non-atomically). `waiter`: who waits on a conflict (None: EWOULDBLOCK).
pub fn flock(
    f: &File,
    typ: Option<LockType>,
    pid: i32,
    waiter: Option<Weak<dyn Waiter>>,
) -> Result<(), LockError> {
    let key = key_of(f);
    let desc = desc_id(f);
    let mut st = STATE.lock();
    let fl = st.files.entry(key).or_default();
    let mut released = false;
    if let Some(i) = fl.flocks.iter().position(|l| l.desc == desc) {
        if Some(fl.flocks[i].typ) == typ {
            return Ok(());
        }
        fl.flocks.remove(i);
        released = true;
    }
    let woken = if released { fl.to_wake() } else { None };
    let result = match typ {
        None => Ok(()),
        Some(typ) => {
            let conflict = fl
                .flocks
                .iter()
                .any(|l| l.typ == LockType::Write || typ == LockType::Write);
            if !conflict {
                fl.flocks.push(FlockLock { desc, typ, pid });
                Ok(())
            } else {
                match waiter {
                    None => Err(LockError::WouldBlock),
                    Some(w) => Err(LockError::Wait(st.ticket(key, w, None))),
                }
            }
        }
    };
    st.prune(key);
    drop(st);
    wake(woken);
    result
}

/// A record-lock request: `[start, end]` of `f`'s file.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub owner: Owner,
    /// None: unlock.
    pub typ: Option<LockType>,
    pub start: i64,
    pub end: i64,
    pub pid: i32,
}

/// F_SETLK and friends: set or clear a record lock on `f`'s file.
pub fn set_record(
    f: &File,
    req: Request,
    waiter: Option<Weak<dyn Waiter>>,
) -> Result<(), LockError> {
    let key = key_of(f);
    let mut st = STATE.lock();
    let fl = st.files.entry(key).or_default();
    if let Some(typ) = req.typ {
        let write = typ == LockType::Write;
        if let Some(c) = fl.records.conflict(req.owner, write, req.start, req.end) {
            let r = match (waiter, req.owner) {
                (None, _) => Err(LockError::WouldBlock),
                (Some(_), Owner::Posix(me)) if st.deadlock(me, c.owner) => Err(LockError::Deadlock),
                (Some(w), owner) => {
                    let posix = match owner {
                        Owner::Posix(me) => Some((me, write, req.start, req.end)),
                        Owner::Ofd(_) => None,
                    };
                    Err(LockError::Wait(st.ticket(key, w, posix)))
                }
            };
            st.prune(key);
            return r;
        }
    }
    let released = fl
        .records
        .set(req.owner, req.typ, req.start, req.end, req.pid);
    let woken = if released { fl.to_wake() } else { None };
    st.prune(key);
    drop(st);
    wake(woken);
    Ok(())
}

/// F_GETLK: the first lock that would stop `owner` from taking
/// `[start, end]` (`write`: a write lock), if any.
pub fn test_record(f: &File, owner: Owner, write: bool, start: i64, end: i64) -> Option<Conflict> {
    let key = key_of(f);
    let st = STATE.lock();
    let c = st
        .files
        .get(&key)?
        .records
        .conflict(owner, write, start, end)?;
    Some(Conflict {
        typ: c.typ,
        start: c.start,
        end: c.end,
        pid: match c.owner {
            Owner::Posix(_) => c.pid,
            Owner::Ofd(_) => -1,
        },
    })
}

/// The last reference to description `f` is gone: drop its flock and OFD
/// locks (Linux's `locks_remove_file`). Only files that locked have a key.
pub fn file_released(f: &File) {
    let Some(&key) = f.lock_key.get() else {
        return;
    };
    let desc = desc_id(f);
    let mut st = STATE.lock();
    let Some(fl) = st.files.get_mut(&key) else {
        return;
    };
    let before = fl.flocks.len();
    fl.flocks.retain(|l| l.desc != desc);
    let released = fl.records.remove_owner(Owner::Ofd(desc)) | (fl.flocks.len() != before);
    let woken = if released { fl.to_wake() } else { None };
    st.prune(key);
    drop(st);
    wake(woken);
}

/// Fd table `table` closed an fd of `f`: drop the POSIX locks the table
/// holds on `f`'s file (Linux's `locks_remove_posix`).
pub fn posix_closed(table: usize, f: &File) {
    let key = key_of(f);
    let mut st = STATE.lock();
    let Some(fl) = st.files.get_mut(&key) else {
        return;
    };
    let released = fl.records.remove_owner(Owner::Posix(table));
    let woken = if released { fl.to_wake() } else { None };
    st.prune(key);
    drop(st);
    wake(woken);
}

/// /proc/locks: every lock held in the sandbox, in Linux's format.
pub fn proc_locks() -> String {
    let st = STATE.lock();
    let mut out = String::new();
    let mut n = 0;
    for (key, fl) in &st.files {
        let file = match *key {
            LockKey::Inode { dev, ino } => format!(
                "{:02x}:{:02x}:{ino}",
                devnum::major(dev),
                devnum::minor(dev)
            ),
            LockKey::Description(_) => "<none>:0".to_string(),
        };
        for l in fl.records.iter() {
            n += 1;
            let (kind, pid) = match l.owner {
                Owner::Posix(_) => ("POSIX ", l.pid),
                Owner::Ofd(_) => ("OFDLCK", -1),
            };
            let _ = writeln!(
                out,
                "{n}: {kind} ADVISORY  {} {pid} {file} {} {}",
                type_name(l.typ),
                l.start,
                end_text(l)
            );
        }
        for l in &fl.flocks {
            n += 1;
            let _ = writeln!(
                out,
                "{n}: FLOCK  ADVISORY  {} {} {file} 0 EOF",
                type_name(l.typ),
                l.pid
            );
        }
    }
    out
}

fn type_name(t: LockType) -> &'static str {
    match t {
        LockType::Read => "READ",
        LockType::Write => "WRITE",
    }
}

fn end_text(l: &RecordLock) -> String {
    if l.end == OFFSET_MAX {
        "EOF".to_string()
    } else {
        l.end.to_string()
    }
}

#[cfg(test)]
mod tests;
