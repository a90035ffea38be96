/* 4 KiB pread from a 64 KiB file in /tmp, cycling through its 16 blocks
 * (all in cache after the first pass). The file is removed at the end. */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

#define BLOCK 4096
#define BLOCKS 16

static char buf[BLOCK];

static void loop(int fd, long n)
{
	for (long i = 0; i < n; i++) {
		if (pread(fd, buf, BLOCK, (off_t)(i % BLOCKS) * BLOCK) != BLOCK)
			die("pread");
	}
}

int main(int argc, char **argv)
{
	long iters = iterations(argc, argv, 300000);
	char path[] = "/tmp/rvisor-bench-pread-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp");
	memset(buf, 'x', sizeof buf);
	for (int b = 0; b < BLOCKS; b++)
		if (write(fd, buf, BLOCK) != BLOCK)
			die("write");

	loop(fd, warmup_count(iters));
	long long t0 = now_ns();
	loop(fd, iters);
	long long t1 = now_ns();

	close(fd);
	unlink(path);
	report("pread_4k", (double)(t1 - t0) / iters, "ns/op");
	return 0;
}
