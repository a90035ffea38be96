/* clocks: the clock ids beyond the common ones (TAI, the retired id 10, CPU-time clocks
 * encoded for a pid or tid, file-descriptor clocks), which clocks can be slept on, resolutions
 * returned only when asked, absolute sleeps on CLOCK_REALTIME, a nanosleep interrupted by a
 * signal handler (EINTR with the time left), times() and gettimeofday's timezone. Only
 * relations between times are printed. */
#include "common.h"
#include <signal.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

#define PROCESS_CLOCK(pid, which) ((clockid_t)((~(unsigned)(pid) << 3) | (which)))
#define THREAD_CLOCK(tid, which) ((clockid_t)((~(unsigned)(tid) << 3) | (which) | 4))
#define FD_CLOCK(fd) ((clockid_t)((~(unsigned)(fd) << 3) | 3))

static long long ns(struct timespec t)
{
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void ids(void)
{
	struct timespec t, r;
	static const struct { clockid_t id; const char *name; } all[] = {
		{ CLOCK_TAI, "TAI" },
		{ 10, "10" },
		{ 12, "12" },
		{ 16, "16" },
		{ PROCESS_CLOCK(0, 0), "own process PROF" },
		{ PROCESS_CLOCK(0, 1), "own process VIRT" },
		{ PROCESS_CLOCK(0, 2), "own process SCHED" },
		{ THREAD_CLOCK(0, 2), "own thread SCHED" },
		{ THREAD_CLOCK(0, 3), "thread clock 3" },
		{ FD_CLOCK(0), "fd 0" },
		{ FD_CLOCK(99), "fd 99" },
		{ PROCESS_CLOCK(999999, 2), "process 999999" },
		{ THREAD_CLOCK(999999, 2), "thread 999999" },
	};
	for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++) {
		long g = syscall(SYS_clock_gettime, all[i].id, &t);
		int eg = errno;
		long s = syscall(SYS_clock_getres, all[i].id, &r);
		int es = errno;
		printf("%s: gettime %s, getres %s\n", all[i].name, g ? errno_name(eg) : "ok", s ? errno_name(es) : "ok");
	}
	SHOW(syscall(SYS_clock_gettime, PROCESS_CLOCK(getpid(), 2), &t));
	SHOW(syscall(SYS_clock_gettime, THREAD_CLOCK(getpid(), 2), &t));
	SHOW(syscall(SYS_clock_getres, PROCESS_CLOCK(getpid(), 2), &r));
	printf("SCHED clock resolution %ld ns\n", r.tv_nsec);
	SHOW(syscall(SYS_clock_getres, CLOCK_TAI, &r));
	printf("TAI resolution %ld ns\n", r.tv_nsec);
	SHOW(syscall(SYS_clock_getres, CLOCK_REALTIME, NULL));
	SHOW(syscall(SYS_clock_getres, 10, NULL));
	struct timespec a, b;
	MUST(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a));
	for (volatile int i = 0; i < 1000000; i++)
		;
	MUST(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b));
	CHECK(ns(b) >= ns(a));
	MUST(clock_gettime(CLOCK_TAI, &a));
	MUST(clock_gettime(CLOCK_REALTIME, &b));
	CHECK(ns(a) - ns(b) > -1000000000LL && ns(a) - ns(b) < 100000000000LL);
}

static void sleepable(void)
{
	struct timespec d = { 0, 1000 };
	static const struct { clockid_t id; const char *name; } all[] = {
		{ CLOCK_REALTIME, "REALTIME" },
		{ CLOCK_MONOTONIC, "MONOTONIC" },
		{ CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW" },
		{ CLOCK_REALTIME_COARSE, "REALTIME_COARSE" },
		{ CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE" },
		{ CLOCK_BOOTTIME, "BOOTTIME" },
		{ CLOCK_TAI, "TAI" },
		{ CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME" },
		{ 10, "10" },
		{ FD_CLOCK(0), "fd 0" },
		{ THREAD_CLOCK(0, 2), "own thread" },
		{ THREAD_CLOCK(0, 3), "thread clock 3" },
		{ PROCESS_CLOCK(999999, 2), "process 999999" },
	};
	for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++) {
		long r = syscall(SYS_clock_nanosleep, all[i].id, 0, &d, NULL);
		int e = errno;
		long bad = syscall(SYS_clock_nanosleep, all[i].id, 0, (void *)1, NULL);
		int eb = errno;
		printf("sleep on %s: %s, bad pointer: %s\n", all[i].name, r ? errno_name(e) : "ok",
		       bad ? errno_name(eb) : "ok");
	}
	/* Sleeping until a CPU-time value already reached returns at once. */
	struct timespec zero = { 0, 0 };
	SHOW(syscall(SYS_clock_nanosleep, CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, &zero, NULL));
	SHOW(syscall(SYS_clock_nanosleep, PROCESS_CLOCK(0, 2), TIMER_ABSTIME, &zero, NULL));
	/* Unknown flag bits are ignored. */
	SHOW(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 2, &d, NULL));

	struct timespec now, until;
	MUST(clock_gettime(CLOCK_REALTIME, &now));
	until = now;
	until.tv_nsec += 3000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	SHOW(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &until, NULL));
	MUST(clock_gettime(CLOCK_REALTIME, &now));
	CHECK(ns(now) >= ns(until));
	struct timespec rem = { 7, 7 };
	SHOW(syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &zero, &rem));
	printf("rem untouched: %s\n", rem.tv_sec == 7 && rem.tv_nsec == 7 ? "yes" : "no");
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void interrupted(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	MUST(sigaction(SIGALRM, &sa, NULL));
	struct itimerval it = { { 0, 0 }, { 0, 20000 } };
	MUST(setitimer(ITIMER_REAL, &it, NULL));
	struct timespec d = { 5, 0 }, rem = { 0, 0 };
	SHOW(nanosleep(&d, &rem));
	printf("handler ran: %s\n", alarms == 1 ? "yes" : "no");
	CHECK(rem.tv_sec <= 5 && ns(rem) > 4000000000LL && ns(rem) < 5000000000LL);

	/* With SA_RESTART too: a handler always ends nanosleep. */
	sa.sa_flags = SA_RESTART;
	MUST(sigaction(SIGALRM, &sa, NULL));
	MUST(setitimer(ITIMER_REAL, &it, NULL));
	SHOW(clock_nanosleep(CLOCK_MONOTONIC, 0, &d, &rem));
	printf("handler ran: %s\n", alarms == 2 ? "yes" : "no");
	CHECK(ns(rem) > 4000000000LL && ns(rem) < 5000000000LL);

	/* Interrupted with a bad rem pointer. */
	MUST(setitimer(ITIMER_REAL, &it, NULL));
	SHOW(syscall(SYS_nanosleep, &d, (void *)1));
	printf("handler ran: %s\n", alarms == 3 ? "yes" : "no");

	/* An absolute sleep reports no time left. */
	struct timespec now;
	MUST(clock_gettime(CLOCK_MONOTONIC, &now));
	now.tv_sec += 5;
	rem.tv_sec = 7;
	MUST(setitimer(ITIMER_REAL, &it, NULL));
	long r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, &rem);
	printf("absolute: %s, rem untouched: %s\n", errno_name(r), rem.tv_sec == 7 ? "yes" : "no");
}

static void misc(void)
{
	struct tms t1, t2;
	clock_t c1 = times(&t1);
	struct timespec d = { 0, 20000000 };
	MUST(nanosleep(&d, NULL));
	clock_t c2 = times(&t2);
	CHECK(c2 - c1 >= 2 && c2 - c1 < 100);
	CHECK(t1.tms_utime >= 0 && t1.tms_stime >= 0 && t2.tms_utime >= t1.tms_utime);
	CHECK(t1.tms_cutime == 0 && t1.tms_cstime == 0);
	SHOW(syscall(SYS_times, NULL) > 0);
	SHOW(syscall(SYS_times, (void *)1));

	struct timeval tv;
	struct timezone tz = { 99, 99 };
	SHOW(gettimeofday(&tv, &tz));
	printf("timezone %d %d\n", tz.tz_minuteswest, tz.tz_dsttime);
	SHOW(syscall(SYS_gettimeofday, &tv, (void *)1));
	SHOW(syscall(SYS_gettimeofday, NULL, &tz));
	time_t secs = 0;
	long r = syscall(SYS_time, NULL);
	CHECK(r > 1600000000L);
	CHECK(syscall(SYS_time, &secs) == secs);
}

int main(void)
{
	ids();
	sleepable();
	interrupted();
	misc();
	return 0;
}
