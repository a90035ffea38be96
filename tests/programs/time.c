/* time: clock_gettime/clock_getres for the common clocks (monotonic never goes back, realtime
 * agrees with gettimeofday and time), bad clock ids and pointers, nanosleep and
 * clock_nanosleep (relative and absolute; short sleeps take at least their time; invalid
 * nanoseconds give EINVAL). No time value is printed, only relations. */
#include "common.h"
#include <sys/time.h>
#include <time.h>

static long long ns(struct timespec t)
{
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long now(clockid_t c)
{
	struct timespec t;
	MUST(clock_gettime(c, &t));
	return ns(t);
}

static void clocks(void)
{
	static const struct { clockid_t id; const char *name; } all[] = {
		{ CLOCK_REALTIME, "REALTIME" }, { CLOCK_MONOTONIC, "MONOTONIC" },
		{ CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME" }, { CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME" },
		{ CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW" }, { CLOCK_REALTIME_COARSE, "REALTIME_COARSE" },
		{ CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE" }, { CLOCK_BOOTTIME, "BOOTTIME" },
	};
	for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++) {
		struct timespec a, b, res;
		long r1 = clock_gettime(all[i].id, &a);
		long r2 = syscall(SYS_clock_gettime, all[i].id, &b);
		long r3 = clock_getres(all[i].id, &res);
		printf("%s: gettime %s, raw gettime %s, getres %s, never backwards %s, nsec valid %s, "
		       "resolution sane %s\n",
		       all[i].name, r1 ? errno_name(errno) : "ok", r2 ? errno_name(errno) : "ok",
		       r3 ? errno_name(errno) : "ok", ns(b) >= ns(a) ? "yes" : "NO",
		       a.tv_nsec >= 0 && a.tv_nsec < 1000000000 ? "yes" : "NO",
		       ns(res) > 0 && ns(res) <= 10000000 ? "yes" : "NO");
	}
	struct timespec res;
	MUST(clock_getres(CLOCK_MONOTONIC, &res));
	printf("MONOTONIC resolution: %ld ns\n", res.tv_nsec);
	CHECK(now(CLOCK_REALTIME) / 1000000000LL > 1600000000LL);
	/* Boot time never runs behind monotonic time: read monotonic first so
	 * a delay between the two reads cannot make the check fail. */
	long long mono_first = now(CLOCK_MONOTONIC);
	CHECK(now(CLOCK_BOOTTIME) >= mono_first);

	struct timespec t;
	SHOW(syscall(SYS_clock_gettime, 12345, &t));
	SHOW(syscall(SYS_clock_gettime, -1000, &t));
	SHOW(syscall(SYS_clock_getres, 12345, &t));
	SHOW(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)1));
	SHOW(syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL));
	SHOW(syscall(SYS_clock_getres, CLOCK_MONOTONIC, (void *)1));

	struct timeval tv;
	SHOW(gettimeofday(&tv, NULL));
	time_t secs = time(NULL);
	CHECK(tv.tv_sec - secs <= 1 && secs - tv.tv_sec <= 1);
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	SHOW(syscall(SYS_gettimeofday, NULL, NULL));
	SHOW(syscall(SYS_gettimeofday, (void *)1, NULL));
	time_t t2 = 0;
	long raw = syscall(SYS_time, &t2);
	CHECK(raw == t2 && raw - secs >= 0 && raw - secs <= 1);
	SHOW(syscall(SYS_time, (void *)1));
}

static void sleeps(void)
{
	struct timespec d = { 0, 2000000 }, rem = { 7, 7 };
	long long t0 = now(CLOCK_MONOTONIC);
	SHOW(nanosleep(&d, &rem));
	CHECK(now(CLOCK_MONOTONIC) - t0 >= 2000000);
	struct timespec zero = { 0, 0 };
	SHOW(nanosleep(&zero, NULL));
	struct timespec bad = { 0, 1000000000 };
	SHOW(syscall(SYS_nanosleep, &bad, NULL));
	struct timespec neg = { -1, 0 };
	SHOW(syscall(SYS_nanosleep, &neg, NULL));
	struct timespec negns = { 0, -1 };
	SHOW(syscall(SYS_nanosleep, &negns, NULL));
	SHOW(syscall(SYS_nanosleep, (void *)1, NULL));

	t0 = now(CLOCK_MONOTONIC);
	SHOW(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &d, NULL));
	CHECK(now(CLOCK_MONOTONIC) - t0 >= 2000000);
	struct timespec abs;
	MUST(clock_gettime(CLOCK_MONOTONIC, &abs));
	abs.tv_nsec += 3000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	SHOW(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL));
	CHECK(now(CLOCK_MONOTONIC) >= ns(abs));
	struct timespec past = { 1, 0 };
	SHOW(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL));
	SHOW(syscall(SYS_clock_nanosleep, CLOCK_REALTIME, 0, &d, NULL));
	SHOW(syscall(SYS_clock_nanosleep, CLOCK_BOOTTIME, 0, &d, NULL));
	SHOW(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad, NULL));
	SHOW(syscall(SYS_clock_nanosleep, 12345, 0, &d, NULL));
	SHOW(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &d, NULL));
	SHOW(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, (void *)1, NULL));
}

int main(void)
{
	clocks();
	sleeps();
	return 0;
}
