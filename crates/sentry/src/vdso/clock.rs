//! The vvar page: what the vDSO reads to tell the time without the Sentry.
//!
//! For each clock line (REALTIME; MONOTONIC, which BOOTTIME shares because
//! the sandbox never suspends; MONOTONIC_RAW) the page holds a base time in
//! ns at a reference TSC value and a multiplier: `ns = base + ((tsc - ref) *
//! mult) >> 32` (`vdso/vdso.c`). The COARSE clocks read the same lines.
//! The lines follow the clocks the Sentry's own clock_gettime reads (the
//! host's real time; the host's monotonic clocks less the sandbox's origin,
//! `syscalls/time.rs`).
//!
//! Calibration: every [`PERIOD`] the timer thread samples the TSC together
//! with the host clocks, measures the rate over the last period, and starts
//! new lines at the sample. A line never jumps back: if the old line has run
//! ahead of the host, the new one starts where the old one is and runs a
//! little slower so that it meets the host at the next sample (REALTIME
//! steps, as on Linux, when the host's real time was set by more than
//! [`STEP_NS`]). So the vDSO's values stay within the rate error of one
//! period (microseconds) of the syscall's, and each line is monotonic.
//!
//! The page is written under a seqlock (odd `seq` while the Sentry writes);
//! without a stable TSC, before the first calibration, or when a sample
//! makes no sense (the rate jumped: the host suspended or migrated), `flags`
//! says so and every vDSO function makes the real syscall.

use super::Vdso;
use crate::kernel::timers;
use abi::Errno;
use rustix::time::{clock_getres, clock_gettime, ClockId};
use std::sync::atomic::{fence, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

// Offsets in the page, as `struct vvar` of `vdso/vvar.h` lays it out.
pub const VV_SEQ: u64 = 0;
pub const VV_FLAGS: u64 = 4;
pub const VV_TSC_REF: u64 = 8;
pub const VV_COARSE_RES: u64 = 16;
pub const VV_CLOCKS: u64 = 32;
/// Bytes per clock line: `base_ns`, `mult`.
pub const VV_CLOCK_SIZE: u64 = 16;
/// `flags`: the lines may be used.
pub const CLOCKS_OK: u32 = 1;

/// Clock lines, in page order.
pub const REALTIME: usize = 0;
pub const MONOTONIC: usize = 1;
pub const MONOTONIC_RAW: usize = 2;
pub const NCLOCKS: usize = 3;

/// How often the lines are recomputed.
pub const PERIOD: Duration = Duration::from_secs(1);
/// The shortest span the first rate is measured over (at boot, before any
/// process runs); the next recalibrations come sooner than [`PERIOD`] to
/// refine it.
const FIRST_SPAN: Duration = Duration::from_millis(2);
const EARLY: [Duration; 2] = [Duration::from_millis(50), Duration::from_millis(250)];
const PERIOD_NS: f64 = 1e9;
/// A REALTIME line this far from the host's real time steps to it.
pub const STEP_NS: i128 = 1_000_000;
/// A measured rate this far (relative) from the last one restarts calibration.
const RATE_JUMP: f64 = 0.01;

/// One clock line at the page's reference TSC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    pub base_ns: u64,
    pub mult: u64,
}

impl Line {
    /// What the vDSO computes at `tsc` for this line taken at `tsc_ref`.
    pub fn at(&self, tsc_ref: u64, tsc: u64) -> u64 {
        let delta = tsc.wrapping_sub(tsc_ref);
        let delta = if (delta as i64) < 0 { 0 } else { delta };
        let add = (u128::from(delta) * u128::from(self.mult)) >> 32;
        self.base_ns.wrapping_add(add as u64)
    }
}

/// The TSC and the clocks (ns, line order) at one moment: the host's as
/// sampled, the sandbox's once [`Calibration`] has applied its origin.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub tsc: u64,
    pub ns: [i128; NCLOCKS],
}

/// What the page says: the reference TSC and the lines, or "use the syscall".
pub type Published = Option<(u64, [Line; NCLOCKS])>;

/// The calibration state (guarded by `Vdso::clock`, which also makes the
/// Sentry the page's single writer).
#[derive(Debug)]
pub struct Calibration {
    /// Host CLOCK_MONOTONIC ns at which the sandbox's reads 0.
    origin: i128,
    prev: Option<Sample>,
    /// The published lines and the monotonic rate they were made from.
    published: Option<(u64, [Line; NCLOCKS], f64)>,
}

impl Calibration {
    pub fn new(origin: i128) -> Calibration {
        Calibration {
            origin,
            prev: None,
            published: None,
        }
    }

    /// Fold in a new sample of the host's clocks; returns what the page
    /// should now say.
    pub fn update(&mut self, mut s: Sample) -> Published {
        s.ns[MONOTONIC] -= self.origin;
        s.ns[MONOTONIC_RAW] -= self.origin;
        let out = self.lines_for(s);
        self.prev = Some(s);
        self.published = out;
        out.map(|(r, l, _)| (r, l))
    }

    fn lines_for(&self, s: Sample) -> Option<(u64, [Line; NCLOCKS], f64)> {
        let p = self.prev?;
        let cycles = s.tsc.checked_sub(p.tsc).filter(|&c| c > 0)? as f64;
        // Host ns per TSC cycle over the last period; a TSC below 10 MHz
        // or a clock that did not advance is not believed.
        let rate = |i: usize| {
            let r = (s.ns[i] - p.ns[i]) as f64 / cycles;
            (r > 0.0 && r < 100.0).then_some(r)
        };
        let mono = rate(MONOTONIC)?;
        let raw = rate(MONOTONIC_RAW)?;
        if let Some((_, _, old)) = self.published {
            if (mono / old - 1.0).abs() > RATE_JUMP {
                return None;
            }
        }
        // NTP slews real time and monotonic time alike, so REALTIME runs at
        // the monotonic rate (its own would include any step of the clock).
        let rates = [mono, mono, raw];
        let mut lines = [Line {
            base_ns: 0,
            mult: 0,
        }; NCLOCKS];
        for (i, line) in lines.iter_mut().enumerate() {
            let host = s.ns[i];
            let old = self
                .published
                .map(|(r, l, _)| i128::from(l[i].at(r, s.tsc)));
            let base = match old {
                None => host,
                Some(o) if i == REALTIME && (host - o).abs() > STEP_NS => host,
                Some(o) => host.max(o),
            };
            // Ahead of the host by `err`: run slower to meet it a period on.
            let err = ((base - host) as f64).min(PERIOD_NS / 2.0);
            let r = rates[i] * (1.0 - err / PERIOD_NS);
            *line = Line {
                base_ns: u64::try_from(base).ok()?,
                mult: (r * 4_294_967_296.0).round() as u64,
            };
        }
        Some((s.tsc, lines, mono))
    }
}

fn host_ns(c: ClockId) -> i128 {
    let t = clock_gettime(c);
    i128::from(t.tv_sec) * 1_000_000_000 + i128::from(t.tv_nsec)
}

/// Read the TSC and the host clocks as close together as a few tries allow.
pub fn sample() -> Sample {
    let mut best: Option<(u64, Sample)> = None;
    for _ in 0..5 {
        let a = platform::tsc::rdtsc_ordered();
        let mono = host_ns(ClockId::Monotonic);
        let real = host_ns(ClockId::Realtime);
        let raw = host_ns(ClockId::MonotonicRaw);
        let b = platform::tsc::rdtsc_ordered();
        let width = b.wrapping_sub(a);
        if best.as_ref().is_none_or(|(w, _)| width < *w) {
            let mut ns = [0; NCLOCKS];
            ns[REALTIME] = real;
            ns[MONOTONIC] = mono;
            ns[MONOTONIC_RAW] = raw;
            best = Some((
                width,
                Sample {
                    tsc: a.wrapping_add(width / 2),
                    ns,
                },
            ));
        }
    }
    match best {
        Some((_, s)) => s,
        None => Sample {
            tsc: 0,
            ns: [0; NCLOCKS],
        },
    }
}

/// The resolution of the coarse clocks: one tick of the host, as the
/// Sentry's clock_getres reports it.
fn coarse_res_ns() -> u64 {
    let r = clock_getres(ClockId::MonotonicCoarse);
    let n = i128::from(r.tv_sec) * 1_000_000_000 + i128::from(r.tv_nsec);
    if n > 0 && n <= 1_000_000_000 {
        n as u64
    } else {
        10_000_000
    }
}

impl Vdso {
    fn put_u32(&self, off: u64, v: u32) -> Result<(), Errno> {
        self.mf
            .atomic_u32(self.frame + off)?
            .store(v, Ordering::SeqCst);
        Ok(())
    }

    fn put_u64(&self, off: u64, v: u64) -> Result<(), Errno> {
        self.put_u32(off, v as u32)?;
        self.put_u32(off + 4, (v >> 32) as u32)
    }

    /// Write the page under its seqlock. The caller holds `self.clock`.
    fn publish(&self, p: &Published) -> Result<(), Errno> {
        let seq = self.mf.atomic_u32(self.frame + VV_SEQ)?;
        let s = seq.load(Ordering::SeqCst);
        seq.store(s.wrapping_add(1) | 1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        match p {
            Some((tsc_ref, lines)) => {
                self.put_u64(VV_TSC_REF, *tsc_ref)?;
                for (i, l) in lines.iter().enumerate() {
                    let at = VV_CLOCKS + i as u64 * VV_CLOCK_SIZE;
                    self.put_u64(at, l.base_ns)?;
                    self.put_u64(at + 8, l.mult)?;
                }
                self.put_u32(VV_FLAGS, CLOCKS_OK)?;
            }
            None => self.put_u32(VV_FLAGS, 0)?,
        }
        fence(Ordering::SeqCst);
        seq.store((s | 1).wrapping_add(1), Ordering::SeqCst);
        Ok(())
    }

    /// What the page says now (for tests and the Sentry's own checks).
    pub fn read_lines(&self) -> Result<Published, Errno> {
        let get = |off: u64| -> Result<u64, Errno> {
            let lo = self.mf.atomic_u32(self.frame + off)?.load(Ordering::SeqCst);
            let hi = self
                .mf
                .atomic_u32(self.frame + off + 4)?
                .load(Ordering::SeqCst);
            Ok(u64::from(lo) | (u64::from(hi) << 32))
        };
        let _writer = self.clock.lock();
        if get(VV_FLAGS)? as u32 & CLOCKS_OK == 0 {
            return Ok(None);
        }
        let mut lines = [Line {
            base_ns: 0,
            mult: 0,
        }; NCLOCKS];
        for (i, l) in lines.iter_mut().enumerate() {
            let at = VV_CLOCKS + i as u64 * VV_CLOCK_SIZE;
            *l = Line {
                base_ns: get(at)?,
                mult: get(at + 8)?,
            };
        }
        Ok(Some((get(VV_TSC_REF)?, lines)))
    }

    /// Line `line` now, as the vDSO computes it (None: it makes the syscall).
    /// The Sentry answers the COARSE clocks with this, so a value read in
    /// the vDSO is never ahead of one the syscall returns later.
    pub fn line_now(&self, line: usize) -> Option<i128> {
        let c = self.clock.lock();
        let (tsc_ref, lines, _) = c.published?;
        let l = lines.get(line)?;
        Some(i128::from(l.at(tsc_ref, platform::tsc::rdtsc_ordered())))
    }

    /// Take a sample, recompute the lines and publish them.
    fn recalibrate(&self) {
        let mut c = self.clock.lock();
        let p = c.update(sample());
        if let Err(e) = self.publish(&p) {
            tracing::warn!("vdso: cannot write the data page: {e:?}");
        }
    }
}

/// Write the constant parts of the page and, with a stable TSC, publish
/// the first lines — measured from `early` (a [`sample`] taken earlier in
/// boot) to now, so the first process already reads the clock in user
/// space — and start the recalibration on the timer thread.
pub(super) fn start(v: &Arc<Vdso>, tsc_stable: bool, early: Sample) -> Result<(), Errno> {
    v.put_u64(VV_COARSE_RES, coarse_res_ns())?;
    if !tsc_stable {
        tracing::info!("vdso: no constant, nonstop TSC: clocks use the syscall");
        return Ok(());
    }
    v.clock.lock().update(early);
    let since = Duration::from_nanos(
        u64::try_from(host_ns(ClockId::Monotonic) - early.ns[MONOTONIC]).unwrap_or(0),
    );
    if let Some(left) = FIRST_SPAN.checked_sub(since) {
        std::thread::sleep(left);
    }
    v.recalibrate();
    schedule(Arc::downgrade(v), 0);
    Ok(())
}

/// Recalibrate after the `n`th delay of the schedule (EARLY, then PERIOD).
fn schedule(v: Weak<Vdso>, n: usize) {
    let after = EARLY.get(n).copied().unwrap_or(PERIOD);
    timers::schedule(Instant::now() + after, move || {
        // The sandbox is gone when nothing holds the vDSO any more.
        let Some(vdso) = v.upgrade() else {
            return;
        };
        vdso.recalibrate();
        drop(vdso);
        schedule(v, n.saturating_add(1).min(EARLY.len()));
    });
}
