//! The initial stack of a new program: argc, argv, envp, auxv and the
//! strings they point to, laid out as Linux lays them out.

use crate::mm::Mm;
use abi::auxv::*;
use abi::Errno;

/// Everything that goes onto the initial stack.
pub struct StackSpec<'a> {
    pub argv: &'a [Vec<u8>],
    pub envp: &'a [Vec<u8>],
    pub execfn: &'a [u8],
    pub auxv: Vec<(u64, u64)>,
    pub random: [u8; 16],
}

/// Where things ended up.
pub struct StackLayout {
    pub sp: u64,
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
    pub auxv: Vec<(u64, u64)>,
}

/// Linux caps argv+envp at a quarter of the stack limit (and at least 128 KiB... of pages, MAX_ARG_STRLEN per string).
pub const MAX_ARG_STRLEN: usize = 32 * 4096;

struct Writer<'m> {
    mm: &'m Mm,
    sp: u64,
}

impl Writer<'_> {
    fn push_bytes(&mut self, b: &[u8]) -> Result<u64, Errno> {
        self.sp = self.sp.checked_sub(b.len() as u64).ok_or(Errno::E2BIG)?;
        self.mm.write_bytes(self.sp, b)?;
        Ok(self.sp)
    }
    fn push_cstr(&mut self, s: &[u8]) -> Result<u64, Errno> {
        let mut v = s.to_vec();
        v.push(0);
        self.push_bytes(&v)
    }
}

/// Build the stack below `top` (already mapped). Returns the layout; `sp`
/// is 16-byte aligned and points at argc.
pub fn build(mm: &Mm, top: u64, spec: StackSpec<'_>) -> Result<StackLayout, Errno> {
    let total: usize = spec
        .argv
        .iter()
        .chain(spec.envp.iter())
        .map(|s| s.len() + 1)
        .sum();
    if total > 8 * 1024 * 1024 / 4
        || spec
            .argv
            .iter()
            .chain(spec.envp.iter())
            .any(|s| s.len() + 1 > MAX_ARG_STRLEN)
    {
        return Err(Errno::E2BIG);
    }
    let mut w = Writer { mm, sp: top };
    // The end marker word, then the exec file name, as Linux does.
    w.push_bytes(&[0u8; 8])?;
    let execfn = w.push_cstr(spec.execfn)?;
    let env_end = execfn;
    let mut env_ptrs = Vec::with_capacity(spec.envp.len());
    for e in spec.envp.iter().rev() {
        env_ptrs.push(w.push_cstr(e)?);
    }
    env_ptrs.reverse();
    let env_start = env_ptrs.first().copied().unwrap_or(env_end);
    let arg_end = env_start;
    let mut arg_ptrs = Vec::with_capacity(spec.argv.len());
    for a in spec.argv.iter().rev() {
        arg_ptrs.push(w.push_cstr(a)?);
    }
    arg_ptrs.reverse();
    let arg_start = arg_ptrs.first().copied().unwrap_or(arg_end);
    let platform = w.push_cstr(b"x86_64")?;
    w.sp &= !15;
    let random = w.push_bytes(&spec.random)?;

    // Linux's order: ..., AT_SECURE, AT_RANDOM, AT_HWCAP2, AT_EXECFN, AT_PLATFORM, AT_NULL.
    let mut auxv = Vec::with_capacity(spec.auxv.len() + 4);
    for (k, v) in spec.auxv {
        if k == AT_HWCAP2 {
            auxv.push((AT_RANDOM, random));
        }
        auxv.push((k, v));
    }
    if !auxv.iter().any(|a| a.0 == AT_RANDOM) {
        auxv.push((AT_RANDOM, random));
    }
    auxv.push((AT_EXECFN, execfn));
    auxv.push((AT_PLATFORM, platform));
    auxv.push((AT_NULL, 0));

    // Words below: argc, argv..., 0, envp..., 0, auxv pairs.
    let words = 1 + arg_ptrs.len() + 1 + env_ptrs.len() + 1 + auxv.len() * 2;
    w.sp = (w.sp - words as u64 * 8) & !15;
    let mut v: Vec<u64> = Vec::with_capacity(words);
    v.push(arg_ptrs.len() as u64);
    v.extend_from_slice(&arg_ptrs);
    v.push(0);
    v.extend_from_slice(&env_ptrs);
    v.push(0);
    for (k, val) in &auxv {
        v.push(*k);
        v.push(*val);
    }
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    mm.write_bytes(w.sp, &bytes)?;
    Ok(StackLayout {
        sp: w.sp,
        arg_start,
        arg_end,
        env_start,
        env_end,
        auxv,
    })
}
