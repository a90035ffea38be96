//! The system-wide files of /proc: meminfo, cpuinfo, stat, uptime,
//! loadavg, filesystems, version, locks. Counts and times are the sandbox's.

use super::{ProcFs, USER_HZ};
use crate::kernel::{time, Kernel};
use abi::Errno;
use std::fmt::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SystemFile {
    Cpuinfo,
    Filesystems,
    Loadavg,
    Locks,
    Meminfo,
    Stat,
    Uptime,
    Version,
}

/// Filesystems the sandbox knows, as /proc/filesystems lists them.
const FILESYSTEMS: &str = "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\tdevpts\nnodev\toverlay\nnodev\t9p\n";

/// What the sandbox's clocks and memory say now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Usage {
    /// Nanoseconds since the sandbox booted.
    pub uptime_ns: u64,
    /// CPU time the sandbox has used, nanoseconds.
    pub busy_ns: u64,
    pub ncpus: usize,
    pub mem_total: u64,
    /// Bytes of the MemoryFile in use.
    pub mem_used: u64,
    /// Tasks, processes, and the most recent pid.
    pub tasks: u64,
    pub last_pid: i32,
    /// Wall-clock seconds at boot.
    pub btime: i64,
}

fn usage(fs: &ProcFs, k: &Kernel) -> Usage {
    let up = time::ns(time::host_monotonic()) - time::ns(k.boot_mono);
    let (tasks, last_pid, groups) = {
        let p = k.pids.lock();
        let groups: Vec<_> = p.groups.values().cloned().collect();
        (
            p.tasks.len() as u64,
            p.tasks.keys().copied().max().unwrap_or(0),
            groups,
        )
    };
    // CPU time: the Sentry's own (serving the sandbox) and each live
    // process's address space's (running application code).
    let app_ns: u64 = groups
        .iter()
        .filter_map(|g| crate::kernel::proc_view::view(g)?.mm()?.aspace.cpu_time())
        .map(|(_, total)| total)
        .sum();
    Usage {
        uptime_ns: up.max(0) as u64,
        busy_ns: (time::ns(time::process_cputime()).max(0) as u64).saturating_add(app_ns),
        ncpus: fs.host.ncpus.max(1),
        mem_total: fs.host.mem_total,
        mem_used: k.mf.allocated_bytes(),
        tasks,
        last_pid,
        btime: fs.boot_wall.tv_sec,
    }
}

pub(super) fn generate(fs: &ProcFs, f: SystemFile) -> Result<Vec<u8>, Errno> {
    let text = match f {
        SystemFile::Cpuinfo => return Ok(fs.host.cpuinfo.clone()),
        SystemFile::Filesystems => FILESYSTEMS.to_string(),
        SystemFile::Version => version(&fs.host.release),
        SystemFile::Locks => crate::vfs::lock::proc_locks(),
        _ => {
            let k = fs.kernel()?;
            let u = usage(fs, &k);
            match f {
                SystemFile::Loadavg => loadavg(&u),
                SystemFile::Meminfo => meminfo(&u),
                SystemFile::Stat => stat(&u),
                _ => uptime(&u),
            }
        }
    };
    Ok(text.into_bytes())
}

pub(super) fn version(release: &str) -> String {
    format!(
        "Linux version {release} (rvisor@rvisor) (rvisor sentry) #1 SMP PREEMPT_DYNAMIC rvisor\n"
    )
}

/// Idle time of all processors together, nanoseconds.
fn idle_ns(u: &Usage) -> u64 {
    (u.uptime_ns.saturating_mul(u.ncpus as u64)).saturating_sub(u.busy_ns)
}

/// "12.34": seconds with two decimals, truncated as Linux prints them.
fn centis(ns: u64) -> String {
    let c = ns / 10_000_000;
    format!("{}.{:02}", c / 100, c % 100)
}

pub(super) fn uptime(u: &Usage) -> String {
    format!("{} {}\n", centis(u.uptime_ns), centis(idle_ns(u)))
}

pub(super) fn loadavg(u: &Usage) -> String {
    format!("0.00 0.00 0.00 1/{} {}\n", u.tasks.max(1), u.last_pid)
}

fn to_ticks(ns: u64) -> u64 {
    ns / (1_000_000_000 / USER_HZ)
}

pub(super) fn stat(u: &Usage) -> String {
    let n = u.ncpus as u64;
    let user = to_ticks(u.busy_ns);
    let idle = to_ticks(idle_ns(u));
    let mut s = format!("cpu  {user} 0 0 {idle} 0 0 0 0 0 0\n");
    for i in 0..n {
        // Spread evenly, the remainder on the first processors.
        let share = |t: u64| t / n + u64::from(i < t % n);
        let _ = writeln!(s, "cpu{i} {} 0 0 {} 0 0 0 0 0 0", share(user), share(idle));
    }
    let _ = write!(
        s,
        "intr 0\nctxt 0\nbtime {}\nprocesses {}\nprocs_running 1\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
        u.btime, u.last_pid
    );
    s
}

pub(super) fn meminfo(u: &Usage) -> String {
    let total = u.mem_total;
    let used = u.mem_used.min(total);
    let free = total - used;
    // No swap, no huge pages; everything in use is the sandbox's anonymous
    // and file memory, which the MemoryFile does not tell apart.
    let lines: [(&str, u64); 40] = [
        ("MemTotal", total),
        ("MemFree", free),
        ("MemAvailable", free),
        ("Buffers", 0),
        ("Cached", 0),
        ("SwapCached", 0),
        ("Active", used),
        ("Inactive", 0),
        ("Active(anon)", used),
        ("Inactive(anon)", 0),
        ("Active(file)", 0),
        ("Inactive(file)", 0),
        ("Unevictable", 0),
        ("Mlocked", 0),
        ("SwapTotal", 0),
        ("SwapFree", 0),
        ("Dirty", 0),
        ("Writeback", 0),
        ("AnonPages", used),
        ("Mapped", 0),
        ("Shmem", 0),
        ("KReclaimable", 0),
        ("Slab", 0),
        ("SReclaimable", 0),
        ("SUnreclaim", 0),
        ("KernelStack", 0),
        ("PageTables", 0),
        ("NFS_Unstable", 0),
        ("Bounce", 0),
        ("WritebackTmp", 0),
        ("CommitLimit", total / 2),
        ("Committed_AS", used),
        ("VmallocTotal", 34_359_738_367 * 1024),
        ("VmallocUsed", 0),
        ("VmallocChunk", 0),
        ("Percpu", 0),
        ("AnonHugePages", 0),
        ("ShmemHugePages", 0),
        ("ShmemPmdMapped", 0),
        ("FileHugePages", 0),
    ];
    let mut s = String::with_capacity(1500);
    for (name, bytes) in lines {
        let _ = writeln!(s, "{:<16}{:>8} kB", format!("{name}:"), bytes / 1024);
    }
    for name in [
        "HugePages_Total",
        "HugePages_Free",
        "HugePages_Rsvd",
        "HugePages_Surp",
    ] {
        let _ = writeln!(s, "{:<16}{:>8}", format!("{name}:"), 0);
    }
    for (name, kb) in [
        ("Hugepagesize", 2048u64),
        ("Hugetlb", 0),
        ("DirectMap4k", total / 1024),
    ] {
        let _ = writeln!(s, "{:<16}{:>8} kB", format!("{name}:"), kb);
    }
    s
}
