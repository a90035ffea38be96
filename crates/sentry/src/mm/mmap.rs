//! The address-space operations behind mmap, munmap, mprotect, brk, mremap,
//! madvise and mincore, with Linux's argument rules.

use super::vma::{Backing, Vma, VmaName};
use super::{align_up, Mappable, Mm, MMAP_MIN_ADDR};
use abi::{Errno, PAGE_SIZE};
use platform::Prot;
use std::sync::Arc;

/// A decoded mmap request.
#[derive(Clone, Debug)]
pub struct MmapOpts {
    pub addr: u64,
    pub len: u64,
    pub prot: Prot,
    pub max_prot: Prot,
    pub shared: bool,
    pub fixed: bool,
    pub noreplace: bool,
    pub growsdown: bool,
    pub populate: bool,
    /// MAP_NORESERVE: exempt from the overcommit heuristic.
    pub noreserve: bool,
    pub backing: Backing,
    pub name: VmaName,
}

impl MmapOpts {
    pub fn anon(len: u64, prot: Prot) -> MmapOpts {
        MmapOpts {
            addr: 0,
            len,
            prot,
            max_prot: Prot(7),
            shared: false,
            fixed: false,
            noreplace: false,
            growsdown: false,
            populate: false,
            noreserve: false,
            backing: Backing::Anon,
            name: VmaName::None,
        }
    }
}

pub const MREMAP_MAYMOVE: u64 = 1;
pub const MREMAP_FIXED: u64 = 2;
pub const MREMAP_DONTUNMAP: u64 = 4;

/// Linux's heuristic overcommit (vm.overcommit_memory = 0): a single
/// request larger than all memory and swap is refused.
pub fn overcommit_ok(len: u64) -> bool {
    let si = rustix::system::sysinfo();
    let unit = (si.mem_unit as u64).max(1);
    let total = (si.totalram as u64)
        .saturating_add(si.totalswap as u64)
        .saturating_mul(unit);
    len <= total
}

/// Linux's PAGE_ALIGN: rounds up, wrapping to 0 at the top.
fn align_wrap(len: u64) -> u64 {
    len.wrapping_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1)
}

fn page_len(len: u64) -> Result<u64, Errno> {
    let l = align_up(len, PAGE_SIZE);
    if l < len || l == 0 && len != 0 {
        return Err(Errno::ENOMEM);
    }
    Ok(l)
}

impl Mm {
    /// Place a new mapping. Returns its address.
    pub fn mmap(&self, o: MmapOpts) -> Result<u64, Errno> {
        if o.len == 0 {
            return Err(Errno::EINVAL);
        }
        let len = page_len(o.len)?;
        if len > self.max_addr {
            return Err(Errno::ENOMEM);
        }
        if o.prot.write() && !o.shared && !o.noreserve && !overcommit_ok(len) {
            return Err(Errno::ENOMEM);
        }
        let mut st = self.st.lock();
        let addr = if o.fixed || o.noreplace {
            if !o.addr.is_multiple_of(PAGE_SIZE) {
                return Err(Errno::EINVAL);
            }
            let end = o.addr.checked_add(len).ok_or(Errno::ENOMEM)?;
            if end > self.max_addr {
                return Err(Errno::ENOMEM);
            }
            if o.addr < MMAP_MIN_ADDR {
                return Err(Errno::EPERM);
            }
            if st.vmas.any_in(o.addr, end) {
                if o.noreplace {
                    return Err(Errno::EEXIST);
                }
                st.vmas.remove_range(o.addr, end);
                self.drop_pmas(&mut st, o.addr, end);
            }
            o.addr
        } else {
            let hint = align_up(o.addr, PAGE_SIZE);
            let hint_ok = hint >= MMAP_MIN_ADDR
                && hint
                    .checked_add(len)
                    .is_some_and(|e| e <= self.max_addr && !st.vmas.any_in(hint, e));
            if hint != 0 && hint_ok {
                hint
            } else {
                let top = st.mmap_base.min(self.max_addr);
                match st.vmas.find_free_top_down(len, MMAP_MIN_ADDR, top) {
                    Some(a) => a,
                    // Linux falls back to a bottom-up search above the base.
                    None => st
                        .vmas
                        .find_free_top_down(len, top, self.max_addr)
                        .ok_or(Errno::ENOMEM)?,
                }
            }
        };
        let vma = Vma {
            start: addr,
            end: addr + len,
            prot: o.prot,
            max_prot: o.max_prot,
            shared: o.shared,
            growsdown: o.growsdown,
            backing: o.backing,
            name: o.name,
        };
        st.vmas.insert(vma.clone());
        if o.populate && self.populate(&mut st, &vma, vma.start, vma.end).is_ok() {
            for p in st.pmas.overlapping(vma.start, vma.end) {
                let _ = self.mf.commit(p.frame, p.end - p.start);
            }
        }
        Ok(addr)
    }

    pub fn munmap(&self, addr: u64, len: u64) -> Result<(), Errno> {
        if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
            return Err(Errno::EINVAL);
        }
        let len = page_len(len).map_err(|_| Errno::EINVAL)?;
        let end = addr.checked_add(len).ok_or(Errno::EINVAL)?;
        if end > self.max_addr {
            return Err(Errno::EINVAL);
        }
        let mut st = self.st.lock();
        st.vmas.remove_range(addr, end);
        self.drop_pmas(&mut st, addr, end);
        Ok(())
    }

    pub fn mprotect(&self, addr: u64, len: u64, prot: u64) -> Result<(), Errno> {
        const GROWSDOWN: u64 = 0x0100_0000;
        const GROWSUP: u64 = 0x0200_0000;
        if !addr.is_multiple_of(PAGE_SIZE)
            || prot & !(7 | GROWSDOWN | GROWSUP) != 0
            || prot & (GROWSDOWN | GROWSUP) == GROWSDOWN | GROWSUP
        {
            return Err(Errno::EINVAL);
        }
        if len == 0 {
            return Ok(());
        }
        let len = page_len(len)?;
        let mut start = addr;
        let end = addr.checked_add(len).ok_or(Errno::ENOMEM)?;
        let mut st = self.st.lock();
        // PROT_GROWSDOWN extends the change down to the start of a stack area.
        if prot & GROWSDOWN != 0 {
            match st.vmas.find(addr) {
                Some(v) if v.growsdown => start = v.start,
                _ => return Err(Errno::EINVAL),
            }
        }
        if prot & GROWSUP != 0 {
            return Err(Errno::EINVAL);
        }
        let newprot = Prot((prot & 7) as u32);
        // Linux changes areas in order and stops at the first hole (ENOMEM)
        // or the first area that refuses the protection (EACCES).
        let mut at = start;
        let mut err = None;
        for v in st.vmas.overlapping(start, end).cloned().collect::<Vec<_>>() {
            if v.start > at {
                err = Some(Errno::ENOMEM);
                break;
            }
            if newprot.0 & !v.max_prot.0 != 0 {
                err = Some(Errno::EACCES);
                break;
            }
            // Linux 6.x refuses to change the vDSO's protections.
            if v.name == VmaName::Vdso && newprot != v.prot {
                err = Some(Errno::EINVAL);
                break;
            }
            at = v.end.min(end);
        }
        if err.is_none() && at < end {
            err = Some(Errno::ENOMEM);
        }
        let done_end = at.min(end);
        if done_end > start {
            st.vmas.update_range(start, done_end, |v| v.prot = newprot);
            self.reprotect(&mut st, start, done_end);
        }
        match err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Set up the heap after loading a program.
    pub fn set_brk_start(&self, start: u64) {
        let mut st = self.st.lock();
        st.brk_start = start;
        st.brk = start;
    }

    /// brk(2): move the program break; returns the (possibly unchanged) break.
    pub fn brk(&self, new: u64) -> u64 {
        let mut st = self.st.lock();
        let cur = st.brk;
        if new < st.brk_start || new > self.max_addr {
            return cur;
        }
        let old_end = align_up(cur, PAGE_SIZE);
        let new_end = align_up(new, PAGE_SIZE);
        if new_end > old_end {
            if st.vmas.any_in(old_end, new_end) || !overcommit_ok(new_end - old_end) {
                return cur;
            }
            st.vmas.insert(Vma {
                start: old_end,
                end: new_end,
                prot: Prot::RW,
                max_prot: Prot(7),
                shared: false,
                growsdown: false,
                backing: Backing::Anon,
                name: VmaName::Heap,
            });
        } else if new_end < old_end {
            st.vmas.remove_range(new_end, old_end);
            self.drop_pmas(&mut st, new_end, old_end);
        }
        st.brk = new;
        new
    }

    pub fn mremap(
        &self,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: u64,
        new_addr: u64,
    ) -> Result<u64, Errno> {
        if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
            || !old.is_multiple_of(PAGE_SIZE)
            || (flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0)
            || (flags & MREMAP_DONTUNMAP != 0
                && (flags & MREMAP_MAYMOVE == 0 || old_len != new_len))
            || new_len == 0
        {
            return Err(Errno::EINVAL);
        }
        // PAGE_ALIGN wraps as in Linux: a length near 2^64 becomes 0.
        let old_len = align_wrap(old_len);
        let new_len = align_wrap(new_len);
        if new_len == 0 || new_len > self.max_addr || old_len > self.max_addr {
            return Err(Errno::EINVAL);
        }
        let mut st = self.st.lock();
        let vma = st.vmas.find(old).cloned().ok_or(Errno::EFAULT)?;
        let old_end = old.checked_add(old_len).ok_or(Errno::EFAULT)?;
        if old_end > vma.end {
            return Err(Errno::EFAULT);
        }
        if old_len == 0 && !vma.shared {
            return Err(Errno::EINVAL);
        }
        if flags & MREMAP_DONTUNMAP != 0 && (vma.shared || !matches!(vma.backing, Backing::Anon)) {
            return Err(Errno::EINVAL);
        }
        if flags & MREMAP_FIXED != 0 {
            if !new_addr.is_multiple_of(PAGE_SIZE) {
                return Err(Errno::EINVAL);
            }
            let new_end = new_addr.checked_add(new_len).ok_or(Errno::EINVAL)?;
            if new_end > self.max_addr || new_addr < MMAP_MIN_ADDR {
                return Err(Errno::EINVAL);
            }
            if new_addr < old_end.max(old + 1) && old < new_end {
                return Err(Errno::EINVAL);
            }
            st.vmas.remove_range(new_addr, new_end);
            self.drop_pmas(&mut st, new_addr, new_end);
            self.move_range(
                &mut st,
                &vma,
                old,
                old_len,
                new_addr,
                new_len,
                flags & MREMAP_DONTUNMAP != 0,
            );
            return Ok(new_addr);
        }
        if new_len <= old_len && old_len != 0 {
            st.vmas.remove_range(old + new_len, old_end);
            self.drop_pmas(&mut st, old + new_len, old_end);
            return Ok(old);
        }
        // Grow in place when the area ends here and the space after is free.
        let grow_end = old.checked_add(new_len).filter(|&e| e <= self.max_addr);
        if old_len != 0 && old_end == vma.end && flags & MREMAP_DONTUNMAP == 0 {
            if let Some(ge) = grow_end {
                if !st.vmas.any_in(old_end, ge) {
                    let mut tail = vma.clone();
                    tail.start = old_end;
                    tail.end = ge;
                    if let Backing::File { off, .. } = &mut tail.backing {
                        *off += old_end - vma.start;
                    }
                    st.vmas.insert(tail);
                    return Ok(old);
                }
            }
        }
        if flags & MREMAP_MAYMOVE == 0 {
            return Err(Errno::ENOMEM);
        }
        let top = st.mmap_base.min(self.max_addr);
        let dest = st
            .vmas
            .find_free_top_down(new_len, MMAP_MIN_ADDR, top)
            .ok_or(Errno::ENOMEM)?;
        self.move_range(
            &mut st,
            &vma,
            old,
            old_len,
            dest,
            new_len,
            flags & MREMAP_DONTUNMAP != 0,
        );
        Ok(dest)
    }

    /// Move `[old, old+old_len)` of `vma` to `dest` with length `new_len`;
    /// frames move with their pages. `old_len == 0` duplicates a shared mapping.
    #[allow(clippy::too_many_arguments)]
    fn move_range(
        &self,
        st: &mut super::MmState,
        vma: &Vma,
        old: u64,
        old_len: u64,
        dest: u64,
        new_len: u64,
        keep_old: bool,
    ) {
        let mut nv = vma.clone();
        if let Backing::File { off, .. } = &mut nv.backing {
            *off += old - vma.start;
        }
        nv.start = dest;
        nv.end = dest + new_len;
        if old_len == 0 {
            st.vmas.insert(nv);
            return;
        }
        let old_end = old + old_len;
        let moved = st.pmas.remove_range(old, old_end);
        let mut unmap = Vec::new();
        for p in moved {
            if p.mapped {
                unmap.push((p.start, p.end - p.start));
            }
            // A shrinking move drops what does not fit.
            let ns = dest + (p.start - old);
            let ne = (dest + (p.end - old)).min(dest + new_len);
            if ns >= ne {
                self.mf.decref(p.frame, p.end - p.start);
                continue;
            }
            if ne - ns < p.end - p.start {
                self.mf
                    .decref(p.frame + (ne - ns), (p.end - p.start) - (ne - ns));
            }
            st.pmas.insert(super::pma::Pma {
                start: ns,
                end: ne,
                frame: p.frame,
                cow: p.cow,
                mapped: false,
            });
        }
        if !unmap.is_empty() {
            let _ = self.aspace.unmap(&unmap);
        }
        st.vmas.remove_range(old, old_end);
        if keep_old {
            let mut ov = vma.clone();
            ov.start = old;
            ov.end = old_end;
            st.vmas.insert(ov);
        }
        st.vmas.insert(nv);
    }

    /// msync(2): data is always in the MemoryFile or written through, so this only validates.
    pub fn msync(&self, addr: u64, len: u64, flags: u64) -> Result<(), Errno> {
        const MS_ASYNC: u64 = 1;
        const MS_INVALIDATE: u64 = 2;
        const MS_SYNC: u64 = 4;
        if !addr.is_multiple_of(PAGE_SIZE)
            || flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
            || flags & (MS_ASYNC | MS_SYNC) == MS_ASYNC | MS_SYNC
        {
            return Err(Errno::EINVAL);
        }
        let len = align_wrap(len);
        let end = addr.checked_add(len).ok_or(Errno::ENOMEM)?;
        if end == addr {
            return Ok(());
        }
        // Shared file mappings in the range write back (host files keep
        // their mapped pages in a page cache; see `Mappable::sync`).
        let shared: Vec<(Arc<dyn Mappable>, u64, u64)> = {
            let st = self.st.lock();
            if !st.vmas.covers(addr, end) {
                return Err(Errno::ENOMEM);
            }
            st.vmas
                .iter()
                .filter(|v| v.shared && v.start < end && v.end > addr)
                .filter_map(|v| match &v.backing {
                    Backing::File { m, .. } => {
                        let (s, e) = (v.start.max(addr), v.end.min(end));
                        Some((m.clone(), v.file_offset(s), e - s))
                    }
                    Backing::Anon => None,
                })
                .collect()
        };
        for (m, off, len) in shared {
            m.sync(off, len)?;
        }
        Ok(())
    }

    /// madvise(2).
    pub fn madvise(&self, addr: u64, len: u64, advice: u64) -> Result<(), Errno> {
        const DONTNEED: u64 = 4;
        const FREE: u64 = 8;
        const REMOVE: u64 = 9;
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        let hint = matches!(advice, 0..=3 | 10..=23 | 25);
        if !hint && !matches!(advice, DONTNEED | FREE | REMOVE) {
            return Err(Errno::EINVAL);
        }
        if len == 0 {
            return Ok(());
        }
        let len = page_len(len).map_err(|_| Errno::EINVAL)?;
        let end = addr.checked_add(len).ok_or(Errno::EINVAL)?;
        let mut st = self.st.lock();
        if !st.vmas.covers(addr, end) {
            return Err(Errno::ENOMEM);
        }
        match advice {
            DONTNEED => self.drop_pmas(&mut st, addr, end),
            FREE => {
                if st
                    .vmas
                    .overlapping(addr, end)
                    .any(|v| v.shared || !matches!(v.backing, Backing::Anon))
                {
                    return Err(Errno::EINVAL);
                }
                self.drop_pmas(&mut st, addr, end);
            }
            REMOVE => {
                if st.vmas.overlapping(addr, end).any(|v| !v.shared) {
                    return Err(Errno::EINVAL);
                }
                // Punching holes in the backing file is not supported yet.
                return Err(Errno::EOPNOTSUPP);
            }
            _ => {}
        }
        Ok(())
    }

    /// mincore(2): one byte per page, 1 where a frame is present.
    pub fn mincore(&self, addr: u64, len: u64) -> Result<Vec<u8>, Errno> {
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        let len = page_len(len)?;
        let end = addr.checked_add(len).ok_or(Errno::ENOMEM)?;
        if end > self.max_addr {
            return Err(Errno::ENOMEM);
        }
        let st = self.st.lock();
        if !st.vmas.covers(addr, end) {
            return Err(Errno::ENOMEM);
        }
        let mut out = vec![0u8; (len / PAGE_SIZE) as usize];
        for p in st.pmas.overlapping(addr, end) {
            let (s, e) = (p.start.max(addr), p.end.min(end));
            let present = self.mf.present(p.frame_at(s), e - s);
            for (i, here) in present.into_iter().enumerate() {
                out[((s - addr) / PAGE_SIZE) as usize + i] = here as u8;
            }
        }
        Ok(out)
    }
}
