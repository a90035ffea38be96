//! User and group ids, supplementary groups and capabilities: the get/set
//! uid and gid family, getgroups/setgroups, capget/capset.
//!
//! All virtual: they change the task's [`Creds`], which decide what the
//! Sentry allows; the host never sees them. The rules are Linux's
//! (kernel/sys.c, kernel/groups.c, kernel/capability.c and commoncap's
//! fix-ups when ids leave or reach root), without securebits.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::creds::{
    Creds, CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_LAST_CAP,
    CAP_MKNOD, CAP_SETGID, CAP_SETUID,
};
use crate::kernel::{proc_view, Task};
use abi::{sysno, Errno};
use std::sync::Arc;

pub fn register(t: &mut Table) {
    t.add(sysno::GETUID, sys_getuid, &[]);
    t.add(sysno::GETEUID, sys_geteuid, &[]);
    t.add(sysno::GETGID, sys_getgid, &[]);
    t.add(sysno::GETEGID, sys_getegid, &[]);
    t.add(
        sysno::GETRESUID,
        sys_getresuid,
        &[Arg::Ptr, Arg::Ptr, Arg::Ptr],
    );
    t.add(
        sysno::GETRESGID,
        sys_getresgid,
        &[Arg::Ptr, Arg::Ptr, Arg::Ptr],
    );
    t.add(sysno::GETGROUPS, sys_getgroups, &[Arg::Int, Arg::Ptr]);
    t.add(sysno::SETGROUPS, sys_setgroups, &[Arg::Int, Arg::Ptr]);
    t.partial(sysno::SETUID, sys_setuid, &[Arg::Int], NO_SECUREBITS);
    t.add(sysno::SETGID, sys_setgid, &[Arg::Int]);
    t.partial(
        sysno::SETREUID,
        sys_setreuid,
        &[Arg::Int, Arg::Int],
        NO_SECUREBITS,
    );
    t.add(sysno::SETREGID, sys_setregid, &[Arg::Int, Arg::Int]);
    t.partial(
        sysno::SETRESUID,
        sys_setresuid,
        &[Arg::Int, Arg::Int, Arg::Int],
        NO_SECUREBITS,
    );
    t.add(
        sysno::SETRESGID,
        sys_setresgid,
        &[Arg::Int, Arg::Int, Arg::Int],
    );
    t.partial(sysno::SETFSUID, sys_setfsuid, &[Arg::Int], NO_SECUREBITS);
    t.add(sysno::SETFSGID, sys_setfsgid, &[Arg::Int]);
    t.partial(
        sysno::CAPGET,
        sys_capget,
        &[Arg::Ptr, Arg::Ptr],
        "another task's sets are its process leader's",
    );
    t.partial(
        sysno::CAPSET,
        sys_capset,
        &[Arg::Ptr, Arg::Ptr],
        "no ambient set or securebits",
    );
}

const NO_SECUREBITS: &str =
    "capabilities follow uid changes as without securebits (PR_SET_KEEPCAPS honoured)";

const CAP_SETPCAP: u32 = 8;
const CAP_LINUX_IMMUTABLE: u32 = 9;
const CAP_MAC_OVERRIDE: u32 = 32;
/// Every capability Linux knows.
const CAP_VALID: u64 = (1u64 << (CAP_LAST_CAP + 1)) - 1;
/// The file-system capabilities that follow the fsuid (`CAP_FS_SET`).
const CAP_FS_SET: u64 = 1 << CAP_CHOWN
    | 1 << CAP_MKNOD
    | 1 << CAP_DAC_OVERRIDE
    | 1 << CAP_DAC_READ_SEARCH
    | 1 << CAP_FOWNER
    | 1 << CAP_FSETID
    | 1 << CAP_MAC_OVERRIDE
    | 1 << CAP_LINUX_IMMUTABLE;
/// `(uid_t)-1`: "leave unchanged" for the set*id calls, and never a valid id.
const NO_ID: u32 = u32::MAX;
/// Most supplementary groups a process may have.
const NGROUPS_MAX: u32 = 65536;

fn sys_getuid(t: &mut Task, _a: &SyscallArgs) -> SysResult {
    Ok(t.creds.uid.into())
}

fn sys_geteuid(t: &mut Task, _a: &SyscallArgs) -> SysResult {
    Ok(t.creds.euid.into())
}

fn sys_getgid(t: &mut Task, _a: &SyscallArgs) -> SysResult {
    Ok(t.creds.gid.into())
}

fn sys_getegid(t: &mut Task, _a: &SyscallArgs) -> SysResult {
    Ok(t.creds.egid.into())
}

/// Write three ids in turn, stopping at the first fault, as Linux does.
fn put_ids(t: &Task, a: &SyscallArgs, ids: [u32; 3]) -> SysResult {
    for (i, id) in ids.iter().enumerate() {
        t.mm.write_obj(a.u64(i), id)?;
    }
    Ok(0)
}

fn sys_getresuid(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let c = &t.creds;
    put_ids(t, a, [c.uid, c.euid, c.suid])
}

fn sys_getresgid(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let c = &t.creds;
    put_ids(t, a, [c.gid, c.egid, c.sgid])
}

fn sys_getgroups(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let size = a.i32(0);
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    let groups = &t.creds.groups;
    let n = groups.len();
    if size == 0 {
        return Ok(n as u64);
    }
    if n > size as usize {
        return Err(Errno::EINVAL);
    }
    let bytes: Vec<u8> = groups.iter().flat_map(|g| g.to_ne_bytes()).collect();
    if !bytes.is_empty() {
        t.mm.write_bytes(a.u64(1), &bytes)?;
    }
    Ok(n as u64)
}

fn sys_setgroups(t: &mut Task, a: &SyscallArgs) -> SysResult {
    if !t.creds.has_cap(CAP_SETGID) {
        return Err(Errno::EPERM);
    }
    let size = a.u32(0);
    if size > NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    let mut bytes = vec![0u8; size as usize * 4];
    if !bytes.is_empty() {
        t.mm.read_bytes(a.u64(1), &mut bytes)?;
    }
    let mut groups: Vec<u32> = bytes
        .chunks_exact(4)
        .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if groups.contains(&NO_ID) {
        return Err(Errno::EINVAL);
    }
    // Linux keeps the list sorted (duplicates stay): getgroups shows that order.
    groups.sort_unstable();
    let mut c = (*t.creds).clone();
    c.groups = groups;
    commit(t, c);
    Ok(0)
}

/// Install new credentials, and show them in /proc (and to other
/// processes' permission checks) if the task leads its process.
pub(crate) fn commit(t: &mut Task, c: Creds) {
    if *t.creds != c {
        t.creds = Arc::new(c);
        proc_view::publish(t);
    }
}

/// The credentials of task `tid` as other tasks see them: its process's
/// (its leader's), published in the process's /proc view. The caller's
/// own when it has none.
pub fn creds_of(t: &Task, tid: i32) -> Arc<Creds> {
    if tid == 0 || tid == t.tid {
        return t.creds.clone();
    }
    super::rlimit::group_of(t, tid)
        .and_then(|g| proc_view::view(&g))
        .map_or_else(|| t.creds.clone(), |v| v.creds)
}

/// How an id change came about, for the capability fix-ups.
#[derive(Clone, Copy, PartialEq, Eq)]
enum UidChange {
    /// setuid, setreuid, setresuid.
    Ids,
    /// setfsuid.
    Fs,
}

/// commoncap's cap_task_fix_setuid: capabilities follow uids to and from 0.
fn fix_caps(new: &mut Creds, old: &Creds, how: UidChange) {
    match how {
        UidChange::Ids => {
            let was_root = old.uid == 0 || old.euid == 0 || old.suid == 0;
            let now_root = new.uid == 0 || new.euid == 0 || new.suid == 0;
            if was_root && !now_root && !old.keep_caps {
                new.cap_permitted = 0;
                new.cap_effective = 0;
            }
            if old.euid == 0 && new.euid != 0 {
                new.cap_effective = 0;
            }
            if old.euid != 0 && new.euid == 0 {
                new.cap_effective = new.cap_permitted;
            }
        }
        UidChange::Fs => {
            if old.fsuid == 0 && new.fsuid != 0 {
                new.cap_effective &= !CAP_FS_SET;
            }
            if old.fsuid != 0 && new.fsuid == 0 {
                new.cap_effective |= new.cap_permitted & CAP_FS_SET;
            }
        }
    }
}

fn sys_setuid(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let uid = a.u32(0);
    if uid == NO_ID {
        return Err(Errno::EINVAL);
    }
    let old = &*t.creds;
    let mut c = old.clone();
    if old.has_cap(CAP_SETUID) {
        c.uid = uid;
        c.suid = uid;
    } else if uid != old.uid && uid != old.suid {
        return Err(Errno::EPERM);
    }
    c.euid = uid;
    c.fsuid = uid;
    fix_caps(&mut c, old, UidChange::Ids);
    commit(t, c);
    Ok(0)
}

fn sys_setgid(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let gid = a.u32(0);
    if gid == NO_ID {
        return Err(Errno::EINVAL);
    }
    let old = &*t.creds;
    let mut c = old.clone();
    if old.has_cap(CAP_SETGID) {
        c.gid = gid;
        c.sgid = gid;
    } else if gid != old.gid && gid != old.sgid {
        return Err(Errno::EPERM);
    }
    c.egid = gid;
    c.fsgid = gid;
    commit(t, c);
    Ok(0)
}

fn sys_setreuid(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (ruid, euid) = (a.u32(0), a.u32(1));
    let old = &*t.creds;
    let privileged = old.has_cap(CAP_SETUID);
    let mut c = old.clone();
    if ruid != NO_ID {
        if ruid != old.uid && ruid != old.euid && !privileged {
            return Err(Errno::EPERM);
        }
        c.uid = ruid;
    }
    if euid != NO_ID {
        if euid != old.uid && euid != old.euid && euid != old.suid && !privileged {
            return Err(Errno::EPERM);
        }
        c.euid = euid;
    }
    // The saved id follows the effective one when the real id is set or
    // the effective one moves away from the old real id.
    if ruid != NO_ID || (euid != NO_ID && euid != old.uid) {
        c.suid = c.euid;
    }
    c.fsuid = c.euid;
    fix_caps(&mut c, old, UidChange::Ids);
    commit(t, c);
    Ok(0)
}

fn sys_setregid(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (rgid, egid) = (a.u32(0), a.u32(1));
    let old = &*t.creds;
    let privileged = old.has_cap(CAP_SETGID);
    let mut c = old.clone();
    if rgid != NO_ID {
        if rgid != old.gid && rgid != old.egid && !privileged {
            return Err(Errno::EPERM);
        }
        c.gid = rgid;
    }
    if egid != NO_ID {
        if egid != old.gid && egid != old.egid && egid != old.sgid && !privileged {
            return Err(Errno::EPERM);
        }
        c.egid = egid;
    }
    if rgid != NO_ID || (egid != NO_ID && egid != old.gid) {
        c.sgid = c.egid;
    }
    c.fsgid = c.egid;
    commit(t, c);
    Ok(0)
}

/// Whether an unprivileged caller may take `id` (one of its current three).
fn is_own(id: u32, ids: [u32; 3]) -> bool {
    id == NO_ID || ids.contains(&id)
}

fn sys_setresuid(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (r, e, s) = (a.u32(0), a.u32(1), a.u32(2));
    let old = &*t.creds;
    // Nothing to change: succeeds without any check.
    if (r == NO_ID || r == old.uid)
        && (e == NO_ID || (e == old.euid && e == old.fsuid))
        && (s == NO_ID || s == old.suid)
    {
        return Ok(0);
    }
    let own = [old.uid, old.euid, old.suid];
    if !old.has_cap(CAP_SETUID) && [r, e, s].iter().any(|&id| !is_own(id, own)) {
        return Err(Errno::EPERM);
    }
    let mut c = old.clone();
    if r != NO_ID {
        c.uid = r;
    }
    if e != NO_ID {
        c.euid = e;
    }
    if s != NO_ID {
        c.suid = s;
    }
    c.fsuid = c.euid;
    fix_caps(&mut c, old, UidChange::Ids);
    commit(t, c);
    Ok(0)
}

fn sys_setresgid(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (r, e, s) = (a.u32(0), a.u32(1), a.u32(2));
    let old = &*t.creds;
    if (r == NO_ID || r == old.gid)
        && (e == NO_ID || (e == old.egid && e == old.fsgid))
        && (s == NO_ID || s == old.sgid)
    {
        return Ok(0);
    }
    let own = [old.gid, old.egid, old.sgid];
    if !old.has_cap(CAP_SETGID) && [r, e, s].iter().any(|&id| !is_own(id, own)) {
        return Err(Errno::EPERM);
    }
    let mut c = old.clone();
    if r != NO_ID {
        c.gid = r;
    }
    if e != NO_ID {
        c.egid = e;
    }
    if s != NO_ID {
        c.sgid = s;
    }
    c.fsgid = c.egid;
    commit(t, c);
    Ok(0)
}

/// setfsuid never fails: it returns the old fsuid, changed or not.
fn sys_setfsuid(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let uid = a.u32(0);
    let old = &*t.creds;
    let prev = old.fsuid;
    let allowed = uid == old.uid
        || uid == old.euid
        || uid == old.suid
        || uid == old.fsuid
        || old.has_cap(CAP_SETUID);
    if uid != NO_ID && allowed && uid != old.fsuid {
        let mut c = old.clone();
        c.fsuid = uid;
        fix_caps(&mut c, old, UidChange::Fs);
        commit(t, c);
    }
    Ok(prev.into())
}

fn sys_setfsgid(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let gid = a.u32(0);
    let old = &*t.creds;
    let prev = old.fsgid;
    let allowed = gid == old.gid
        || gid == old.egid
        || gid == old.sgid
        || gid == old.fsgid
        || old.has_cap(CAP_SETGID);
    if gid != NO_ID && allowed && gid != old.fsgid {
        let mut c = old.clone();
        c.fsgid = gid;
        commit(t, c);
    }
    Ok(prev.into())
}

const CAP_V1: u32 = 0x1998_0330;
const CAP_V2: u32 = 0x2007_1026;
const CAP_V3: u32 = 0x2008_0522;

/// `struct __user_cap_header_struct`: version, then pid.
type CapHeader = [u32; 2];
/// `struct __user_cap_data_struct`: effective, permitted, inheritable (32 bits each).
type CapData = [u32; 3];

/// Check the header's version; returns how many 32-bit data structs it
/// uses. An unknown version is answered with the one we prefer.
fn cap_version(t: &Task, hdr: u64) -> Result<usize, Errno> {
    let h: CapHeader = t.mm.read_obj(hdr)?;
    match h[0] {
        CAP_V1 => Ok(1),
        CAP_V2 | CAP_V3 => Ok(2),
        _ => {
            t.mm.write_obj(hdr, &CAP_V3)?;
            Err(Errno::EINVAL)
        }
    }
}

fn sys_capget(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (hdr, data) = (a.u64(0), a.u64(1));
    let words = match cap_version(t, hdr) {
        Ok(n) => n,
        // Probing the version with no data pointer is not an error.
        Err(Errno::EINVAL) if data == 0 => return Ok(0),
        Err(e) => return Err(e),
    };
    if data == 0 {
        return Ok(0);
    }
    let h: CapHeader = t.mm.read_obj(hdr)?;
    let pid = h[1] as i32;
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    if pid != 0 && pid != t.tid && !t.k.pids.lock().tasks.contains_key(&pid) {
        return Err(Errno::ESRCH);
    }
    let c = creds_of(t, pid);
    let split = |v: u64| [v as u32, (v >> 32) as u32];
    let (e, p, i) = (
        split(c.cap_effective),
        split(c.cap_permitted),
        split(c.cap_inheritable),
    );
    let all: [CapData; 2] = [[e[0], p[0], i[0]], [e[1], p[1], i[1]]];
    for (n, d) in all.iter().take(words).enumerate() {
        t.mm.write_obj(data.wrapping_add((n as u64) * 12), d)?;
    }
    Ok(0)
}

fn sys_capset(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (hdr, data) = (a.u64(0), a.u64(1));
    let words = cap_version(t, hdr)?;
    let h: CapHeader = t.mm.read_obj(hdr)?;
    let pid = h[1] as i32;
    // Only the caller's own sets can change.
    if pid != 0 && pid != t.tid {
        return Err(Errno::EPERM);
    }
    let mut d: [CapData; 2] = [[0; 3]; 2];
    for (n, slot) in d.iter_mut().take(words).enumerate() {
        *slot = t.mm.read_obj(data.wrapping_add((n as u64) * 12))?;
    }
    let join = |i: usize| (u64::from(d[0][i]) | u64::from(d[1][i]) << 32) & CAP_VALID;
    let (effective, permitted, inheritable) = (join(0), join(1), join(2));
    let old = &*t.creds;
    let subset = |a: u64, b: u64| a & !b == 0;
    // Without CAP_SETPCAP, new inheritable capabilities must be permitted ones.
    if !old.has_cap(CAP_SETPCAP) && !subset(inheritable, old.cap_inheritable | old.cap_permitted) {
        return Err(Errno::EPERM);
    }
    if !subset(inheritable, old.cap_inheritable | old.cap_bounding)
        || !subset(permitted, old.cap_permitted)
        || !subset(effective, permitted)
    {
        return Err(Errno::EPERM);
    }
    let mut c = old.clone();
    c.cap_effective = effective;
    c.cap_permitted = permitted;
    c.cap_inheritable = inheritable;
    commit(t, c);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaving_root_drops_capabilities() {
        let old = Creds::new(0, 0);
        let mut c = old.clone();
        c.uid = 1000;
        c.euid = 1000;
        c.suid = 1000;
        fix_caps(&mut c, &old, UidChange::Ids);
        assert_eq!((c.cap_effective, c.cap_permitted), (0, 0));

        // Keeping a saved root id keeps the permitted set, not the effective one.
        let mut c = old.clone();
        c.euid = 1000;
        fix_caps(&mut c, &old, UidChange::Ids);
        assert_eq!(c.cap_effective, 0);
        assert_eq!(c.cap_permitted, old.cap_permitted);
        let back = c.clone();
        let mut c2 = back.clone();
        c2.euid = 0;
        fix_caps(&mut c2, &back, UidChange::Ids);
        assert_eq!(c2.cap_effective, old.cap_permitted);
    }

    #[test]
    fn fsuid_moves_only_file_capabilities() {
        let old = Creds::new(0, 0);
        let mut c = old.clone();
        c.fsuid = 1000;
        fix_caps(&mut c, &old, UidChange::Fs);
        assert_eq!(c.cap_effective, old.cap_effective & !CAP_FS_SET);
        assert!(c.has_cap(CAP_SETUID));
        assert!(!c.has_cap(CAP_CHOWN));
    }
}
