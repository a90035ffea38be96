//! /proc/PID and /proc/PID/task/TID: a process's (or thread's) directory,
//! its files and its exe, cwd and root links.

use super::inode::Node;
use super::{facts, limits, maps, mounts, root, stat, ProcFs};
use crate::kernel::proc_view::{self, ProcView};
use crate::kernel::task::TaskShared;
use crate::kernel::{current, Kernel, ThreadGroup};
use crate::vfs::Path;
use abi::{Errno, Timespec};
use std::sync::Arc;

/// Which process a node belongs to: /proc/TGID, or with `tid`
/// /proc/TGID/task/TID. `tgid` may also be the id of a thread that leads
/// no process (Linux lets /proc/TID be looked up, though not listed); it
/// is resolved anew each time, since ids are reused and dentries cached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct PidRef {
    pub tgid: i32,
    pub tid: Option<i32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PidFile {
    Auxv,
    Cgroup,
    Cmdline,
    Comm,
    Environ,
    GidMap,
    Limits,
    Maps,
    Mountinfo,
    Mounts,
    OomScore,
    OomScoreAdj,
    Stat,
    Statm,
    Status,
    UidMap,
}

impl PidFile {
    pub(super) fn mode(self) -> u32 {
        match self {
            PidFile::Auxv | PidFile::Environ => 0o400,
            PidFile::Comm | PidFile::OomScoreAdj | PidFile::UidMap | PidFile::GidMap => 0o644,
            _ => 0o444,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PidLink {
    Cwd,
    Exe,
    Root,
}

#[derive(Clone, Copy)]
enum Entry {
    File(PidFile),
    Link(PidLink),
    Fd,
    FdInfo,
    Task,
}

/// The entries of a process directory, in Linux's order.
const ENTRIES: [(&str, Entry); 22] = [
    ("task", Entry::Task),
    ("fd", Entry::Fd),
    ("fdinfo", Entry::FdInfo),
    ("environ", Entry::File(PidFile::Environ)),
    ("auxv", Entry::File(PidFile::Auxv)),
    ("status", Entry::File(PidFile::Status)),
    ("limits", Entry::File(PidFile::Limits)),
    ("comm", Entry::File(PidFile::Comm)),
    ("cmdline", Entry::File(PidFile::Cmdline)),
    ("stat", Entry::File(PidFile::Stat)),
    ("statm", Entry::File(PidFile::Statm)),
    ("maps", Entry::File(PidFile::Maps)),
    ("cwd", Entry::Link(PidLink::Cwd)),
    ("root", Entry::Link(PidLink::Root)),
    ("exe", Entry::Link(PidLink::Exe)),
    ("mounts", Entry::File(PidFile::Mounts)),
    ("mountinfo", Entry::File(PidFile::Mountinfo)),
    ("cgroup", Entry::File(PidFile::Cgroup)),
    ("oom_score", Entry::File(PidFile::OomScore)),
    ("oom_score_adj", Entry::File(PidFile::OomScoreAdj)),
    ("uid_map", Entry::File(PidFile::UidMap)),
    ("gid_map", Entry::File(PidFile::GidMap)),
];

fn node_of(r: PidRef, e: Entry) -> Node {
    match e {
        Entry::File(f) => Node::PidFile(r, f),
        Entry::Link(l) => Node::PidLink(r, l),
        Entry::Fd => Node::FdDir(r),
        Entry::FdInfo => Node::FdInfoDir(r),
        Entry::Task => Node::TaskDir(r.tgid),
    }
}

/// A live process (and the task a node shows), looked up anew for each operation.
pub(super) struct Proc {
    pub k: Arc<Kernel>,
    pub tg: Arc<ThreadGroup>,
    /// The task shown: the thread named by the node, else the leader (or,
    /// once the leader has exited, any thread; none for a zombie).
    pub task: Option<Arc<TaskShared>>,
    pub r: PidRef,
}

impl Proc {
    pub fn view(&self) -> Option<ProcView> {
        proc_view::view(&self.tg)
    }

    /// The id shown as the process's pid: the thread's in a task directory.
    pub fn id(&self) -> i32 {
        self.r.tid.unwrap_or(self.r.tgid)
    }

    pub fn comm(&self) -> Vec<u8> {
        self.task
            .as_ref()
            .map(|t| t.comm.lock().clone())
            .unwrap_or_default()
    }

    /// Wall-clock time the process started.
    pub fn start_wall(&self, fs: &ProcFs) -> Timespec {
        use crate::kernel::time::{from_ns, ns};
        match self.view() {
            Some(v) => from_ns(ns(fs.boot_wall) + (ns(v.start) - ns(self.k.boot_mono)).max(0)),
            None => fs.boot_wall,
        }
    }
}

/// The process `r` names, if it (and its thread) still exist.
pub(super) fn find(fs: &ProcFs, r: PidRef) -> Result<Proc, Errno> {
    let k = fs.kernel()?;
    let group = k.pids.lock().groups.get(&r.tgid).cloned();
    let tg = match group {
        Some(g) => g,
        None => group_of_thread(&k, r.tgid).ok_or(Errno::ENOENT)?,
    };
    let task = {
        let tasks = tg.tasks.lock();
        // The thread named, else the one the directory is named after, else
        // the leader (if it has exited, any thread; none for a zombie).
        let want = r.tid.unwrap_or(r.tgid);
        match tasks.iter().find(|t| t.tid == want) {
            Some(t) => Some(t.clone()),
            None if r.tid.is_some() || tg.tgid != r.tgid => return Err(Errno::ENOENT),
            None => tasks.first().cloned(),
        }
    };
    Ok(Proc { k, tg, task, r })
}

/// The process thread `tid` belongs to.
fn group_of_thread(k: &Kernel, tid: i32) -> Option<Arc<ThreadGroup>> {
    if !k.pids.lock().tasks.contains_key(&tid) {
        return None;
    }
    let groups: Vec<Arc<ThreadGroup>> = k.pids.lock().groups.values().cloned().collect();
    groups
        .into_iter()
        .find(|g| g.tasks.lock().iter().any(|t| t.tid == tid))
}

/// Owner (the process's effective ids, as Linux shows for a dumpable
/// process) and start time of a process's files; ENOENT once it is gone.
pub(super) fn owner(fs: &ProcFs, r: PidRef) -> Result<(u32, u32, Timespec), Errno> {
    let p = find(fs, r)?;
    let (uid, gid) = p
        .view()
        .map(|v| (v.creds.euid, v.creds.egid))
        .unwrap_or((0, 0));
    Ok((uid, gid, p.start_wall(fs)))
}

/// Links of a process directory: its subdirectories and the two of every directory.
pub(super) fn nlink(r: PidRef) -> u64 {
    if r.tid.is_some() {
        4
    } else {
        5
    }
}

pub(super) fn thread_count(fs: &ProcFs, tgid: i32) -> u64 {
    find(fs, PidRef { tgid, tid: None })
        .map(|p| p.tg.tasks.lock().len() as u64)
        .unwrap_or(0)
}

pub(super) fn entries(fs: &ProcFs, r: PidRef) -> Result<Vec<(Vec<u8>, Node)>, Errno> {
    find(fs, r)?;
    Ok(ENTRIES
        .iter()
        .filter(|(_, e)| r.tid.is_none() || !matches!(e, Entry::Task))
        .map(|(n, e)| (n.as_bytes().to_vec(), node_of(r, *e)))
        .collect())
}

pub(super) fn lookup(fs: &ProcFs, r: PidRef, name: &[u8]) -> Result<Node, Errno> {
    find(fs, r)?;
    ENTRIES
        .iter()
        .filter(|(_, e)| r.tid.is_none() || !matches!(e, Entry::Task))
        .find(|(n, _)| n.as_bytes() == name)
        .map(|(_, e)| node_of(r, *e))
        .ok_or(Errno::ENOENT)
}

pub(super) fn task_entries(fs: &ProcFs, tgid: i32) -> Result<Vec<(Vec<u8>, Node)>, Errno> {
    let p = find(fs, PidRef { tgid, tid: None })?;
    let mut tids: Vec<i32> = p.tg.tasks.lock().iter().map(|t| t.tid).collect();
    tids.sort_unstable();
    Ok(tids
        .into_iter()
        .map(|tid| {
            (
                tid.to_string().into_bytes(),
                Node::Pid(PidRef {
                    tgid,
                    tid: Some(tid),
                }),
            )
        })
        .collect())
}

pub(super) fn task_lookup(fs: &ProcFs, tgid: i32, name: &[u8]) -> Result<Node, Errno> {
    let tid = root::parse_id(name).ok_or(Errno::ENOENT)?;
    let r = PidRef {
        tgid,
        tid: Some(tid),
    };
    find(fs, r)?;
    Ok(Node::Pid(r))
}

/// The root paths are shown from: the asking task's root, or the
/// namespace's when no task asks.
pub(super) fn reader_root(k: &Kernel) -> Path {
    let own = current::get()
        .and_then(|c| proc_view::view(&c.tg))
        .and_then(|v| v.fs())
        .map(|fs| fs.st.lock().root.clone());
    own.unwrap_or_else(|| Path {
        mount: k.mounts.root.clone(),
        dentry: k.mounts.root.root.clone(),
    })
}

/// A path as a link in /proc shows it: " (deleted)" once it has no name.
pub(super) fn path_text(p: &Path, root: &Path) -> Vec<u8> {
    let mut s = p.to_bytes(root);
    if p.dentry.is_dead() {
        s.extend_from_slice(b" (deleted)");
    }
    s
}

pub(super) fn follow(fs: &ProcFs, r: PidRef, l: PidLink) -> Result<Path, Errno> {
    let p = find(fs, r)?;
    match l {
        PidLink::Exe => p.tg.exe.lock().clone().ok_or(Errno::ENOENT),
        PidLink::Cwd | PidLink::Root => {
            let fsc = p.view().and_then(|v| v.fs()).ok_or(Errno::ENOENT)?;
            let st = fsc.st.lock();
            Ok(if l == PidLink::Cwd {
                st.cwd.clone()
            } else {
                st.root.clone()
            })
        }
    }
}

pub(super) fn readlink(fs: &ProcFs, r: PidRef, l: PidLink) -> Result<Vec<u8>, Errno> {
    let target = follow(fs, r, l)?;
    let k = fs.kernel()?;
    Ok(path_text(&target, &reader_root(&k)))
}

/// The most of an argument or environment area shown.
const AREA_MAX: u64 = 1 << 21;

/// Application memory `[start, end)` of `mm` (empty if unreadable).
fn read_area(mm: &crate::mm::Mm, start: u64, end: u64) -> Vec<u8> {
    if end <= start {
        return Vec::new();
    }
    let mut buf = vec![0u8; (end - start).min(AREA_MAX) as usize];
    match mm.read_bytes(start, &mut buf) {
        Ok(()) => buf,
        Err(_) => Vec::new(),
    }
}

fn cmdline(p: &Proc) -> Vec<u8> {
    let Some(mm) = p.view().and_then(|v| v.mm()) else {
        return Vec::new();
    };
    let lay = mm.st.lock().layout.clone();
    let args = read_area(&mm, lay.arg_start, lay.arg_end);
    if args.last().is_some_and(|&b| b != 0) {
        // The program overwrote the NUL ending its arguments (setproctitle):
        // its title runs on, as a string, into the environment area.
        let end = lay
            .env_end
            .max(lay.arg_end)
            .min(lay.arg_start.saturating_add(4096).max(lay.arg_end));
        let mut title = read_area(&mm, lay.arg_start, end);
        if let Some(n) = title.iter().position(|&b| b == 0) {
            title.truncate(n);
        }
        return title;
    }
    args
}

fn environ(p: &Proc) -> Vec<u8> {
    let Some(mm) = p.view().and_then(|v| v.mm()) else {
        return Vec::new();
    };
    let lay = mm.st.lock().layout.clone();
    read_area(&mm, lay.env_start, lay.env_end)
}

fn auxv(p: &Proc) -> Vec<u8> {
    let Some(mm) = p.view().and_then(|v| v.mm()) else {
        return Vec::new();
    };
    let mut pairs = mm.st.lock().layout.auxv.clone();
    if pairs.last().is_none_or(|&(k, _)| k != 0) {
        pairs.push((0, 0));
    }
    pairs
        .iter()
        .flat_map(|&(k, v)| k.to_ne_bytes().into_iter().chain(v.to_ne_bytes()))
        .collect()
}

/// An identity mapping of every id, as a sandbox without user namespaces has.
const ID_MAP: &[u8] = b"         0          0 4294967295\n";

pub(super) fn generate(fs: &ProcFs, r: PidRef, f: PidFile) -> Result<Vec<u8>, Errno> {
    let p = find(fs, r)?;
    Ok(match f {
        PidFile::Auxv => auxv(&p),
        PidFile::Cgroup => b"0::/\n".to_vec(),
        PidFile::Cmdline => cmdline(&p),
        PidFile::Comm => {
            let mut c = p.comm();
            c.push(b'\n');
            c
        }
        PidFile::Environ => environ(&p),
        PidFile::GidMap | PidFile::UidMap => ID_MAP.to_vec(),
        PidFile::Limits => limits::format(&p.tg.limits.lock()).into_bytes(),
        PidFile::Maps => maps::format(&maps::lines(&p)),
        PidFile::Mountinfo => mounts::mountinfo(&p.k.mounts, &reader_root(&p.k)),
        PidFile::Mounts => mounts::mounts(&p.k.mounts, &reader_root(&p.k)),
        PidFile::OomScore => b"0\n".to_vec(),
        PidFile::OomScoreAdj => {
            format!("{}\n", p.view().map(|v| v.oom_score_adj).unwrap_or(0)).into_bytes()
        }
        PidFile::Stat => stat::format_stat(&facts::task_facts(fs, &p)).into_bytes(),
        PidFile::Statm => stat::format_statm(&facts::task_facts(fs, &p).mem).into_bytes(),
        PidFile::Status => stat::format_status(&facts::task_facts(fs, &p)).into_bytes(),
    })
}

pub(super) fn check_write(f: PidFile) -> Result<(), Errno> {
    match f {
        PidFile::Comm | PidFile::OomScoreAdj => Ok(()),
        // The identity maps are written already; Linux allows one write.
        PidFile::UidMap | PidFile::GidMap => Err(Errno::EPERM),
        _ => Err(Errno::EINVAL),
    }
}

/// Longest comm, without its NUL (TASK_COMM_LEN - 1).
const COMM_MAX: usize = 15;

pub(super) fn write(
    fs: &ProcFs,
    r: PidRef,
    f: PidFile,
    data: &[u8],
    total: u64,
) -> Result<u64, Errno> {
    let p = find(fs, r)?;
    match f {
        PidFile::Comm => {
            // Linux lets only the process itself rename its threads.
            let same = current::get().is_some_and(|c| Arc::ptr_eq(&c.tg, &p.tg));
            let task = p.task.as_ref().ok_or(Errno::ESRCH)?;
            if !same {
                return Err(Errno::EINVAL);
            }
            let name = &data[..data.len().min(COMM_MAX)];
            let name = name
                .iter()
                .position(|&b| b == 0)
                .map_or(name, |n| &name[..n]);
            *task.comm.lock() = name.to_vec();
            Ok(total)
        }
        PidFile::OomScoreAdj => {
            let text = std::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
            let v: i32 = text.trim().parse().map_err(|_| Errno::EINVAL)?;
            if !(-1000..=1000).contains(&v) {
                return Err(Errno::EINVAL);
            }
            proc_view::set_oom_score_adj(&p.tg, v);
            Ok(total)
        }
        _ => check_write(f).map(|()| 0),
    }
}
