/* epoll: epoll_create/epoll_create1, epoll_ctl (ADD/MOD/DEL and their errors: EEXIST,
 * ENOENT, EINVAL for itself or a non-epoll fd, EPERM for regular files, ELOOP for cycles,
 * EBADF, EFAULT, EPOLLEXCLUSIVE rules), epoll_wait level-triggered, edge-triggered
 * (EPOLLIN per write; EPOLLOUT only when a full pipe drains), EPOLLONESHOT and re-arming,
 * EPOLLHUP/EPOLLERR, ready-list order with small maxevents, entries that outlive their fd
 * through a dup and go away with their file, nested epoll and polling an epoll fd,
 * epoll_pwait's signal mask, epoll_pwait2 timeouts and a timer interrupting a wait. */
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <time.h>

static char big[1 << 17];

static void wait_show(int ep, int max, int timeout)
{
	struct epoll_event ev[8];
	memset(ev, 0, sizeof ev);
	int n = epoll_wait(ep, ev, max, timeout);
	if (n < 0) {
		printf("  epoll_wait = -1 %s\n", errno_name(errno));
		return;
	}
	printf("  epoll_wait = %d:", n);
	for (int i = 0; i < n; i++)
		printf(" [%lu %#x]", (unsigned long)ev[i].data.u64, ev[i].events);
	printf("\n");
}

static int add(int ep, int fd, unsigned events, unsigned long data)
{
	struct epoll_event e = { .events = events, .data.u64 = data };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

static int mod(int ep, int fd, unsigned events, unsigned long data)
{
	struct epoll_event e = { .events = events, .data.u64 = data };
	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

static void creation(void)
{
	SHOW(epoll_create(0));
	SHOW(epoll_create(-1));
	SHOW(epoll_create1(1));
	int ep = SHOW(epoll_create(1));
	printf("F_GETFD %d accmode %d\n", fcntl(ep, F_GETFD), fcntl(ep, F_GETFL) & O_ACCMODE);
	close(ep);
	ep = SHOW(epoll_create1(EPOLL_CLOEXEC));
	printf("F_GETFD %d\n", fcntl(ep, F_GETFD));
	struct stat st;
	SHOW(fstat(ep, &st));
	printf("mode %o\n", st.st_mode);
	char c;
	SHOW(read(ep, &c, 1));
	SHOW(write(ep, &c, 1));
	SHOW(lseek(ep, 5, SEEK_SET));
	close(ep);
}

static void errors(void)
{
	int ep = MUST(epoll_create1(0));
	int p[2];
	MUST(pipe(p));
	SHOW(add(ep, p[0], EPOLLIN, 1));
	SHOW(add(ep, p[0], EPOLLIN, 1));
	SHOW(mod(ep, p[1], EPOLLOUT, 2));
	SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
	SHOW(add(ep, ep, EPOLLIN, 0));
	SHOW(add(p[0], p[1], EPOLLIN, 0));
	SHOW(add(ep, 99, EPOLLIN, 0));
	SHOW(add(99, p[0], EPOLLIN, 0));
	SHOW(epoll_ctl(ep, 7, p[1], &(struct epoll_event){ 0 }));
	SHOW(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[1], (void *)1));
	SHOW(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, p[0], (void *)1));
	SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
	int f = MUST(open("f", O_RDWR | O_CREAT, 0600));
	SHOW(add(ep, f, EPOLLIN, 0));
	int d = MUST(open(".", O_RDONLY | O_DIRECTORY));
	SHOW(add(ep, d, EPOLLIN, 0));
	int path = MUST(open("f", O_PATH));
	SHOW(add(ep, path, EPOLLIN, 0));
	close(path);
	close(d);
	close(f);
	/* EPOLLEXCLUSIVE: only with in/out/err/hup/et bits, never modified. */
	SHOW(add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 3));
	SHOW(mod(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 3));
	SHOW(mod(ep, p[0], EPOLLIN, 3));
	SHOW(add(ep, p[1], EPOLLOUT | EPOLLPRI | EPOLLEXCLUSIVE, 4));
	SHOW(add(ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE | EPOLLET, 4));
	/* epoll_wait. */
	struct epoll_event ev;
	SHOW(epoll_wait(ep, &ev, 0, 0));
	SHOW(syscall(SYS_epoll_wait, ep, &ev, -1, 0));
	SHOW(syscall(SYS_epoll_wait, ep, &ev, 0x7fffffff, 0));
	SHOW(epoll_wait(99, &ev, 1, 0));
	SHOW(epoll_wait(p[0], &ev, 1, 0));
	SHOW(syscall(SYS_epoll_wait, ep, (void *)-4096L, 1, 0));
	SHOW(syscall(SYS_epoll_wait, ep, (void *)1, 1, 0));
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void level_and_edge(void)
{
	int ep = MUST(epoll_create1(0));
	int p[2];
	char buf[16];
	MUST(pipe2(p, O_NONBLOCK));
	printf("level-triggered:\n");
	SHOW(add(ep, p[0], EPOLLIN, 10));
	wait_show(ep, 8, 0);
	SHOW(write(p[1], "ab", 2));
	wait_show(ep, 8, 0);
	wait_show(ep, 8, 0);
	SHOW(read(p[0], buf, 1));
	wait_show(ep, 8, 0);
	SHOW(read(p[0], buf, 1));
	wait_show(ep, 8, 0);

	printf("edge-triggered:\n");
	SHOW(mod(ep, p[0], EPOLLIN | EPOLLET, 11));
	wait_show(ep, 8, 0);
	SHOW(write(p[1], "a", 1));
	wait_show(ep, 8, 0);
	wait_show(ep, 8, 0);
	/* Every write is an edge, even when data was already there. */
	SHOW(write(p[1], "b", 1));
	wait_show(ep, 8, 0);
	wait_show(ep, 8, 0);
	SHOW(read(p[0], buf, sizeof buf));
	wait_show(ep, 8, 0);
	/* MOD re-arms while ready. */
	SHOW(write(p[1], "c", 1));
	wait_show(ep, 8, 0);
	SHOW(mod(ep, p[0], EPOLLIN | EPOLLET, 12));
	wait_show(ep, 8, 0);
	SHOW(read(p[0], buf, sizeof buf));

	printf("edge-triggered EPOLLOUT:\n");
	SHOW(add(ep, p[1], EPOLLOUT | EPOLLET, 20));
	wait_show(ep, 8, 0);
	wait_show(ep, 8, 0);
	/* Reading from a pipe that was not full is no EPOLLOUT edge. */
	SHOW(write(p[1], "x", 1));
	SHOW(read(p[0], buf, 1));
	wait_show(ep, 8, 0);
	/* Filling it, then reading: an edge. */
	long total = 0, r;
	while ((r = write(p[1], big, sizeof big)) > 0)
		total += r;
	printf("filled %ld\n", total);
	wait_show(ep, 8, 0);
	SHOW(read(p[0], big, 4096));
	wait_show(ep, 8, 0);
	wait_show(ep, 8, 0);
	SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
	SHOW(read(p[0], big, sizeof big));

	printf("one-shot:\n");
	SHOW(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 30));
	SHOW(write(p[1], "a", 1));
	wait_show(ep, 8, 0);
	wait_show(ep, 8, 0);
	SHOW(write(p[1], "b", 1));
	wait_show(ep, 8, 0);
	SHOW(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 31));
	wait_show(ep, 8, 0);
	wait_show(ep, 8, 0);
	SHOW(read(p[0], buf, sizeof buf));
	/* Hang-up: reported even when not asked for. */
	printf("hang-up:\n");
	SHOW(mod(ep, p[0], EPOLLOUT, 40));
	wait_show(ep, 8, 0);
	SHOW(close(p[1]));
	wait_show(ep, 8, 0);
	int q[2];
	MUST(pipe(q));
	SHOW(add(ep, q[1], EPOLLOUT, 41));
	SHOW(close(q[0]));
	wait_show(ep, 8, 0);
	close(q[1]);
	close(p[0]);
	close(ep);
}

static void order(void)
{
	int ep = MUST(epoll_create1(0));
	int a[2], b[2], c[2];
	MUST(pipe(a));
	MUST(pipe(b));
	MUST(pipe(c));
	SHOW(add(ep, a[0], EPOLLIN, 1));
	SHOW(add(ep, b[0], EPOLLIN, 2));
	SHOW(add(ep, c[0], EPOLLIN, 3));
	SHOW(write(c[1], "x", 1));
	SHOW(write(a[1], "x", 1));
	SHOW(write(b[1], "x", 1));
	/* Ready order, one at a time and round robin for level-triggered entries. */
	wait_show(ep, 1, 0);
	wait_show(ep, 1, 0);
	wait_show(ep, 2, 0);
	wait_show(ep, 8, 0);
	/* A dup keeps the entry alive after its fd is closed... */
	int d = dup(a[0]);
	SHOW(close(a[0]));
	wait_show(ep, 8, 0);
	SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, a[0], NULL));
	/* ...and closing the last descriptor of the file removes it. */
	SHOW(close(d));
	SHOW(close(b[0]));
	wait_show(ep, 8, 0);
	SHOW(add(ep, c[0], EPOLLIN, 4));
	close(a[1]);
	close(b[1]);
	close(c[0]);
	close(c[1]);
	close(ep);
}

static void nested(void)
{
	int outer = MUST(epoll_create1(0));
	int inner = MUST(epoll_create1(0));
	int p[2];
	MUST(pipe(p));
	SHOW(add(inner, p[0], EPOLLIN, 1));
	SHOW(add(outer, inner, EPOLLIN, 2));
	SHOW(add(inner, outer, EPOLLIN, 3));
	SHOW(add(outer, inner, EPOLLIN | EPOLLEXCLUSIVE, 2));
	struct pollfd pf = { inner, POLLIN, 0 };
	SHOW(poll(&pf, 1, 0));
	wait_show(outer, 8, 0);
	SHOW(write(p[1], "x", 1));
	SHOW(poll(&pf, 1, 0));
	printf("revents %#x\n", pf.revents);
	wait_show(outer, 8, 0);
	wait_show(inner, 8, 0);
	char c;
	SHOW(read(p[0], &c, 1));
	wait_show(outer, 8, 0);
	SHOW(poll(&pf, 1, 0));
	/* Depth: a chain of five instances is the most. */
	int e[6];
	for (int i = 0; i < 6; i++)
		e[i] = MUST(epoll_create1(0));
	for (int i = 0; i < 5; i++)
		SHOW(add(e[i], e[i + 1], EPOLLIN, i));
	for (int i = 0; i < 6; i++)
		close(e[i]);
	close(p[0]);
	close(p[1]);
	close(inner);
	close(outer);
}

static void eventfds(void)
{
	int ep = MUST(epoll_create1(0));
	int e = MUST(eventfd(0, EFD_NONBLOCK));
	SHOW(add(ep, e, EPOLLIN | EPOLLOUT | EPOLLET, 5));
	wait_show(ep, 8, 0);
	wait_show(ep, 8, 0);
	uint64_t v = 0;
	/* Adding zero is still an event. */
	SHOW(write(e, &v, 8));
	wait_show(ep, 8, 0);
	v = 3;
	SHOW(write(e, &v, 8));
	wait_show(ep, 8, 0);
	SHOW(read(e, &v, 8));
	wait_show(ep, 8, 0);
	close(e);
	close(ep);
}

static int usr1, alarms;
static void on_usr1(int sig)
{
	(void)sig;
	usr1++;
}
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void waits(void)
{
	int ep = MUST(epoll_create1(0));
	int p[2];
	MUST(pipe(p));
	SHOW(add(ep, p[0], EPOLLIN, 1));
	struct epoll_event ev;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	SHOW(epoll_wait(ep, &ev, 1, 30));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 25);
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	SHOW(epoll_pwait2(ep, &ev, 1, &ts, NULL));
	ts.tv_nsec = 1000000000;
	SHOW(epoll_pwait2(ep, &ev, 1, &ts, NULL));
	SHOW(syscall(SYS_epoll_pwait2, ep, &ev, 1, (void *)1, NULL, 8));
	SHOW(write(p[1], "x", 1));
	SHOW(epoll_pwait2(ep, &ev, 1, NULL, NULL));

	/* epoll_pwait's mask: a pending SIGUSR1 it unblocks interrupts it. */
	char c;
	SHOW(read(p[0], &c, 1));
	signal(SIGUSR1, on_usr1);
	sigset_t block, old, now, empty;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &block, &old);
	raise(SIGUSR1);
	SHOW(epoll_pwait(ep, &ev, 1, -1, &empty));
	sigprocmask(SIG_BLOCK, NULL, &now);
	printf("handled %d, SIGUSR1 blocked %d\n", usr1, sigismember(&now, SIGUSR1));
	SHOW(syscall(SYS_epoll_pwait, ep, &ev, 1, 0, &empty, 4));
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);

	/* A timer interrupts a blocked wait: EINTR even with SA_RESTART. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 0 }, { 0, 30000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	SHOW(epoll_wait(ep, &ev, 1, -1));
	printf("alarms %d\n", alarms);
	signal(SIGALRM, SIG_DFL);
	close(p[0]);
	close(p[1]);
	close(ep);
}

int main(void)
{
	tmpdir_enter();
	creation();
	errors();
	level_and_edge();
	order();
	nested();
	eventfds();
	waits();
	tmpdir_leave();
	return 0;
}
