//! Interval timers of a thread group (setitimer/getitimer/alarm):
//! ITIMER_REAL on the timer service, ITIMER_VIRTUAL and ITIMER_PROF
//! sampled from the address space's CPU clocks every few milliseconds.

use super::send;
use super::thread_group::ThreadGroup;
use super::timers::{self, TimerId};
use crate::mm::Mm;
use abi::signal::{SIGALRM, SIGPROF, SIGVTALRM, SI_KERNEL};
use parking_lot::Mutex;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

pub const ITIMER_REAL: usize = 0;
pub const ITIMER_VIRTUAL: usize = 1;
pub const ITIMER_PROF: usize = 2;

/// How often CPU-time timers look at the clock.
const CPU_TICK: Duration = Duration::from_millis(4);

#[derive(Default)]
struct One {
    /// Real: host instant; CPU timers: nanoseconds on the CPU clock.
    real_deadline: Option<Instant>,
    cpu_deadline: Option<u64>,
    interval: Duration,
    timer: Option<TimerId>,
    /// Bumped on every change, so a stale callback does nothing.
    gen: u64,
    /// The address space whose CPU time a CPU timer counts.
    mm: Option<Arc<Mm>>,
}

#[derive(Default)]
pub struct ITimers {
    t: Mutex<[One; 3]>,
}

impl std::fmt::Debug for ITimers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ITimers")
    }
}

fn cpu_now(mm: &Mm, which: usize) -> u64 {
    match mm.aspace.cpu_time() {
        Some((user, total)) => {
            if which == ITIMER_VIRTUAL {
                user
            } else {
                total
            }
        }
        None => 0,
    }
}

fn signal_for(which: usize) -> i32 {
    match which {
        ITIMER_REAL => SIGALRM,
        ITIMER_VIRTUAL => SIGVTALRM,
        _ => SIGPROF,
    }
}

fn arm_callback(tg: Weak<ThreadGroup>, which: usize, gen: u64, at: Instant) -> TimerId {
    timers::schedule(at, move || fire(tg, which, gen))
}

fn fire(tgw: Weak<ThreadGroup>, which: usize, gen: u64) {
    let Some(tg) = tgw.upgrade() else { return };
    if tg.is_zombie() {
        return;
    }
    let mut send_sig = false;
    {
        let mut ts = tg.itimers.t.lock();
        let one = &mut ts[which];
        if one.gen != gen {
            return;
        }
        one.timer = None;
        if which == ITIMER_REAL {
            send_sig = true;
            if one.interval.is_zero() {
                one.real_deadline = None;
            } else {
                let next = one.real_deadline.unwrap_or_else(Instant::now) + one.interval;
                let next = next.max(Instant::now());
                one.real_deadline = Some(next);
                one.timer = Some(arm_callback(tgw.clone(), which, gen, next));
            }
        } else if let (Some(dl), Some(mm)) = (one.cpu_deadline, one.mm.clone()) {
            let now = cpu_now(&mm, which);
            if now >= dl {
                send_sig = true;
                if one.interval.is_zero() {
                    one.cpu_deadline = None;
                } else {
                    one.cpu_deadline = Some(dl.max(now) + one.interval.as_nanos() as u64);
                }
            }
            if one.cpu_deadline.is_some() {
                one.timer = Some(arm_callback(
                    tgw.clone(),
                    which,
                    gen,
                    Instant::now() + CPU_TICK,
                ));
            }
        }
    }
    if send_sig {
        send::send(&tg, None, send::kernel_info(signal_for(which), SI_KERNEL));
    }
}

impl ITimers {
    /// (remaining, interval) of timer `which`.
    pub fn get(&self, which: usize) -> (Duration, Duration) {
        let ts = self.t.lock();
        let one = &ts[which];
        let left = if which == ITIMER_REAL {
            one.real_deadline
                .map(|d| d.saturating_duration_since(Instant::now()))
                .unwrap_or_default()
        } else {
            match (one.cpu_deadline, &one.mm) {
                (Some(dl), Some(mm)) => Duration::from_nanos(dl.saturating_sub(cpu_now(mm, which))),
                _ => Duration::ZERO,
            }
        };
        // An armed timer never reports zero left.
        let armed = one.real_deadline.is_some() || one.cpu_deadline.is_some();
        let left = if armed && left.is_zero() {
            Duration::from_micros(1)
        } else {
            left
        };
        (left, one.interval)
    }

    /// Arm (value > 0) or disarm timer `which`; returns the old (remaining, interval).
    pub fn set(
        &self,
        tg: &Arc<ThreadGroup>,
        mm: &Arc<Mm>,
        which: usize,
        value: Duration,
        interval: Duration,
    ) -> (Duration, Duration) {
        let old = self.get(which);
        let mut ts = self.t.lock();
        let one = &mut ts[which];
        one.gen += 1;
        if let Some(id) = one.timer.take() {
            timers::cancel(id);
        }
        one.real_deadline = None;
        one.cpu_deadline = None;
        one.interval = interval;
        if !value.is_zero() {
            let gen = one.gen;
            if which == ITIMER_REAL {
                let at = Instant::now() + value;
                one.real_deadline = Some(at);
                one.timer = Some(arm_callback(Arc::downgrade(tg), which, gen, at));
            } else {
                one.mm = Some(mm.clone());
                one.cpu_deadline = Some(cpu_now(mm, which) + value.as_nanos() as u64);
                one.timer = Some(arm_callback(
                    Arc::downgrade(tg),
                    which,
                    gen,
                    Instant::now() + CPU_TICK,
                ));
            }
        } else {
            one.mm = None;
        }
        old
    }
}
