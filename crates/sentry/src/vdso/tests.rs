use super::clock::{Calibration, Line, Sample, MONOTONIC, MONOTONIC_RAW, NCLOCKS, REALTIME};
use super::{tsc_stable, IMAGE};

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes(b[o..o + 2].try_into().unwrap())
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}
fn cstr(b: &[u8], o: usize) -> &str {
    let end = b[o..].iter().position(|&c| c == 0).unwrap();
    std::str::from_utf8(&b[o..o + end]).unwrap()
}

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const SHT_RELA: u32 = 4;
const SHT_REL: u32 = 9;
const DT_NULL: u64 = 0;
const DT_HASH: u64 = 4;
const DT_STRTAB: u64 = 5;
const DT_SYMTAB: u64 = 6;
const DT_RELA: u64 = 7;
const DT_REL: u64 = 17;
const DT_TEXTREL: u64 = 22;
const DT_GNU_HASH: u64 = 0x6fff_fef5;
const DT_VERSYM: u64 = 0x6fff_fff0;
const DT_VERDEF: u64 = 0x6fff_fffc;

/// The dynamic section's entries, found as glibc finds them: through the
/// program headers, with addresses equal to file offsets (one PT_LOAD at 0).
fn dynamic(b: &[u8]) -> Vec<(u64, u64)> {
    let phoff = u64_at(b, 32) as usize;
    let phnum = u16_at(b, 56) as usize;
    let mut out = Vec::new();
    let mut loads = 0;
    for i in 0..phnum {
        let p = phoff + i * 56;
        match u32_at(b, p) {
            PT_LOAD => {
                loads += 1;
                assert_eq!(u64_at(b, p + 8), 0, "PT_LOAD offset");
                assert_eq!(u64_at(b, p + 16), 0, "PT_LOAD vaddr");
                assert!(
                    u64_at(b, p + 32) <= b.len() as u64,
                    "PT_LOAD within the image"
                );
            }
            PT_DYNAMIC => {
                let mut o = u64_at(b, p + 8) as usize;
                loop {
                    let (tag, val) = (u64_at(b, o), u64_at(b, o + 8));
                    if tag == DT_NULL {
                        break;
                    }
                    out.push((tag, val));
                    o += 16;
                }
            }
            _ => {}
        }
    }
    assert_eq!(loads, 1, "one PT_LOAD");
    out
}

#[test]
fn image_is_a_relocation_free_elf64_shared_object() {
    let b = IMAGE;
    assert_eq!(&b[..4], b"\x7fELF");
    assert_eq!(b[4], 2, "ELFCLASS64");
    assert_eq!(b[5], 1, "little-endian");
    assert_eq!(u16_at(b, 16), 3, "ET_DYN");
    assert_eq!(u16_at(b, 18), 62, "EM_X86_64");
    // No relocation sections, and nothing in the dynamic section asks for any.
    let shoff = u64_at(b, 40) as usize;
    let shnum = u16_at(b, 60) as usize;
    for i in 0..shnum {
        let t = u32_at(b, shoff + i * 64 + 4);
        assert!(
            t != SHT_RELA && t != SHT_REL,
            "section {i} holds relocations"
        );
    }
    let dynamic = dynamic(b);
    for (tag, _) in &dynamic {
        assert!(
            ![DT_RELA, DT_REL, DT_TEXTREL].contains(tag),
            "dynamic tag {tag:#x}"
        );
    }
    for want in [
        DT_HASH,
        DT_GNU_HASH,
        DT_SYMTAB,
        DT_STRTAB,
        DT_VERSYM,
        DT_VERDEF,
    ] {
        assert!(dynamic.iter().any(|(t, _)| *t == want), "no tag {want:#x}");
    }
}

#[test]
fn image_exports_the_linux_symbols_with_their_version() {
    let b = IMAGE;
    let d = dynamic(b);
    let get = |t: u64| d.iter().find(|(k, _)| *k == t).unwrap().1 as usize;
    let (symtab, strtab, versym, verdef, hash) = (
        get(DT_SYMTAB),
        get(DT_STRTAB),
        get(DT_VERSYM),
        get(DT_VERDEF),
        get(DT_HASH),
    );
    // Version definitions: index -> name.
    let mut versions = std::collections::HashMap::new();
    let mut o = verdef;
    loop {
        let ndx = u16_at(b, o + 4);
        let aux = u32_at(b, o + 12) as usize;
        let name = cstr(b, strtab + u32_at(b, o + aux) as usize);
        versions.insert(ndx, name.to_string());
        let next = u32_at(b, o + 16) as usize;
        if next == 0 {
            break;
        }
        o += next;
    }
    // DT_HASH's nchain is the number of symbols.
    let nsyms = u32_at(b, hash + 4) as usize;
    let mut exported = std::collections::HashMap::new();
    for i in 1..nsyms {
        let s = symtab + i * 24;
        let name = cstr(b, strtab + u32_at(b, s) as usize).to_string();
        let value = u64_at(b, s + 8);
        let ver = u16_at(b, versym + i * 2) & 0x7fff;
        if value != 0 {
            exported.insert(name, (value, versions.get(&ver).cloned()));
        }
    }
    for f in [
        "clock_gettime",
        "gettimeofday",
        "time",
        "getcpu",
        "clock_getres",
    ] {
        let vdso = format!("__vdso_{f}");
        let (addr, ver) = exported.get(&vdso).unwrap_or_else(|| panic!("{vdso}"));
        assert_eq!(ver.as_deref(), Some("LINUX_2.6"), "{vdso}");
        let (alias, aver) = exported.get(f).unwrap_or_else(|| panic!("{f}"));
        assert_eq!(alias, addr, "{f} aliases {vdso}");
        assert_eq!(aver.as_deref(), Some("LINUX_2.6"), "{f}");
        assert!((*addr as usize) < b.len());
    }
    // The soname glibc names the image by.
    assert!(d
        .iter()
        .any(|&(t, v)| t == 14 && cstr(b, strtab + v as usize) == "linux-vdso.so.1"));
}

#[test]
fn tsc_flags_come_from_cpuinfo() {
    let both = b"processor\t: 0\nflags\t\t: fpu tsc constant_tsc rep_good nonstop_tsc cpuid\n";
    assert!(tsc_stable(both));
    assert!(!tsc_stable(b"flags\t\t: fpu tsc constant_tsc\n"));
    assert!(!tsc_stable(
        b"flags\t\t: fpu tsc nonstop_tsc_x constant_tsc\n"
    ));
    assert!(!tsc_stable(b""));
}

/// A host whose TSC runs at 3 GHz and whose clocks run at `rate` × true
/// time, sampled at `secs` seconds.
fn sample_at(secs: f64, rate: f64, real_offset: i128) -> Sample {
    let tsc = (secs * 3e9) as u64 + 1_000_000;
    let ns = (secs * 1e9 * rate) as i128 + 1_000_000_000;
    let mut v = [0; NCLOCKS];
    v[REALTIME] = ns + real_offset;
    v[MONOTONIC] = ns;
    v[MONOTONIC_RAW] = (secs * 1e9) as i128 + 1_000_000_000;
    Sample { tsc, ns: v }
}

#[test]
fn lines_follow_the_host_clocks() {
    let mut c = Calibration::new(0);
    assert_eq!(
        c.update(sample_at(0.0, 1.0, 1 << 60)),
        None,
        "one sample is not enough"
    );
    let (r, l) = c.update(sample_at(0.1, 1.0, 1 << 60)).unwrap();
    // Half a second later the lines read what the host does, to the ns.
    let s = sample_at(0.6, 1.0, 1 << 60);
    for (i, line) in l.iter().enumerate() {
        let got = i128::from(line.at(r, s.tsc));
        assert!((got - s.ns[i]).abs() <= 1, "line {i}: {got} vs {}", s.ns[i]);
    }
    // A TSC that trails the reference (another CPU) reads the base.
    assert_eq!(l[MONOTONIC].at(r, r - 5), l[MONOTONIC].base_ns);
}

#[test]
fn a_line_ahead_of_the_host_slows_down_and_never_goes_back() {
    let mut c = Calibration::new(0);
    c.update(sample_at(0.0, 1.0, 0));
    let (r1, l1) = c.update(sample_at(1.0, 1.0, 0)).unwrap();
    // The host's clock now runs 100 ppm slower than it did: the old line is
    // ahead at the next sample.
    let s2 = sample_at(2.0, 1.0 - 1e-4, 0);
    let old = l1[MONOTONIC].at(r1, s2.tsc);
    assert!(i128::from(old) > s2.ns[MONOTONIC]);
    let (r2, l2) = c.update(s2).unwrap();
    assert_eq!(
        l2[MONOTONIC].base_ns, old,
        "continues where the old line was"
    );
    assert!(l2[MONOTONIC].mult < l1[MONOTONIC].mult, "and runs slower");
    // One period on it has caught up with the host (within the rate change).
    let s3 = sample_at(3.0, 1.0 - 1e-4, 0);
    let err = i128::from(l2[MONOTONIC].at(r2, s3.tsc)) - s3.ns[MONOTONIC];
    assert!(err.abs() < 200_000, "error {err} ns");
}

#[test]
fn realtime_steps_when_the_host_sets_it() {
    let mut c = Calibration::new(0);
    c.update(sample_at(0.0, 1.0, 100_000_000_000));
    c.update(sample_at(1.0, 1.0, 100_000_000_000)).unwrap();
    // The host's real time was set back by a minute.
    let s = sample_at(2.0, 1.0, 100_000_000_000 - 60_000_000_000);
    let (r, l) = c.update(s).unwrap();
    assert_eq!(i128::from(l[REALTIME].at(r, s.tsc)), s.ns[REALTIME]);
    // ... while the monotonic line goes on.
    assert_eq!(i128::from(l[MONOTONIC].at(r, s.tsc)), s.ns[MONOTONIC]);
}

#[test]
fn a_rate_jump_falls_back_to_the_syscall() {
    let mut c = Calibration::new(0);
    c.update(sample_at(0.0, 1.0, 0));
    c.update(sample_at(1.0, 1.0, 0)).unwrap();
    // Two seconds of host time pass in one second of TSC (a suspended VM).
    let mut s = sample_at(2.0, 1.0, 0);
    for v in s.ns.iter_mut() {
        *v += 1_000_000_000;
    }
    assert_eq!(c.update(s), None);
    // The next good period starts afresh.
    let mut s = sample_at(3.0, 1.0, 0);
    for v in s.ns.iter_mut() {
        *v += 1_000_000_000;
    }
    assert!(c.update(s).is_some());
}

#[test]
fn a_line_is_what_the_vdso_computes() {
    let l = Line {
        base_ns: 10,
        mult: 1 << 31,
    };
    assert_eq!(l.at(100, 104), 12);
    // No overflow over a long delay between refreshes.
    let l = Line {
        base_ns: 0,
        mult: 3 << 32,
    };
    assert_eq!(l.at(0, 1 << 40), 3 << 40);
}
