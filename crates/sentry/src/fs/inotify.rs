//! inotify: watches on inodes and the events that changes made through
//! the Sentry produce on them.
//!
//! Two halves. The instance (`Inotify`, an anonymous file) holds its
//! watches and a queue of `struct inotify_event` records, which reads take
//! whole. The registry maps a watched inode, named by (device, inode
//! number), to the instances watching it. The VFS calls the hook functions
//! at the bottom of this file after each change (`opened`, `closed`,
//! `modified`, `attr_changed`, `created`, `linked`, `removed`, `renamed`);
//! each first looks at one atomic counter, so they cost nothing while no
//! watch exists anywhere. Changes made outside the sandbox (the host side
//! of a Gofer tree) produce no events.
//!
//! Linux's details kept: a directory watch sees its children's events with
//! their names; an event equal to the last one still queued is merged; the
//! same inode watched twice keeps one descriptor (IN_MASK_ADD adds to its
//! mask, IN_MASK_CREATE refuses); IN_ONESHOT and removal queue IN_IGNORED;
//! an unlinked inode reports IN_DELETE_SELF once nothing uses it any more
//! (at once, or when its last open file closes); a full queue ends with one
//! IN_Q_OVERFLOW. IN_ACCESS is not generated.
//!
//! May use: `vfs` (files, dentries, inodes), `mm` (I/O buffers), `kernel`
//! (wait queues), `fs::anon`.
//!
//! Lock order: `REGISTRY` and an instance's `st` are never held together:
//! delivery copies the watcher list out of the registry first, and an
//! instance drops its `st` before touching the registry. Notifications
//! happen after both are dropped.

use crate::kernel::waiter::WaitQueue;
use crate::mm::IoDst;
use crate::vfs::dentry::Dentry;
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::{Attr, FileType, Inode};
use crate::vfs::path::Parent;
use abi::Errno;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Weak};

pub const IN_ACCESS: u32 = 0x1;
pub const IN_MODIFY: u32 = 0x2;
pub const IN_ATTRIB: u32 = 0x4;
pub const IN_CLOSE_WRITE: u32 = 0x8;
pub const IN_CLOSE_NOWRITE: u32 = 0x10;
pub const IN_OPEN: u32 = 0x20;
pub const IN_MOVED_FROM: u32 = 0x40;
pub const IN_MOVED_TO: u32 = 0x80;
pub const IN_CREATE: u32 = 0x100;
pub const IN_DELETE: u32 = 0x200;
pub const IN_DELETE_SELF: u32 = 0x400;
pub const IN_MOVE_SELF: u32 = 0x800;
pub const IN_ALL_EVENTS: u32 = 0xfff;
pub const IN_UNMOUNT: u32 = 0x2000;
pub const IN_Q_OVERFLOW: u32 = 0x4000;
pub const IN_IGNORED: u32 = 0x8000;
pub const IN_ONLYDIR: u32 = 0x0100_0000;
pub const IN_DONT_FOLLOW: u32 = 0x0200_0000;
pub const IN_EXCL_UNLINK: u32 = 0x0400_0000;
pub const IN_MASK_CREATE: u32 = 0x1000_0000;
pub const IN_MASK_ADD: u32 = 0x2000_0000;
pub const IN_ISDIR: u32 = 0x4000_0000;
pub const IN_ONESHOT: u32 = 0x8000_0000;
/// Every bit inotify_add_watch knows (a mask without any is EINVAL).
pub const ALL_INOTIFY_BITS: u32 = IN_ALL_EVENTS
    | IN_UNMOUNT
    | IN_Q_OVERFLOW
    | IN_IGNORED
    | IN_ISDIR
    | IN_ONESHOT
    | IN_DONT_FOLLOW
    | IN_EXCL_UNLINK
    | IN_MASK_ADD
    | IN_MASK_CREATE
    | IN_ONLYDIR;
pub const IN_CLOEXEC: u32 = libc::O_CLOEXEC as u32;
pub const IN_NONBLOCK: u32 = libc::O_NONBLOCK as u32;

/// sizeof(struct inotify_event) without the name.
const EVENT_SIZE: usize = 16;
/// /proc/sys/fs/inotify/max_queued_events.
const MAX_QUEUED: usize = 16384;
/// /proc/sys/fs/inotify/max_user_watches (per instance here).
const MAX_WATCHES: usize = 65536;

const POLLIN: u32 = (libc::POLLIN | libc::POLLRDNORM) as u32;

/// A watched inode: (device, inode number).
type Key = (u64, u64);

/// Watches alive in the whole sandbox: the hooks do nothing while it is 0.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
/// Watched inode -> (instance, watch descriptor) of each watch on it.
type Registry = HashMap<Key, Vec<(Weak<Instance>, i32)>>;
static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(Default::default);
static COOKIE: AtomicU32 = AtomicU32::new(1);

fn key_of(a: &Attr) -> Key {
    (a.dev, a.ino)
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Event {
    wd: i32,
    mask: u32,
    cookie: u32,
    name: Vec<u8>,
}

impl Event {
    /// The name's length with its NUL, padded to a whole record.
    fn name_len(&self) -> usize {
        if self.name.is_empty() {
            0
        } else {
            (self.name.len() + 1).div_ceil(EVENT_SIZE) * EVENT_SIZE
        }
    }

    fn size(&self) -> usize {
        EVENT_SIZE + self.name_len()
    }

    fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(self.size());
        b.extend_from_slice(&self.wd.to_ne_bytes());
        b.extend_from_slice(&self.mask.to_ne_bytes());
        b.extend_from_slice(&self.cookie.to_ne_bytes());
        b.extend_from_slice(&(self.name_len() as u32).to_ne_bytes());
        b.extend_from_slice(&self.name);
        b.resize(self.size(), 0);
        b
    }
}

struct Watch {
    key: Key,
    /// Event bits plus IN_ONESHOT / IN_EXCL_UNLINK.
    mask: u32,
}

#[derive(Default)]
struct State {
    watches: HashMap<i32, Watch>,
    by_key: HashMap<Key, i32>,
    /// Linux allocates descriptors cyclically from 1.
    next_wd: i32,
    queue: VecDeque<Event>,
    /// The queue overflowed and IN_Q_OVERFLOW is its last record.
    overflowed: bool,
}

/// One inotify instance.
pub struct Instance {
    st: Mutex<State>,
    wq: WaitQueue,
}

impl Instance {
    /// Queue an event (merged with an identical last one; a full queue
    /// ends with one IN_Q_OVERFLOW).
    fn push(st: &mut State, ev: Event) {
        if st.queue.back() == Some(&ev) {
            return;
        }
        if st.queue.len() >= MAX_QUEUED {
            if !st.overflowed {
                st.overflowed = true;
                st.queue.push_back(Event {
                    wd: -1,
                    mask: IN_Q_OVERFLOW,
                    cookie: 0,
                    name: Vec::new(),
                });
            }
            return;
        }
        st.queue.push_back(ev);
    }

    /// An event for watch `wd` (`kind` is the event bit, `extra` IN_ISDIR).
    fn event(self: &Arc<Self>, wd: i32, kind: u32, extra: u32, name: &[u8], cookie: u32) {
        let oneshot_key = {
            let mut st = self.st.lock();
            let Some(w) = st.watches.get(&wd) else { return };
            if w.mask & kind == 0 {
                return;
            }
            let (oneshot, key) = (w.mask & IN_ONESHOT != 0, w.key);
            Self::push(
                &mut st,
                Event {
                    wd,
                    mask: kind | extra,
                    cookie,
                    name: name.to_vec(),
                },
            );
            if oneshot {
                Self::drop_watch(&mut st, wd);
                Some(key)
            } else {
                None
            }
        };
        if let Some(key) = oneshot_key {
            unregister(key, self, wd);
        }
        self.wq.notify(POLLIN as u64);
    }

    /// Forget watch `wd` and queue IN_IGNORED (registry untouched).
    fn drop_watch(st: &mut State, wd: i32) -> Option<Key> {
        let w = st.watches.remove(&wd)?;
        st.by_key.remove(&w.key);
        ACTIVE.fetch_sub(1, Ordering::Relaxed);
        Self::push(
            st,
            Event {
                wd,
                mask: IN_IGNORED,
                cookie: 0,
                name: Vec::new(),
            },
        );
        Some(w.key)
    }

    /// The watched inode is gone: IN_DELETE_SELF (if asked for) and IN_IGNORED.
    fn inode_gone(self: &Arc<Self>, wd: i32) {
        {
            let mut st = self.st.lock();
            let Some(w) = st.watches.get(&wd) else { return };
            if w.mask & IN_DELETE_SELF != 0 {
                Self::push(
                    &mut st,
                    Event {
                        wd,
                        mask: IN_DELETE_SELF,
                        cookie: 0,
                        name: Vec::new(),
                    },
                );
            }
            Self::drop_watch(&mut st, wd);
        }
        self.wq.notify(POLLIN as u64);
    }
}

fn unregister(key: Key, inst: &Arc<Instance>, wd: i32) {
    let mut reg = REGISTRY.lock();
    if let Some(v) = reg.get_mut(&key) {
        v.retain(|(i, w)| {
            !(*w == wd && std::ptr::eq(i.as_ptr(), Arc::as_ptr(inst))) && i.strong_count() > 0
        });
        if v.is_empty() {
            reg.remove(&key);
        }
    }
}

/// Watchers of `key`, copied out of the registry.
fn watchers(key: Key) -> Vec<(Arc<Instance>, i32)> {
    let reg = REGISTRY.lock();
    reg.get(&key)
        .map(|v| {
            v.iter()
                .filter_map(|(i, wd)| Some((i.upgrade()?, *wd)))
                .collect()
        })
        .unwrap_or_default()
}

/// The file ops of an inotify instance.
pub struct Inotify {
    inner: Arc<Instance>,
}

impl std::fmt::Debug for Inotify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Inotify({} watches)", self.inner.st.lock().watches.len())
    }
}

impl Default for Inotify {
    fn default() -> Self {
        Self::new()
    }
}

impl Inotify {
    pub fn new() -> Inotify {
        let st = State {
            next_wd: 1,
            ..Default::default()
        };
        Inotify {
            inner: Arc::new(Instance {
                st: Mutex::new(st),
                wq: WaitQueue::new(),
            }),
        }
    }

    /// inotify_add_watch on an inode with attributes `a`, after the path
    /// and permission checks. Returns the watch descriptor.
    pub fn add_watch(&self, a: &Attr, mask: u32) -> Result<i32, Errno> {
        let key = key_of(a);
        let bits = mask & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK);
        let mut st = self.inner.st.lock();
        if let Some(&wd) = st.by_key.get(&key) {
            if mask & IN_MASK_CREATE != 0 {
                return Err(Errno::EEXIST);
            }
            if let Some(w) = st.watches.get_mut(&wd) {
                w.mask = if mask & IN_MASK_ADD != 0 {
                    w.mask | bits
                } else {
                    bits
                };
            }
            return Ok(wd);
        }
        if st.watches.len() >= MAX_WATCHES {
            return Err(Errno::ENOSPC);
        }
        let mut wd = st.next_wd;
        while st.watches.contains_key(&wd) {
            wd = if wd == i32::MAX { 1 } else { wd + 1 };
        }
        st.next_wd = if wd == i32::MAX { 1 } else { wd + 1 };
        st.watches.insert(wd, Watch { key, mask: bits });
        st.by_key.insert(key, wd);
        drop(st);
        ACTIVE.fetch_add(1, Ordering::Relaxed);
        REGISTRY
            .lock()
            .entry(key)
            .or_default()
            .push((Arc::downgrade(&self.inner), wd));
        Ok(wd)
    }

    /// inotify_rm_watch: EINVAL for an unknown descriptor.
    pub fn rm_watch(&self, wd: i32) -> Result<(), Errno> {
        let key = {
            let mut st = self.inner.st.lock();
            Instance::drop_watch(&mut st, wd).ok_or(Errno::EINVAL)?
        };
        unregister(key, &self.inner, wd);
        self.inner.wq.notify(POLLIN as u64);
        Ok(())
    }
}

impl Drop for Inotify {
    fn drop(&mut self) {
        let all: Vec<(i32, Key)> = self
            .inner
            .st
            .lock()
            .watches
            .drain()
            .map(|(wd, w)| (wd, w.key))
            .collect();
        for (wd, key) in all {
            ACTIVE.fetch_sub(1, Ordering::Relaxed);
            unregister(key, &self.inner, wd);
        }
    }
}

impl FileOps for Inotify {
    /// Whole records only: EINVAL if the first does not fit.
    fn read(&self, _f: &File, dst: &mut IoDst, _off: i64) -> Result<u64, Errno> {
        let mut out = Vec::new();
        {
            let mut st = self.inner.st.lock();
            let Some(first) = st.queue.front() else {
                return Err(Errno::EAGAIN);
            };
            let room = dst.remaining() as usize;
            if first.size() > room {
                return Err(Errno::EINVAL);
            }
            while let Some(ev) = st.queue.front() {
                if out.len() + ev.size() > room {
                    break;
                }
                out.extend_from_slice(&ev.encode());
                st.queue.pop_front();
            }
            if st.queue.is_empty() {
                st.overflowed = false;
            }
        }
        let n = dst.put(&out)?;
        if n < out.len() {
            return Err(Errno::EFAULT);
        }
        Ok(n as u64)
    }

    fn seekable(&self) -> bool {
        false
    }

    /// lseek is a no-op returning 0 (Linux's noop_llseek).
    fn own_position(&self) -> bool {
        true
    }

    fn seek(&self, _f: &File, _off: i64, _whence: i32) -> Result<i64, Errno> {
        Ok(0)
    }

    fn poll(&self, _f: &File) -> u32 {
        if self.inner.st.lock().queue.is_empty() {
            0
        } else {
            POLLIN
        }
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.inner.wq)
    }

    fn readable_bytes(&self, _f: &File) -> Option<u64> {
        Some(
            self.inner
                .st
                .lock()
                .queue
                .iter()
                .map(|e| e.size() as u64)
                .sum(),
        )
    }

    fn attr(&self) -> Result<Attr, Errno> {
        Ok(crate::fs::anon::attr())
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("inotify")
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

// ---- Hooks called by the VFS after each change. ----

/// Whether any watch exists (the hooks' fast path).
pub fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed) > 0
}

fn isdir(a: &Attr) -> u32 {
    if a.file_type() == FileType::Directory {
        IN_ISDIR
    } else {
        0
    }
}

/// `kind` on the inode itself.
fn to_inode(a: &Attr, kind: u32, extra: u32, cookie: u32) {
    for (inst, wd) in watchers(key_of(a)) {
        inst.event(wd, kind, extra, b"", cookie);
    }
}

/// `kind` on directory `dir` about its entry `name`.
fn to_dir(dir: &dyn Inode, kind: u32, extra: u32, name: &[u8], cookie: u32) {
    let Ok(da) = dir.attr() else { return };
    for (inst, wd) in watchers(key_of(&da)) {
        inst.event(wd, kind, extra, name, cookie);
    }
}

/// A "path event" (open, close, modify, attrib): to the inode and to its
/// parent directory with its name.
fn path_event(inode: &dyn Inode, dentry: Option<&Arc<Dentry>>, kind: u32) {
    let Ok(a) = inode.attr() else { return };
    let extra = isdir(&a);
    to_inode(&a, kind, extra, 0);
    if let Some(d) = dentry {
        if let Some(parent) = d.parent() {
            to_dir(parent.inode.as_ref(), kind, extra, &d.name(), 0);
        }
    }
}

/// An inode lost a name: if it has none left and nothing else uses
/// `dentry`, its watches end with IN_DELETE_SELF and IN_IGNORED.
fn maybe_gone(dentry: &Arc<Dentry>, users: usize) {
    let gone = match dentry.inode.attr() {
        Ok(a) => a.nlink == 0 || (a.is_dir() && a.nlink <= 1),
        Err(_) => true,
    };
    if !gone || Arc::strong_count(dentry) > users {
        return;
    }
    inode_gone(dentry.inode.as_ref());
}

fn inode_gone(inode: &dyn Inode) {
    let Ok(a) = inode.attr() else { return };
    let key = key_of(&a);
    for (inst, wd) in watchers(key) {
        inst.inode_gone(wd);
        unregister(key, &inst, wd);
    }
}

/// open(2) made `f` (not for O_PATH); `truncated`: O_TRUNC emptied it.
pub fn opened(f: &File, truncated: bool) {
    if !active() || f.is_path_only() {
        return;
    }
    if let Some(i) = &f.inode {
        let dentry = f.path.as_ref().map(|p| &p.dentry);
        path_event(i.as_ref(), dentry, IN_OPEN);
        if truncated {
            path_event(i.as_ref(), dentry, IN_MODIFY);
        }
    }
}

/// The last reference to an open file went: IN_CLOSE_WRITE or
/// IN_CLOSE_NOWRITE, and a deferred IN_DELETE_SELF.
pub fn closed(f: &File) {
    if !active() || f.is_path_only() {
        return;
    }
    let Some(i) = &f.inode else { return };
    let kind = if f.writable() {
        IN_CLOSE_WRITE
    } else {
        IN_CLOSE_NOWRITE
    };
    let dentry = f.path.as_ref().map(|p| &p.dentry);
    path_event(i.as_ref(), dentry, kind);
    if let Some(d) = dentry {
        if d.is_dead() {
            // This file's path is the last user of an unlinked dentry.
            maybe_gone(d, 1);
        }
    }
}

/// Data written to `f` (write, pwrite, splice...).
pub fn modified(f: &File) {
    if !active() {
        return;
    }
    if let Some(i) = &f.inode {
        path_event(i.as_ref(), f.path.as_ref().map(|p| &p.dentry), IN_MODIFY);
    }
}

/// chmod, chown, utimes (IN_ATTRIB) or truncate (IN_MODIFY) on `inode`,
/// reached through `dentry` where known.
pub fn attr_changed(inode: &dyn Inode, dentry: Option<&Arc<Dentry>>, kind: u32) {
    if active() {
        path_event(inode, dentry, kind);
    }
}

/// A new entry `name` in `dir` (open O_CREAT, mkdir, mknod, symlink).
pub fn created(dir: &Arc<Dentry>, name: &[u8], is_dir: bool) {
    if active() {
        to_dir(
            dir.inode.as_ref(),
            IN_CREATE,
            if is_dir { IN_ISDIR } else { 0 },
            name,
            0,
        );
    }
}

/// link(2): `inode` got the new name `name` in `dir`.
pub fn linked(inode: &dyn Inode, dir: &Arc<Dentry>, name: &[u8]) {
    if !active() {
        return;
    }
    if let Ok(a) = inode.attr() {
        to_inode(&a, IN_ATTRIB, 0, 0);
    }
    to_dir(dir.inode.as_ref(), IN_CREATE, 0, name, 0);
}

/// unlink/rmdir removed `victim`, which was `name` in `dir`. `victim` is
/// the caller's only reference besides other users'.
pub fn removed(dir: &Arc<Dentry>, name: &[u8], victim: &Arc<Dentry>, is_dir: bool) {
    if !active() {
        return;
    }
    if !is_dir {
        // The link count changed.
        if let Ok(a) = victim.inode.attr() {
            to_inode(&a, IN_ATTRIB, 0, 0);
        }
    }
    maybe_gone(victim, 1);
    to_dir(
        dir.inode.as_ref(),
        IN_DELETE,
        if is_dir { IN_ISDIR } else { 0 },
        name,
        0,
    );
}

/// One entry moved from `old_name` in `old_dir` to `new_name` in `new_dir`.
fn moved(
    old_dir: &Arc<Dentry>,
    old_name: &[u8],
    new_dir: &Arc<Dentry>,
    new_name: &[u8],
    what: &Arc<Dentry>,
) {
    let Ok(a) = what.inode.attr() else { return };
    let extra = isdir(&a);
    let cookie = COOKIE.fetch_add(1, Ordering::Relaxed).max(1);
    to_dir(
        old_dir.inode.as_ref(),
        IN_MOVED_FROM,
        extra,
        old_name,
        cookie,
    );
    to_dir(new_dir.inode.as_ref(), IN_MOVED_TO, extra, new_name, cookie);
}

/// rename(2) moved `src` from `old` to `new`, replacing `target` if any
/// (or swapping the two with RENAME_EXCHANGE).
pub fn renamed(
    old: &Parent,
    new: &Parent,
    src: &Arc<Dentry>,
    target: Option<&Arc<Dentry>>,
    exchange: bool,
) {
    if !active() {
        return;
    }
    moved(&old.dir.dentry, &old.name, &new.dir.dentry, &new.name, src);
    match target {
        Some(t) if exchange => moved(&new.dir.dentry, &new.name, &old.dir.dentry, &old.name, t),
        Some(t) => {
            if let Ok(ta) = t.inode.attr() {
                if !ta.is_dir() {
                    to_inode(&ta, IN_ATTRIB, 0, 0);
                }
            }
            maybe_gone(t, 1);
        }
        None => {}
    }
    if let Ok(a) = src.inode.attr() {
        to_inode(&a, IN_MOVE_SELF, 0, 0);
    }
    if let (true, Some(t)) = (exchange, target) {
        if let Ok(ta) = t.inode.attr() {
            to_inode(&ta, IN_MOVE_SELF, 0, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(dev: u64, ino: u64) -> Attr {
        let mut a = crate::fs::anon::attr();
        a.dev = dev;
        a.ino = ino;
        a.mode = 0o100644;
        a
    }

    fn read_all(i: &Inotify) -> Vec<u8> {
        let f = File::new(Box::new(Inotify::new()), None, None, 0);
        let mut buf = vec![0u8; 4096];
        let n = i.read(&f, &mut IoDst::buf(&mut buf), 0).unwrap_or(0) as usize;
        buf.truncate(n);
        buf
    }

    #[test]
    fn records_are_padded_and_merged() {
        let ev = Event {
            wd: 1,
            mask: IN_CREATE,
            cookie: 0,
            name: b"f".to_vec(),
        };
        assert_eq!(ev.size(), 32);
        assert_eq!(&ev.encode()[12..16], &16u32.to_ne_bytes());
        let i = Inotify::new();
        let wd = i.add_watch(&attr(900, 1), IN_MODIFY).unwrap();
        assert_eq!(i.add_watch(&attr(900, 1), IN_ATTRIB), Ok(wd));
        assert_eq!(
            i.add_watch(&attr(900, 1), IN_ATTRIB | IN_MASK_CREATE),
            Err(Errno::EEXIST)
        );
        assert_eq!(i.add_watch(&attr(900, 1), IN_MODIFY | IN_MASK_ADD), Ok(wd));
        to_inode(&attr(900, 1), IN_MODIFY, 0, 0);
        to_inode(&attr(900, 1), IN_MODIFY, 0, 0);
        to_inode(&attr(900, 1), IN_OPEN, 0, 0);
        assert_eq!(read_all(&i).len(), 16);
        assert_eq!(i.rm_watch(wd), Ok(()));
        assert_eq!(i.rm_watch(wd), Err(Errno::EINVAL));
        let ignored = read_all(&i);
        assert_eq!(
            u32::from_ne_bytes(ignored[4..8].try_into().unwrap()),
            IN_IGNORED
        );
        assert!(watchers((900, 1)).is_empty());
    }

    #[test]
    fn oneshot_ends_the_watch() {
        let i = Inotify::new();
        let wd = i.add_watch(&attr(901, 2), IN_OPEN | IN_ONESHOT).unwrap();
        to_inode(&attr(901, 2), IN_OPEN, 0, 0);
        to_inode(&attr(901, 2), IN_OPEN, 0, 0);
        let b = read_all(&i);
        assert_eq!(b.len(), 32);
        assert_eq!(
            u32::from_ne_bytes(b[20..24].try_into().unwrap()),
            IN_IGNORED
        );
        assert_eq!(i.rm_watch(wd), Err(Errno::EINVAL));
    }
}
