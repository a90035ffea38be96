//! devpts: the pseudo-terminal filesystem. Its root holds `ptmx`, whose
//! every open makes a new pseudo-terminal pair, and one node per live pair,
//! `N`, the slave side (Unix 98 ptys, character devices 136:N and up).
//!
//! - A pair ([`pty::Pty`]) is a line discipline (`kernel::ldisc`) between a
//!   master file and slave files, with the slave's job control
//!   (`kernel::tty`) and window size.
//! - Numbers are the lowest free; a number stays taken until both sides
//!   are closed, its node goes when the master closes (then the slave
//!   hangs up), as in Linux.
//! - /dev/ptmx (the character device 5:2 on another filesystem) finds its
//!   devpts as Linux does: the filesystem mounted on `pts` beside it.
//!
//! Every mount of devpts is its own instance (Linux's `newinstance`, the
//! only behaviour since 4.7), with the mount options `uid=`, `gid=`,
//! `mode=` (of new slave nodes) and `ptmxmode=`.
//!
//! May use: `kernel` (tty job control, the line discipline, wait queues,
//! timers, the current task), `vfs`, `mm` I/O, `fs::devnum`.
//!
//! Lock order: `DevPts::st` and each pair's state are leaves; nothing is
//! notified, signalled or looked up in the kernel while one is held.

mod dir;
mod ioctl;
mod master;
mod pty;
mod slave;
#[cfg(test)]
mod tests;

pub use master::open_ptmx_device;

use crate::fs::devnum;
use crate::vfs::inode::Inode;
use abi::Errno;
use parking_lot::Mutex;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Weak};

/// statfs f_type of devpts.
pub const DEVPTS_SUPER_MAGIC: u64 = 0x1cd1;
/// /dev/ptmx is 5:2.
pub const PTMX_MAJOR: u32 = 5;
pub const PTMX_MINOR: u32 = 2;
/// Slaves are 136:0 and up, 256 to a major.
const UNIX98_PTY_SLAVE_MAJOR: u32 = 136;
/// How many pairs a sandbox may have at once (/proc/sys/kernel/pty/max).
pub const PTY_MAX: u32 = 4096;

/// The device number of slave `index`.
pub fn slave_rdev(index: u32) -> u64 {
    devnum::makedev(UNIX98_PTY_SLAVE_MAJOR + index / 256, index % 256)
}

/// A devpts mount's options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DevPtsOptions {
    /// Owner of new slave nodes; None: the opener of /dev/ptmx.
    pub uid: Option<u32>,
    /// Group of new slave nodes; None: the opener's.
    pub gid: Option<u32>,
    /// Permissions of new slave nodes.
    pub mode: u32,
    /// Permissions of `ptmx` in the filesystem.
    pub ptmxmode: u32,
    /// Pairs this instance may have at once.
    pub max: u32,
}

impl Default for DevPtsOptions {
    /// Linux's defaults: mode=600, ptmxmode=000.
    fn default() -> Self {
        DevPtsOptions {
            uid: None,
            gid: None,
            mode: 0o600,
            ptmxmode: 0,
            max: PTY_MAX,
        }
    }
}

impl DevPtsOptions {
    /// What a container runtime mounts on /dev/pts (and `runsc do` too):
    /// `newinstance,ptmxmode=0666,mode=0620,gid=5` (the tty group).
    pub fn container() -> Self {
        DevPtsOptions {
            gid: Some(5),
            mode: 0o620,
            ptmxmode: 0o666,
            ..Default::default()
        }
    }

    /// Mount data words (`gid=5`, `mode=0620`, `newinstance`...); unknown ones are EINVAL.
    pub fn parse(words: &[String]) -> Result<Self, Errno> {
        let mut o = DevPtsOptions::default();
        let num = |v: &str, radix: u32| u32::from_str_radix(v, radix).map_err(|_| Errno::EINVAL);
        for w in words {
            match w.split_once('=') {
                Some(("uid", v)) => o.uid = Some(num(v, 10)?),
                Some(("gid", v)) => o.gid = Some(num(v, 10)?),
                Some(("mode", v)) => o.mode = num(v, 8)? & 0o777,
                Some(("ptmxmode", v)) => o.ptmxmode = num(v, 8)? & 0o777,
                Some(("max", v)) => o.max = num(v, 10)?.min(PTY_MAX),
                None if w == "newinstance" => {}
                _ => return Err(Errno::EINVAL),
            }
        }
        Ok(o)
    }

    /// The options as the mount tables show them ("gid=5,mode=620,ptmxmode=666").
    pub fn show(&self) -> String {
        let mut out = Vec::new();
        if let Some(u) = self.uid {
            out.push(format!("uid={u}"));
        }
        if let Some(g) = self.gid {
            out.push(format!("gid={g}"));
        }
        out.push(format!("mode={:03o}", self.mode));
        out.push(format!("ptmxmode={:03o}", self.ptmxmode));
        if self.max < PTY_MAX {
            out.push(format!("max={}", self.max));
        }
        out.join(",")
    }
}

/// One devpts instance.
pub struct DevPts {
    dev: u64,
    opts: DevPtsOptions,
    st: Mutex<State>,
}

impl std::fmt::Debug for DevPts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DevPts({})", self.opts.show())
    }
}

struct State {
    /// Numbers taken: pairs with a side still open.
    used: BTreeSet<u32>,
    /// The slave nodes shown, with the order they were made in (a
    /// directory lists its newest entries first, as Linux's does).
    nodes: BTreeMap<u32, (u64, Arc<slave::SlaveInode>)>,
    made: u64,
    /// Attributes of the root and of `ptmx` (chmod and chown work on them).
    root_attr: dir::NodeAttr,
    ptmx_attr: dir::NodeAttr,
}

impl DevPts {
    pub fn new(opts: DevPtsOptions) -> Arc<DevPts> {
        let now = crate::kernel::time::realtime();
        Arc::new(DevPts {
            dev: devnum::alloc_anon_dev(),
            opts,
            st: Mutex::new(State {
                used: BTreeSet::new(),
                nodes: BTreeMap::new(),
                made: 0,
                root_attr: dir::NodeAttr::new(0o755, 0, 0, now),
                ptmx_attr: dir::NodeAttr::new(opts.ptmxmode, 0, 0, now),
            }),
        })
    }

    /// The root directory, to be mounted (on /dev/pts).
    pub fn root(self: &Arc<Self>) -> Arc<dyn Inode> {
        Arc::new(dir::DevPtsDir { fs: self.clone() })
    }

    pub fn options(&self) -> DevPtsOptions {
        self.opts
    }

    /// The instance whose root `inode` is, if it is one.
    pub fn of_root(inode: &Arc<dyn Inode>) -> Option<Arc<DevPts>> {
        inode
            .as_any()
            .downcast_ref::<dir::DevPtsDir>()
            .map(|d| d.fs.clone())
    }

    /// Take the lowest free number; ENOSPC beyond `max=`.
    fn alloc_index(&self) -> Result<u32, Errno> {
        let mut st = self.st.lock();
        let mut i = 0;
        for &u in st.used.iter() {
            if u != i {
                break;
            }
            i += 1;
        }
        if i >= self.opts.max {
            return Err(Errno::ENOSPC);
        }
        st.used.insert(i);
        Ok(i)
    }

    fn free_index(&self, i: u32) {
        self.st.lock().used.remove(&i);
    }

    fn add_node(&self, i: u32, node: Arc<slave::SlaveInode>) {
        let mut st = self.st.lock();
        st.made += 1;
        let seq = st.made;
        st.nodes.insert(i, (seq, node));
    }

    fn remove_node(&self, i: u32) {
        self.st.lock().nodes.remove(&i);
    }

    fn node(&self, i: u32) -> Option<Arc<slave::SlaveInode>> {
        self.st.lock().nodes.get(&i).map(|(_, n)| n.clone())
    }
}

/// The weak handle pairs keep on their filesystem.
type FsRef = Weak<DevPts>;
