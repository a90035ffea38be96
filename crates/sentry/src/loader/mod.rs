//! Program loading for execve: ELF executables (static, static-PIE, and
//! dynamic through PT_INTERP), laid out as Linux lays them out.

pub mod elf;
pub mod stack;

use crate::mm::mmap::MmapOpts;
use crate::mm::vma::{Backing, VmaName};
use crate::mm::{IoDst, Mm};
use crate::vfs::File;
use abi::auxv::*;
use abi::{page_down, page_up, Errno, PAGE_SIZE};
use elf::{ElfInfo, PF_R, PF_W, PF_X, PT_GNU_STACK, PT_INTERP, PT_LOAD, PT_PHDR};
use platform::Prot;
use std::sync::Arc;

/// Where a position-independent executable is placed (2/3 of the address space, as Linux).
const ET_DYN_BASE: u64 = 0x5555_5555_4000;
/// Initial size of the stack area; it grows down on demand.
const INITIAL_STACK: u64 = 132 * 1024;

/// What a caller learns from a successful load.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub entry: u64,
    pub sp: u64,
}

/// Inputs of a load.
pub struct LoadSpec<'a> {
    pub file: &'a Arc<File>,
    pub argv: &'a [Vec<u8>],
    pub envp: &'a [Vec<u8>],
    pub execfn: &'a [u8],
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    /// Opens the interpreter named by PT_INTERP.
    pub open_interp: &'a dyn Fn(&[u8]) -> Result<Arc<File>, Errno>,
    /// The vDSO to map (AT_SYSINFO_EHDR), if the kernel has one.
    pub vdso: Option<&'a Arc<crate::vdso::Vdso>>,
}

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    let _ = rustix::rand::getrandom(&mut b, rustix::rand::GetRandomFlags::empty());
    u64::from_le_bytes(b)
}

fn read_at(file: &File, off: u64, len: usize) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; len];
    let mut got = 0usize;
    while got < len {
        let mut dst = IoDst::buf(&mut buf[got..]);
        let n = file.ops.read(file, &mut dst, (off + got as u64) as i64)? as usize;
        if n == 0 {
            break;
        }
        got += n;
    }
    buf.truncate(got);
    Ok(buf)
}

/// Read and parse the ELF headers of `file`.
pub fn read_elf(file: &File) -> Result<ElfInfo, Errno> {
    let head = read_at(file, 0, 4096)?;
    match elf::parse(&head) {
        Ok(e) => Ok(e),
        Err(elf::ElfError("truncated program headers"))
        | Err(elf::ElfError("program headers out of range")) => {
            let (_, _, phoff, phnum) = elf::parse_header(&head)?;
            let ph = read_at(file, phoff, phnum as usize * 56)?;
            let phdrs = elf::parse_phdrs(&ph, phnum)?;
            let (e_type, entry, phoff, phnum) = elf::parse_header(&head)?;
            Ok(ElfInfo {
                e_type,
                entry,
                phoff,
                phnum,
                phdrs,
            })
        }
        Err(e) => {
            tracing::info!("exec: {}", e.0);
            Err(Errno::ENOEXEC)
        }
    }
}

fn seg_prot(flags: u32) -> Prot {
    let mut p = 0;
    if flags & PF_R != 0 {
        p |= 1;
    }
    if flags & PF_W != 0 {
        p |= 2;
    }
    if flags & PF_X != 0 {
        p |= 4;
    }
    Prot(p)
}

/// Map the PT_LOAD segments of `e` with `bias`. Returns the end of the highest segment.
fn map_segments(mm: &Mm, file: &Arc<File>, e: &ElfInfo, bias: u64) -> Result<u64, Errno> {
    let mappable = file.ops.mappable().ok_or(Errno::EACCES)?;
    let mut top = 0;
    for p in e.phdrs.iter().filter(|p| p.p_type == PT_LOAD) {
        let prot = seg_prot(p.flags);
        let start = page_down(p.vaddr.checked_add(bias).ok_or(Errno::ENOEXEC)?);
        let file_end = p.vaddr + bias + p.filesz;
        let mem_end = p.vaddr + bias + p.memsz;
        let map_end = page_up(file_end).ok_or(Errno::ENOEXEC)?;
        if map_end > mm.max_addr || mem_end > mm.max_addr {
            return Err(Errno::ENOMEM);
        }
        if p.filesz > 0 {
            let mut o = MmapOpts::anon(map_end - start, prot);
            o.addr = start;
            o.fixed = true;
            o.backing = Backing::File {
                m: mappable.clone(),
                off: page_down(p.offset),
            };
            mm.mmap(o)?;
            // The rest of the last file page is bss: zero it.
            if p.memsz > p.filesz && p.flags & PF_W != 0 && file_end < map_end {
                mm.write_bytes(file_end, &vec![0u8; (map_end - file_end) as usize])?;
            }
        }
        let bss_start = if p.filesz > 0 { map_end } else { start };
        let bss_end = page_up(mem_end).ok_or(Errno::ENOEXEC)?;
        if bss_end > bss_start {
            let mut o = MmapOpts::anon(bss_end - bss_start, prot);
            o.addr = bss_start;
            o.fixed = true;
            mm.mmap(o)?;
        }
        top = top.max(mem_end);
    }
    Ok(top)
}

/// Span of the PT_LOAD segments: (lowest page, highest end).
fn span(e: &ElfInfo) -> (u64, u64) {
    let lo = e
        .phdrs
        .iter()
        .filter(|p| p.p_type == PT_LOAD)
        .map(|p| page_down(p.vaddr))
        .min()
        .unwrap_or(0);
    let hi = e
        .phdrs
        .iter()
        .filter(|p| p.p_type == PT_LOAD)
        .map(|p| p.vaddr.saturating_add(p.memsz))
        .max()
        .unwrap_or(0);
    (lo, hi)
}

fn hwcap() -> u64 {
    core::arch::x86_64::__cpuid(1).edx as u64
}

fn hwcap2() -> u64 {
    // HWCAP2_FSGSBASE: user-mode FS/GS base instructions (CPUID 7.0:EBX bit 0).
    (core::arch::x86_64::__cpuid_count(7, 0).ebx & 1) as u64 * 2
}

/// Load a program into the fresh `mm`. On error the Mm may be half-built;
/// callers throw it away.
/// Why a load failed: before the point of no return (execve fails with the
/// errno and the old program continues) or after it (the process is killed
/// with SIGSEGV, as Linux does once the old image is gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadError {
    Before(Errno),
    After(Errno),
}

impl From<Errno> for LoadError {
    fn from(e: Errno) -> LoadError {
        LoadError::Before(e)
    }
}

impl LoadError {
    pub fn errno(self) -> Errno {
        match self {
            LoadError::Before(e) | LoadError::After(e) => e,
        }
    }
}

/// The interpreter named by PT_INTERP, opened and parsed.
fn find_interp(spec: &LoadSpec<'_>, e: &ElfInfo) -> Result<Option<(Arc<File>, ElfInfo)>, Errno> {
    let Some(ip) = e.phdrs.iter().find(|p| p.p_type == PT_INTERP) else {
        return Ok(None);
    };
    if ip.filesz < 2 || ip.filesz > 4096 {
        return Err(Errno::ENOEXEC);
    }
    let name = read_at(spec.file, ip.offset, ip.filesz as usize)?;
    let name = match name.iter().position(|&b| b == 0) {
        Some(n) if n > 0 => name[..n].to_vec(),
        _ => return Err(Errno::ENOEXEC),
    };
    let ifile = (spec.open_interp)(&name)?;
    let ie = read_elf(&ifile)?;
    if ie.phdrs.iter().any(|p| p.p_type == PT_INTERP) {
        return Err(Errno::ELIBBAD);
    }
    Ok(Some((ifile, ie)))
}

/// Load a program into the fresh `mm`. On error the Mm may be half-built;
/// callers throw it away.
pub fn load(mm: &Mm, spec: &LoadSpec<'_>) -> Result<Loaded, LoadError> {
    let e = read_elf(spec.file)?;
    let interp = find_interp(spec, &e)?;
    // From here on Linux has already discarded the old program.
    map_program(mm, spec, &e, interp).map_err(LoadError::After)
}

fn map_program(
    mm: &Mm,
    spec: &LoadSpec<'_>,
    e: &ElfInfo,
    interp: Option<(Arc<File>, ElfInfo)>,
) -> Result<Loaded, Errno> {
    if e.phdrs
        .iter()
        .any(|p| p.p_type == PT_LOAD && p.filesz > p.memsz)
    {
        return Err(Errno::EINVAL);
    }
    let e = e.clone();
    let max = mm.max_addr;

    // Address space layout: stack at the top (randomized), mmap area below it.
    let stack_top = page_down(max - (random_u64() % (1 << 22)) * PAGE_SIZE / 64);
    let mmap_base =
        page_down(stack_top - (128 << 20) - (random_u64() % (1 << 28)) * PAGE_SIZE / 16);
    mm.st.lock().mmap_base = mmap_base;
    // The vvar page and the vDSO at the top of the mmap area, above the
    // interpreter, where Linux 6.x puts them.
    let vdso_base = match spec.vdso {
        Some(v) => Some(v.map_into(mm, mmap_base)?),
        None => None,
    };

    let (lo, hi) = span(&e);
    let bias = if e.e_type == elf::ET_DYN {
        let want = ET_DYN_BASE + (random_u64() % (1 << 20)) * PAGE_SIZE;
        page_down(want) - lo
    } else {
        0
    };
    if hi.checked_add(bias).is_none_or(|h| h > max) {
        return Err(Errno::ENOMEM);
    }
    let end = map_segments(mm, spec.file, &e, bias)?;
    let brk = page_up(end).ok_or(Errno::ENOMEM)? + (random_u64() % (1 << 13)) * PAGE_SIZE;
    mm.set_brk_start(brk);

    // The interpreter, if any, goes into the mmap area.
    let mut entry = e.entry.wrapping_add(bias);
    let mut interp_base = 0;
    if let Some((ifile, ie)) = interp {
        let (ilo, ihi) = span(&ie);
        let ibias = if ie.e_type == elf::ET_DYN {
            let len = page_up(ihi - ilo).ok_or(Errno::ENOEXEC)?;
            let at = mm
                .st
                .lock()
                .vmas
                .find_free_top_down(len, crate::mm::MMAP_MIN_ADDR, mmap_base)
                .ok_or(Errno::ENOMEM)?;
            at - ilo
        } else {
            0
        };
        map_segments(mm, &ifile, &ie, ibias)?;
        interp_base = ibias + ilo;
        entry = ie.entry.wrapping_add(ibias);
    }

    // Stack.
    let exec_stack = e
        .phdrs
        .iter()
        .find(|p| p.p_type == PT_GNU_STACK)
        .is_some_and(|p| p.flags & PF_X != 0);
    let mut o = MmapOpts::anon(INITIAL_STACK, if exec_stack { Prot(7) } else { Prot::RW });
    o.addr = stack_top - INITIAL_STACK;
    o.fixed = true;
    o.growsdown = true;
    o.name = VmaName::Stack;
    mm.mmap(o)?;

    let phdr = match e.phdrs.iter().find(|p| p.p_type == PT_PHDR) {
        Some(p) => p.vaddr + bias,
        None => e
            .phdrs
            .iter()
            .find(|p| p.p_type == PT_LOAD && p.offset <= e.phoff && e.phoff < p.offset + p.filesz)
            .map(|p| p.vaddr + (e.phoff - p.offset) + bias)
            .unwrap_or(0),
    };
    let mut auxv = Vec::with_capacity(18);
    if let Some(base) = vdso_base {
        auxv.push((AT_SYSINFO_EHDR, base));
    }
    auxv.extend([
        // Linux's signal frame size for this CPU's XSAVE area (measured on 6.x).
        (AT_MINSIGSTKSZ, platform::fpstate::xsave_size() as u64 + 944),
        (AT_HWCAP, hwcap()),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_CLKTCK, 100),
        (AT_PHDR, phdr),
        (AT_PHENT, 56),
        (AT_PHNUM, e.phnum as u64),
        (AT_BASE, interp_base),
        (AT_FLAGS, 0),
        (AT_ENTRY, e.entry.wrapping_add(bias)),
        (AT_UID, spec.uid as u64),
        (AT_EUID, spec.euid as u64),
        (AT_GID, spec.gid as u64),
        (AT_EGID, spec.egid as u64),
        (AT_SECURE, 0),
        (AT_HWCAP2, hwcap2()),
    ]);
    let mut random = [0u8; 16];
    let _ = rustix::rand::getrandom(&mut random, rustix::rand::GetRandomFlags::empty());
    let layout = stack::build(
        mm,
        stack_top,
        stack::StackSpec {
            argv: spec.argv,
            envp: spec.envp,
            execfn: spec.execfn,
            auxv,
            random,
        },
    )?;
    {
        let mut st = mm.st.lock();
        st.layout = crate::mm::Layout {
            arg_start: layout.arg_start,
            arg_end: layout.arg_end,
            env_start: layout.env_start,
            env_end: layout.env_end,
            start_stack: stack_top,
            auxv: layout.auxv.clone(),
        };
    }
    Ok(Loaded {
        entry,
        sp: layout.sp,
    })
}
