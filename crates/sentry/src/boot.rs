//! Building a sandbox: the MemoryFile, the platform, the mount tree, the
//! first process. Used by `runsc do` (and later by `runsc boot`).

use crate::boot_mounts::{bind_tree_name, ContainerMounts, Mounter};
use crate::fs::gofer::{self, GoferClient, GoferMount};
use crate::fs::lower::LowerInode;
use crate::fs::tmpfs::Tmpfs;
use crate::fs::{fstype, overlay, proc};
use crate::kernel::creds::Creds;
use crate::kernel::task::exec::{spawn_process, InitSpec};
use crate::kernel::{Config, Kernel};
use crate::vfs::{MountNamespace, Owner, Path, Walk};
use abi::Errno;
use memory::MemoryFile;
use platform::ptrace::PtracePlatform;
use platform::systrap::SystrapPlatform;
use platform::Platform;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

/// Size of the (sparse) MemoryFile: an upper bound on application memory.
const MEMORY_FILE_SIZE: u64 = 1 << 40;

pub struct BootSpec {
    /// Host directory that becomes the sandbox's root (read-only lower layer).
    pub root_dir: std::path::PathBuf,
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
    pub cwd: Vec<u8>,
    pub uid: u32,
    pub gid: u32,
    pub strace: bool,
    /// The platform that runs application code: one of [`PLATFORMS`].
    pub platform: String,
}

/// Platforms [`BootSpec::platform`] may name.
pub const PLATFORMS: &[&str] = &["ptrace", "systrap"];

fn new_platform(name: &str, mf: &Arc<MemoryFile>) -> Result<Arc<dyn Platform>, String> {
    match name {
        "ptrace" => Ok(Arc::new(
            PtracePlatform::new(mf.fd()).map_err(|e| format!("ptrace platform: {e}"))?,
        )),
        "systrap" => Ok(Arc::new(
            SystrapPlatform::new(mf.clone()).map_err(|e| format!("systrap platform: {e}"))?,
        )),
        _ => Err(format!(
            "platform {name:?} is not available (available: {})",
            PLATFORMS.join(", ")
        )),
    }
}

/// What covers the root filesystem (`--overlay2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootOverlay {
    /// `root:memory` (the default): a tmpfs upper layer over the read-only
    /// host tree; writes stay in the sandbox's memory.
    Memory,
    /// `none`: no overlay; writes go through the Gofer to the host tree.
    None,
}

impl RootOverlay {
    /// Parses an `--overlay2` value.
    pub fn parse(s: &str) -> Result<RootOverlay, String> {
        match s {
            "root:memory" | "all:memory" => Ok(RootOverlay::Memory),
            "none" => Ok(RootOverlay::None),
            other => Err(format!(
                "--overlay2={other}: supported values are root:memory and none"
            )),
        }
    }
}

/// How the Sentry reaches the Gofer of the root filesystem.
#[derive(Debug)]
pub enum GoferSource {
    /// Start one: `exe [args] gofer …` (normally `/proc/self/exe`).
    Spawn {
        exe: std::path::PathBuf,
        args: Vec<String>,
    },
    /// Already running (started by `runsc create`), serving the root as
    /// [`ROOT_ANAME`] on this socket, and the container's bind mounts as
    /// [`ContainerMounts::gofer_mounts`] names them.
    Connected(OwnedFd),
}

/// Tattach's aname of the root filesystem.
pub const ROOT_ANAME: &str = "root";

/// The root filesystem of a sandbox.
#[derive(Debug)]
pub struct RootFs {
    pub overlay: RootOverlay,
    pub gofer: GoferSource,
    /// How long cached attributes and names of host files are trusted
    /// before the Gofer is asked again.
    pub revalidate: std::time::Duration,
    /// A container's mounts (`runsc boot`); None: `runsc do`'s /dev, /proc
    /// and /sys over the host root.
    pub container: Option<ContainerMounts>,
}

impl Default for RootFs {
    fn default() -> RootFs {
        RootFs {
            overlay: RootOverlay::Memory,
            gofer: GoferSource::Spawn {
                exe: "/proc/self/exe".into(),
                args: Vec::new(),
            },
            revalidate: crate::fs::lower::inode::DEFAULT_TTL,
            container: None,
        }
    }
}

/// The root of the mount tree: the Gofer's tree, under a memory overlay
/// unless `--overlay2=none`, and the Gofer client (bind mounts attach
/// their trees over its connection). The Gofer is started first, before
/// anything of the Sentry touches a file; from then on the Sentry opens
/// no host path.
fn root_filesystem(
    spec: &BootSpec,
    rootfs: &mut RootFs,
    mf: &Arc<MemoryFile>,
) -> Result<(Arc<dyn crate::vfs::Inode>, &'static str, Arc<GoferClient>), String> {
    // With no overlay, writes reach the bundle's root unless it is read-only.
    let read_only_root = rootfs.container.as_ref().is_some_and(|c| c.root_readonly);
    let writable = rootfs.overlay == RootOverlay::None && !read_only_root;
    let source = std::mem::replace(
        &mut rootfs.gofer,
        GoferSource::Spawn {
            exe: Default::default(),
            args: Vec::new(),
        },
    );
    let sock = match source {
        GoferSource::Connected(sock) => sock,
        GoferSource::Spawn { exe, args } => {
            let mut mounts = vec![GoferMount {
                name: ROOT_ANAME.into(),
                path: spec.root_dir.clone(),
                writable,
            }];
            if let Some(c) = &rootfs.container {
                mounts.extend(c.gofer_mounts());
            }
            let (proc_, sock) = gofer::spawn(&exe, &args, &mounts)?;
            tracing::debug!("gofer {} serves {}", proc_.pid, spec.root_dir.display());
            sock
        }
    };
    let what = |e: Errno| format!("root {}: {e}", spec.root_dir.display());
    let client = Arc::new(GoferClient::connect(sock, ROOT_ANAME, writable).map_err(what)?);
    let lower = LowerInode::new_root_with_ttl(client.clone(), mf.clone(), rootfs.revalidate)
        .map_err(what)?;
    Ok(match rootfs.overlay {
        RootOverlay::Memory => {
            let upper = Tmpfs::new(mf.clone(), 0o755, Owner::default()).root();
            (overlay::new_overlay(upper, lower), "overlay", client)
        }
        RootOverlay::None => (lower, "9p", client),
    })
}

/// The tree of the container's bind mount `i`, attached over the root's
/// Gofer connection and revalidated on every use: a host change shows at
/// once, as in a Linux bind mount.
fn bind_tree(
    client: &GoferClient,
    cm: &ContainerMounts,
    mf: &Arc<MemoryFile>,
    i: usize,
) -> Result<Arc<dyn crate::vfs::Inode>, String> {
    let writable = cm.mounts.get(i).is_some_and(|m| m.bind_writable());
    let tree = client
        .attach(&bind_tree_name(i), writable)
        .map_err(|e| format!("the Gofer cannot serve it: {}", describe(e)))?;
    let root = LowerInode::new_bind_root(Arc::new(tree), mf.clone(), std::time::Duration::ZERO)
        .map_err(|e| format!("the Gofer cannot serve it: {}", describe(e)))?;
    Ok(root)
}

/// Find `name` in the sandbox as execvp would: names with '/' as they are,
/// others in PATH.
pub fn find_program(ns: &MountNamespace, cwd: &[u8], name: &[u8], envp: &[Vec<u8>]) -> Vec<u8> {
    if name.contains(&b'/') {
        return name.to_vec();
    }
    let path = envp
        .iter()
        .find_map(|e| e.strip_prefix(b"PATH=").map(|p| p.to_vec()))
        .unwrap_or_else(|| {
            b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_vec()
        });
    let creds = Creds::new(0, 0);
    let root = Path {
        mount: ns.root.clone(),
        dentry: ns.root.root.clone(),
    };
    let mut w = Walk::new(ns, &root, &creds);
    let start = w.walk(&root, cwd, true).unwrap_or_else(|_| root.clone());
    for dir in path.split(|&b| b == b':') {
        let dir = if dir.is_empty() { &b"."[..] } else { dir };
        let mut cand = dir.to_vec();
        cand.push(b'/');
        cand.extend_from_slice(name);
        if let Ok(p) = w.walk(&start, &cand, true) {
            if p.dentry.inode.attr().is_ok_and(|a| {
                a.file_type() == crate::vfs::FileType::Regular && a.mode & 0o111 != 0
            }) {
                return cand;
            }
        }
    }
    name.to_vec()
}

/// Build a sandbox's kernel — MemoryFile, platform, mount tree — without
/// starting any process (`runsc boot` starts them when asked: see
/// `crate::control`). `spec.argv`, `envp`, `cwd`, `uid` and `gid` are not
/// used here.
pub fn build_kernel(spec: &BootSpec) -> Result<Arc<Kernel>, String> {
    build_kernel_with(spec, RootFs::default())
}

/// [`build_kernel`] with the root filesystem described by `rootfs`.
pub fn build_kernel_with(spec: &BootSpec, mut rootfs: RootFs) -> Result<Arc<Kernel>, String> {
    // The vDSO's clock measures the TSC's rate from here to the end of boot.
    let early_clock = crate::vdso::clock::sample();
    let mf = Arc::new(MemoryFile::new(MEMORY_FILE_SIZE).map_err(|e| format!("memory file: {e}"))?);
    // Host facts for /proc are read before the Gofer starts: after that
    // the Sentry opens no host path.
    let facts = proc::HostFacts::read(mf.size());
    let tsc_stable = crate::vdso::tsc_stable(&facts.cpuinfo);
    // ... and those for /sys (once per process).
    crate::fs::sys::SysFacts::collect();
    fstype::set_mem_total(facts.mem_total);
    let (root, root_type, client) = root_filesystem(spec, &mut rootfs, &mf)?;
    let platform = new_platform(&spec.platform, &mf)?;
    let ns = MountNamespace::new(root, root_type, "none");

    let procfs = proc::ProcFs::new(facts);
    let cgroup = rootfs
        .container
        .as_ref()
        .map(|c| c.cgroup)
        .unwrap_or_default();
    fstype::install_singletons(&ns, &mf, procfs.root(), &cgroup)
        .map_err(|e| format!("pseudo filesystems: {}", describe(e)))?;
    let mounter = Mounter::new(&ns, &mf);
    match &rootfs.container {
        Some(cm) => mounter.apply(cm, &mut |i| bind_tree(&client, cm, &mf, i))?,
        None => mounter.defaults()?,
    }

    let config = Config {
        strace: spec.strace,
        hostname: String::new(),
    };
    let k = Kernel::new(config, platform, mf, Arc::new(ns));
    let origin = crate::kernel::time::ns(k.boot_mono) - crate::syscalls::time::BOOT_OFFSET_NS;
    let vdso = crate::vdso::Vdso::new(&k.mf, origin, tsc_stable, early_clock)
        .map_err(|e| format!("vdso: {}", describe(e)))?;
    let _ = k.vdso.set(vdso);
    procfs.set_kernel(&k);
    Ok(k)
}

/// Boot a sandbox and start its first process.
pub fn boot(spec: BootSpec) -> Result<Arc<Kernel>, String> {
    boot_with(spec, RootFs::default())
}

/// [`boot`] with the root filesystem described by `rootfs`.
pub fn boot_with(spec: BootSpec, rootfs: RootFs) -> Result<Arc<Kernel>, String> {
    let k = build_kernel_with(&spec, rootfs)?;
    let mut argv = spec.argv;
    let Some(first) = argv.first().cloned() else {
        return Err("no command given".into());
    };
    argv[0] = first.clone();
    let prog = find_program(&k.mounts, &spec.cwd, &first, &spec.envp);
    // As a shell would before exec: `_` names the program being run.
    let mut envp = spec.envp;
    for e in envp.iter_mut() {
        if e.starts_with(b"_=") {
            *e = [b"_=".as_slice(), prog.as_slice()].concat();
        }
    }

    let mut hosts = Vec::new();
    for fd in 0..3 {
        let host = match fd {
            0 => rustix::io::fcntl_dupfd_cloexec(std::io::stdin().as_fd(), 3),
            1 => rustix::io::fcntl_dupfd_cloexec(std::io::stdout().as_fd(), 3),
            _ => rustix::io::fcntl_dupfd_cloexec(std::io::stderr().as_fd(), 3),
        };
        match host {
            Ok(h) => hosts.push(h),
            Err(e) => return Err(format!("stdio fd {fd}: {e}")),
        }
    }
    // A terminal on stdin becomes init's controlling terminal.
    let files = crate::fs::host::donate_stdio(&k, hosts);
    let init = InitSpec {
        argv,
        envp,
        cwd: spec.cwd,
        creds: Creds::new(spec.uid, spec.gid),
        files,
        prog,
    };
    spawn_process(&k, init, crate::kernel::limits::Limits::from_host())
        .map(|(_, t)| t)
        .map_err(|e| {
            format!(
                "cannot run {}: {}",
                String::from_utf8_lossy(&first),
                describe(e)
            )
        })?;
    Ok(k)
}

/// The C library's wording for the errors a user sees at start-up.
pub fn describe(e: Errno) -> String {
    let msg = match e {
        Errno::ENOENT => "No such file or directory",
        Errno::EACCES => "Permission denied",
        Errno::ENOEXEC => "Exec format error",
        Errno::ENOTDIR => "Not a directory",
        Errno::ELOOP => "Too many levels of symbolic links",
        Errno::ENOMEM => "Cannot allocate memory",
        Errno::E2BIG => "Argument list too long",
        _ => return format!("{e}"),
    };
    msg.to_string()
}
