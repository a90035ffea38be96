/* proc: arch_prctl, set_tid_address, uname, getpid/getppid/gettid, the uid/gid family,
 * getgroups, getrlimit/setrlimit/prlimit64, sysinfo, sched_yield, sched_getaffinity, getcpu.
 * Only relations are printed for values that belong to the machine or the caller (pids,
 * memory sizes, CPU numbers, inherited limits); ids are printed as the kernel reports them. */
#include "common.h"
#include <asm/prctl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

static void arch(void)
{
	unsigned long fs = 0, fs2 = 0, gs = 1;
	SHOW(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
	CHECK(fs != 0);
	/* Setting FS to another value would break TLS: set it to what it already is. */
	SHOW(syscall(SYS_arch_prctl, ARCH_SET_FS, fs));
	SHOW(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs2));
	CHECK(fs2 == fs);
	SHOW(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs));
	CHECK(gs == 0);
	SHOW(syscall(SYS_arch_prctl, ARCH_GET_FS, (void *)1));
	SHOW(syscall(SYS_arch_prctl, ARCH_SET_FS, 0x8000000000000000UL));
	SHOW(syscall(SYS_arch_prctl, 0x9999, 0));
	SHOW(syscall(SYS_arch_prctl, ARCH_SET_GS, 0));
}

static void ids(void)
{
	long tid = syscall(SYS_set_tid_address, NULL);
	printf("set_tid_address returns the tid: %s\n", tid == getpid() ? "equal" : "DIFFERENT");
	int dummy;
	printf("again with a real pointer: %s\n",
	       syscall(SYS_set_tid_address, &dummy) == getpid() ? "equal" : "DIFFERENT");
	CHECK(getpid() > 0);
	CHECK(syscall(SYS_gettid) == getpid());
	CHECK(getppid() != getpid());
	CHECK(getppid() >= 0);

	struct utsname u;
	SHOW(uname(&u));
	printf("sysname %s, machine %s\n", u.sysname, u.machine);
	SHOW(syscall(SYS_uname, (void *)1));

	printf("uid %d euid %d gid %d egid %d\n", getuid(), geteuid(), getgid(), getegid());
	uid_t r, e, s;
	SHOW(getresuid(&r, &e, &s));
	printf("resuid %d %d %d\n", r, e, s);
	gid_t rg, eg, sg;
	SHOW(getresgid(&rg, &eg, &sg));
	printf("resgid %d %d %d\n", rg, eg, sg);
	SHOW(syscall(SYS_getresuid, (void *)1, &e, &s));
	gid_t groups[64];
	int n = SHOW(getgroups(0, NULL));
	SHOW(getgroups(64, groups));
	printf("groups:");
	for (int i = 0; i < n && i < 64; i++)
		printf(" %d", groups[i]);
	printf("\n");
	if (n > 0)
		SHOW(getgroups(n - 1, groups));
	SHOW(syscall(SYS_getgroups, -1, groups));
}

static void limits(void)
{
	struct rlimit rl, orig;
	SHOW(getrlimit(RLIMIT_NOFILE, &orig));
	CHECK(orig.rlim_cur <= orig.rlim_max);
	SHOW(getrlimit(RLIMIT_STACK, &rl));
	CHECK(rl.rlim_cur >= 65536);
	rl.rlim_cur = 100;
	rl.rlim_max = 200;
	SHOW(setrlimit(RLIMIT_NOFILE, &rl));
	SHOW(getrlimit(RLIMIT_NOFILE, &rl));
	printf("NOFILE %ld %ld\n", (long)rl.rlim_cur, (long)rl.rlim_max);
	SHOW(dup2(0, 150));
	SHOW(dup2(0, 99));
	SHOW(close(99));
	SHOW(fcntl(0, F_DUPFD, 100));
	rl.rlim_cur = 300;
	SHOW(setrlimit(RLIMIT_NOFILE, &rl));
	SHOW(setrlimit(99, &rl));
	SHOW(syscall(SYS_getrlimit, RLIMIT_NOFILE, (void *)1));
	SHOW(syscall(SYS_setrlimit, RLIMIT_NOFILE, (void *)1));
	struct rlimit newl = { 50, 200 }, old;
	SHOW(prlimit(0, RLIMIT_NOFILE, &newl, &old));
	printf("prlimit old %ld %ld\n", (long)old.rlim_cur, (long)old.rlim_max);
	SHOW(prlimit(getpid(), RLIMIT_NOFILE, NULL, &old));
	printf("prlimit now %ld %ld\n", (long)old.rlim_cur, (long)old.rlim_max);
	SHOW(prlimit(0, 1000, NULL, &old));
	SHOW(prlimit(999999, RLIMIT_NOFILE, NULL, &old));
	struct rlimit cpu = { RLIM_INFINITY, RLIM_INFINITY };
	SHOW(getrlimit(RLIMIT_CPU, &cpu));
	CHECK(cpu.rlim_cur == RLIM_INFINITY);
}

static void machine(void)
{
	struct sysinfo si;
	SHOW(sysinfo(&si));
	CHECK(si.uptime > 0);
	CHECK(si.totalram > 0 && si.freeram <= si.totalram);
	CHECK(si.mem_unit >= 1);
	CHECK(si.procs >= 1);
	SHOW(syscall(SYS_sysinfo, (void *)1));
	SHOW(sched_yield());

	cpu_set_t set;
	CPU_ZERO(&set);
	/* The raw call returns the size of the kernel's CPU mask, which depends on the machine. */
	long bytes = SHOWOK(syscall(SYS_sched_getaffinity, 0, sizeof set, &set));
	CHECK(bytes > 0 && bytes % 8 == 0 && bytes <= (long)sizeof set);
	CHECK(CPU_COUNT(&set) >= 1);
	SHOW(syscall(SYS_sched_getaffinity, 0, 1, &set));
	SHOW(syscall(SYS_sched_getaffinity, 0, sizeof set, (void *)1));
	SHOW(syscall(SYS_sched_getaffinity, 999999, sizeof set, &set));
	SHOW(sched_getaffinity(getpid(), sizeof set, &set));

	unsigned cpu = 9999, node = 9999;
	SHOW(syscall(SYS_getcpu, &cpu, &node, NULL));
	CHECK(cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set));
	CHECK(node == 0);
	SHOW(syscall(SYS_getcpu, NULL, NULL, NULL));
	SHOW(syscall(SYS_getcpu, (void *)1, NULL, NULL));
}

int main(void)
{
	arch();
	ids();
	limits();
	machine();
	return 0;
}
