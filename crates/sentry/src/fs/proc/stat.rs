//! /proc/PID/stat, statm and status, in Linux's exact formats.

use super::facts::{MemFacts, TaskFacts};
use std::fmt::Write;

const PAGE: u64 = abi::PAGE_SIZE;

/// PF_RANDOMIZE: the address space is randomized (as Linux's default).
const PF_RANDOMIZE: u64 = 0x0040_0000;

/// Scheduling priority and nice value of every task (SCHED_OTHER, nice 0).
const PRIORITY: i32 = 20;

/// The 52 fields of /proc/PID/stat.
pub(super) fn format_stat(f: &TaskFacts) -> String {
    let m = &f.mem;
    let comm = String::from_utf8_lossy(&f.comm);
    let mut s = String::with_capacity(320);
    // pid (comm) state ppid pgrp session tty_nr tpgid flags
    let _ = write!(
        s,
        "{} ({}) {} {} {} {} 0 -1 {}",
        f.pid,
        comm,
        f.state.letter(),
        f.ppid,
        f.pgid,
        f.sid,
        PF_RANDOMIZE
    );
    // minflt cminflt majflt cmajflt utime stime cutime cstime priority nice num_threads itrealvalue
    let _ = write!(
        s,
        " 0 0 0 0 {} {} {} {} {PRIORITY} 0 {} 0",
        f.utime, f.stime, f.cutime, f.cstime, f.threads
    );
    // starttime vsize rss rsslim startcode endcode startstack kstkesp kstkeip
    let _ = write!(
        s,
        " {} {} {} {} {} {} {} 0 0",
        f.start_ticks,
        m.vsize,
        m.rss() / PAGE,
        f.rsslim,
        m.start_code,
        m.end_code,
        m.start_stack
    );
    // signal blocked sigignore sigcatch wchan nswap cnswap exit_signal processor rt_priority policy
    let _ = write!(
        s,
        " {} {} {} {} 0 0 0 {} 0 0 0",
        f.sig_pending | f.sig_shared,
        f.sig_blocked,
        f.sig_ignored,
        f.sig_caught,
        f.exit_signal
    );
    // delayacct_blkio_ticks guest_time cguest_time start_data end_data start_brk arg_start arg_end env_start env_end exit_code
    let _ = writeln!(
        s,
        " 0 0 0 {} {} {} {} {} {} {} 0",
        m.start_data, m.end_data, m.start_brk, m.arg_start, m.arg_end, m.env_start, m.env_end
    );
    s
}

/// /proc/PID/statm: size resident shared text lib data dt, in pages.
pub(super) fn format_statm(m: &MemFacts) -> String {
    let text = (m.end_code.div_ceil(PAGE) * PAGE).saturating_sub(m.start_code & !(PAGE - 1));
    format!(
        "{} {} {} {} 0 {} 0\n",
        m.vsize / PAGE,
        m.rss() / PAGE,
        (m.rss_file + m.rss_shmem) / PAGE,
        text / PAGE,
        (m.data + m.stack) / PAGE
    )
}

/// A name as status shows it: newlines and backslashes escaped.
fn escape_name(name: &[u8]) -> String {
    let mut s = String::new();
    for c in String::from_utf8_lossy(name).chars() {
        match c {
            '\n' => s.push_str("\\n"),
            '\\' => s.push_str("\\\\"),
            c => s.push(c),
        }
    }
    s
}

/// A CPU mask as Linux prints bitmaps: hex, in comma-separated 32-bit words.
pub(super) fn cpu_mask(n: usize) -> String {
    let n = n.max(1);
    let digits = n.div_ceil(4);
    let mut hex = String::new();
    for d in (0..digits).rev() {
        let bits = (n - d * 4).min(4);
        let v = (1u32 << bits) - 1;
        let _ = write!(hex, "{v:x}");
        if d % 8 == 0 && d > 0 {
            hex.push(',');
        }
    }
    hex
}

pub(super) fn cpu_list(n: usize) -> String {
    if n <= 1 {
        "0".into()
    } else {
        format!("0-{}", n - 1)
    }
}

fn kb(s: &mut String, name: &str, bytes: u64) {
    let _ = writeln!(s, "{name}:\t{:>8} kB", bytes / 1024);
}

/// /proc/PID/status.
pub(super) fn format_status(f: &TaskFacts) -> String {
    let c = &f.creds;
    let m = &f.mem;
    let mut s = String::with_capacity(1400);
    let _ = writeln!(s, "Name:\t{}", escape_name(&f.comm));
    if let Some(u) = f.umask {
        let _ = writeln!(s, "Umask:\t{u:04o}");
    }
    let _ = writeln!(s, "State:\t{}", f.state.name());
    let _ = writeln!(
        s,
        "Tgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\nTracerPid:\t0",
        f.tgid, f.pid, f.ppid
    );
    let _ = writeln!(s, "Uid:\t{}\t{}\t{}\t{}", c.uid, c.euid, c.suid, c.fsuid);
    let _ = writeln!(s, "Gid:\t{}\t{}\t{}\t{}", c.gid, c.egid, c.sgid, c.fsgid);
    let _ = writeln!(s, "FDSize:\t{}", f.fd_size);
    let groups: Vec<String> = c.groups.iter().map(|g| g.to_string()).collect();
    // Linux ends the list with a space, even an empty one.
    let _ = writeln!(s, "Groups:\t{} ", groups.join(" "));
    let _ = writeln!(
        s,
        "NStgid:\t{}\nNSpid:\t{}\nNSpgid:\t{}\nNSsid:\t{}",
        f.tgid, f.pid, f.pgid, f.sid
    );
    // A process without memory (a zombie) has no Vm lines.
    if m.vsize > 0 {
        let rss = m.rss();
        kb(&mut s, "VmPeak", m.vsize);
        kb(&mut s, "VmSize", m.vsize);
        kb(&mut s, "VmLck", 0);
        kb(&mut s, "VmPin", 0);
        kb(&mut s, "VmHWM", rss);
        kb(&mut s, "VmRSS", rss);
        kb(&mut s, "RssAnon", m.rss_anon);
        kb(&mut s, "RssFile", m.rss_file);
        kb(&mut s, "RssShmem", m.rss_shmem);
        kb(&mut s, "VmData", m.data);
        kb(&mut s, "VmStk", m.stack);
        kb(&mut s, "VmExe", m.text);
        kb(&mut s, "VmLib", m.exec - m.text);
        // One 4 KiB page table page per 2 MiB mapped, roughly.
        kb(&mut s, "VmPTE", (m.vsize >> 21).max(1) * 4096);
        kb(&mut s, "VmSwap", 0);
        kb(&mut s, "HugetlbPages", 0);
    }
    let _ = writeln!(s, "CoreDumping:\t0\nTHP_enabled:\t1");
    let _ = writeln!(s, "Threads:\t{}", f.threads);
    let _ = writeln!(s, "SigQ:\t{}/{}", f.sigq.0, f.sigq.1);
    let _ = writeln!(
        s,
        "SigPnd:\t{:016x}\nShdPnd:\t{:016x}",
        f.sig_pending, f.sig_shared
    );
    let _ = writeln!(
        s,
        "SigBlk:\t{:016x}\nSigIgn:\t{:016x}\nSigCgt:\t{:016x}",
        f.sig_blocked, f.sig_ignored, f.sig_caught
    );
    let _ = writeln!(
        s,
        "CapInh:\t{:016x}\nCapPrm:\t{:016x}",
        c.cap_inheritable, c.cap_permitted
    );
    let _ = writeln!(
        s,
        "CapEff:\t{:016x}\nCapBnd:\t{:016x}\nCapAmb:\t{:016x}",
        c.cap_effective, c.cap_bounding, 0
    );
    let _ = writeln!(
        s,
        "NoNewPrivs:\t{}\nSeccomp:\t{}\nSeccomp_filters:\t{}",
        u8::from(c.no_new_privs),
        f.seccomp.0,
        f.seccomp.1
    );
    let _ = writeln!(s, "Speculation_Store_Bypass:\tthread vulnerable\nSpeculationIndirectBranch:\tconditional enabled");
    let _ = writeln!(
        s,
        "Cpus_allowed:\t{}\nCpus_allowed_list:\t{}",
        cpu_mask(f.cpus),
        cpu_list(f.cpus)
    );
    let _ = writeln!(s, "Mems_allowed:\t00000001\nMems_allowed_list:\t0");
    let _ = writeln!(
        s,
        "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0"
    );
    s
}
