//! /proc/sys: the kernel parameters programs read, as a fixed table.
//! Only the host and domain names can be changed; other writes are refused.

use super::inode::Node;
use super::{host, ProcFs};
use crate::kernel::creds::CAP_LAST_CAP;
use crate::kernel::pids::PID_MAX;
use crate::mm::MMAP_MIN_ADDR;
use crate::vfs::fdtable::NR_OPEN;
use abi::{ipc, Errno};

#[derive(Clone, Copy, Debug)]
enum Value {
    Num(u64),
    Text(&'static str),
    Hostname,
    Domainname,
    OsRelease,
    /// A fresh UUID on every read.
    Uuid,
    BootId,
}

struct Sysctl {
    /// Below /proc/sys.
    path: &'static str,
    mode: u32,
    value: Value,
}

const fn ctl(path: &'static str, mode: u32, value: Value) -> Sysctl {
    Sysctl { path, mode, value }
}

/// SEMMSL, SEMMNS, SEMOPM, SEMMNI, tab-separated.
const SEM: &str = "32000\t1024000000\t500\t32000";

/// Sorted by path, so directories list in order.
const SYSCTLS: [Sysctl; 29] = [
    ctl("fs/file-max", 0o644, Value::Num(i64::MAX as u64)),
    ctl("fs/nr_open", 0o644, Value::Num(NR_OPEN)),
    ctl("fs/pipe-max-size", 0o644, Value::Num(1 << 20)),
    ctl(
        "kernel/cap_last_cap",
        0o444,
        Value::Num(CAP_LAST_CAP as u64),
    ),
    ctl("kernel/domainname", 0o644, Value::Domainname),
    ctl("kernel/hostname", 0o644, Value::Hostname),
    ctl("kernel/msgmax", 0o644, Value::Num(ipc::MSGMAX as u64)),
    ctl("kernel/msgmnb", 0o644, Value::Num(ipc::MSGMNB as u64)),
    ctl("kernel/msgmni", 0o644, Value::Num(ipc::MSGMNI as u64)),
    ctl("kernel/ngroups_max", 0o444, Value::Num(65536)),
    ctl("kernel/osrelease", 0o444, Value::OsRelease),
    ctl("kernel/ostype", 0o444, Value::Text("Linux")),
    ctl("kernel/overflowgid", 0o644, Value::Num(65534)),
    ctl("kernel/overflowuid", 0o644, Value::Num(65534)),
    ctl("kernel/pid_max", 0o644, Value::Num(PID_MAX as u64)),
    ctl("kernel/random/boot_id", 0o444, Value::BootId),
    ctl("kernel/random/entropy_avail", 0o444, Value::Num(256)),
    ctl("kernel/random/poolsize", 0o444, Value::Num(256)),
    ctl("kernel/random/uuid", 0o444, Value::Uuid),
    ctl("kernel/sem", 0o644, Value::Text(SEM)),
    ctl("kernel/shmall", 0o644, Value::Num(ipc::SHMALL)),
    ctl("kernel/shmmax", 0o644, Value::Num(ipc::SHMMAX)),
    ctl("kernel/shmmni", 0o644, Value::Num(ipc::SHMMNI)),
    ctl("kernel/threads-max", 0o644, Value::Num(63432)),
    ctl("net/core/somaxconn", 0o644, Value::Num(4096)),
    ctl("vm/max_map_count", 0o644, Value::Num(65530)),
    ctl("vm/mmap_min_addr", 0o644, Value::Num(MMAP_MIN_ADDR)),
    ctl("vm/overcommit_memory", 0o644, Value::Num(0)),
    ctl("vm/overcommit_ratio", 0o644, Value::Num(50)),
];

/// A stable number for a directory path (FNV-1a).
pub(super) fn path_hash(p: &str) -> u64 {
    p.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub(super) fn mode(i: usize) -> u32 {
    SYSCTLS.get(i).map_or(0o444, |s| s.mode)
}

/// The part of `path` below directory `dir` ("" is /proc/sys itself).
fn below<'a>(dir: &str, path: &'a str) -> Option<&'a str> {
    if dir.is_empty() {
        Some(path)
    } else {
        path.strip_prefix(dir)?.strip_prefix('/')
    }
}

/// The child of `dir` that leads to sysctl `i`.
fn child(dir: &str, i: usize) -> Option<(&'static str, Node)> {
    let path = SYSCTLS[i].path;
    let rest = below(dir, path)?;
    Some(match rest.find('/') {
        Some(n) => {
            let end = path.len() - rest.len() + n;
            (&rest[..n], Node::SysDir(&path[..end]))
        }
        None => (rest, Node::Sysctl(i)),
    })
}

pub(super) fn entries(dir: &'static str) -> Vec<(Vec<u8>, Node)> {
    let mut out: Vec<(Vec<u8>, Node)> = Vec::new();
    for i in 0..SYSCTLS.len() {
        if let Some((name, node)) = child(dir, i) {
            if out
                .last()
                .is_none_or(|(n, _)| n.as_slice() != name.as_bytes())
            {
                out.push((name.as_bytes().to_vec(), node));
            }
        }
    }
    out
}

pub(super) fn lookup(dir: &'static str, name: &[u8]) -> Result<Node, Errno> {
    (0..SYSCTLS.len())
        .filter_map(|i| child(dir, i))
        .find(|(n, _)| n.as_bytes() == name)
        .map(|(_, node)| node)
        .ok_or(Errno::ENOENT)
}

/// Linux checks sysctl permissions by mode alone, root included: a
/// read-only parameter cannot be opened for writing by anyone.
pub(super) fn check_open(i: usize, flags: u32) -> Result<(), Errno> {
    let acc = flags & libc::O_ACCMODE as u32;
    let writes = acc == libc::O_WRONLY as u32
        || acc == libc::O_RDWR as u32
        || flags & libc::O_TRUNC as u32 != 0;
    if writes && mode(i) & 0o222 == 0 {
        return Err(Errno::EACCES);
    }
    Ok(())
}

/// A UTS name as the sysctl shows it: up to its first NUL.
fn uts_text(name: &[u8]) -> Vec<u8> {
    let n = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    let mut v = name[..n].to_vec();
    v.push(b'\n');
    v
}

pub(super) fn generate(fs: &ProcFs, i: usize) -> Result<Vec<u8>, Errno> {
    let s = SYSCTLS.get(i).ok_or(Errno::ENOENT)?;
    Ok(match s.value {
        Value::Num(n) => format!("{n}\n").into_bytes(),
        Value::Text(t) => format!("{t}\n").into_bytes(),
        Value::Hostname => uts_text(&fs.kernel()?.hostname.lock()),
        Value::Domainname => uts_text(&fs.kernel()?.domainname.lock()),
        Value::OsRelease => format!("{}\n", fs.host.release).into_bytes(),
        Value::Uuid => format!("{}\n", host::random_uuid()).into_bytes(),
        Value::BootId => format!("{}\n", fs.boot_id).into_bytes(),
    })
}

pub(super) fn check_write(i: usize) -> Result<(), Errno> {
    match SYSCTLS.get(i).map(|s| s.value) {
        Some(Value::Hostname | Value::Domainname) => Ok(()),
        _ => Err(Errno::EPERM),
    }
}

/// Longest UTS name (__NEW_UTS_LEN).
const UTS_LEN: usize = 64;

pub(super) fn write(fs: &ProcFs, i: usize, data: &[u8], total: u64) -> Result<u64, Errno> {
    let s = SYSCTLS.get(i).ok_or(Errno::ENOENT)?;
    let k = fs.kernel()?;
    check_write(i)?;
    let slot = if matches!(s.value, Value::Hostname) {
        &k.hostname
    } else {
        &k.domainname
    };
    // As Linux's proc_dostring: the value ends at a newline or NUL, and
    // what does not fit is dropped.
    let end = data
        .iter()
        .position(|&b| b == b'\n' || b == 0)
        .unwrap_or(data.len());
    *slot.lock() = data[..end.min(UTS_LEN)].to_vec();
    Ok(total)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sem_line_is_the_limits() {
        use abi::ipc::*;
        assert_eq!(
            super::SEM,
            format!("{SEMMSL}\t{SEMMNS}\t{SEMOPM}\t{SEMMNI}")
        );
    }
}
