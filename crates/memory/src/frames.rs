//! Frame allocation and reference counts for the MemoryFile.
//!
//! Offsets are page aligned. Free space is a set of extents keyed by start;
//! reference counts are one `u32` per page up to the high-water mark, which
//! tracks memory actually handed out, so the table stays small.

use abi::{Errno, PAGE_SIZE};
use std::collections::BTreeMap;

/// Page-granular allocator over `[0, limit)`.
#[derive(Debug)]
pub struct FrameAllocator {
    limit: u64,
    /// Everything at or above `high` is free and untouched.
    high: u64,
    /// Free extents below `high`: start -> length.
    free: BTreeMap<u64, u64>,
    /// Reference count of each page below `high`.
    refs: Vec<u32>,
    /// Pages with a non-zero count.
    used_pages: u64,
}

impl FrameAllocator {
    pub fn new(limit: u64) -> FrameAllocator {
        FrameAllocator {
            limit,
            high: 0,
            free: BTreeMap::new(),
            refs: Vec::new(),
            used_pages: 0,
        }
    }

    /// Allocate `len` bytes (page multiple, > 0) of contiguous frames, each with
    /// reference count 1. Returns the offset.
    pub fn alloc(&mut self, len: u64) -> Result<u64, Errno> {
        if len == 0 || !len.is_multiple_of(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        // First fit among freed extents.
        let found = self
            .free
            .iter()
            .find(|(_, &l)| l >= len)
            .map(|(&s, &l)| (s, l));
        let start = if let Some((s, l)) = found {
            self.free.remove(&s);
            if l > len {
                self.free.insert(s + len, l - len);
            }
            s
        } else {
            let s = self.high;
            let end = s.checked_add(len).ok_or(Errno::ENOMEM)?;
            if end > self.limit {
                return Err(Errno::ENOMEM);
            }
            self.high = end;
            self.refs.resize((end / PAGE_SIZE) as usize, 0);
            s
        };
        for r in &mut self.refs[(start / PAGE_SIZE) as usize..((start + len) / PAGE_SIZE) as usize]
        {
            *r = 1;
        }
        self.used_pages += len / PAGE_SIZE;
        Ok(start)
    }

    fn range(&self, off: u64, len: u64) -> std::ops::Range<usize> {
        let a = (off / PAGE_SIZE) as usize;
        let b = (off.saturating_add(len).div_ceil(PAGE_SIZE) as usize).min(self.refs.len());
        a.min(b)..b
    }

    /// Add one reference to every page in the range.
    pub fn incref(&mut self, off: u64, len: u64) {
        let r = self.range(off, len);
        for c in &mut self.refs[r] {
            debug_assert!(*c > 0, "incref of a free frame");
            *c = c.saturating_add(1);
        }
    }

    /// Drop one reference from every page in the range. Returns the extents
    /// whose count reached zero. They are NOT free yet: the caller releases
    /// their storage and then hands them back with [`FrameAllocator::release`],
    /// so nobody can allocate a frame whose old contents are still being
    /// discarded.
    pub fn decref(&mut self, off: u64, len: u64) -> Vec<(u64, u64)> {
        let r = self.range(off, len);
        let mut freed: Vec<(u64, u64)> = Vec::new();
        for i in r {
            let c = &mut self.refs[i];
            if *c == 0 {
                debug_assert!(false, "decref of a free frame");
                continue;
            }
            *c -= 1;
            if *c == 0 {
                self.used_pages -= 1;
                let p = i as u64 * PAGE_SIZE;
                match freed.last_mut() {
                    Some((s, l)) if *s + *l == p => *l += PAGE_SIZE,
                    _ => freed.push((p, PAGE_SIZE)),
                }
            }
        }
        freed
    }

    /// Return extents that `decref` reported, once their storage is gone.
    pub fn release(&mut self, s: u64, l: u64) {
        self.insert_free(s, l);
    }

    fn insert_free(&mut self, mut s: u64, mut l: u64) {
        if let Some((&ps, &pl)) = self.free.range(..s).next_back() {
            if ps + pl == s {
                self.free.remove(&ps);
                s = ps;
                l += pl;
            }
        }
        if let Some(&nl) = self.free.get(&(s + l)) {
            self.free.remove(&(s + l));
            l += nl;
        }
        if s + l == self.high {
            self.high = s;
            self.refs.truncate((s / PAGE_SIZE) as usize);
        } else {
            self.free.insert(s, l);
        }
    }

    /// Reference count of the page containing `off`.
    pub fn refcount(&self, off: u64) -> u32 {
        self.refs
            .get((off / PAGE_SIZE) as usize)
            .copied()
            .unwrap_or(0)
    }

    /// Bytes currently allocated.
    pub fn used_bytes(&self) -> u64 {
        self.used_pages * PAGE_SIZE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const P: u64 = PAGE_SIZE;

    #[test]
    fn alloc_free_reuse() {
        let mut a = FrameAllocator::new(100 * P);
        let x = a.alloc(4 * P).unwrap();
        let y = a.alloc(2 * P).unwrap();
        assert_eq!((x, y), (0, 4 * P));
        assert_eq!(a.decref(x, 4 * P), vec![(0, 4 * P)]);
        // Not reusable until released.
        assert_eq!(a.alloc(3 * P).unwrap(), 6 * P);
        a.release(0, 4 * P);
        let z = a.alloc(3 * P).unwrap();
        assert_eq!(z, 0);
        assert_eq!(a.used_bytes(), 8 * P);
        assert!(a.alloc(1000 * P).is_err());
        assert!(a.alloc(0).is_err());
    }

    #[test]
    fn shared_frames_survive_one_decref() {
        let mut a = FrameAllocator::new(100 * P);
        let x = a.alloc(2 * P).unwrap();
        a.incref(x, P);
        assert_eq!(a.refcount(x), 2);
        assert_eq!(a.decref(x, 2 * P), vec![(P, P)]);
        a.release(P, P);
        assert_eq!(a.refcount(x), 1);
        assert_eq!(a.decref(x, P), vec![(0, P)]);
        a.release(0, P);
        // Everything free again: the high-water mark fell back to zero.
        assert_eq!(a.used_bytes(), 0);
        assert_eq!(a.alloc(P).unwrap(), 0);
    }

    #[test]
    fn free_extents_coalesce() {
        let mut a = FrameAllocator::new(100 * P);
        let x = a.alloc(P).unwrap();
        let y = a.alloc(P).unwrap();
        let z = a.alloc(P).unwrap();
        let _keep = a.alloc(P).unwrap();
        for (s, l) in a
            .decref(x, P)
            .into_iter()
            .chain(a.decref(z, P))
            .chain(a.decref(y, P))
        {
            a.release(s, l);
        }
        assert_eq!(a.alloc(3 * P).unwrap(), 0);
    }
}
