//! Removing whole areas chosen by what backs them, for owners of mappings
//! that must find their own (shmdt(2), and dropping System V shm
//! attachments at exit).

use super::vma::Vma;
use super::Mm;

impl Mm {
    /// Unmap every area overlapping `[start, end)` for which `pick` says
    /// yes, each as a whole. Returns the removed areas; the caller drops
    /// them after this returns, so what their backings do when released
    /// runs without the address space's lock.
    pub fn unmap_areas(
        &self,
        start: u64,
        end: u64,
        mut pick: impl FnMut(&Vma) -> bool,
    ) -> Vec<Vma> {
        let mut st = self.st.lock();
        let chosen: Vec<(u64, u64)> = st
            .vmas
            .overlapping(start, end)
            .filter(|v| pick(v))
            .map(|v| (v.start, v.end))
            .collect();
        let mut removed = Vec::new();
        for (s, e) in chosen {
            removed.extend(st.vmas.remove_range(s, e));
            self.drop_pmas(&mut st, s, e);
        }
        removed
    }
}
