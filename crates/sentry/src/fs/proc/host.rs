//! Facts about the host machine that /proc passes on: the CPU (the
//! application runs on it and sees it through CPUID anyway), the amount of
//! memory, the kernel release. Read once, at boot; never per request.

use core::arch::x86_64::__cpuid;
use std::fmt::Write;

#[derive(Clone, Debug)]
pub struct HostFacts {
    /// The text of /proc/cpuinfo.
    pub cpuinfo: Vec<u8>,
    /// Processors the sandbox may run on.
    pub ncpus: usize,
    /// MemTotal in bytes.
    pub mem_total: u64,
    /// The kernel release (uname -r), as uname(2) in the sandbox reports it.
    pub release: String,
}

impl HostFacts {
    /// Read the host's facts. `mem_cap` bounds the memory shown (the most
    /// the sandbox's MemoryFile can hold), as sysinfo(2) bounds it.
    pub fn read(mem_cap: u64) -> HostFacts {
        let si = rustix::system::sysinfo();
        let mem_total = si
            .totalram
            .saturating_mul(u64::from(si.mem_unit.max(1)))
            .min(mem_cap);
        let release = rustix::system::uname()
            .release()
            .to_string_lossy()
            .into_owned();
        let host_cpuinfo = std::fs::read("/proc/cpuinfo")
            .ok()
            .filter(|t| count_processors(t) > 0);
        let ncpus = match &host_cpuinfo {
            Some(t) => count_processors(t),
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let cpuinfo = host_cpuinfo.unwrap_or_else(|| synthesize_cpuinfo(ncpus));
        HostFacts {
            cpuinfo,
            ncpus,
            mem_total,
            release,
        }
    }
}

fn count_processors(text: &[u8]) -> usize {
    text.split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"processor"))
        .count()
}

/// A random (version 4) UUID, as /proc/sys/kernel/random/uuid gives.
pub(super) fn random_uuid() -> String {
    let mut b = [0u8; 16];
    let mut at = 0;
    while at < b.len() {
        match rustix::rand::getrandom(&mut b[at..], rustix::rand::GetRandomFlags::empty()) {
            Ok(n) => at += n,
            Err(rustix::io::Errno::INTR) => {}
            // No randomness at all: a fixed but well-formed id.
            Err(_) => break,
        }
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// CPUID feature bits and the names /proc/cpuinfo gives them:
/// (leaf, subleaf, register: 0 = ebx, 1 = ecx, 2 = edx, bit, name).
const FLAGS: &[(u32, u32, u8, u32, &str)] = &[
    (1, 0, 2, 0, "fpu"),
    (1, 0, 2, 1, "vme"),
    (1, 0, 2, 2, "de"),
    (1, 0, 2, 3, "pse"),
    (1, 0, 2, 4, "tsc"),
    (1, 0, 2, 5, "msr"),
    (1, 0, 2, 6, "pae"),
    (1, 0, 2, 7, "mce"),
    (1, 0, 2, 8, "cx8"),
    (1, 0, 2, 9, "apic"),
    (1, 0, 2, 11, "sep"),
    (1, 0, 2, 12, "mtrr"),
    (1, 0, 2, 13, "pge"),
    (1, 0, 2, 14, "mca"),
    (1, 0, 2, 15, "cmov"),
    (1, 0, 2, 16, "pat"),
    (1, 0, 2, 17, "pse36"),
    (1, 0, 2, 19, "clflush"),
    (1, 0, 2, 23, "mmx"),
    (1, 0, 2, 24, "fxsr"),
    (1, 0, 2, 25, "sse"),
    (1, 0, 2, 26, "sse2"),
    (1, 0, 2, 28, "ht"),
    (0x8000_0001, 0, 2, 11, "syscall"),
    (0x8000_0001, 0, 2, 20, "nx"),
    (0x8000_0001, 0, 2, 26, "pdpe1gb"),
    (0x8000_0001, 0, 2, 27, "rdtscp"),
    (0x8000_0001, 0, 2, 29, "lm"),
    (1, 0, 1, 0, "pni"),
    (1, 0, 1, 1, "pclmulqdq"),
    (1, 0, 1, 9, "ssse3"),
    (1, 0, 1, 12, "fma"),
    (1, 0, 1, 13, "cx16"),
    (1, 0, 1, 17, "pcid"),
    (1, 0, 1, 19, "sse4_1"),
    (1, 0, 1, 20, "sse4_2"),
    (1, 0, 1, 21, "x2apic"),
    (1, 0, 1, 22, "movbe"),
    (1, 0, 1, 23, "popcnt"),
    (1, 0, 1, 25, "aes"),
    (1, 0, 1, 26, "xsave"),
    (1, 0, 1, 28, "avx"),
    (1, 0, 1, 29, "f16c"),
    (1, 0, 1, 30, "rdrand"),
    (1, 0, 1, 31, "hypervisor"),
    (0x8000_0001, 0, 1, 0, "lahf_lm"),
    (0x8000_0001, 0, 1, 5, "abm"),
    (0x8000_0001, 0, 1, 6, "sse4a"),
    (0x8000_0001, 0, 1, 8, "3dnowprefetch"),
    (7, 0, 0, 0, "fsgsbase"),
    (7, 0, 0, 3, "bmi1"),
    (7, 0, 0, 5, "avx2"),
    (7, 0, 0, 7, "smep"),
    (7, 0, 0, 8, "bmi2"),
    (7, 0, 0, 9, "erms"),
    (7, 0, 0, 10, "invpcid"),
    (7, 0, 0, 16, "avx512f"),
    (7, 0, 0, 17, "avx512dq"),
    (7, 0, 0, 18, "rdseed"),
    (7, 0, 0, 19, "adx"),
    (7, 0, 0, 20, "smap"),
    (7, 0, 0, 23, "clflushopt"),
    (7, 0, 0, 24, "clwb"),
    (7, 0, 0, 28, "avx512cd"),
    (7, 0, 0, 29, "sha_ni"),
    (7, 0, 0, 30, "avx512bw"),
    (7, 0, 0, 31, "avx512vl"),
    (7, 0, 1, 1, "avx512vbmi"),
    (7, 0, 1, 2, "umip"),
    (7, 0, 1, 8, "gfni"),
    (7, 0, 1, 9, "vaes"),
    (7, 0, 1, 10, "vpclmulqdq"),
    (7, 0, 1, 22, "rdpid"),
    (7, 0, 2, 4, "fsrm"),
];

fn cpuid(leaf: u32, sub: u32) -> [u32; 4] {
    let r = core::arch::x86_64::__cpuid_count(leaf, sub);
    [r.eax, r.ebx, r.ecx, r.edx]
}

/// /proc/cpuinfo made from CPUID, when the host's cannot be read.
pub(super) fn synthesize_cpuinfo(ncpus: usize) -> Vec<u8> {
    let l0 = __cpuid(0);
    let max_leaf = l0.eax;
    let vendor: Vec<u8> = [l0.ebx, l0.edx, l0.ecx]
        .iter()
        .flat_map(|r| r.to_le_bytes())
        .collect();
    let vendor = String::from_utf8_lossy(&vendor).into_owned();
    let max_ext = __cpuid(0x8000_0000).eax;
    let sig = __cpuid(1).eax;
    let base_family = (sig >> 8) & 0xf;
    let family = if base_family == 0xf {
        base_family + ((sig >> 20) & 0xff)
    } else {
        base_family
    };
    let model = if base_family >= 6 {
        ((sig >> 4) & 0xf) | (((sig >> 16) & 0xf) << 4)
    } else {
        (sig >> 4) & 0xf
    };
    let stepping = sig & 0xf;
    let name = if max_ext >= 0x8000_0004 {
        let b: Vec<u8> = (0x8000_0002u32..=0x8000_0004)
            .flat_map(|l| cpuid(l, 0))
            .flat_map(|r| r.to_le_bytes())
            .take_while(|&c| c != 0)
            .collect();
        String::from_utf8_lossy(&b).trim().to_string()
    } else {
        vendor.clone()
    };
    let (phys, virt) = if max_ext >= 0x8000_0008 {
        let a = __cpuid(0x8000_0008).eax;
        (a & 0xff, (a >> 8) & 0xff)
    } else {
        (36, 48)
    };
    let flags: Vec<&str> = FLAGS
        .iter()
        .filter(|&&(leaf, sub, reg, bit, _)| {
            let ok = if leaf >= 0x8000_0000 {
                leaf <= max_ext
            } else {
                leaf <= max_leaf
            };
            let r = if ok { cpuid(leaf, sub) } else { [0; 4] };
            r[usize::from(reg) + 1] & (1 << bit) != 0
        })
        .map(|f| f.4)
        .collect();
    let flags = flags.join(" ");
    let mut s = String::new();
    for i in 0..ncpus {
        let _ = write!(
            s,
            "processor\t: {i}\nvendor_id\t: {vendor}\ncpu family\t: {family}\nmodel\t\t: {model}\n\
             model name\t: {name}\nstepping\t: {stepping}\nphysical id\t: 0\nsiblings\t: {ncpus}\n\
             core id\t\t: {i}\ncpu cores\t: {ncpus}\napicid\t\t: {i}\ninitial apicid\t: {i}\n\
             fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: {max_leaf}\nwp\t\t: yes\n\
             flags\t\t: {flags}\nclflush size\t: 64\ncache_alignment\t: 64\n\
             address sizes\t: {phys} bits physical, {virt} bits virtual\npower management:\n\n"
        );
    }
    s.into_bytes()
}
