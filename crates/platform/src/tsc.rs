//! The time-stamp counter, for the Sentry's vDSO clock calibration
//! (`sentry::vdso`), which may not hold the `unsafe` the intrinsic needs.

/// The TSC, read after all earlier instructions have completed (`lfence;
/// rdtsc`, as Linux's `rdtsc_ordered` and the vDSO read it).
pub fn rdtsc_ordered() -> u64 {
    // SAFETY: lfence and rdtsc have no memory effects; every x86-64 CPU
    // has both (SSE2 is part of the baseline).
    unsafe {
        core::arch::x86_64::_mm_lfence();
        core::arch::x86_64::_rdtsc()
    }
}
