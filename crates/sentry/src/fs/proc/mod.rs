//! procfs: the sandbox's /proc.
//!
//! Everything here is the sandbox's own view: virtual pids, the sandbox's
//! processes, memory use taken from the MemoryFile. The only host facts are
//! those that describe the machine the application really runs on (CPU,
//! memory size, kernel release), read once at boot ([`HostFacts`]).
//!
//! Files are generated when read, into a buffer that later reads at higher
//! offsets are served from; a read at offset 0 generates anew (Linux's seq
//! files behave so, and `top` relies on it). Inodes name what they show
//! (a pid, an fd number) and look it up on every operation, so a cached
//! dentry of a process that has exited answers ENOENT.
//!
//! May use: `kernel` (pid table, thread groups and their proc views, the
//! current task), `mm` (VMAs, layout, application memory), `vfs`.

mod facts;
mod fd;
mod host;
mod inode;
mod limits;
mod maps;
mod mounts;
mod pid;
mod root;
mod seq;
mod stat;
mod sys;
mod system;
mod sysvipc;
#[cfg(test)]
mod tests;

pub use host::HostFacts;

use crate::kernel::Kernel;
use crate::vfs::Inode;
use abi::{Errno, Timespec};
use std::sync::{Arc, OnceLock, Weak};

/// statfs f_type of proc.
pub const PROC_SUPER_MAGIC: u64 = 0x9fa0;

/// Clock ticks per second as /proc reports times (USER_HZ).
pub(crate) const USER_HZ: u64 = 100;

/// One proc filesystem instance.
pub struct ProcFs {
    dev: u64,
    kernel: OnceLock<Weak<Kernel>>,
    host: HostFacts,
    /// Wall-clock time the sandbox booted (stat's btime, inode times).
    boot_wall: Timespec,
    /// /proc/sys/kernel/random/boot_id: fixed for the sandbox's life.
    boot_id: String,
}

impl std::fmt::Debug for ProcFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProcFs")
    }
}

impl ProcFs {
    /// A proc filesystem; it shows no processes until [`ProcFs::set_kernel`].
    pub fn new(host: HostFacts) -> Arc<ProcFs> {
        Arc::new(ProcFs {
            dev: super::devnum::alloc_anon_dev(),
            kernel: OnceLock::new(),
            host,
            boot_wall: crate::kernel::time::realtime(),
            boot_id: host::random_uuid(),
        })
    }

    /// The kernel whose processes this instance shows (the kernel is built
    /// after its mount tree, so it is attached here once it exists).
    pub fn set_kernel(&self, k: &Arc<Kernel>) {
        let _ = self.kernel.set(Arc::downgrade(k));
    }

    /// The root directory, to be mounted on /proc.
    pub fn root(self: &Arc<Self>) -> Arc<dyn Inode> {
        inode::ProcInode::make(self, inode::Node::Root)
    }

    /// The kernel, while it lives. Without one there are no processes.
    fn kernel(&self) -> Result<Arc<Kernel>, Errno> {
        self.kernel
            .get()
            .and_then(Weak::upgrade)
            .ok_or(Errno::ENOENT)
    }
}

/// Where a procfs "magic" link leads without a path walk (/proc/PID/exe,
/// cwd, root, fd/N): what the process holds, even a file that has lost its
/// name. `None` for any other inode. This is what the VFS's symlink hook
/// (`Inode::follow_link`, proposed) answers for procfs inodes.
pub fn magic_link_target(inode: &dyn Inode) -> Option<Result<crate::vfs::Path, Errno>> {
    inode
        .as_any()
        .downcast_ref::<inode::ProcInode>()?
        .follow_link()
}
