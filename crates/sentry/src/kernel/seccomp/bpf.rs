//! Classic BPF as seccomp uses it: the load-time checks of Linux's
//! `bpf_check_classic` and `seccomp_check_filter`, and an interpreter over
//! `struct seccomp_data`. Pure: no task, no memory, no panics on any input.

use abi::Errno;

/// `BPF_MAXINSNS`: the longest program.
pub const MAX_INSNS: usize = 4096;
/// `BPF_MEMWORDS`: scratch memory cells.
const MEMWORDS: u32 = 16;
/// `sizeof(struct seccomp_data)`.
pub const DATA_LEN: u32 = 64;

/// One `struct sock_filter`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

impl Insn {
    /// Decode the 8 bytes of a `struct sock_filter` (host byte order).
    pub fn from_bytes(b: [u8; 8]) -> Insn {
        Insn {
            code: u16::from_le_bytes([b[0], b[1]]),
            jt: b[2],
            jf: b[3],
            k: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }
}

/// `struct seccomp_data`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Data {
    pub nr: i32,
    pub arch: u32,
    pub instruction_pointer: u64,
    pub args: [u64; 6],
}

impl Data {
    /// The 32-bit word at byte offset `off` (validated: aligned, in bounds).
    fn word(&self, off: u32) -> u32 {
        let half = |v: u64| {
            if off & 4 == 0 {
                v as u32
            } else {
                (v >> 32) as u32
            }
        };
        match off {
            0 => self.nr as u32,
            4 => self.arch,
            8 | 12 => half(self.instruction_pointer),
            16..=63 => {
                let i = ((off - 16) / 8) as usize;
                self.args.get(i).map_or(0, |&a| half(a))
            }
            _ => 0,
        }
    }
}

// Instruction classes and fields (linux/bpf_common.h, linux/filter.h).
const LD: u16 = 0x00;
const LDX: u16 = 0x01;
const ST: u16 = 0x02;
const STX: u16 = 0x03;
const ALU: u16 = 0x04;
const JMP: u16 = 0x05;
const RET: u16 = 0x06;
const MISC: u16 = 0x07;
const W: u16 = 0x00;
const IMM: u16 = 0x00;
const ABS: u16 = 0x20;
const MEM: u16 = 0x60;
const LEN: u16 = 0x80;
const K: u16 = 0x00;
const X: u16 = 0x08;
const A: u16 = 0x10;
const ADD: u16 = 0x00;
const SUB: u16 = 0x10;
const MUL: u16 = 0x20;
const DIV: u16 = 0x30;
const OR: u16 = 0x40;
const AND: u16 = 0x50;
const LSH: u16 = 0x60;
const RSH: u16 = 0x70;
const NEG: u16 = 0x80;
const MOD: u16 = 0x90;
const XOR: u16 = 0xa0;
const JA: u16 = 0x00;
const JEQ: u16 = 0x10;
const JGT: u16 = 0x20;
const JGE: u16 = 0x30;
const JSET: u16 = 0x40;
const TAX: u16 = 0x00;
const TXA: u16 = 0x80;

/// What the classic checker (`chk_code_allowed`) knows at all.
fn classic_code_known(code: u16) -> bool {
    const B: u16 = 0x10;
    const H: u16 = 0x08;
    const IND: u16 = 0x40;
    const MSH: u16 = 0xa0;
    let alu = [ADD, SUB, MUL, DIV, MOD, AND, OR, XOR, LSH, RSH];
    if code & 0x7 == ALU && code & !0xf8 == ALU {
        let op = code & 0xf0;
        if alu.contains(&op) {
            return true;
        }
        return code == ALU | NEG;
    }
    let jumps = [JEQ, JGT, JGE, JSET];
    if code & 0x7 == JMP {
        if code == JMP | JA {
            return true;
        }
        return code & !0xf8 == JMP && jumps.contains(&(code & 0xf0)) && code & 0xf0 != 0;
    }
    matches!(
        code,
        c if c == LD | W | ABS || c == LD | H | ABS || c == LD | B | ABS
            || c == LD | W | IND || c == LD | H | IND || c == LD | B | IND
            || c == LD | W | LEN || c == LD | IMM || c == LD | MEM
            || c == LDX | W | LEN || c == LDX | B | MSH || c == LDX | IMM || c == LDX | MEM
            || c == ST || c == STX || c == MISC | TAX || c == MISC | TXA
            || c == RET | K || c == RET | A
    )
}

/// What seccomp accepts (`seccomp_check_filter`), beyond the classic checks.
fn seccomp_code_allowed(code: u16) -> bool {
    if code & 0x7 == ALU {
        let op = code & 0xf0;
        return code == ALU | NEG
            || (code & !0xf8 == ALU && [ADD, SUB, MUL, DIV, AND, OR, XOR, LSH, RSH].contains(&op));
    }
    if code & 0x7 == JMP {
        return code == JMP | JA
            || (code & !0xf8 == JMP && [JEQ, JGT, JGE, JSET].contains(&(code & 0xf0)));
    }
    [
        LD | W | ABS,
        LD | W | LEN,
        LDX | W | LEN,
        RET | K,
        RET | A,
        LD | IMM,
        LDX | IMM,
        MISC | TAX,
        MISC | TXA,
        LD | MEM,
        LDX | MEM,
        ST,
        STX,
    ]
    .contains(&code)
}

/// Check a program as Linux does when a filter is installed; every
/// rejection is EINVAL.
pub fn check(prog: &[Insn]) -> Result<(), Errno> {
    let flen = prog.len();
    if flen == 0 || flen > MAX_INSNS {
        return Err(Errno::EINVAL);
    }
    // bpf_check_classic.
    for (pc, i) in prog.iter().enumerate() {
        if !classic_code_known(i.code) {
            return Err(Errno::EINVAL);
        }
        let code = i.code;
        let after = flen - pc - 1;
        let bad = match code {
            c if c == ALU | DIV | K || c == ALU | MOD | K => i.k == 0,
            c if c == ALU | LSH | K || c == ALU | RSH | K => i.k >= 32,
            c if c == LD | MEM || c == LDX | MEM || c == ST || c == STX => i.k >= MEMWORDS,
            c if c == JMP | JA => i.k as u64 >= after as u64,
            c if c & 0x7 == JMP => i.jt as usize >= after || i.jf as usize >= after,
            _ => false,
        };
        if bad {
            return Err(Errno::EINVAL);
        }
    }
    match prog.last() {
        Some(i) if i.code & 0x7 == RET => {}
        _ => return Err(Errno::EINVAL),
    }
    check_load_and_stores(prog)?;
    // seccomp_check_filter.
    for i in prog {
        if !seccomp_code_allowed(i.code) {
            return Err(Errno::EINVAL);
        }
        if i.code == LD | W | ABS && (i.k >= DATA_LEN || i.k & 3 != 0) {
            return Err(Errno::EINVAL);
        }
    }
    Ok(())
}

/// Linux's `check_load_and_stores`: no scratch cell is read before every
/// path to the read has written it.
fn check_load_and_stores(prog: &[Insn]) -> Result<(), Errno> {
    let mut masks = vec![u16::MAX; prog.len()];
    let mut valid: u16 = 0;
    for (pc, i) in prog.iter().enumerate() {
        valid &= masks.get(pc).copied().unwrap_or(u16::MAX);
        let bit = 1u16.checked_shl(i.k).unwrap_or(0);
        let mut narrow = |to: usize, valid: u16| {
            if let Some(m) = masks.get_mut(to) {
                *m &= valid;
            }
        };
        match i.code {
            c if c == ST || c == STX => valid |= bit,
            c if (c == LD | MEM || c == LDX | MEM) && valid & bit == 0 => {
                return Err(Errno::EINVAL);
            }
            c if c == JMP | JA => {
                narrow(pc + 1 + i.k as usize, valid);
                valid = u16::MAX;
            }
            c if c & 0x7 == JMP => {
                narrow(pc + 1 + i.jt as usize, valid);
                narrow(pc + 1 + i.jf as usize, valid);
                valid = u16::MAX;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Run a checked program over `d`; its return value. A program that was
/// not checked still never panics: anything out of bounds returns 0
/// (SECCOMP_RET_KILL_THREAD), as Linux does for division by a zero X.
pub fn run(prog: &[Insn], d: &Data) -> u32 {
    let (mut a, mut x) = (0u32, 0u32);
    let mut mem = [0u32; MEMWORDS as usize];
    let mut pc = 0usize;
    // Jumps go forward only: at most one step per instruction.
    while let Some(i) = prog.get(pc) {
        pc += 1;
        let src = if i.code & X != 0 { x } else { i.k };
        match i.code & 0x7 {
            LD | LDX => {
                let v = match i.code & 0xe0 {
                    IMM => i.k,
                    ABS if i.k < DATA_LEN && i.k & 3 == 0 => d.word(i.k),
                    MEM => match mem.get(i.k as usize) {
                        Some(&m) => m,
                        None => return 0,
                    },
                    LEN => DATA_LEN,
                    _ => return 0,
                };
                if i.code & 0x7 == LD {
                    a = v;
                } else {
                    x = v;
                }
            }
            ST | STX => {
                let v = if i.code & 0x7 == ST { a } else { x };
                match mem.get_mut(i.k as usize) {
                    Some(m) => *m = v,
                    None => return 0,
                }
            }
            ALU => {
                a = match i.code & 0xf0 {
                    ADD => a.wrapping_add(src),
                    SUB => a.wrapping_sub(src),
                    MUL => a.wrapping_mul(src),
                    DIV => match a.checked_div(src) {
                        Some(v) => v,
                        None => return 0,
                    },
                    MOD => match a.checked_rem(src) {
                        Some(v) => v,
                        None => return 0,
                    },
                    OR => a | src,
                    AND => a & src,
                    XOR => a ^ src,
                    LSH => a.wrapping_shl(src),
                    RSH => a.wrapping_shr(src),
                    NEG => a.wrapping_neg(),
                    _ => return 0,
                };
            }
            JMP => {
                let off = match i.code & 0xf0 {
                    JA => i.k as usize,
                    op => {
                        let taken = match op {
                            JEQ => a == src,
                            JGT => a > src,
                            JGE => a >= src,
                            JSET => a & src != 0,
                            _ => return 0,
                        };
                        usize::from(if taken { i.jt } else { i.jf })
                    }
                };
                pc = match pc.checked_add(off) {
                    Some(p) => p,
                    None => return 0,
                };
            }
            RET => {
                return match i.code & 0x18 {
                    K => i.k,
                    A => a,
                    _ => 0,
                };
            }
            _ => {
                // MISC
                match i.code & 0xf8 {
                    TAX => x = a,
                    TXA => a = x,
                    _ => return 0,
                }
            }
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmt(code: u16, k: u32) -> Insn {
        Insn {
            code,
            jt: 0,
            jf: 0,
            k,
        }
    }
    fn jump(code: u16, k: u32, jt: u8, jf: u8) -> Insn {
        Insn { code, jt, jf, k }
    }

    const RET_ALLOW: u32 = 0x7fff_0000;
    const RET_ERRNO: u32 = 0x0005_0000;

    fn data(nr: i32, args: [u64; 6]) -> Data {
        Data {
            nr,
            arch: 0xc000_003e,
            instruction_pointer: 0x1234_5678_9abc_def0,
            args,
        }
    }

    #[test]
    fn errno_for_one_syscall() {
        let p = [
            stmt(LD | W | ABS, 0),
            jump(JMP | JEQ | K, 39, 0, 1),
            stmt(RET | K, RET_ERRNO | 77),
            stmt(RET | K, RET_ALLOW),
        ];
        assert_eq!(check(&p), Ok(()));
        assert_eq!(run(&p, &data(39, [0; 6])), RET_ERRNO | 77);
        assert_eq!(run(&p, &data(1, [0; 6])), RET_ALLOW);
    }

    #[test]
    fn loads_every_field_little_endian() {
        let d = data(
            -3,
            [
                0x1111_2222_3333_4444,
                0x5555_6666_7777_8888,
                9,
                10,
                11,
                0xffff_ffff_0000_0001,
            ],
        );
        let load = |off| run(&[stmt(LD | W | ABS, off), stmt(RET | A, 0)], &d);
        assert_eq!(load(0), (-3i32) as u32);
        assert_eq!(load(4), 0xc000_003e);
        assert_eq!(load(8), 0x9abc_def0);
        assert_eq!(load(12), 0x1234_5678);
        assert_eq!(load(16), 0x3333_4444);
        assert_eq!(load(20), 0x1111_2222);
        assert_eq!(load(24), 0x7777_8888);
        assert_eq!(load(56), 1);
        assert_eq!(load(60), 0xffff_ffff);
    }

    #[test]
    fn alu_mem_and_misc() {
        let p = [
            stmt(LD | IMM, 6),
            stmt(ST, 3),
            stmt(LDX | IMM, 7),
            stmt(ALU | MUL | X, 0), // 42
            stmt(ALU | ADD | K, 8), // 50
            stmt(ALU | DIV | K, 5), // 10
            stmt(ALU | LSH | K, 4), // 160
            stmt(ALU | SUB | X, 0), // 153
            stmt(MISC | TAX, 0),
            stmt(LD | MEM, 3),      // 6
            stmt(ALU | XOR | X, 0), // 6 ^ 153
            stmt(ALU | NEG, 0),
            stmt(ALU | NEG, 0),
            stmt(LD | W | LEN, 0),
            stmt(MISC | TXA, 0),
            stmt(RET | A, 0),
        ];
        assert_eq!(check(&p), Ok(()));
        assert_eq!(run(&p, &Data::default()), 153);
        // Division by a zero X ends the program with 0.
        let p = [
            stmt(LD | IMM, 6),
            stmt(ALU | DIV | X, 0),
            stmt(RET | K, RET_ALLOW),
        ];
        assert_eq!(check(&p), Ok(()));
        assert_eq!(run(&p, &Data::default()), 0);
    }

    #[test]
    fn jumps() {
        let p = [
            stmt(LD | W | ABS, 16),
            jump(JMP | JSET | K, 0x10, 1, 0),
            stmt(RET | K, 1),
            jump(JMP | JGT | K, 0x100, 0, 1),
            stmt(RET | K, 2),
            stmt(JMP | JA, 1),
            stmt(RET | K, 3),
            jump(JMP | JGE | K, 0x11, 0, 1),
            stmt(RET | K, 4),
            stmt(RET | K, 5),
        ];
        assert_eq!(check(&p), Ok(()));
        assert_eq!(run(&p, &data(0, [0, 0, 0, 0, 0, 0])), 1);
        assert_eq!(run(&p, &data(0, [0x110, 0, 0, 0, 0, 0])), 2);
        assert_eq!(run(&p, &data(0, [0x11, 0, 0, 0, 0, 0])), 4);
        assert_eq!(run(&p, &data(0, [0x10, 0, 0, 0, 0, 0])), 5);
    }

    #[test]
    fn rejections() {
        let ok = stmt(RET | K, RET_ALLOW);
        let bad = |p: &[Insn]| assert_eq!(check(p), Err(Errno::EINVAL), "{p:?}");
        bad(&[]);
        bad(&vec![ok; MAX_INSNS + 1]);
        assert_eq!(check(&vec![ok; MAX_INSNS]), Ok(()));
        // No RET at the end.
        bad(&[stmt(LD | IMM, 1)]);
        bad(&[ok, stmt(LD | IMM, 1)]);
        // Jumps out of range.
        bad(&[stmt(JMP | JA, 1), ok]);
        bad(&[jump(JMP | JEQ | K, 0, 1, 0), ok]);
        bad(&[jump(JMP | JEQ | K, 0, 0, 1), ok]);
        bad(&[stmt(JMP | JA, u32::MAX), ok]);
        // Loads outside seccomp_data or misaligned.
        bad(&[stmt(LD | W | ABS, 64), ok]);
        bad(&[stmt(LD | W | ABS, 2), ok]);
        bad(&[stmt(LD | W | ABS, u32::MAX), ok]);
        // Packet loads, MOD, RET X, unknown codes.
        bad(&[stmt(LD | 0x10 | ABS, 0), ok]);
        bad(&[stmt(LD | W | 0x40, 0), ok]);
        bad(&[stmt(ALU | MOD | K, 3), ok]);
        bad(&[stmt(RET | X, 0)]);
        bad(&[stmt(0xffff, 0), ok]);
        bad(&[stmt(LDX | 0x10 | 0xa0, 0), ok]);
        // Division by constant zero, big shifts.
        bad(&[stmt(ALU | DIV | K, 0), ok]);
        bad(&[stmt(ALU | LSH | K, 32), ok]);
        // Scratch memory: out of range, read before written.
        bad(&[stmt(ST, 16), ok]);
        bad(&[stmt(LD | MEM, 0), ok]);
        bad(&[
            stmt(LD | IMM, 0),
            jump(JMP | JEQ | K, 0, 0, 1),
            stmt(ST, 2),
            stmt(LD | MEM, 2),
            ok,
        ]);
        assert_eq!(
            check(&[
                stmt(LD | IMM, 0),
                stmt(ST, 2),
                jump(JMP | JEQ | K, 0, 0, 1),
                stmt(ST, 3),
                stmt(LD | MEM, 2),
                ok,
            ]),
            Ok(())
        );
    }

    /// A small deterministic generator (xorshift).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn random_programs_never_panic() {
        let codes: Vec<u16> = (0..=0xffu16).filter(|&c| seccomp_code_allowed(c)).collect();
        assert!(codes.len() > 30);
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        let mut accepted = 0;
        for _ in 0..20_000 {
            let len = (r.next() % 12) as usize;
            let mut prog: Vec<Insn> = (0..len)
                .map(|_| {
                    let v = r.next();
                    let code = if v % 8 != 0 {
                        codes[(v >> 8) as usize % codes.len()]
                    } else {
                        (v >> 8) as u16
                    };
                    let k = match (v >> 24) % 4 {
                        0 => (v >> 32) as u32,
                        1 => ((v >> 32) % 64) as u32 & !3,
                        2 => ((v >> 32) % 17) as u32,
                        _ => 0,
                    };
                    Insn {
                        code,
                        jt: ((v >> 40) % 4) as u8,
                        jf: ((v >> 48) % 4) as u8,
                        k,
                    }
                })
                .collect();
            // Most programs end in RET, so that many pass the checks.
            if r.next() % 4 != 0 {
                if let Some(last) = prog.last_mut() {
                    last.code = RET | ((r.next() % 2) as u16 * A);
                }
            }
            let d = data(
                (r.next() % 400) as i32,
                [r.next(), r.next(), 1, 0, r.next(), 2],
            );
            // Unchecked programs must not panic either.
            let _ = run(&prog, &d);
            if check(&prog).is_ok() {
                accepted += 1;
                let _ = run(&prog, &d);
            }
        }
        assert!(accepted > 100, "only {accepted} programs accepted");
    }
}
