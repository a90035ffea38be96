//! statfs(2) and fstatfs(2): `vfs::statfs` laid out as `struct statfs`.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::Task;
use crate::vfs::statfs::{self, StatFs};
use abi::{sysno, Statfs};

pub fn register(t: &mut Table) {
    t.add(sysno::STATFS, sys_statfs, &[Arg::Path, Arg::Ptr]);
    t.add(sysno::FSTATFS, sys_fstatfs, &[Arg::Fd, Arg::Ptr]);
}

fn to_abi(s: &StatFs) -> Statfs {
    let u = &s.usage;
    Statfs {
        f_type: s.magic as i64,
        f_bsize: u.bsize as i64,
        f_blocks: u.blocks,
        f_bfree: u.bfree,
        f_bavail: u.bavail,
        f_files: u.files,
        f_ffree: u.ffree,
        f_fsid: [s.fsid[0] as i32, s.fsid[1] as i32],
        f_namelen: u.namelen as i64,
        f_frsize: u.bsize as i64,
        f_flags: s.flags as i64,
        f_spare: [0; 4],
    }
}

fn sys_statfs(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let path = t.read_path(a.u64(0))?;
    let p = t.resolve(libc::AT_FDCWD, &path, true, false)?;
    let s = statfs::of_inode(p.dentry.inode.as_ref(), Some(&p.mount))?;
    t.mm.write_obj(a.u64(1), &to_abi(&s))?;
    Ok(0)
}

/// O_PATH descriptors are accepted, as Linux's fstatfs accepts them.
fn sys_fstatfs(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    let s = statfs::of_file(&f)?;
    t.mm.write_obj(a.u64(1), &to_abi(&s))?;
    Ok(0)
}
