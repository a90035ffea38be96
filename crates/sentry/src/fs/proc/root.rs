//! The /proc directory itself: the system-wide files, /proc/sys, the
//! self links, and one directory per process.

use super::inode::Node;
use super::pid::PidRef;
use super::system::SystemFile;
use super::ProcFs;
use crate::kernel::current;
use abi::Errno;

/// The fixed entries of /proc.
const FIXED: [(&str, Node); 13] = [
    ("cpuinfo", Node::System(SystemFile::Cpuinfo)),
    ("filesystems", Node::System(SystemFile::Filesystems)),
    ("loadavg", Node::System(SystemFile::Loadavg)),
    ("locks", Node::System(SystemFile::Locks)),
    ("meminfo", Node::System(SystemFile::Meminfo)),
    ("mounts", Node::MountsLink),
    ("stat", Node::System(SystemFile::Stat)),
    ("sys", Node::SysDir("")),
    ("sysvipc", Node::SysvIpcDir),
    ("uptime", Node::System(SystemFile::Uptime)),
    ("version", Node::System(SystemFile::Version)),
    ("self", Node::SelfLink),
    ("thread-self", Node::ThreadSelf),
];

/// A pid as /proc names it: decimal, no sign, no leading zero.
pub(super) fn parse_id(name: &[u8]) -> Option<i32> {
    if name.is_empty() || name.len() > 10 || (name.len() > 1 && name[0] == b'0') {
        return None;
    }
    if !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse().ok()
}

/// Live process ids, ascending.
fn tgids(fs: &ProcFs) -> Vec<i32> {
    let Ok(k) = fs.kernel() else {
        return Vec::new();
    };
    let mut ids: Vec<i32> = k.pids.lock().groups.keys().copied().collect();
    ids.sort_unstable();
    ids
}

pub(super) fn process_count(fs: &ProcFs) -> u64 {
    fs.kernel()
        .map(|k| k.pids.lock().groups.len() as u64)
        .unwrap_or(0)
}

pub(super) fn entries(fs: &ProcFs) -> Result<Vec<(Vec<u8>, Node)>, Errno> {
    let mut out: Vec<(Vec<u8>, Node)> = FIXED
        .iter()
        .map(|(n, node)| (n.as_bytes().to_vec(), *node))
        .collect();
    for tgid in tgids(fs) {
        out.push((
            tgid.to_string().into_bytes(),
            Node::Pid(PidRef { tgid, tid: None }),
        ));
    }
    Ok(out)
}

pub(super) fn lookup(fs: &ProcFs, name: &[u8]) -> Result<Node, Errno> {
    if let Some((_, node)) = FIXED.iter().find(|(n, _)| n.as_bytes() == name) {
        return Ok(*node);
    }
    let id = parse_id(name).ok_or(Errno::ENOENT)?;
    // A process, or a thread that leads none: reachable by its tid, as in
    // Linux, though not listed.
    let r = PidRef {
        tgid: id,
        tid: None,
    };
    super::pid::find(fs, r)?;
    Ok(Node::Pid(r))
}

/// The target of /proc/self ("PID") or /proc/thread-self ("PID/task/TID")
/// for the task asking. No task (a kernel thread in Linux): ENOENT.
pub(super) fn self_link(thread: bool) -> Result<Vec<u8>, Errno> {
    let cur = current::get().ok_or(Errno::ENOENT)?;
    let s = if thread {
        format!("{}/task/{}", cur.tg.tgid, cur.tid)
    } else {
        cur.tg.tgid.to_string()
    };
    Ok(s.into_bytes())
}
