/* signalfd: signalfd/signalfd4 argument checks (size of the mask, flags, fds that are not
 * signalfds), SFD_NONBLOCK/SFD_CLOEXEC, reading struct signalfd_siginfo records (kill,
 * sigqueue values in order, tgkill, several records per read, short buffers), the mask
 * limiting what is taken, updating the mask through the fd, poll and epoll readiness, a
 * blocking read woken by a signal from a child, reads taking the reader's own signals
 * (another thread's and a forked child's are theirs), fstat and /proc/self/fd naming. */
#include "common.h"
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

static void show(const struct signalfd_siginfo *si)
{
	printf("  signo %u code %d errno %d pid_is_self %d uid %u int %d ptr %llu overrun %u tid %u\n",
	       si->ssi_signo, si->ssi_code, si->ssi_errno, si->ssi_pid == (unsigned)getpid(), si->ssi_uid,
	       si->ssi_int, (unsigned long long)si->ssi_ptr, si->ssi_overrun, si->ssi_tid);
}

static int readall(int fd)
{
	struct signalfd_siginfo si[4];
	long r = read(fd, si, sizeof si);
	if (r < 0) {
		printf("  read = -1 %s\n", errno_name(errno));
		return 0;
	}
	printf("  read = %ld\n", r);
	for (long i = 0; i < r / (long)sizeof si[0]; i++)
		show(&si[i]);
	return (int)(r / sizeof si[0]);
}

static short revents(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
	poll(&p, 1, 0);
	return p.revents;
}

static void errors(sigset_t *m)
{
	int p[2];
	MUST(pipe(p));
	SHOW(syscall(SYS_signalfd4, -1, m, 4, 0));
	SHOW(syscall(SYS_signalfd4, -1, m, 16, 0));
	SHOW(syscall(SYS_signalfd4, -1, NULL, 8, 0));
	SHOW(syscall(SYS_signalfd4, -1, m, 8, 0x1234));
	SHOW(syscall(SYS_signalfd4, -1, m, 8, SFD_NONBLOCK | 1));
	SHOW(syscall(SYS_signalfd4, 99, m, 8, 0));
	SHOW(syscall(SYS_signalfd4, -2, m, 8, 0));
	SHOW(syscall(SYS_signalfd4, p[0], m, 8, 0));
	SHOW(syscall(SYS_signalfd, -1, m, 4));
	close(p[0]);
	close(p[1]);
}

static void basics(sigset_t *m)
{
	int fd = SHOW(signalfd(-1, m, SFD_NONBLOCK | SFD_CLOEXEC));
	printf("cloexec %d nonblock %d accmode %d\n", fcntl(fd, F_GETFD), !!(fcntl(fd, F_GETFL) & O_NONBLOCK),
	       fcntl(fd, F_GETFL) & O_ACCMODE);
	printf("poll %#x\n", revents(fd));
	readall(fd);
	char small[100];
	SHOW(read(fd, small, sizeof small));
	SHOW(write(fd, small, 8));
	SHOW(lseek(fd, 10, SEEK_SET));

	MUST(kill(getpid(), SIGUSR1));
	printf("poll %#x\n", revents(fd));
	readall(fd);
	printf("poll %#x\n", revents(fd));

	/* Queued real-time signals come out in order, several per read. */
	union sigval v = { .sival_int = 42 };
	MUST(sigqueue(getpid(), SIGRTMIN, v));
	v.sival_int = 43;
	MUST(sigqueue(getpid(), SIGRTMIN, v));
	MUST(kill(getpid(), SIGUSR1));
	readall(fd);

	/* A buffer for one and a half records takes one. */
	MUST(kill(getpid(), SIGUSR1));
	MUST(sigqueue(getpid(), SIGRTMIN, v));
	struct signalfd_siginfo one[2];
	SHOW(read(fd, one, sizeof one[0] + 64));
	show(&one[0]);
	readall(fd);

	/* Thread-directed signals. */
	MUST(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2));
	readall(fd);

	/* A bad buffer: EFAULT, and the signal is gone. */
	MUST(kill(getpid(), SIGUSR1));
	SHOW(syscall(SYS_read, fd, (void *)1, 128));
	readall(fd);

	struct stat st;
	SHOW(fstat(fd, &st));
	printf("mode %o size %ld\n", st.st_mode, (long)st.st_size);
	char path[64], link[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	long n = readlink(path, link, sizeof link - 1);
	if (n > 0) {
		link[n] = 0;
		printf("link %s\n", link);
	}
	close(fd);
}

static void masks(sigset_t *all)
{
	sigset_t only1;
	sigemptyset(&only1);
	sigaddset(&only1, SIGUSR1);
	/* SIGKILL and SIGSTOP in the mask are dropped silently. */
	sigaddset(&only1, SIGKILL);
	sigaddset(&only1, SIGSTOP);
	int fd = SHOW(signalfd(-1, &only1, SFD_NONBLOCK));
	MUST(kill(getpid(), SIGUSR2));
	printf("poll %#x\n", revents(fd));
	readall(fd);
	sigset_t pend;
	sigpending(&pend);
	printf("usr2 pending %d\n", sigismember(&pend, SIGUSR2));
	/* Passing the fd back changes its mask and returns the same fd; flags are ignored. */
	SHOW(signalfd(fd, all, 0) == fd);
	printf("nonblock %d\n", !!(fcntl(fd, F_GETFL) & O_NONBLOCK));
	printf("poll %#x\n", revents(fd));
	readall(fd);
	sigpending(&pend);
	printf("usr2 pending %d\n", sigismember(&pend, SIGUSR2));

	/* epoll readiness. */
	int ep = MUST(epoll_create1(0));
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	MUST(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	SHOW(epoll_wait(ep, &ev, 1, 0));
	MUST(kill(getpid(), SIGUSR1));
	SHOW(epoll_wait(ep, &ev, 1, 1000));
	printf("events %#x\n", ev.events);
	readall(fd);
	SHOW(epoll_wait(ep, &ev, 1, 0));
	close(ep);
	close(fd);
}

static void blocking(sigset_t *m)
{
	int fd = MUST(signalfd(-1, m, 0));
	pid_t child = MUST(fork());
	if (child == 0) {
		usleep(50000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	struct signalfd_siginfo si;
	SHOW(read(fd, &si, sizeof si));
	printf("signo %u from child %d\n", si.ssi_signo, si.ssi_pid == (unsigned)child);
	int status;
	MUST(waitpid(child, &status, 0));

	/* A forked child reads its own pending signals, not its parent's. */
	MUST(kill(getpid(), SIGUSR2));
	child = MUST(fork());
	if (child == 0) {
		kill(getpid(), SIGUSR1);
		struct signalfd_siginfo c;
		long r = read(fd, &c, sizeof c);
		printf("child read %ld signo %u own %d\n", r, c.ssi_signo, c.ssi_pid == (unsigned)getpid());
		fflush(stdout);
		_exit(0);
	}
	MUST(waitpid(child, &status, 0));
	SHOW(read(fd, &si, sizeof si));
	printf("parent signo %u\n", si.ssi_signo);
	close(fd);
}

static int tfd;
static volatile int thread_tid;
static volatile int go;

static void *thread_main(void *arg)
{
	(void)arg;
	thread_tid = gettid();
	while (!go)
		usleep(1000);
	struct signalfd_siginfo si;
	long r = read(tfd, &si, sizeof si);
	printf("thread read %ld signo %u\n", r, si.ssi_signo);
	return NULL;
}

static void threads(sigset_t *m)
{
	tfd = MUST(signalfd(-1, m, SFD_NONBLOCK));
	pthread_t th;
	pthread_create(&th, NULL, thread_main, NULL);
	while (!thread_tid)
		usleep(1000);
	/* A signal for the other thread: this thread does not see it. */
	MUST(syscall(SYS_tgkill, getpid(), thread_tid, SIGUSR2));
	readall(tfd);
	go = 1;
	pthread_join(th, NULL);
	close(tfd);
}

int main(void)
{
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGUSR2);
	sigaddset(&m, SIGRTMIN);
	MUST(sigprocmask(SIG_BLOCK, &m, NULL));
	errors(&m);
	basics(&m);
	masks(&m);
	blocking(&m);
	threads(&m);
	return 0;
}
