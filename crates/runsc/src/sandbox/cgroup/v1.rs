//! cgroup v1: one hierarchy per controller (or group of controllers), as
//! /proc/self/mountinfo lists them. The sandbox joins every mounted
//! hierarchy (as runc does), and the limits go to the hierarchies of their
//! controllers.

use super::{limit_text, remove_dir, write, CgroupPath, Limits};
use std::path::{Path, PathBuf};

/// One mounted v1 hierarchy.
#[derive(Clone, Debug)]
struct Hierarchy {
    mount: PathBuf,
    /// Its controllers ("memory", "cpu", …; "name=systemd" for named ones).
    controllers: Vec<String>,
    /// runsc's own cgroup in it (for relative paths).
    own: PathBuf,
}

impl Hierarchy {
    fn has(&self, c: &str) -> bool {
        self.controllers.iter().any(|x| x == c)
    }
}

pub struct Manager {
    path: CgroupPath,
    limits: Limits,
    /// The spec named the cgroup: every hierarchy must take it (as runc).
    explicit: bool,
    hierarchies: Vec<Hierarchy>,
}

impl Manager {
    pub fn new(path: CgroupPath, limits: Limits, explicit: bool) -> Result<Manager, String> {
        let hierarchies = hierarchies()?;
        if hierarchies.is_empty() && (explicit || !limits.is_empty()) {
            return Err("no cgroup hierarchy is mounted".into());
        }
        Ok(Manager {
            path,
            limits,
            explicit,
            hierarchies,
        })
    }

    fn dir(&self, h: &Hierarchy) -> PathBuf {
        h.mount.join(self.path.below(&h.own))
    }

    /// Whether a failure in `h` must stop the container: the spec named
    /// the cgroup, or limits one of `h`'s controllers.
    fn needed(&self, h: &Hierarchy) -> bool {
        let l = &self.limits;
        self.explicit
            || (h.has("memory")
                && (l.memory.is_some()
                    || l.memory_swap.is_some()
                    || l.memory_reservation.is_some()))
            || (h.has("pids") && l.pids.is_some())
            || (h.has("cpu")
                && (l.cpu_shares.is_some() || l.cpu_quota.is_some() || l.cpu_period.is_some()))
            || (h.has("cpuset") && (l.cpuset_cpus.is_some() || l.cpuset_mems.is_some()))
    }

    fn apply_one(&self, h: &Hierarchy, pid: i32) -> Result<(), String> {
        let dir = self.dir(h);
        make_dirs(&h.mount, &dir, h.has("cpuset"))?;
        let l = &self.limits;
        if h.has("memory") {
            if let Some(m) = l.memory {
                write(&dir, "memory.limit_in_bytes", &m.to_string())?;
            }
            if let Some(s) = l.memory_swap {
                if dir.join("memory.memsw.limit_in_bytes").exists() {
                    write(&dir, "memory.memsw.limit_in_bytes", &s.to_string())?;
                } else {
                    tracing::debug!("cgroups: swap accounting is off: memory+swap is not limited");
                }
            }
            if let Some(r) = l.memory_reservation {
                write(&dir, "memory.soft_limit_in_bytes", &r.to_string())?;
            }
        }
        if h.has("pids") {
            if let Some(p) = l.pids {
                write(&dir, "pids.max", &limit_text(p))?;
            }
        }
        if h.has("cpu") {
            if let Some(s) = l.cpu_shares {
                write(&dir, "cpu.shares", &s.to_string())?;
            }
            if let Some(p) = l.cpu_period {
                write(&dir, "cpu.cfs_period_us", &p.to_string())?;
            }
            if let Some(q) = l.cpu_quota {
                let q = if q <= 0 { -1 } else { q };
                write(&dir, "cpu.cfs_quota_us", &q.to_string())?;
            }
        }
        if h.has("cpuset") {
            if let Some(c) = &l.cpuset_cpus {
                write(&dir, "cpuset.cpus", c)?;
            }
            if let Some(m) = &l.cpuset_mems {
                write(&dir, "cpuset.mems", m)?;
            }
        }
        write(&dir, "cgroup.procs", &pid.to_string())
    }
}

impl super::CgroupManager for Manager {
    fn apply(&self, pid: i32) -> Result<(), String> {
        for h in &self.hierarchies {
            if let Err(e) = self.apply_one(h, pid) {
                if self.needed(h) {
                    return Err(e);
                }
                crate::logging::warning(&format!("cgroups: {e}"));
            }
        }
        Ok(())
    }

    fn destroy(&self) -> Result<(), String> {
        let mut first_err = None;
        for h in &self.hierarchies {
            if let Err(e) = remove_dir(&self.dir(h)) {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

/// Create `dir` and its missing parents below `mount`; in a cpuset
/// hierarchy each new level gets its parent's cpus and mems (a cpuset
/// with none takes no process).
fn make_dirs(mount: &Path, dir: &Path, cpuset: bool) -> Result<(), String> {
    let rel = dir.strip_prefix(mount).unwrap_or(dir);
    let mut cur = mount.to_path_buf();
    for c in rel.components() {
        let next = cur.join(c);
        match std::fs::create_dir(&next) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("creating {}: {e}", next.display())),
        }
        if cpuset {
            for f in ["cpuset.cpus", "cpuset.mems"] {
                let mine = std::fs::read_to_string(next.join(f)).unwrap_or_default();
                if mine.trim().is_empty() {
                    let parent = std::fs::read_to_string(cur.join(f)).unwrap_or_default();
                    write(&next, f, parent.trim())?;
                }
            }
        }
        cur = next;
    }
    Ok(())
}

/// The v1 hierarchies mounted here, with runsc's own cgroup in each.
fn hierarchies() -> Result<Vec<Hierarchy>, String> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| format!("/proc/self/mountinfo: {e}"))?;
    let own = std::fs::read_to_string("/proc/self/cgroup")
        .map_err(|e| format!("/proc/self/cgroup: {e}"))?;
    Ok(parse(&mountinfo, &own))
}

const OPTIONS: &[&str] = &[
    "rw",
    "ro",
    "clone_children",
    "noprefix",
    "xattr",
    "nsroot",
    "cpuset_v2_mode",
    "favordynmods",
];

fn parse(mountinfo: &str, own: &str) -> Vec<Hierarchy> {
    let mut out: Vec<Hierarchy> = Vec::new();
    for line in mountinfo.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let mut r = right.split_whitespace();
        if r.next() != Some("cgroup") {
            continue;
        }
        let _source = r.next();
        let supers = r.next().unwrap_or("");
        let Some(mount) = left.split_whitespace().nth(4) else {
            continue;
        };
        let controllers: Vec<String> = supers
            .split(',')
            .filter(|o| !OPTIONS.contains(o) && !o.starts_with("release_agent="))
            .map(str::to_string)
            .collect();
        if controllers.is_empty() || out.iter().any(|h| h.controllers == controllers) {
            continue;
        }
        let own_path = own
            .lines()
            .filter_map(|l| {
                let mut f = l.splitn(3, ':');
                let (_, ctrls, path) = (f.next()?, f.next()?, f.next()?);
                let mut set: Vec<&str> = ctrls.split(',').collect();
                set.sort_unstable();
                let mut want: Vec<&str> = controllers.iter().map(String::as_str).collect();
                want.sort_unstable();
                (set == want).then(|| PathBuf::from(path))
            })
            .next()
            .unwrap_or_else(|| PathBuf::from("/"));
        out.push(Hierarchy {
            mount: PathBuf::from(unescape(mount)),
            controllers,
            own: own_path,
        });
    }
    out
}

/// mountinfo escapes spaces and the like as \ooo.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(u8::is_ascii_digit) {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hierarchies() {
        let mi = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n\
                  32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n\
                  35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n\
                  40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n";
        let own = "9:name=systemd:/\n4:memory:/process_api/x\n1:cpu:/\n0::/\n";
        let h = parse(mi, own);
        assert_eq!(h.len(), 3);
        assert_eq!(h[1].mount, PathBuf::from("/sys/fs/cgroup/memory"));
        assert_eq!(h[1].own, PathBuf::from("/process_api/x"));
        assert!(h[2].has("name=systemd"));
    }
}
