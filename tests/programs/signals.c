/* signals: rt_sigaction and rt_sigprocmask state round trips (no signal is ever raised),
 * sigaltstack, set_robust_list/get_robust_list. Uses the raw kernel sigaction layout so the
 * flags and masks are exactly what the kernel stores: SIGKILL/SIGSTOP can never be caught or
 * blocked, a bad sigset size is EINVAL, bad pointers are EFAULT. */
#include "common.h"
#include <linux/futex.h>
#include <signal.h>

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

#define BIT(sig) (1UL << ((sig) - 1))
#define SA_RESTORER_FLAG 0x04000000UL

static void handler(int sig) { (void)sig; }
static void restorer(void) {}

static long sigaction_raw(int sig, const struct ksigaction *act, struct ksigaction *old, size_t size)
{
	return syscall(SYS_rt_sigaction, sig, act, old, size);
}

static const char *disposition(void *h)
{
	if (h == SIG_DFL) return "SIG_DFL";
	if (h == SIG_IGN) return "SIG_IGN";
	if (h == (void *)handler) return "handler";
	return "OTHER";
}

static void actions(void)
{
	struct ksigaction act = { (void *)handler, SA_RESTART | SA_SIGINFO | SA_RESTORER_FLAG, (void *)restorer,
				  BIT(SIGUSR2) | BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGTERM) };
	struct ksigaction old;
	memset(&old, 0xff, sizeof old);
	SHOW(sigaction_raw(SIGUSR1, NULL, &old, 8));
	printf("SIGUSR1 initially %s\n", disposition(old.handler));
	SHOW(sigaction_raw(SIGUSR1, &act, NULL, 8));
	SHOW(sigaction_raw(SIGUSR1, NULL, &old, 8));
	printf("read back: %s flags %#lx restorer %s mask %#lx\n", disposition(old.handler), old.flags,
	       old.restorer == (void *)restorer ? "same" : "DIFFERENT", old.mask);
	struct ksigaction ign = { SIG_IGN, SA_RESTORER_FLAG, (void *)restorer, 0 };
	SHOW(sigaction_raw(SIGUSR1, &ign, &old, 8));
	printf("old: %s flags %#lx\n", disposition(old.handler), old.flags);
	SHOW(sigaction_raw(SIGUSR1, NULL, &old, 8));
	printf("now: %s\n", disposition(old.handler));
	struct ksigaction resethand = { (void *)handler, SA_RESETHAND | SA_NODEFER | SA_ONSTACK | SA_RESTORER_FLAG,
					(void *)restorer, 0 };
	SHOW(sigaction_raw(SIGUSR2, &resethand, NULL, 8));
	SHOW(sigaction_raw(SIGUSR2, NULL, &old, 8));
	printf("SIGUSR2 flags %#lx\n", old.flags);
	/* Unknown flag bits (0x400 is SA_UNSUPPORTED) are dropped: programs probe for this. */
	struct ksigaction probe = { (void *)handler, 0x400 | SA_RESTORER_FLAG, (void *)restorer, 0 };
	SHOW(sigaction_raw(SIGUSR2, &probe, &old, 8));
	SHOW(sigaction_raw(SIGUSR2, NULL, &old, 8));
	printf("SIGUSR2 flags after setting 0x400: %#lx\n", old.flags);
	/* Real-time signals and the highest number. */
	SHOW(sigaction_raw(SIGRTMIN + 1, &act, NULL, 8));
	SHOW(sigaction_raw(64, &act, NULL, 8));
	SHOW(sigaction_raw(64, NULL, &old, 8));
	printf("signal 64: %s\n", disposition(old.handler));

	SHOW(sigaction_raw(SIGKILL, &act, NULL, 8));
	SHOW(sigaction_raw(SIGSTOP, &ign, NULL, 8));
	SHOW(sigaction_raw(SIGKILL, NULL, &old, 8));
	printf("SIGKILL: %s\n", disposition(old.handler));
	SHOW(sigaction_raw(0, NULL, &old, 8));
	SHOW(sigaction_raw(65, NULL, &old, 8));
	SHOW(sigaction_raw(-1, NULL, &old, 8));
	SHOW(sigaction_raw(SIGUSR1, &act, NULL, 4));
	SHOW(sigaction_raw(SIGUSR1, &act, NULL, 16));
	SHOW(sigaction_raw(SIGUSR1, (void *)1, NULL, 8));
	SHOW(sigaction_raw(SIGUSR1, NULL, (void *)1, 8));
	struct ksigaction dfl = { SIG_DFL, SA_RESTORER_FLAG, (void *)restorer, 0 };
	SHOW(sigaction_raw(SIGUSR1, &dfl, NULL, 8));

	/* Through glibc, which adds SA_RESTORER and its own restorer. */
	struct sigaction sa, osa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sa.sa_flags = SA_RESTART;
	SHOW(sigaction(SIGTERM, &sa, NULL));
	SHOW(sigaction(SIGTERM, NULL, &osa));
	printf("glibc read back: %s, SIGINT in mask: %s, SA_RESTART: %s\n",
	       disposition((void *)osa.sa_handler), sigismember(&osa.sa_mask, SIGINT) ? "yes" : "no",
	       osa.sa_flags & SA_RESTART ? "yes" : "no");
}

static void masks(void)
{
	unsigned long set, old = 0x5a5a;
	SHOW(syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &old, 8));
	printf("initial mask %#lx\n", old);
	set = BIT(SIGUSR1) | BIT(SIGUSR2) | BIT(SIGKILL) | BIT(SIGSTOP);
	SHOW(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8));
	SHOW(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &old, 8));
	printf("after SIG_BLOCK: %#lx\n", old);
	set = BIT(SIGUSR1);
	SHOW(syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, &old, 8));
	printf("old: %#lx\n", old);
	SHOW(syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, NULL, &old, 8));
	printf("after SIG_UNBLOCK: %#lx\n", old);
	set = BIT(SIGHUP) | BIT(64);
	SHOW(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, &old, 8));
	SHOW(syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &old, 8));
	printf("after SIG_SETMASK: %#lx\n", old);
	SHOW(syscall(SYS_rt_sigprocmask, 3, &set, NULL, 8));
	SHOW(syscall(SYS_rt_sigprocmask, 3, NULL, &old, 8));
	SHOW(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4));
	SHOW(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 16));
	SHOW(syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)1, NULL, 8));
	SHOW(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, (void *)1, 8));
	set = 0;
	SHOW(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, NULL, 8));
	unsigned long pending = 1;
	SHOW(syscall(SYS_rt_sigpending, &pending, 8));
	printf("pending: %#lx\n", pending);
	SHOW(syscall(SYS_rt_sigpending, &pending, 4));
}

static void altstacks(void)
{
	static char mem[65536];
	stack_t ss, old;
	memset(&old, 0xff, sizeof old);
	SHOW(sigaltstack(NULL, &old));
	printf("initial: flags %s size %zu\n", old.ss_flags == SS_DISABLE ? "SS_DISABLE" : "other", old.ss_size);
	ss.ss_sp = mem;
	ss.ss_size = 1000;
	ss.ss_flags = 0;
	SHOW(sigaltstack(&ss, NULL));
	ss.ss_size = sizeof mem;
	SHOW(sigaltstack(&ss, NULL));
	SHOW(sigaltstack(NULL, &old));
	printf("read back: flags %d sp %s size %zu\n", old.ss_flags, old.ss_sp == mem ? "same" : "DIFFERENT", old.ss_size);
	ss.ss_flags = 0x1234;
	SHOW(sigaltstack(&ss, NULL));
	ss.ss_flags = SS_DISABLE;
	SHOW(sigaltstack(&ss, &old));
	printf("old flags %d\n", old.ss_flags);
	SHOW(sigaltstack(NULL, &old));
	printf("now: flags %s\n", old.ss_flags == SS_DISABLE ? "SS_DISABLE" : "other");
	SHOW(syscall(SYS_sigaltstack, (void *)1, NULL));
	SHOW(syscall(SYS_sigaltstack, NULL, (void *)1));
}

static void robust(void)
{
	static struct robust_list_head head = { { &head.list }, 0, NULL };
	struct robust_list_head *got = NULL;
	size_t len = 0;
	SHOW(syscall(SYS_get_robust_list, 0, &got, &len));
	printf("glibc registered a list: %s, len %zu\n", got != NULL ? "yes" : "no", len);
	SHOW(syscall(SYS_set_robust_list, &head, sizeof head - 1));
	SHOW(syscall(SYS_set_robust_list, &head, sizeof head + 8));
	SHOW(syscall(SYS_set_robust_list, &head, sizeof head));
	SHOW(syscall(SYS_get_robust_list, 0, &got, &len));
	printf("read back: %s, len %zu\n", got == &head ? "same" : "DIFFERENT", len);
	SHOW(syscall(SYS_get_robust_list, 0, (void *)1, &len));
	SHOW(syscall(SYS_get_robust_list, 999999, &got, &len));
	SHOW(syscall(SYS_set_robust_list, NULL, sizeof head));
}

int main(void)
{
	actions();
	masks();
	altstacks();
	robust();
	return 0;
}
