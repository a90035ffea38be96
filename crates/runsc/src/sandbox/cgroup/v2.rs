//! cgroup v2: the unified hierarchy at /sys/fs/cgroup. Controllers are
//! enabled in `cgroup.subtree_control` of every level above the
//! container's cgroup; v1 values are converted as runc converts them
//! (cpu.shares to cpu.weight, quota and period to cpu.max, memory+swap to
//! memory.swap.max).

use super::{limit_text, remove_dir, write, CgroupPath, Limits};
use std::path::{Path, PathBuf};

const ROOT: &str = "/sys/fs/cgroup";

/// Whether the unified hierarchy is what /sys/fs/cgroup is.
pub fn is_unified() -> bool {
    Path::new(ROOT).join("cgroup.controllers").exists()
}

pub struct Manager {
    dir: PathBuf,
    limits: Limits,
    explicit: bool,
}

impl Manager {
    pub fn new(path: CgroupPath, limits: Limits, explicit: bool) -> Manager {
        let own = std::fs::read_to_string("/proc/self/cgroup")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("0::").map(PathBuf::from))
            })
            .unwrap_or_else(|| PathBuf::from("/"));
        Manager {
            dir: Path::new(ROOT).join(path.below(&own)),
            limits,
            explicit,
        }
    }

    /// The controllers the limits need.
    fn wanted(&self) -> Vec<&'static str> {
        let l = &self.limits;
        let mut w = vec!["pids", "memory"];
        if l.cpu_shares.is_some() || l.cpu_quota.is_some() || l.cpu_period.is_some() {
            w.push("cpu");
        }
        if l.cpuset_cpus.is_some() || l.cpuset_mems.is_some() {
            w.push("cpuset");
        }
        w
    }

    fn apply_all(&self, pid: i32) -> Result<(), String> {
        let wanted = self.wanted();
        let rel = self
            .dir
            .strip_prefix(ROOT)
            .unwrap_or(&self.dir)
            .to_path_buf();
        let mut cur = PathBuf::from(ROOT);
        for c in rel.components() {
            // Delegate the controllers one level down before descending.
            let available =
                std::fs::read_to_string(cur.join("cgroup.controllers")).unwrap_or_default();
            let enable: Vec<String> = wanted
                .iter()
                .filter(|w| available.split_whitespace().any(|a| a == **w))
                .map(|w| format!("+{w}"))
                .collect();
            if !enable.is_empty() {
                write(&cur, "cgroup.subtree_control", &enable.join(" "))?;
            }
            cur = cur.join(c);
            match std::fs::create_dir(&cur) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(format!("creating {}: {e}", cur.display())),
            }
        }
        let dir = &self.dir;
        let l = &self.limits;
        if let Some(m) = l.memory {
            write(dir, "memory.max", &limit_text(m))?;
        }
        if let Some(s) = l.memory_swap {
            let swap = match (s, l.memory) {
                (s, _) if s < 0 => "max".to_string(),
                (s, Some(m)) if m > 0 => (s - m).max(0).to_string(),
                (s, _) => s.to_string(),
            };
            if dir.join("memory.swap.max").exists() {
                write(dir, "memory.swap.max", &swap)?;
            }
        }
        if let Some(r) = l.memory_reservation {
            write(dir, "memory.low", &r.to_string())?;
        }
        if let Some(p) = l.pids {
            write(dir, "pids.max", &limit_text(p))?;
        }
        if let Some(s) = l.cpu_shares {
            write(dir, "cpu.weight", &shares_to_weight(s).to_string())?;
        }
        if l.cpu_quota.is_some() || l.cpu_period.is_some() {
            let quota = l.cpu_quota.map_or("max".to_string(), limit_text);
            let period = l.cpu_period.unwrap_or(100_000);
            write(dir, "cpu.max", &format!("{quota} {period}"))?;
        }
        if let Some(c) = &l.cpuset_cpus {
            write(dir, "cpuset.cpus", c)?;
        }
        if let Some(m) = &l.cpuset_mems {
            write(dir, "cpuset.mems", m)?;
        }
        write(dir, "cgroup.procs", &pid.to_string())
    }
}

/// runc's conversion of cpu.shares [2, 262144] to cpu.weight [1, 10000].
fn shares_to_weight(shares: u64) -> u64 {
    let s = shares.clamp(2, 262_144);
    1 + ((s - 2) * 9999) / 262_142
}

impl super::CgroupManager for Manager {
    fn apply(&self, pid: i32) -> Result<(), String> {
        match self.apply_all(pid) {
            Ok(()) => Ok(()),
            Err(e) if self.explicit || !self.limits.is_empty() => Err(e),
            Err(e) => {
                crate::logging::warning(&format!("cgroups: {e}"));
                Ok(())
            }
        }
    }

    fn destroy(&self) -> Result<(), String> {
        remove_dir(&self.dir)
    }
}

#[cfg(test)]
mod tests {
    use super::shares_to_weight;

    #[test]
    fn weights() {
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(1024), 39);
        assert_eq!(shares_to_weight(262_144), 10_000);
    }
}
