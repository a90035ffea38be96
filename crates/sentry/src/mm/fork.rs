//! fork(2) of an address space: same areas, frames shared copy-on-write.

use super::{Mm, MmState};
use abi::Errno;
use platform::{Platform, Prot};
use std::sync::atomic::Ordering;

impl Mm {
    /// A copy of this address space for a child process. Private pages
    /// become copy-on-write in both; shared pages stay shared.
    pub fn fork(&self, platform: &dyn Platform) -> Result<Mm, Errno> {
        let child = Mm::new(platform, self.mf.clone())?;
        let mut st = self.st.lock();
        let mut protect: Vec<(u64, u64, Prot)> = Vec::new();
        let vmas: Vec<super::vma::Vma> = st.vmas.iter().cloned().collect();
        for v in &vmas {
            st.pmas.split_at(v.start);
            st.pmas.split_at(v.end);
            let shared = v.shared;
            st.pmas.update_range(v.start, v.end, |p| {
                if !shared && !p.cow {
                    if p.mapped && v.prot.write() {
                        match protect.last_mut() {
                            Some((a, l, pr))
                                if *a + *l == p.start && *pr == v.prot.without_write() =>
                            {
                                *l += p.end - p.start
                            }
                            _ => protect.push((p.start, p.end - p.start, v.prot.without_write())),
                        }
                    }
                    p.cow = true;
                }
            });
        }
        if !protect.is_empty() {
            self.aspace.protect(&protect).map_err(|e| {
                tracing::warn!("fork: write-protect: {e}");
                Errno::ENOMEM
            })?;
            self.gen.fetch_add(1, Ordering::SeqCst);
        }
        let mut cst = child.st.lock();
        *cst = MmState {
            vmas: st.vmas.clone(),
            pmas: st.pmas.clone(),
            brk_start: st.brk_start,
            brk: st.brk,
            mmap_base: st.mmap_base,
            layout: st.layout.clone(),
        };
        // Objects that count their mappers (System V shm) get their own copy.
        cst.vmas.replace_backings(|m| m.fork_copy());
        // The child mirrors nothing yet; every frame gains a reference.
        let pmas: Vec<_> = cst.pmas.iter().copied().collect();
        for p in pmas {
            self.mf.incref(p.frame, p.end - p.start);
        }
        cst.pmas.update_range(0, u64::MAX, |p| p.mapped = false);
        drop(cst);
        drop(st);
        Ok(child)
    }
}
