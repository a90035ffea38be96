/* getpid round trip: one raw getpid system call (no libc wrapper). */
#include "common.h"
#include <sys/syscall.h>
#include <unistd.h>

static inline long raw_getpid(void)
{
#if defined(__x86_64__)
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_getpid)
			 : "rcx", "r11", "memory");
	return ret;
#else
	return syscall(SYS_getpid);
#endif
}

static void loop(long n)
{
	for (long i = 0; i < n; i++)
		raw_getpid();
}

int main(int argc, char **argv)
{
	long iters = iterations(argc, argv, 2000000);
	loop(warmup_count(iters));
	long long t0 = now_ns();
	loop(iters);
	long long t1 = now_ns();
	report("getpid", (double)(t1 - t0) / iters, "ns/op");
	return 0;
}
