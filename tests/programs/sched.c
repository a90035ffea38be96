/* sched: scheduling policies and priorities (sched_setscheduler/getparam/setparam,
 * SCHED_RESET_ON_FORK, the priority ranges, sched_rr_get_interval), sched_setattr and
 * sched_getattr sizes and flags, nice values through setpriority/getpriority (clamping,
 * RLIMIT_NICE without CAP_SYS_NICE), CPU affinity masks and getcpu. Each part runs in a child
 * so that a real-time policy never outlives it; CPU numbers are printed only as relations. */
#include "common.h"
#include <linux/capability.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>

struct attr {
	unsigned size, policy;
	unsigned long long flags;
	int nice;
	unsigned prio;
	unsigned long long runtime, deadline, period;
	unsigned util_min, util_max;
	unsigned char extra[16];
};

static void drop_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	MUST(syscall(SYS_capget, &h, d));
	d[cap / 32].effective &= ~(1u << (cap % 32));
	d[cap / 32].permitted &= ~(1u << (cap % 32));
	MUST(syscall(SYS_capset, &h, d));
}

static void in_child(void (*fn)(void))
{
	fflush(stdout);
	pid_t p = MUST(fork());
	if (p == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	MUST(waitpid(p, &st, 0));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("child failed: status %#x\n", st);
}

static void show_param(void)
{
	struct sched_param sp = { -1 };
	long pol = sched_getscheduler(0);
	MUST(sched_getparam(0, &sp));
	printf("policy %#lx priority %d\n", pol, sp.sched_priority);
}

static void policies(void)
{
	struct sched_param sp = { 0 };
	MUST(setpriority(PRIO_PROCESS, 0, 0));
	show_param();
	SHOW(sched_getscheduler(-1));
	SHOW(sched_getscheduler(999999));
	SHOW(syscall(SYS_sched_getparam, 0, NULL));
	SHOW(syscall(SYS_sched_getparam, -1, &sp));
	SHOW(syscall(SYS_sched_getparam, 0, (void *)1));
	sp.sched_priority = 5;
	SHOW(sched_setscheduler(0, SCHED_OTHER, &sp));
	SHOW(sched_setscheduler(0, 4, &sp));
	SHOW(sched_setscheduler(0, SCHED_DEADLINE, &sp));
	SHOW(syscall(SYS_sched_setscheduler, 0, -1, &sp));
	SHOW(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL));
	SHOW(syscall(SYS_sched_setscheduler, -1, SCHED_OTHER, &sp));
	SHOW(syscall(SYS_sched_setscheduler, 999999, SCHED_OTHER, &sp));
	SHOW(syscall(SYS_sched_setscheduler, 999999, SCHED_OTHER, (void *)1));
	sp.sched_priority = 0;
	SHOW(sched_setscheduler(0, SCHED_FIFO, &sp));
	SHOW(sched_setscheduler(0, SCHED_BATCH, &sp));
	show_param();
	SHOW(sched_setscheduler(0, SCHED_IDLE, &sp));
	show_param();
	SHOW(sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &sp));
	show_param();
	SHOW(sched_setscheduler(0, SCHED_OTHER, &sp));
	show_param();
	sp.sched_priority = 10;
	SHOW(sched_setscheduler(0, SCHED_RR, &sp));
	show_param();
	struct timespec ts = { 9, 9 };
	SHOW(sched_rr_get_interval(0, &ts));
	printf("RR interval %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
	sp.sched_priority = 20;
	SHOW(sched_setparam(0, &sp));
	show_param();
	sp.sched_priority = 0;
	SHOW(sched_setparam(0, &sp));
	sp.sched_priority = 100;
	SHOW(sched_setparam(0, &sp));
	sp.sched_priority = -1;
	SHOW(sched_setparam(0, &sp));
	sp.sched_priority = 0;
	SHOW(sched_setscheduler(0, SCHED_OTHER, &sp));
	show_param();
	SHOW(sched_rr_get_interval(0, &ts));
	printf("interval %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
	SHOW(sched_rr_get_interval(-1, &ts));
	SHOW(sched_rr_get_interval(999999, &ts));
	SHOW(sched_rr_get_interval(0, (struct timespec *)1));
	for (int p = -1; p <= 6; p++)
		printf("policy %d: max %d min %d\n", p, sched_get_priority_max(p), sched_get_priority_min(p));
}

static void unprivileged_policies(void)
{
	struct rlimit none = { 0, 0 };
	MUST(setrlimit(RLIMIT_RTPRIO, &none));
	MUST(setrlimit(RLIMIT_NICE, &none));
	struct sched_param sp = { 0 };
	MUST(sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &sp));
	drop_cap(CAP_SYS_NICE);
	sp.sched_priority = 1;
	SHOW(sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp));
	sp.sched_priority = 0;
	/* Giving up reset-on-fork needs privilege. */
	SHOW(sched_setscheduler(0, SCHED_OTHER, &sp));
	SHOW(sched_setscheduler(0, SCHED_BATCH | SCHED_RESET_ON_FORK, &sp));
	show_param();
	SHOW(sched_setscheduler(0, SCHED_IDLE | SCHED_RESET_ON_FORK, &sp));
	/* Leaving SCHED_IDLE is raising the priority. */
	SHOW(sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &sp));
	show_param();
}

static void attrs(void)
{
	struct attr a;
	MUST(setpriority(PRIO_PROCESS, 0, 0));
	memset(&a, 0xff, sizeof a);
	SHOW(syscall(SYS_sched_getattr, 0, &a, 48, 0));
	printf("size %u policy %u flags %llu nice %d prio %u runtime > 0 %s util %u %u\n", a.size, a.policy,
	       a.flags, a.nice, a.prio, a.runtime > 0 ? "yes" : "no", a.util_min, a.util_max);
	memset(&a, 0xff, sizeof a);
	SHOW(syscall(SYS_sched_getattr, 0, &a, sizeof a, 0));
	printf("size %u deadline %llu period %llu extra %#x\n", a.size, a.deadline, a.period, a.extra[0]);
	SHOW(syscall(SYS_sched_getattr, 0, &a, 47, 0));
	SHOW(syscall(SYS_sched_getattr, 0, &a, 4097, 0));
	SHOW(syscall(SYS_sched_getattr, 0, &a, 48, 1));
	SHOW(syscall(SYS_sched_getattr, 0, NULL, 48, 0));
	SHOW(syscall(SYS_sched_getattr, -1, &a, 48, 0));
	SHOW(syscall(SYS_sched_getattr, 999999, &a, 48, 0));
	SHOW(syscall(SYS_sched_getattr, 0, (void *)1, 48, 0));

	memset(&a, 0, sizeof a);
	a.size = 48;
	a.nice = 5;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	SHOW(getpriority(PRIO_PROCESS, 0));
	a.nice = -50;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	SHOW(getpriority(PRIO_PROCESS, 0));
	a.size = 0;
	a.nice = 1;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	SHOW(getpriority(PRIO_PROCESS, 0));
	a.size = 40;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	printf("size now %u\n", a.size);
	a.size = sizeof a;
	a.extra[3] = 1;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	printf("size now %u\n", a.size);
	a.size = sizeof a;
	a.extra[3] = 0;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	a.size = 5000;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	printf("size now %u\n", a.size);
	a.size = 48;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 1));
	SHOW(syscall(SYS_sched_setattr, -1, &a, 0));
	SHOW(syscall(SYS_sched_setattr, 0, NULL, 0));
	SHOW(syscall(SYS_sched_setattr, 999999, &a, 0));
	SHOW(syscall(SYS_sched_setattr, 0, (void *)1, 0));
	a.policy = SCHED_FIFO;
	a.prio = 5;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	show_param();
	/* Keep the policy: the priority must suit FIFO. */
	a.policy = SCHED_OTHER;
	a.prio = 0;
	a.flags = 0x08;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	a.prio = 7;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	show_param();
	/* Keep the parameters: nothing but reset-on-fork changes. */
	a.flags = 0x10 | 0x01;
	a.policy = SCHED_BATCH;
	a.prio = 0;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	show_param();
	a.flags = 0x1000;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	a.flags = 0;
	a.policy = -2;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	a.policy = SCHED_DEADLINE;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	a.runtime = 500;
	a.deadline = 10000000;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	a.runtime = 20000000;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	a.runtime = 1000000;
	a.period = 5000000;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	a.policy = SCHED_OTHER;
	a.runtime = a.deadline = a.period = 0;
	a.nice = 0;
	SHOW(syscall(SYS_sched_setattr, 0, &a, 0));
	show_param();
}

static void nice_values(void)
{
	struct rlimit nice_lim = { 0, 0 };
	MUST(setrlimit(RLIMIT_NICE, &nice_lim));
	MUST(setsid());
	SHOW(setpriority(PRIO_PROCESS, 0, 0));
	SHOW(getpriority(PRIO_PROCESS, 0));
	SHOW(setpriority(PRIO_PROCESS, 0, 5));
	SHOW(getpriority(PRIO_PROCESS, 0));
	SHOW(getpriority(PRIO_PROCESS, getpid()));
	SHOW(syscall(SYS_getpriority, PRIO_PROCESS, 0));
	SHOW(getpriority(PRIO_PGRP, 0));
	SHOW(getpriority(PRIO_PGRP, getpid()));
	SHOW(setpriority(PRIO_PROCESS, 0, 100));
	SHOW(getpriority(PRIO_PROCESS, 0));
	SHOW(setpriority(PRIO_PROCESS, 0, -100));
	SHOW(getpriority(PRIO_PROCESS, 0));
	SHOW(setpriority(PRIO_PGRP, 0, 3));
	SHOW(getpriority(PRIO_PROCESS, 0));
	SHOW(syscall(SYS_getpriority, 3, 0));
	SHOW(syscall(SYS_getpriority, -1, 0));
	SHOW(syscall(SYS_setpriority, 3, 0, 0));
	SHOW(syscall(SYS_getpriority, PRIO_PROCESS, 999999));
	SHOW(syscall(SYS_setpriority, PRIO_PROCESS, 999999, 0));
	SHOW(syscall(SYS_getpriority, PRIO_PGRP, 999999));
	SHOW(syscall(SYS_getpriority, PRIO_USER, 54321));
	SHOW(syscall(SYS_setpriority, PRIO_USER, 54321, 0));
	drop_cap(CAP_SYS_NICE);
	/* Raising the nice value is always allowed, lowering it needs RLIMIT_NICE. */
	SHOW(setpriority(PRIO_PROCESS, 0, 10));
	SHOW(setpriority(PRIO_PROCESS, 0, 9));
	SHOW(getpriority(PRIO_PROCESS, 0));
	nice_lim.rlim_cur = nice_lim.rlim_max = 0;
	SHOW(setpriority(PRIO_PROCESS, 0, 10));
	SHOW(getpriority(PRIO_PROCESS, 0));
}

static void affinity(void)
{
	cpu_set_t set, one, got;
	CPU_ZERO(&set);
	long n = SHOWOK(syscall(SYS_sched_getaffinity, 0, sizeof set, &set));
	CHECK(n >= 8 && n % 8 == 0);
	int first = -1;
	for (int c = 0; c < CPU_SETSIZE && first < 0; c++)
		if (CPU_ISSET(c, &set))
			first = c;
	CHECK(first >= 0);
	SHOW(syscall(SYS_sched_getaffinity, 0, 8, &got));
	SHOW(syscall(SYS_sched_getaffinity, 0, 0, &got));
	SHOW(syscall(SYS_sched_getaffinity, 0, 12, &got));
	SHOW(syscall(SYS_sched_getaffinity, -1, sizeof got, &got));
	SHOW(syscall(SYS_sched_getaffinity, 999999, sizeof got, &got));
	SHOW(syscall(SYS_sched_getaffinity, 0, sizeof got, (void *)1));

	CPU_ZERO(&one);
	CPU_SET(first, &one);
	SHOW(sched_setaffinity(0, sizeof one, &one));
	CPU_ZERO(&got);
	SHOWOK(sched_getaffinity(0, sizeof got, &got));
	CHECK(CPU_EQUAL(&got, &one));
	unsigned cpu = 9999;
	SHOW(syscall(SYS_getcpu, &cpu, NULL, NULL));
	CHECK((int)cpu == first);

	cpu_set_t none;
	CPU_ZERO(&none);
	SHOW(sched_setaffinity(0, sizeof none, &none));
	CPU_SET(CPU_SETSIZE - 1, &none);
	SHOW(sched_setaffinity(0, sizeof none, &none));
	SHOW(syscall(SYS_sched_setaffinity, 0, 0, &set));
	SHOW(syscall(SYS_sched_setaffinity, 0, 8, (void *)1));
	SHOW(syscall(SYS_sched_setaffinity, 999999, sizeof set, &set));
	SHOW(syscall(SYS_sched_setaffinity, -1, sizeof set, &set));
	SHOW(sched_setaffinity(0, sizeof set, &set));
	CPU_ZERO(&got);
	SHOWOK(sched_getaffinity(0, sizeof got, &got));
	CHECK(CPU_EQUAL(&got, &set));

	unsigned node = 9999;
	SHOW(syscall(SYS_getcpu, &cpu, &node, NULL));
	CHECK(CPU_ISSET(cpu, &set) && node == 0);
	SHOW(syscall(SYS_getcpu, NULL, NULL, NULL));
	SHOW(syscall(SYS_getcpu, NULL, (void *)1, NULL));
}

int main(void)
{
	in_child(policies);
	in_child(unprivileged_policies);
	in_child(attrs);
	in_child(nice_values);
	in_child(affinity);
	return 0;
}
