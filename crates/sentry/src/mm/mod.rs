//! Memory management: one [`Mm`] per application address space.
//!
//! The Mm records what the application asked for ([`VmaSet`]) and which
//! MemoryFile frames back which pages ([`PmaSet`]); frames are assigned
//! lazily, on an application fault or when the Sentry itself copies to or
//! from application memory. The platform's [`AddressSpace`] only mirrors
//! frames the Mm decided on.
//!
//! Locking: `Mm::st` is taken before any file lock (page caches, tmpfs data)
//! and before the MemoryFile allocator's lock. Nothing called with file locks
//! held may take `Mm::st`.

pub mod areas;
pub mod fault;
pub mod fork;
pub mod io;
pub mod mappable;
pub mod mmap;
pub mod pma;
pub mod shared;
pub mod vma;

use abi::{Errno, PAGE_SIZE};
use memory::MemoryFile;
use parking_lot::Mutex;
use platform::{AddressSpace, Mapping, Platform, Prot};
use pma::{Pma, PmaSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use vma::{Backing, Vma, VmaSet};

pub use io::{IoDst, IoSrc, Pinned};
pub use mappable::Mappable;

/// Anonymous memory is given frames in windows of this size (aligned), so
/// one fault maps a large range.
const ANON_WINDOW: u64 = 2 << 20;
/// File pages are read and mapped in windows of this size.
const FILE_WINDOW: u64 = 256 << 10;
/// Copy-on-write breaks copy this much (aligned) at a time.
const COW_WINDOW: u64 = 64 << 10;

/// Layout facts /proc and prctl report.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
    pub start_stack: u64,
    pub auxv: Vec<(u64, u64)>,
}

#[derive(Default)]
pub struct MmState {
    pub vmas: VmaSet,
    pub pmas: PmaSet,
    pub brk_start: u64,
    pub brk: u64,
    /// Top-down mmap allocations start below this address.
    pub mmap_base: u64,
    pub layout: Layout,
}

pub struct Mm {
    pub mf: Arc<MemoryFile>,
    pub aspace: Arc<dyn AddressSpace>,
    pub max_addr: u64,
    pub st: Mutex<MmState>,
    /// Bumped whenever the mirrored state changes; tells a repeated fault
    /// from one another thread already resolved.
    pub(crate) gen: AtomicU64,
}

impl std::fmt::Debug for Mm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mm")
    }
}

/// Lowest address mmap hands out (as vm.mmap_min_addr).
pub const MMAP_MIN_ADDR: u64 = 0x10000;

impl Mm {
    pub fn new(platform: &dyn Platform, mf: Arc<MemoryFile>) -> Result<Mm, Errno> {
        let aspace = platform.new_address_space().map_err(|e| {
            tracing::warn!("new address space: {e}");
            Errno::ENOMEM
        })?;
        let max_addr = platform.max_user_address();
        Ok(Mm {
            mf,
            aspace,
            max_addr,
            st: Mutex::new(MmState::default()),
            gen: AtomicU64::new(0),
        })
    }

    pub fn generation(&self) -> u64 {
        self.gen.load(Ordering::SeqCst)
    }

    /// Give frames to every page of `[start, end)` (inside `vma`) that has
    /// none. Returns the end of what could be populated (short of `end` when
    /// a file ends first).
    fn populate(&self, st: &mut MmState, vma: &Vma, start: u64, end: u64) -> Result<u64, Errno> {
        for (gs, ge) in st.pmas.gaps(start, end) {
            match &vma.backing {
                Backing::Anon => {
                    let frame = self.mf.allocate(ge - gs)?;
                    st.pmas.insert(Pma {
                        start: gs,
                        end: ge,
                        frame,
                        cow: false,
                        mapped: false,
                    });
                }
                Backing::File { m, .. } => {
                    let runs =
                        m.get_frames(vma.file_offset(gs), ge - gs, vma.shared && vma.prot.write())?;
                    let mut at = gs;
                    for (frame, len) in runs {
                        let len = len.min(ge - at);
                        st.pmas.insert(Pma {
                            start: at,
                            end: at + len,
                            frame,
                            cow: !vma.shared,
                            mapped: false,
                        });
                        at += len;
                    }
                    if at < ge {
                        return Ok(at);
                    }
                }
            }
        }
        Ok(end)
    }

    /// Mirror the pmas of `[start, end)` (inside `vma`) that are not mirrored yet.
    fn mirror(&self, st: &mut MmState, vma: &Vma, start: u64, end: u64) -> Result<(), Errno> {
        if vma.prot == Prot::NONE {
            return Ok(());
        }
        let mut maps: Vec<Mapping> = Vec::new();
        for p in st.pmas.overlapping(start, end) {
            if p.mapped {
                continue;
            }
            let prot = if p.cow {
                vma.prot.without_write()
            } else {
                vma.prot
            };
            let (s, e) = (p.start.max(start), p.end.min(end));
            let frame = p.frame_at(s);
            match maps.last_mut() {
                Some(m) if m.addr + m.len == s && m.frame + m.len == frame && m.prot == prot => {
                    m.len += e - s
                }
                _ => maps.push(Mapping {
                    addr: s,
                    len: e - s,
                    frame,
                    prot,
                }),
            }
        }
        if maps.is_empty() {
            return Ok(());
        }
        self.aspace.map(&maps).map_err(|e| {
            tracing::warn!("mirror: {e}");
            Errno::EFAULT
        })?;
        st.pmas.update_range(start, end, |p| p.mapped = true);
        self.gen.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Give `[start, end)` (inside `vma`, all pmas present) private writable
    /// frames, copying frames shared with others.
    fn break_cow(&self, st: &mut MmState, vma: &Vma, start: u64, end: u64) -> Result<(), Errno> {
        let mut remap = false;
        for p in st.pmas.overlapping(start, end) {
            if !p.cow {
                continue;
            }
            let (s, e) = (p.start.max(start), p.end.min(end));
            let old = p.frame_at(s);
            let exclusive =
                (0..(e - s) / PAGE_SIZE).all(|i| self.mf.refcount(old + i * PAGE_SIZE) == 1);
            let frame = if exclusive {
                old
            } else {
                let new = self.mf.allocate(e - s)?;
                self.mf.copy(new, old, e - s)?;
                self.mf.decref(old, e - s);
                new
            };
            let mapped = p.mapped;
            st.pmas.remove_range(s, e);
            st.pmas.insert(Pma {
                start: s,
                end: e,
                frame,
                cow: false,
                mapped: false,
            });
            remap |= mapped;
            if !mapped {
                continue;
            }
        }
        if remap {
            self.mirror(st, vma, start, end)?;
        }
        Ok(())
    }

    /// Drop the pmas of `[start, end)`: release their frames and unmirror them.
    fn drop_pmas(&self, st: &mut MmState, start: u64, end: u64) {
        let removed = st.pmas.remove_range(start, end);
        let mut unmap: Vec<(u64, u64)> = Vec::new();
        for p in &removed {
            self.mf.decref(p.frame, p.end - p.start);
            if p.mapped {
                match unmap.last_mut() {
                    Some((a, l)) if *a + *l == p.start => *l += p.end - p.start,
                    _ => unmap.push((p.start, p.end - p.start)),
                }
            }
        }
        if !unmap.is_empty() {
            if let Err(e) = self.aspace.unmap(&unmap) {
                tracing::warn!("unmirror: {e}");
            }
            self.gen.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Re-mirror `[start, end)` after its protections changed.
    fn reprotect(&self, st: &mut MmState, start: u64, end: u64) {
        let mut ranges: Vec<(u64, u64, Prot)> = Vec::new();
        let mut unmap: Vec<(u64, u64)> = Vec::new();
        let pieces: Vec<(u64, u64, Prot)> = st
            .vmas
            .overlapping(start, end)
            .map(|v| (v.start.max(start), v.end.min(end), v.prot))
            .collect();
        for (vs, ve, vprot) in pieces {
            for p in st.pmas.overlapping(vs, ve) {
                if !p.mapped {
                    continue;
                }
                let (s, e) = (p.start.max(vs), p.end.min(ve));
                let prot = if p.cow { vprot.without_write() } else { vprot };
                if prot == Prot::NONE {
                    unmap.push((s, e - s));
                    continue;
                }
                match ranges.last_mut() {
                    Some((a, l, pr)) if *a + *l == s && *pr == prot => *l += e - s,
                    _ => ranges.push((s, e - s, prot)),
                }
            }
        }
        if !unmap.is_empty() {
            let _ = self.aspace.unmap(&unmap);
            for &(s, l) in &unmap {
                st.pmas.update_range(s, s + l, |p| p.mapped = false);
            }
        }
        if !ranges.is_empty() {
            if let Err(e) = self.aspace.protect(&ranges) {
                tracing::warn!("reprotect: {e}");
            }
        }
        self.gen.fetch_add(1, Ordering::SeqCst);
    }
}

impl Drop for Mm {
    fn drop(&mut self) {
        let st = self.st.get_mut();
        for p in st.pmas.iter() {
            self.mf.decref(p.frame, p.end - p.start);
        }
    }
}

/// Round `x` down to a multiple of `a` (a power of two).
fn align_down(x: u64, a: u64) -> u64 {
    x & !(a - 1)
}

/// Round `x` up to a multiple of `a`, saturating.
fn align_up(x: u64, a: u64) -> u64 {
    x.saturating_add(a - 1) & !(a - 1)
}
