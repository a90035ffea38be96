/* poll: poll, ppoll, select and pselect6 on pipes, eventfds and regular files: readiness
 * bits (POLLIN/POLLOUT/POLLHUP/POLLERR/POLLNVAL), negative fds, timeouts (zero, short,
 * written back by select and ppoll), EINVAL/EFAULT/EBADF, the temporary signal mask of
 * ppoll and pselect6 (a pending signal it unblocks interrupts the call, the handler runs,
 * the old mask comes back), and a blocked poll woken by a timer signal. Single process. */
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>

static long ms_since(struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static void show_revents(const char *what, struct pollfd *p, int n)
{
	printf("%s:", what);
	for (int i = 0; i < n; i++)
		printf(" [fd%d %#x]", i, p[i].revents);
	printf("\n");
}

static void polls(void)
{
	int p[2];
	MUST(pipe(p));
	struct pollfd fds[4] = {
		{ p[0], POLLIN, 0x7777 },
		{ p[1], POLLOUT, 0x7777 },
		{ -1, POLLIN, 0x7777 },
		{ p[1], POLLIN, 0x7777 },
	};
	SHOW(poll(fds, 4, 0));
	show_revents("empty", fds, 4);
	SHOW(write(p[1], "x", 1));
	SHOW(poll(fds, 4, 0));
	show_revents("data", fds, 4);
	/* Asking for nothing still reports errors and hangups. */
	fds[0].events = 0;
	SHOW(close(p[1]));
	fds[1].fd = fds[3].fd = -1;
	SHOW(poll(fds, 4, 0));
	show_revents("writer gone", fds, 4);
	fds[0].events = POLLIN;
	SHOW(poll(fds, 1, -1));
	show_revents("writer gone, data", fds, 1);

	int q[2];
	MUST(pipe(q));
	SHOW(close(q[0]));
	struct pollfd w = { q[1], POLLOUT, 0 };
	SHOW(poll(&w, 1, 0));
	show_revents("reader gone", &w, 1);
	close(q[1]);
	close(p[0]);

	/* Closed descriptors: POLLNVAL, counted, no waiting. */
	struct pollfd bad[2] = { { 100, POLLIN, 0 }, { -1, 0, 0 } };
	SHOW(poll(bad, 2, 10000));
	show_revents("closed", bad, 2);
	/* O_PATH descriptors are not pollable either. */
	int path = MUST(open("/", O_PATH));
	bad[0].fd = path;
	SHOW(poll(bad, 1, 0));
	show_revents("O_PATH", bad, 1);
	close(path);

	/* Regular files are always ready. */
	int f = MUST(open("f", O_RDWR));
	struct pollfd rf = { f, POLLIN | POLLOUT | POLLPRI, 0 };
	SHOW(poll(&rf, 1, 0));
	show_revents("regular", &rf, 1);
	close(f);

	/* Timeouts. */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	SHOW(poll(NULL, 0, 50));
	CHECK(ms_since(&t0) >= 45);
	MUST(pipe(p));
	fds[0].fd = p[0];
	fds[0].events = POLLIN;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	SHOW(poll(fds, 1, 30));
	CHECK(ms_since(&t0) >= 25);

	/* Errors. */
	SHOW(syscall(SYS_poll, (void *)1, 1, 0));
	SHOW(syscall(SYS_poll, NULL, 1, 0));
	SHOW(syscall(SYS_poll, fds, 1 << 30, 0));
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	struct rlimit small = { 2, rl.rlim_max };
	setrlimit(RLIMIT_NOFILE, &small);
	struct pollfd three[3] = { { -1, 0, 0 }, { -1, 0, 0 }, { -1, 0, 0 } };
	SHOW(poll(three, 3, 0));
	SHOW(poll(three, 2, 0));
	setrlimit(RLIMIT_NOFILE, &rl);
	close(p[0]);
	close(p[1]);
}

static void ppolls(void)
{
	int p[2];
	MUST(pipe(p));
	struct pollfd fd = { p[0], POLLIN, 0 };
	struct timespec ts = { 0, 0 };
	SHOW(ppoll(&fd, 1, &ts, NULL));
	ts.tv_nsec = 20 * 1000 * 1000;
	SHOW(syscall(SYS_ppoll, &fd, 1, &ts, NULL, 8));
	printf("ppoll left %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
	ts.tv_nsec = 1000000000;
	SHOW(ppoll(&fd, 1, &ts, NULL));
	ts.tv_sec = -1;
	ts.tv_nsec = 0;
	SHOW(ppoll(&fd, 1, &ts, NULL));
	SHOW(syscall(SYS_ppoll, &fd, 1, (void *)1, NULL, 8));
	sigset_t m;
	sigemptyset(&m);
	SHOW(syscall(SYS_ppoll, &fd, 1, NULL, &m, 4));
	SHOW(syscall(SYS_ppoll, &fd, 1, NULL, (void *)1, 8));
	/* Remaining time: ready at once, so some time is left and never more than asked. */
	SHOW(write(p[1], "x", 1));
	ts.tv_sec = 5;
	ts.tv_nsec = 0;
	SHOW(syscall(SYS_ppoll, &fd, 1, &ts, NULL, 8));
	CHECK(ts.tv_sec <= 5 && (ts.tv_sec > 0 || ts.tv_nsec > 0));
	close(p[0]);
	close(p[1]);
}

/* glibc's select() is pselect6 underneath; this is the select syscall itself. */
#define sys_select(n, r, w, x, tv) syscall(SYS_select, n, r, w, x, tv)

static void show_set(const char *what, fd_set *s, int n)
{
	printf("%s:", what);
	for (int i = 0; i < n; i++)
		if (FD_ISSET(i, s))
			printf(" %d", i);
	printf("\n");
}

static void selects(void)
{
	int p[2];
	MUST(pipe(p));
	fd_set r, w, x;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&x);
	FD_SET(p[0], &r);
	FD_SET(p[1], &r);
	FD_SET(p[0], &w);
	FD_SET(p[1], &w);
	FD_SET(p[0], &x);
	struct timeval tv = { 0, 0 };
	SHOW(select(p[1] + 1, &r, &w, &x, &tv));
	show_set("r", &r, 16);
	show_set("w", &w, 16);
	show_set("x", &x, 16);
	SHOW(write(p[1], "x", 1));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	FD_SET(p[1], &r);
	SHOW(select(p[1] + 1, &r, NULL, NULL, NULL));
	show_set("r", &r, 16);

	/* The timeout is written back: all used up after a timeout. */
	char c;
	SHOW(read(p[0], &c, 1));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv.tv_sec = 0;
	tv.tv_usec = 30000;
	SHOW(sys_select(p[0] + 1, &r, NULL, NULL, &tv));
	printf("left %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
	show_set("r", &r, 16);
	/* Microseconds past a second are fine for the syscall. */
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	tv.tv_sec = 0;
	tv.tv_usec = 1500000;
	SHOW(sys_select(p[1] + 1, NULL, &w, NULL, &tv));
	CHECK(tv.tv_sec <= 1 && tv.tv_sec >= 0);

	/* Errors. */
	tv.tv_usec = -1;
	SHOW(sys_select(1, NULL, NULL, NULL, &tv));
	tv.tv_sec = -1;
	tv.tv_usec = 0;
	SHOW(sys_select(1, NULL, NULL, NULL, &tv));
	tv.tv_sec = 0;
	SHOW(sys_select(-1, NULL, NULL, NULL, &tv));
	FD_ZERO(&r);
	FD_SET(40, &r);
	SHOW(sys_select(41, &r, NULL, NULL, &tv));
	SHOW(sys_select(1, (fd_set *)1, NULL, NULL, &tv));
	SHOW(sys_select(1, NULL, NULL, NULL, (struct timeval *)1));
	/* Bits past nfds are not looked at. */
	FD_ZERO(&r);
	FD_SET(40, &r);
	FD_SET(p[1], &r);
	SHOW(sys_select(p[1] + 1, &r, NULL, NULL, &tv));
	/* Regular files are ready. */
	int f = MUST(open("f", O_RDWR));
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&x);
	FD_SET(f, &r);
	FD_SET(f, &w);
	FD_SET(f, &x);
	SHOW(sys_select(f + 1, &r, &w, &x, &tv));
	close(f);

	/* An eventfd. */
	int e = MUST(eventfd(0, EFD_NONBLOCK));
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(e, &r);
	FD_SET(e, &w);
	SHOW(select(e + 1, &r, &w, NULL, &tv));
	printf("eventfd readable %d writable %d\n", FD_ISSET(e, &r), FD_ISSET(e, &w));
	close(e);
	close(p[0]);
	close(p[1]);
}

static int usr1;
static void on_usr1(int sig)
{
	(void)sig;
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	/* The handler runs under the call's temporary mask (plus SIGUSR1 itself). */
	printf("handler: SIGUSR2 blocked %d\n", sigismember(&now, SIGUSR2));
	usr1++;
}

static void masks(void)
{
	signal(SIGUSR1, on_usr1);
	sigset_t block, old, now, tmp;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	raise(SIGUSR1);
	printf("pending, handled %d\n", usr1);
	int p[2];
	MUST(pipe(p));
	struct pollfd fd = { p[0], POLLIN, 0 };
	/* The temporary mask unblocks SIGUSR1: EINTR, handler ran, SIGUSR1 blocked again. */
	sigemptyset(&tmp);
	sigaddset(&tmp, SIGUSR2);
	SHOW(ppoll(&fd, 1, NULL, &tmp));
	sigprocmask(SIG_BLOCK, NULL, &now);
	printf("handled %d, SIGUSR1 blocked %d, SIGUSR2 blocked %d\n", usr1, sigismember(&now, SIGUSR1),
	       sigismember(&now, SIGUSR2));
	/* Same with pselect. */
	raise(SIGUSR1);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	SHOW(pselect(p[0] + 1, &r, NULL, NULL, NULL, &tmp));
	sigprocmask(SIG_BLOCK, NULL, &now);
	printf("handled %d, SIGUSR1 blocked %d, SIGUSR2 blocked %d\n", usr1, sigismember(&now, SIGUSR1),
	       sigismember(&now, SIGUSR2));
	/* Not interrupted: the mask comes back at once. */
	SHOW(write(p[1], "x", 1));
	SHOW(ppoll(&fd, 1, NULL, &tmp));
	sigprocmask(SIG_BLOCK, NULL, &now);
	printf("SIGUSR1 blocked %d, SIGUSR2 blocked %d\n", sigismember(&now, SIGUSR1), sigismember(&now, SIGUSR2));
	/* A mask that keeps it blocked: no interruption. */
	raise(SIGUSR1);
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	SHOW(read(p[0], &ts, 1));
	ts.tv_sec = 0;
	ts.tv_nsec = 10 * 1000 * 1000;
	SHOW(ppoll(&fd, 1, &ts, &block));
	printf("handled %d\n", usr1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("handled %d\n", usr1);
	signal(SIGUSR1, SIG_DFL);
	close(p[0]);
	close(p[1]);
}

static int alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void interrupted(void)
{
	int p[2];
	MUST(pipe(p));
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	/* poll and select are never restarted after a handler, SA_RESTART or not. */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 0 }, { 0, 30000 } };
	struct pollfd fd = { p[0], POLLIN, 0 };
	setitimer(ITIMER_REAL, &it, NULL);
	SHOW(poll(&fd, 1, -1));
	printf("alarms %d\n", alarms);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	setitimer(ITIMER_REAL, &it, NULL);
	SHOW(select(p[0] + 1, &r, NULL, NULL, NULL));
	printf("alarms %d\n", alarms);
	signal(SIGALRM, SIG_DFL);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	tmpdir_enter();
	write_file("f", "data");
	polls();
	ppolls();
	selects();
	masks();
	interrupted();
	tmpdir_leave();
	return 0;
}
