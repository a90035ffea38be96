//! A container's mount list applied to a tmpfs root: mandatory mounts,
//! created mount points (through symlinks), tmpfs options and size,
//! bind mounts of files and directories with flags, read-only and masked
//! paths, a read-only root — and what /proc's tables make of them.

use super::*;
use crate::fs::proc::ProcFs;
use crate::fs::tmpfs::Tmpfs;
use crate::mm::IoSrc;
use crate::vfs::inode::{FileType, S_IFMT};
use crate::vfs::mount::{MS_NODEV, MS_NOEXEC, MS_NOSUID};
use crate::vfs::open;

struct World {
    mf: Arc<MemoryFile>,
    ns: MountNamespace,
    /// A second tmpfs standing in for the host trees bind mounts serve.
    host: Arc<dyn Inode>,
}

fn words(s: &[&str]) -> Vec<String> {
    s.iter().map(|w| w.to_string()).collect()
}

fn mount(dest: &str, ty: &str, source: &str, options: &[&str]) -> MountEntry {
    MountEntry {
        destination: dest.as_bytes().to_vec(),
        fs_type: ty.into(),
        source: source.into(),
        options: words(options),
    }
}

impl World {
    fn new() -> World {
        let mf = Arc::new(MemoryFile::new(1 << 30).expect("memory file"));
        let root = Tmpfs::new(mf.clone(), 0o755, Owner::default()).root();
        let dir = NewNode::Dir { mode: 0o755 };
        for d in [&b"etc"[..], b"proc", b"var", b"run"] {
            root.create(d, &dir, Owner::default()).unwrap();
        }
        // /var/run -> ../run, as distributions have it.
        root.lookup(b"var")
            .unwrap()
            .create(
                b"run",
                &NewNode::Symlink {
                    target: b"../run".to_vec(),
                },
                Owner::default(),
            )
            .unwrap();
        let ns = MountNamespace::new(root, "overlay", "none");
        let facts = crate::fs::proc::HostFacts {
            cpuinfo: Vec::new(),
            ncpus: 1,
            mem_total: 1 << 30,
            release: "6.1.0".into(),
        };
        let procfs = ProcFs::new(facts);
        fstype::install_singletons(&ns, &mf, procfs.root(), &CgroupLimits::default()).unwrap();
        let host = Tmpfs::new(mf.clone(), 0o755, Owner::default()).root();
        let vol = host.create(b"vol", &dir, Owner::default()).unwrap();
        vol.create(b"data", &NewNode::File { mode: 0o644 }, Owner::default())
            .unwrap();
        host.create(b"hosts", &NewNode::File { mode: 0o644 }, Owner::default())
            .unwrap();
        World { mf, ns, host }
    }

    fn apply(&self, cm: &ContainerMounts) -> Result<(), String> {
        let host = self.host.clone();
        Mounter::new(&self.ns, &self.mf).apply(cm, &mut |i| {
            let name = cm.mounts[i]
                .source
                .trim_start_matches('/')
                .as_bytes()
                .to_vec();
            host.lookup(&name).map_err(|e| format!("{e}"))
        })
    }

    fn root(&self) -> Path {
        Path {
            mount: self.ns.root.clone(),
            dentry: self.ns.root.root.clone(),
        }
    }

    fn walk(&self, p: &str) -> Result<Path, Errno> {
        let root = self.root();
        let creds = Creds::new(0, 0);
        let mut w = Walk::new(&self.ns, &root, &creds);
        w.walk(&root, p.as_bytes(), true)
    }

    fn create(&self, p: &str) -> Result<(), Errno> {
        let root = self.root();
        let creds = Creds::new(0, 0);
        let mut w = Walk::new(&self.ns, &root, &creds);
        namei::create(
            &mut w,
            &root,
            p.as_bytes(),
            NewNode::File { mode: 0o644 },
            Owner::default(),
        )
        .map(|_| ())
    }

    fn write(&self, p: &str, data: &[u8]) -> Result<u64, Errno> {
        let root = self.root();
        let creds = Creds::new(0, 0);
        let mut w = Walk::new(&self.ns, &root, &creds);
        let f = open::open(
            &mut w,
            &root,
            p.as_bytes(),
            libc::O_WRONLY as u32 | libc::O_CREAT as u32,
            0o644,
            0,
            Owner::default(),
        )?;
        f.ops.write(&f, &mut IoSrc::buf(data), 0)
    }

    /// (mount point, type, per-mount flags) of every mount.
    fn table(&self) -> Vec<(String, String, u32)> {
        let root = self.root();
        self.ns
            .all()
            .iter()
            .map(|m| {
                let p = Path {
                    mount: m.clone(),
                    dentry: m.root.clone(),
                };
                (
                    String::from_utf8(p.to_bytes(&root)).unwrap(),
                    m.sb.fs_type.clone(),
                    m.flags(),
                )
            })
            .collect()
    }
}

#[test]
fn mandatory_mounts_come_first() {
    let w = World::new();
    let cm = ContainerMounts {
        mounts: vec![mount(
            "/dev/shm",
            "tmpfs",
            "shm",
            &["nosuid", "noexec", "nodev", "mode=1777", "size=64k"],
        )],
        ..Default::default()
    };
    w.apply(&cm).unwrap();
    let t = w.table();
    let names: Vec<(&str, &str)> = t
        .iter()
        .map(|(p, ty, _)| (p.as_str(), ty.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("/", "overlay"),
            ("/proc", "proc"),
            ("/dev", "tmpfs"),
            ("/dev/pts", "devpts"),
            ("/sys", "sysfs"),
            ("/dev/shm", "tmpfs"),
        ]
    );
    assert_eq!(t[1].2, MS_NOSUID | MS_NODEV | MS_NOEXEC);
    assert!(w.walk("/dev/null").is_ok(), "/dev has the device nodes");
    // The size limit holds: 64 KiB, then ENOSPC.
    assert_eq!(w.write("/dev/shm/a", &[1u8; 60 * 1024]), Ok(60 * 1024));
    assert_eq!(w.write("/dev/shm/b", &[1u8; 8192]), Ok(4096));
    assert_eq!(w.write("/dev/shm/c", &[1u8; 10]), Err(Errno::ENOSPC));
    let shm = w.walk("/dev/shm").unwrap();
    assert_eq!(shm.dentry.inode.attr().unwrap().mode & !S_IFMT, 0o1777);
    assert_eq!(shm.mount.sb.options(), "size=64k,inode64");
}

#[test]
fn pts_and_shm_follow_a_dev_from_the_list() {
    let w = World::new();
    let cm = ContainerMounts {
        mounts: vec![
            mount("/proc", "proc", "proc", &[]),
            mount("/dev", "tmpfs", "tmpfs", &["mode=755"]),
            mount("/run", "tmpfs", "tmpfs", &[]),
        ],
        ..Default::default()
    };
    w.apply(&cm).unwrap();
    let names: Vec<String> = w.table().into_iter().map(|(p, _, _)| p).collect();
    assert_eq!(
        names,
        ["/", "/sys", "/proc", "/dev", "/dev/pts", "/dev/shm", "/run"]
    );
    let shm = w.walk("/dev/shm").unwrap();
    assert_eq!(shm.dentry.inode.attr().unwrap().mode & !S_IFMT, 0o1777);
    assert_eq!(shm.mount.source, "shm");
}

#[test]
fn binds_of_files_and_directories() {
    let w = World::new();
    let cm = ContainerMounts {
        mounts: vec![
            mount("/etc/hosts", "bind", "/hosts", &["rbind", "ro", "rprivate"]),
            mount("/data", "none", "/vol", &["bind", "nosuid"]),
            // Through /var/run -> ../run: the mount point is /run/app.
            mount("/var/run/app", "tmpfs", "tmpfs", &["mode=700"]),
        ],
        ..Default::default()
    };
    assert_eq!(cm.gofer_mounts().len(), 2);
    assert_eq!(cm.gofer_mounts()[0].name, "mount0");
    assert!(!cm.gofer_mounts()[0].writable);
    assert!(cm.gofer_mounts()[1].writable);
    w.apply(&cm).unwrap();
    // The file mount point was created as an empty file, the directory one as a directory.
    let hosts = w.walk("/etc/hosts").unwrap();
    assert_eq!(
        hosts.dentry.inode.attr().unwrap().file_type(),
        FileType::Regular
    );
    assert!(hosts.mount.read_only());
    assert_eq!(w.write("/etc/hosts", b"x"), Err(Errno::EROFS));
    assert!(w.walk("/data/data").is_ok());
    assert_eq!(w.write("/data/new", b"x"), Ok(1));
    assert!(
        w.host.lookup(b"vol").unwrap().lookup(b"new").is_ok(),
        "reached the tree"
    );
    assert!(w.walk("/run/app").unwrap().mount.sb.fs_type == "tmpfs");
    let t = w.table();
    assert!(t.contains(&("/etc/hosts".into(), "9p".into(), MS_RDONLY)));
    assert!(t.contains(&("/data".into(), "9p".into(), MS_NOSUID)));
    assert!(t.iter().any(|(p, ty, _)| p == "/run/app" && ty == "tmpfs"));
}

#[test]
fn a_file_bind_on_a_directory_fails() {
    let w = World::new();
    let cm = ContainerMounts {
        mounts: vec![mount("/etc", "bind", "/hosts", &["bind"])],
        ..Default::default()
    };
    let e = w.apply(&cm).unwrap_err();
    assert!(e.contains("mount /etc (bind /hosts)"), "{e}");
    assert!(e.contains("Not a directory"), "{e}");
    let cm = ContainerMounts {
        mounts: vec![mount("/x", "ext4", "/dev/sda", &[])],
        ..Default::default()
    };
    let e = World::new().apply(&cm).unwrap_err();
    assert!(e.contains("unknown filesystem type \"ext4\""), "{e}");
}

#[test]
fn masked_and_read_only_paths_and_root() {
    let w = World::new();
    w.create("/etc/secret").unwrap();
    w.write("/etc/secret", b"hidden").unwrap();
    let dir = NewNode::Dir { mode: 0o755 };
    w.walk("/etc")
        .unwrap()
        .dentry
        .inode
        .create(b"private", &dir, Owner::default())
        .unwrap()
        .create(b"key", &NewNode::File { mode: 0o600 }, Owner::default())
        .unwrap();
    let cm = ContainerMounts {
        mounts: Vec::new(),
        masked_paths: vec![
            b"/etc/secret".to_vec(),
            b"/etc/private".to_vec(),
            b"/nope".to_vec(),
        ],
        readonly_paths: vec![
            b"/proc/sys".to_vec(),
            b"/etc".to_vec(),
            b"/missing".to_vec(),
        ],
        root_readonly: true,
        ..Default::default()
    };
    w.apply(&cm).unwrap();
    assert_eq!(w.create("/newfile"), Err(Errno::EROFS), "root.readonly");
    assert_eq!(w.create("/etc/other"), Err(Errno::EROFS), "readonlyPaths");
    let sys = w.walk("/proc/sys").unwrap();
    assert!(sys.mount.read_only());
    assert_eq!(sys.mount.root_path(), b"/sys");
    assert_eq!(
        sys.mount.flags(),
        MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC
    );
    // A masked file reads as /dev/null, a masked directory is empty.
    let secret = w.walk("/etc/secret").unwrap();
    assert_eq!(
        secret.dentry.inode.attr().unwrap().file_type(),
        FileType::CharDev
    );
    assert_eq!(secret.mount.root_path(), b"/null");
    let private = w.walk("/etc/private").unwrap();
    assert!(private.dentry.inode.readdir().unwrap().is_empty());
    assert!(private.mount.read_only());
    // /dev stays writable.
    assert_eq!(w.write("/dev/x", b"1"), Ok(1));
}

#[test]
fn do_defaults() {
    let w = World::new();
    w.walk("/etc").unwrap();
    Mounter::new(&w.ns, &w.mf).defaults().unwrap();
    let names: Vec<String> = w.table().into_iter().map(|(p, _, _)| p).collect();
    // No /dev or /sys in this root: only /proc is covered.
    assert_eq!(names, ["/", "/proc"]);
}
