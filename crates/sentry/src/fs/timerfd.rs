//! timerfd: a timer read as a file. A read returns the number of
//! expirations since the last read (8 bytes) and resets it; a read of zero
//! expirations blocks (or answers EAGAIN).
//!
//! Every clock advances with the host's monotonic clock (the sandbox cannot
//! set clocks, so CLOCK_REALTIME never jumps and TFD_TIMER_CANCEL_ON_SET
//! never cancels); absolute times are converted by the caller when the
//! timer is armed. Expirations are counted from the deadline and the
//! interval whenever the file is looked at, so a late timer thread loses
//! no ticks; the timer service only wakes readers.
//!
//! May use: `vfs` (file interface), `mm` (I/O buffers, ioctl arguments),
//! `kernel` (wait queues, the timer service), `fs::anon`.
//!
//! Lock order: `Inner::st` is a leaf; notifications happen after it is dropped.

use crate::kernel::timers::{self, TimerId};
use crate::kernel::waiter::WaitQueue;
use crate::mm::{IoDst, Mm};
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::Attr;
use abi::Errno;
use parking_lot::Mutex;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

pub const TFD_CLOEXEC: u32 = libc::O_CLOEXEC as u32;
pub const TFD_NONBLOCK: u32 = libc::O_NONBLOCK as u32;
pub const TFD_TIMER_ABSTIME: u32 = 1;
pub const TFD_TIMER_CANCEL_ON_SET: u32 = 2;
/// _IOW('T', 0, u64).
pub const TFD_IOC_SET_TICKS: u32 = 0x4008_5400;

const POLLIN: u32 = libc::POLLIN as u32;
/// A periodic timer's wake-ups come at most this often (the count is exact anyway).
const MIN_GAP: Duration = Duration::from_micros(100);

#[derive(Default)]
struct State {
    /// Next expiry.
    next: Option<Instant>,
    interval: Duration,
    /// Expirations not read yet.
    ticks: u64,
    /// Bumped by every settime, so a stale wake-up does nothing.
    gen: u64,
    wakeup: Option<TimerId>,
}

impl State {
    /// Count the expirations up to `now`.
    fn settle(&mut self, now: Instant) {
        let Some(next) = self.next else { return };
        if now < next {
            return;
        }
        if self.interval.is_zero() {
            self.next = None;
            self.ticks = self.ticks.saturating_add(1);
            return;
        }
        let iv = self.interval.as_nanos();
        let k = (now - next).as_nanos() / iv + 1;
        self.ticks = self
            .ticks
            .saturating_add(u64::try_from(k).unwrap_or(u64::MAX));
        let ahead = Duration::from_nanos(u64::try_from(k * iv).unwrap_or(u64::MAX));
        self.next = next.checked_add(ahead);
    }

    fn cancel(&mut self) {
        if let Some(id) = self.wakeup.take() {
            timers::cancel(id);
        }
    }
}

struct Inner {
    st: Mutex<State>,
    queue: WaitQueue,
}

impl Inner {
    /// Schedule the next wake-up (with `st` held).
    fn arm(me: &Arc<Inner>, st: &mut State) {
        st.cancel();
        let Some(next) = st.next else { return };
        let at = if st.interval.is_zero() {
            next
        } else {
            next.max(Instant::now() + MIN_GAP)
        };
        let (w, gen) = (Arc::downgrade(me), st.gen);
        st.wakeup = Some(timers::schedule(at, move || Inner::fire(w, gen)));
    }

    fn fire(w: Weak<Inner>, gen: u64) {
        let Some(me) = w.upgrade() else { return };
        let ready = {
            let mut st = me.st.lock();
            if st.gen != gen {
                return;
            }
            st.wakeup = None;
            st.settle(Instant::now());
            Inner::arm(&me, &mut st);
            st.ticks > 0
        };
        if ready {
            me.queue.notify(POLLIN as u64);
        }
    }
}

/// A timerfd's ops. `clock` is the clock id it was created with.
pub struct TimerFd {
    pub clock: i32,
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TimerFd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TimerFd(clock {})", self.clock)
    }
}

impl Drop for TimerFd {
    fn drop(&mut self) {
        self.inner.st.lock().cancel();
    }
}

impl TimerFd {
    pub fn new(clock: i32) -> TimerFd {
        TimerFd {
            clock,
            inner: Arc::new(Inner {
                st: Mutex::new(State::default()),
                queue: WaitQueue::new(),
            }),
        }
    }

    /// timerfd_gettime: (time to the next expiry, interval); zero when disarmed.
    pub fn get(&self) -> (Duration, Duration) {
        let mut st = self.inner.st.lock();
        let now = Instant::now();
        st.settle(now);
        let left = st
            .next
            .map(|n| n.saturating_duration_since(now))
            .unwrap_or_default();
        (left, st.interval)
    }

    /// timerfd_settime: first expiry at `first` (None disarms), then every
    /// `interval`. Unread expirations are dropped. Returns the old setting.
    pub fn set(&self, first: Option<Instant>, interval: Duration) -> (Duration, Duration) {
        let old = self.get();
        {
            let mut st = self.inner.st.lock();
            st.cancel();
            st.gen += 1;
            st.ticks = 0;
            st.next = first;
            st.interval = interval;
            st.settle(Instant::now());
            Inner::arm(&self.inner, &mut st);
        }
        if self.inner.st.lock().ticks > 0 {
            self.inner.queue.notify(POLLIN as u64);
        }
        old
    }
}

impl FileOps for TimerFd {
    fn read(&self, _f: &File, dst: &mut IoDst, _off: i64) -> Result<u64, Errno> {
        if dst.remaining() < 8 {
            return Err(Errno::EINVAL);
        }
        let v = {
            let mut st = self.inner.st.lock();
            st.settle(Instant::now());
            if st.ticks == 0 {
                return Err(Errno::EAGAIN);
            }
            std::mem::take(&mut st.ticks)
        };
        // As on Linux, the count is taken even if the copy then faults.
        if dst.put(&v.to_ne_bytes())? != 8 {
            return Err(Errno::EFAULT);
        }
        Ok(8)
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

    /// TFD_IOC_SET_TICKS: set the expiration count (not zero).
    fn ioctl(&self, _f: &File, mm: &Mm, cmd: u32, arg: u64) -> Result<u64, Errno> {
        if cmd != TFD_IOC_SET_TICKS {
            return Err(Errno::ENOTTY);
        }
        let ticks: u64 = mm.read_obj(arg)?;
        if ticks == 0 {
            return Err(Errno::EINVAL);
        }
        self.inner.st.lock().ticks = ticks;
        self.inner.queue.notify(POLLIN as u64);
        Ok(0)
    }

    fn poll(&self, _f: &File) -> u32 {
        let mut st = self.inner.st.lock();
        st.settle(Instant::now());
        if st.ticks > 0 {
            POLLIN
        } else {
            0
        }
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.inner.queue)
    }

    fn attr(&self) -> Result<Attr, Errno> {
        Ok(crate::fs::anon::attr())
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("[timerfd]")
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_expirations_and_resets_on_read() {
        let t = TimerFd::new(1);
        let f = File::new(Box::new(TimerFd::new(1)), None, None, libc::O_RDWR as u32);
        let mut b = [0u8; 8];
        assert_eq!(
            f.ops.read(&f, &mut IoDst::buf(&mut b), 0),
            Err(Errno::EAGAIN)
        );
        let past = Instant::now() - Duration::from_millis(35);
        t.set(Some(past), Duration::from_millis(10));
        let st = t.inner.st.lock();
        assert_eq!(st.ticks, 4);
        assert!(st.next.is_some_and(|n| n > Instant::now()));
        drop(st);
        t.set(None, Duration::ZERO);
        assert_eq!(t.inner.st.lock().ticks, 0);
        assert_eq!(t.get(), (Duration::ZERO, Duration::ZERO));
    }

    #[test]
    fn one_shot_fires_once() {
        let mut st = State {
            next: Some(Instant::now()),
            ..Default::default()
        };
        st.settle(Instant::now() + Duration::from_secs(5));
        assert_eq!((st.ticks, st.next), (1, None));
    }
}
