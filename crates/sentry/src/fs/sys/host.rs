//! The host facts sysfs passes on: the CPUs (which ones exist, their
//! topology and caches), the NUMA nodes, the transparent huge page
//! settings. The application runs on these CPUs and would see them through
//! /proc/cpuinfo, CPUID and sched_getaffinity anyway; programs size their
//! thread pools and heaps from them.
//!
//! Read once per process, at boot, before the Gofer starts (the Sentry
//! opens no host path after that): [`SysFacts::collect`]. Where the host's
//! sysfs cannot be read, the facts are made up from the CPU count.

use std::sync::OnceLock;

/// One file of sysfs as the host has it: path below /sys, contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostFile {
    pub path: String,
    pub data: Vec<u8>,
}

#[derive(Clone, Debug, Default)]
pub struct SysFacts {
    /// The CPUs that exist (/sys/devices/system/cpu/present).
    pub cpus: Vec<usize>,
    /// The NUMA nodes that are online.
    pub nodes: Vec<usize>,
    /// Host files copied as they are.
    pub files: Vec<HostFile>,
}

/// Files of /sys/devices/system/cpu.
const CPU_FILES: [&str; 6] = [
    "online",
    "possible",
    "present",
    "offline",
    "isolated",
    "kernel_max",
];
/// Files of each cpuN/topology.
const TOPOLOGY: [&str; 12] = [
    "core_id",
    "physical_package_id",
    "die_id",
    "cluster_id",
    "thread_siblings",
    "thread_siblings_list",
    "core_siblings",
    "core_siblings_list",
    "core_cpus",
    "core_cpus_list",
    "package_cpus",
    "package_cpus_list",
];
/// Files of each cpuN/cache/indexK.
const CACHE: [&str; 10] = [
    "id",
    "level",
    "type",
    "size",
    "coherency_line_size",
    "ways_of_associativity",
    "number_of_sets",
    "physical_line_partition",
    "shared_cpu_list",
    "shared_cpu_map",
];
/// Files of /sys/devices/system/node.
const NODE_FILES: [&str; 5] = [
    "online",
    "possible",
    "has_cpu",
    "has_memory",
    "has_normal_memory",
];
/// Files of each nodeN.
const PER_NODE: [&str; 3] = ["cpulist", "cpumap", "distance"];
/// Files of /sys/kernel/mm/transparent_hugepage.
const THP: [&str; 5] = [
    "enabled",
    "defrag",
    "shmem_enabled",
    "hpage_pmd_size",
    "use_zero_page",
];

/// A CPU list as sysfs writes them ("0-3,8,10-11"), parsed.
pub fn parse_list(s: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for part in s.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) {
                    if b >= a && b - a < 1 << 16 {
                        out.extend(a..=b);
                    }
                }
            }
            None => out.extend(part.parse::<usize>().ok()),
        }
    }
    out
}

/// A CPU list in sysfs' form, with its newline.
pub fn format_list(cpus: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < cpus.len() {
        let mut j = i;
        while j + 1 < cpus.len() && cpus[j + 1] == cpus[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            cpus[i].to_string()
        } else {
            format!("{}-{}", cpus[i], cpus[j])
        });
        i = j + 1;
    }
    parts.join(",") + "\n"
}

/// A CPU mask in sysfs' form (32-bit hex words, most significant first,
/// comma-separated), for `nbits` possible CPUs.
pub fn format_mask(cpus: &[usize], nbits: usize) -> String {
    let words = nbits.div_ceil(32).max(1);
    let mut w = vec![0u32; words];
    for &c in cpus {
        if c / 32 < words {
            w[c / 32] |= 1 << (c % 32);
        }
    }
    let parts: Vec<String> = w.iter().rev().map(|x| format!("{x:08x}")).collect();
    parts.join(",") + "\n"
}

fn read(rel: &str) -> Option<Vec<u8>> {
    std::fs::read(format!("/sys/{rel}")).ok()
}

impl SysFacts {
    /// The facts of this process's host, read on first use: call this at
    /// boot before the Sentry stops opening host paths.
    pub fn collect() -> &'static SysFacts {
        static FACTS: OnceLock<SysFacts> = OnceLock::new();
        FACTS.get_or_init(|| {
            Self::read_host(std::thread::available_parallelism().map_or(1, |n| n.get()))
        })
    }

    /// Read the host's sysfs; `fallback_cpus` CPUs are assumed when it
    /// cannot be read.
    pub fn read_host(fallback_cpus: usize) -> SysFacts {
        let mut files = Vec::new();
        let mut copy = |rel: String| -> bool {
            match read(&rel) {
                Some(data) => {
                    files.push(HostFile { path: rel, data });
                    true
                }
                None => false,
            }
        };
        let base = "devices/system/cpu";
        for f in CPU_FILES {
            copy(format!("{base}/{f}"));
        }
        let present = read(&format!("{base}/present"))
            .map(|d| parse_list(&String::from_utf8_lossy(&d)))
            .filter(|l| !l.is_empty());
        let Some(cpus) = present else {
            return Self::synthetic(fallback_cpus);
        };
        for &c in &cpus {
            for f in TOPOLOGY {
                copy(format!("{base}/cpu{c}/topology/{f}"));
            }
            for k in 0..8 {
                if !copy(format!("{base}/cpu{c}/cache/index{k}/level")) {
                    break;
                }
                for f in CACHE.iter().filter(|f| **f != "level") {
                    copy(format!("{base}/cpu{c}/cache/index{k}/{f}"));
                }
            }
        }
        let nbase = "devices/system/node";
        for f in NODE_FILES {
            copy(format!("{nbase}/{f}"));
        }
        let nodes = read(&format!("{nbase}/online"))
            .map(|d| parse_list(&String::from_utf8_lossy(&d)))
            .unwrap_or_default();
        for &n in &nodes {
            for f in PER_NODE {
                copy(format!("{nbase}/node{n}/{f}"));
            }
        }
        for f in THP {
            copy(format!("kernel/mm/transparent_hugepage/{f}"));
        }
        let mut facts = SysFacts { cpus, nodes, files };
        facts.fill_gaps();
        facts
    }

    /// Facts for `n` CPUs numbered from 0, one package, one node, with
    /// Linux's usual huge page settings.
    pub fn synthetic(n: usize) -> SysFacts {
        let n = n.max(1);
        let mut facts = SysFacts {
            cpus: (0..n).collect(),
            nodes: vec![0],
            files: Vec::new(),
        };
        facts.fill_gaps();
        facts
    }

    fn has(&self, path: &str) -> bool {
        self.files.iter().any(|f| f.path == path)
    }

    fn add_missing(&mut self, path: String, data: String) {
        if !self.has(&path) {
            self.files.push(HostFile {
                path,
                data: data.into_bytes(),
            });
        }
    }

    /// Make up what the host did not give, from the CPU list.
    fn fill_gaps(&mut self) {
        let list = format_list(&self.cpus);
        let max = self.cpus.iter().copied().max().unwrap_or(0);
        let base = "devices/system/cpu";
        for f in ["online", "possible", "present"] {
            self.add_missing(format!("{base}/{f}"), list.clone());
        }
        self.add_missing(format!("{base}/offline"), "\n".into());
        self.add_missing(format!("{base}/isolated"), "\n".into());
        self.add_missing(format!("{base}/kernel_max"), format!("{}\n", max.max(255)));
        let cpus = self.cpus.clone();
        for &c in &cpus {
            let t = format!("{base}/cpu{c}/topology");
            self.add_missing(format!("{t}/core_id"), format!("{c}\n"));
            self.add_missing(format!("{t}/physical_package_id"), "0\n".into());
            self.add_missing(format!("{t}/thread_siblings_list"), format!("{c}\n"));
            self.add_missing(format!("{t}/core_siblings_list"), list.clone());
        }
        if self.nodes.is_empty() {
            self.nodes = vec![0];
        }
        let nodes = format_list(&self.nodes);
        let nbase = "devices/system/node";
        for f in NODE_FILES {
            self.add_missing(format!("{nbase}/{f}"), nodes.clone());
        }
        if self.nodes == [0] {
            self.add_missing(format!("{nbase}/node0/cpulist"), list.clone());
            self.add_missing(
                format!("{nbase}/node0/cpumap"),
                format_mask(&self.cpus, max + 1),
            );
            self.add_missing(format!("{nbase}/node0/distance"), "10\n".into());
        }
        let thp = "kernel/mm/transparent_hugepage";
        for (f, v) in [
            ("enabled", "always [madvise] never\n"),
            ("defrag", "always defer defer+madvise [madvise] never\n"),
            (
                "shmem_enabled",
                "always within_size advise [never] deny force\n",
            ),
            ("hpage_pmd_size", "2097152\n"),
            ("use_zero_page", "1\n"),
        ] {
            self.add_missing(format!("{thp}/{f}"), v.into());
        }
    }

    /// The CPUs of node `n` (from its cpulist).
    pub fn node_cpus(&self, n: usize) -> Vec<usize> {
        let path = format!("devices/system/node/node{n}/cpulist");
        self.files
            .iter()
            .find(|f| f.path == path)
            .map(|f| parse_list(&String::from_utf8_lossy(&f.data)))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists() {
        assert_eq!(parse_list("0-3,8,10-11\n"), vec![0, 1, 2, 3, 8, 10, 11]);
        assert_eq!(parse_list("\n"), Vec::<usize>::new());
        assert_eq!(format_list(&[0, 1, 2, 3, 8, 10, 11]), "0-3,8,10-11\n");
        assert_eq!(format_list(&[5]), "5\n");
        assert_eq!(format_mask(&[0, 1], 2), "00000003\n");
        assert_eq!(format_mask(&[0, 33], 40), "00000002,00000001\n");
    }

    #[test]
    fn synthetic_facts() {
        let f = SysFacts::synthetic(4);
        let get = |p: &str| {
            String::from_utf8(f.files.iter().find(|x| x.path == p).unwrap().data.clone()).unwrap()
        };
        assert_eq!(get("devices/system/cpu/online"), "0-3\n");
        assert_eq!(get("devices/system/cpu/kernel_max"), "255\n");
        assert_eq!(get("devices/system/cpu/cpu2/topology/core_id"), "2\n");
        assert_eq!(get("devices/system/node/node0/cpulist"), "0-3\n");
        assert_eq!(get("devices/system/node/online"), "0\n");
        assert_eq!(
            get("kernel/mm/transparent_hugepage/hpage_pmd_size"),
            "2097152\n"
        );
        assert_eq!(f.node_cpus(0), vec![0, 1, 2, 3]);
    }

    #[test]
    fn host_facts_agree_with_the_host() {
        let f = SysFacts::read_host(1);
        assert!(!f.cpus.is_empty());
        let online = f
            .files
            .iter()
            .find(|x| x.path == "devices/system/cpu/online")
            .unwrap();
        let n = parse_list(&String::from_utf8_lossy(&online.data)).len();
        let usable = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert!(n >= usable, "{n} online, {usable} usable");
    }
}
