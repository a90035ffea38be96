//! Memory syscalls: mmap, munmap, mprotect, brk, mremap, madvise, mincore.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::Task;
use crate::mm::mmap::MmapOpts;
use crate::mm::shared::SharedAnon;
use crate::mm::vma::Backing;
use abi::{sysno, Errno, PAGE_SIZE};
use platform::Prot;

pub fn register(t: &mut Table) {
    t.partial(
        sysno::MMAP,
        sys_mmap,
        &[Arg::Ptr, Arg::Hex, Arg::Hex, Arg::Hex, Arg::Fd, Arg::Hex],
        "no MAP_HUGETLB, MAP_LOCKED is not locking",
    );
    t.add(sysno::MUNMAP, sys_munmap, &[Arg::Ptr, Arg::Hex]);
    t.add(
        sysno::MPROTECT,
        sys_mprotect,
        &[Arg::Ptr, Arg::Hex, Arg::Hex],
    );
    t.add(sysno::BRK, sys_brk, &[Arg::Ptr]);
    t.add(
        sysno::MREMAP,
        sys_mremap,
        &[Arg::Ptr, Arg::Hex, Arg::Hex, Arg::Hex, Arg::Ptr],
    );
    t.partial(
        sysno::MADVISE,
        sys_madvise,
        &[Arg::Ptr, Arg::Hex, Arg::Int],
        "hints are accepted and ignored; MADV_REMOVE unsupported",
    );
    t.add(sysno::MINCORE, sys_mincore, &[Arg::Ptr, Arg::Hex, Arg::Ptr]);
    t.add(sysno::MSYNC, sys_msync, &[Arg::Ptr, Arg::Hex, Arg::Hex]);
}

fn sys_msync(t: &mut Task, a: &SyscallArgs) -> SysResult {
    t.mm.msync(a.u64(0), a.u64(1), a.u64(2))?;
    Ok(0)
}

const MAP_TYPE: u64 = 0xf;
const MAP_SHARED: u64 = 1;
const MAP_PRIVATE: u64 = 2;
const MAP_SHARED_VALIDATE: u64 = 3;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_32BIT: u64 = 0x40;
const MAP_GROWSDOWN: u64 = 0x100;
const MAP_DENYWRITE: u64 = 0x800;
const MAP_EXECUTABLE: u64 = 0x1000;
const MAP_LOCKED: u64 = 0x2000;
const MAP_NORESERVE: u64 = 0x4000;
const MAP_POPULATE: u64 = 0x8000;
const MAP_NONBLOCK: u64 = 0x10000;
const MAP_STACK: u64 = 0x20000;
const MAP_HUGETLB: u64 = 0x40000;
const MAP_SYNC: u64 = 0x80000;
const MAP_FIXED_NOREPLACE: u64 = 0x100000;
const MAP_UNINITIALIZED: u64 = 0x400_0000;
const KNOWN: u64 = MAP_TYPE
    | MAP_FIXED
    | MAP_ANONYMOUS
    | MAP_32BIT
    | MAP_GROWSDOWN
    | MAP_DENYWRITE
    | MAP_EXECUTABLE
    | MAP_LOCKED
    | MAP_NORESERVE
    | MAP_POPULATE
    | MAP_NONBLOCK
    | MAP_STACK
    | MAP_HUGETLB
    | MAP_SYNC
    | MAP_FIXED_NOREPLACE
    | MAP_UNINITIALIZED
    | (0x3f << 26);

fn sys_mmap(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (addr, len, prot, flags, fd, off) =
        (a.u64(0), a.u64(1), a.u64(2), a.u64(3), a.fd(4), a.u64(5));
    let kind = flags & MAP_TYPE;
    if !matches!(kind, MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE) {
        return Err(Errno::EINVAL);
    }
    // Anonymous mappings take only MAP_SHARED or MAP_PRIVATE.
    if kind == MAP_SHARED_VALIDATE && flags & MAP_ANONYMOUS != 0 {
        return Err(Errno::EINVAL);
    }
    if kind == MAP_SHARED_VALIDATE && flags & !KNOWN != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    // MAP_SYNC needs DAX storage, which no file here has.
    if kind == MAP_SHARED_VALIDATE && flags & MAP_SYNC != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    // Linux quirk: a fixed address that reads as an error value is returned as that error.
    if flags & MAP_FIXED != 0 && addr >= u64::MAX - 4094 {
        return Err(Errno((addr as i64).unsigned_abs() as i32));
    }
    if len == 0 || off % PAGE_SIZE != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MAP_HUGETLB != 0 {
        return Err(Errno::EINVAL);
    }
    let shared = kind != MAP_PRIVATE;
    let plen = abi::page_up(len).ok_or(Errno::ENOMEM)?;
    let mut o = MmapOpts::anon(len, Prot((prot & 7) as u32));
    o.addr = addr;
    o.shared = shared;
    o.fixed = flags & MAP_FIXED != 0;
    o.noreplace = flags & MAP_FIXED_NOREPLACE != 0;
    o.growsdown = flags & MAP_GROWSDOWN != 0;
    o.populate = flags & MAP_POPULATE != 0 && flags & MAP_NONBLOCK == 0;
    o.noreserve = flags & MAP_NORESERVE != 0;
    if flags & MAP_ANONYMOUS != 0 {
        if shared {
            o.backing = Backing::File {
                m: SharedAnon::new(t.k.mf.clone(), plen),
                off: 0,
            };
        }
        return t.mm.mmap(o);
    }
    if o.growsdown {
        return Err(Errno::EINVAL);
    }
    let f = t.fds.get(fd)?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    if !f.readable() {
        return Err(Errno::EACCES);
    }
    if shared && prot & 2 != 0 && (!f.writable() || f.flags() & libc::O_APPEND as u32 != 0) {
        return Err(Errno::EACCES);
    }
    if off.checked_add(plen).is_none_or(|e| e > i64::MAX as u64) {
        return Err(Errno::EOVERFLOW);
    }
    if let Some(p) = &f.path {
        if p.mount.flags() & crate::vfs::mount::MS_NOEXEC != 0 && prot & 4 != 0 {
            return Err(Errno::EPERM);
        }
    }
    let a_ = f.attr()?;
    // /dev/zero: private maps are anonymous memory, shared ones shared anonymous memory.
    if a_.file_type() == crate::vfs::FileType::CharDev && a_.rdev == libc::makedev(1, 5) {
        if shared {
            o.backing = Backing::File {
                m: SharedAnon::new(t.k.mf.clone(), plen),
                off: 0,
            };
        }
        return t.mm.mmap(o);
    }
    let mut m = f.ops.mappable().ok_or(Errno::ENODEV)?;
    if shared && !f.writable() {
        o.max_prot = Prot(5);
    }
    // memfd seals: no shared writable maps under a write seal (fs/tmpfs/seals.rs).
    if shared && crate::fs::tmpfs::seal_shared_map(&f, &mut m, prot & 2 != 0)? {
        o.max_prot = Prot(5);
    }
    o.backing = Backing::File { m, off };
    t.mm.mmap(o)
}

fn sys_munmap(t: &mut Task, a: &SyscallArgs) -> SysResult {
    t.mm.munmap(a.u64(0), a.u64(1))?;
    Ok(0)
}

fn sys_mprotect(t: &mut Task, a: &SyscallArgs) -> SysResult {
    t.mm.mprotect(a.u64(0), a.u64(1), a.u64(2))?;
    Ok(0)
}

fn sys_brk(t: &mut Task, a: &SyscallArgs) -> SysResult {
    Ok(t.mm.brk(a.u64(0)))
}

fn sys_mremap(t: &mut Task, a: &SyscallArgs) -> SysResult {
    t.mm.mremap(a.u64(0), a.u64(1), a.u64(2), a.u64(3), a.u64(4))
}

fn sys_madvise(t: &mut Task, a: &SyscallArgs) -> SysResult {
    t.mm.madvise(a.u64(0), a.u64(1), a.u64(2))?;
    Ok(0)
}

fn sys_mincore(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let v = t.mm.mincore(a.u64(0), a.u64(1))?;
    t.mm.write_bytes(a.u64(2), &v)?;
    Ok(0)
}
