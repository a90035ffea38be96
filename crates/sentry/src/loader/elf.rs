//! ELF64 x86-64 parsing: the file header and program headers, with every
//! field checked. Anything malformed is ENOEXEC with a reason.

use abi::Errno;

pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;
pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;
pub const PT_PHDR: u32 = 6;
pub const PT_GNU_STACK: u32 = 0x6474_e551;
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;

const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;
/// Linux refuses more program headers than fit in 64 KiB.
const MAX_PHDRS_BYTES: usize = 65536;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramHeader {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

#[derive(Clone, Debug)]
pub struct ElfInfo {
    pub e_type: u16,
    pub entry: u64,
    pub phoff: u64,
    pub phnum: u16,
    pub phdrs: Vec<ProgramHeader>,
}

/// Why a file is not loadable; turned into ENOEXEC (or EINVAL/ELIBBAD as Linux does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfError(pub &'static str);

impl From<ElfError> for Errno {
    fn from(_: ElfError) -> Errno {
        Errno::ENOEXEC
    }
}

fn u16_at(b: &[u8], o: usize) -> Result<u16, ElfError> {
    b.get(o..o + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or(ElfError("truncated header"))
}

fn u32_at(b: &[u8], o: usize) -> Result<u32, ElfError> {
    b.get(o..o + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or(ElfError("truncated header"))
}

fn u64_at(b: &[u8], o: usize) -> Result<u64, ElfError> {
    b.get(o..o + 8)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_le_bytes)
        .ok_or(ElfError("truncated header"))
}

/// Whether `head` starts like an ELF file at all.
pub fn is_elf(head: &[u8]) -> bool {
    head.starts_with(b"\x7fELF")
}

/// Parse the ELF header from the first bytes of a file; returns where the
/// program headers are (offset, total size).
pub fn parse_header(b: &[u8]) -> Result<(u16, u64, u64, u16), ElfError> {
    if b.len() < EHDR_SIZE {
        return Err(ElfError("file too short for an ELF header"));
    }
    if !is_elf(b) {
        return Err(ElfError("not an ELF file"));
    }
    if b[4] != 2 {
        return Err(ElfError("not a 64-bit ELF file"));
    }
    if b[5] != 1 {
        return Err(ElfError("not a little-endian ELF file"));
    }
    if b[6] != 1 {
        return Err(ElfError("unknown ELF version"));
    }
    let e_type = u16_at(b, 16)?;
    if e_type != ET_EXEC && e_type != ET_DYN {
        return Err(ElfError("not an executable or shared object"));
    }
    if u16_at(b, 18)? != 62 {
        return Err(ElfError("not an x86-64 ELF file"));
    }
    let entry = u64_at(b, 24)?;
    let phoff = u64_at(b, 32)?;
    if u16_at(b, 54)? as usize != PHDR_SIZE {
        return Err(ElfError("unexpected program header size"));
    }
    let phnum = u16_at(b, 56)?;
    if phnum == 0 || phnum as usize * PHDR_SIZE > MAX_PHDRS_BYTES {
        return Err(ElfError("bad program header count"));
    }
    Ok((e_type, entry, phoff, phnum))
}

/// Parse `phnum` program headers from `b` (the bytes at `phoff`).
pub fn parse_phdrs(b: &[u8], phnum: u16) -> Result<Vec<ProgramHeader>, ElfError> {
    let mut out = Vec::with_capacity(phnum as usize);
    for i in 0..phnum as usize {
        let o = i * PHDR_SIZE;
        if b.len() < o + PHDR_SIZE {
            return Err(ElfError("truncated program headers"));
        }
        let ph = ProgramHeader {
            p_type: u32_at(b, o)?,
            flags: u32_at(b, o + 4)?,
            offset: u64_at(b, o + 8)?,
            vaddr: u64_at(b, o + 16)?,
            filesz: u64_at(b, o + 32)?,
            memsz: u64_at(b, o + 40)?,
            align: u64_at(b, o + 48)?,
        };
        if ph.p_type == PT_LOAD {
            if ph.offset % abi::PAGE_SIZE != ph.vaddr % abi::PAGE_SIZE {
                return Err(ElfError("segment offset and address misaligned"));
            }
            if ph.vaddr.checked_add(ph.memsz).is_none()
                || ph.offset.checked_add(ph.filesz).is_none()
            {
                return Err(ElfError("segment wraps around"));
            }
        }
        out.push(ph);
    }
    if !out.iter().any(|p| p.p_type == PT_LOAD) {
        return Err(ElfError("no loadable segments"));
    }
    Ok(out)
}

/// Parse a whole header + program headers from a buffer holding the file's start.
pub fn parse(b: &[u8]) -> Result<ElfInfo, ElfError> {
    let (e_type, entry, phoff, phnum) = parse_header(b)?;
    let start = usize::try_from(phoff).map_err(|_| ElfError("program headers out of range"))?;
    let end = start
        .checked_add(phnum as usize * PHDR_SIZE)
        .ok_or(ElfError("program headers out of range"))?;
    let slice = b
        .get(start..end)
        .ok_or(ElfError("truncated program headers"))?;
    let phdrs = parse_phdrs(slice, phnum)?;
    Ok(ElfInfo {
        e_type,
        entry,
        phoff,
        phnum,
        phdrs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> Vec<u8> {
        let mut b = vec![0u8; 64 + 56];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[6] = 1;
        b[16..18].copy_from_slice(&ET_EXEC.to_le_bytes());
        b[18..20].copy_from_slice(&62u16.to_le_bytes());
        b[24..32].copy_from_slice(&0x401000u64.to_le_bytes());
        b[32..40].copy_from_slice(&64u64.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&1u16.to_le_bytes());
        let p = 64;
        b[p..p + 4].copy_from_slice(&PT_LOAD.to_le_bytes());
        b[p + 4..p + 8].copy_from_slice(&(PF_R | PF_X).to_le_bytes());
        b[p + 16..p + 24].copy_from_slice(&0x400000u64.to_le_bytes());
        b[p + 32..p + 40].copy_from_slice(&0x78u64.to_le_bytes());
        b[p + 40..p + 48].copy_from_slice(&0x78u64.to_le_bytes());
        b
    }

    #[test]
    fn parses_a_minimal_executable() {
        let e = parse(&minimal()).unwrap();
        assert_eq!(e.entry, 0x401000);
        assert_eq!(e.phdrs.len(), 1);
        assert_eq!(e.phdrs[0].vaddr, 0x400000);
    }

    #[test]
    fn rejects_bad_files() {
        assert!(parse(b"#!/bin/sh\n").is_err());
        let mut b = minimal();
        b[4] = 1;
        assert_eq!(parse(&b).unwrap_err(), ElfError("not a 64-bit ELF file"));
        let mut b = minimal();
        b[18] = 3;
        assert!(parse(&b).is_err());
        let b = minimal();
        for n in 0..b.len() {
            assert!(parse(&b[..n]).is_err(), "truncated at {n} parsed");
        }
        // filesz > memsz parses: Linux rejects it only after the point of no return.
        let mut b = minimal();
        b[64 + 32..64 + 40].copy_from_slice(&0x1000u64.to_le_bytes());
        assert!(parse(&b).is_ok());
        let mut b = minimal();
        b[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(parse(&b).is_err());
    }

    #[test]
    fn random_bytes_never_panic() {
        // A small xorshift generator: deterministic, no dependency.
        let mut x: u64 = 0x9e3779b97f4a7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let base = minimal();
        for _ in 0..20000 {
            let mut b = base.clone();
            let flips = next() % 8 + 1;
            for _ in 0..flips {
                let i = (next() % b.len() as u64) as usize;
                b[i] = next() as u8;
            }
            let cut = (next() % (b.len() as u64 + 1)) as usize;
            let _ = parse(&b[..cut]);
            let len = (next() % 200) as usize;
            let junk: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = parse(&junk);
        }
    }
}
