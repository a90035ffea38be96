/* rvisor's vDSO: clock_gettime, gettimeofday, time and clock_getres answered
 * in user space from the data page ("vvar") the Sentry keeps, one page below
 * this image; getcpu and everything the page cannot answer make the real
 * `syscall`, which the platform traps like any other.
 *
 * Built by crates/sentry/build.rs (see vdso.lds for the layout). It must stay
 * position-independent with no dynamic relocations: nothing relocates it. */

#include "vvar.h"

#define NSEC_PER_SEC 1000000000ull

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7

#define NR_gettimeofday 96
#define NR_time 201
#define NR_clock_gettime 228
#define NR_clock_getres 229
#define NR_getcpu 309

struct kernel_timespec {
	long tv_sec;
	long tv_nsec;
};

struct kernel_timeval {
	long tv_sec;
	long tv_usec;
};

struct kernel_timezone {
	int tz_minuteswest;
	int tz_dsttime;
};

/* Placed by the linker script one page before the ELF header. */
extern const volatile struct vvar vvar_page __attribute__((visibility("hidden")));

static inline long raw_syscall3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

#define barrier() __asm__ volatile("" : : : "memory")

/* The clock line for a clock id, or -1 for the syscall. */
static inline int line_of(int clk)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		return VVAR_REALTIME;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		return VVAR_MONOTONIC;
	case CLOCK_MONOTONIC_RAW:
		return VVAR_MONOTONIC_RAW;
	default:
		return -1;
	}
}

/* Read clock line `line` in ns; 0 if the page says to use the syscall. */
static inline int read_ns(int line, uint64_t *out)
{
	const volatile struct vvar *v = &vvar_page;
	uint32_t seq;
	uint64_t base, mult, ref, now;

	for (;;) {
		seq = v->seq;
		barrier();
		if (seq & 1) {
			__asm__ volatile("pause");
			continue;
		}
		if (!(v->flags & VVAR_CLOCKS_OK))
			return 0;
		base = v->clocks[line].base_ns;
		mult = v->clocks[line].mult;
		ref = v->tsc_ref;
		now = rdtsc_ordered();
		barrier();
		if (v->seq == seq)
			break;
	}
	uint64_t delta = now - ref;
	/* Another CPU's TSC may trail the one that took the reference. */
	if ((int64_t)delta < 0)
		delta = 0;
	*out = base + (uint64_t)(((unsigned __int128)delta * mult) >> 32);
	return 1;
}

int __vdso_clock_gettime(int clk, struct kernel_timespec *ts)
{
	uint64_t ns;
	int line = line_of(clk);

	if (line >= 0 && read_ns(line, &ns)) {
		ts->tv_sec = (long)(ns / NSEC_PER_SEC);
		ts->tv_nsec = (long)(ns % NSEC_PER_SEC);
		return 0;
	}
	return (int)raw_syscall3(NR_clock_gettime, clk, (long)ts, 0);
}

int __vdso_gettimeofday(struct kernel_timeval *tv, struct kernel_timezone *tz)
{
	uint64_t ns;

	if (tv) {
		if (!read_ns(VVAR_REALTIME, &ns))
			return (int)raw_syscall3(NR_gettimeofday, (long)tv, (long)tz, 0);
		tv->tv_sec = (long)(ns / NSEC_PER_SEC);
		tv->tv_usec = (long)(ns % NSEC_PER_SEC / 1000);
	}
	if (tz) {
		/* The sandbox's kernel timezone is never set. */
		tz->tz_minuteswest = 0;
		tz->tz_dsttime = 0;
	}
	return 0;
}

long __vdso_time(long *t)
{
	uint64_t ns;

	if (!read_ns(VVAR_REALTIME, &ns))
		return raw_syscall3(NR_time, (long)t, 0, 0);
	long secs = (long)(ns / NSEC_PER_SEC);
	if (t)
		*t = secs;
	return secs;
}

int __vdso_clock_getres(int clk, struct kernel_timespec *res)
{
	const volatile struct vvar *v = &vvar_page;
	uint64_t ns;

	if (!(v->flags & VVAR_CLOCKS_OK))
		return (int)raw_syscall3(NR_clock_getres, clk, (long)res, 0);
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_BOOTTIME:
		ns = 1;
		break;
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
		ns = v->coarse_res_ns;
		break;
	default:
		return (int)raw_syscall3(NR_clock_getres, clk, (long)res, 0);
	}
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = (long)ns;
	}
	return 0;
}

/* The sandbox emulates CPU affinity (stub threads are not pinned), so the
 * hardware's CPU number (RDPID/RDTSCP) could name a CPU the task's mask
 * excludes: ask the Sentry, which answers as Linux would. */
long __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
	return raw_syscall3(NR_getcpu, (long)cpu, (long)node, (long)unused);
}

/* The plain names Linux's vDSO also exports. */
int clock_gettime(int, struct kernel_timespec *)
	__attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct kernel_timeval *, struct kernel_timezone *)
	__attribute__((weak, alias("__vdso_gettimeofday")));
long time(long *) __attribute__((weak, alias("__vdso_time")));
int clock_getres(int, struct kernel_timespec *)
	__attribute__((weak, alias("__vdso_clock_getres")));
long getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
