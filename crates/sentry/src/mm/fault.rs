//! Application faults and the Sentry's own accesses to application memory.

use super::vma::Backing;
use super::vma::Vma;
use super::{align_down, align_up, Mm, MmState, ANON_WINDOW, COW_WINDOW, FILE_WINDOW};
use abi::{Errno, PAGE_SIZE};

/// What a fault turned into.
#[derive(Debug, PartialEq, Eq)]
pub enum FaultOutcome {
    /// Something was mapped or copied; run the application again.
    Handled,
    /// The page was already mirrored as the area allows. Either another
    /// thread resolved this fault first, or the access is not permitted;
    /// the caller tells the two apart by retrying once.
    AlreadyMapped,
    /// SIGSEGV with this si_code.
    Segv(i32),
    /// SIGBUS (access beyond the end of a mapped file).
    Bus,
}

/// Default stack size limit for growsdown expansion when no rlimit applies.
pub const STACK_LIMIT: u64 = 8 << 20;

impl Mm {
    /// The area containing `addr`, growing a stack area down to it if
    /// `addr` is just below one.
    fn vma_for_access(&self, st: &mut MmState, addr: u64, stack_limit: u64) -> Option<Vma> {
        if let Some(v) = st.vmas.find(addr) {
            return Some(v.clone());
        }
        let next = st.vmas.find_at_or_after(addr)?.clone();
        if !next.growsdown {
            return None;
        }
        let new_start = align_down(addr, PAGE_SIZE);
        // Linux keeps a guard gap below a stack and limits its size.
        if next.end - new_start > stack_limit || new_start < super::MMAP_MIN_ADDR {
            return None;
        }
        let gap_ok = match st.vmas.iter().filter(|v| v.end <= next.start).last() {
            Some(prev) => prev.end.saturating_add(256 * PAGE_SIZE) <= new_start,
            None => true,
        };
        if !gap_ok {
            return None;
        }
        let mut grown = next.clone();
        grown.start = new_start;
        st.vmas.remove_range(next.start, next.end);
        st.vmas.insert(grown.clone());
        Some(grown)
    }

    fn window(vma: &Vma, addr: u64) -> (u64, u64) {
        let w = match vma.backing {
            Backing::Anon => ANON_WINDOW,
            Backing::File { .. } => FILE_WINDOW,
        };
        (
            align_down(addr, w).max(vma.start),
            align_up(addr + 1, w).min(vma.end),
        )
    }

    /// Resolve an application fault at `addr`.
    pub fn handle_fault(&self, addr: u64, stack_limit: u64) -> FaultOutcome {
        let mut st = self.st.lock();
        let Some(vma) = self.vma_for_access(&mut st, addr, stack_limit) else {
            return FaultOutcome::Segv(abi::signal::SEGV_MAPERR);
        };
        if vma.prot == platform::Prot::NONE {
            return FaultOutcome::Segv(abi::signal::SEGV_ACCERR);
        }
        let page = align_down(addr, PAGE_SIZE);
        if let Some(p) = st.pmas.find(page).copied() {
            if p.mapped {
                if p.cow && vma.prot.write() {
                    let (s, e) = (
                        align_down(addr, COW_WINDOW).max(vma.start),
                        align_up(addr + 1, COW_WINDOW).min(vma.end),
                    );
                    return match self.break_cow(&mut st, &vma, s, e) {
                        Ok(()) => FaultOutcome::Handled,
                        Err(_) => FaultOutcome::Bus,
                    };
                }
                return FaultOutcome::AlreadyMapped;
            }
        }
        let (s, e) = Self::window(&vma, addr);
        let populated = match self.populate(&mut st, &vma, s, e) {
            Ok(end) => end,
            Err(_) => return FaultOutcome::Bus,
        };
        if populated <= page {
            return FaultOutcome::Bus;
        }
        match self.mirror(&mut st, &vma, s, populated) {
            Ok(()) => FaultOutcome::Handled,
            Err(_) => FaultOutcome::Segv(abi::signal::SEGV_MAPERR),
        }
    }

    /// Frames for the Sentry to read (`write == false`) or write the
    /// application range `[addr, addr + len)`. Access rights are checked as
    /// the kernel's user-copy routines check them. On a bad address, returns
    /// the valid prefix, or EFAULT if there is none. The frames stay
    /// referenced until the returned [`super::Pinned`] is dropped.
    pub fn translate(&self, addr: u64, len: u64, write: bool) -> Result<super::Pinned, Errno> {
        let mut blocks: Vec<(u64, u64)> = Vec::new();
        if len == 0 {
            return Ok(super::Pinned::new(self.mf.clone(), blocks));
        }
        let end = match addr.checked_add(len) {
            Some(e) if e <= self.max_addr => e,
            _ => {
                if addr >= self.max_addr {
                    return Err(Errno::EFAULT);
                }
                self.max_addr
            }
        };
        let mut st = self.st.lock();
        let mut at = addr;
        while at < end {
            let Some(vma) = self.vma_for_access(&mut st, at, STACK_LIMIT) else {
                break;
            };
            let ok = if write {
                vma.prot.write()
            } else {
                vma.prot.read() || vma.prot.write() || vma.prot.exec()
            };
            if !ok {
                break;
            }
            let seg_end = end.min(vma.end);
            let (ps, pe) = (align_down(at, PAGE_SIZE), align_up(seg_end, PAGE_SIZE));
            let (ws, we) = Self::window(&vma, at);
            let populated = match self.populate(
                &mut st,
                &vma,
                ps.min(ws).max(vma.start),
                pe.max(we).min(vma.end),
            ) {
                Ok(p) => p,
                Err(_) => break,
            };
            let seg_end = seg_end.min(populated);
            if seg_end <= at {
                break;
            }
            if write && !vma.shared {
                let (cs, ce) = (align_down(at, PAGE_SIZE), align_up(seg_end, PAGE_SIZE));
                if self.break_cow(&mut st, &vma, cs, ce).is_err() {
                    break;
                }
            }
            for p in st.pmas.overlapping(at, seg_end) {
                let (s, e) = (p.start.max(at), p.end.min(seg_end));
                let frame = p.frame_at(s);
                match blocks.last_mut() {
                    Some((f, l)) if *f + *l == frame => *l += e - s,
                    _ => blocks.push((frame, e - s)),
                }
            }
            at = seg_end;
        }
        if blocks.is_empty() {
            return Err(Errno::EFAULT);
        }
        for &(f, l) in &blocks {
            self.mf.incref(f, l);
        }
        Ok(super::Pinned::new(self.mf.clone(), blocks))
    }
}
