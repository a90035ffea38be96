/* stat(2) of an existing host file: this program's own binary (argv[0],
 * an absolute path when started by the runner). Under rvisor the file
 * comes from the Gofer; cached names and attributes make most calls stay
 * in the Sentry (revalidated once their TTL has passed). */
#include "common.h"
#include <sys/stat.h>

static void loop(const char *path, long n)
{
	struct stat st;
	for (long i = 0; i < n; i++)
		if (stat(path, &st) != 0)
			die(path);
}

int main(int argc, char **argv)
{
	long iters = iterations(argc, argv, 500000);
	const char *path = argv[0];
	loop(path, warmup_count(iters));
	long long t0 = now_ns();
	loop(path, iters);
	long long t1 = now_ns();
	report("stat", (double)(t1 - t0) / iters, "ns/op");
	return 0;
}
