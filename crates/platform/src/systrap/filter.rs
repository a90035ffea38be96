//! The seccomp filter every systrap stub process installs before any
//! application code runs.
//!
//! A syscall is allowed only if it is made for the x86-64 ABI from an
//! instruction inside the stub code page, and is one the stub itself makes
//! (with its arguments pinned where one value is enough). Everything else —
//! every application syscall, 32-bit `int 0x80` calls, x32 numbers — gets
//! SECCOMP_RET_TRAP: a SIGSYS the stub's handler passes to the Sentry.

/// `struct sock_filter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

impl Insn {
    pub fn to_bytes(self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[0..2].copy_from_slice(&self.code.to_le_bytes());
        b[2] = self.jt;
        b[3] = self.jf;
        b[4..8].copy_from_slice(&self.k.to_le_bytes());
        b
    }
}

const LD_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
const JEQ: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JGE: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const RET: u16 = 0x06; // BPF_RET | BPF_K

const RET_ALLOW: u32 = 0x7fff_0000;
const RET_TRAP: u32 = 0x0003_0000;
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;

// struct seccomp_data offsets.
const NR: u32 = 0;
const ARCH: u32 = 4;
const IP_LO: u32 = 8;
const IP_HI: u32 = 12;
const ARG0_LO: u32 = 16;
const ARG0_HI: u32 = 20;

/// Where a conditional jump goes.
#[derive(Clone, Copy)]
enum To {
    Next,
    Allow,
    Trap,
    /// Skip this many instructions after the next one.
    Skip(u8),
}

/// Syscalls the stub makes with any arguments: mmap, mprotect, munmap
/// (requests and thread set-up), rt_sigprocmask, rt_sigreturn, exit
/// (a thread's end), getppid, sigaltstack, futex, set_tid_address,
/// exit_group.
const ANY_ARGS: [u32; 11] = [9, 10, 11, 14, 15, 60, 110, 131, 202, 218, 231];

/// Syscalls the stub makes with a fixed first argument: prctl
/// (PR_SET_PDEATHSIG), arch_prctl (ARCH_SET_FS, ARCH_SET_GS), clone (a new
/// stub thread).
fn pinned_first_arg(thread_clone_flags: u64) -> [(u32, Vec<u64>); 3] {
    [
        (157, vec![libc::PR_SET_PDEATHSIG as u64]),
        (158, vec![0x1002, 0x1001]),
        (56, vec![thread_clone_flags]),
    ]
}

/// The filter for a stub whose code page is at `page` (one page).
pub fn build(page: u64, thread_clone_flags: u64) -> Result<Vec<Insn>, String> {
    let lo = page as u32;
    let hi = (page >> 32) as u32;
    let end = lo
        .checked_add(abi::PAGE_SIZE as u32)
        .ok_or("stub page straddles a 4 GiB boundary")?;
    let mut p: Vec<(u16, To, To, u32)> = vec![
        (LD_ABS, To::Next, To::Next, ARCH),
        (JEQ, To::Next, To::Trap, AUDIT_ARCH_X86_64),
        (LD_ABS, To::Next, To::Next, IP_HI),
        (JEQ, To::Next, To::Trap, hi),
        (LD_ABS, To::Next, To::Next, IP_LO),
        (JGE, To::Next, To::Trap, lo),
        (JGE, To::Trap, To::Next, end),
        (LD_ABS, To::Next, To::Next, NR),
    ];
    for nr in ANY_ARGS {
        p.push((JEQ, To::Allow, To::Next, nr));
    }
    for (nr, values) in pinned_first_arg(thread_clone_flags) {
        // nr? -> low word one of values (with its high word) -> allow.
        let block = 1 + values.len() as u8 * 4;
        p.push((JEQ, To::Next, To::Skip(block - 1), nr));
        for (i, &v) in values.iter().enumerate() {
            let last = i + 1 == values.len();
            let miss = if last { To::Trap } else { To::Skip(2) };
            p.push((LD_ABS, To::Next, To::Next, ARG0_LO));
            p.push((JEQ, To::Next, miss, v as u32));
            p.push((LD_ABS, To::Next, To::Next, ARG0_HI));
            p.push((
                JEQ,
                To::Allow,
                if last { To::Trap } else { To::Next },
                (v >> 32) as u32,
            ));
        }
        // A miss on the last value traps, so the accumulator (no longer the
        // syscall number) is never looked at by the next block.
    }
    let trap = p.len();
    let allow = trap + 1;
    let mut out = Vec::with_capacity(allow + 1);
    for (i, &(code, jt, jf, k)) in p.iter().enumerate() {
        let off = |t: To| -> Result<u8, String> {
            let target = match t {
                To::Next => i + 1,
                To::Allow => allow,
                To::Trap => trap,
                To::Skip(n) => i + 1 + n as usize,
            };
            u8::try_from(target - (i + 1)).map_err(|_| "seccomp filter jump too long".to_string())
        };
        let (jt, jf) = if code == JEQ || code == JGE {
            (off(jt)?, off(jf)?)
        } else {
            (0, 0)
        };
        out.push(Insn { code, jt, jf, k });
    }
    out.push(Insn {
        code: RET,
        jt: 0,
        jf: 0,
        k: RET_TRAP,
    });
    out.push(Insn {
        code: RET,
        jt: 0,
        jf: 0,
        k: RET_ALLOW,
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny classic-BPF interpreter for the instructions `build` emits.
    fn run(prog: &[Insn], data: &[u8; 64]) -> u32 {
        let mut pc = 0;
        let mut acc = 0u32;
        loop {
            let i = prog[pc];
            match i.code {
                LD_ABS => {
                    let k = i.k as usize;
                    acc = u32::from_le_bytes(data[k..k + 4].try_into().unwrap());
                    pc += 1;
                }
                JEQ => pc += 1 + if acc == i.k { i.jt } else { i.jf } as usize,
                JGE => pc += 1 + if acc >= i.k { i.jt } else { i.jf } as usize,
                RET => return i.k,
                c => panic!("unexpected opcode {c:#x}"),
            }
        }
    }

    fn data(nr: u32, arch: u32, ip: u64, arg0: u64) -> [u8; 64] {
        let mut d = [0u8; 64];
        d[0..4].copy_from_slice(&nr.to_le_bytes());
        d[4..8].copy_from_slice(&arch.to_le_bytes());
        d[8..16].copy_from_slice(&ip.to_le_bytes());
        d[16..24].copy_from_slice(&arg0.to_le_bytes());
        d
    }

    #[test]
    fn only_stub_syscalls_pass() {
        let page = 0x7fff_fe00_0000u64;
        let flags = 0x50f00;
        let p = build(page, flags).unwrap();
        let x = AUDIT_ARCH_X86_64;
        // From the stub page: the stub's own calls pass.
        assert_eq!(run(&p, &data(202, x, page + 0x100, 0)), RET_ALLOW);
        assert_eq!(run(&p, &data(15, x, page + 0xffe, 0)), RET_ALLOW);
        assert_eq!(run(&p, &data(56, x, page + 8, flags)), RET_ALLOW);
        assert_eq!(run(&p, &data(158, x, page + 8, 0x1002)), RET_ALLOW);
        assert_eq!(run(&p, &data(158, x, page + 8, 0x1001)), RET_ALLOW);
        assert_eq!(run(&p, &data(157, x, page + 8, 1)), RET_ALLOW);
        // ... but not with other arguments, nor other calls.
        assert_eq!(run(&p, &data(56, x, page + 8, 0x11)), RET_TRAP);
        assert_eq!(run(&p, &data(56, x, page + 8, flags | 1 << 32)), RET_TRAP);
        assert_eq!(run(&p, &data(158, x, page + 8, 0x1003)), RET_TRAP);
        assert_eq!(run(&p, &data(157, x, page + 8, 22)), RET_TRAP);
        assert_eq!(run(&p, &data(59, x, page + 8, 0)), RET_TRAP);
        assert_eq!(run(&p, &data(202 | 0x4000_0000, x, page + 8, 0)), RET_TRAP);
        // Anything from elsewhere, or for another ABI, traps.
        assert_eq!(run(&p, &data(202, x, page - 2, 0)), RET_TRAP);
        assert_eq!(run(&p, &data(202, x, page + 4096, 0)), RET_TRAP);
        assert_eq!(run(&p, &data(202, x, (page + 8) ^ (1 << 40), 0)), RET_TRAP);
        assert_eq!(run(&p, &data(202, 0x4000_0003, page + 8, 0)), RET_TRAP);
    }
}
