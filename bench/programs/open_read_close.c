/* open + read of 512 bytes + close of a small host file: the first block
 * of this program's own binary (argv[0]). Under rvisor the open asks the
 * Gofer for the host fd once per inode; the read goes to that fd. */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

static char buf[512];

static void loop(const char *path, long n)
{
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die(path);
		if (read(fd, buf, sizeof buf) != sizeof buf)
			die("read");
		close(fd);
	}
}

int main(int argc, char **argv)
{
	long iters = iterations(argc, argv, 200000);
	const char *path = argv[0];
	loop(path, warmup_count(iters));
	long long t0 = now_ns();
	loop(path, iters);
	long long t1 = now_ns();
	report("open_read_close", (double)(t1 - t0) / iters, "ns/op");
	return 0;
}
