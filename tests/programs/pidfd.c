/* pidfds: pidfd_open (flags, ESRCH/EINVAL, threads with PIDFD_THREAD), the file itself
 * (anon_inode:[pidfd] link, close-on-exec, fdinfo Pid:, read/write EINVAL), readiness through
 * poll and epoll (readable at exit, hung up once reaped), waitid(P_PIDFD) (blocking, WNOHANG,
 * WNOWAIT, a nonblocking pidfd's EAGAIN, ECHILD once reaped), pidfd_send_signal (plain,
 * with a siginfo, to a zombie, after reaping, and its errors), pidfd_getfd (a child's pipe
 * end, errors), and CLONE_PIDFD through raw clone and clone3 (and their errors). */
#include "common.h"
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define PIDFD_NONBLOCK O_NONBLOCK
#define PIDFD_THREAD O_EXCL
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x1000
#endif

static int pidfd_open(pid_t pid, unsigned flags)
{
	return syscall(SYS_pidfd_open, pid, flags);
}

static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags)
{
	return syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

static int pidfd_getfd(int fd, int target, unsigned flags)
{
	return syscall(SYS_pidfd_getfd, fd, target, flags);
}

static short revents(int fd, int timeout)
{
	struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
	if (poll(&p, 1, timeout) < 0)
		return -1;
	return p.revents;
}

/* The Pid: line of the pidfd's fdinfo: -1, the expected pid ("child"), or something else. */
static void show_fdinfo(int fd, pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	int f = MUST(open(path, O_RDONLY));
	long n = MUST(read(f, buf, sizeof buf - 1));
	close(f);
	buf[n] = 0;
	char *p = strstr(buf, "\nPid:\t"), *q = strstr(buf, "\nNSpid:\t"), *fl = strstr(buf, "flags:\t");
	if (!p || !q || !fl) {
		printf("fdinfo: missing lines\n");
		return;
	}
	long v = strtol(p + 6, NULL, 10), w = strtol(q + 8, NULL, 10);
	printf("fdinfo flags %o Pid %s NSpid %s\n", (unsigned)strtol(fl + 7, NULL, 8),
	       v == -1 ? "-1" : v == pid ? "child" : "other", w == v ? "same" : "differs");
}

static void show_link(int fd)
{
	char path[64], buf[128];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	long n = readlink(path, buf, sizeof buf - 1);
	if (n < 0) {
		printf("readlink: %s\n", errno_name(errno));
		return;
	}
	buf[n] = 0;
	printf("link %s\n", buf);
}

static void show_waitid(int fd, int opts)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	long r = waitid(P_PIDFD, fd, &si, opts);
	if (r < 0)
		printf("  waitid(%#x) = -1 %s\n", opts, errno_name(errno));
	else
		printf("  waitid(%#x) = %ld signo %d code %d status %d pid %s\n", opts, r, si.si_signo,
		       si.si_code, si.si_status, si.si_pid ? "set" : "0");
}

static int cloexec(int fd)
{
	return fcntl(fd, F_GETFD) & FD_CLOEXEC;
}

/* A child that reports the two signals it is sent, then exits with 7 when told. */
static void main_child(void)
{
	int ctl[2], rep[2], data[2];
	MUST(pipe(ctl));
	MUST(pipe(rep));
	MUST(pipe(data));
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid_t pid = MUST(fork());
	if (pid == 0) {
		for (int i = 0; i < 2; i++) {
			siginfo_t si;
			int sig = sigwaitinfo(&set, &si);
			int r[4] = { sig, si.si_code, si.si_value.sival_int, si.si_pid == getppid() };
			write(rep[1], r, sizeof r);
		}
		char c;
		read(ctl[0], &c, 1);
		_exit(7);
	}
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	close(ctl[0]);
	close(rep[1]);
	close(data[1]);

	printf("-- open\n");
	int fd = SHOWOK(pidfd_open(pid, 0));
	int nb = SHOWOK(pidfd_open(pid, PIDFD_NONBLOCK));
	CHECK(cloexec(fd));
	CHECK(fcntl(nb, F_GETFL) & O_NONBLOCK);
	show_link(fd);
	show_fdinfo(fd, pid);
	show_fdinfo(nb, pid);
	char b[8];
	SHOW(read(fd, b, sizeof b));
	SHOW(write(fd, b, sizeof b));
	printf("poll %#x\n", revents(fd, 0));

	printf("-- waitid before exit\n");
	show_waitid(fd, WEXITED | WNOHANG);
	show_waitid(nb, WEXITED);
	show_waitid(nb, WEXITED | WNOHANG);

	printf("-- getfd\n");
	int got = SHOWOK(pidfd_getfd(fd, data[1], 0));
	CHECK(cloexec(got));
	SHOW(write(got, "hi", 2));
	close(got);
	char rb[4] = { 0 };
	/* The child's end is still open: read only what was written. */
	SHOW(read(data[0], rb, 2));
	printf("read back %s\n", rb);
	SHOW(pidfd_getfd(fd, data[1], 1));
	SHOW(pidfd_getfd(fd, 999, 0));
	SHOW(pidfd_getfd(fd, -1, 0));
	SHOW(pidfd_getfd(data[0], 0, 0));
	SHOW(pidfd_getfd(-1, 0, 0));
	SHOW(pidfd_getfd(12345, 0, 0));

	printf("-- send_signal errors\n");
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = SIGUSR1;
	si.si_code = SI_QUEUE;
	si.si_value.sival_int = 42;
	SHOW(pidfd_send_signal(fd, SIGUSR1, NULL, 8));
	SHOW(pidfd_send_signal(fd, SIGUSR1, NULL, 3));
	SHOW(pidfd_send_signal(data[0], SIGUSR1, NULL, 0));
	SHOW(pidfd_send_signal(-1, SIGUSR1, NULL, 0));
	SHOW(pidfd_send_signal(fd, SIGUSR2, &si, 0));
	SHOW(pidfd_send_signal(fd, SIGUSR1, (siginfo_t *)8, 0));
	SHOW(pidfd_send_signal(fd, 100, NULL, 0));
	si.si_code = SI_USER;
	SHOW(pidfd_send_signal(fd, SIGUSR1, &si, 0));
	si.si_code = SI_TKILL;
	SHOW(pidfd_send_signal(fd, SIGUSR1, &si, 0));
	SHOW(pidfd_send_signal(fd, 0, NULL, 0));

	printf("-- send_signal\n");
	si.si_code = SI_QUEUE;
	SHOW(pidfd_send_signal(fd, SIGUSR1, &si, 0));
	SHOW(pidfd_send_signal(fd, SIGUSR2, NULL, 0));
	for (int i = 0; i < 2; i++) {
		int r[4];
		if (read(rep[0], r, sizeof r) != sizeof r) {
			printf("report missing\n");
			break;
		}
		printf("child got sig %d code %d value %d from parent %d\n", r[0], r[1],
		       r[1] == SI_QUEUE ? r[2] : 0, r[3]);
	}

	printf("-- exit\n");
	MUST(write(ctl[1], "x", 1));
	printf("poll(-1) %#x\n", revents(fd, -1));
	printf("poll %#x\n", revents(nb, 0));
	show_fdinfo(fd, pid);
	SHOW(pidfd_send_signal(fd, SIGUSR1, NULL, 0));
	SHOW(pidfd_getfd(fd, data[1], 0));
	show_waitid(fd, WEXITED | WNOWAIT);
	printf("poll %#x\n", revents(fd, 0));
	show_waitid(fd, WEXITED);
	printf("-- reaped\n");
	printf("poll %#x\n", revents(fd, 0));
	show_fdinfo(fd, pid);
	SHOW(pidfd_send_signal(fd, SIGUSR1, NULL, 0));
	SHOW(pidfd_send_signal(fd, 0, NULL, 0));
	SHOW(pidfd_getfd(fd, data[1], 0));
	show_waitid(fd, WEXITED);
	show_waitid(nb, WEXITED | WNOHANG);
	close(fd);
	close(nb);
	close(ctl[1]);
	close(rep[0]);
	close(data[0]);
}

/* A child that exits by itself a little later: poll, epoll and a blocking waitid wake. */
static void wakeups(void)
{
	printf("-- wakeups\n");
	pid_t pid = MUST(fork());
	if (pid == 0) {
		usleep(100000);
		_exit(3);
	}
	int fd = MUST(pidfd_open(pid, 0));
	printf("poll(-1) %#x\n", revents(fd, -1));
	show_waitid(fd, WEXITED);

	pid = MUST(fork());
	if (pid == 0) {
		usleep(100000);
		_exit(4);
	}
	int fd2 = MUST(pidfd_open(pid, 0));
	int ep = MUST(epoll_create1(EPOLL_CLOEXEC));
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 9 };
	SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, fd2, &ev));
	SHOW(epoll_wait(ep, &ev, 1, 0));
	SHOW(epoll_wait(ep, &ev, 1, -1));
	printf("event %#x data %u\n", ev.events, ev.data.u32);
	close(ep);

	pid = MUST(fork());
	if (pid == 0) {
		usleep(100000);
		kill(getpid(), SIGTERM);
		_exit(5);
	}
	int fd3 = MUST(pidfd_open(pid, 0));
	show_waitid(fd3, WEXITED);
	show_waitid(fd2, WEXITED);
	close(fd);
	close(fd2);
	close(fd3);
}

static void open_errors(void)
{
	printf("-- open errors\n");
	SHOW(pidfd_open(0, 0));
	SHOW(pidfd_open(-1, 0));
	SHOW(pidfd_open(getpid(), 1));
	SHOW(pidfd_open(getpid(), O_CLOEXEC));
	SHOW(pidfd_open(0x3ffffff0, 0));
	int fd = SHOWOK(pidfd_open(getpid(), 0));
	show_fdinfo(fd, getpid());
	printf("poll %#x\n", revents(fd, 0));
	/* Not a child of ours. */
	show_waitid(fd, WEXITED | WNOHANG);
	SHOW(waitid(P_PIDFD, -1, NULL, WEXITED));
	SHOW(waitid(P_PIDFD, 0, NULL, WEXITED));
	/* Signal 0 and fds of oneself. */
	SHOW(pidfd_send_signal(fd, 0, NULL, 0));
	/* Any si_code towards oneself, but not to one's process group. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	siginfo_t si, in;
	memset(&si, 0, sizeof si);
	si.si_signo = SIGUSR1;
	si.si_code = SI_USER;
	si.si_pid = 77;
	SHOW(pidfd_send_signal(fd, SIGUSR1, &si, 4 /* PIDFD_SIGNAL_PROCESS_GROUP */));
	SHOW(pidfd_send_signal(fd, SIGUSR1, &si, 0));
	struct timespec ts = { 1, 0 };
	SHOW(sigtimedwait(&set, &in, &ts));
	printf("code %d pid %d\n", in.si_code, in.si_pid);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	int got = SHOWOK(pidfd_getfd(fd, fd, 0));
	show_link(got);
	close(got);
	close(fd);
}

static int thread_pipe[2];
static volatile pid_t thread_tid;

static void *thread_main(void *arg)
{
	(void)arg;
	thread_tid = gettid();
	char c;
	read(thread_pipe[0], &c, 1);
	return NULL;
}

static void threads(void)
{
	printf("-- threads\n");
	MUST(pipe(thread_pipe));
	pthread_t th;
	pthread_create(&th, NULL, thread_main, NULL);
	while (!thread_tid)
		usleep(1000);
	SHOW(pidfd_open(thread_tid, 0));
	int fd = SHOWOK(pidfd_open(thread_tid, PIDFD_THREAD));
	show_fdinfo(fd, thread_tid);
	printf("poll %#x\n", revents(fd, 0));
	MUST(write(thread_pipe[1], "x", 1));
	pthread_join(th, NULL);
	printf("poll(-1) in %d\n", !!(revents(fd, -1) & POLLIN));
	close(fd);
	close(thread_pipe[0]);
	close(thread_pipe[1]);
}

struct clone_args_v0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static void clones(void)
{
	printf("-- clone\n");
	int pfd = -5;
	long pid = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pfd, 0, 0);
	if (pid == 0)
		_exit(6);
	printf("clone: %s\n", pid > 0 ? "ok" : errno_name(errno));
	CHECK(pfd >= 0);
	CHECK(cloexec(pfd));
	show_link(pfd);
	show_fdinfo(pfd, pid);
	show_waitid(pfd, WEXITED);
	close(pfd);
	int tid = 0;
	SHOW(syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &tid, 0, 0));
	SHOW(syscall(SYS_clone, CLONE_PIDFD | 0x400000 /* CLONE_DETACHED */ | SIGCHLD, 0, &pfd, 0, 0));
	SHOW(syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, (void *)8, 0, 0));
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);

	printf("-- clone3\n");
	struct clone_args_v0 ca;
	memset(&ca, 0, sizeof ca);
	pfd = -5;
	ca.flags = CLONE_PIDFD;
	ca.pidfd = (uintptr_t)&pfd;
	ca.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid == 0)
		_exit(8);
	printf("clone3: %s\n", pid > 0 ? "ok" : errno_name(errno));
	CHECK(pfd >= 0);
	CHECK(cloexec(pfd));
	show_fdinfo(pfd, pid);
	printf("poll(-1) %#x\n", revents(pfd, -1));
	show_waitid(pfd, WEXITED);
	close(pfd);
	ca.pidfd = 8;
	SHOW(syscall(SYS_clone3, &ca, sizeof ca));
	ca.flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
	ca.pidfd = ca.parent_tid = (uintptr_t)&pfd;
	SHOW(syscall(SYS_clone3, &ca, sizeof ca));
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
}

/* Another user's process: no signals (unless SIGCONT in the session), no files; one's own
 * process always. The signal scope flags. */
static void permissions(void)
{
	printf("-- permissions\n");
	int ctl[2];
	MUST(pipe(ctl));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		char c;
		read(ctl[0], &c, 1);
		_exit(0);
	}
	close(ctl[0]);
	int fd = MUST(pidfd_open(pid, 0));
	SHOW(pidfd_send_signal(fd, 0, NULL, 2 /* PIDFD_SIGNAL_THREAD_GROUP */));
	SHOW(pidfd_send_signal(fd, 0, NULL, 1 /* PIDFD_SIGNAL_THREAD */));
	/* The pidfd's pid taken as a process group id. */
	SHOW(pidfd_send_signal(fd, 0, NULL, 4 /* PIDFD_SIGNAL_PROCESS_GROUP */));
	SHOW(setpgid(pid, pid));
	SHOW(pidfd_send_signal(fd, 0, NULL, 4 /* PIDFD_SIGNAL_PROCESS_GROUP */));
	fflush(stdout);
	pid_t sub = MUST(fork());
	if (sub == 0) {
		MUST(setresgid(1000, 1000, 1000));
		MUST(setresuid(1000, 1000, 1000));
		SHOW(pidfd_send_signal(fd, 0, NULL, 0));
		SHOW(pidfd_send_signal(fd, SIGUSR1, NULL, 0));
		SHOW(pidfd_send_signal(fd, SIGCONT, NULL, 0));
		SHOW(pidfd_getfd(fd, 0, 0));
		int self = MUST(pidfd_open(getpid(), 0));
		SHOW(pidfd_send_signal(self, 0, NULL, 0));
		int got = SHOWOK(pidfd_getfd(self, 1, 0));
		close(got);
		_exit(0);
	}
	int st;
	MUST(waitpid(sub, &st, 0));
	printf("sub status %d\n", st);
	MUST(write(ctl[1], "x", 1));
	show_waitid(fd, WEXITED);
	close(fd);
	close(ctl[1]);
}

int main(void)
{
	open_errors();
	main_child();
	wakeups();
	threads();
	clones();
	permissions();
	return 0;
}
