/* Anonymous memory life cycle, per page: mmap 64 pages, write one byte
 * to each (first-touch fault), munmap. One iteration is one such round;
 * the result is the round's cost divided by 64. */
#include "common.h"
#include <sys/mman.h>
#include <unistd.h>

#define PAGES 64

static void loop(long n, long page)
{
	for (long i = 0; i < n; i++) {
		char *p = mmap(NULL, PAGES * page, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap");
		for (long j = 0; j < PAGES; j++)
			((volatile char *)p)[j * page] = 1;
		if (munmap(p, PAGES * page))
			die("munmap");
	}
}

int main(int argc, char **argv)
{
	long iters = iterations(argc, argv, 2000);
	long page = sysconf(_SC_PAGESIZE);
	loop(warmup_count(iters), page);
	long long t0 = now_ns();
	loop(iters, page);
	long long t1 = now_ns();
	report("mmap_touch_munmap", (double)(t1 - t0) / ((double)iters * PAGES), "ns/op");
	return 0;
}
