//! The bound on the dentry cache: which cached dentries are dropped, and
//! when.
//!
//! A directory's dentry keeps the children looked up through it, so
//! repeated walks do not ask the filesystem again. Unbounded, that cache
//! grows with every name a sandbox ever touched, and for Gofer-backed
//! trees each cached inode also holds a Gofer fid, hence a host fd in the
//! Gofer: a `find` over a big tree ran the Gofer out of fds.
//!
//! # Which dentries may go
//!
//! A dentry is *unused* when its parent's map holds the only reference to
//! it: no open file, cwd, root, or walk in progress holds it (they all hold
//! an `Arc`), no mount sits on it (a mount holds its mountpoint, and
//! `mounts` is checked too), and none of its own children is cached (each
//! child holds its parent). inotify watches are keyed by (device, inode
//! number), never by dentry or inode object, so they need neither.
//! [`Dentry::evict`] checks this and removes the entry under the parent's
//! `children` lock, the lock every lookup takes to clone an entry: a
//! concurrent lookup either got its reference first (and the count says
//! "used") or finds no entry and asks the filesystem afresh.
//!
//! After an eviction the parent's inode is told (`Inode::forget_child`) so a
//! filesystem with its own child cache (the overlay) can drop its object
//! too, if nothing else holds it and it has no state to remember.
//! Evicting is safe on every filesystem here: tmpfs directories own their
//! children (a new lookup returns the same inode object); proc, sys and
//! devpts inodes are stateless views rebuilt from the kernel's, sysfs's or
//! the devpts superblock's state (devpts slaves live in the superblock);
//! Gofer inodes are rebuilt from the host, with the host's inode number.
//!
//! # When
//!
//! Every dentry that enters a parent's map is queued here (a `Weak`), in
//! order of arrival; a cache hit only sets the dentry's `referenced` bit.
//! When the queue grows past a trigger, the lookup that pushed it past
//! sweeps: the CLOCK approximation of least-recently-used. From the front,
//! an entry that is gone or no longer in its parent's map is dropped; one
//! that is referenced or used goes to the back (its bit cleared); an unused
//! one is evicted. The sweep stops once the queue is at the bound, or after
//! two passes (so referenced entries get their second chance). The next
//! trigger is a quarter above the bound or above what the sweep could not
//! evict, whichever is larger, so a sandbox whose cached dentries are all
//! in use (many open files) pays O(1) amortised per insertion, not a full
//! sweep each.
//!
//! The bound (a quarter of the hard fd limit, between [`DEFAULT_BOUND`] and
//! [`MAX_BOUND`], or `RVISOR_DENTRY_CACHE`) counts all queued
//! dentries of the sandbox, used or not; so the cache holds at most about
//! 1.25 x max(bound, dentries in use) entries.
//!
//! Lock order: the queue lock, then a directory's `children` (dentry.rs).
//! Dentries are queued after the `children` lock is released, and evicted
//! dentries are dropped (and filesystems told) after the queue lock is
//! released: dropping a Gofer inode may talk to the Gofer.

use super::dentry::{Busy, Dentry};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::{Arc, LazyLock, Weak};

/// The fewest dentries the cache keeps before sweeping. gVisor keeps 1000
/// unused dentries per filesystem; ours counts used ones too and is shared
/// by the whole sandbox, and each cached Gofer dentry costs one host fd in
/// the Gofer, so under a hard RLIMIT_NOFILE of 1024 it must sit well below
/// that (the Gofer also needs fds for open files): at 512, the trigger (640)
/// plus the dentries in use leaves the Gofer room.
pub const DEFAULT_BOUND: usize = 512;

/// The most: a working set larger than the cache re-walks evicted names
/// through the Gofer, so the bound grows with the fds the Gofer may hold
/// (it raises its soft limit to the hard one), up to this.
pub const MAX_BOUND: usize = 16384;

/// The bound for this process's fd limit: a quarter of the hard limit,
/// between [`DEFAULT_BOUND`] and [`MAX_BOUND`].
fn bound_for_limits() -> usize {
    let hard = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum;
    let quarter = hard.map_or(MAX_BOUND, |h| usize::try_from(h / 4).unwrap_or(MAX_BOUND));
    quarter.clamp(DEFAULT_BOUND, MAX_BOUND)
}

/// The smallest gap between a sweep and the next trigger.
const MIN_SLACK: usize = 16;

static GLOBAL: LazyLock<Mutex<Lru>> = LazyLock::new(|| {
    let bound = if cfg!(test) {
        // Unit tests run in parallel in one process and look at what is
        // cached: the shared queue never sweeps there (dcache_tests.rs
        // sweeps queues of its own).
        usize::MAX / 2
    } else {
        std::env::var("RVISOR_DENTRY_CACHE")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or_else(bound_for_limits)
    };
    Mutex::new(Lru::new(bound))
});

/// Queue `d`, just added to its parent's map, in the sandbox's cache, and
/// sweep if the cache is over its trigger.
pub fn cached(d: &Arc<Dentry>) {
    let evicted = {
        let mut lru = GLOBAL.lock();
        lru.push(d);
        if !lru.over() {
            return;
        }
        lru.sweep()
    };
    finish(evicted);
}

/// Drop evicted dentries and tell their parents' filesystems (outside the
/// queue lock).
fn finish(evicted: Vec<Evicted>) {
    for e in evicted {
        e.finish();
    }
}

/// A dentry taken out of its parent's map, not yet dropped.
pub(super) struct Evicted {
    pub dentry: Arc<Dentry>,
    pub parent: Arc<Dentry>,
    pub name: Vec<u8>,
}

impl Evicted {
    /// Drop the dentry (its inode with it, unless another holds it), then
    /// let the parent's filesystem forget its own copy.
    pub fn finish(self) {
        let Evicted {
            dentry,
            parent,
            name,
        } = self;
        drop(dentry);
        parent.inode.forget_child(&name);
    }
}

/// A CLOCK queue of cached dentries.
pub(super) struct Lru {
    bound: usize,
    queue: VecDeque<Weak<Dentry>>,
    /// Sweep when the queue grows past this.
    trigger: usize,
}

impl Lru {
    pub fn new(bound: usize) -> Lru {
        Lru {
            bound,
            queue: VecDeque::new(),
            trigger: Self::trigger_for(bound, 0),
        }
    }

    fn trigger_for(bound: usize, kept: usize) -> usize {
        let base = bound.max(kept);
        base.saturating_add((base / 4).max(MIN_SLACK))
    }

    pub fn push(&mut self, d: &Arc<Dentry>) {
        self.queue.push_back(Arc::downgrade(d));
    }

    pub fn over(&self) -> bool {
        self.queue.len() > self.trigger
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Evict unused, unreferenced dentries from the front until the queue
    /// is at the bound. The caller drops what comes back (`Evicted::finish`).
    pub fn sweep(&mut self) -> Vec<Evicted> {
        let mut out = Vec::new();
        let mut budget = self.queue.len() * 2;
        while self.queue.len() > self.bound && budget > 0 {
            budget -= 1;
            let Some(w) = self.queue.pop_front() else {
                break;
            };
            let Some(d) = w.upgrade() else {
                continue; // already gone
            };
            if d.take_referenced() {
                self.queue.push_back(w);
                continue;
            }
            match d.evict() {
                Ok(e) => out.push(e),
                // Used: it stays, and may be unused next time.
                Err(Busy::Used) => self.queue.push_back(w),
                // Removed or moved out (a move queues it again).
                Err(Busy::NotCached) => {}
            }
        }
        self.trigger = Self::trigger_for(self.bound, self.queue.len());
        out
    }
}
