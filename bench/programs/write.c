/* Sequential write throughput: 64 MiB written in 1 MiB write(2) calls to
 * a file in /tmp, no fsync (page cache / tmpfs speed). One iteration is
 * one 64 MiB pass after truncating the file to zero. The file is removed
 * at the end. MB/s is 10^6 bytes per second. */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

#define CHUNK (1 << 20)
#define TOTAL (64L << 20)

static char buf[CHUNK];

static void pass(int fd)
{
	if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET) != 0)
		die("truncate");
	for (long done = 0; done < TOTAL; done += CHUNK)
		if (write(fd, buf, CHUNK) != CHUNK)
			die("write");
}

static void loop(int fd, long n)
{
	for (long i = 0; i < n; i++)
		pass(fd);
}

int main(int argc, char **argv)
{
	long iters = iterations(argc, argv, 8);
	char path[] = "/tmp/rvisor-bench-write-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp");
	memset(buf, 'x', sizeof buf);

	/* Warm-up: one pass, whatever the iteration count. */
	loop(fd, 1);
	long long t0 = now_ns();
	loop(fd, iters);
	long long t1 = now_ns();

	close(fd);
	unlink(path);
	double secs = (double)(t1 - t0) / 1e9;
	report("write_64m", (double)TOTAL * iters / 1e6 / secs, "MB/s");
	return 0;
}
