/* Signal delivery: handlers with SA_SIGINFO that read and edit the ucontext
 * (skip a faulting instruction, change a register), synchronous signals
 * (SIGSEGV, SIGFPE, SIGILL, SIGTRAP) with si_code/si_addr, the alternate
 * stack, SA_RESETHAND, SA_NODEFER, masks during handlers, raise/kill/tgkill,
 * sigqueue values, rt_sigsuspend, rt_sigtimedwait, and restart with SA_RESTART. */
#define _GNU_SOURCE
#include "common.h"
#include <signal.h>
#include <ucontext.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/mman.h>

static volatile int hits;
static volatile long last_code;
static volatile unsigned long last_addr;
static volatile int on_alt;
static char altstack[65536];

static void skip_handler(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	hits++;
	last_code = si->si_code;
	last_addr = (unsigned long)si->si_addr;
	/* Skip the 2-byte faulting instruction and leave a mark in RAX. */
	uc->uc_mcontext.gregs[REG_RIP] += 2;
	uc->uc_mcontext.gregs[REG_RAX] = 0x1234;
	char probe;
	on_alt = (&probe >= altstack && &probe < altstack + sizeof altstack);
	(void)sig;
}

static long fault_read(long addr)
{
	long out;
	/* mov (%rdi),%eax = 8b 07 (2 bytes) */
	__asm__ volatile("mov %1, %%rdi\n\t.byte 0x8b, 0x07\n\tmov %%rax, %0" : "=r"(out) : "r"(addr) : "rax", "rdi", "memory");
	return out;
}

static void test_segv(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = skip_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	long r = fault_read(16);
	printf("segv: hits=%d code=%s addr=%lu rax=%#lx\n", hits, last_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other", last_addr, r);
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hits = 0;
	/* mov %eax,(%rdi) = 89 07 */
	__asm__ volatile("mov %0, %%rdi\n\t.byte 0x89, 0x07" : : "r"(ro) : "rax", "rdi", "memory");
	printf("write to read-only page: hits=%d code=%s addr_ok=%d\n", hits, last_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other", last_addr == (unsigned long)ro);
}

static void test_fpe(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = skip_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGFPE, &sa, NULL);
	hits = 0;
	/* idiv %ecx with ecx = 0: f7 f9 */
	__asm__ volatile("xor %%ecx, %%ecx\n\tmov $1, %%eax\n\tcltd\n\t.byte 0xf7, 0xf9" : : : "rax", "rcx", "rdx");
	printf("fpe: hits=%d code=%s\n", hits, last_code == FPE_INTDIV ? "FPE_INTDIV" : "other");
}

static void test_ill(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = skip_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGILL, &sa, NULL);
	hits = 0;
	__asm__ volatile("ud2");
	printf("ill: hits=%d code=%s\n", hits, last_code == ILL_ILLOPN ? "ILL_ILLOPN" : "other");
}

static volatile int trap_hits;
static void trap_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)uc;
	trap_hits++;
	last_code = si->si_code;
}

static void test_trap(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = trap_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGTRAP, &sa, NULL);
	__asm__ volatile("int3");
	printf("trap: hits=%d code=%s\n", trap_hits, last_code == SI_KERNEL ? "SI_KERNEL" : "other");
}

static void test_altstack(void)
{
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
	CHECK(sigaltstack(&ss, NULL) == 0);
	struct sigaction sa = {0};
	sa.sa_sigaction = skip_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGSEGV, &sa, NULL);
	on_alt = 0;
	fault_read(16);
	printf("handler ran on the alternate stack: %s\n", on_alt ? "yes" : "no");
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
}

static volatile int usr1;
static volatile int nested_blocked;
static void usr1_handler(int sig)
{
	usr1++;
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	nested_blocked = sigismember(&cur, SIGUSR1);
	(void)sig;
}

static void test_flags(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = usr1_handler;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("raise: handled=%d, SIGUSR1 blocked inside handler=%d\n", usr1, nested_blocked);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("SA_NODEFER: blocked inside handler=%d\n", nested_blocked);
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	struct sigaction now;
	sigaction(SIGUSR1, NULL, &now);
	printf("SA_RESETHAND: handled=%d, handler now default=%d\n", usr1, now.sa_handler == SIG_DFL);
}

static volatile int qval;
static void q_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)uc;
	qval = si->si_value.sival_int;
	last_code = si->si_code;
}

static void test_queue_and_wait(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = q_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGRTMIN, &sa, NULL);
	union sigval v = {.sival_int = 42};
	sigqueue(getpid(), SIGRTMIN, v);
	printf("sigqueue: value=%d code=%s\n", qval, last_code == SI_QUEUE ? "SI_QUEUE" : "other");

	/* Real-time signals queue; standard ones coalesce. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < 3; i++) {
		kill(getpid(), SIGRTMIN + 1);
		kill(getpid(), SIGUSR2);
	}
	int rt = 0, std = 0;
	struct timespec zero = {0, 0};
	for (;;) {
		siginfo_t si;
		int s = sigtimedwait(&set, &si, &zero);
		if (s < 0) {
			printf("sigtimedwait then: %s\n", errno_name(errno));
			break;
		}
		if (s == SIGUSR2)
			std++;
		else
			rt++;
	}
	printf("queued: rt=%d std=%d\n", rt, std);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static volatile int alarms;
static void alarm_handler(int sig) { (void)sig; alarms++; }

static void test_suspend_and_restart(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = alarm_handler;
	sigaction(SIGALRM, &sa, NULL);
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &old);
	struct itimerval it = {{0, 0}, {0, 20000}};
	setitimer(ITIMER_REAL, &it, NULL);
	sigset_t wait;
	sigprocmask(SIG_BLOCK, NULL, &wait);
	sigdelset(&wait, SIGALRM);
	int r = sigsuspend(&wait);
	sigset_t after;
	sigprocmask(SIG_BLOCK, NULL, &after);
	printf("sigsuspend: r=%d errno=%s alarms=%d SIGALRM blocked again=%d\n", r, errno_name(errno), alarms, sigismember(&after, SIGALRM));
	sigprocmask(SIG_SETMASK, &old, NULL);

	/* A read interrupted by a handler: EINTR without SA_RESTART. */
	int p[2];
	CHECK(pipe(p) == 0);
	setitimer(ITIMER_REAL, &it, NULL);
	char c;
	errno = 0;
	ssize_t n = read(p[0], &c, 1);
	printf("read interrupted without SA_RESTART: n=%zd errno=%s\n", n, errno_name(errno));
	/* With SA_RESTART the read resumes; a child writes after the alarm. */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	pid_t child = fork();
	if (child == 0) {
		usleep(100000);
		write(p[1], "x", 1);
		_exit(0);
	}
	setitimer(ITIMER_REAL, &it, NULL);
	n = read(p[0], &c, 1);
	printf("read with SA_RESTART: n=%zd c=%c alarms=%d\n", n, n == 1 ? c : '?', alarms);
	waitpid(child, NULL, 0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_segv();
	test_fpe();
	test_ill();
	test_trap();
	test_altstack();
	test_flags();
	test_queue_and_wait();
	test_suspend_and_restart();
	return 0;
}
