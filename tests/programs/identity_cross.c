/* identity_cross: permission checks between processes of different users — prlimit64,
 * setpriority, sched_setaffinity and sched_setscheduler need the caller to own the target (or
 * a capability); capget and getpriority(PRIO_USER) see another process's credentials. The
 * parent stays root (without CAP_SYS_RESOURCE, which the host's root may lack), its child
 * becomes uid 43210 (a uid no other case uses: getpriority(PRIO_USER) sees every process of
 * the uid on the host, and the suite runs cases in parallel); they take turns through a
 * shared page. */
#include "common.h"
#include <linux/capability.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

static volatile int *stage;

static void wait_stage(int s)
{
	struct timespec d = { 0, 1000000 };
	while (*stage < s)
		nanosleep(&d, NULL);
}

static void drop_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	MUST(syscall(SYS_capget, &h, d));
	d[cap / 32].effective &= ~(1u << (cap % 32));
	d[cap / 32].permitted &= ~(1u << (cap % 32));
	MUST(syscall(SYS_capset, &h, d));
}

static const char *has_setuid(pid_t pid)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, pid };
	struct __user_cap_data_struct d[2];
	MUST(syscall(SYS_capget, &h, d));
	return d[0].effective & (1u << CAP_SETUID) ? "yes" : "no";
}

static void child(pid_t parent)
{
	MUST(setresuid(43210, 43210, 43210));
	*stage = 1;
	wait_stage(2);
	struct rlimit rl;
	SHOW(prlimit(parent, RLIMIT_NOFILE, NULL, &rl));
	SHOW(setpriority(PRIO_PROCESS, parent, 5));
	SHOW(getpriority(PRIO_PROCESS, parent));
	cpu_set_t set;
	CPU_ZERO(&set);
	MUST(sched_getaffinity(0, sizeof set, &set));
	SHOW(sched_setaffinity(parent, sizeof set, &set));
	SHOW(sched_getaffinity(parent, sizeof set, &set));
	struct sched_param sp = { 0 };
	SHOW(sched_setscheduler(parent, SCHED_OTHER, &sp));
	SHOW(sched_getscheduler(parent));
	printf("parent has CAP_SETUID: %s\n", has_setuid(parent));
}

static void parent(void)
{
	drop_cap(CAP_SYS_RESOURCE);
	pid_t me = getpid();
	fflush(stdout);
	pid_t c = MUST(fork());
	if (c == 0) {
		child(me);
		fflush(stdout);
		_exit(0);
	}
	wait_stage(1);
	struct rlimit rl = { 10, 20 };
	SHOW(prlimit(c, RLIMIT_NOFILE, &rl, NULL));
	SHOW(prlimit(c, RLIMIT_NOFILE, NULL, &rl));
	SHOW(setpriority(PRIO_PROCESS, c, 7));
	SHOW(getpriority(PRIO_USER, 43210));
	SHOW(getpriority(PRIO_USER, 43211));
	printf("child has CAP_SETUID: %s\n", has_setuid(c));
	fflush(stdout);
	*stage = 2;
	int st;
	MUST(waitpid(c, &st, 0));
}

int main(void)
{
	stage = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (stage == MAP_FAILED) {
		printf("setup failed: mmap\n");
		return 99;
	}
	/* Not in the sandbox's first process: that one is an init. */
	fflush(stdout);
	pid_t p = MUST(fork());
	if (p == 0) {
		parent();
		fflush(stdout);
		_exit(0);
	}
	int st;
	MUST(waitpid(p, &st, 0));
	return 0;
}
