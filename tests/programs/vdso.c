/* The vDSO: AT_SYSINFO_EHDR, the image, and the clocks glibc reads through
 * it agreeing with the syscalls; what a bad pointer does (the vDSO writes
 * the result itself, so the process faults, except where it makes the
 * syscall); [vdso] and [vvar] in maps; across fork; protections. */
#include "common.h"
#include <elf.h>
#include <sched.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static long long ns_of(struct timespec t)
{
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static const struct {
	clockid_t id;
	const char *name;
} clocks[] = {
	{ CLOCK_REALTIME, "REALTIME" },
	{ CLOCK_MONOTONIC, "MONOTONIC" },
	{ CLOCK_BOOTTIME, "BOOTTIME" },
	{ CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW" },
	{ CLOCK_REALTIME_COARSE, "REALTIME_COARSE" },
	{ CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE" },
	{ CLOCK_TAI, "TAI" },
	{ CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME" },
	{ CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME" },
};
#define NCLOCKS (sizeof clocks / sizeof clocks[0])

/* libc's reading against the syscall's, taken just after. */
static void compare(clockid_t id, const char *name)
{
	struct timespec a, b;
	int r1 = clock_gettime(id, &a);
	int r2 = syscall(SYS_clock_gettime, id, &b);
	long long d = ns_of(b) - ns_of(a);
	if (d < 0)
		d = -d;
	printf("%s: libc %d syscall %d, within 50 ms: %s\n", name, r1, r2,
	       d < 50000000LL ? "yes" : "NO");
}

static void never_back(clockid_t id, const char *name)
{
	struct timespec prev, now;
	long back = 0;
	clock_gettime(id, &prev);
	for (int i = 0; i < 100000; i++) {
		clock_gettime(id, &now);
		if (ns_of(now) < ns_of(prev))
			back++;
		prev = now;
	}
	printf("%s never goes back over 100k calls: %s\n", name, back == 0 ? "yes" : "NO");
}

/* Run `f` in a child; print how it ended. */
static void in_child(const char *what, long (*f)(void))
{
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		long r = f();
		printf("%s = %ld%s%s\n", what, r, r == -1 ? " " : "",
		       r == -1 ? errno_name(errno) : "");
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	if (WIFSIGNALED(st))
		printf("%s: killed by %s\n", what, strsignal(WTERMSIG(st)));
}

#define BAD ((void *)1)
static long gettime_mono_bad(void) { return clock_gettime(CLOCK_MONOTONIC, BAD); }
static long gettime_real_bad(void) { return clock_gettime(CLOCK_REALTIME, BAD); }
static long gettime_cpu_bad(void) { return clock_gettime(CLOCK_PROCESS_CPUTIME_ID, BAD); }
static long gettime_badid_bad(void) { return clock_gettime(99, BAD); }
static long getres_mono_bad(void) { return clock_getres(CLOCK_MONOTONIC, BAD); }
static long gettimeofday_bad(void) { return gettimeofday(BAD, NULL); }
static long time_bad(void) { return time(BAD); }

static int maps_has(const char *name)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strstr(line, name))
			found = 1;
	fclose(f);
	return found;
}

int main(void)
{
	unsigned long ehdr = getauxval(AT_SYSINFO_EHDR);
	CHECK(ehdr != 0);
	if (!ehdr)
		return 1;
	const unsigned char *img = (const unsigned char *)ehdr;
	CHECK(memcmp(img, ELFMAG, SELFMAG) == 0);
	CHECK(img[EI_CLASS] == ELFCLASS64);
	CHECK(((const Elf64_Ehdr *)img)->e_type == ET_DYN);
	CHECK(maps_has("[vdso]") == 1);
	CHECK(maps_has("[vvar]") == 1);

	for (unsigned i = 0; i < NCLOCKS; i++)
		compare(clocks[i].id, clocks[i].name);
	never_back(CLOCK_MONOTONIC, "MONOTONIC");
	never_back(CLOCK_BOOTTIME, "BOOTTIME");
	never_back(CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW");
	never_back(CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE");

	/* gettimeofday and time against CLOCK_REALTIME. */
	struct timeval tv;
	struct timespec rt;
	SHOW(gettimeofday(&tv, NULL));
	clock_gettime(CLOCK_REALTIME, &rt);
	long long d = ns_of(rt) - ((long long)tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL);
	CHECK(d >= 0 && d < 50000000LL);
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	struct timeval *volatile none = NULL;
	SHOW(gettimeofday(none, NULL));
	struct timezone tz = { -1, -1 };
	SHOW(gettimeofday(&tv, &tz));
	CHECK(tz.tz_dsttime == 0);
	time_t t1 = 0;
	time_t t0 = time(&t1);
	clock_gettime(CLOCK_REALTIME, &rt);
	CHECK(t0 == t1);
	CHECK(rt.tv_sec - t0 >= 0 && rt.tv_sec - t0 <= 1);
	time_t t2 = time(NULL);
	CHECK(t2 >= t0);

	/* getcpu. */
	int cpu = sched_getcpu();
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	CHECK(cpu >= 0 && cpu < ncpu);
	unsigned c = 9999, node = 9999;
	SHOW(syscall(SYS_getcpu, &c, &node, NULL));
	CHECK(c < (unsigned)ncpu);
	CHECK(node == 0);

	/* clock_getres through libc against the syscall. */
	for (unsigned i = 0; i < NCLOCKS; i++) {
		struct timespec a = { -1, -1 }, b = { -2, -2 };
		int r1 = clock_getres(clocks[i].id, &a);
		int r2 = syscall(SYS_clock_getres, clocks[i].id, &b);
		printf("getres %s: libc %d syscall %d, same: %s, sec %ld, 1ns: %s\n",
		       clocks[i].name, r1, r2, ns_of(a) == ns_of(b) ? "yes" : "NO",
		       (long)a.tv_sec, a.tv_nsec == 1 ? "yes" : "no");
	}
	SHOW(clock_getres(CLOCK_MONOTONIC, NULL));
	SHOW(clock_getres(CLOCK_REALTIME_COARSE, NULL));

	/* Bad clock ids. */
	struct timespec ts;
	SHOW(clock_gettime(99, &ts));
	SHOW(clock_gettime(10, &ts));
	SHOW(clock_getres(99, &ts));
	SHOW(clock_gettime(CLOCK_MONOTONIC, &ts));

	/* Bad pointers: the vDSO writes them itself and faults, as Linux's. */
	in_child("clock_gettime(MONOTONIC, bad)", gettime_mono_bad);
	in_child("clock_gettime(REALTIME, bad)", gettime_real_bad);
	in_child("clock_gettime(PROCESS_CPUTIME, bad)", gettime_cpu_bad);
	in_child("clock_gettime(99, bad)", gettime_badid_bad);
	in_child("clock_getres(MONOTONIC, bad)", getres_mono_bad);
	in_child("gettimeofday(bad)", gettimeofday_bad);
	in_child("time(bad)", time_bad);

	/* Across fork: the child maps the same pages at the same place. */
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		struct timespec a;
		int ok = getauxval(AT_SYSINFO_EHDR) == ehdr && maps_has("[vdso]") == 1 &&
			 maps_has("[vvar]") == 1 && clock_gettime(CLOCK_MONOTONIC, &a) == 0;
		/* Linux 6.x keeps the image's protections. */
		void *page = (void *)ehdr;
		int rwx = mprotect(page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
		int rwx_errno = errno;
		int rx = mprotect(page, 4096, PROT_READ | PROT_EXEC);
		printf("child: vdso works %s, mprotect rwx %d %s, rx %d, clock %d\n",
		       ok ? "yes" : "NO", rwx, rwx ? errno_name(rwx_errno) : "", rx,
		       clock_gettime(CLOCK_MONOTONIC, &a));
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	SHOW(clock_gettime(CLOCK_MONOTONIC, &ts));

	/* The data page refuses write and exec, as Linux's vvar does. */
	unsigned long vvar = 0;
	{
		FILE *f = fopen("/proc/self/maps", "r");
		char line[512];
		while (f && fgets(line, sizeof line, f))
			if (strstr(line, "[vvar]") && !vvar)
				vvar = strtoul(line, NULL, 16);
		if (f)
			fclose(f);
	}
	CHECK(vvar != 0);
	SHOW(mprotect((void *)vvar, 4096, PROT_READ | PROT_WRITE));
	SHOW(mprotect((void *)vvar, 4096, PROT_READ | PROT_EXEC));
	SHOW(mprotect((void *)vvar, 4096, PROT_READ));
	return 0;
}
