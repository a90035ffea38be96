//! epoll instances: an interest list of (fd, open file) pairs and a ready
//! list, with Linux's level-triggered, edge-triggered (EPOLLET) and
//! one-shot semantics.
//!
//! Each interest entry ([`Item`]) stays registered in its file's wait queue
//! for as long as it exists, so every readiness notification of the file
//! puts it on the ready list, whether or not anybody is in epoll_wait:
//! that is what edge triggering needs. epoll_wait takes the ready list,
//! asks each file for its current readiness (`FileOps::poll`), reports the
//! ones with events, and puts level-triggered ones back for the next call
//! to check again. Files without a wait queue never change readiness:
//! they are put on the ready list once, when added.
//!
//! Entries refer to their file weakly: as on Linux, the interest list does
//! not keep a file open, and an entry goes away when its file is closed
//! for good (pruned lazily here, since nothing tells us).
//!
//! May use: `vfs` (files), `kernel` (wait queues), `fs::anon`.
//!
//! Lock order: `NESTED` (only for adding an epoll instance to another) →
//! `Epoll::mtx` (the interest list; held across calls to files' `poll`,
//! which may take a nested epoll's `mtx`: instances nest without cycles, so
//! this order is a DAG) → a file's own locks → `Epoll::ready`. Items are
//! woken with no lock held but take `ready`.

use crate::kernel::waiter::{WaitQueue, Waiter, EV_ALL};
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::{Attr, FileType};
use abi::Errno;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

pub const EPOLLIN: u32 = 0x001;
pub const EPOLLPRI: u32 = 0x002;
pub const EPOLLOUT: u32 = 0x004;
pub const EPOLLERR: u32 = 0x008;
pub const EPOLLHUP: u32 = 0x010;
pub const EPOLLRDNORM: u32 = 0x040;
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
pub const EPOLLWAKEUP: u32 = 1 << 29;
pub const EPOLLONESHOT: u32 = 1 << 30;
pub const EPOLLET: u32 = 1 << 31;
/// Bits that steer epoll itself rather than name events.
const PRIVATE_BITS: u32 = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE;
/// What an EPOLLEXCLUSIVE entry may ask for.
const EXCLUSIVE_OK_BITS: u32 =
    EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

pub const EPOLL_CTL_ADD: i32 = 1;
pub const EPOLL_CTL_DEL: i32 = 2;
pub const EPOLL_CTL_MOD: i32 = 3;

/// How deep epoll instances may nest (Linux's EP_MAX_NESTS).
const MAX_NESTS: usize = 4;

/// Serialises additions of an epoll instance to another, so the loop
/// check sees a stable graph (Linux's epnested_mutex).
static NESTED: Mutex<()> = Mutex::new(());

/// `struct epoll_event`: what epoll_ctl takes and epoll_wait reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EpollEvent {
    pub events: u32,
    pub data: u64,
}

impl EpollEvent {
    /// The x86-64 layout is packed: 4 bytes of events, 8 of data.
    pub const SIZE: usize = 12;

    pub fn from_bytes(b: &[u8; 12]) -> EpollEvent {
        let mut e = [0u8; 4];
        let mut d = [0u8; 8];
        e.copy_from_slice(&b[..4]);
        d.copy_from_slice(&b[4..]);
        EpollEvent {
            events: u32::from_le_bytes(e),
            data: u64::from_le_bytes(d),
        }
    }

    pub fn to_bytes(self) -> [u8; 12] {
        let mut b = [0u8; 12];
        b[..4].copy_from_slice(&self.events.to_le_bytes());
        b[4..].copy_from_slice(&self.data.to_le_bytes());
        b
    }
}

/// One interest entry.
struct Item {
    me: Weak<Item>,
    ep: Weak<Epoll>,
    fd: i32,
    file: Weak<File>,
    events: AtomicU32,
    data: AtomicU64,
    /// On the ready list (or in a scan's private list); changed under `Epoll::ready`.
    on_list: AtomicBool,
    removed: AtomicBool,
    /// Registration in the file's wait queue (0: none).
    waiter: u64,
}

impl Waiter for Item {
    fn notify_event(&self, events: u64) {
        let ev = self.events.load(Ordering::SeqCst);
        // Disabled (a one-shot that fired), or not an event this entry asked for.
        if ev & !PRIVATE_BITS == 0 || (events as u32) & ev == 0 {
            return;
        }
        let (Some(ep), Some(me)) = (self.ep.upgrade(), self.me.upgrade()) else {
            return;
        };
        ep.make_ready(me);
    }
}

impl Item {
    /// Leave the file's wait queue.
    fn detach(&self) {
        self.removed.store(true, Ordering::SeqCst);
        if self.waiter != 0 {
            if let Some(f) = self.file.upgrade() {
                if let Some(q) = f.ops.wait_queue() {
                    q.remove(self.waiter);
                }
            }
        }
    }
}

type Key = (i32, usize);

fn key(fd: i32, f: &Arc<File>) -> Key {
    (fd, Arc::as_ptr(f) as usize)
}

#[derive(Default)]
struct Interest {
    items: HashMap<Key, Arc<Item>>,
    /// Prune entries of closed files when the list grows to this size.
    sweep_at: usize,
}

/// An epoll instance.
pub struct Epoll {
    me: Weak<Epoll>,
    mtx: Mutex<Interest>,
    ready: Mutex<VecDeque<Arc<Item>>>,
    /// epoll_wait callers and pollers of the epoll file itself.
    queue: WaitQueue,
    /// Instances whose interest lists hold this one (for the nesting check).
    parents: Mutex<Vec<Weak<Epoll>>>,
}

impl std::fmt::Debug for Epoll {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Epoll({} items)", self.mtx.lock().items.len())
    }
}

/// The epoll instance an open file is, if it is one.
pub fn epoll_of(f: &File) -> Option<&Arc<Epoll>> {
    f.ops.as_any()?.downcast_ref::<EpollFile>().map(|e| &e.ep)
}

/// Whether `f` can be watched: Linux refuses files without a poll
/// operation (regular files, directories) with EPERM.
pub fn can_poll(f: &File) -> bool {
    if f.ops.wait_queue().is_some() {
        return true;
    }
    match f.attr() {
        Ok(a) => {
            !matches!(a.file_type(), FileType::Regular | FileType::Directory)
                || a.mode & 0o170000 == 0
        }
        Err(_) => false,
    }
}

impl Epoll {
    pub fn new() -> Arc<Epoll> {
        Arc::new_cyclic(|me| Epoll {
            me: me.clone(),
            mtx: Mutex::new(Interest {
                items: HashMap::new(),
                sweep_at: 64,
            }),
            ready: Mutex::new(VecDeque::new()),
            queue: WaitQueue::new(),
            parents: Mutex::new(Vec::new()),
        })
    }

    pub fn queue(&self) -> &WaitQueue {
        &self.queue
    }

    /// Put `it` on the ready list (if not there) and wake waiters.
    fn make_ready(&self, it: Arc<Item>) {
        {
            let mut r = self.ready.lock();
            if it.removed.load(Ordering::SeqCst) || it.on_list.load(Ordering::SeqCst) {
                return;
            }
            it.on_list.store(true, Ordering::SeqCst);
            r.push_back(it);
        }
        self.queue.notify((EPOLLIN | EPOLLRDNORM) as u64);
    }

    /// epoll_ctl(2) on (`fd`, `file`).
    pub fn ctl(&self, op: i32, fd: i32, file: &Arc<File>, ev: EpollEvent) -> Result<(), Errno> {
        if !can_poll(file) {
            return Err(Errno::EPERM);
        }
        let target = epoll_of(file).cloned();
        if target
            .as_ref()
            .is_some_and(|t| std::ptr::eq(Arc::as_ptr(t), self))
        {
            return Err(Errno::EINVAL);
        }
        if op != EPOLL_CTL_DEL && ev.events & EPOLLEXCLUSIVE != 0 {
            if op == EPOLL_CTL_MOD {
                return Err(Errno::EINVAL);
            }
            if op == EPOLL_CTL_ADD && (target.is_some() || ev.events & !EXCLUSIVE_OK_BITS != 0) {
                return Err(Errno::EINVAL);
            }
        }
        match op {
            EPOLL_CTL_ADD => {
                let _nested = target.as_ref().map(|_| NESTED.lock());
                if let Some(t) = &target {
                    self.check_nesting(t)?;
                }
                self.add(fd, file, ev, target)
            }
            EPOLL_CTL_DEL => self.del(fd, file),
            EPOLL_CTL_MOD => self.modify(fd, file, ev),
            _ => Err(Errno::EINVAL),
        }
    }

    fn add(
        &self,
        fd: i32,
        file: &Arc<File>,
        ev: EpollEvent,
        target: Option<Arc<Epoll>>,
    ) -> Result<(), Errno> {
        let mut interest = self.mtx.lock();
        let k = key(fd, file);
        if interest.items.contains_key(&k) {
            return Err(Errno::EEXIST);
        }
        if interest.items.len() >= interest.sweep_at {
            interest.items.retain(|_, it| it.file.strong_count() > 0);
            interest.sweep_at = (interest.items.len() * 2).max(64);
        }
        let events = ev.events | EPOLLERR | EPOLLHUP;
        let it = Arc::new_cyclic(|me: &Weak<Item>| {
            let waiter = match file.ops.wait_queue() {
                Some(q) => q.add(me.clone() as Weak<dyn Waiter>, EV_ALL),
                None => 0,
            };
            Item {
                me: me.clone(),
                ep: self.me.clone(),
                fd,
                file: Arc::downgrade(file),
                events: AtomicU32::new(events),
                data: AtomicU64::new(ev.data),
                on_list: AtomicBool::new(false),
                removed: AtomicBool::new(false),
                waiter,
            }
        });
        interest.items.insert(k, it.clone());
        if let Some(t) = target {
            t.parents.lock().push(self.me.clone());
        }
        // Registered first, polled second: no event can fall in between.
        if file.ops.poll(file) & events != 0 {
            self.make_ready(it);
        }
        Ok(())
    }

    fn del(&self, fd: i32, file: &Arc<File>) -> Result<(), Errno> {
        let mut interest = self.mtx.lock();
        let it = interest.items.remove(&key(fd, file)).ok_or(Errno::ENOENT)?;
        self.forget(&it);
        if let Some(t) = epoll_of(file) {
            t.parents.lock().retain(|p| !std::ptr::eq(p.as_ptr(), self));
        }
        Ok(())
    }

    /// Take a removed entry off the ready list and its file's queue.
    fn forget(&self, it: &Arc<Item>) {
        it.detach();
        let mut r = self.ready.lock();
        if it.on_list.swap(false, Ordering::SeqCst) {
            r.retain(|x| !Arc::ptr_eq(x, it));
        }
    }

    fn modify(&self, fd: i32, file: &Arc<File>, ev: EpollEvent) -> Result<(), Errno> {
        let interest = self.mtx.lock();
        let it = interest
            .items
            .get(&key(fd, file))
            .ok_or(Errno::ENOENT)?
            .clone();
        if it.events.load(Ordering::SeqCst) & EPOLLEXCLUSIVE != 0 {
            return Err(Errno::EINVAL);
        }
        let events = ev.events | EPOLLERR | EPOLLHUP;
        it.data.store(ev.data, Ordering::SeqCst);
        it.events.store(events, Ordering::SeqCst);
        // A changed mask re-arms one-shot and edge-triggered entries that are ready now.
        if file.ops.poll(file) & events != 0 {
            self.make_ready(it);
        }
        Ok(())
    }

    /// Adding `target` here must not close a loop nor nest deeper than
    /// Linux allows (ELOOP). Called under `NESTED`.
    fn check_nesting(&self, target: &Arc<Epoll>) -> Result<(), Errno> {
        let down = target.height_below(self, 0).ok_or(Errno::ELOOP)?;
        if down > MAX_NESTS || down + 1 + self.height_above(0) > MAX_NESTS {
            return Err(Errno::ELOOP);
        }
        Ok(())
    }

    /// The epoll instances this one watches.
    fn children(&self) -> Vec<Arc<Epoll>> {
        let interest = self.mtx.lock();
        interest
            .items
            .values()
            .filter_map(|it| it.file.upgrade())
            .filter_map(|f| epoll_of(&f).cloned())
            .collect()
    }

    /// How many levels of epoll instances nest below this one; None if
    /// `inserting_into` is among them (a loop) or they nest too deep.
    fn height_below(&self, inserting_into: &Epoll, depth: usize) -> Option<usize> {
        let mut h = 0;
        for c in self.children() {
            if std::ptr::eq(Arc::as_ptr(&c), inserting_into) || depth > MAX_NESTS {
                return None;
            }
            h = h.max(c.height_below(inserting_into, depth + 1)? + 1);
        }
        Some(h)
    }

    /// How many levels of epoll instances watch this one.
    fn height_above(&self, depth: usize) -> usize {
        if depth > MAX_NESTS {
            return depth;
        }
        let parents: Vec<Arc<Epoll>> = self
            .parents
            .lock()
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        parents
            .iter()
            .map(|p| p.height_above(depth + 1) + 1)
            .max()
            .unwrap_or(0)
    }

    /// Collect up to `max` ready events (epoll_wait without the waiting).
    pub fn collect(&self, max: usize) -> Vec<EpollEvent> {
        let mut interest = self.mtx.lock();
        let mut tx: VecDeque<Arc<Item>> = std::mem::take(&mut *self.ready.lock());
        let mut out = Vec::new();
        while out.len() < max {
            let Some(it) = tx.pop_front() else { break };
            {
                let _r = self.ready.lock();
                it.on_list.store(false, Ordering::SeqCst);
            }
            if it.removed.load(Ordering::SeqCst) {
                continue;
            }
            let Some(file) = it.file.upgrade() else {
                // Closed for good: the entry goes, as Linux removes it at close.
                let k = (it.fd, it.file.as_ptr() as usize);
                if let Some(gone) = interest.items.remove(&k) {
                    gone.removed.store(true, Ordering::SeqCst);
                }
                continue;
            };
            let ev = it.events.load(Ordering::SeqCst);
            let revents = file.ops.poll(&file) & ev;
            if revents == 0 {
                continue;
            }
            out.push(EpollEvent {
                events: revents,
                data: it.data.load(Ordering::SeqCst),
            });
            if ev & EPOLLONESHOT != 0 {
                it.events.store(ev & PRIVATE_BITS, Ordering::SeqCst);
            } else if ev & EPOLLET == 0 {
                // Level-triggered: look again next time.
                let mut r = self.ready.lock();
                if !it.on_list.swap(true, Ordering::SeqCst) {
                    r.push_back(it);
                }
            }
        }
        // Entries not looked at go back to the front, still marked as listed.
        if !tx.is_empty() {
            let mut r = self.ready.lock();
            while let Some(it) = tx.pop_back() {
                r.push_front(it);
            }
        }
        drop(interest);
        out
    }

    /// Readiness of the epoll file itself: readable if an entry on the
    /// ready list really has events (entries that do not are dropped).
    pub fn readiness(&self) -> u32 {
        let _interest = self.mtx.lock();
        let listed: Vec<Arc<Item>> = self.ready.lock().iter().cloned().collect();
        for it in listed {
            let ready = match it.file.upgrade() {
                Some(f) => f.ops.poll(&f) & it.events.load(Ordering::SeqCst) != 0,
                None => false,
            };
            if ready {
                return EPOLLIN | EPOLLRDNORM;
            }
            let mut r = self.ready.lock();
            if it.on_list.swap(false, Ordering::SeqCst) {
                r.retain(|x| !Arc::ptr_eq(x, &it));
            }
        }
        0
    }
}

impl Drop for Epoll {
    fn drop(&mut self) {
        let items: Vec<Arc<Item>> = self.mtx.get_mut().items.drain().map(|(_, it)| it).collect();
        for it in items {
            it.detach();
            if let Some(f) = it.file.upgrade() {
                if let Some(t) = epoll_of(&f) {
                    t.parents
                        .lock()
                        .retain(|p| p.strong_count() > 0 && !std::ptr::eq(p.as_ptr(), self));
                }
            }
        }
    }
}

/// An open epoll instance.
pub struct EpollFile {
    pub ep: Arc<Epoll>,
}

impl EpollFile {
    pub fn new() -> EpollFile {
        EpollFile { ep: Epoll::new() }
    }
}

impl Default for EpollFile {
    fn default() -> Self {
        EpollFile::new()
    }
}

impl FileOps for EpollFile {
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
        self.ep.readiness()
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.ep.queue)
    }

    fn attr(&self) -> Result<Attr, Errno> {
        Ok(crate::fs::anon::attr())
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::pipe::new_pipe;
    use crate::mm::{IoDst, IoSrc};
    use crate::vfs::inode::Owner;

    fn pipe_files() -> (Arc<File>, Arc<File>) {
        let (r, w) = new_pipe(Owner::default());
        (
            File::new(Box::new(r), None, None, 0),
            File::new(Box::new(w), None, None, 1),
        )
    }

    fn put(w: &File, data: &[u8]) {
        w.ops.write(w, &mut IoSrc::buf(data), 0).unwrap();
    }

    fn take(r: &File, n: usize) {
        let mut b = vec![0u8; n];
        r.ops.read(r, &mut IoDst::buf(&mut b), 0).unwrap();
    }

    fn ev(events: u32, data: u64) -> EpollEvent {
        EpollEvent { events, data }
    }

    #[test]
    fn level_triggered_reports_until_drained() {
        let ep = Epoll::new();
        let (r, w) = pipe_files();
        ep.ctl(EPOLL_CTL_ADD, 3, &r, ev(EPOLLIN, 7)).unwrap();
        assert!(ep.collect(8).is_empty());
        put(&w, b"ab");
        assert_eq!(ep.collect(8), vec![ev(EPOLLIN, 7)]);
        assert_eq!(ep.collect(8), vec![ev(EPOLLIN, 7)]);
        take(&r, 2);
        assert!(ep.collect(8).is_empty());
        assert_eq!(
            ep.ctl(EPOLL_CTL_ADD, 3, &r, ev(EPOLLIN, 7)),
            Err(Errno::EEXIST)
        );
        assert_eq!(
            ep.ctl(EPOLL_CTL_MOD, 4, &r, ev(EPOLLIN, 7)),
            Err(Errno::ENOENT)
        );
        assert_eq!(ep.ctl(EPOLL_CTL_DEL, 3, &r, ev(0, 0)), Ok(()));
        assert_eq!(ep.ctl(EPOLL_CTL_DEL, 3, &r, ev(0, 0)), Err(Errno::ENOENT));
    }

    #[test]
    fn edge_triggered_reports_each_write_once() {
        let ep = Epoll::new();
        let (r, w) = pipe_files();
        ep.ctl(EPOLL_CTL_ADD, 3, &r, ev(EPOLLIN | EPOLLET, 1))
            .unwrap();
        put(&w, b"a");
        assert_eq!(ep.collect(8), vec![ev(EPOLLIN, 1)]);
        assert!(ep.collect(8).is_empty());
        put(&w, b"b");
        assert_eq!(ep.collect(8), vec![ev(EPOLLIN, 1)]);
        assert!(ep.collect(8).is_empty());
    }

    #[test]
    fn oneshot_disables_until_modified() {
        let ep = Epoll::new();
        let (r, w) = pipe_files();
        ep.ctl(EPOLL_CTL_ADD, 3, &r, ev(EPOLLIN | EPOLLONESHOT, 1))
            .unwrap();
        put(&w, b"a");
        assert_eq!(ep.collect(8).len(), 1);
        put(&w, b"b");
        assert!(ep.collect(8).is_empty());
        ep.ctl(EPOLL_CTL_MOD, 3, &r, ev(EPOLLIN | EPOLLONESHOT, 2))
            .unwrap();
        assert_eq!(ep.collect(8), vec![ev(EPOLLIN, 2)]);
    }

    #[test]
    fn hangup_and_closed_files() {
        let ep = Epoll::new();
        let (r, w) = pipe_files();
        ep.ctl(EPOLL_CTL_ADD, 3, &r, ev(EPOLLIN, 1)).unwrap();
        drop(w);
        assert_eq!(ep.collect(8), vec![ev(EPOLLHUP, 1)]);
        drop(r);
        assert!(ep.collect(8).is_empty());
        assert!(ep.mtx.lock().items.is_empty());
    }

    #[test]
    fn nesting_loops_and_self() {
        let a = File::new(Box::new(EpollFile::new()), None, None, 2);
        let b = File::new(Box::new(EpollFile::new()), None, None, 2);
        let (ea, eb) = (epoll_of(&a).unwrap().clone(), epoll_of(&b).unwrap().clone());
        assert_eq!(
            ea.ctl(EPOLL_CTL_ADD, 4, &a, ev(EPOLLIN, 0)),
            Err(Errno::EINVAL)
        );
        ea.ctl(EPOLL_CTL_ADD, 5, &b, ev(EPOLLIN, 0)).unwrap();
        assert_eq!(
            eb.ctl(EPOLL_CTL_ADD, 4, &a, ev(EPOLLIN, 0)),
            Err(Errno::ELOOP)
        );
        assert_eq!(
            ea.ctl(EPOLL_CTL_ADD, 6, &b, ev(EPOLLIN | EPOLLEXCLUSIVE, 0)),
            Err(Errno::EINVAL)
        );
        // b becomes readable when something in it is; a sees that.
        let (r, w) = pipe_files();
        eb.ctl(EPOLL_CTL_ADD, 3, &r, ev(EPOLLIN, 9)).unwrap();
        assert!(ea.collect(8).is_empty());
        put(&w, b"x");
        assert_eq!(ea.collect(8), vec![ev(EPOLLIN, 0)]);
        assert_eq!(eb.collect(8), vec![ev(EPOLLIN, 9)]);
    }

    #[test]
    fn depth_limit() {
        let files: Vec<Arc<File>> = (0..6)
            .map(|_| File::new(Box::new(EpollFile::new()), None, None, 2))
            .collect();
        let eps: Vec<Arc<Epoll>> = files.iter().map(|f| epoll_of(f).unwrap().clone()).collect();
        // A chain of five instances is allowed, a sixth is too deep.
        for i in 0..4 {
            eps[i]
                .ctl(EPOLL_CTL_ADD, 10 + i as i32, &files[i + 1], ev(EPOLLIN, 0))
                .unwrap();
        }
        assert_eq!(
            eps[4].ctl(EPOLL_CTL_ADD, 20, &files[5], ev(EPOLLIN, 0)),
            Err(Errno::ELOOP)
        );
    }
}
