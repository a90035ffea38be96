//! fork, vfork, clone, clone3.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::task::clone::*;
use crate::kernel::Task;
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    t.add(sysno::FORK, sys_fork, &[]);
    t.add(sysno::VFORK, sys_vfork, &[]);
    t.partial(
        sysno::CLONE,
        sys_clone,
        &[Arg::Hex, Arg::Ptr, Arg::Ptr, Arg::Ptr, Arg::Hex],
        "no new namespaces (EPERM)",
    );
    t.partial(
        sysno::CLONE3,
        sys_clone3,
        &[Arg::Ptr, Arg::Int],
        "no new namespaces, set_tid or cgroups",
    );
}

fn sys_fork(t: &mut Task, _a: &SyscallArgs) -> SysResult {
    let tid = t.clone_task(CloneArgs {
        exit_signal: abi::signal::SIGCHLD,
        ..Default::default()
    })?;
    Ok(tid as u64)
}

fn sys_vfork(t: &mut Task, _a: &SyscallArgs) -> SysResult {
    let a = CloneArgs {
        flags: CLONE_VM | CLONE_VFORK,
        exit_signal: abi::signal::SIGCHLD,
        ..Default::default()
    };
    Ok(t.clone_task(a)? as u64)
}

/// clone(flags, stack, parent_tid, child_tid, tls) — x86-64 argument order.
fn sys_clone(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let flags = a.u64(0);
    let args = CloneArgs {
        flags: flags & !0xff,
        exit_signal: (flags & 0xff) as i32,
        stack: a.u64(1),
        parent_tid: a.u64(2),
        child_tid: a.u64(3),
        tls: a.u64(4),
        // Legacy clone returns the pidfd through parent_tid.
        pidfd: a.u64(2),
    };
    if flags & CLONE_PIDFD != 0 && flags & CLONE_PARENT_SETTID != 0 {
        return Err(Errno::EINVAL);
    }
    if args.flags & CLONE_DETACHED != 0 && args.flags & CLONE_THREAD == 0 {
        // Old flag, ignored by Linux.
    }
    Ok(t.clone_task(args)? as u64)
}

/// struct clone_args (versions 0..2: 64, 80, 88 bytes).
fn sys_clone3(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let size = a.u64(1);
    if !(64..=4096).contains(&size) {
        return Err(Errno::EINVAL);
    }
    let mut buf = vec![0u8; size as usize];
    t.mm.read_bytes(a.u64(0), &mut buf)?;
    let word = |i: usize| u64::from_le_bytes(buf[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    // Unknown trailing fields must be zero.
    if buf.len() > 88 && buf[88..].iter().any(|&b| b != 0) {
        return Err(Errno::E2BIG);
    }
    let (flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls) = (
        word(0),
        word(1),
        word(2),
        word(3),
        word(4),
        word(5),
        word(6),
        word(7),
    );
    if exit_signal > 64 || flags & 0xff != 0 {
        return Err(Errno::EINVAL);
    }
    if size >= 80 && (word(8) != 0 || word(9) != 0) {
        // set_tid / set_tid_size
        return Err(Errno::EINVAL);
    }
    if size >= 88 && word(10) != 0 {
        return Err(Errno::EINVAL);
    }
    if (stack == 0) != (stack_size == 0) {
        return Err(Errno::EINVAL);
    }
    let args = CloneArgs {
        flags,
        exit_signal: exit_signal as i32,
        stack: if stack != 0 {
            stack.wrapping_add(stack_size)
        } else {
            0
        },
        parent_tid,
        child_tid,
        tls,
        pidfd,
    };
    if flags & CLONE_PIDFD != 0 && flags & CLONE_PARENT_SETTID != 0 && pidfd == parent_tid {
        return Err(Errno::EINVAL);
    }
    Ok(t.clone_task(args)? as u64)
}
