/* open(O_RDONLY) + close of an existing file: this program's own binary
 * (argv[0], an absolute path when started by the runner), so the file
 * exists wherever the program runs and nothing is created. */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

static void loop(const char *path, long n)
{
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die(path);
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
	report("open_close", (double)(t1 - t0) / iters, "ns/op");
	return 0;
}
