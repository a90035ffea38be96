//! poll, ppoll, select, pselect6: wait until one of several files is ready.
//!
//! The task registers in the wait queue of every file it watches, asks
//! each file for its readiness (`FileOps::poll`), and sleeps until a
//! notification, the timeout or a signal. Files without a wait queue never
//! change readiness: what `poll` says is final. An interrupted call answers
//! ERESTARTNOHAND (EINTR if a handler runs, restarted otherwise); the
//! remaining time goes back into select's timeval and the timespec of
//! pselect6 and ppoll, as Linux does (glibc hides the latter two).

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::limits::RLIMIT_NOFILE;
use crate::kernel::Task;
use crate::vfs::File;
use abi::signal::SigSet;
use abi::{sysno, Errno, Timespec, Timeval};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn register(t: &mut Table) {
    t.partial(
        sysno::POLL,
        sys_poll,
        &[Arg::Ptr, Arg::Int, Arg::Int],
        "a poll restarted after a stop signal waits its whole timeout again (no restart block)",
    );
    t.add(
        sysno::PPOLL,
        sys_ppoll,
        &[Arg::Ptr, Arg::Int, Arg::Ptr, Arg::Ptr, Arg::Int],
    );
    t.add(
        sysno::SELECT,
        sys_select,
        &[Arg::Int, Arg::Ptr, Arg::Ptr, Arg::Ptr, Arg::Ptr],
    );
    t.add(
        sysno::PSELECT6,
        sys_pselect6,
        &[Arg::Int, Arg::Ptr, Arg::Ptr, Arg::Ptr, Arg::Ptr, Arg::Ptr],
    );
}

const POLLIN: u32 = libc::POLLIN as u32;
const POLLPRI: u32 = libc::POLLPRI as u32;
const POLLOUT: u32 = libc::POLLOUT as u32;
const POLLERR: u32 = libc::POLLERR as u32;
const POLLHUP: u32 = libc::POLLHUP as u32;
const POLLNVAL: u32 = libc::POLLNVAL as u32;
const POLLRDNORM: u32 = libc::POLLRDNORM as u32;
const POLLRDBAND: u32 = libc::POLLRDBAND as u32;
const POLLWRNORM: u32 = libc::POLLWRNORM as u32;
const POLLWRBAND: u32 = libc::POLLWRBAND as u32;

/// What select counts as readable, writable and exceptional.
const POLLIN_SET: u32 = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const POLLOUT_SET: u32 = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const POLLEX_SET: u32 = POLLPRI;

/// How long a wait may last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// Look once, never sleep.
    Zero,
    Never,
    At(Instant),
}

impl Timeout {
    /// A relative timeout from now (a zero one never sleeps).
    pub fn after(d: Duration) -> Timeout {
        if d.is_zero() {
            return Timeout::Zero;
        }
        match Instant::now().checked_add(d) {
            Some(at) => Timeout::At(at),
            None => Timeout::Never,
        }
    }

    /// From a validated timespec.
    pub fn from_timespec(ts: &Timespec) -> Timeout {
        Timeout::after(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    }

    /// Milliseconds as poll and epoll_wait take them (negative: forever).
    pub fn from_ms(ms: i32) -> Timeout {
        if ms < 0 {
            return Timeout::Never;
        }
        Timeout::after(Duration::from_millis(ms as u64))
    }

    pub fn deadline(self) -> Option<Instant> {
        match self {
            Timeout::At(at) => Some(at),
            _ => None,
        }
    }

    /// Time left (zero once passed; None for forever).
    fn remaining(self) -> Option<Duration> {
        match self {
            Timeout::Zero => Some(Duration::ZERO),
            Timeout::Never => None,
            Timeout::At(at) => Some(at.saturating_duration_since(Instant::now())),
        }
    }
}

/// A timespec from the application: EFAULT, or EINVAL if not normalised.
pub fn read_timespec(t: &Task, addr: u64) -> Result<Timespec, Errno> {
    let ts: Timespec = t.mm.read_obj(addr)?;
    if !crate::kernel::time::valid(&ts) {
        return Err(Errno::EINVAL);
    }
    Ok(ts)
}

/// Install the temporary signal mask of ppoll, pselect6 and epoll_pwait
/// (none if `addr` is 0); returns the mask to put back.
pub fn set_temp_sigmask(t: &mut Task, addr: u64, size: u64) -> Result<Option<SigSet>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let m: u64 = t.mm.read_obj(addr)?;
    let old = t.sigmask();
    t.set_sigmask(SigSet(m));
    Ok(Some(old))
}

/// Put back the mask `set_temp_sigmask` replaced. If the call was
/// interrupted the temporary mask stays until the signal is handled: the
/// handler runs under it and the old one returns after (Linux's saved mask).
pub fn restore_sigmask(t: &mut Task, old: Option<SigSet>, interrupted: bool) {
    let Some(old) = old else { return };
    if interrupted {
        t.tg.sig.lock().task_mut(t.tid).saved_mask = Some(old);
    } else {
        t.set_sigmask(old);
    }
}

/// Wait until a watched file has an event in its mask, or the timeout.
/// `ready[i]` gets file i's events (0 for None). ERESTARTNOHAND on a signal.
fn wait_files(
    t: &mut Task,
    files: &[Option<(Arc<File>, u32)>],
    timeout: Timeout,
    ready: &mut [u32],
) -> Result<(), Errno> {
    let mut entries = Vec::new();
    let mut registered = false;
    let mut timed_out = false;
    loop {
        let mut any = false;
        for (slot, r) in files.iter().zip(ready.iter_mut()) {
            *r = match slot {
                Some((f, mask)) => f.ops.poll(f) & mask,
                None => 0,
            };
            any |= *r != 0;
        }
        if any || timed_out || timeout == Timeout::Zero {
            return Ok(());
        }
        if !registered {
            for (f, mask) in files.iter().flatten() {
                if let Some(q) = f.ops.wait_queue() {
                    entries.push(q.register(&t.shared, *mask as u64));
                }
            }
            registered = true;
            // Look again now that no notification can be missed.
            continue;
        }
        match t.block(timeout.deadline()) {
            Ok(()) => {}
            Err(Errno::ETIMEDOUT) => timed_out = true,
            Err(_) => return Err(Errno::ERESTARTNOHAND),
        }
    }
}

/// An open fd for poll and select (O_PATH descriptors do not count).
fn pollable(t: &Task, fd: i32) -> Option<Arc<File>> {
    t.fds.get(fd).ok().filter(|f| !f.is_path_only())
}

/// Write the time left back to the application, as Linux's
/// poll_select_finish does; an interruption that cannot record the time
/// left becomes EINTR (it could not be restarted correctly).
fn finish(t: &Task, timeout: Timeout, addr: u64, timeval: bool, res: SysResult) -> SysResult {
    if addr == 0 || timeout == Timeout::Zero {
        return res;
    }
    let Some(left) = timeout.remaining() else {
        return res;
    };
    let ok = if timeval {
        let tv = Timeval {
            tv_sec: left.as_secs() as i64,
            tv_usec: left.subsec_micros() as i64,
        };
        t.mm.write_obj(addr, &tv).is_ok()
    } else {
        let ts = Timespec {
            tv_sec: left.as_secs() as i64,
            tv_nsec: left.subsec_nanos() as i64,
        };
        t.mm.write_obj(addr, &ts).is_ok()
    };
    match res {
        Err(Errno::ERESTARTNOHAND) if !ok => Err(Errno::EINTR),
        r => r,
    }
}

// ---- poll ----

/// poll's core: read the pollfd array, wait, write revents back.
fn do_poll(t: &mut Task, addr: u64, nfds: u32, timeout: Timeout) -> SysResult {
    if nfds as u64 > t.tg.limits.lock().cur(RLIMIT_NOFILE) {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; nfds as usize * 8];
    t.mm.read_bytes(addr, &mut raw)?;
    let mut files = Vec::with_capacity(nfds as usize);
    let mut nval = Vec::with_capacity(nfds as usize);
    for e in raw.chunks_exact(8) {
        let fd = i32::from_ne_bytes([e[0], e[1], e[2], e[3]]);
        let events = u16::from_ne_bytes([e[4], e[5]]) as u32;
        let (slot, bad) = if fd < 0 {
            (None, false)
        } else {
            match pollable(t, fd) {
                Some(f) => (Some((f, events | POLLERR | POLLHUP)), false),
                None => (None, true),
            }
        };
        files.push(slot);
        nval.push(bad);
    }
    let mut ready = vec![0u32; files.len()];
    // A bad descriptor is an event: do not sleep.
    let timeout = if nval.iter().any(|&b| b) {
        Timeout::Zero
    } else {
        timeout
    };
    wait_files(t, &files, timeout, &mut ready)?;
    let mut count = 0u64;
    for ((e, r), bad) in raw.chunks_exact_mut(8).zip(&ready).zip(&nval) {
        let revents = if *bad { POLLNVAL } else { *r };
        if revents != 0 {
            count += 1;
        }
        e[6..8].copy_from_slice(&(revents as u16).to_ne_bytes());
    }
    t.mm.write_bytes(addr, &raw)?;
    Ok(count)
}

fn sys_poll(t: &mut Task, a: &SyscallArgs) -> SysResult {
    do_poll(t, a.u64(0), a.u32(1), Timeout::from_ms(a.i32(2)))
}

fn sys_ppoll(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (fds, nfds, tsp, mask, masksize) = (a.u64(0), a.u32(1), a.u64(2), a.u64(3), a.u64(4));
    let timeout = if tsp != 0 {
        Timeout::from_timespec(&read_timespec(t, tsp)?)
    } else {
        Timeout::Never
    };
    let old = set_temp_sigmask(t, mask, masksize)?;
    let res = do_poll(t, fds, nfds, timeout);
    restore_sigmask(t, old, res == Err(Errno::ERESTARTNOHAND));
    finish(t, timeout, tsp, false, res)
}

// ---- select ----

/// Linux never looks at bits beyond the size of the fd table, which grows
/// in powers of two from 64: closed fds out there are not EBADF.
fn fdtable_size(t: &Task) -> usize {
    let highest = t
        .fds
        .fds()
        .iter()
        .map(|(fd, _)| *fd as usize + 1)
        .max()
        .unwrap_or(0);
    highest.next_power_of_two().max(64)
}

/// An fd_set of `n` bits (0: none given).
fn read_fd_set(t: &Task, addr: u64, n: usize) -> Result<Option<Vec<u64>>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let words = n.div_ceil(64);
    let mut raw = vec![0u8; words * 8];
    t.mm.read_bytes(addr, &mut raw)?;
    Ok(Some(
        raw.chunks_exact(8)
            .map(|c| u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect(),
    ))
}

fn write_fd_set(t: &Task, addr: u64, set: &[u64]) -> Result<(), Errno> {
    if addr == 0 {
        return Ok(());
    }
    let raw: Vec<u8> = set.iter().flat_map(|w| w.to_ne_bytes()).collect();
    t.mm.write_bytes(addr, &raw)
}

fn bit(set: &Option<Vec<u64>>, fd: usize) -> bool {
    set.as_ref()
        .and_then(|s| s.get(fd / 64))
        .is_some_and(|w| w & (1 << (fd % 64)) != 0)
}

fn do_select(t: &mut Task, n: i32, inp: u64, outp: u64, exp: u64, timeout: Timeout) -> SysResult {
    if n < 0 {
        return Err(Errno::EINVAL);
    }
    let n = (n as usize).min(fdtable_size(t));
    let sets = [
        read_fd_set(t, inp, n)?,
        read_fd_set(t, outp, n)?,
        read_fd_set(t, exp, n)?,
    ];
    let mut fds = Vec::new();
    let mut files = Vec::new();
    for fd in 0..n {
        let (r, w, x) = (bit(&sets[0], fd), bit(&sets[1], fd), bit(&sets[2], fd));
        if !(r || w || x) {
            continue;
        }
        let f = pollable(t, fd as i32).ok_or(Errno::EBADF)?;
        let mut mask = POLLEX_SET;
        if r {
            mask |= POLLIN_SET;
        }
        if w {
            mask |= POLLOUT_SET;
        }
        fds.push((fd, r, w, x));
        files.push(Some((f, mask)));
    }
    let mut ready = vec![0u32; files.len()];
    wait_files(t, &files, timeout, &mut ready)?;
    let words = n.div_ceil(64);
    let mut out = [vec![0u64; words], vec![0u64; words], vec![0u64; words]];
    let mut count = 0u64;
    for (&(fd, r, w, x), &ev) in fds.iter().zip(&ready) {
        let hits = [
            r && ev & POLLIN_SET != 0,
            w && ev & POLLOUT_SET != 0,
            x && ev & POLLEX_SET != 0,
        ];
        for (set, hit) in out.iter_mut().zip(hits) {
            if hit {
                if let Some(word) = set.get_mut(fd / 64) {
                    *word |= 1 << (fd % 64);
                }
                count += 1;
            }
        }
    }
    write_fd_set(t, inp, &out[0])?;
    write_fd_set(t, outp, &out[1])?;
    write_fd_set(t, exp, &out[2])?;
    Ok(count)
}

fn sys_select(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let tvp = a.u64(4);
    let timeout = if tvp != 0 {
        let tv: Timeval = t.mm.read_obj(tvp)?;
        // Microseconds past a second carry over, as Linux normalises them.
        let sec = tv.tv_sec.saturating_add(tv.tv_usec / 1_000_000);
        let nsec = (tv.tv_usec % 1_000_000) * 1000;
        let ts = Timespec {
            tv_sec: sec,
            tv_nsec: nsec,
        };
        if !crate::kernel::time::valid(&ts) {
            return Err(Errno::EINVAL);
        }
        Timeout::from_timespec(&ts)
    } else {
        Timeout::Never
    };
    let res = do_select(t, a.i32(0), a.u64(1), a.u64(2), a.u64(3), timeout);
    finish(t, timeout, tvp, true, res)
}

fn sys_pselect6(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (tsp, sig) = (a.u64(4), a.u64(5));
    // The sixth argument points to { const sigset_t *ss; size_t ss_len; }.
    let (mask, masksize) = if sig != 0 {
        let pack: [u64; 2] = t.mm.read_obj(sig)?;
        (pack[0], pack[1])
    } else {
        (0, 0)
    };
    let timeout = if tsp != 0 {
        Timeout::from_timespec(&read_timespec(t, tsp)?)
    } else {
        Timeout::Never
    };
    let old = set_temp_sigmask(t, mask, masksize)?;
    let res = do_select(t, a.i32(0), a.u64(1), a.u64(2), a.u64(3), timeout);
    restore_sigmask(t, old, res == Err(Errno::ERESTARTNOHAND));
    finish(t, timeout, tsp, false, res)
}
