/* The data page ("vvar") the Sentry writes and the vDSO reads.
 *
 * Keep in step with crates/sentry/src/kernel/vdso.rs (the `VV_*` offsets),
 * whose values the static assertions below repeat. */
#ifndef RVISOR_VVAR_H
#define RVISOR_VVAR_H

#include <stdint.h>

/* `flags`: the clock lines may be used (the TSC is stable and calibrated).
 * Without it every function makes the real syscall. */
#define VVAR_CLOCKS_OK 1u

/* Clock lines: ns = base_ns + ((tsc - tsc_ref) * mult) >> 32. */
#define VVAR_REALTIME 0
#define VVAR_MONOTONIC 1 /* also BOOTTIME: the sandbox never suspends */
#define VVAR_MONOTONIC_RAW 2
#define VVAR_NCLOCKS 3

struct vvar_clock {
	uint64_t base_ns;
	uint64_t mult;
};

struct vvar {
	/* Seqlock: odd while the Sentry writes. */
	uint32_t seq;           /* 0 */
	uint32_t flags;         /* 4 */
	uint64_t tsc_ref;       /* 8 */
	uint64_t coarse_res_ns; /* 16: resolution of the *_COARSE clocks */
	uint64_t reserved;      /* 24 */
	struct vvar_clock clocks[VVAR_NCLOCKS]; /* 32 */
};

_Static_assert(__builtin_offsetof(struct vvar, flags) == 4, "VV_FLAGS");
_Static_assert(__builtin_offsetof(struct vvar, tsc_ref) == 8, "VV_TSC_REF");
_Static_assert(__builtin_offsetof(struct vvar, coarse_res_ns) == 16, "VV_COARSE_RES");
_Static_assert(__builtin_offsetof(struct vvar, clocks) == 32, "VV_CLOCKS");
_Static_assert(sizeof(struct vvar_clock) == 16, "VV_CLOCK_SIZE");

#endif
