//! A minimal, read-only cgroup2 hierarchy: the container's own cgroup as
//! its cgroup namespace shows it, with the few files programs read to size
//! themselves (the JVM, Go's automaxprocs, .NET, systemd's checks) — the
//! controllers and the memory, CPU and pids limits from the container's
//! spec, or "max". The limits themselves are applied from outside (the
//! sandbox's host cgroup); these files only report them.
//!
//! May use: `fs::tmpfs` (the tree is a tmpfs mounted read-only), `vfs`, `mm` I/O.

use crate::fs::tmpfs::Tmpfs;
use crate::mm::IoSrc;
use crate::vfs::file::File;
use crate::vfs::inode::{Inode, NewNode, Owner};
use abi::Errno;
use memory::MemoryFile;
use std::sync::Arc;

/// What the container's cgroup is limited to (the OCI spec's
/// `linux.resources`); None is "max".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CgroupLimits {
    /// memory.max, bytes.
    pub memory_max: Option<u64>,
    /// memory.swap.max, bytes (memory+swap minus memory, as runc converts).
    pub swap_max: Option<u64>,
    /// cpu.max: quota (µs) per period (µs); the period alone is kept when
    /// there is no quota.
    pub cpu_quota: Option<u64>,
    pub cpu_period: Option<u64>,
    /// cpu.weight (1..=10000).
    pub cpu_weight: Option<u64>,
    /// pids.max.
    pub pids_max: Option<u64>,
}

/// Linux's default CPU period, µs.
const DEFAULT_PERIOD: u64 = 100_000;
const PAGE: u64 = 4096;

fn max_or(v: Option<u64>) -> String {
    v.map_or_else(|| "max".to_string(), |n| n.to_string())
}

/// The files of the root of the hierarchy: name, mode, contents.
pub fn files(l: &CgroupLimits) -> Vec<(&'static str, u32, String)> {
    let cpu_max = format!(
        "{} {}",
        max_or(l.cpu_quota),
        l.cpu_period.unwrap_or(DEFAULT_PERIOD)
    );
    vec![
        ("cgroup.controllers", 0o444, "cpu memory pids".into()),
        ("cgroup.subtree_control", 0o644, String::new()),
        ("cgroup.max.depth", 0o644, "max".into()),
        ("cgroup.max.descendants", 0o644, "max".into()),
        ("cpu.max", 0o644, cpu_max),
        ("cpu.weight", 0o644, l.cpu_weight.unwrap_or(100).to_string()),
        // The kernel keeps whole pages.
        (
            "memory.max",
            0o644,
            max_or(l.memory_max.map(|m| m / PAGE * PAGE)),
        ),
        ("memory.high", 0o644, "max".into()),
        (
            "memory.swap.max",
            0o644,
            max_or(l.swap_max.map(|m| m / PAGE * PAGE)),
        ),
        ("pids.max", 0o644, max_or(l.pids_max)),
    ]
}

/// The hierarchy's root directory, on a tmpfs of its own (to be mounted
/// with a read-only superblock).
pub fn build(mf: &Arc<MemoryFile>, limits: &CgroupLimits) -> Result<Arc<dyn Inode>, Errno> {
    let fs = Tmpfs::new(mf.clone(), 0o755, Owner::default());
    let root = fs.root();
    for (name, mode, text) in files(limits) {
        let f = root.create(name.as_bytes(), &NewNode::File { mode }, Owner::default())?;
        let mut line = text.into_bytes();
        line.push(b'\n');
        let ops = f.open(&f, libc::O_WRONLY as u32)?;
        let file = File::new(ops, None, Some(f.clone()), libc::O_WRONLY as u32);
        file.ops.write(&file, &mut IoSrc::buf(&line), 0)?;
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_show_as_cgroup2_does() {
        let l = CgroupLimits {
            memory_max: Some(100_000_000),
            cpu_quota: Some(50_000),
            pids_max: Some(64),
            ..Default::default()
        };
        let f = files(&l);
        let get = |n: &str| f.iter().find(|(name, _, _)| *name == n).unwrap().2.clone();
        assert_eq!(get("memory.max"), "99999744");
        assert_eq!(get("cpu.max"), "50000 100000");
        assert_eq!(get("pids.max"), "64");
        let none = files(&CgroupLimits::default());
        let get = |n: &str| {
            none.iter()
                .find(|(name, _, _)| *name == n)
                .unwrap()
                .2
                .clone()
        };
        assert_eq!(get("memory.max"), "max");
        assert_eq!(get("cpu.max"), "max 100000");
        assert_eq!(get("pids.max"), "max");
    }

    #[test]
    fn tree_holds_the_files() {
        let mf = Arc::new(MemoryFile::new(1 << 30).unwrap());
        let root = build(&mf, &CgroupLimits::default()).unwrap();
        let a = root.lookup(b"pids.max").unwrap().attr().unwrap();
        assert_eq!(a.size, 4);
        assert_eq!(a.mode & 0o777, 0o644);
    }
}
