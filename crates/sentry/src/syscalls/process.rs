//! Process and thread basics: exit, ids, thread-local storage, execve, prctl.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::Task;
use abi::{sysno, Errno, ROBUST_LIST_HEAD_SIZE};

pub fn register(t: &mut Table) {
    t.add(sysno::EXIT, sys_exit, &[Arg::Int]);
    t.add(sysno::EXIT_GROUP, sys_exit_group, &[Arg::Int]);
    t.add(sysno::GETPID, sys_getpid, &[]);
    t.add(sysno::GETPPID, sys_getppid, &[]);
    t.add(sysno::GETTID, sys_gettid, &[]);
    t.add(sysno::SET_TID_ADDRESS, sys_set_tid_address, &[Arg::Ptr]);
    t.partial(
        sysno::SET_ROBUST_LIST,
        sys_set_robust_list,
        &[Arg::Ptr, Arg::Int],
        "recorded; lists are walked at exit once futexes exist",
    );
    t.add(
        sysno::GET_ROBUST_LIST,
        sys_get_robust_list,
        &[Arg::Int, Arg::Ptr, Arg::Ptr],
    );
    t.add(sysno::ARCH_PRCTL, sys_arch_prctl, &[Arg::Hex, Arg::Hex]);
    t.add(sysno::EXECVE, sys_execve, &[Arg::Path, Arg::Ptr, Arg::Ptr]);
    t.add(
        sysno::EXECVEAT,
        sys_execveat,
        &[Arg::Fd, Arg::Path, Arg::Ptr, Arg::Ptr, Arg::Hex],
    );
    t.partial(
        sysno::PRCTL,
        sys_prctl,
        &[Arg::Int, Arg::Hex, Arg::Hex, Arg::Hex, Arg::Hex],
        "names, parent-death signal, child subreaper, dumpable, keepcaps, no_new_privs, seccomp; other options EINVAL",
    );
}

fn sys_exit(t: &mut Task, a: &SyscallArgs) -> SysResult {
    t.exit_thread(a.i32(0));
    Ok(0)
}

fn sys_exit_group(t: &mut Task, a: &SyscallArgs) -> SysResult {
    t.exit_group(a.i32(0));
    Ok(0)
}

fn sys_getpid(t: &mut Task, _a: &SyscallArgs) -> SysResult {
    Ok(t.tg.tgid as u64)
}

fn sys_getppid(t: &mut Task, _a: &SyscallArgs) -> SysResult {
    Ok(t.tg.parent_tgid() as u64)
}

fn sys_gettid(t: &mut Task, _a: &SyscallArgs) -> SysResult {
    Ok(t.tid as u64)
}

fn sys_set_tid_address(t: &mut Task, a: &SyscallArgs) -> SysResult {
    t.clear_child_tid = a.u64(0);
    Ok(t.tid as u64)
}

fn sys_set_robust_list(t: &mut Task, a: &SyscallArgs) -> SysResult {
    if a.u64(1) != ROBUST_LIST_HEAD_SIZE {
        return Err(Errno::EINVAL);
    }
    t.robust_list = (a.u64(0), a.u64(1));
    Ok(0)
}

fn sys_get_robust_list(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let pid = a.i32(0);
    if pid != 0 && pid != t.tid {
        let known = t.k.pids.lock().tasks.contains_key(&pid);
        return Err(if known { Errno::EPERM } else { Errno::ESRCH });
    }
    t.mm.write_obj(a.u64(1), &t.robust_list.0)?;
    t.mm.write_obj(a.u64(2), &t.robust_list.1)?;
    Ok(0)
}

const ARCH_SET_GS: u32 = 0x1001;
const ARCH_SET_FS: u32 = 0x1002;
const ARCH_GET_FS: u32 = 0x1003;
const ARCH_GET_GS: u32 = 0x1004;
const ARCH_GET_CPUID: u32 = 0x1011;
const ARCH_SET_CPUID: u32 = 0x1012;

fn canonical(a: u64) -> bool {
    a < 0x0000_8000_0000_0000
}

fn sys_arch_prctl(t: &mut Task, a: &SyscallArgs) -> SysResult {
    match a.u32(0) {
        ARCH_SET_FS => {
            if !canonical(a.u64(1)) {
                return Err(Errno::EPERM);
            }
            t.regs.fs_base = a.u64(1);
            Ok(0)
        }
        ARCH_SET_GS => {
            if !canonical(a.u64(1)) {
                return Err(Errno::EPERM);
            }
            t.regs.gs_base = a.u64(1);
            Ok(0)
        }
        ARCH_GET_FS => {
            t.mm.write_obj(a.u64(1), &t.regs.fs_base)?;
            Ok(0)
        }
        ARCH_GET_GS => {
            t.mm.write_obj(a.u64(1), &t.regs.gs_base)?;
            Ok(0)
        }
        // CPUID faulting is not offered: CPUID always works.
        ARCH_GET_CPUID => Ok(1),
        ARCH_SET_CPUID => Err(Errno::ENODEV),
        _ => Err(Errno::EINVAL),
    }
}

/// Read a NULL-terminated array of string pointers (argv/envp).
pub fn read_string_array(t: &Task, addr: u64) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    let mut total = 0usize;
    for i in 0.. {
        let p: u64 =
            t.mm.read_obj(addr.checked_add(i * 8).ok_or(Errno::EFAULT)?)?;
        if p == 0 {
            break;
        }
        let s = t.mm.read_cstring(p, crate::loader::stack::MAX_ARG_STRLEN)?;
        total += s.len() + 1 + 8;
        if total > 2 * 1024 * 1024 {
            return Err(Errno::E2BIG);
        }
        out.push(s);
    }
    Ok(out)
}

fn sys_execve(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let path = t.read_path(a.u64(0))?;
    let argv = read_string_array(t, a.u64(1))?;
    let envp = read_string_array(t, a.u64(2))?;
    t.execve(&path, argv, envp, libc::AT_FDCWD, true, false)?;
    Ok(0)
}

fn sys_execveat(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let flags = a.i32(4);
    if flags & !(libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = t.read_path(a.u64(1))?;
    let argv = read_string_array(t, a.u64(2))?;
    let envp = read_string_array(t, a.u64(3))?;
    t.execve(
        &path,
        argv,
        envp,
        a.i32(0),
        flags & libc::AT_SYMLINK_NOFOLLOW == 0,
        flags & libc::AT_EMPTY_PATH != 0,
    )?;
    Ok(0)
}

const PR_SET_PDEATHSIG: i32 = 1;
const PR_GET_PDEATHSIG: i32 = 2;
const PR_GET_DUMPABLE: i32 = 3;
const PR_GET_KEEPCAPS: i32 = 7;
const PR_SET_KEEPCAPS: i32 = 8;
const PR_SET_DUMPABLE: i32 = 4;
const PR_SET_NAME: i32 = 15;
const PR_GET_NAME: i32 = 16;
const PR_SET_CHILD_SUBREAPER: i32 = 36;
const PR_GET_CHILD_SUBREAPER: i32 = 37;
const PR_SET_NO_NEW_PRIVS: i32 = 38;
const PR_GET_NO_NEW_PRIVS: i32 = 39;
const PR_GET_SECCOMP: i32 = 21;
const PR_SET_SECCOMP: i32 = 22;

fn sys_prctl(t: &mut Task, a: &SyscallArgs) -> SysResult {
    match a.i32(0) {
        PR_SET_NAME => {
            let mut buf = [0u8; 16];
            // The name is at most 16 bytes including the NUL; a longer string is cut.
            let pin = t.mm.translate(a.u64(1), 16, false)?;
            let mut at = 0;
            for &(f, l) in &pin.blocks {
                t.k.mf.read(f, &mut buf[at..at + l as usize])?;
                at += l as usize;
            }
            let n = buf.iter().position(|&b| b == 0).unwrap_or(15).min(15);
            t.set_comm(&buf[..n]);
            Ok(0)
        }
        PR_GET_NAME => {
            let mut buf = [0u8; 16];
            let c = t.shared.comm.lock().clone();
            buf[..c.len().min(15)].copy_from_slice(&c[..c.len().min(15)]);
            t.mm.write_bytes(a.u64(1), &buf)?;
            Ok(0)
        }
        PR_GET_DUMPABLE => Ok(1),
        PR_SET_DUMPABLE => {
            if a.u64(1) > 1 {
                return Err(Errno::EINVAL);
            }
            Ok(0)
        }
        PR_SET_PDEATHSIG => {
            let sig = a.u64(1);
            if sig > 64 {
                return Err(Errno::EINVAL);
            }
            t.shared
                .pdeath_sig
                .store(sig as i32, std::sync::atomic::Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_PDEATHSIG => {
            let sig = t
                .shared
                .pdeath_sig
                .load(std::sync::atomic::Ordering::Relaxed);
            t.mm.write_obj(a.u64(1), &sig)?;
            Ok(0)
        }
        PR_SET_CHILD_SUBREAPER => {
            t.tg.subreaper
                .store(a.u64(1) != 0, std::sync::atomic::Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_CHILD_SUBREAPER => {
            let v = t.tg.subreaper.load(std::sync::atomic::Ordering::Relaxed) as i32;
            t.mm.write_obj(a.u64(1), &v)?;
            Ok(0)
        }
        PR_SET_NO_NEW_PRIVS => {
            if a.u64(1) != 1 || a.u64(2) != 0 || a.u64(3) != 0 || a.u64(4) != 0 {
                return Err(Errno::EINVAL);
            }
            let mut c = (*t.creds).clone();
            c.no_new_privs = true;
            super::identity::commit(t, c);
            Ok(0)
        }
        PR_GET_NO_NEW_PRIVS => {
            if a.u64(1) != 0 || a.u64(2) != 0 || a.u64(3) != 0 || a.u64(4) != 0 {
                return Err(Errno::EINVAL);
            }
            Ok(u64::from(t.creds.no_new_privs))
        }
        PR_SET_KEEPCAPS => {
            let on = match a.u64(1) {
                0 => false,
                1 => true,
                _ => return Err(Errno::EINVAL),
            };
            let mut c = (*t.creds).clone();
            c.keep_caps = on;
            super::identity::commit(t, c);
            Ok(0)
        }
        PR_GET_KEEPCAPS => Ok(u64::from(t.creds.keep_caps)),
        PR_GET_SECCOMP => super::seccomp::prctl_get(t),
        PR_SET_SECCOMP => super::seccomp::prctl_set(t, a.u64(1), a.u64(2)),
        _ => Err(Errno::EINVAL),
    }
}
