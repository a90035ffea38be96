//! POSIX interval timers of a process (timer_create, timer_settime,
//! timer_gettime, timer_getoverrun, timer_delete).
//!
//! Real-time clocks (REALTIME, MONOTONIC, BOOTTIME, TAI) all advance with
//! the host's monotonic clock here, since the sandbox cannot set clocks;
//! absolute settings are converted once, when the timer is armed. They run
//! on the kernel timer service. CPU-time clocks are sampled from the
//! address space's CPU clocks every few milliseconds, as `itimer.rs` does.
//!
//! Signals follow Linux: a timer has at most one signal queued; expirations
//! while it waits are counted and reported as `si_overrun` when the signal
//! is taken (`dequeued`, called by every path that dequeues a signal), and
//! that count is what timer_getoverrun returns afterwards. A signal queued
//! before the timer was re-armed or deleted is dropped when taken.
//!
//! May use: `kernel` (thread groups, sending signals, the timer service),
//! `mm` (CPU clocks of an address space).
//!
//! Lock order: `PosixTimers::st` → `ThreadGroup::sig` (a firing timer looks
//! whether its signal is still pending); signals are sent and dequeue hooks
//! run with neither held by the caller.

use super::send;
use super::thread_group::ThreadGroup;
use super::timers::{self, TimerId};
use crate::mm::Mm;
use abi::signal::SigInfo;
use abi::Errno;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, Weak};
use std::time::{Duration, Instant};

/// si_code of a timer's signal.
pub const SI_TIMER: i32 = -2;
pub const SIGEV_SIGNAL: i32 = 0;
pub const SIGEV_NONE: i32 = 1;
pub const SIGEV_THREAD: i32 = 2;
pub const SIGEV_THREAD_ID: i32 = 4;

/// How often CPU-time timers look at the clock.
const CPU_TICK: Duration = Duration::from_millis(4);
/// A periodic timer's callback runs at most this often; expirations in
/// between are counted as overruns, as they would be if the signal waited.
const MIN_GAP: Duration = Duration::from_micros(100);
/// The largest overrun reported (Linux's DELAYTIMER_MAX).
const DELAYTIMER_MAX: u64 = i32::MAX as u64;
/// Marks our own signals in `si_sys_private`'s upper half, so a siginfo an
/// application queued to itself with SI_TIMER is left alone.
const MARK: u64 = 0x7276_746d << 32;
/// Most timers one process may have (Linux charges them to RLIMIT_SIGPENDING).
const MAX_TIMERS: usize = 1 << 16;

/// Origin of the real-time domain: nanoseconds since this instant.
static BASE: LazyLock<Instant> = LazyLock::new(Instant::now);

/// Now on the host monotonic clock, in nanoseconds since `BASE`.
pub fn mono_ns() -> i128 {
    Instant::now().saturating_duration_since(*BASE).as_nanos() as i128
}

fn instant_of(ns: i128) -> Instant {
    *BASE + Duration::from_nanos(ns.clamp(0, u64::MAX as i128) as u64)
}

/// What a timer measures.
#[derive(Clone)]
pub enum TimerClock {
    /// Host monotonic time (see the module comment).
    Real,
    /// CPU time of an address space: user time only (`virt`), or user + system.
    Cpu { mm: Arc<Mm>, virt: bool },
}

impl TimerClock {
    /// Now on this clock, in nanoseconds (the real domain for `Real`).
    pub fn now(&self) -> i128 {
        match self {
            TimerClock::Real => mono_ns(),
            TimerClock::Cpu { mm, virt } => match mm.aspace.cpu_time() {
                Some((user, total)) => i128::from(if *virt { user } else { total }),
                None => 0,
            },
        }
    }
}

/// How a timer tells of its expirations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notify {
    /// SIGEV_NONE: only timer_gettime sees it.
    None,
    /// A signal to the process, or to one of its threads.
    Signal {
        signo: i32,
        value: u64,
        tid: Option<i32>,
    },
}

struct Timer {
    /// The clock id it was created with (for converting absolute times).
    clockid: i32,
    clock: TimerClock,
    notify: Notify,
    /// Next expiry on the clock (nanoseconds; real domain for real clocks).
    next: Option<i128>,
    /// Period in nanoseconds; 0 for a one-shot timer.
    interval: i128,
    /// Expirations since the queued signal was queued.
    overrun: u64,
    /// What timer_getoverrun reports.
    overrun_last: u64,
    /// A signal of this timer is queued and not yet taken.
    queued: bool,
    /// Bumped by every timer_settime: older callbacks and signals are stale.
    gen: u32,
    cb: Option<TimerId>,
}

impl Timer {
    /// Expirations up to `now`; advances `next`.
    fn settle(&mut self, now: i128) -> u64 {
        let Some(n) = self.next else { return 0 };
        if now < n {
            return 0;
        }
        if self.interval <= 0 {
            self.next = None;
            return 1;
        }
        let k = (now - n) / self.interval + 1;
        self.next = Some(n + k * self.interval);
        u64::try_from(k).unwrap_or(u64::MAX)
    }

    fn cancel(&mut self) {
        if let Some(id) = self.cb.take() {
            timers::cancel(id);
        }
    }
}

#[derive(Default)]
struct Table {
    timers: BTreeMap<i32, Timer>,
    /// Linux hands out ids per process, counting up from 0.
    next_id: i32,
}

/// The POSIX timers of one thread group.
#[derive(Default)]
pub struct PosixTimers {
    st: Mutex<Table>,
}

impl std::fmt::Debug for PosixTimers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PosixTimers({})", self.st.lock().timers.len())
    }
}

/// Whether a signal `signo` for `tid` (or the process) is still pending.
fn still_pending(tg: &ThreadGroup, signo: i32, tid: Option<i32>) -> bool {
    let st = tg.sig.lock();
    match tid {
        Some(t) => st.tasks.get(&t).is_some_and(|ts| ts.pending.set.has(signo)),
        None => st.shared.set.has(signo),
    }
}

fn schedule(tg: Weak<ThreadGroup>, id: i32, tm: &mut Timer) {
    let Some(next) = tm.next else { return };
    if matches!(tm.notify, Notify::None) {
        return;
    }
    let gen = tm.gen;
    let at = match tm.clock {
        TimerClock::Real => instant_of(next).max(
            Instant::now()
                + if tm.interval > 0 {
                    MIN_GAP
                } else {
                    Duration::ZERO
                },
        ),
        TimerClock::Cpu { .. } => Instant::now() + CPU_TICK,
    };
    tm.cb = Some(timers::schedule(at, move || fire(tg, id, gen)));
}

fn fire(tgw: Weak<ThreadGroup>, id: i32, gen: u32) {
    let Some(tg) = tgw.upgrade() else { return };
    if tg.group_exit_status().is_some() || tg.is_zombie() {
        return;
    }
    let out = {
        let mut tab = tg.posix_timers.st.lock();
        let Some(tm) = tab.timers.get_mut(&id) else {
            return;
        };
        if tm.gen != gen {
            return;
        }
        tm.cb = None;
        let n = tm.settle(tm.clock.now());
        let mut out = None;
        if let (true, Notify::Signal { signo, value, tid }) = (n > 0, tm.notify) {
            if tm.queued && still_pending(&tg, signo, tid) {
                tm.overrun = tm.overrun.saturating_add(n);
            } else {
                tm.queued = true;
                tm.overrun = n - 1;
                let mut info = SigInfo {
                    signo,
                    code: SI_TIMER,
                    ..Default::default()
                };
                info.fields[0] = u64::from(id as u32);
                info.fields[1] = value;
                info.fields[2] = MARK | u64::from(gen);
                out = Some((info, tid));
            }
        }
        schedule(tgw.clone(), id, tm);
        out
    };
    if let Some((info, tid)) = out {
        // A thread-directed timer whose thread is gone signals nobody.
        if tid.is_none_or(|t| tg.tasks.lock().iter().any(|s| s.tid == t)) {
            send::send(&tg, tid, info);
        }
    }
}

/// A signal was taken from a queue: fill in a timer signal's overrun (and
/// clear the private field), or drop it (None) if its timer was deleted or
/// re-armed since it was queued. Callers must not hold `tg.sig`.
pub fn dequeued(tg: &ThreadGroup, mut info: SigInfo) -> Option<SigInfo> {
    if info.code != SI_TIMER || info.fields[2] & !0xffff_ffff != MARK {
        return Some(info);
    }
    let id = info.fields[0] as u32 as i32;
    let gen = info.fields[2] as u32;
    info.fields[2] = 0;
    let mut tab = tg.posix_timers.st.lock();
    let tm = tab.timers.get_mut(&id).filter(|tm| tm.gen == gen)?;
    let ov = tm.overrun.min(DELAYTIMER_MAX);
    if tm.interval > 0 {
        tm.overrun_last = ov;
    }
    tm.overrun = 0;
    tm.queued = false;
    info.fields[0] = u64::from(id as u32) | (ov << 32);
    Some(info)
}

/// timer_settime's new setting.
#[derive(Clone, Copy, Debug)]
pub struct Setting {
    /// First expiry in nanoseconds: relative, or absolute on the timer's clock.
    pub value: i128,
    pub absolute: bool,
    /// Period in nanoseconds (0: one-shot).
    pub interval: i128,
    /// For absolute real-time settings: host monotonic (`mono_ns`) minus the
    /// timer's clock, now.
    pub real_offset: i128,
}

impl PosixTimers {
    /// timer_create's first step: a fresh id, consumed even if the
    /// creation then fails (as Linux does). EAGAIN beyond `limit` timers.
    pub fn alloc_id(&self, limit: usize) -> Result<i32, Errno> {
        let mut tab = self.st.lock();
        if tab.timers.len() >= limit.min(MAX_TIMERS) {
            return Err(Errno::EAGAIN);
        }
        let mut id = tab.next_id;
        while tab.timers.contains_key(&id) {
            id = id.wrapping_add(1) & i32::MAX;
        }
        tab.next_id = id.wrapping_add(1) & i32::MAX;
        Ok(id)
    }

    /// timer_create's last step: timer `id` (from `alloc_id`), disarmed.
    pub fn insert(&self, id: i32, clockid: i32, clock: TimerClock, notify: Notify) {
        let tm = Timer {
            clockid,
            clock,
            notify,
            next: None,
            interval: 0,
            overrun: 0,
            overrun_last: 0,
            queued: false,
            gen: 0,
            cb: None,
        };
        if let Some(mut old) = self.st.lock().timers.insert(id, tm) {
            old.cancel();
        }
    }

    /// The clock id timer `id` was created with (EINVAL: no such timer).
    pub fn clockid(&self, id: i32) -> Result<i32, Errno> {
        self.st
            .lock()
            .timers
            .get(&id)
            .map(|t| t.clockid)
            .ok_or(Errno::EINVAL)
    }

    fn current(tm: &mut Timer) -> (i128, i128) {
        let now = tm.clock.now();
        if matches!(tm.notify, Notify::None) {
            tm.settle(now);
        }
        let left = match tm.next {
            // An armed timer whose signal has not gone out yet reads 1 ns, as on Linux.
            Some(n) => (n - now).max(1),
            None => 0,
        };
        (left, tm.interval)
    }

    /// timer_gettime: (time left, period) in nanoseconds.
    pub fn get(&self, id: i32) -> Result<(i128, i128), Errno> {
        let mut tab = self.st.lock();
        let tm = tab.timers.get_mut(&id).ok_or(Errno::EINVAL)?;
        Ok(Self::current(tm))
    }

    /// timer_settime: arm (value > 0, or any absolute value) or disarm
    /// timer `id`; returns the old (time left, period).
    pub fn set(&self, tg: &Arc<ThreadGroup>, id: i32, s: Setting) -> Result<(i128, i128), Errno> {
        let mut tab = self.st.lock();
        let tm = tab.timers.get_mut(&id).ok_or(Errno::EINVAL)?;
        let old = Self::current(tm);
        tm.cancel();
        tm.gen = tm.gen.wrapping_add(1);
        tm.queued = false;
        tm.overrun = 0;
        tm.overrun_last = 0;
        // Disarming clears the period too.
        tm.interval = if s.value == 0 { 0 } else { s.interval };
        // A zero it_value disarms, absolute or not (Linux tests the timespec).
        tm.next = if s.value == 0 {
            None
        } else if s.absolute {
            Some(match tm.clock {
                TimerClock::Real => s.value + s.real_offset,
                TimerClock::Cpu { .. } => s.value,
            })
        } else {
            Some(tm.clock.now() + s.value)
        };
        if tm.next.is_some() {
            // A time already past fires now, from the timer thread.
            schedule(Arc::downgrade(tg), id, tm);
        }
        Ok(old)
    }

    /// timer_getoverrun.
    pub fn overrun(&self, id: i32) -> Result<u64, Errno> {
        self.st
            .lock()
            .timers
            .get(&id)
            .map(|t| t.overrun_last)
            .ok_or(Errno::EINVAL)
    }

    /// timer_delete.
    pub fn delete(&self, id: i32) -> Result<(), Errno> {
        let mut tm = self.st.lock().timers.remove(&id).ok_or(Errno::EINVAL)?;
        tm.cancel();
        Ok(())
    }

    /// Delete every timer (exec, exit).
    pub fn clear(&self) {
        let all = std::mem::take(&mut self.st.lock().timers);
        for (_, mut tm) in all {
            tm.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timer(interval: i128) -> Timer {
        Timer {
            clockid: 1,
            clock: TimerClock::Real,
            notify: Notify::None,
            next: Some(100),
            interval,
            overrun: 0,
            overrun_last: 0,
            queued: false,
            gen: 0,
            cb: None,
        }
    }

    #[test]
    fn settle_counts_missed_periods() {
        let mut t = timer(10);
        assert_eq!(t.settle(99), 0);
        assert_eq!(t.settle(100), 1);
        assert_eq!(t.next, Some(110));
        assert_eq!(t.settle(135), 3);
        assert_eq!(t.next, Some(140));
        let mut one = timer(0);
        assert_eq!(one.settle(1000), 1);
        assert_eq!(one.next, None);
        assert_eq!(one.settle(2000), 0);
    }

    #[test]
    fn ids_count_up_and_deleted_ids_are_not_reused_at_once() {
        let p = PosixTimers::default();
        let mk = |limit| {
            let id = p.alloc_id(limit)?;
            p.insert(id, 1, TimerClock::Real, Notify::None);
            Ok::<i32, Errno>(id)
        };
        assert_eq!((mk(10), mk(10)), (Ok(0), Ok(1)));
        assert_eq!(p.alloc_id(10), Ok(2));
        p.delete(0).unwrap();
        assert_eq!(p.delete(0), Err(Errno::EINVAL));
        assert_eq!(mk(10), Ok(3));
        assert_eq!(mk(2), Err(Errno::EAGAIN));
    }

    #[test]
    fn foreign_timer_codes_pass_through() {
        let tg = ThreadGroup::new(5, Default::default(), Default::default(), Weak::new());
        let info = SigInfo {
            signo: 34,
            code: SI_TIMER,
            ..Default::default()
        };
        assert_eq!(dequeued(&tg, info).map(|i| i.signo), Some(34));
        let mut ours = info;
        ours.fields[2] = MARK | 3;
        assert!(dequeued(&tg, ours).is_none());
    }
}
