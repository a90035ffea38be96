//! signalfd: a file that takes pending signals. Reading dequeues signals
//! in the file's mask from the *reading* task's queues (its own, then its
//! process's), exactly as delivery would (`kernel::posix_timer::dequeued`
//! included), and returns each as a 128-byte `struct signalfd_siginfo`.
//! Readiness is likewise the caller's: POLLIN while a signal in the mask is
//! pending for the task that polls.
//!
//! Every queued signal notifies `kernel::send::SIGNALFD_QUEUE`; blocked
//! readers and epoll entries wait there and re-check.
//!
//! May use: `vfs` (file interface), `mm` (I/O buffers), `kernel` (signal
//! state, the current task, wait queues), `fs::anon`.
//!
//! Lock order: `SignalFd::mask` is a leaf; signals are taken under
//! `ThreadGroup::sig` with it released.

use crate::kernel::current;
use crate::kernel::posix_timer;
use crate::kernel::send::SIGNALFD_QUEUE;
use crate::kernel::waiter::WaitQueue;
use crate::kernel::ThreadGroup;
use crate::mm::IoDst;
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::Attr;
use abi::signal::{
    SigInfo, SigSet, SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGKILL, SIGSEGV, SIGSTOP, SIGSYS, SIGTRAP,
};
use abi::Errno;
use parking_lot::Mutex;
use std::sync::Arc;

pub const SFD_CLOEXEC: u32 = libc::O_CLOEXEC as u32;
pub const SFD_NONBLOCK: u32 = libc::O_NONBLOCK as u32;

/// sizeof(struct signalfd_siginfo).
pub const SIGINFO_SIZE: usize = 128;

const POLLIN: u32 = libc::POLLIN as u32;

pub struct SignalFd {
    /// The signals it takes (never SIGKILL or SIGSTOP).
    mask: Mutex<SigSet>,
    /// Whose signals a read outside any task would take (unit tests).
    owner: (i32, std::sync::Weak<ThreadGroup>),
}

impl std::fmt::Debug for SignalFd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SignalFd({:#x})", self.mask.lock().0)
    }
}

fn without_unblockable(m: SigSet) -> SigSet {
    SigSet(m.0 & !(SigSet::bit(SIGKILL) | SigSet::bit(SIGSTOP)))
}

impl SignalFd {
    pub fn new(mask: SigSet, tid: i32, tg: &Arc<ThreadGroup>) -> SignalFd {
        SignalFd {
            mask: Mutex::new(without_unblockable(mask)),
            owner: (tid, Arc::downgrade(tg)),
        }
    }

    /// signalfd(fd, mask): a new mask for an existing signalfd.
    pub fn set_mask(&self, mask: SigSet) {
        *self.mask.lock() = without_unblockable(mask);
        SIGNALFD_QUEUE.notify(POLLIN as u64);
    }

    pub fn mask(&self) -> SigSet {
        *self.mask.lock()
    }

    /// The task whose signals are read and polled: the caller's.
    fn reader(&self) -> Option<(i32, Arc<ThreadGroup>)> {
        match current::get() {
            Some(c) => Some((c.tid, c.tg)),
            None => self.owner.1.upgrade().map(|tg| (self.owner.0, tg)),
        }
    }

    /// Take one pending signal in the mask (the task's own first).
    fn take(&self, tid: i32, tg: &ThreadGroup) -> Option<SigInfo> {
        let blocked = SigSet(!self.mask().0);
        loop {
            let info = {
                let mut st = tg.sig.lock();
                if let Some(sig) = st.tasks.get(&tid).and_then(|t| t.pending.next(blocked)) {
                    st.task_mut(tid).pending.take(sig)
                } else {
                    let sig = st.shared.next(blocked)?;
                    st.shared.take(sig)
                }
            }?;
            if let Some(i) = posix_timer::dequeued(tg, info) {
                return Some(i);
            }
        }
    }
}

/// Linux's siginfo_layout: which union member a siginfo carries.
#[derive(Debug, PartialEq, Eq)]
enum Layout {
    Kill,
    Timer,
    Poll,
    Fault,
    Chld,
    Rt,
    Sys,
}

const SI_USER: i32 = 0;
const SI_KERNEL: i32 = 0x80;
const SI_TIMER: i32 = -2;
const SI_SIGIO: i32 = -5;
const SIGPOLL: i32 = 29;

fn layout(sig: i32, code: i32) -> Layout {
    if code > SI_USER && code < SI_KERNEL {
        // Per-signal kernel codes, up to each signal's last defined one.
        let (limit, l) = match sig {
            SIGILL => (11, Layout::Fault),
            SIGFPE => (15, Layout::Fault),
            SIGSEGV => (10, Layout::Fault),
            SIGBUS => (5, Layout::Fault),
            SIGTRAP => (6, Layout::Fault),
            SIGCHLD => (6, Layout::Chld),
            SIGPOLL => (6, Layout::Poll),
            SIGSYS => (2, Layout::Sys),
            _ => (0, Layout::Kill),
        };
        if code <= limit {
            l
        } else if code <= 6 {
            Layout::Poll
        } else {
            Layout::Kill
        }
    } else if code == SI_TIMER {
        Layout::Timer
    } else if code == SI_SIGIO {
        Layout::Poll
    } else if code < 0 {
        Layout::Rt
    } else {
        Layout::Kill
    }
}

/// Lay `info` out as a `struct signalfd_siginfo`.
pub fn encode(info: &SigInfo) -> [u8; SIGINFO_SIZE] {
    let mut b = [0u8; SIGINFO_SIZE];
    let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
    put(0, &(info.signo as u32).to_ne_bytes());
    put(4, &info.errno.to_ne_bytes());
    put(8, &info.code.to_ne_bytes());
    let f = &info.fields;
    let lo = |x: u64| (x as u32).to_ne_bytes();
    let hi = |x: u64| ((x >> 32) as u32).to_ne_bytes();
    match layout(info.signo, info.code) {
        Layout::Kill => {
            put(12, &lo(f[0])); // ssi_pid
            put(16, &hi(f[0])); // ssi_uid
        }
        Layout::Timer => {
            put(24, &lo(f[0])); // ssi_tid (the timer id)
            put(32, &hi(f[0])); // ssi_overrun
            put(48, &f[1].to_ne_bytes()); // ssi_ptr
            put(44, &lo(f[1])); // ssi_int
        }
        Layout::Poll => {
            put(28, &lo(f[0])); // ssi_band
            put(20, &lo(f[1])); // ssi_fd
        }
        Layout::Fault => put(72, &f[0].to_ne_bytes()), // ssi_addr
        Layout::Chld => {
            put(12, &lo(f[0]));
            put(16, &hi(f[0]));
            put(40, &lo(f[1])); // ssi_status
            put(56, &f[2].to_ne_bytes()); // ssi_utime
            put(64, &f[3].to_ne_bytes()); // ssi_stime
        }
        Layout::Rt => {
            put(12, &lo(f[0]));
            put(16, &hi(f[0]));
            put(48, &f[1].to_ne_bytes());
            put(44, &lo(f[1]));
        }
        Layout::Sys => {
            put(88, &f[0].to_ne_bytes()); // ssi_call_addr
            put(84, &lo(f[1])); // ssi_syscall
            put(96, &hi(f[1])); // ssi_arch
        }
    }
    b
}

impl FileOps for SignalFd {
    /// As many whole records as fit; the first may wait (EAGAIN here,
    /// `syscalls::blocking` waits), the others never do.
    fn read(&self, _f: &File, dst: &mut IoDst, _off: i64) -> Result<u64, Errno> {
        let room = dst.remaining() / SIGINFO_SIZE as u64;
        if room == 0 {
            return Err(Errno::EINVAL);
        }
        let Some((tid, tg)) = self.reader() else {
            return Err(Errno::EAGAIN);
        };
        let mut total = 0u64;
        for _ in 0..room {
            let Some(info) = self.take(tid, &tg) else {
                break;
            };
            // The signal is gone even if the copy faults, as on Linux.
            match dst.put(&encode(&info)) {
                Ok(n) if n == SIGINFO_SIZE => total += n as u64,
                Ok(_) | Err(_) => {
                    return if total > 0 {
                        Ok(total)
                    } else {
                        Err(Errno::EFAULT)
                    }
                }
            }
        }
        if total == 0 {
            return Err(Errno::EAGAIN);
        }
        Ok(total)
    }

    fn seekable(&self) -> bool {
        false
    }

    /// lseek is a no-op returning 0 (Linux's noop_llseek).
    fn own_position(&self) -> bool {
        true
    }

    fn seek(&self, _f: &File, _off: i64, _whence: i32) -> Result<i64, Errno> {
        Ok(0)
    }

    fn poll(&self, _f: &File) -> u32 {
        let Some((tid, tg)) = self.reader() else {
            return 0;
        };
        let blocked = SigSet(!self.mask().0);
        let st = tg.sig.lock();
        let own = st
            .tasks
            .get(&tid)
            .is_some_and(|t| t.pending.next(blocked).is_some());
        if own || st.shared.next(blocked).is_some() {
            POLLIN
        } else {
            0
        }
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&SIGNALFD_QUEUE)
    }

    fn attr(&self) -> Result<Attr, Errno> {
        Ok(crate::fs::anon::attr())
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("[signalfd]")
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi::signal::{SIGUSR1, SIGUSR2};

    #[test]
    fn layouts_follow_linux() {
        assert_eq!(layout(SIGUSR1, 0), Layout::Kill);
        assert_eq!(layout(SIGUSR1, -1), Layout::Rt);
        assert_eq!(layout(34, SI_TIMER), Layout::Timer);
        assert_eq!(layout(SIGSEGV, 1), Layout::Fault);
        assert_eq!(layout(SIGCHLD, 1), Layout::Chld);
        assert_eq!(layout(SIGUSR1, SI_KERNEL), Layout::Kill);
        assert_eq!(layout(SIGSEGV, 0x80), Layout::Kill);
    }

    #[test]
    fn encodes_queued_values() {
        let mut i = SigInfo {
            signo: 34,
            code: -1,
            ..Default::default()
        };
        i.set_pid_uid(7, 1000);
        i.fields[1] = 42;
        let b = encode(&i);
        assert_eq!(u32::from_ne_bytes(b[0..4].try_into().unwrap()), 34);
        assert_eq!(i32::from_ne_bytes(b[8..12].try_into().unwrap()), -1);
        assert_eq!(u32::from_ne_bytes(b[12..16].try_into().unwrap()), 7);
        assert_eq!(u32::from_ne_bytes(b[16..20].try_into().unwrap()), 1000);
        assert_eq!(i32::from_ne_bytes(b[44..48].try_into().unwrap()), 42);
        assert_eq!(u64::from_ne_bytes(b[48..56].try_into().unwrap()), 42);
    }

    #[test]
    fn reads_take_masked_signals_only() {
        let tg = ThreadGroup::new(
            5,
            Default::default(),
            Default::default(),
            std::sync::Weak::new(),
        );
        let fd = SignalFd::new(SigSet(SigSet::bit(SIGUSR1) | SigSet::bit(SIGKILL)), 5, &tg);
        assert_eq!(fd.mask().0, SigSet::bit(SIGUSR1));
        {
            let mut st = tg.sig.lock();
            st.shared.push(
                SigInfo {
                    signo: SIGUSR2,
                    ..Default::default()
                },
                8,
            );
            st.task_mut(5).pending.push(
                SigInfo {
                    signo: SIGUSR1,
                    ..Default::default()
                },
                8,
            );
        }
        let f = File::new(Box::new(fd), None, None, libc::O_RDWR as u32);
        assert_eq!(f.ops.poll(&f), POLLIN);
        let mut buf = [0u8; 300];
        assert_eq!(f.ops.read(&f, &mut IoDst::buf(&mut buf), 0), Ok(128));
        assert_eq!(buf[0] as i32, SIGUSR1);
        assert_eq!(
            f.ops.read(&f, &mut IoDst::buf(&mut buf), 0),
            Err(Errno::EAGAIN)
        );
        assert_eq!(
            f.ops.read(&f, &mut IoDst::buf(&mut buf[..100]), 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(f.ops.poll(&f), 0);
        assert!(tg.sig.lock().shared.set.has(SIGUSR2));
    }
}
