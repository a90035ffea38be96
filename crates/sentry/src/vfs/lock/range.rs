//! Byte-range record locks of one file: the list Linux keeps in
//! `flc_posix`, holding POSIX (process) and OFD (open file description)
//! locks together, since the two kinds conflict with each other.
//!
//! Ranges are inclusive `[start, end]` in `0..=OFFSET_MAX`; a lock "to the
//! end of the file" ends at `OFFSET_MAX`. One owner's locks never overlap:
//! setting a lock replaces what the owner held in its range, splitting
//! locks of another type and merging with adjacent or overlapping locks of
//! the same type. The list is grouped by owner (in the order owners first
//! locked) and sorted by start within an owner, so the first conflict found
//! is the one Linux's F_GETLK reports.
//!
//! Pure logic: no locking, no waiting.

/// The largest offset (`loff_t`'s maximum); a lock ending here runs to EOF.
pub const OFFSET_MAX: i64 = i64::MAX;

/// Who holds a record lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Owner {
    /// A POSIX lock: owned by an fd table (Linux's `current->files`, the
    /// process for all ordinary programs).
    Posix(usize),
    /// An OFD lock: owned by the open file description.
    Ofd(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockType {
    Read,
    Write,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordLock {
    pub owner: Owner,
    pub typ: LockType,
    pub start: i64,
    pub end: i64,
    /// The thread group id of the process that set it.
    pub pid: i32,
}

impl RecordLock {
    fn overlaps(&self, start: i64, end: i64) -> bool {
        self.start <= end && start <= self.end
    }

    /// Overlapping or touching: two locks of one type that merge.
    fn touches(&self, start: i64, end: i64) -> bool {
        self.start <= end.saturating_add(1) && start <= self.end.saturating_add(1)
    }
}

/// The record locks of one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordLocks {
    locks: Vec<RecordLock>,
}

impl RecordLocks {
    pub fn is_empty(&self) -> bool {
        self.locks.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &RecordLock> {
        self.locks.iter()
    }

    /// The first lock of another owner that a request by `owner` for
    /// `[start, end]` conflicts with. `write` is whether the request is a
    /// write lock: two locks conflict when they overlap and either is a
    /// write lock (a test for an unlock request conflicts with write
    /// locks only, as Linux's F_OFD_GETLK with F_UNLCK does).
    pub fn conflict(&self, owner: Owner, write: bool, start: i64, end: i64) -> Option<RecordLock> {
        self.locks
            .iter()
            .find(|l| {
                l.owner != owner && l.overlaps(start, end) && (write || l.typ == LockType::Write)
            })
            .copied()
    }

    /// Set (`Some(typ)`) or remove (`None`) `owner`'s lock on
    /// `[start, end]`, without checking for conflicts. Returns whether
    /// anything the owner held was removed or weakened (waiters may go on).
    pub fn set(
        &mut self,
        owner: Owner,
        typ: Option<LockType>,
        start: i64,
        end: i64,
        pid: i32,
    ) -> bool {
        let at = self.locks.iter().position(|l| l.owner == owner);
        let mut mine: Vec<RecordLock> = Vec::new();
        let mut others: Vec<RecordLock> = Vec::with_capacity(self.locks.len());
        for l in self.locks.drain(..) {
            if l.owner == owner {
                mine.push(l);
            } else {
                others.push(l);
            }
        }
        let mut released = false;
        let mut new = typ.map(|typ| RecordLock {
            owner,
            typ,
            start,
            end,
            pid,
        });
        let mut kept = Vec::with_capacity(mine.len() + 2);
        for l in mine {
            match &mut new {
                Some(n) if l.typ == n.typ && l.touches(start, end) => {
                    // Same type: absorbed into the new lock. What it
                    // covered outside the request stays covered.
                    n.start = n.start.min(l.start);
                    n.end = n.end.max(l.end);
                }
                _ if l.overlaps(start, end) => {
                    // Keep the parts outside the request.
                    if l.start < start {
                        kept.push(RecordLock {
                            end: start - 1,
                            ..l
                        });
                    }
                    if l.end > end {
                        kept.push(RecordLock {
                            start: end + 1,
                            ..l
                        });
                    }
                    // An unlock, or a write lock downgraded to read (a
                    // read lock here would have merged above); a write
                    // request only strengthens what it replaces.
                    released |= typ != Some(LockType::Write);
                }
                _ => kept.push(l),
            }
        }
        kept.extend(new);
        kept.sort_by_key(|l| l.start);
        let at = at.unwrap_or(others.len()).min(others.len());
        others.splice(at..at, kept);
        self.locks = others;
        released
    }

    /// Remove every lock of `owner`; returns whether there was any.
    pub fn remove_owner(&mut self, owner: Owner) -> bool {
        let before = self.locks.len();
        self.locks.retain(|l| l.owner != owner);
        self.locks.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LockType::{Read, Write};

    const A: Owner = Owner::Posix(1);
    const B: Owner = Owner::Posix(2);
    const O: Owner = Owner::Ofd(3);

    fn ranges(l: &RecordLocks, o: Owner) -> Vec<(LockType, i64, i64)> {
        l.iter()
            .filter(|x| x.owner == o)
            .map(|x| (x.typ, x.start, x.end))
            .collect()
    }

    #[test]
    fn unlock_in_the_middle_splits() {
        let mut l = RecordLocks::default();
        l.set(A, Some(Write), 0, 100, 10);
        assert!(l.set(A, None, 40, 60, 10));
        assert_eq!(ranges(&l, A), vec![(Write, 0, 39), (Write, 61, 100)]);
        assert!(l.conflict(B, false, 40, 60).is_none());
        assert_eq!(l.conflict(B, false, 39, 39).map(|c| c.end), Some(39));
        assert_eq!(l.conflict(B, false, 50, 70).map(|c| c.start), Some(61));
        assert!(l.conflict(B, false, 101, OFFSET_MAX).is_none());
    }

    #[test]
    fn same_type_merges_adjacent_and_overlapping() {
        let mut l = RecordLocks::default();
        l.set(A, Some(Read), 0, 9, 1);
        l.set(A, Some(Read), 20, 29, 1);
        l.set(A, Some(Read), 10, 19, 1);
        assert_eq!(ranges(&l, A), vec![(Read, 0, 29)]);
        l.set(A, Some(Read), 25, OFFSET_MAX, 1);
        assert_eq!(ranges(&l, A), vec![(Read, 0, OFFSET_MAX)]);
    }

    #[test]
    fn other_type_splits_and_remerges() {
        let mut l = RecordLocks::default();
        l.set(A, Some(Read), 0, 10, 1);
        assert!(!l.set(A, Some(Write), 5, 5, 1));
        assert_eq!(
            ranges(&l, A),
            vec![(Read, 0, 4), (Write, 5, 5), (Read, 6, 10)]
        );
        // Downgrading releases: waiters for a read lock may go on.
        assert!(l.set(A, Some(Read), 5, 5, 1));
        assert_eq!(ranges(&l, A), vec![(Read, 0, 10)]);
    }

    #[test]
    fn upgrade_covering_everything() {
        let mut l = RecordLocks::default();
        l.set(A, Some(Read), 10, 20, 1);
        l.set(A, Some(Write), 0, OFFSET_MAX, 1);
        assert_eq!(ranges(&l, A), vec![(Write, 0, OFFSET_MAX)]);
    }

    #[test]
    fn conflicts_need_overlap_and_a_writer() {
        let mut l = RecordLocks::default();
        l.set(A, Some(Read), 0, 10, 1);
        assert!(l.conflict(B, false, 0, 10).is_none());
        assert!(l.conflict(B, true, 11, 20).is_none());
        assert_eq!(l.conflict(B, true, 10, 20).map(|c| c.owner), Some(A));
        // An owner never conflicts with itself.
        assert!(l.conflict(A, true, 0, 10).is_none());
        // POSIX and OFD locks conflict with each other.
        assert_eq!(l.conflict(O, true, 0, 0).map(|c| c.owner), Some(A));
        l.set(O, Some(Write), 50, 60, 1);
        assert_eq!(l.conflict(A, false, 0, 100).map(|c| c.owner), Some(O));
        // An unlock test sees write locks only.
        assert!(l.conflict(B, false, 0, 10).is_none());
    }

    #[test]
    fn owners_stay_grouped_in_first_lock_order() {
        let mut l = RecordLocks::default();
        l.set(A, Some(Write), 50, 60, 1);
        l.set(B, Some(Write), 0, 10, 2);
        l.set(A, Some(Write), 20, 30, 1);
        let order: Vec<(Owner, i64)> = l.iter().map(|x| (x.owner, x.start)).collect();
        assert_eq!(order, vec![(A, 20), (A, 50), (B, 0)]);
        // The first conflict is A's lowest lock.
        assert_eq!(
            l.conflict(Owner::Posix(9), true, 0, 100).map(|c| c.start),
            Some(20)
        );
    }

    #[test]
    fn unlock_and_remove_owner() {
        let mut l = RecordLocks::default();
        assert!(!l.set(A, None, 0, OFFSET_MAX, 1));
        l.set(A, Some(Write), 0, 0, 1);
        l.set(B, Some(Read), 5, 5, 2);
        assert!(l.remove_owner(A));
        assert!(!l.remove_owner(A));
        assert_eq!(ranges(&l, B), vec![(Read, 5, 5)]);
        assert!(l.set(B, None, 0, OFFSET_MAX, 2));
        assert!(l.is_empty());
    }
}
