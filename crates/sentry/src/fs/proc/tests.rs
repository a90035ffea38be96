//! Unit tests of procfs: the formatters against Linux's formats, and the
//! tree over a kernel with one process (on a platform that runs nothing).

use super::facts::{MemFacts, TaskFacts, TaskState};
use super::inode::Node;
use super::maps::MapLine;
use super::mounts::MountLine;
use super::system::Usage;
use super::*;
use crate::fs::tmpfs::Tmpfs;
use crate::kernel::creds::Creds;
use crate::kernel::fs_context::FsContext;
use crate::kernel::limits::Limits;
use crate::kernel::proc_view::ProcView;
use crate::kernel::task::TaskShared;
use crate::kernel::{current, Config, ThreadGroup};
use crate::mm::mmap::MmapOpts;
use crate::mm::vma::{Backing, VmaName};
use crate::mm::IoDst;
use crate::mm::{Mappable, Mm};
use crate::vfs::file::File;
use crate::vfs::{FdTable, FileType, MountNamespace, Owner, Path, Walk};
use memory::MemoryFile;
use platform::{AddressSpace, Context, Exit, FpState, Interrupter, Platform, Prot, Regs};
use std::sync::Arc;

// ---- formatters ----

fn facts() -> TaskFacts {
    TaskFacts {
        pid: 7,
        tgid: 7,
        ppid: 1,
        pgid: 7,
        sid: 1,
        comm: b"a (b) c".to_vec(),
        state: TaskState::Running,
        threads: 2,
        seccomp: (0, 0),
        creds: Creds::new(1000, 100),
        umask: Some(0o022),
        fd_size: 64,
        sig_pending: 0,
        sig_shared: 1 << 9,
        sig_blocked: 1 << 1,
        sig_ignored: 1 << 12,
        sig_caught: 1 << 16,
        sigq: (1, 63432),
        mem: MemFacts {
            vsize: 10 << 20,
            rss_anon: 1 << 20,
            rss_file: 2 << 20,
            data: 3 << 20,
            stack: 132 << 10,
            exec: 1 << 20,
            text: 64 << 10,
            start_code: 0x400000,
            end_code: 0x410000,
            start_stack: 0x7ffd_0000,
            arg_start: 0x7ffd_1000,
            arg_end: 0x7ffd_1010,
            ..Default::default()
        },
        start_ticks: 123,
        utime: 5,
        stime: 6,
        cutime: 0,
        cstime: 0,
        rsslim: u64::MAX,
        exit_signal: 17,
        cpus: 2,
    }
}

#[test]
fn stat_has_52_fields_and_a_comm_with_parentheses() {
    let s = stat::format_stat(&facts());
    assert!(s.starts_with("7 (a (b) c) R 1 7 1 0 -1 4194304 0 0 0 0 5 6 0 0 20 0 2 0 123 10485760 768 18446744073709551615 "));
    assert!(s.ends_with('\n'));
    // Parsers split after the last ')'.
    let rest = &s[s.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    assert_eq!(fields.len() + 2, 52);
    assert_eq!(fields[28], "512"); // 31: pending signals (shared SIGSEGV...)
    assert_eq!(fields[29], "2"); // 32: blocked
    assert_eq!(fields[35], "17"); // 38: exit_signal
    assert_eq!(fields[45], "2147291136"); // 48: arg_start
    assert_eq!(*fields.last().unwrap(), "0");
}

#[test]
fn statm_is_in_pages() {
    assert_eq!(
        stat::format_statm(&facts().mem),
        "2560 768 512 16 0 801 0\n"
    );
}

#[test]
fn status_lines_in_order_with_linux_widths() {
    let s = stat::format_status(&facts());
    let keys: Vec<&str> = s.lines().map(|l| l.split(':').next().unwrap()).collect();
    let want = [
        "Name",
        "Umask",
        "State",
        "Tgid",
        "Ngid",
        "Pid",
        "PPid",
        "TracerPid",
        "Uid",
        "Gid",
        "FDSize",
        "Groups",
        "NStgid",
        "NSpid",
        "NSpgid",
        "NSsid",
        "VmPeak",
        "VmSize",
        "VmLck",
        "VmPin",
        "VmHWM",
        "VmRSS",
        "RssAnon",
        "RssFile",
        "RssShmem",
        "VmData",
        "VmStk",
        "VmExe",
        "VmLib",
        "VmPTE",
        "VmSwap",
        "HugetlbPages",
        "CoreDumping",
        "THP_enabled",
        "Threads",
        "SigQ",
        "SigPnd",
        "ShdPnd",
        "SigBlk",
        "SigIgn",
        "SigCgt",
        "CapInh",
        "CapPrm",
        "CapEff",
        "CapBnd",
        "CapAmb",
        "NoNewPrivs",
        "Seccomp",
        "Seccomp_filters",
        "Speculation_Store_Bypass",
        "SpeculationIndirectBranch",
        "Cpus_allowed",
        "Cpus_allowed_list",
        "Mems_allowed",
        "Mems_allowed_list",
        "voluntary_ctxt_switches",
        "nonvoluntary_ctxt_switches",
    ];
    assert_eq!(keys, want);
    assert!(s.contains("Name:\ta (b) c\nUmask:\t0022\nState:\tR (running)\nTgid:\t7\n"));
    assert!(s.contains("Uid:\t1000\t1000\t1000\t1000\nGid:\t100\t100\t100\t100\n"));
    assert!(s.contains("Groups:\t \n"));
    assert!(s.contains("VmRSS:\t    3072 kB\n"));
    assert!(s.contains("SigQ:\t1/63432\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000200\n"));
    assert!(s.contains("SigIgn:\t0000000000001000\nSigCgt:\t0000000000010000\n"));
    assert!(s.contains("CapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n"));
    assert!(s.contains("Cpus_allowed:\t3\nCpus_allowed_list:\t0-1\n"));

    // Names are escaped; a process without memory has no Vm lines.
    let mut f = facts();
    f.comm = b"x\ny\\".to_vec();
    f.mem = MemFacts::default();
    f.creds.groups = vec![4, 27];
    let s = stat::format_status(&f);
    assert!(s.starts_with("Name:\tx\\ny\\\\\n"));
    assert!(!s.contains("VmSize"));
    assert!(s.contains("Groups:\t4 27 \n"));
}

#[test]
fn cpu_masks() {
    assert_eq!(stat::cpu_mask(1), "1");
    assert_eq!(stat::cpu_mask(2), "3");
    assert_eq!(stat::cpu_mask(8), "ff");
    assert_eq!(stat::cpu_mask(33), "1,ffffffff");
    assert_eq!(stat::cpu_mask(64), "ffffffff,ffffffff");
    assert_eq!(stat::cpu_list(1), "0");
    assert_eq!(stat::cpu_list(4), "0-3");
}

#[test]
fn maps_columns_match_linux() {
    let lines = [
        MapLine {
            start: 0x55d69a849000,
            end: 0x55d69a84b000,
            read: true,
            offset: 0,
            dev: crate::fs::devnum::makedev(0xfe, 0),
            ino: 247030,
            name: b"/usr/bin/cat".to_vec(),
            ..Default::default()
        },
        MapLine {
            start: 0x7fd76a8a5000,
            end: 0x7fd76a8c7000,
            read: true,
            write: true,
            ..Default::default()
        },
        MapLine {
            start: 0xffffffffff600000,
            end: 0xffffffffff601000,
            exec: true,
            name: b"[vsyscall]".to_vec(),
            ..Default::default()
        },
        MapLine {
            start: 0x1000,
            end: 0x2000,
            read: true,
            shared: true,
            offset: 0x3000,
            ..Default::default()
        },
    ];
    let text = String::from_utf8(maps::format(&lines)).unwrap();
    let want = "55d69a849000-55d69a84b000 r--p 00000000 fe:00 247030                     /usr/bin/cat\n\
                7fd76a8a5000-7fd76a8c7000 rw-p 00000000 00:00 0 \n\
                ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n\
                00001000-00002000 r--s 00003000 00:00 0 \n";
    assert_eq!(text, want);
}

#[test]
fn limits_table_matches_linux() {
    let t = limits::format(&Limits::default());
    let mut lines = t.lines();
    assert_eq!(
        lines.next(),
        Some("Limit                     Soft Limit           Hard Limit           Units     ")
    );
    assert_eq!(
        lines.next(),
        Some("Max cpu time              unlimited            unlimited            seconds   ")
    );
    assert!(t.contains(
        "Max stack size            8388608              unlimited            bytes     \n"
    ));
    assert!(t.contains("Max realtime priority     0                    0                    \n"));
    assert_eq!(t.lines().count(), 17);
}

#[test]
fn mount_tables() {
    use crate::vfs::mount::{MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_STRICTATIME};
    let l = [
        MountLine {
            id: 1,
            parent: 1,
            dev: crate::fs::devnum::makedev(0, 20),
            root: b"/".to_vec(),
            mount_point: b"/".to_vec(),
            flags: 0,
            sb_read_only: false,
            fs_type: "overlay".into(),
            source: "none".into(),
            fs_options: String::new(),
        },
        MountLine {
            id: 3,
            parent: 1,
            dev: crate::fs::devnum::makedev(0, 22),
            root: b"/".to_vec(),
            mount_point: b"/a b".to_vec(),
            flags: MS_NOSUID | MS_NODEV | MS_NOEXEC,
            sb_read_only: false,
            fs_type: "proc".into(),
            source: "proc".into(),
            fs_options: String::new(),
        },
        // A tmpfs with options, and a read-only bind of a directory of proc.
        MountLine {
            id: 4,
            parent: 1,
            dev: crate::fs::devnum::makedev(0, 23),
            root: b"/".to_vec(),
            mount_point: b"/dev".to_vec(),
            flags: MS_NOSUID | MS_STRICTATIME,
            sb_read_only: false,
            fs_type: "tmpfs".into(),
            source: "tmpfs".into(),
            fs_options: "size=65536k,mode=755,inode64".into(),
        },
        MountLine {
            id: 5,
            parent: 3,
            dev: crate::fs::devnum::makedev(0, 22),
            root: b"/sys".to_vec(),
            mount_point: b"/proc/sys".to_vec(),
            flags: MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
            sb_read_only: false,
            fs_type: "proc".into(),
            source: String::new(),
            fs_options: String::new(),
        },
    ];
    assert_eq!(
        String::from_utf8(mounts::format_mounts(&l)).unwrap(),
        "none / overlay rw,relatime 0 0\n\
         proc /a\\040b proc rw,nosuid,nodev,noexec,relatime 0 0\n\
         tmpfs /dev tmpfs rw,nosuid,size=65536k,mode=755,inode64 0 0\n\
         none /proc/sys proc ro,nosuid,nodev,noexec,relatime 0 0\n"
    );
    assert_eq!(
        String::from_utf8(mounts::format_mountinfo(&l)).unwrap(),
        "1 1 0:20 / / rw,relatime - overlay none rw\n\
         3 1 0:22 / /a\\040b rw,nosuid,nodev,noexec,relatime - proc proc rw\n\
         4 1 0:23 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755,inode64\n\
         5 3 0:22 /sys /proc/sys ro,nosuid,nodev,noexec,relatime - proc none rw\n"
    );
}

#[test]
fn system_files() {
    let u = Usage {
        uptime_ns: 3_081_056_000_000,
        busy_ns: 100_000_000_000,
        ncpus: 2,
        mem_total: 8 << 30,
        mem_used: 100 << 20,
        tasks: 3,
        last_pid: 42,
        btime: 1_700_000_000,
    };
    assert_eq!(system::uptime(&u), "3081.05 6062.11\n");
    assert_eq!(system::loadavg(&u), "0.00 0.00 0.00 1/3 42\n");
    let st = system::stat(&u);
    assert!(st.starts_with("cpu  10000 0 0 606211 0 0 0 0 0 0\ncpu0 5000 0 0 303106 0 0 0 0 0 0\ncpu1 5000 0 0 303105 "));
    assert!(st.contains("\nbtime 1700000000\nprocesses 42\n"));
    let m = system::meminfo(&u);
    assert!(m.starts_with(
        "MemTotal:        8388608 kB\nMemFree:         8286208 kB\nMemAvailable:    8286208 kB\n"
    ));
    assert!(m.contains("HugePages_Total:       0\n"));
    assert!(m.contains("VmallocTotal:   34359738367 kB\n"));
    assert!(system::version("6.1.0").starts_with("Linux version 6.1.0 (rvisor@rvisor)"));
}

#[test]
fn fdinfo_format() {
    assert_eq!(
        fd::format_info(5, 0o2100002, 7, 99),
        "pos:\t5\nflags:\t02100002\nmnt_id:\t7\nino:\t99\n"
    );
    assert_eq!(
        fd::format_info(0, 0, 0, 1),
        "pos:\t0\nflags:\t00\nmnt_id:\t0\nino:\t1\n"
    );
}

#[test]
fn uuids_and_cpuinfo() {
    let u = host::random_uuid();
    assert_eq!(u.len(), 36);
    assert_eq!(u.as_bytes()[14], b'4');
    assert_ne!(u, host::random_uuid());
    let c = String::from_utf8(host::synthesize_cpuinfo(3)).unwrap();
    assert_eq!(c.matches("processor\t: ").count(), 3);
    assert!(c.contains("flags\t\t: fpu "));
    assert!(c.contains(" sse2 "));
}

#[test]
fn pid_names() {
    assert_eq!(root::parse_id(b"123"), Some(123));
    for bad in [&b""[..], b"0123", b"-1", b"+1", b"1a", b"99999999999"] {
        assert_eq!(root::parse_id(bad), None);
    }
}

// ---- the tree, over a kernel on a platform that runs nothing ----

struct NoAspace;
impl AddressSpace for NoAspace {
    fn map(&self, _: &[platform::Mapping]) -> platform::Result<()> {
        Ok(())
    }
    fn unmap(&self, _: &[(u64, u64)]) -> platform::Result<()> {
        Ok(())
    }
    fn protect(&self, _: &[(u64, u64, Prot)]) -> platform::Result<()> {
        Ok(())
    }
    fn prepare_thread(&self) -> platform::Result<()> {
        Ok(())
    }
    fn cpu_time(&self) -> Option<(u64, u64)> {
        Some((2_000_000_000, 3_500_000_000))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

struct NoInterrupt;
impl Interrupter for NoInterrupt {
    fn interrupt(&self) {}
}

struct NoContext;
impl Context for NoContext {
    fn switch(
        &mut self,
        _: &Arc<dyn AddressSpace>,
        _: &mut Regs,
        _: &mut FpState,
    ) -> platform::Result<Exit> {
        Err(platform::Error::Host("runs nothing".into()))
    }
    fn sync_fp(&mut self, _: &mut FpState) -> platform::Result<()> {
        Ok(())
    }
    fn interrupter(&self) -> Arc<dyn Interrupter> {
        Arc::new(NoInterrupt)
    }
    fn release(&mut self) {}
}

struct NoPlatform;
impl Platform for NoPlatform {
    fn name(&self) -> &'static str {
        "none"
    }
    fn new_address_space(&self) -> platform::Result<Arc<dyn AddressSpace>> {
        Ok(Arc::new(NoAspace))
    }
    fn new_context(&self) -> Box<dyn Context> {
        Box::new(NoContext)
    }
    fn max_user_address(&self) -> u64 {
        0x7fff_ffff_f000
    }
}

/// A mapped "program" file.
struct Prog;
impl Mappable for Prog {
    fn get_frames(&self, _: u64, _: u64, _: bool) -> Result<Vec<(u64, u64)>, Errno> {
        Err(Errno::EIO)
    }
    fn size(&self) -> u64 {
        0x3000
    }
    fn describe(&self) -> (u64, u64, String) {
        (crate::fs::devnum::makedev(8, 2), 4242, "/bin/prog".into())
    }
}

struct World {
    fs: Arc<ProcFs>,
    k: Arc<Kernel>,
    tg: Arc<ThreadGroup>,
    proc_root: Arc<dyn Inode>,
    // Kept alive for the weak references of the process's view.
    _mm: Arc<Mm>,
    _fds: Arc<FdTable>,
    _fsc: Arc<FsContext>,
}

const ARGV: &[u8] = b"prog\0-x\0two words\0";
const ENVP: &[u8] = b"A=1\0PATH=/bin\0";

fn world() -> World {
    let mf = Arc::new(MemoryFile::new(1 << 30).unwrap());
    let platform: Arc<dyn Platform> = Arc::new(NoPlatform);
    let root = Tmpfs::new(mf.clone(), 0o755, Owner::default()).root();
    let ns = Arc::new(MountNamespace::new(root, "tmpfs", "none"));
    let rootp = Path {
        mount: ns.root.clone(),
        dentry: ns.root.root.clone(),
    };
    let creds = Creds::new(0, 0);
    let mut w = Walk::new(&ns, &rootp, &creds);
    crate::vfs::namei::create(
        &mut w,
        &rootp,
        b"/tmp",
        crate::vfs::NewNode::Dir { mode: 0o777 },
        Owner::default(),
    )
    .unwrap();
    let file = crate::vfs::open::open(
        &mut w,
        &rootp,
        b"/tmp/data",
        libc::O_CREAT as u32 | 2,
        0o644,
        0,
        Owner::default(),
    )
    .unwrap();
    let cwd = w.walk(&rootp, b"/tmp", true).unwrap();

    let host = HostFacts {
        cpuinfo: b"processor\t: 0\n\n".to_vec(),
        ncpus: 1,
        mem_total: 1 << 30,
        release: "6.9.0".into(),
    };
    let fs = ProcFs::new(host);
    let proc_root = fs.root();
    ns.mount(
        &ns.root,
        &ns.root.root,
        proc_root.clone(),
        "proc",
        "proc",
        0,
    );
    let k = Kernel::new(Config::default(), platform.clone(), mf.clone(), ns.clone());
    fs.set_kernel(&k);

    // Process 1 with a program mapping, a heap, and a stack holding its arguments.
    let mm = Arc::new(Mm::new(platform.as_ref(), mf.clone()).unwrap());
    let mut o = MmapOpts::anon(0x3000, Prot(5));
    o.addr = 0x400000;
    o.fixed = true;
    o.backing = Backing::File {
        m: Arc::new(Prog),
        off: 0,
    };
    mm.mmap(o).unwrap();
    let mut o = MmapOpts::anon(0x2000, Prot(3));
    o.addr = 0x600000;
    o.fixed = true;
    o.name = VmaName::Heap;
    mm.mmap(o).unwrap();
    let mut o = MmapOpts::anon(0x4000, Prot(3));
    o.addr = 0x7ff0_0000;
    o.fixed = true;
    o.growsdown = true;
    o.name = VmaName::Stack;
    mm.mmap(o).unwrap();
    let arg_start = 0x7ff0_2000;
    mm.write_bytes(arg_start, ARGV).unwrap();
    let env_start = arg_start + ARGV.len() as u64;
    mm.write_bytes(env_start, ENVP).unwrap();
    {
        let mut st = mm.st.lock();
        st.layout.arg_start = arg_start;
        st.layout.arg_end = env_start;
        st.layout.env_start = env_start;
        st.layout.env_end = env_start + ENVP.len() as u64;
        st.layout.auxv = vec![(6, 4096)];
    }

    let fds = Arc::new(FdTable::new());
    fds.install_at(3, file, true, 1024).unwrap();
    let fsc = Arc::new(FsContext::new(rootp.clone(), cwd));
    let tg = ThreadGroup::new(
        1,
        Default::default(),
        Default::default(),
        std::sync::Weak::new(),
    );
    let t = TaskShared::new(1, b"prog".to_vec());
    tg.tasks.lock().push(t.clone());
    let t2 = TaskShared::new(2, b"worker".to_vec());
    tg.tasks.lock().push(t2.clone());
    {
        let mut p = k.pids.lock();
        p.tasks.insert(1, t);
        p.tasks.insert(2, t2);
        p.groups.insert(1, tg.clone());
    }
    *tg.exe.lock() = Some(w.walk(&rootp, b"/tmp/data", true).unwrap());
    *tg.proc_view.lock() = Some(ProcView {
        mm: Arc::downgrade(&mm),
        fds: Arc::downgrade(&fds),
        fs: Arc::downgrade(&fsc),
        creds: Arc::new(Creds::new(0, 0)),
        start: k.boot_mono,
        oom_score_adj: 0,
    });
    World {
        fs,
        k,
        tg,
        proc_root,
        _mm: mm,
        _fds: fds,
        _fsc: fsc,
    }
}

fn walk(from: &Arc<dyn Inode>, path: &str) -> Result<Arc<dyn Inode>, Errno> {
    let mut cur = from.clone();
    for c in path.split('/').filter(|c| !c.is_empty()) {
        cur = cur.lookup(c.as_bytes())?;
    }
    Ok(cur)
}

fn read(from: &Arc<dyn Inode>, path: &str) -> Result<Vec<u8>, Errno> {
    let i = walk(from, path)?;
    let ops = i.open(&i, 0)?;
    let f = File::new(ops, None, Some(i), 0);
    let mut out = Vec::new();
    let mut buf = [0u8; 7];
    loop {
        let n = f
            .ops
            .read(&f, &mut IoDst::buf(&mut buf), out.len() as i64)? as usize;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

fn text(from: &Arc<dyn Inode>, path: &str) -> String {
    String::from_utf8(read(from, path).unwrap()).unwrap()
}

fn names(i: &Arc<dyn Inode>) -> Vec<String> {
    i.readdir()
        .unwrap()
        .into_iter()
        .map(|e| String::from_utf8(e.name).unwrap())
        .collect()
}

#[test]
fn root_lists_processes_and_self_follows_the_caller() {
    let w = world();
    let n = names(&w.proc_root);
    for want in ["cpuinfo", "meminfo", "self", "thread-self", "sys", "1"] {
        assert!(n.iter().any(|x| x == want), "{want} missing from {n:?}");
    }
    assert!(!n.iter().any(|x| x == "2"), "threads are not listed");
    let thread = walk(&w.proc_root, "2").expect("but reachable");
    assert!(names(&thread).iter().any(|x| x == "task"));
    assert!(text(&w.proc_root, "2/stat").starts_with("2 (worker) S "));
    assert_eq!(names(&walk(&w.proc_root, "2/task").unwrap()), ["1", "2"]);
    assert!(text(&w.proc_root, "2/task/1/stat").starts_with("1 (prog) "));
    assert_eq!(walk(&w.proc_root, "3").err(), Some(Errno::ENOENT));
    let me = walk(&w.proc_root, "self").unwrap();
    assert_eq!(me.readlink().err(), Some(Errno::ENOENT));
    {
        let _c = current::enter(2, &w.tg);
        assert_eq!(me.readlink().unwrap(), b"1");
        assert_eq!(
            walk(&w.proc_root, "thread-self")
                .unwrap()
                .readlink()
                .unwrap(),
            b"1/task/2"
        );
    }
    assert_eq!(
        walk(&w.proc_root, "mounts").unwrap().readlink().unwrap(),
        b"self/mounts"
    );
    let a = w.proc_root.attr().unwrap();
    assert_eq!(a.mode, 0o40555);
    assert_eq!(a.ino, 1);
}

#[test]
fn process_files() {
    let w = world();
    let _c = current::enter(1, &w.tg);
    assert_eq!(read(&w.proc_root, "1/cmdline").unwrap(), ARGV);
    assert_eq!(read(&w.proc_root, "1/environ").unwrap(), ENVP);
    assert_eq!(text(&w.proc_root, "1/comm"), "prog\n");
    assert_eq!(text(&w.proc_root, "1/task/2/comm"), "worker\n");
    assert_eq!(text(&w.proc_root, "1/cgroup"), "0::/\n");
    assert_eq!(read(&w.proc_root, "1/auxv").unwrap().len(), 32);

    let stat = text(&w.proc_root, "1/stat");
    assert!(stat.starts_with("1 (prog) R 0 1 1 0 -1 "), "{stat}");
    let f: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..]
        .split_whitespace()
        .collect();
    assert_eq!(f.len(), 50);
    assert_eq!(
        (f[11], f[12]),
        ("200", "150"),
        "utime and stime from the address space"
    );
    assert_eq!(f[17], "2", "threads");
    assert_eq!(
        f[20],
        ((0x3000 + 0x2000 + 0x4000) as u64).to_string(),
        "vsize"
    );
    assert_eq!(
        (f[23], f[24]),
        ("4194304", "4206592"),
        "code of the first file mapped"
    );
    assert_eq!(f[45], (0x7ff0_2000u64).to_string(), "arg_start");
    assert!(text(&w.proc_root, "1/task/2/stat").starts_with("2 (worker) S 0 1 1 "));

    let status = text(&w.proc_root, "1/status");
    assert!(status.starts_with(
        "Name:\tprog\nUmask:\t0022\nState:\tR (running)\nTgid:\t1\nNgid:\t0\nPid:\t1\nPPid:\t0\n"
    ));
    assert!(status.contains("VmSize:\t      36 kB\n"), "{status}");
    assert!(
        status.contains("VmStk:\t      16 kB\nVmExe:\t      12 kB\n"),
        "{status}"
    );
    assert!(status.contains("Threads:\t2\n"));
    assert!(text(&w.proc_root, "1/task/2/status").contains("\nPid:\t2\n"));
    // Writing the arguments gave the whole stack frames.
    assert_eq!(text(&w.proc_root, "1/statm"), "9 4 0 3 0 6 0\n");

    let maps = text(&w.proc_root, "1/maps");
    let lines: Vec<&str> = maps.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[0].starts_with("00400000-00403000 r-xp 00000000 08:02 4242 ")
            && lines[0].ends_with(" /bin/prog")
    );
    assert_eq!(
        lines[1],
        "00600000-00602000 rw-p 00000000 00:00 0                                  [heap]"
    );
    assert!(lines[2].starts_with("7ff00000-7ff04000 rw-p ") && lines[2].ends_with("[stack]"));

    assert!(text(&w.proc_root, "1/limits").starts_with("Limit "));
    let mounts = text(&w.proc_root, "1/mounts");
    assert_eq!(
        mounts,
        "none / tmpfs rw,relatime 0 0\nproc / proc rw,relatime 0 0\n"
    );
    assert!(text(&w.proc_root, "1/mountinfo").contains(" - proc proc rw\n"));

    assert_eq!(
        walk(&w.proc_root, "1/exe").unwrap().readlink().unwrap(),
        b"/tmp/data"
    );
    assert_eq!(
        walk(&w.proc_root, "1/cwd").unwrap().readlink().unwrap(),
        b"/tmp"
    );
    assert_eq!(
        walk(&w.proc_root, "1/root").unwrap().readlink().unwrap(),
        b"/"
    );
    let exe = walk(&w.proc_root, "1/exe").unwrap();
    let target = magic_link_target(exe.as_ref()).unwrap().unwrap();
    assert_eq!(target.dentry.name(), b"data");
    assert!(magic_link_target(w.proc_root.as_ref()).is_none());

    let pid = walk(&w.proc_root, "1").unwrap();
    let entries = names(&pid);
    for want in [
        "stat",
        "status",
        "maps",
        "fd",
        "fdinfo",
        "exe",
        "task",
        "comm",
        "oom_score_adj",
    ] {
        assert!(entries.iter().any(|x| x == want), "{want}");
    }
    assert!(!names(&walk(&w.proc_root, "1/task/2").unwrap())
        .iter()
        .any(|x| x == "task"));
    assert_eq!(names(&walk(&w.proc_root, "1/task").unwrap()), ["1", "2"]);
    assert_ne!(
        pid.attr().unwrap().ino,
        walk(&w.proc_root, "1/task/1").unwrap().attr().unwrap().ino
    );
}

#[test]
fn fds() {
    let w = world();
    let fd = walk(&w.proc_root, "1/fd").unwrap();
    assert_eq!(names(&fd), ["3"]);
    assert_eq!(fd.attr().unwrap().size, 1);
    let link = walk(&w.proc_root, "1/fd/3").unwrap();
    assert_eq!(link.readlink().unwrap(), b"/tmp/data");
    let a = link.attr().unwrap();
    assert_eq!((a.file_type(), a.mode & 0o777), (FileType::Symlink, 0o700));
    let target = magic_link_target(link.as_ref()).unwrap().unwrap();
    assert_eq!(target.dentry.name(), b"data");
    let info = text(&w.proc_root, "1/fdinfo/3");
    assert!(
        info.starts_with("pos:\t0\nflags:\t02100002\nmnt_id:\t"),
        "{info}"
    );
    assert_eq!(walk(&w.proc_root, "1/fd/4").err(), Some(Errno::ENOENT));
    // A closed fd's cached inode answers ENOENT.
    w._fds.remove(3).unwrap();
    assert_eq!(link.attr().err(), Some(Errno::ENOENT));
}

#[test]
fn writes() {
    let w = world();
    let comm = walk(&w.proc_root, "1/comm").unwrap();
    let ops = comm.open(&comm, 1).unwrap();
    let f = File::new(ops, None, Some(comm.clone()), 1);
    let mut src = crate::mm::IoSrc::buf(b"a-very-long-name-indeed");
    // Only the process itself may rename it.
    assert_eq!(f.ops.write(&f, &mut src, 0), Err(Errno::EINVAL));
    let _c = current::enter(1, &w.tg);
    let mut src = crate::mm::IoSrc::buf(b"a-very-long-name-indeed");
    assert_eq!(f.ops.write(&f, &mut src, 0), Ok(23));
    assert_eq!(text(&w.proc_root, "1/comm"), "a-very-long-nam\n");

    let adj = walk(&w.proc_root, "1/oom_score_adj").unwrap();
    let f = File::new(adj.open(&adj, 1).unwrap(), None, Some(adj.clone()), 1);
    assert_eq!(
        f.ops.write(&f, &mut crate::mm::IoSrc::buf(b"-500\n"), 0),
        Ok(5)
    );
    assert_eq!(
        f.ops.write(&f, &mut crate::mm::IoSrc::buf(b"5000"), 0),
        Err(Errno::EINVAL)
    );
    assert_eq!(text(&w.proc_root, "1/oom_score_adj"), "-500\n");

    let host = walk(&w.proc_root, "sys/kernel/hostname").unwrap();
    let f = File::new(host.open(&host, 1).unwrap(), None, Some(host.clone()), 1);
    assert_eq!(
        f.ops.write(&f, &mut crate::mm::IoSrc::buf(b"box\n"), 0),
        Ok(4)
    );
    assert_eq!(*w.k.hostname.lock(), b"box");
    assert_eq!(text(&w.proc_root, "sys/kernel/hostname"), "box\n");

    // Read-only parameters cannot even be opened for writing, root or not.
    let ostype = walk(&w.proc_root, "sys/kernel/ostype").unwrap();
    assert_eq!(ostype.open(&ostype, 1).err(), Some(Errno::EACCES));
    let pid_max = walk(&w.proc_root, "sys/kernel/pid_max").unwrap();
    let f = File::new(
        pid_max.open(&pid_max, 1).unwrap(),
        None,
        Some(pid_max.clone()),
        1,
    );
    assert_eq!(
        f.ops.write(&f, &mut crate::mm::IoSrc::buf(b"5"), 0),
        Err(Errno::EPERM)
    );
    // Truncation (as `echo x > comm` asks) does nothing; modes stay.
    assert_eq!(
        comm.setattr(&crate::vfs::SetAttr {
            size: Some(0),
            ..Default::default()
        }),
        Ok(())
    );
    assert_eq!(
        comm.setattr(&crate::vfs::SetAttr {
            mode: Some(0o777),
            ..Default::default()
        }),
        Err(Errno::EPERM)
    );
    let dir = walk(&w.proc_root, "1").unwrap();
    assert_eq!(dir.unlink(b"stat", false), Err(Errno::EPERM));
    assert_eq!(
        dir.create(
            b"new",
            &crate::vfs::NewNode::Dir { mode: 0o755 },
            Owner::default()
        )
        .err(),
        Some(Errno::ENOENT)
    );
    let meminfo = walk(&w.proc_root, "meminfo").unwrap();
    let f = File::new(
        meminfo.open(&meminfo, 1).unwrap(),
        None,
        Some(meminfo.clone()),
        1,
    );
    assert_eq!(
        f.ops.write(&f, &mut crate::mm::IoSrc::buf(b"5"), 0),
        Err(Errno::EIO)
    );
}

#[test]
fn sys_tree() {
    let w = world();
    assert_eq!(
        names(&walk(&w.proc_root, "sys").unwrap()),
        ["fs", "kernel", "net", "vm"]
    );
    let random = names(&walk(&w.proc_root, "sys/kernel/random").unwrap());
    assert_eq!(random, ["boot_id", "entropy_avail", "poolsize", "uuid"]);
    assert_eq!(text(&w.proc_root, "sys/kernel/ostype"), "Linux\n");
    assert_eq!(text(&w.proc_root, "sys/kernel/osrelease"), "6.9.0\n");
    assert_eq!(text(&w.proc_root, "sys/kernel/pid_max"), "4194304\n");
    assert_eq!(text(&w.proc_root, "sys/vm/mmap_min_addr"), "65536\n");
    assert_eq!(text(&w.proc_root, "sys/fs/nr_open"), "1048576\n");
    assert_eq!(text(&w.proc_root, "sys/net/core/somaxconn"), "4096\n");
    let boot = text(&w.proc_root, "sys/kernel/random/boot_id");
    assert_eq!(boot, text(&w.proc_root, "sys/kernel/random/boot_id"));
    assert_ne!(
        text(&w.proc_root, "sys/kernel/random/uuid"),
        text(&w.proc_root, "sys/kernel/random/uuid")
    );
    assert_eq!(
        walk(&w.proc_root, "sys/kernel/nope").err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(walk(&w.proc_root, "sys/kern").err(), Some(Errno::ENOENT));
    let kernel = walk(&w.proc_root, "sys/kernel").unwrap().attr().unwrap();
    let random = walk(&w.proc_root, "sys/kernel/random")
        .unwrap()
        .attr()
        .unwrap();
    assert_ne!(kernel.ino, random.ino);
}

#[test]
fn system_files_from_the_kernel() {
    let w = world();
    assert!(text(&w.proc_root, "meminfo").starts_with("MemTotal:        1048576 kB\n"));
    assert_eq!(text(&w.proc_root, "cpuinfo"), "processor\t: 0\n\n");
    assert!(text(&w.proc_root, "filesystems").contains("nodev\ttmpfs\n"));
    assert!(text(&w.proc_root, "loadavg").ends_with(" 1/2 2\n"));
    assert!(text(&w.proc_root, "stat").contains(&format!("btime {}\n", w.fs.boot_wall.tv_sec)));
    assert!(text(&w.proc_root, "version").starts_with("Linux version 6.9.0 "));
    // Seq semantics: later offsets come from the snapshot taken at offset 0.
    let up = walk(&w.proc_root, "uptime").unwrap();
    let f = File::new(up.open(&up, 0).unwrap(), None, Some(up.clone()), 0);
    let mut a = [0u8; 64];
    let n = f.ops.read(&f, &mut IoDst::buf(&mut a), 0).unwrap() as usize;
    assert!(n > 4 && a[n - 1] == b'\n');
    let mut b = [0u8; 64];
    let m = f.ops.read(&f, &mut IoDst::buf(&mut b), 2).unwrap() as usize;
    assert_eq!(&b[..m], &a[2..n]);
}

#[test]
fn a_process_that_is_gone() {
    let w = world();
    let stat = walk(&w.proc_root, "1/stat").unwrap();
    let dir = walk(&w.proc_root, "1").unwrap();
    w.k.pids.lock().groups.remove(&1);
    assert_eq!(stat.attr().err(), Some(Errno::ENOENT));
    assert_eq!(dir.lookup(b"status").err(), Some(Errno::ENOENT));
    assert_eq!(dir.readdir().err(), Some(Errno::ENOENT));
    assert!(!names(&w.proc_root).iter().any(|x| x == "1"));
    drop(w.tg);
}

#[test]
fn node_inos_are_distinct() {
    use super::pid::{PidFile, PidRef};
    let p = PidRef { tgid: 5, tid: None };
    let t = PidRef {
        tgid: 5,
        tid: Some(5),
    };
    let nodes = [
        Node::Root,
        Node::Pid(p),
        Node::Pid(t),
        Node::TaskDir(5),
        Node::FdDir(p),
        Node::FdDir(t),
        Node::FdInfoDir(p),
        Node::Fd(p, 0),
        Node::FdInfo(p, 0),
        Node::PidFile(p, PidFile::Stat),
        Node::PidFile(t, PidFile::Stat),
        Node::SysDir(""),
        Node::SysDir("kernel"),
    ];
    let mut inos: Vec<u64> = nodes.iter().map(|n| n.ino()).collect();
    inos.sort_unstable();
    inos.dedup();
    assert_eq!(inos.len(), nodes.len());
}

#[test]
fn names_of_files_without_a_path() {
    use crate::fs::devnum::makedev;
    use crate::vfs::inode::{S_IFCHR, S_IFIFO, S_IFREG, S_IFSOCK};
    let a = |mode, rdev, ino| crate::vfs::Attr {
        mode,
        rdev,
        ino,
        ..Default::default()
    };
    assert_eq!(fd::anon_name(&a(S_IFIFO | 0o600, 0, 12)), "pipe:[12]");
    assert_eq!(fd::anon_name(&a(S_IFSOCK | 0o777, 0, 13)), "socket:[13]");
    assert_eq!(fd::anon_name(&a(0o600, 0, 1)), "anon_inode:[unknown]");
    assert_eq!(
        fd::anon_name(&a(S_IFCHR | 0o666, makedev(1, 3), 5)),
        "/dev/null"
    );
    assert_eq!(
        fd::anon_name(&a(S_IFCHR | 0o620, makedev(136, 4), 7)),
        "/dev/pts/4"
    );
    assert_eq!(
        fd::anon_name(&a(S_IFCHR | 0o620, makedev(4, 1), 7)),
        "/dev/char/4:1"
    );
    assert_eq!(fd::anon_name(&a(S_IFREG | 0o644, 0, 99)), "host:[99]");
}
