//! What the machine says about itself: uname, sethostname, setdomainname,
//! sysinfo, getrandom, syslog.
//!
//! Host facts pass through only where they describe the machine the
//! application really runs on (kernel release, memory, randomness); names
//! and counts are the sandbox's own.

use super::time::uptime_ns;
use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::creds::CAP_SYS_ADMIN;
use crate::kernel::Task;
use abi::{sysno, Errno, Sysinfo, Utsname};
use rustix::rand::GetRandomFlags;

pub fn register(t: &mut Table) {
    t.add(sysno::UNAME, sys_uname, &[Arg::Ptr]);
    t.add(
        sysno::SETHOSTNAME,
        sys_sethostname,
        &[Arg::InBuf(1), Arg::Int],
    );
    t.add(
        sysno::SETDOMAINNAME,
        sys_setdomainname,
        &[Arg::InBuf(1), Arg::Int],
    );
    t.partial(
        sysno::SYSINFO,
        sys_sysinfo,
        &[Arg::Ptr],
        "load averages, shared/buffer memory and swap read as zero",
    );
    t.add(
        sysno::GETRANDOM,
        sys_getrandom,
        &[Arg::Ptr, Arg::Int, Arg::Hex],
    );
    t.refuse(
        sysno::SYSLOG,
        Errno::EPERM,
        &[Arg::Int, Arg::Ptr, Arg::Int],
        "the sandbox has no kernel log to show (as gVisor without a log)",
    );
}

/// Length of each utsname field without its NUL (`__NEW_UTS_LEN`).
const UTS_LEN: usize = 64;
const SYSNAME: &[u8] = b"Linux";
const VERSION: &[u8] = b"#1 SMP PREEMPT_DYNAMIC rvisor";
const MACHINE: &[u8] = b"x86_64";

/// A NUL-padded utsname field holding at most 64 bytes of `s`.
fn uts_field(s: &[u8]) -> [u8; UTS_LEN + 1] {
    let mut f = [0u8; UTS_LEN + 1];
    let n = s.len().min(UTS_LEN);
    f[..n].copy_from_slice(&s[..n]);
    f
}

fn sys_uname(t: &mut Task, a: &SyscallArgs) -> SysResult {
    // The release is the host kernel's: the application runs on its CPU
    // features and programs check it for what Linux can do.
    let host = rustix::system::uname();
    let u = Utsname {
        sysname: uts_field(SYSNAME),
        nodename: uts_field(&t.k.hostname.lock()),
        release: uts_field(host.release().to_bytes()),
        version: uts_field(VERSION),
        machine: uts_field(MACHINE),
        domainname: uts_field(&t.k.domainname.lock()),
    };
    t.mm.write_obj(a.u64(0), &u)?;
    Ok(0)
}

/// The common part of sethostname/setdomainname: the new name, checked as Linux checks it.
fn read_uts_name(t: &Task, a: &SyscallArgs) -> Result<Vec<u8>, Errno> {
    if !t.creds.has_cap(CAP_SYS_ADMIN) {
        return Err(Errno::EPERM);
    }
    let len = usize::try_from(a.i32(1)).map_err(|_| Errno::EINVAL)?;
    if len > UTS_LEN {
        return Err(Errno::EINVAL);
    }
    let mut name = vec![0u8; len];
    t.mm.read_bytes(a.u64(0), &mut name)?;
    Ok(name)
}

fn sys_sethostname(t: &mut Task, a: &SyscallArgs) -> SysResult {
    // Stored as given, NULs included: uname copies the field as Linux does.
    *t.k.hostname.lock() = read_uts_name(t, a)?;
    Ok(0)
}

fn sys_setdomainname(t: &mut Task, a: &SyscallArgs) -> SysResult {
    *t.k.domainname.lock() = read_uts_name(t, a)?;
    Ok(0)
}

fn sys_sysinfo(t: &mut Task, a: &SyscallArgs) -> SysResult {
    const NSEC_PER_SEC: i128 = 1_000_000_000;
    let up = uptime_ns(&t.k).max(0);
    // Linux rounds a partial second up.
    let uptime = (up / NSEC_PER_SEC + i128::from(up % NSEC_PER_SEC != 0)) as i64;
    let host = rustix::system::sysinfo();
    let unit = u64::from(host.mem_unit.max(1));
    // Memory: the host's, but never more than the sandbox's memory file
    // holds, and what the sandbox has allocated is not free.
    let total = host.totalram.saturating_mul(unit).min(t.k.mf.size());
    let used = t.k.mf.allocated_bytes();
    let free = host
        .freeram
        .saturating_mul(unit)
        .min(total.saturating_sub(used));
    let procs = t.k.pids.lock().tasks.len();
    let info = Sysinfo {
        uptime,
        totalram: total,
        freeram: free,
        procs: u16::try_from(procs).unwrap_or(u16::MAX),
        mem_unit: 1,
        ..Default::default()
    };
    t.mm.write_obj(a.u64(0), &info)?;
    Ok(0)
}

const GRND_NONBLOCK: u32 = 0x1;
const GRND_RANDOM: u32 = 0x2;
const GRND_INSECURE: u32 = 0x4;
/// The most one read or write moves (`MAX_RW_COUNT`): getrandom caps its length there.
const MAX_RW_COUNT: u64 = 0x7fff_f000;
/// Bytes generated per step: large reads fill memory piece by piece.
const CHUNK: u64 = 64 * 1024;

fn sys_getrandom(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (addr, len, flags) = (a.u64(0), a.u64(1), a.u32(2));
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & (GRND_RANDOM | GRND_INSECURE) == GRND_RANDOM | GRND_INSECURE {
        return Err(Errno::EINVAL);
    }
    // The host's pool is initialised by the time a sandbox runs, so no
    // flag changes what the bytes are or whether the call blocks.
    let len = len.min(MAX_RW_COUNT);
    let mut done = 0u64;
    let mut buf = Vec::new();
    while done < len {
        let want = (len - done).min(CHUNK);
        let at = addr.checked_add(done).ok_or(Errno::EFAULT);
        // Like Linux, a fault part way returns what was written before it.
        let pin = match at.and_then(|at| t.mm.translate(at, want, true)) {
            Ok(p) => p,
            Err(e) => return if done > 0 { Ok(done) } else { Err(e) },
        };
        let got = pin.len();
        buf.resize(usize::try_from(got).map_err(|_| Errno::EFAULT)?, 0);
        fill_random(&mut buf)?;
        let mut off = 0usize;
        for &(frame, l) in &pin.blocks {
            let l = usize::try_from(l).map_err(|_| Errno::EFAULT)?;
            let piece = buf.get(off..off + l).ok_or(Errno::EFAULT)?;
            t.k.mf.write(frame, piece)?;
            off += l;
        }
        done += got;
        if got < want {
            break;
        }
    }
    if done == 0 && len > 0 {
        return Err(Errno::EFAULT);
    }
    Ok(done)
}

/// Fill `buf` from the host's random pool.
fn fill_random(buf: &mut [u8]) -> Result<(), Errno> {
    let mut at = 0;
    while at < buf.len() {
        let rest = buf.get_mut(at..).unwrap_or_default();
        match rustix::rand::getrandom(rest, GetRandomFlags::empty()) {
            Ok(n) => at += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(Errno(e.raw_os_error())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uts_fields_are_cut_and_terminated() {
        let f = uts_field(&[b'a'; 100]);
        assert_eq!(f[63], b'a');
        assert_eq!(f[64], 0);
        assert_eq!(&uts_field(b"Linux")[..6], b"Linux\0");
    }

    #[test]
    fn random_fill_covers_the_buffer() {
        let mut b = vec![0u8; 4096];
        fill_random(&mut b).unwrap();
        assert!(b.iter().filter(|&&x| x != 0).count() > 3000);
    }
}
