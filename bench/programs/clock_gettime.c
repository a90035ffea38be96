/* clock_gettime(CLOCK_MONOTONIC) through libc: the vDSO's cost where
 * there is one (natively and under rvisor), a syscall where there is not. */
#include "common.h"
#include <time.h>

static void loop(long n)
{
	struct timespec ts;
	for (long i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		__asm__ volatile("" : : "r"(&ts) : "memory");
	}
}

int main(int argc, char **argv)
{
	long iters = iterations(argc, argv, 5000000);
	loop(warmup_count(iters));
	long long t0 = now_ns();
	loop(iters);
	long long t1 = now_ns();
	report("clock_gettime", (double)(t1 - t0) / iters, "ns/op");
	return 0;
}
