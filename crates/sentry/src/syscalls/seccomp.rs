//! seccomp(2) and prctl(PR_SET_SECCOMP/PR_GET_SECCOMP): the application's
//! own filters, which the Sentry runs on each of its syscalls
//! (kernel/seccomp). User notification (SECCOMP_FILTER_FLAG_NEW_LISTENER)
//! is not implemented: the flag is EINVAL, as on a kernel without it.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::creds::CAP_SYS_ADMIN;
use crate::kernel::seccomp::{
    bpf, Filter, Seccomp, MODE_DISABLED, MODE_FILTER, MODE_STRICT, RET_ALLOW, RET_ERRNO,
    RET_KILL_PROCESS, RET_KILL_THREAD, RET_LOG, RET_TRACE, RET_TRAP, RET_USER_NOTIF,
};
use crate::kernel::Task;
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    t.partial(
        sysno::SECCOMP,
        sys_seccomp,
        &[Arg::Int, Arg::Hex, Arg::Ptr],
        "strict and filter modes, TSYNC (other threads take no_new_privs at their next syscall), LOG, \
         SPEC_ALLOW; NEW_LISTENER/WAIT_KILLABLE_RECV EINVAL (no user notification); \
         TRACE and USER_NOTIF actions answer ENOSYS as with no tracer/listener",
    );
}

const SET_MODE_STRICT: u32 = 0;
const SET_MODE_FILTER: u32 = 1;
const GET_ACTION_AVAIL: u32 = 2;
const GET_NOTIF_SIZES: u32 = 3;

const FLAG_TSYNC: u32 = 1;
const FLAG_LOG: u32 = 2;
const FLAG_SPEC_ALLOW: u32 = 4;
const FLAG_TSYNC_ESRCH: u32 = 16;
/// What is accepted: NEW_LISTENER (8) and WAIT_KILLABLE_RECV (32) are not.
const FLAGS_SUPPORTED: u32 = FLAG_TSYNC | FLAG_LOG | FLAG_SPEC_ALLOW | FLAG_TSYNC_ESRCH;

fn sys_seccomp(t: &mut Task, a: &SyscallArgs) -> SysResult {
    do_seccomp(t, a.u32(0), a.u32(1), a.u64(2))
}

/// prctl(PR_GET_SECCOMP).
pub fn prctl_get(t: &mut Task) -> SysResult {
    Ok(u64::from(t.shared.seccomp.get().mode))
}

/// prctl(PR_SET_SECCOMP, mode, filter).
pub fn prctl_set(t: &mut Task, mode: u64, filter: u64) -> SysResult {
    match mode {
        m if m == u64::from(MODE_STRICT) => do_seccomp(t, SET_MODE_STRICT, 0, 0),
        m if m == u64::from(MODE_FILTER) => do_seccomp(t, SET_MODE_FILTER, 0, filter),
        _ => Err(Errno::EINVAL),
    }
}

fn do_seccomp(t: &mut Task, op: u32, flags: u32, uargs: u64) -> SysResult {
    match op {
        SET_MODE_STRICT => {
            if flags != 0 || uargs != 0 {
                return Err(Errno::EINVAL);
            }
            let mut st = t.shared.seccomp.get();
            if st.mode != MODE_DISABLED && st.mode != MODE_STRICT {
                return Err(Errno::EINVAL);
            }
            st.mode = MODE_STRICT;
            t.shared.seccomp.set(st);
            Ok(0)
        }
        SET_MODE_FILTER => set_mode_filter(t, flags, uargs),
        GET_ACTION_AVAIL => {
            if flags != 0 {
                return Err(Errno::EINVAL);
            }
            let action: u32 = t.mm.read_obj(uargs)?;
            match action {
                RET_KILL_PROCESS | RET_KILL_THREAD | RET_TRAP | RET_ERRNO | RET_USER_NOTIF
                | RET_TRACE | RET_LOG | RET_ALLOW => Ok(0),
                _ => Err(Errno::EOPNOTSUPP),
            }
        }
        GET_NOTIF_SIZES => {
            if flags != 0 {
                return Err(Errno::EINVAL);
            }
            // struct seccomp_notif, seccomp_notif_resp, seccomp_data.
            let sizes: [u16; 3] = [80, 24, 64];
            t.mm.write_obj(uargs, &sizes)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// Copy in and check a `struct sock_fprog` (seccomp_prepare_user_filter).
fn prepare(t: &Task, uargs: u64) -> Result<Vec<bpf::Insn>, Errno> {
    let fprog: [u64; 2] = t.mm.read_obj(uargs)?;
    let len = (fprog[0] & 0xffff) as usize;
    if len == 0 || len > bpf::MAX_INSNS {
        return Err(Errno::EINVAL);
    }
    if !t.creds.no_new_privs && !t.creds.has_cap(CAP_SYS_ADMIN) {
        return Err(Errno::EACCES);
    }
    let mut raw = vec![0u8; len * 8];
    t.mm.read_bytes(fprog[1], &mut raw)?;
    let prog: Vec<bpf::Insn> = raw
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            bpf::Insn::from_bytes(b)
        })
        .collect();
    bpf::check(&prog)?;
    Ok(prog)
}

fn set_mode_filter(t: &mut Task, flags: u32, uargs: u64) -> SysResult {
    if flags & !FLAGS_SUPPORTED != 0 {
        return Err(Errno::EINVAL);
    }
    let prog = prepare(t, uargs)?;
    // The whole change happens with the thread list held, so no thread
    // changes its filters meanwhile (Linux holds siglock).
    let tasks = t.tg.tasks.lock();
    let mut own = t.shared.seccomp.lock();
    if own.mode != MODE_DISABLED && own.mode != MODE_FILTER {
        return Err(Errno::EINVAL);
    }
    let chain = Filter::stack(prog, flags & FLAG_LOG != 0, own.filters.clone())?;
    if flags & FLAG_TSYNC != 0 {
        // Every other thread must have no filter or one of ours.
        for o in tasks.iter().filter(|o| o.tid != t.tid) {
            let st = o.seccomp.get();
            let ok = match st.mode {
                MODE_DISABLED => true,
                MODE_FILTER => match (&st.filters, &own.filters) {
                    (None, _) => true,
                    (Some(theirs), Some(ours)) => ours.has_ancestor(theirs),
                    (Some(_), None) => false,
                },
                _ => false,
            };
            if !ok {
                return if flags & FLAG_TSYNC_ESRCH != 0 {
                    Err(Errno::ESRCH)
                } else {
                    Ok(o.tid as u64)
                };
            }
        }
    }
    *own = Seccomp {
        mode: MODE_FILTER,
        filters: Some(chain.clone()),
    };
    drop(own);
    t.shared.seccomp.refresh();
    if flags & FLAG_TSYNC != 0 {
        for o in tasks.iter().filter(|o| o.tid != t.tid) {
            o.seccomp.set(Seccomp {
                mode: MODE_FILTER,
                filters: Some(chain.clone()),
            });
            if t.creds.no_new_privs {
                o.seccomp.request_nnp();
            }
        }
    }
    Ok(0)
}
