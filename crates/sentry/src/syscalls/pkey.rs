//! Memory protection keys: pkey_alloc, pkey_free, pkey_mprotect.
//!
//! The sandbox offers no protection keys (AT_HWCAP and cpuid aside, the
//! application's PKRU is never managed), so these answer as Linux does on
//! a CPU without them: no key can be allocated (ENOSPC), none can be
//! freed, and pkey_mprotect with key -1 is plain mprotect.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::Task;
use abi::{sysno, Errno};

/// PKEY_DISABLE_ACCESS | PKEY_DISABLE_WRITE.
const PKEY_ACCESS_MASK: u64 = 0x3;

pub fn register(t: &mut Table) {
    t.partial(
        sysno::PKEY_ALLOC,
        sys_pkey_alloc,
        &[Arg::Hex, Arg::Hex],
        "no protection keys: ENOSPC, as on a CPU without them (Linux's first call there is EINVAL)",
    );
    t.partial(
        sysno::PKEY_FREE,
        sys_pkey_free,
        &[Arg::Int],
        "no protection keys: EINVAL",
    );
    t.partial(
        sysno::PKEY_MPROTECT,
        sys_pkey_mprotect,
        &[Arg::Ptr, Arg::Hex, Arg::Hex, Arg::Int],
        "key -1 only (plain mprotect); other keys EINVAL",
    );
}

fn sys_pkey_alloc(_t: &mut Task, a: &SyscallArgs) -> SysResult {
    if a.u64(0) != 0 || a.u64(1) & !PKEY_ACCESS_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    Err(Errno::ENOSPC)
}

fn sys_pkey_free(_t: &mut Task, _a: &SyscallArgs) -> SysResult {
    Err(Errno::EINVAL)
}

fn sys_pkey_mprotect(t: &mut Task, a: &SyscallArgs) -> SysResult {
    if a.i32(3) != -1 {
        return Err(Errno::EINVAL);
    }
    t.mm.mprotect(a.u64(0), a.u64(1), a.u64(2))?;
    Ok(0)
}
