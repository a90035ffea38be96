/* sigstate: signal state with signals actually pending — rt_sigpending shows blocked pending
 * signals (and copies only the size asked for), ignoring a signal discards its pending
 * instance (SIG_IGN, or SIG_DFL for a signal whose default is to ignore), sa_flags keeps
 * SA_EXPOSE_TAGBITS; and the alternate stack seen from a handler running on it (SS_ONSTACK,
 * EPERM to change it there, SS_AUTODISARM). */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

#define BIT(sig) (1UL << ((sig) - 1))

static unsigned long pending(void)
{
	unsigned long set = 0;
	MUST(syscall(SYS_rt_sigpending, &set, 8));
	return set;
}

static void block(int sig, int how)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	MUST(sigprocmask(how, &s, NULL));
}

static void pending_sets(void)
{
	block(SIGUSR1, SIG_BLOCK);
	block(SIGWINCH, SIG_BLOCK);
	printf("pending at start: %#lx\n", pending());
	MUST(kill(getpid(), SIGUSR1));
	MUST(kill(getpid(), SIGWINCH));
	printf("after kill: %#lx\n", pending());
	unsigned long low = 0xffffffffffffffffUL;
	SHOW(syscall(SYS_rt_sigpending, &low, 4));
	printf("4 bytes copied: %#lx\n", low);
	SHOW(syscall(SYS_rt_sigpending, NULL, 0));
	SHOW(syscall(SYS_rt_sigpending, &low, 9));
	SHOW(syscall(SYS_rt_sigpending, NULL, 8));

	/* Ignoring discards what is pending; a default of "ignore" does too. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	SHOW(sigaction(SIGUSR1, &sa, NULL));
	printf("after SIG_IGN: %#lx\n", pending());
	sa.sa_handler = SIG_DFL;
	SHOW(sigaction(SIGWINCH, &sa, NULL));
	printf("after SIG_DFL for SIGWINCH: %#lx\n", pending());
	/* A blocked signal is queued even while ignored: the handler may change before it
	 * is unblocked. */
	MUST(kill(getpid(), SIGUSR1));
	printf("after another SIGUSR1: %#lx\n", pending());
	sa.sa_handler = SIG_IGN;
	SHOW(sigaction(SIGUSR1, &sa, NULL));
	printf("after SIG_IGN again: %#lx\n", pending());
	block(SIGUSR1, SIG_UNBLOCK);
	/* Unblocked and ignored: thrown away on arrival. */
	MUST(kill(getpid(), SIGUSR1));
	printf("unblocked and ignored: %#lx\n", pending());
	sa.sa_handler = SIG_DFL;
	SHOW(sigaction(SIGUSR1, &sa, NULL));
	block(SIGWINCH, SIG_UNBLOCK);
}

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

static void flags(void)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0x800; /* SA_EXPOSE_TAGBITS */
	sigfillset(&sa.sa_mask);
	SHOW(sigaction(SIGUSR2, &sa, NULL));
	SHOW(sigaction(SIGUSR2, NULL, &old));
	printf("SA_EXPOSE_TAGBITS kept: %s\n", old.sa_flags & 0x800 ? "yes" : "no");
	printf("mask has SIGKILL %d SIGSTOP %d SIGINT %d\n", sigismember(&old.sa_mask, SIGKILL),
	       sigismember(&old.sa_mask, SIGSTOP), sigismember(&old.sa_mask, SIGINT));
	/* Querying SIGKILL and SIGSTOP is allowed. */
	struct ksigaction k;
	SHOW(syscall(SYS_rt_sigaction, SIGSTOP, NULL, &k, 8));
	SHOW(syscall(SYS_rt_sigaction, SIGKILL, NULL, NULL, 8));
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = 0;
	SHOW(sigaction(SIGUSR2, &sa, NULL));

	unsigned long all = ~0UL, got = 0;
	SHOW(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, 8));
	SHOW(syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &got, 8));
	printf("blocked all but %#lx\n", ~got);
	all = 0;
	SHOW(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, 8));
}

static char altmem[65536];
static volatile int in_handler;

static void on_usr2(int sig)
{
	(void)sig;
	int local;
	stack_t old, ss = { .ss_sp = altmem, .ss_size = sizeof altmem, .ss_flags = 0 };
	in_handler++;
	MUST(sigaltstack(NULL, &old));
	printf("in handler: flags %#x, on the alternate stack %s\n", (unsigned)old.ss_flags,
	       (char *)&local > altmem && (char *)&local <= altmem + sizeof altmem ? "yes" : "no");
	SHOW(sigaltstack(&ss, NULL));
}

static void altstack(void)
{
	stack_t ss = { .ss_sp = altmem, .ss_size = sizeof altmem, .ss_flags = 0 }, old;
	SHOW(sigaltstack(&ss, NULL));
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr2;
	sa.sa_flags = SA_ONSTACK;
	MUST(sigaction(SIGUSR2, &sa, NULL));
	MUST(kill(getpid(), SIGUSR2));
	printf("handler ran: %d\n", in_handler);
	SHOW(sigaltstack(NULL, &old));
	printf("after: flags %#x size %zu\n", (unsigned)old.ss_flags, old.ss_size);

	/* SS_AUTODISARM: the stack is disarmed while a handler runs on it. */
	ss.ss_flags = SS_AUTODISARM;
	SHOW(sigaltstack(&ss, NULL));
	SHOW(sigaltstack(NULL, &old));
	printf("armed: flags %#x size %zu\n", (unsigned)old.ss_flags, old.ss_size);
	MUST(kill(getpid(), SIGUSR2));
	SHOW(sigaltstack(NULL, &old));
	printf("after: flags %#x size %zu\n", (unsigned)old.ss_flags, old.ss_size);

	ss.ss_flags = SS_DISABLE | SS_AUTODISARM;
	SHOW(sigaltstack(&ss, NULL));
	SHOW(sigaltstack(NULL, &old));
	printf("disabled: flags %#x size %zu sp %s\n", (unsigned)old.ss_flags, old.ss_size, old.ss_sp ? "set" : "NULL");
	ss.ss_flags = SS_ONSTACK;
	SHOW(sigaltstack(&ss, NULL));
	SHOW(sigaltstack(NULL, &old));
	printf("SS_ONSTACK as mode: flags %#x\n", (unsigned)old.ss_flags);
	ss.ss_flags = SS_ONSTACK | SS_DISABLE;
	SHOW(sigaltstack(&ss, NULL));
	ss.ss_flags = SS_DISABLE;
	ss.ss_size = 1;
	SHOW(sigaltstack(&ss, &old));
	printf("old flags %#x\n", (unsigned)old.ss_flags);
}

int main(void)
{
	/* In a child: the sandbox's first process is an init, which signals treat specially. */
	fflush(stdout);
	pid_t c = MUST(fork());
	if (c == 0) {
		pending_sets();
		flags();
		altstack();
		fflush(stdout);
		_exit(0);
	}
	int st;
	MUST(waitpid(c, &st, 0));
	printf("child exit status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
	return 0;
}
