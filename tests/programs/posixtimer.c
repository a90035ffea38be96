/* posixtimer: timer_create (clocks, SIGEV_SIGNAL/NONE/THREAD_ID, a NULL sigevent meaning
 * SIGALRM carrying the timer id, ids counting up per process), timer_settime relative and
 * absolute with old values, timer_gettime, the signal's siginfo (SI_TIMER, si_timerid,
 * si_value), overruns while the signal waits and timer_getoverrun, CPU-time timers firing
 * once the process has used the CPU, a signal queued before a re-arm being dropped, timers
 * deleted at exec and not inherited by fork, and the errors. Times are printed only as
 * relations. */
#include "common.h"
#include <signal.h>
#include <time.h>
#include <sys/wait.h>

#define RAW(nr, ...) syscall(nr, __VA_ARGS__)

static long long ns(struct timespec t)
{
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int tcreate(clockid_t c, struct sigevent *sev)
{
	int id = -1;
	long r = RAW(SYS_timer_create, c, sev, &id);
	return r < 0 ? (int)r : id;
}

static void show_info(const siginfo_t *si, int id)
{
	printf("  signo %d code %d timerid_ok %d overrun %d value %d\n", si->si_signo, si->si_code,
	       si->si_timerid == id, si->si_overrun, si->si_value.sival_int);
}

static void errors(void)
{
	struct sigevent sev = { 0 };
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR1;
	int id;
	SHOW(RAW(SYS_timer_create, CLOCK_MONOTONIC, &sev, NULL));
	SHOW(RAW(SYS_timer_create, CLOCK_MONOTONIC, (void *)1, &id));
	SHOW(RAW(SYS_timer_create, 100, &sev, &id));
	SHOW(RAW(SYS_timer_create, 10, &sev, &id));
	SHOW(RAW(SYS_timer_create, CLOCK_MONOTONIC_RAW, &sev, &id));
	SHOW(RAW(SYS_timer_create, CLOCK_REALTIME_COARSE, &sev, &id));
	sev.sigev_signo = 0;
	SHOW(RAW(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id));
	sev.sigev_signo = 65;
	SHOW(RAW(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id));
	sev.sigev_signo = SIGUSR1;
	sev.sigev_notify = 7;
	SHOW(RAW(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev._sigev_un._tid = 999999;
	SHOW(RAW(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id));
	struct itimerspec its = { { 0, 0 }, { 1, 0 } }, cur;
	SHOW(RAW(SYS_timer_settime, 12345, 0, &its, NULL));
	SHOW(RAW(SYS_timer_gettime, 12345, &cur));
	SHOW(RAW(SYS_timer_getoverrun, 12345));
	SHOW(RAW(SYS_timer_delete, 12345));
	SHOW(RAW(SYS_timer_delete, -1));
}

static void lifecycle(void)
{
	struct sigevent sev = { 0 };
	sev.sigev_notify = SIGEV_NONE;
	int a = SHOW(tcreate(CLOCK_MONOTONIC, &sev));
	int b = SHOW(tcreate(CLOCK_REALTIME, &sev));
	int c = SHOW(tcreate(CLOCK_BOOTTIME, &sev));
	SHOW(tcreate(CLOCK_TAI, &sev));
	SHOW(tcreate(CLOCK_PROCESS_CPUTIME_ID, &sev));
	SHOW(tcreate(CLOCK_THREAD_CPUTIME_ID, &sev));
	SHOW(RAW(SYS_timer_delete, b));
	int d = SHOW(tcreate(CLOCK_MONOTONIC, &sev));
	(void)c;
	(void)d;

	struct itimerspec its = { { 0, 0 }, { 0, 0 } }, cur, old;
	SHOW(RAW(SYS_timer_gettime, a, &cur));
	printf("disarmed %lld %lld\n", ns(cur.it_value), ns(cur.it_interval));
	its.it_value.tv_sec = 100;
	its.it_interval.tv_sec = 7;
	SHOW(RAW(SYS_timer_settime, a, 0, &its, NULL));
	SHOW(RAW(SYS_timer_gettime, a, &cur));
	printf("value in (99s, 100s] %d interval %lld\n", ns(cur.it_value) > 99000000000LL && ns(cur.it_value) <= 100000000000LL,
	       ns(cur.it_interval));
	its.it_value.tv_sec = 0;
	its.it_value.tv_nsec = 5000000;
	its.it_interval.tv_sec = 0;
	its.it_interval.tv_nsec = 0;
	SHOW(RAW(SYS_timer_settime, a, 0, &its, &old));
	printf("old value in (99s, 100s] %d old interval %lld\n",
	       ns(old.it_value) > 99000000000LL && ns(old.it_value) <= 100000000000LL, ns(old.it_interval));
	usleep(20000);
	/* An expired one-shot SIGEV_NONE timer reads zero. */
	SHOW(RAW(SYS_timer_gettime, a, &cur));
	printf("expired %lld %lld\n", ns(cur.it_value), ns(cur.it_interval));
	/* A periodic SIGEV_NONE timer keeps counting down within its period. */
	its.it_value.tv_nsec = 3000000;
	its.it_interval.tv_nsec = 3000000;
	SHOW(RAW(SYS_timer_settime, a, 0, &its, NULL));
	usleep(20000);
	SHOW(RAW(SYS_timer_gettime, a, &cur));
	printf("periodic value in (0, 3ms] %d\n", ns(cur.it_value) > 0 && ns(cur.it_value) <= 3000000);
	/* Absolute: a time in the past fires now, one a second away reads below a second. */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	its.it_interval.tv_nsec = 0;
	its.it_value = now;
	its.it_value.tv_sec += 1;
	SHOW(RAW(SYS_timer_settime, a, TIMER_ABSTIME, &its, NULL));
	SHOW(RAW(SYS_timer_gettime, a, &cur));
	printf("absolute value in (0, 1s] %d\n", ns(cur.it_value) > 0 && ns(cur.it_value) <= 1000000000);
	/* Invalid timespecs. */
	its.it_value.tv_nsec = 1000000000;
	SHOW(RAW(SYS_timer_settime, a, 0, &its, NULL));
	its.it_value.tv_nsec = 0;
	its.it_interval.tv_sec = -1;
	SHOW(RAW(SYS_timer_settime, a, 0, &its, NULL));
	SHOW(RAW(SYS_timer_settime, a, 0, NULL, NULL));
	SHOW(RAW(SYS_timer_settime, a, 0, (void *)1, NULL));
	SHOW(RAW(SYS_timer_gettime, a, NULL));
	SHOW(RAW(SYS_timer_getoverrun, a));
	SHOW(RAW(SYS_timer_delete, a));
	SHOW(RAW(SYS_timer_delete, a));
	SHOW(RAW(SYS_timer_delete, c));
	SHOW(RAW(SYS_timer_delete, d));
}

static void signals(void)
{
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGALRM);
	sigaddset(&m, SIGRTMIN);
	MUST(sigprocmask(SIG_BLOCK, &m, NULL));
	struct timespec wait = { 2, 0 };
	siginfo_t si;

	/* NULL sigevent: SIGALRM with the id as the value. */
	int n = SHOW(tcreate(CLOCK_MONOTONIC, NULL));
	struct itimerspec its = { { 0, 0 }, { 0, 1000000 } };
	SHOW(RAW(SYS_timer_settime, n, 0, &its, NULL));
	sigset_t alrm;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	SHOW(sigtimedwait(&alrm, &si, &wait));
	show_info(&si, n);
	printf("value is id %d\n", si.si_value.sival_int == n);
	SHOW(RAW(SYS_timer_getoverrun, n));
	SHOW(RAW(SYS_timer_delete, n));

	/* A value of our own; the signal waits while the periodic timer fires on. */
	struct sigevent sev = { 0 };
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGRTMIN;
	sev.sigev_value.sival_int = 4242;
	int t = SHOW(tcreate(CLOCK_MONOTONIC, &sev));
	its.it_value.tv_nsec = 2000000;
	its.it_interval.tv_nsec = 2000000;
	SHOW(RAW(SYS_timer_settime, t, 0, &its, NULL));
	usleep(50000);
	sigset_t pend;
	sigpending(&pend);
	printf("pending %d\n", sigismember(&pend, SIGRTMIN));
	sigset_t rt;
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	SHOW(sigtimedwait(&rt, &si, &wait));
	printf("  signo_ok %d code %d timerid_ok %d value %d overrun >= 5 %d\n", si.si_signo == SIGRTMIN, si.si_code,
	       si.si_timerid == t, si.si_value.sival_int, si.si_overrun >= 5);
	int ov = RAW(SYS_timer_getoverrun, t);
	printf("getoverrun matches %d\n", ov == si.si_overrun);
	/* Only one signal was queued for all those expirations. */
	struct timespec zero = { 0, 0 };
	memset(&si, 0, sizeof si);
	long r = sigtimedwait(&rt, &si, &wait);
	printf("next signal %ld timer %d\n", r, si.si_timerid == t);

	/* A re-arm drops the signal still queued from the old setting. */
	its.it_interval.tv_nsec = 0;
	its.it_value.tv_nsec = 1000000;
	SHOW(RAW(SYS_timer_settime, t, 0, &its, NULL));
	usleep(20000);
	its.it_value.tv_sec = 100;
	SHOW(RAW(SYS_timer_settime, t, 0, &its, NULL));
	SHOW(sigtimedwait(&rt, &si, &zero));
	/* So does a delete. */
	its.it_value.tv_sec = 0;
	SHOW(RAW(SYS_timer_settime, t, 0, &its, NULL));
	usleep(20000);
	SHOW(RAW(SYS_timer_delete, t));
	SHOW(sigtimedwait(&rt, &si, &zero));

	/* SIGEV_THREAD_ID to this thread. */
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR1;
	sev._sigev_un._tid = gettid();
	sev.sigev_value.sival_int = 7;
	t = SHOW(tcreate(CLOCK_MONOTONIC, &sev));
	its.it_value.tv_sec = 0;
	its.it_value.tv_nsec = 1000000;
	SHOW(RAW(SYS_timer_settime, t, 0, &its, NULL));
	sigset_t u1;
	sigemptyset(&u1);
	sigaddset(&u1, SIGUSR1);
	SHOW(sigtimedwait(&u1, &si, &wait));
	show_info(&si, t);
	SHOW(RAW(SYS_timer_delete, t));

	/* An absolute time in the past fires at once; the missed periods are overruns. */
	sev.sigev_notify = SIGEV_SIGNAL;
	t = SHOW(tcreate(CLOCK_REALTIME, &sev));
	struct timespec rnow;
	clock_gettime(CLOCK_REALTIME, &rnow);
	its.it_value = rnow;
	its.it_value.tv_sec -= 10;
	its.it_interval.tv_sec = 1;
	its.it_interval.tv_nsec = 0;
	SHOW(RAW(SYS_timer_settime, t, TIMER_ABSTIME, &its, NULL));
	SHOW(sigtimedwait(&u1, &si, &wait));
	printf("  code %d overrun in [9, 11] %d\n", si.si_code, si.si_overrun >= 9 && si.si_overrun <= 11);
	SHOW(RAW(SYS_timer_delete, t));
	its.it_interval.tv_sec = 0;

	/* A CPU-time timer fires once the process has used that much CPU. */
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR1;
	t = SHOW(tcreate(CLOCK_PROCESS_CPUTIME_ID, &sev));
	its.it_value.tv_sec = 0;
	its.it_value.tv_nsec = 20000000;
	SHOW(RAW(SYS_timer_settime, t, 0, &its, NULL));
	struct timespec c0, c1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	volatile unsigned long spin = 0;
	for (;;) {
		for (int i = 0; i < 1000000; i++)
			spin++;
		sigpending(&pend);
		if (sigismember(&pend, SIGUSR1))
			break;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
		if (ns(c1) - ns(c0) > 5000000000LL)
			break;
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	SHOW(sigtimedwait(&u1, &si, &zero));
	printf("used at least 20ms %d\n", ns(c1) - ns(c0) >= 15000000);
	SHOW(RAW(SYS_timer_delete, t));
	MUST(sigprocmask(SIG_UNBLOCK, &m, NULL));
}

static void inheritance(const char *self)
{
	struct sigevent sev = { 0 };
	sev.sigev_notify = SIGEV_NONE;
	int t = MUST(tcreate(CLOCK_MONOTONIC, &sev));
	pid_t child = MUST(fork());
	if (child == 0) {
		struct itimerspec cur;
		long r = RAW(SYS_timer_gettime, t, &cur);
		printf("child gettime %ld %s\n", r, r < 0 ? errno_name(errno) : "");
		printf("child first id %d\n", tcreate(CLOCK_MONOTONIC, &sev));
		fflush(stdout);
		_exit(0);
	}
	int status;
	MUST(waitpid(child, &status, 0));
	child = MUST(fork());
	if (child == 0) {
		char id[16];
		snprintf(id, sizeof id, "%d", t);
		execl(self, self, "after-exec", id, (char *)NULL);
		_exit(98);
	}
	MUST(waitpid(child, &status, 0));
	printf("exec child status %d\n", WEXITSTATUS(status));
	SHOW(RAW(SYS_timer_delete, t));
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "after-exec") == 0) {
		struct itimerspec cur;
		long r = RAW(SYS_timer_gettime, atoi(argv[2]), &cur);
		printf("after exec gettime %ld %s\n", r, r < 0 ? errno_name(errno) : "");
		return 0;
	}
	errors();
	lifecycle();
	signals();
	inheritance(argv[0]);
	return 0;
}
