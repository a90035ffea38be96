//! memfd_create: an unnamed tmpfs file.
//!
//! memfds live on one hidden tmpfs instance per MemoryFile (Linux's
//! internal shm mount), made when the first memfd is and gone with the last
//! one. Each file hangs off that instance's root under a removed dentry
//! named "memfd:NAME", so /proc/PID/fd shows "/memfd:NAME (deleted)" and
//! reopening /proc/PID/fd/N works. Seals are the tmpfs file's
//! (`fs::tmpfs::seals`).

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::fs::tmpfs::{self, Tmpfs};
use crate::kernel::limits::RLIMIT_NOFILE;
use crate::kernel::Task;
use crate::vfs::dentry::Dentry;
use crate::vfs::mount::{Mount, MountNamespace, SuperBlock};
use crate::vfs::{File, Owner, Path};
use abi::{sysno, Errno};
use parking_lot::Mutex;
use std::sync::{Arc, Weak};

const MFD_CLOEXEC: u32 = 0x1;
const MFD_ALLOW_SEALING: u32 = 0x2;
const MFD_HUGETLB: u32 = 0x4;
const MFD_NOEXEC_SEAL: u32 = 0x8;
const MFD_EXEC: u32 = 0x10;
const MFD_ALL_FLAGS: u32 =
    MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC;
/// The huge page size bits MFD_HUGETLB may carry (MFD_HUGE_MASK << MFD_HUGE_SHIFT).
const MFD_HUGE_BITS: u32 = 0x3f << 26;
/// NAME_MAX minus "memfd:".
const MFD_NAME_MAX_LEN: usize = 255 - 6;
/// The kernel's O_LARGEFILE.
const O_LARGEFILE: u32 = 0o100000;

pub fn register(t: &mut Table) {
    t.partial(
        sysno::MEMFD_CREATE,
        sys_memfd_create,
        &[Arg::Path, Arg::Hex],
        "MFD_HUGETLB answers ENOSYS, as a kernel without hugetlbfs does",
    );
}

/// The hidden instance for `t`'s MemoryFile, made if none is alive.
fn memfd_mount(t: &Task) -> Arc<Mount> {
    static MOUNTS: Mutex<Vec<(usize, Weak<Mount>)>> = Mutex::new(Vec::new());
    let key = Arc::as_ptr(&t.k.mf) as usize;
    let mut all = MOUNTS.lock();
    all.retain(|(_, m)| m.strong_count() > 0);
    if let Some(m) = all
        .iter()
        .find(|(k, _)| *k == key)
        .and_then(|(_, m)| m.upgrade())
    {
        return m;
    }
    let fs = Tmpfs::new(t.k.mf.clone(), 0o1777, Owner::default());
    let ns = MountNamespace::with_root(
        Dentry::new_root(fs.root()),
        SuperBlock::new("tmpfs", false, String::new()),
        "tmpfs",
        0,
    );
    let m = ns.root.clone();
    all.push((key, Arc::downgrade(&m)));
    m
}

fn sys_memfd_create(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let flags = a.u32(1);
    let allowed = if flags & MFD_HUGETLB != 0 {
        MFD_ALL_FLAGS | MFD_HUGE_BITS
    } else {
        MFD_ALL_FLAGS
    };
    if flags & !allowed != 0 || (flags & MFD_EXEC != 0 && flags & MFD_NOEXEC_SEAL != 0) {
        return Err(Errno::EINVAL);
    }
    // Longer than MFD_NAME_MAX_LEN: EINVAL; unreadable: EFAULT.
    let name = t.mm.read_cstring(a.u64(0), MFD_NAME_MAX_LEN).map_err(|e| {
        if e == Errno::ENAMETOOLONG {
            Errno::EINVAL
        } else {
            e
        }
    })?;
    if flags & MFD_HUGETLB != 0 {
        return Err(Errno::ENOSYS);
    }
    // vm.memfd_noexec is 0: without either flag a memfd is executable.
    let (mode, seals) = if flags & MFD_NOEXEC_SEAL != 0 {
        (0o666, tmpfs::F_SEAL_EXEC)
    } else if flags & MFD_ALLOW_SEALING != 0 {
        (0o777, 0)
    } else {
        (0o777, tmpfs::F_SEAL_SEAL)
    };
    let mount = memfd_mount(t);
    let inode = mount.root.inode.create_tmpfile(mode, t.owner(), false)?;
    tmpfs::init_seals(inode.as_ref(), seals)?;
    let mut label = b"memfd:".to_vec();
    label.extend_from_slice(&name);
    let path = Path {
        dentry: mount.root.new_unnamed(&label, inode.clone()),
        mount,
    };
    let flags_rw = libc::O_RDWR as u32 | O_LARGEFILE;
    let ops = inode.open(&inode, flags_rw)?;
    let file = File::new(ops, Some(path), Some(inode), flags_rw);
    let limit = t.tg.limits.lock().cur(RLIMIT_NOFILE);
    Ok(t.fds.install(file, flags & MFD_CLOEXEC != 0, 0, limit)? as u64)
}
