/* Sequential read throughput of a large host file: a 64 MiB fixture under
 * /var/tmp (made by the native run) read in 1 MiB read(2) calls. Under
 * rvisor the reads go straight to the host fd the Gofer donated. One
 * iteration is one pass over the file; MB/s is 10^6 bytes per second. */
#include "common.h"
#include "fixture.h"

#define FILE_PATH FIXTURE_DIR "/read-64m-v1"
#define CHUNK (1 << 20)
#define TOTAL (64L << 20)

static char buf[CHUNK];

static void loop(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = open(FILE_PATH, O_RDONLY);
		if (fd < 0)
			die("open");
		long done = 0;
		ssize_t r;
		while ((r = read(fd, buf, CHUNK)) > 0)
			done += r;
		close(fd);
		if (done != TOTAL)
			die("short file");
	}
}

int main(int argc, char **argv)
{
	long iters = iterations(argc, argv, 8);
	fixture_file(FILE_PATH, TOTAL);
	loop(1);
	long long t0 = now_ns();
	loop(iters);
	long long t1 = now_ns();
	double secs = (double)(t1 - t0) / 1e9;
	report("read_64m", (double)TOTAL * iters / secs / 1e6, "MB/s");
	return 0;
}
