//! Filesystems by type name, as mount(2) and a container's mount list ask
//! for them (Linux's file_system_type table):
//!
//! | type | what a mount gets |
//! |---|---|
//! | `tmpfs` | a new tmpfs (size=, mode=, uid=, gid=; nr_inodes ignored) |
//! | `proc` | the sandbox's procfs |
//! | `sysfs` | the sandbox's sysfs (`fs::sys`) |
//! | `devpts` | a new devpts instance (`fs::devpts`) |
//! | `mqueue` | the sandbox's one (empty tmpfs) until POSIX message queues exist |
//! | `cgroup`, `cgroup2` | the read-only cgroup2 tree of `fs::cgroupfs` |
//!
//! Other types are ENODEV. Single-instance types are recorded in the
//! mount namespace at boot ([`install_singletons`]), so mounting them
//! again shows the same filesystem.
//!
//! May use: `vfs`, `fs::{tmpfs, dev, devpts, sys, cgroupfs, mount_opts}`.

use crate::fs::cgroupfs::{self, CgroupLimits};
use crate::fs::dev;
use crate::fs::mount_opts::TmpfsOptions;
use crate::fs::tmpfs::Tmpfs;
use crate::vfs::inode::{Inode, Owner, SetAttr};
use crate::vfs::mount::{MountNamespace, SuperBlock};
use abi::Errno;
use memory::MemoryFile;
use std::sync::{Arc, OnceLock};

/// A filesystem made for a mount.
pub struct Made {
    pub root: Arc<dyn Inode>,
    pub sb: Arc<SuperBlock>,
}

impl std::fmt::Debug for Made {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Made({:?})", self.sb)
    }
}

/// The host's memory, for `size=N%` (set once at boot from the host facts).
static MEM_TOTAL: OnceLock<u64> = OnceLock::new();

pub fn set_mem_total(bytes: u64) {
    let _ = MEM_TOTAL.set(bytes);
}

pub fn mem_total() -> u64 {
    MEM_TOTAL.get().copied().unwrap_or(0)
}

/// A new tmpfs as `data` asks (mount(2)'s data, or a mount list's options).
pub fn tmpfs(mf: &Arc<MemoryFile>, data: &[String]) -> Result<(Arc<Tmpfs>, Made), Errno> {
    let o = TmpfsOptions::default().parse(data, mem_total())?;
    let fs = Tmpfs::new(
        mf.clone(),
        o.mode,
        Owner {
            uid: o.uid,
            gid: o.gid,
        },
    );
    fs.set_size_limit(o.size)?;
    let made = Made {
        root: fs.root(),
        sb: SuperBlock::new("tmpfs", false, o.show()),
    };
    Ok((fs, made))
}

/// A container's /dev: a tmpfs as `data` asks, holding the device nodes
/// and links of `fs::dev`.
pub fn dev_tmpfs(mf: &Arc<MemoryFile>, data: &[String]) -> Result<Made, Errno> {
    let o = TmpfsOptions::default().parse(data, mem_total())?;
    let (fs, made) = tmpfs(mf, data)?;
    let root = dev::make_dev_dir(&fs)?;
    root.setattr(&SetAttr {
        mode: Some(o.mode),
        uid: Some(o.uid),
        gid: Some(o.gid),
        ..Default::default()
    })?;
    Ok(Made { root, sb: made.sb })
}

/// The sandbox's sysfs (`fs::sys`), showing the host facts read at boot,
/// with the empty /sys/fs/cgroup the cgroup tree is mounted on.
fn sysfs() -> Made {
    let sys = crate::fs::sys::SysFs::new(crate::fs::sys::SysFacts::collect());
    Made {
        root: sys.root(),
        sb: SuperBlock::new("sysfs", true, String::new()),
    }
}

/// A new devpts instance (`fs::devpts`) as `data` asks (newinstance,
/// ptmxmode=, mode=, gid=, uid=, max=).
fn devpts(data: &[String]) -> Result<Made, Errno> {
    let o = crate::fs::devpts::DevPtsOptions::parse(data)?;
    let pts = crate::fs::devpts::DevPts::new(o);
    Ok(Made {
        root: pts.root(),
        sb: SuperBlock::new("devpts", false, o.show()),
    })
}

/// Whether `sb` is a read-only stand-in (sysfs, devpts, the cgroup tree)
/// that a remount must not make writable.
pub fn pinned_read_only(sb: &SuperBlock) -> bool {
    matches!(sb.fs_type.as_str(), "sysfs" | "devpts" | "cgroup2") && sb.read_only()
}

/// Record the sandbox's single instances in `ns`: `proc` (its root
/// given), sysfs, mqueue and the cgroup2 tree.
pub fn install_singletons(
    ns: &MountNamespace,
    mf: &Arc<MemoryFile>,
    proc_root: Arc<dyn Inode>,
    cgroup: &CgroupLimits,
) -> Result<(), Errno> {
    ns.set_singleton(
        "proc",
        proc_root,
        SuperBlock::new("proc", false, String::new()),
    );
    let s = sysfs();
    ns.set_singleton("sysfs", s.root, s.sb);
    // POSIX message queues do not exist yet: an empty tmpfs named mqueue.
    let mq = Tmpfs::new(mf.clone(), 0o1777, Owner::default()).root();
    ns.set_singleton(
        "mqueue",
        mq,
        SuperBlock::new("mqueue", false, String::new()),
    );
    let cg = cgroupfs::build(mf, cgroup)?;
    ns.set_singleton(
        "cgroup2",
        cg,
        SuperBlock::new("cgroup2", true, String::new()),
    );
    Ok(())
}

/// A filesystem of type `fs_type` for a new mount, `data` its options.
pub fn make(
    ns: &MountNamespace,
    mf: &Arc<MemoryFile>,
    fs_type: &str,
    data: &[String],
) -> Result<Made, Errno> {
    let single = |name: &str| {
        ns.singleton(name)
            .map(|(root, sb)| Made { root, sb })
            .ok_or(Errno::ENODEV)
    };
    match fs_type {
        "tmpfs" => tmpfs(mf, data).map(|(_, m)| m),
        "proc" => single("proc"),
        "sysfs" => single("sysfs"),
        "mqueue" => single("mqueue"),
        // One unified hierarchy, as runc mounts on a cgroup2 host.
        "cgroup" | "cgroup2" => single("cgroup2"),
        "devpts" => devpts(data),
        _ => Err(Errno::ENODEV),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::inode::S_IFMT;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn tmpfs_with_options() {
        let mf = Arc::new(MemoryFile::new(1 << 30).unwrap());
        let (_, m) = tmpfs(&mf, &words(&["size=8k", "mode=700", "uid=7"])).unwrap();
        let a = m.root.attr().unwrap();
        assert_eq!(a.mode & !S_IFMT, 0o700);
        assert_eq!(a.uid, 7);
        assert_eq!(m.sb.options(), "size=8k,mode=700,uid=7,inode64");
        assert!(tmpfs(&mf, &words(&["nope"])).is_err());
        let d = dev_tmpfs(&mf, &words(&["mode=755", "size=65536k"])).unwrap();
        assert!(d.root.lookup(b"null").is_ok());
        assert_eq!(d.root.attr().unwrap().mode & !S_IFMT, 0o755);
    }

    #[test]
    fn types() {
        let mf = Arc::new(MemoryFile::new(1 << 30).unwrap());
        let root = Tmpfs::new(mf.clone(), 0o755, Owner::default()).root();
        let ns = MountNamespace::new(root.clone(), "tmpfs", "none");
        assert_eq!(make(&ns, &mf, "proc", &[]).err(), Some(Errno::ENODEV));
        install_singletons(&ns, &mf, root, &CgroupLimits::default()).unwrap();
        assert_eq!(make(&ns, &mf, "proc", &[]).unwrap().sb.fs_type, "proc");
        let cg = make(&ns, &mf, "cgroup", &[]).unwrap();
        assert_eq!(cg.sb.fs_type, "cgroup2");
        assert!(cg.sb.read_only());
        assert!(cg.root.lookup(b"memory.max").is_ok());
        assert!(make(&ns, &mf, "sysfs", &[]).unwrap().sb.read_only());
        let pts = make(&ns, &mf, "devpts", &words(&["gid=5", "mode=0620"])).unwrap();
        assert_eq!(pts.sb.options(), "gid=5,mode=620,ptmxmode=000");
        assert_eq!(make(&ns, &mf, "ext4", &[]).err(), Some(Errno::ENODEV));
    }
}
