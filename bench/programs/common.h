/* Shared helpers for the rvisor micro-benchmarks.
 *
 * Every program takes an optional iteration count as argv[1], runs a
 * warm-up of a tenth of it (at least one), times the measured loop with
 * CLOCK_MONOTONIC and prints exactly one line per metric:
 *
 *     RESULT <name> <value> <unit>
 *
 * Programs report; they never judge a value.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>

static inline long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* argv[1] if given and positive, else the default. */
static inline long iterations(int argc, char **argv, long dflt)
{
	if (argc > 1) {
		char *end;
		long n = strtol(argv[1], &end, 10);
		if (*argv[1] && !*end && n > 0)
			return n;
		fprintf(stderr, "bad iteration count: %s\n", argv[1]);
		exit(2);
	}
	return dflt;
}

static inline long warmup_count(long iters)
{
	long w = iters / 10;
	return w > 0 ? w : 1;
}

static inline void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	exit(1);
}

static inline void report(const char *name, double value, const char *unit)
{
	printf("RESULT %s %.3f %s\n", name, value, unit);
	fflush(stdout);
}
