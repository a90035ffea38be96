/* Listing a host directory of 10,000 entries: opendir + readdir to the end
 * + closedir. The directory is a host fixture under /var/tmp (made by the
 * native run), so under rvisor the entries come from the Gofer. Reported
 * per listing. */
#include "common.h"
#include "fixture.h"

#define DIR_PATH FIXTURE_DIR "/dir10k-v1"
#define ENTRIES 10000

static void loop(long n)
{
	for (long i = 0; i < n; i++) {
		DIR *d = opendir(DIR_PATH);
		if (!d)
			die("opendir");
		int count = 0;
		while (readdir(d))
			count++;
		closedir(d);
		if (count != ENTRIES + 2)
			die("unexpected entry count");
	}
}

int main(int argc, char **argv)
{
	long iters = iterations(argc, argv, 200);
	fixture_dir(DIR_PATH, ENTRIES);
	loop(warmup_count(iters));
	long long t0 = now_ns();
	loop(iters);
	long long t1 = now_ns();
	report("readdir_10k", (double)(t1 - t0) / iters / 1e3, "us/op");
	return 0;
}
