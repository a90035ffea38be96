/* seccomp(2) and prctl(PR_SET_SECCOMP): the application's own filters, in forked children,
 * with raw struct sock_filter programs. */
#include "common.h"
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <ucontext.h>

#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define LD_ARCH BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch))
#define LD_ARG0_LO BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]))
#define LD_ARG0_HI BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]) + 4)
/* If nr == N, return R; else go on. */
#define ON(N, R) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (N), 0, 1), BPF_STMT(BPF_RET | BPF_K, (R))
#define RET(R) BPF_STMT(BPF_RET | BPF_K, (R))
#define N(a) ((unsigned short)(sizeof(a) / sizeof((a)[0])))

static long install(struct sock_filter *f, unsigned short n, unsigned flags)
{
	struct sock_fprog p = { n, f };
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &p);
}

static void nnp(void)
{
	MUST(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
}

static void status_lines(const char *who)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	if (!f) {
		printf("%s: status: %s\n", who, errno_name(errno));
		return;
	}
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "Seccomp", 7) || !strncmp(line, "NoNewPrivs", 10))
			printf("%s: %s", who, line);
	fclose(f);
}

/* Run fn in a child; print how it ended. */
static void run(const char *name, void (*fn)(void))
{
	printf("== %s\n", name);
	pid_t p = fork();
	if (p < 0) {
		printf("fork: %s\n", errno_name(errno));
		return;
	}
	if (p == 0) {
		/* No core files; the wait status's core bit is not printed. */
		struct rlimit rl = { 0, 0 };
		setrlimit(RLIMIT_CORE, &rl);
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	if (waitpid(p, &st, 0) != p) {
		printf("waitpid: %s\n", errno_name(errno));
		return;
	}
	if (WIFEXITED(st))
		printf("%s: exit %d\n", name, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by signal %d\n", name, WTERMSIG(st));
	else
		printf("%s: status %#x\n", name, st);
}

/* ---- actions ---- */

static void c_errno(void)
{
	struct sock_filter f[] = {
		LD_NR,
		ON(SYS_getpid, SECCOMP_RET_ERRNO | 1234),
		ON(SYS_gettid, SECCOMP_RET_ERRNO | 5000),
		ON(SYS_getppid, SECCOMP_RET_ERRNO | 0),
		RET(SECCOMP_RET_ALLOW),
	};
	status_lines("before");
	SHOW(prctl(PR_GET_SECCOMP));
	nnp();
	SHOW(install(f, N(f), 0));
	SHOW(syscall(SYS_getpid));
	SHOW(syscall(SYS_gettid));
	SHOW(syscall(SYS_getppid));
	SHOW(prctl(PR_GET_SECCOMP));
	status_lines("after");
}

static void c_errno_arch(void)
{
	/* errno = arch & 0xfff for getpid (RET A, ALU). */
	struct sock_filter f[] = {
		LD_NR,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 4),
		LD_ARCH,
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xfff),
		BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
		BPF_STMT(BPF_RET | BPF_A, 0),
		/* x32 numbers reach the filters as they are. */
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x40000000, 0, 1),
		RET(SECCOMP_RET_ERRNO | 99),
		RET(SECCOMP_RET_ALLOW),
	};
	nnp();
	SHOW(install(f, N(f), 0));
	SHOW(syscall(SYS_getpid));
	SHOW(syscall(0x40000000 | SYS_getppid));
}

static volatile long trap_rax;

static void on_sigsys(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	/* si_call_addr (seccomp_data.instruction_pointer) follows the syscall instruction. */
	const unsigned char *ip = si->si_call_addr;
	printf("SIGSYS: after syscall instruction: %s\n", ip && ip[-2] == 0x0f && ip[-1] == 0x05 ? "yes" : "no");
	printf("SIGSYS: sig=%d code=%d syscall=%d arch=%#x errno=%d call_addr_set=%d\n", sig,
	       si->si_code, si->si_syscall, si->si_arch, si->si_errno, si->si_call_addr != NULL);
	trap_rax = uc->uc_mcontext.gregs[REG_RAX];
}

static void c_trap(void)
{
	struct sock_filter f[] = {
		LD_NR,
		ON(SYS_dup, SECCOMP_RET_TRAP | 42),
		RET(SECCOMP_RET_ALLOW),
	};
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	MUST(sigaction(SIGSYS, &sa, NULL));
	nnp();
	SHOW(install(f, N(f), SECCOMP_FILTER_FLAG_LOG));
	SHOW(syscall(SYS_dup, 1));
	/* The handler sees the registers as at the call: rax is the number. */
	CHECK(trap_rax == SYS_dup);
	/* The trap with SIGSYS blocked is fatal. */
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGSYS);
	MUST(sigprocmask(SIG_BLOCK, &s, NULL));
	syscall(SYS_dup, 1);
	printf("not reached\n");
}

static void c_kill_process(void)
{
	struct sock_filter f[] = { LD_NR, ON(SYS_getpid, SECCOMP_RET_KILL_PROCESS), RET(SECCOMP_RET_ALLOW) };
	nnp();
	SHOW(install(f, N(f), 0));
	syscall(SYS_getpid);
	printf("not reached\n");
}

static void c_kill_thread_alone(void)
{
	struct sock_filter f[] = { LD_NR, ON(SYS_getpid, SECCOMP_RET_KILL_THREAD), RET(SECCOMP_RET_ALLOW) };
	nnp();
	SHOW(install(f, N(f), 0));
	syscall(SYS_getpid);
	printf("not reached\n");
}

static void c_unknown_action(void)
{
	struct sock_filter f[] = { LD_NR, ON(SYS_getpid, 0x00010000), RET(SECCOMP_RET_ALLOW) };
	nnp();
	SHOW(install(f, N(f), 0));
	syscall(SYS_getpid);
	printf("not reached\n");
}

static void *getpid_thread(void *arg)
{
	(void)arg;
	syscall(SYS_getpid);
	printf("thread: not reached\n");
	return NULL;
}

static void c_kill_thread_other(void)
{
	struct sock_filter f[] = { LD_NR, ON(SYS_getpid, SECCOMP_RET_KILL_THREAD), RET(SECCOMP_RET_ALLOW) };
	nnp();
	SHOW(install(f, N(f), 0));
	pthread_t th;
	SHOW(pthread_create(&th, NULL, getpid_thread, NULL));
	SHOW(pthread_join(th, NULL));
	printf("main thread goes on\n");
}

static void c_trace_notif(void)
{
	struct sock_filter f[] = {
		LD_NR,
		ON(SYS_getpid, SECCOMP_RET_TRACE | 5),
		ON(SYS_getppid, SECCOMP_RET_USER_NOTIF),
		ON(SYS_gettid, SECCOMP_RET_LOG),
		RET(SECCOMP_RET_ALLOW),
	};
	nnp();
	SHOW(install(f, N(f), 0));
	SHOW(syscall(SYS_getpid));
	SHOW(syscall(SYS_getppid));
	CHECK(syscall(SYS_gettid) > 0);
}

/* ---- stacking, arguments, inheritance ---- */

static void c_stack(void)
{
	struct sock_filter f1[] = {
		LD_NR,
		ON(SYS_getppid, SECCOMP_RET_ERRNO | 11),
		ON(SYS_getpid, SECCOMP_RET_ALLOW),
		RET(SECCOMP_RET_ALLOW),
	};
	struct sock_filter f2[] = {
		LD_NR,
		ON(SYS_getpid, SECCOMP_RET_ERRNO | 22),
		ON(SYS_gettid, SECCOMP_RET_TRAP),
		RET(SECCOMP_RET_ALLOW),
	};
	struct sock_filter f3[] = {
		LD_NR,
		ON(SYS_getpid, SECCOMP_RET_ERRNO | 33),
		ON(SYS_gettid, SECCOMP_RET_ERRNO | 44),
		ON(SYS_getuid, SECCOMP_RET_KILL_PROCESS),
		RET(SECCOMP_RET_ALLOW),
	};
	nnp();
	SHOW(install(f1, N(f1), 0));
	SHOW(install(f2, N(f2), 0));
	SHOW(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &(struct sock_fprog){ N(f3), f3 }));
	status_lines("stacked");
	SHOW(syscall(SYS_getppid));
	SHOW(syscall(SYS_getpid));
	/* KILL_PROCESS from the newest filter. */
	SHOW(syscall(SYS_getuid));
	printf("not reached\n");
}

static void c_stack_trap_wins(void)
{
	struct sock_filter f1[] = { LD_NR, ON(SYS_gettid, SECCOMP_RET_TRAP | 1), RET(SECCOMP_RET_ALLOW) };
	struct sock_filter f2[] = { LD_NR, ON(SYS_gettid, SECCOMP_RET_ERRNO | 44), RET(SECCOMP_RET_ALLOW) };
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	MUST(sigaction(SIGSYS, &sa, NULL));
	nnp();
	SHOW(install(f1, N(f1), 0));
	SHOW(install(f2, N(f2), 0));
	SHOW(syscall(SYS_gettid));
}

static void c_arg(void)
{
	/* write only to fd 1 (both halves of the argument checked). */
	struct sock_filter f[] = {
		LD_NR,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 0, 5),
		LD_ARG0_HI,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
		LD_ARG0_LO,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0),
		RET(SECCOMP_RET_ERRNO | EACCES),
		RET(SECCOMP_RET_ALLOW),
	};
	nnp();
	SHOW(install(f, N(f), 0));
	SHOW(write(1, "to stdout\n", 10));
	SHOW(write(2, "x", 1));
	SHOW(syscall(SYS_write, 0x100000001L, "y", 1));
	int p[2];
	MUST(pipe(p));
	SHOW(write(p[1], "x", 1));
}

static char *self_exe = "/proc/self/exe";

static void c_inherit(void)
{
	struct sock_filter f[] = { LD_NR, ON(SYS_getpid, SECCOMP_RET_ERRNO | 7), RET(SECCOMP_RET_ALLOW) };
	nnp();
	SHOW(install(f, N(f), 0));
	pid_t p = fork();
	if (p == 0) {
		printf("fork child: ");
		SHOW(syscall(SYS_getpid));
		status_lines("fork child");
		fflush(stdout);
		_exit(0);
	}
	int st;
	MUST(waitpid(p, &st, 0));
	fflush(stdout);
	char *argv[] = { self_exe, "exec-child", NULL };
	execv(self_exe, argv);
	printf("execv: %s\n", errno_name(errno));
}

static int exec_child(void)
{
	printf("after exec: ");
	SHOW(syscall(SYS_getpid));
	SHOW(prctl(PR_GET_SECCOMP));
	status_lines("after exec");
	return 0;
}

/* ---- strict mode ---- */

static void c_strict(void)
{
	SHOW(prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0));
	write(1, "strict: write works\n", 20);
	syscall(SYS_getpid);
	write(1, "not reached\n", 12);
}

static void c_strict_exit(void)
{
	SHOW(syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL));
	char c;
	/* read of a bad fd is allowed and fails. */
	if (read(-1, &c, 1) == -1 && errno == EBADF)
		write(1, "strict: read EBADF\n", 19);
	syscall(SYS_exit, 3);
}

static void c_strict_exit_group(void)
{
	SHOW(syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL));
	syscall(SYS_exit_group, 4);
}

static void c_mode_change(void)
{
	struct sock_filter f[] = { RET(SECCOMP_RET_ALLOW) };
	nnp();
	SHOW(install(f, N(f), 0));
	SHOW(syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL));
	SHOW(prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT));
	SHOW(prctl(PR_GET_SECCOMP));
}

/* ---- TSYNC ---- */

static pthread_barrier_t bar;
static long thread_result;
static struct sock_filter own_filter[] = { LD_NR, ON(SYS_getpid, SECCOMP_RET_ERRNO | 3), RET(SECCOMP_RET_ALLOW) };

static void *tsync_thread(void *arg)
{
	if (arg) {
		struct sock_fprog p = { N(own_filter), own_filter };
		syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p);
	}
	pthread_barrier_wait(&bar); /* filter(s) installed by main */
	pthread_barrier_wait(&bar);
	errno = 0;
	thread_result = syscall(SYS_getppid) == -1 ? -errno : 1;
	printf("thread no_new_privs: %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	return NULL;
}

static void tsync_case(int own, unsigned flags)
{
	struct sock_filter f[] = { LD_NR, ON(SYS_getppid, SECCOMP_RET_ERRNO | 9), RET(SECCOMP_RET_ALLOW) };
	pthread_t th;
	if (own)
		nnp();
	pthread_barrier_init(&bar, NULL, 2);
	MUST(pthread_create(&th, NULL, tsync_thread, own ? (void *)1 : NULL));
	pthread_barrier_wait(&bar);
	/* TSYNC gives the thread no_new_privs too. */
	nnp();
	long r = install(f, N(f), flags);
	if (r > 0)
		printf("install = a thread id\n");
	else
		SHOW(r);
	pthread_barrier_wait(&bar);
	pthread_join(th, NULL);
	printf("thread getppid: %s\n", thread_result == 1 ? "ok" : errno_name(-thread_result));
	printf("main ");
	SHOW(syscall(SYS_getppid) > 0);
}

static void c_no_tsync(void) { tsync_case(0, 0); }
static void c_tsync(void) { tsync_case(0, SECCOMP_FILTER_FLAG_TSYNC); }
static void c_tsync_fail(void) { tsync_case(1, SECCOMP_FILTER_FLAG_TSYNC); }
static void c_tsync_esrch(void) { tsync_case(1, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH); }

/* ---- errors ---- */

static void drop_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	MUST(syscall(SYS_capget, &h, d));
	d[cap / 32].effective &= ~(1u << (cap % 32));
	d[cap / 32].permitted &= ~(1u << (cap % 32));
	MUST(syscall(SYS_capset, &h, d));
}

static void c_eacces(void)
{
	struct sock_filter f[] = { RET(SECCOMP_RET_ALLOW) };
	SHOW(install(f, N(f), 0)); /* CAP_SYS_ADMIN is enough */
	drop_cap(CAP_SYS_ADMIN);
	SHOW(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	SHOW(install(f, N(f), 0));
	SHOW(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &(struct sock_fprog){ 1, f }));
	/* The length is checked first. */
	SHOW(install(f, 0, 0));
	nnp();
	SHOW(install(f, N(f), 0));
	status_lines("eacces");
}

static void c_einval(void)
{
	nnp();
	struct sock_filter ok = RET(SECCOMP_RET_ALLOW);
	struct sock_filter jump_out[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), ok };
	struct sock_filter ja_out[] = { BPF_STMT(BPF_JMP | BPF_JA, 1), ok };
	struct sock_filter no_ret[] = { LD_NR, BPF_STMT(BPF_LD | BPF_IMM, 0) };
	struct sock_filter bad_code[] = { BPF_STMT(0xffff, 0), ok };
	struct sock_filter packet_load[] = { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0), ok };
	struct sock_filter misaligned[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), ok };
	struct sock_filter past_end[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), ok };
	struct sock_filter div0[] = { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), ok };
	struct sock_filter mod[] = { BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3), ok };
	struct sock_filter uninit[] = { BPF_STMT(BPF_LD | BPF_MEM, 0), ok };
	struct sock_filter mem_range[] = { BPF_STMT(BPF_ST, 16), ok };
	struct sock_filter ret_x[] = { BPF_STMT(BPF_RET | BPF_X, 0) };
	static struct sock_filter big[4097];
	for (int i = 0; i < 4097; i++)
		big[i] = ok;
	SHOW(install(jump_out, N(jump_out), 0));
	SHOW(install(ja_out, N(ja_out), 0));
	SHOW(install(no_ret, N(no_ret), 0));
	SHOW(install(bad_code, N(bad_code), 0));
	SHOW(install(packet_load, N(packet_load), 0));
	SHOW(install(misaligned, N(misaligned), 0));
	SHOW(install(past_end, N(past_end), 0));
	SHOW(install(div0, N(div0), 0));
	SHOW(install(mod, N(mod), 0));
	SHOW(install(uninit, N(uninit), 0));
	SHOW(install(mem_range, N(mem_range), 0));
	SHOW(install(ret_x, N(ret_x), 0));
	SHOW(install(big, 0, 0));
	SHOW(install(big, 4097, 0));
	SHOW(install(&ok, 1, 1u << 12)); /* unknown flag */
	SHOW(syscall(SYS_seccomp, 99, 0, NULL));
	SHOW(syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 1, NULL));
	SHOW(syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, big));
	SHOW(prctl(PR_SET_SECCOMP, 3, 0));
	/* Bad pointers. */
	SHOW(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (void *)8));
	SHOW(install((struct sock_filter *)8, 1, 0));
	SHOW(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, (void *)8));
	status_lines("none installed");
	/* The biggest allowed program is fine. */
	SHOW(install(big, 4096, 0));
	status_lines("one installed");
}

static void c_action_avail(void)
{
	unsigned actions[] = { SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP,
			       SECCOMP_RET_ERRNO, SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE,
			       SECCOMP_RET_LOG, SECCOMP_RET_ALLOW, 0x00010000, SECCOMP_RET_ERRNO | 1 };
	for (unsigned i = 0; i < sizeof actions / sizeof actions[0]; i++) {
		printf("action %#x: ", actions[i]);
		SHOW(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &actions[i]));
	}
	SHOW(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 1, &actions[0]));
	SHOW(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, (void *)8));
	struct seccomp_notif_sizes sz;
	SHOW(syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz));
	printf("sizes: notif=%d resp=%d data=%d\n", sz.seccomp_notif, sz.seccomp_notif_resp, sz.seccomp_data);
	SHOW(syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 1, &sz));
	SHOW(syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, (void *)8));
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exec-child"))
		return exec_child();
	run("errno", c_errno);
	run("errno-arch", c_errno_arch);
	run("trap", c_trap);
	run("kill-process", c_kill_process);
	run("kill-thread-alone", c_kill_thread_alone);
	run("kill-thread-other", c_kill_thread_other);
	run("unknown-action", c_unknown_action);
	run("trace-notif-log", c_trace_notif);
	run("stack", c_stack);
	run("stack-trap-wins", c_stack_trap_wins);
	run("arg", c_arg);
	run("inherit", c_inherit);
	run("strict", c_strict);
	run("strict-exit", c_strict_exit);
	run("strict-exit-group", c_strict_exit_group);
	run("mode-change", c_mode_change);
	run("no-tsync", c_no_tsync);
	run("tsync", c_tsync);
	run("tsync-fail", c_tsync_fail);
	run("tsync-esrch", c_tsync_esrch);
	run("eacces", c_eacces);
	run("einval", c_einval);
	run("action-avail", c_action_avail);
	return 0;
}
