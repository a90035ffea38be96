//! Virtual memory areas: what the application asked for, range by range.
//!
//! A [`VmaSet`] keeps non-overlapping areas keyed by start address and offers
//! the set operations mmap, munmap, mprotect and mremap are built from:
//! find, split at a boundary, remove a range, find a free gap.

use super::mappable::Mappable;
use platform::Prot;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What backs the pages of an area.
#[derive(Clone)]
pub enum Backing {
    /// Anonymous memory (private: zero-filled, copy-on-write after fork).
    Anon,
    /// A file (or shared anonymous memory object); `off` is the file offset of `start`.
    File { m: Arc<dyn Mappable>, off: u64 },
}

impl std::fmt::Debug for Backing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Backing::Anon => write!(f, "Anon"),
            Backing::File { off, .. } => write!(f, "File@{off:#x}"),
        }
    }
}

/// How /proc/PID/maps names an area that has no file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VmaName {
    None,
    Heap,
    Stack,
    Vdso,
    Vvar,
}

#[derive(Clone, Debug)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    pub prot: Prot,
    /// Protections mprotect may grant (a shared mapping of a read-only file never gets WRITE).
    pub max_prot: Prot,
    pub shared: bool,
    pub growsdown: bool,
    pub backing: Backing,
    pub name: VmaName,
}

impl Vma {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// The file offset of `addr` (for file-backed areas).
    pub fn file_offset(&self, addr: u64) -> u64 {
        match &self.backing {
            Backing::File { off, .. } => off + (addr - self.start),
            Backing::Anon => 0,
        }
    }

    /// The part of this area from `at` on, with the backing offset adjusted.
    fn tail_from(&self, at: u64) -> Vma {
        let mut t = self.clone();
        if let Backing::File { off, .. } = &mut t.backing {
            *off += at - self.start;
        }
        t.start = at;
        t
    }

    /// Whether `next` (starting at our end) can merge into us.
    fn can_merge(&self, next: &Vma) -> bool {
        if self.end != next.start
            || self.prot != next.prot
            || self.max_prot != next.max_prot
            || self.shared != next.shared
            || self.growsdown != next.growsdown
            || self.name != next.name
        {
            return false;
        }
        match (&self.backing, &next.backing) {
            (Backing::Anon, Backing::Anon) => true,
            (Backing::File { m: a, off: ao }, Backing::File { m: b, off: bo }) => {
                Arc::ptr_eq(a, b) && ao + self.len() == *bo
            }
            _ => false,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct VmaSet {
    map: BTreeMap<u64, Vma>,
}

impl VmaSet {
    pub fn iter(&self) -> impl Iterator<Item = &Vma> {
        self.map.values()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The area containing `addr`.
    pub fn find(&self, addr: u64) -> Option<&Vma> {
        self.map
            .range(..=addr)
            .next_back()
            .map(|(_, v)| v)
            .filter(|v| addr < v.end)
    }

    /// The first area ending above `addr` (containing it or after it).
    pub fn find_at_or_after(&self, addr: u64) -> Option<&Vma> {
        if let Some(v) = self.find(addr) {
            return Some(v);
        }
        self.map.range(addr..).next().map(|(_, v)| v)
    }

    /// Areas overlapping `[start, end)`.
    pub fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = &Vma> {
        let first = self
            .map
            .range(..=start)
            .next_back()
            .filter(|(_, v)| v.end > start)
            .map(|(&k, _)| k)
            .unwrap_or(start);
        self.map
            .range(first..end)
            .map(|(_, v)| v)
            .filter(move |v| v.end > start && v.start < end)
    }

    /// Whether any area overlaps `[start, end)`.
    pub fn any_in(&self, start: u64, end: u64) -> bool {
        self.overlapping(start, end).next().is_some()
    }

    /// Whether `[start, end)` is completely covered by areas.
    pub fn covers(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        for v in self.overlapping(start, end) {
            if v.start > at {
                return false;
            }
            at = v.end;
        }
        at >= end
    }

    /// Split the area containing `addr` so that an area starts at `addr`.
    pub fn split_at(&mut self, addr: u64) {
        let Some(v) = self.find(addr) else { return };
        if v.start == addr {
            return;
        }
        let key = v.start;
        let tail = v.tail_from(addr);
        if let Some(v) = self.map.get_mut(&key) {
            v.end = addr;
        }
        self.map.insert(addr, tail);
    }

    /// Remove `[start, end)`, splitting areas at the edges. Returns the removed pieces.
    pub fn remove_range(&mut self, start: u64, end: u64) -> Vec<Vma> {
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.map.range(start..end).map(|(&k, _)| k).collect();
        keys.into_iter()
            .filter_map(|k| self.map.remove(&k))
            .collect()
    }

    /// Insert an area over a range known to be free, merging with neighbours.
    pub fn insert(&mut self, v: Vma) {
        let start = v.start;
        self.map.insert(start, v);
        self.merge_around(start);
    }

    /// Merge the area at `start` with its neighbours where they are compatible.
    pub fn merge_around(&mut self, start: u64) {
        let mut key = start;
        if let Some((&pk, prev)) = self.map.range(..start).next_back() {
            if let Some(cur) = self.map.get(&start) {
                if prev.can_merge(cur) {
                    let end = cur.end;
                    self.map.remove(&start);
                    if let Some(p) = self.map.get_mut(&pk) {
                        p.end = end;
                    }
                    key = pk;
                }
            }
        }
        let Some(cur) = self.map.get(&key) else {
            return;
        };
        let next_key = cur.end;
        if let Some(next) = self.map.get(&next_key) {
            if cur.can_merge(next) {
                let end = next.end;
                self.map.remove(&next_key);
                if let Some(c) = self.map.get_mut(&key) {
                    c.end = end;
                }
            }
        }
    }

    /// Apply `f` to every area in `[start, end)` (split at the edges first), then re-merge.
    pub fn update_range(&mut self, start: u64, end: u64, mut f: impl FnMut(&mut Vma)) {
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.map.range(start..end).map(|(&k, _)| k).collect();
        for k in &keys {
            if let Some(v) = self.map.get_mut(k) {
                f(v);
            }
        }
        for k in keys {
            if self.map.contains_key(&k) {
                self.merge_around(k);
            }
        }
        if let Some((&k, _)) = self.map.range(..=end).next_back() {
            self.merge_around(k);
        }
    }

    /// Replace the backing object of file-backed areas where `f` gives a
    /// new one; areas sharing an object get the same replacement.
    pub fn replace_backings(
        &mut self,
        mut f: impl FnMut(&Arc<dyn Mappable>) -> Option<Arc<dyn Mappable>>,
    ) {
        let mut done: Vec<(*const (), Arc<dyn Mappable>)> = Vec::new();
        for v in self.map.values_mut() {
            let Backing::File { m, .. } = &mut v.backing else {
                continue;
            };
            let key = Arc::as_ptr(m) as *const ();
            if let Some((_, new)) = done.iter().find(|(k, _)| *k == key) {
                *m = new.clone();
            } else if let Some(new) = f(m) {
                done.push((key, new.clone()));
                *m = new;
            }
        }
    }

    /// The highest free gap of `len` bytes whose end is at most `top` and start at least `bottom`.
    pub fn find_free_top_down(&self, len: u64, bottom: u64, top: u64) -> Option<u64> {
        let mut hi = top;
        for v in self.map.values().rev() {
            if v.start >= hi {
                continue;
            }
            if v.end <= hi && hi - v.end >= len && hi - len >= bottom {
                return Some(hi - len);
            }
            hi = hi.min(v.start);
            if hi < bottom.saturating_add(len) {
                return None;
            }
        }
        if hi >= bottom.saturating_add(len) {
            Some(hi - len)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon(start: u64, end: u64, prot: u32) -> Vma {
        Vma {
            start,
            end,
            prot: Prot(prot),
            max_prot: Prot(7),
            shared: false,
            growsdown: false,
            backing: Backing::Anon,
            name: VmaName::None,
        }
    }

    fn ranges(s: &VmaSet) -> Vec<(u64, u64, u32)> {
        s.iter().map(|v| (v.start, v.end, v.prot.0)).collect()
    }

    #[test]
    fn insert_merges_compatible_neighbours() {
        let mut s = VmaSet::default();
        s.insert(anon(0x1000, 0x2000, 3));
        s.insert(anon(0x3000, 0x4000, 3));
        s.insert(anon(0x2000, 0x3000, 3));
        assert_eq!(ranges(&s), vec![(0x1000, 0x4000, 3)]);
        s.insert(anon(0x4000, 0x5000, 1));
        assert_eq!(ranges(&s), vec![(0x1000, 0x4000, 3), (0x4000, 0x5000, 1)]);
    }

    #[test]
    fn remove_range_splits_edges() {
        let mut s = VmaSet::default();
        s.insert(anon(0x1000, 0x9000, 3));
        let removed = s.remove_range(0x3000, 0x5000);
        assert_eq!(removed.len(), 1);
        assert_eq!((removed[0].start, removed[0].end), (0x3000, 0x5000));
        assert_eq!(ranges(&s), vec![(0x1000, 0x3000, 3), (0x5000, 0x9000, 3)]);
        assert!(s.find(0x4000).is_none());
        assert!(s.find(0x5000).is_some());
        assert!(!s.covers(0x1000, 0x9000));
        assert!(s.covers(0x5000, 0x9000));
    }

    #[test]
    fn update_range_splits_and_remerges() {
        let mut s = VmaSet::default();
        s.insert(anon(0x1000, 0x9000, 3));
        s.update_range(0x2000, 0x3000, |v| v.prot = Prot(1));
        assert_eq!(
            ranges(&s),
            vec![
                (0x1000, 0x2000, 3),
                (0x2000, 0x3000, 1),
                (0x3000, 0x9000, 3)
            ]
        );
        s.update_range(0x2000, 0x3000, |v| v.prot = Prot(3));
        assert_eq!(ranges(&s), vec![(0x1000, 0x9000, 3)]);
    }

    #[test]
    fn file_offsets_follow_splits() {
        struct Nothing;
        impl Mappable for Nothing {
            fn get_frames(&self, _: u64, _: u64, _: bool) -> Result<Vec<(u64, u64)>, abi::Errno> {
                Err(abi::Errno::EIO)
            }
            fn size(&self) -> u64 {
                0
            }
        }
        let mut s = VmaSet::default();
        let m: Arc<dyn Mappable> = Arc::new(Nothing);
        let mut v = anon(0x10000, 0x20000, 1);
        v.backing = Backing::File { m, off: 0x5000 };
        s.insert(v);
        s.split_at(0x12000);
        assert_eq!(
            s.find(0x12000).map(|v| v.file_offset(0x13000)),
            Some(0x8000)
        );
    }

    #[test]
    fn free_gaps_top_down() {
        let mut s = VmaSet::default();
        s.insert(anon(0x8000, 0x9000, 3));
        s.insert(anon(0x5000, 0x6000, 1));
        assert_eq!(s.find_free_top_down(0x1000, 0x1000, 0xa000), Some(0x9000));
        assert_eq!(s.find_free_top_down(0x2000, 0x1000, 0xa000), Some(0x6000));
        assert_eq!(s.find_free_top_down(0x3000, 0x1000, 0xa000), Some(0x2000));
        assert_eq!(s.find_free_top_down(0x5000, 0x1000, 0xa000), None);
        assert_eq!(s.find_free_top_down(0x1000, 0x1000, 0x8800), Some(0x7000));
    }
}
