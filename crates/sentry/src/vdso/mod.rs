//! The vDSO: a small shared object (`crates/sentry/vdso/`, built by
//! `build.rs`) mapped into every process, with the data page ("vvar") one
//! page below it, so clock_gettime, gettimeofday, time and clock_getres
//! are answered without a trip to the Sentry.
//!
//! One set of MemoryFile frames per sandbox holds the vvar page and the
//! image; every process maps the same frames privately (read-only vvar,
//! read+exec image, so an mprotect+write copies, as on Linux). The data
//! page's contents and their calibration are in [`clock`]. The module may
//! use `mm` (to map) and `memory` (to write the page); it is used by the
//! loader and by boot.

pub mod clock;
#[cfg(test)]
mod tests;

use crate::mm::mappable::Mappable;
use crate::mm::mmap::MmapOpts;
use crate::mm::vma::{Backing, VmaName};
use crate::mm::{Mm, MMAP_MIN_ADDR};
use abi::{page_up, Errno, PAGE_SIZE};
use memory::MemoryFile;
use parking_lot::Mutex;
use platform::Prot;
use std::sync::Arc;

/// The image as `build.rs` linked it.
pub static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/vdso.so"));

/// The sandbox's vDSO: the frames of the vvar page and the image.
pub struct Vdso {
    mf: Arc<MemoryFile>,
    /// The vvar page; the image's pages follow it.
    frame: u64,
    /// Bytes of the image, in whole pages.
    text_len: u64,
    clock: Mutex<clock::Calibration>,
}

impl std::fmt::Debug for Vdso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vdso@{:#x}", self.frame)
    }
}

impl Drop for Vdso {
    fn drop(&mut self) {
        self.mf.decref(self.frame, PAGE_SIZE + self.text_len);
    }
}

/// Whether the host's TSC may be used as the vDSO's clock: it must tick
/// at a constant rate (`constant_tsc`) and on in deep C-states
/// (`nonstop_tsc`), as the host's /proc/cpuinfo flags say.
pub fn tsc_stable(cpuinfo: &[u8]) -> bool {
    let Some(line) = cpuinfo
        .split(|&b| b == b'\n')
        .find(|l| l.starts_with(b"flags"))
    else {
        return false;
    };
    let words: Vec<&[u8]> = line
        .split(|&b| b == b' ' || b == b'\t' || b == b':')
        .collect();
    words.contains(&b"constant_tsc".as_slice()) && words.contains(&b"nonstop_tsc".as_slice())
}

impl Vdso {
    /// Copy the image into fresh frames and start the clock. `mono_origin_ns`
    /// is the host CLOCK_MONOTONIC value at which the sandbox's reads 0;
    /// `early` a [`clock::sample`] from earlier in boot, to measure the TSC
    /// rate against. Without a stable TSC the page tells every function to
    /// make the syscall.
    pub fn new(
        mf: &Arc<MemoryFile>,
        mono_origin_ns: i128,
        tsc_stable: bool,
        early: clock::Sample,
    ) -> Result<Arc<Vdso>, Errno> {
        let text_len = page_up(IMAGE.len() as u64).ok_or(Errno::ENOMEM)?;
        let frame = mf.allocate(PAGE_SIZE + text_len)?;
        let v = Arc::new(Vdso {
            mf: mf.clone(),
            frame,
            text_len,
            clock: Mutex::new(clock::Calibration::new(mono_origin_ns)),
        });
        mf.write(frame + PAGE_SIZE, IMAGE)?;
        clock::start(&v, tsc_stable, early)?;
        Ok(v)
    }

    /// Map the vvar page and the image at the top of the mmap area below
    /// `top`, as Linux places them; returns the image's address
    /// (AT_SYSINFO_EHDR).
    pub fn map_into(&self, mm: &Mm, top: u64) -> Result<u64, Errno> {
        let len = PAGE_SIZE + self.text_len;
        let at = mm
            .st
            .lock()
            .vmas
            .find_free_top_down(len, MMAP_MIN_ADDR, top)
            .ok_or(Errno::ENOMEM)?;
        let pages = |frame: u64, len: u64| -> Arc<dyn Mappable> {
            Arc::new(Pages {
                mf: self.mf.clone(),
                frame,
                len,
            })
        };
        let mut o = MmapOpts::anon(PAGE_SIZE, Prot::READ);
        o.addr = at;
        o.fixed = true;
        // Linux's vvar has no VM_MAYWRITE or VM_MAYEXEC.
        o.max_prot = Prot::READ;
        o.backing = Backing::File {
            m: pages(self.frame, PAGE_SIZE),
            off: 0,
        };
        o.name = VmaName::Vvar;
        mm.mmap(o)?;
        let mut o = MmapOpts::anon(self.text_len, Prot(Prot::READ.0 | Prot::EXEC.0));
        o.addr = at + PAGE_SIZE;
        o.fixed = true;
        o.backing = Backing::File {
            m: pages(self.frame + PAGE_SIZE, self.text_len),
            off: 0,
        };
        o.name = VmaName::Vdso;
        mm.mmap(o)?;
        Ok(at + PAGE_SIZE)
    }
}

/// A fixed run of frames, mapped like a file (private: a write copies).
struct Pages {
    mf: Arc<MemoryFile>,
    frame: u64,
    len: u64,
}

impl Mappable for Pages {
    fn get_frames(&self, off: u64, len: u64, _write: bool) -> Result<Vec<(u64, u64)>, Errno> {
        if off >= self.len {
            return Ok(Vec::new());
        }
        let n = len.min(self.len - off);
        if n == 0 {
            return Ok(Vec::new());
        }
        self.mf.incref(self.frame + off, n);
        Ok(vec![(self.frame + off, n)])
    }

    fn size(&self) -> u64 {
        self.len
    }
}
