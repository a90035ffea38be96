/* rlimit: getrlimit/setrlimit/prlimit64 argument checks (bad resource, cur > max, EFAULT
 * before or after the change), raising a hard limit without CAP_SYS_RESOURCE (EPERM), the
 * fs.nr_open ceiling of RLIMIT_NOFILE, prlimit on another process, and getrusage. Inherited
 * limits differ between machines: the program sets every limit it prints first, and works
 * without CAP_SYS_RESOURCE so that only lowering limits can succeed. */
#include "common.h"
#include <linux/capability.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

static void drop_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	MUST(syscall(SYS_capget, &h, d));
	d[cap / 32].effective &= ~(1u << (cap % 32));
	d[cap / 32].permitted &= ~(1u << (cap % 32));
	MUST(syscall(SYS_capset, &h, d));
}

static void show(const char *what, int res)
{
	struct rlimit rl;
	if (getrlimit(res, &rl) == -1) {
		printf("%s: getrlimit %s\n", what, errno_name(errno));
		return;
	}
	printf("%s: %lld %lld\n", what, (long long)rl.rlim_cur, (long long)rl.rlim_max);
}

static void checks(void)
{
	struct rlimit rl;
	for (int r = 0; r < RLIM_NLIMITS; r++) {
		long ok = getrlimit(r, &rl);
		printf("resource %d: %s, cur <= max %s\n", r, ok ? errno_name(errno) : "ok",
		       rl.rlim_cur <= rl.rlim_max ? "yes" : "NO");
	}
	SHOW(getrlimit(RLIM_NLIMITS, &rl));
	SHOW(syscall(SYS_getrlimit, -1, &rl));
	SHOW(syscall(SYS_getrlimit, 99, (void *)1));
	SHOW(syscall(SYS_getrlimit, RLIMIT_CORE, (void *)1));
	/* setrlimit copies the new value before it looks at the resource. */
	SHOW(syscall(SYS_setrlimit, 99, (void *)1));
	struct rlimit core = { 0, 4096 };
	SHOW(setrlimit(RLIMIT_CORE, &core));
	show("CORE", RLIMIT_CORE);
	struct rlimit inverted = { 8192, 4096 };
	SHOW(setrlimit(RLIMIT_CORE, &inverted));
	SHOW(setrlimit(RLIM_NLIMITS, &core));
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY };
	SHOW(setrlimit(RLIMIT_CORE, &inf) == 0 || errno == EPERM);
}

static void nofile(void)
{
	struct rlimit rl = { 256, 512 };
	SHOW(setrlimit(RLIMIT_NOFILE, &rl));
	show("NOFILE", RLIMIT_NOFILE);
	struct rlimit huge = { 256, (1 << 20) + 1 };
	SHOW(setrlimit(RLIMIT_NOFILE, &huge));
	struct rlimit inf = { 256, RLIM_INFINITY };
	SHOW(setrlimit(RLIMIT_NOFILE, &inf));
	show("NOFILE", RLIMIT_NOFILE);
	rl.rlim_cur = 10;
	SHOW(setrlimit(RLIMIT_NOFILE, &rl));
	SHOW(dup2(0, 9));
	SHOW(dup2(0, 10));
	SHOW(fcntl(0, F_DUPFD, 5) < 10);
	SHOW(close(9));
}

static void raising(void)
{
	struct rlimit rl = { 100, 200 };
	MUST(setrlimit(RLIMIT_STACK, &(struct rlimit){ 8 << 20, 16 << 20 }));
	MUST(setrlimit(RLIMIT_NOFILE, &rl));
	/* Lowering and moving the soft limit below the hard one is always allowed. */
	rl.rlim_cur = 150;
	SHOW(setrlimit(RLIMIT_NOFILE, &rl));
	rl.rlim_max = 150;
	SHOW(setrlimit(RLIMIT_NOFILE, &rl));
	rl.rlim_max = 151;
	SHOW(setrlimit(RLIMIT_NOFILE, &rl));
	show("NOFILE", RLIMIT_NOFILE);
	struct rlimit stack = { 16 << 20, 32 << 20 };
	SHOW(setrlimit(RLIMIT_STACK, &stack));
	stack.rlim_max = 16 << 20;
	SHOW(setrlimit(RLIMIT_STACK, &stack));
	show("STACK", RLIMIT_STACK);
	struct rlimit new = { 64, 150 }, old = { 0, 0 };
	SHOW(prlimit(0, RLIMIT_NOFILE, &new, &old));
	printf("old %lld %lld\n", (long long)old.rlim_cur, (long long)old.rlim_max);
	new.rlim_max = 1000;
	SHOW(prlimit(0, RLIMIT_NOFILE, &new, &old));
	show("NOFILE after refused raise", RLIMIT_NOFILE);
}

static void prlimits(void)
{
	struct rlimit rl = { 100, 200 }, old;
	MUST(setrlimit(RLIMIT_NOFILE, &rl));
	SHOW(prlimit(0, RLIMIT_NOFILE, NULL, NULL));
	SHOW(prlimit(getpid(), RLIMIT_NOFILE, NULL, &old));
	printf("old %lld %lld\n", (long long)old.rlim_cur, (long long)old.rlim_max);
	SHOW(prlimit(-1, RLIMIT_NOFILE, NULL, &old));
	SHOW(prlimit(999999, RLIMIT_NOFILE, NULL, &old));
	SHOW(prlimit(0, 1000, NULL, &old));
	SHOW(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, (void *)1, NULL));
	/* A bad old pointer fails after the new limit took effect. */
	struct rlimit new = { 50, 200 };
	SHOW(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &new, (void *)1));
	show("NOFILE", RLIMIT_NOFILE);

	/* Another process: its limits are its own, read and set from here. The child waits
	 * for SIGUSR1 before it looks at its limit. */
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	MUST(sigprocmask(SIG_BLOCK, &usr1, NULL));
	fflush(stdout);
	pid_t child = MUST(fork());
	if (child == 0) {
		MUST(sigwaitinfo(&usr1, NULL));
		show("child NOFILE", RLIMIT_NOFILE);
		fflush(stdout);
		_exit(0);
	}
	SHOW(prlimit(child, RLIMIT_NOFILE, NULL, &old));
	printf("child's %lld %lld\n", (long long)old.rlim_cur, (long long)old.rlim_max);
	new.rlim_cur = 20;
	new.rlim_max = 100;
	SHOW(prlimit(child, RLIMIT_NOFILE, &new, &old));
	show("parent NOFILE", RLIMIT_NOFILE);
	MUST(kill(child, SIGUSR1));
	int st;
	MUST(waitpid(child, &st, 0));
	SHOW(prlimit(child, RLIMIT_NOFILE, NULL, &old));
}

static void usage(void)
{
	struct rusage ru;
	SHOW(getrusage(RUSAGE_SELF, &ru));
	CHECK(ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000);
	SHOW(getrusage(RUSAGE_THREAD, &ru));
	SHOW(getrusage(RUSAGE_CHILDREN, &ru));
	SHOW(syscall(SYS_getrusage, 99, &ru));
	SHOW(syscall(SYS_getrusage, -2, &ru));
	SHOW(syscall(SYS_getrusage, RUSAGE_SELF, (void *)1));
}

static void in_child(void (*fn)(void))
{
	fflush(stdout);
	pid_t p = MUST(fork());
	if (p == 0) {
		/* The host's root may lack CAP_SYS_RESOURCE: nobody has it here. */
		drop_cap(CAP_SYS_RESOURCE);
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	MUST(waitpid(p, &st, 0));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("child failed: status %#x\n", st);
}

int main(void)
{
	in_child(checks);
	in_child(nofile);
	in_child(raising);
	in_child(prlimits);
	usage();
	return 0;
}
