//! Which MemoryFile frames back which application pages.
//!
//! A [`Pma`] covers a page range whose frames are contiguous. `cow` marks
//! frames the address space may read but not write in place (shared with
//! another address space after fork, or a file's page cache under a private
//! mapping); the first write copies them. `mapped` records whether the
//! platform's address space currently mirrors the range.

use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pma {
    pub start: u64,
    pub end: u64,
    pub frame: u64,
    pub cow: bool,
    pub mapped: bool,
}

impl Pma {
    /// The frame behind `addr`.
    pub fn frame_at(&self, addr: u64) -> u64 {
        self.frame + (addr - self.start)
    }
}

#[derive(Clone, Debug, Default)]
pub struct PmaSet {
    map: BTreeMap<u64, Pma>,
}

impl PmaSet {
    pub fn find(&self, addr: u64) -> Option<&Pma> {
        self.map
            .range(..=addr)
            .next_back()
            .map(|(_, p)| p)
            .filter(|p| addr < p.end)
    }

    /// Pmas overlapping `[start, end)`, in address order.
    pub fn overlapping(&self, start: u64, end: u64) -> Vec<Pma> {
        let first = self
            .map
            .range(..=start)
            .next_back()
            .filter(|(_, p)| p.end > start)
            .map(|(&k, _)| k)
            .unwrap_or(start);
        self.map
            .range(first..end)
            .map(|(_, p)| *p)
            .filter(|p| p.end > start && p.start < end)
            .collect()
    }

    pub fn split_at(&mut self, addr: u64) {
        let Some(p) = self.find(addr).copied() else {
            return;
        };
        if p.start == addr {
            return;
        }
        let tail = Pma {
            start: addr,
            frame: p.frame_at(addr),
            ..p
        };
        if let Some(h) = self.map.get_mut(&p.start) {
            h.end = addr;
        }
        self.map.insert(addr, tail);
    }

    /// Remove and return the pmas in `[start, end)`, split at the edges.
    pub fn remove_range(&mut self, start: u64, end: u64) -> Vec<Pma> {
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.map.range(start..end).map(|(&k, _)| k).collect();
        keys.into_iter()
            .filter_map(|k| self.map.remove(&k))
            .collect()
    }

    pub fn insert(&mut self, p: Pma) {
        self.map.insert(p.start, p);
    }

    /// Apply `f` to every pma in `[start, end)`, split at the edges.
    pub fn update_range(&mut self, start: u64, end: u64, mut f: impl FnMut(&mut Pma)) {
        self.split_at(start);
        self.split_at(end);
        for (_, p) in self.map.range_mut(start..end) {
            f(p);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Pma> {
        self.map.values()
    }

    /// Gaps (ranges without a pma) inside `[start, end)`.
    pub fn gaps(&self, start: u64, end: u64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut at = start;
        for p in self.overlapping(start, end) {
            if p.start > at {
                out.push((at, p.start));
            }
            at = at.max(p.end);
        }
        if at < end {
            out.push((at, end));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_gaps() {
        let mut s = PmaSet::default();
        s.insert(Pma {
            start: 0x1000,
            end: 0x5000,
            frame: 0x10000,
            cow: false,
            mapped: false,
        });
        s.split_at(0x3000);
        assert_eq!(s.find(0x3000).map(|p| p.frame), Some(0x12000));
        let r = s.remove_range(0x2000, 0x4000);
        assert_eq!(r.len(), 2);
        assert_eq!(
            s.gaps(0x0, 0x6000),
            vec![(0x0, 0x1000), (0x2000, 0x4000), (0x5000, 0x6000)]
        );
        assert_eq!(s.find(0x4000).map(|p| p.frame), Some(0x13000));
    }
}
