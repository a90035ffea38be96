/* garbage_misc: process-information, time, identity, rlimit, scheduling and signal-state
 * syscalls, plus execve, given bad pointers, read-only output buffers, invalid clock ids,
 * resources, signal numbers, set sizes and flags; each must fail (or succeed) as Linux
 * does. Values that depend on the machine or the run (pids, times, limits, group lists)
 * are printed as "ok". See garbage.h for the names.
 *
 * Left out on purpose: exit, exit_group, kill/tkill/tgkill and everything that changes
 * identity (set*id, setgroups, capset) or host state (settimeofday, clock_settime,
 * adjtimex, sethostname, reboot, setpriority, sched_set*), calls that would block
 * (pause, rt_sigsuspend, sleeps with valid times), arming timers (alarm, setitimer with a
 * valid value), ARCH_SET_FS/GS with a canonical address (it would break TLS) and
 * ARCH_SET_CPUID (depends on the CPU), and PR_SET/GET_PDEATHSIG (documented as not
 * implemented). */
#include "garbage.h"
#include <asm/prctl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

static char buf[4096];
static char *self;
static char *argv_ok[] = { "garbage_misc", "re-executed", NULL };
static char *argv_bad[] = { "garbage_misc", (char *)1, NULL };
static char *envp_ok[] = { NULL };
static struct timespec ts_bad_nsec = { 0, 1000000000 };
static struct timespec ts_neg = { -1, 0 };
static struct rlimit rl_inverted = { 10, 5 };
static stack_t ss_bad_flags = { .ss_flags = 0x1234 };
static stack_t ss_small = { .ss_sp = buf, .ss_size = 1 };

static void process_info(void)
{
	TOK(getpid, BAD1, BADM1, -1);
	TOK(getppid, BAD1, BADM1, -1);
	TOK(gettid, BAD1, BADM1, -1);
	long tid = syscall(SYS_gettid);
	printf("set_tid_address(BAD1) = %s\n", syscall(SYS_set_tid_address, BAD1) == tid ? "tid" : "OTHER");
	MUST(umask(022));
	T(umask, ~0);
	T(umask, 022);
	T(umask, 0x7fff0000);
	T(umask, 022);
	void *head;
	size_t len;
	MUST(syscall(SYS_get_robust_list, 0, &head, &len));
	T(set_robust_list, BAD1, 23);
	T(set_robust_list, NULL, 0);
	T(set_robust_list, BAD1, -1);
	T(set_robust_list, BAD1, 24);
	MUST(syscall(SYS_set_robust_list, head, len));
	T(get_robust_list, 0, BAD1, &len);
	T(get_robust_list, 0, &head, BAD1);
	T(get_robust_list, 0, RO, &len);
	T(get_robust_list, -1, &head, &len);
	T(get_robust_list, INT_MAX, &head, &len);
	T(prctl, 0xdead, 0, 0, 0, 0);
	T(prctl, -1, 0, 0, 0, 0);
	T(prctl, PR_GET_NAME, BAD1);
	T(prctl, PR_GET_NAME, RO);
	T(prctl, PR_GET_NAME, EDGE_END(8));
	T(prctl, PR_SET_NAME, BAD1);
	T(prctl, PR_SET_NAME, NONE);
	memcpy(EDGE_END(5), "abcd", 5);
	T(prctl, PR_SET_NAME, EDGE_END(5));
	memset(buf, 0, 16);
	T(prctl, PR_GET_NAME, buf);
	printf("name now: %s\n", buf);
	T(prctl, PR_SET_DUMPABLE, 2);
	T(prctl, PR_SET_DUMPABLE, -1);
	T(prctl, PR_GET_DUMPABLE, BAD1);
	T(prctl, PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0);
	T(prctl, PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0);
	T(prctl, PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0);
	T(arch_prctl, 0, 0);
	T(arch_prctl, 0x9999, buf);
	T(arch_prctl, ARCH_GET_FS, BAD1);
	T(arch_prctl, ARCH_GET_FS, RO);
	T(arch_prctl, ARCH_GET_GS, NONE);
	T(arch_prctl, ARCH_SET_FS, NONCANON);
	T(arch_prctl, ARCH_SET_FS, BADM1);
	T(arch_prctl, ARCH_SET_GS, NONCANON);
	T(arch_prctl, ARCH_GET_CPUID, BAD1);
}

static void times_(void)
{
	T(clock_gettime, 999, buf);
	T(clock_gettime, -1, buf);
	T(clock_gettime, INT_MIN, buf);
	T(clock_gettime, CLOCK_MONOTONIC, BAD1);
	T(clock_gettime, CLOCK_REALTIME, RO);
	T(clock_gettime, CLOCK_PROCESS_CPUTIME_ID, NULL);
	T(clock_getres, 999, buf);
	T(clock_getres, -1, buf);
	T(clock_getres, CLOCK_MONOTONIC, NULL);
	T(clock_getres, CLOCK_MONOTONIC, BAD1);
	T(clock_getres, CLOCK_REALTIME, RO);
	T(gettimeofday, BAD1, NULL);
	T(gettimeofday, NULL, BAD1);
	T(gettimeofday, RO, NULL);
	T(gettimeofday, NULL, NULL);
	T(time, BAD1);
	T(time, RO);
	TOK(times, NULL);
	T(times, BAD1);
	T(times, RO);
	T(nanosleep, BAD1, NULL);
	T(nanosleep, &ts_bad_nsec, NULL);
	T(nanosleep, &ts_neg, NULL);
	T(nanosleep, NONE, NULL);
	T(clock_nanosleep, 999, 0, &ts_neg, NULL);
	T(clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &ts_neg, NULL);
	T(clock_nanosleep, CLOCK_MONOTONIC, 0, BAD1, NULL);
	T(clock_nanosleep, CLOCK_MONOTONIC, 0, &ts_bad_nsec, NULL);
	T(clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &ts_neg, NULL);
	T(clock_nanosleep, CLOCK_MONOTONIC, ~0, &ts_neg, NULL);
	T(getitimer, 99, buf);
	T(getitimer, ITIMER_REAL, BAD1);
	T(setitimer, 99, NULL, NULL);
	T(setitimer, ITIMER_REAL, BAD1, NULL);
}

static void identity(void)
{
	T(getuid, BAD1);
	T(geteuid, BAD1);
	T(getgid, BAD1);
	T(getegid, BAD1);
	T(getresuid, BAD1, buf, buf);
	T(getresuid, buf, buf, RO);
	T(getresgid, buf, NONE, buf);
	T(getgroups, -1, buf);
	TOK(getgroups, INT_MAX, buf);
	TOK(getgroups, 0, BAD1);
	TOK(getpgid, 0);
	T(getpgid, -1);
	T(getpgid, INT_MAX);
	TOK(getpgrp, BAD1);
	T(getsid, -1);
	T(getsid, INT_MAX);
	T(capget, BAD1, buf);
	T(capget, NULL, buf);
	T(uname, BAD1);
	T(uname, RO);
	T(sysinfo, BAD1);
	T(sysinfo, RO);
	T(getrlimit, 999, buf);
	T(getrlimit, -1, buf);
	T(getrlimit, RLIMIT_NOFILE, BAD1);
	T(getrlimit, RLIMIT_NOFILE, RO);
	T(setrlimit, 999, buf);
	T(setrlimit, RLIMIT_CORE, BAD1);
	T(setrlimit, RLIMIT_CORE, &rl_inverted);
	T(prlimit64, 0, 999, NULL, buf);
	T(prlimit64, 0, RLIMIT_CORE, NULL, BAD1);
	T(prlimit64, 0, RLIMIT_CORE, BAD1, NULL);
	T(prlimit64, 0, RLIMIT_CORE, &rl_inverted, NULL);
	T(prlimit64, -1, RLIMIT_CORE, NULL, buf);
	T(prlimit64, INT_MAX, RLIMIT_CORE, NULL, buf);
	T(prlimit64, 0, RLIMIT_CORE, NULL, NULL);
	T(getrusage, 99, buf);
	T(getrusage, -2, buf);
	T(getrusage, RUSAGE_SELF, BAD1);
	T(getrusage, RUSAGE_CHILDREN, RO);
}

static void scheduling(void)
{
	T(sched_yield, BAD1, BADM1);
	T(sched_getaffinity, 0, 0, buf);
	T(sched_getaffinity, 0, 7, buf);
	T(sched_getaffinity, 0, 1024, BAD1);
	T(sched_getaffinity, 0, 1024, RO);
	T(sched_getaffinity, -1, 1024, buf);
	T(sched_getaffinity, INT_MAX, 1024, buf);
	T(sched_getscheduler, -1);
	T(sched_getscheduler, INT_MAX);
	T(sched_getparam, 0, BAD1);
	T(sched_getparam, -1, buf);
	T(sched_get_priority_max, 999);
	T(sched_get_priority_min, -1);
	T(sched_rr_get_interval, 0, BAD1);
	T(sched_rr_get_interval, -1, buf);
	T(sched_getattr, 0, buf, 0, 0);
	T(sched_getattr, 0, BAD1, 48, 0);
	T(sched_getattr, 0, buf, 48, 1);
	T(getpriority, 999, 0);
	T(getpriority, PRIO_PROCESS, INT_MAX);
	T(getcpu, BAD1, NULL, NULL);
	T(getcpu, NULL, RO, NULL);
}

static void signal_state(void)
{
	T(rt_sigaction, 0, NULL, buf, 8);
	T(rt_sigaction, 65, NULL, buf, 8);
	T(rt_sigaction, -1, NULL, buf, 8);
	T(rt_sigaction, SIGKILL, buf, NULL, 8);
	T(rt_sigaction, SIGSTOP, NULL, buf, 8);
	T(rt_sigaction, SIGUSR1, NULL, buf, 4);
	T(rt_sigaction, SIGUSR1, NULL, buf, 16);
	T(rt_sigaction, SIGUSR1, BAD1, NULL, 8);
	T(rt_sigaction, SIGUSR1, NULL, BAD1, 8);
	T(rt_sigaction, SIGUSR1, NULL, RO, 8);
	T(rt_sigprocmask, 99, buf, NULL, 8);
	T(rt_sigprocmask, 99, NULL, NULL, 8);
	T(rt_sigprocmask, SIG_BLOCK, NULL, NULL, 4);
	T(rt_sigprocmask, SIG_BLOCK, BAD1, NULL, 8);
	T(rt_sigprocmask, SIG_BLOCK, NULL, BAD1, 8);
	T(rt_sigprocmask, SIG_BLOCK, NULL, RO, 8);
	T(rt_sigpending, BAD1, 8);
	T(rt_sigpending, buf, 9);
	T(rt_sigpending, RO, 8);
	T(sigaltstack, BAD1, NULL);
	T(sigaltstack, NULL, BAD1);
	T(sigaltstack, NULL, RO);
	T(sigaltstack, &ss_bad_flags, NULL);
	T(sigaltstack, &ss_small, NULL);
	T(rt_sigtimedwait, BAD1, NULL, &ts_neg, 8);
	T(rt_sigtimedwait, buf, NULL, &ts_neg, 4);
	T(rt_sigtimedwait, buf, NULL, BAD1, 8);
}

static void execs(void)
{
	T(execve, BAD1, argv_ok, envp_ok);
	T(execve, NONE, argv_ok, envp_ok);
	T(execve, RO, argv_ok, envp_ok);
	T(execve, "", argv_ok, envp_ok);
	T(execve, "missing", argv_ok, envp_ok);
	T(execve, "nx", argv_ok, envp_ok);
	T(execve, ".", argv_ok, envp_ok);
	T(execve, "nx/", argv_ok, envp_ok);
	T(execve, self, BAD1, envp_ok);
	T(execve, self, argv_ok, BAD1);
	T(execve, self, argv_bad, envp_ok);
	T(execve, self, NONE, envp_ok);
	T(execve, self, RO, envp_ok);
	T(execve, self, argv_ok, RO);
}

int main(int argc, char **argv)
{
	/* A sandbox that let one of the bad execve calls through lands here. */
	if (argc != 1) {
		printf("re-executed with %d arguments\n", argc);
		return 0;
	}
	self = realpath(argv[0], NULL);
	if (!self) {
		printf("setup failed: realpath: %s\n", errno_name(errno));
		return 99;
	}
	tmpdir_enter();
	garbage_init();
	write_file("nx", "not executable\n");
	process_info();
	times_();
	identity();
	scheduling();
	signal_state();
	execs();
	tmpdir_leave();
	return 0;
}
