//! sysfs: the sandbox's /sys, read-only, holding what programs read to
//! learn about the machine — glibc (the CPU count), the JVM, Go and
//! Python (CPUs, NUMA nodes, transparent huge pages), lscpu-like tools
//! (topology, caches) — and the loopback device's entry. Its contents are
//! host facts read once at boot ([`SysFacts`]) and fixed from then on.
//!
//! /sys/fs/cgroup is an empty directory: the cgroup2 tree is a filesystem
//! of its own (`fs::cgroupfs`), mounted there.
//!
//! Nothing can be written, created or removed: writers are refused with
//! EACCES (as Linux refuses attributes without a write method, even to
//! root), creation with EACCES or EPERM, changes of attributes with EPERM.
//!
//! May use: `vfs`, `mm` I/O, `fs::devnum`.

mod host;
mod tree;

pub use host::{format_list, parse_list, SysFacts};

use crate::vfs::inode::{FsInfo, Inode};
use std::sync::Arc;
use tree::{Tree, TreeFs, TreeInode};

/// statfs f_type of sysfs.
pub const SYSFS_MAGIC: u64 = 0x6265_6572;

/// Directories at the top of every sysfs.
const TOP: [&str; 11] = [
    "block",
    "bus",
    "class",
    "dev",
    "devices",
    "firmware",
    "fs",
    "hypervisor",
    "kernel",
    "module",
    "power",
];

/// Host files root may write in Linux (the huge page policies): shown
/// with their modes, though writes are refused here.
const WRITABLE: [&str; 4] = [
    "kernel/mm/transparent_hugepage/enabled",
    "kernel/mm/transparent_hugepage/defrag",
    "kernel/mm/transparent_hugepage/shmem_enabled",
    "kernel/mm/transparent_hugepage/use_zero_page",
];

/// The loopback device's attributes (the sandbox's own, not the host's).
const LOOPBACK: [(&str, &str); 11] = [
    ("address", "00:00:00:00:00:00\n"),
    ("addr_len", "6\n"),
    ("broadcast", "00:00:00:00:00:00\n"),
    ("carrier", "1\n"),
    ("flags", "0x9\n"),
    ("ifindex", "1\n"),
    ("iflink", "1\n"),
    ("mtu", "65536\n"),
    ("operstate", "unknown\n"),
    ("tx_queue_len", "1000\n"),
    ("type", "772\n"),
];

/// One sysfs instance (a sandbox has one; every mount shows it).
#[derive(Debug)]
pub struct SysFs {
    fs: Arc<TreeFs>,
}

impl SysFs {
    /// A sysfs showing `facts` (normally [`SysFacts::collect`]'s).
    pub fn new(facts: &SysFacts) -> SysFs {
        SysFs {
            fs: Arc::new(TreeFs {
                tree: build(facts),
                dev: crate::fs::devnum::alloc_anon_dev(),
                time: crate::kernel::time::realtime(),
                info: FsInfo {
                    magic: SYSFS_MAGIC,
                    name: "sysfs",
                    read_only: false,
                },
            }),
        }
    }

    /// The root directory, to be mounted on /sys.
    pub fn root(&self) -> Arc<dyn Inode> {
        Arc::new(TreeInode {
            fs: self.fs.clone(),
            idx: 0,
        })
    }
}

fn build(facts: &SysFacts) -> Tree {
    let mut t = Tree::new();
    for d in TOP {
        t.dir(d);
    }
    t.dir("fs/cgroup");
    t.dir("kernel/mm");
    for f in &facts.files {
        let mode = if WRITABLE.contains(&f.path.as_str()) {
            0o644
        } else {
            0o444
        };
        t.file(&f.path, f.data.clone(), mode);
    }
    for &c in &facts.cpus {
        t.dir(&format!("devices/system/cpu/cpu{c}"));
    }
    for &n in &facts.nodes {
        t.dir(&format!("devices/system/node/node{n}"));
        for c in facts.node_cpus(n) {
            t.link(
                &format!("devices/system/node/node{n}/cpu{c}"),
                &format!("../../cpu/cpu{c}"),
            );
        }
    }
    for (name, value) in LOOPBACK {
        t.file(&format!("devices/virtual/net/lo/{name}"), value, 0o444);
    }
    t.link("class/net/lo", "../../devices/virtual/net/lo");
    t
}

#[cfg(test)]
mod tests;
