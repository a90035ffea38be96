/* pipe: pipe/pipe2 (flags, EINVAL, EFAULT leaving no fds), byte counts of Linux's page-slot
 * buffer (1-byte and 100-byte writes until EAGAIN), PIPE_BUF atomicity of nonblocking writes,
 * partial large writes, EOF, EPIPE with SIGPIPE ignored and caught, packet mode (O_DIRECT),
 * F_GETPIPE_SZ/F_SETPIPE_SZ, FIONREAD, fstat, ESPIPE, EBADF on the wrong end, EFAULT,
 * readv/writev, and blocking reads and writes interrupted by a timer signal (EINTR,
 * SA_RESTART, partial write count). Single process. */
#include "common.h"
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/uio.h>

static char big[1 << 20];

static void basics(void)
{
	int p[2];
	char buf[64];
	SHOW(pipe(p));
	printf("fds %d %d\n", p[0], p[1]);
	SHOW(write(p[1], "hello", 5));
	int n = -1;
	SHOW(ioctl(p[0], FIONREAD, &n));
	printf("FIONREAD = %d\n", n);
	SHOW(ioctl(p[1], FIONREAD, &n));
	printf("FIONREAD on write end = %d\n", n);
	SHOW(read(p[0], buf, 3));
	SHOW(read(p[0], buf + 3, sizeof buf - 3));
	printf("got %.5s\n", buf);
	SHOW(read(p[1], buf, 1));
	SHOW(write(p[0], "x", 1));
	SHOW(lseek(p[0], 0, SEEK_CUR));
	SHOW(pread(p[0], buf, 1, 0));
	SHOW(pwrite(p[1], "x", 1, 0));
	SHOW(fsync(p[1]));
	SHOW(write(p[1], buf, 0));
	SHOW(read(p[0], buf, 0));
	printf("F_GETFL accmode r=%d w=%d\n", fcntl(p[0], F_GETFL) & O_ACCMODE, fcntl(p[1], F_GETFL) & O_ACCMODE);

	struct stat st;
	SHOW(fstat(p[0], &st));
	CHECK(S_ISFIFO(st.st_mode));
	printf("mode %o nlink %ld size %ld blksize %ld\n", st.st_mode & 07777, (long)st.st_nlink,
	       (long)st.st_size, (long)st.st_blksize);
	struct stat st2;
	SHOW(fstat(p[1], &st2));
	CHECK(st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);

	/* Vectors. */
	struct iovec iov[3] = { { "ab", 2 }, { "", 0 }, { "cde", 3 } };
	SHOW(writev(p[1], iov, 3));
	char x[2], y[10];
	struct iovec riov[2] = { { x, 2 }, { y, 10 } };
	SHOW(readv(p[0], riov, 2));
	printf("readv %.2s %.3s\n", x, y);

	/* EOF once the write end is gone. */
	SHOW(write(p[1], "z", 1));
	SHOW(close(p[1]));
	SHOW(read(p[0], buf, sizeof buf));
	SHOW(read(p[0], buf, sizeof buf));
	SHOW(close(p[0]));
}

static void flags(void)
{
	int p[2];
	SHOW(pipe2(p, O_CLOEXEC | O_NONBLOCK));
	printf("cloexec %d %d nonblock %d %d\n", fcntl(p[0], F_GETFD), fcntl(p[1], F_GETFD),
	       !!(fcntl(p[0], F_GETFL) & O_NONBLOCK), !!(fcntl(p[1], F_GETFL) & O_NONBLOCK));
	SHOW(close(p[0]));
	SHOW(close(p[1]));
	SHOW(pipe2(p, O_APPEND));
	SHOW(pipe2(p, O_RDWR));
	SHOW(pipe2(p, 0x40000000));
	/* A bad array: EFAULT, and no descriptor stays behind. */
	SHOW(syscall(SYS_pipe, (void *)1));
	SHOW(syscall(SYS_pipe2, (void *)1, O_CLOEXEC));
	SHOW(syscall(SYS_pipe, (void *)-4096L));
	int d = dup(0);
	printf("next fd %d\n", d);
	close(d);
}

static void fill(void)
{
	int p[2];
	char c = 'a';
	MUST(pipe2(p, O_NONBLOCK));
	SHOW(fcntl(p[0], F_GETPIPE_SZ));
	long total = 0;
	while (write(p[1], &c, 1) == 1)
		total++;
	printf("1-byte writes: %ld then %s\n", total, errno_name(errno));
	int n = 0;
	ioctl(p[0], FIONREAD, &n);
	printf("FIONREAD full = %d\n", n);
	SHOW(read(p[0], big, 10));
	/* One byte read: the first slot still holds the rest, nothing is free. */
	SHOW(write(p[1], big, 4096));
	SHOW(read(p[0], big, 4086));
	SHOW(write(p[1], big, 4096));
	SHOW(write(p[1], big, 1));
	close(p[0]);
	close(p[1]);

	MUST(pipe2(p, O_NONBLOCK));
	total = 0;
	long r;
	while ((r = write(p[1], big, 100)) > 0)
		total += r;
	printf("100-byte writes: %ld then %s\n", total, errno_name(errno));
	close(p[0]);
	close(p[1]);

	/* A nonblocking write bigger than the pipe is partial. */
	MUST(pipe2(p, O_NONBLOCK));
	SHOW(write(p[1], big, 100000));
	SHOW(write(p[1], big, 100000));
	SHOW(read(p[0], big, 100));
	SHOW(read(p[0], big, 100000));
	SHOW(read(p[0], big, 1));
	close(p[0]);
	close(p[1]);
}

static void atomic(void)
{
	int p[2];
	MUST(pipe2(p, O_NONBLOCK));
	/* 15 full pages, then 4000 bytes in the last slot. */
	SHOW(write(p[1], big, 15 * 4096));
	SHOW(write(p[1], big, 4000));
	/* 200 bytes fit nowhere whole: PIPE_BUF atomicity says nothing is written. */
	SHOW(write(p[1], big, 200));
	SHOW(write(p[1], big, 4096));
	/* 96 bytes still fit in the last slot. */
	SHOW(write(p[1], big, 96));
	SHOW(write(p[1], big, 1));
	SHOW(read(p[0], big, 4096));
	/* One slot free: a large write takes one page of it and stops. */
	SHOW(write(p[1], big, 10000));
	SHOW(read(p[0], big, 8192));
	/* Two free slots: 5000 bytes need both (904 bytes do not merge into a full slot). */
	SHOW(write(p[1], big, 5000));
	SHOW(write(p[1], big, 1));
	close(p[0]);
	close(p[1]);
}

static int got_pipe;
static void on_pipe(int sig)
{
	(void)sig;
	got_pipe++;
}

static void epipe(void)
{
	int p[2];
	MUST(pipe(p));
	SHOW(close(p[0]));
	signal(SIGPIPE, SIG_IGN);
	SHOW(write(p[1], "x", 1));
	signal(SIGPIPE, on_pipe);
	SHOW(write(p[1], "x", 1));
	printf("SIGPIPE handled %d time(s)\n", got_pipe);
	struct iovec iov = { "abc", 3 };
	SHOW(writev(p[1], &iov, 1));
	printf("SIGPIPE handled %d time(s)\n", got_pipe);
	/* A blocked SIGPIPE stays pending. */
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	sigprocmask(SIG_BLOCK, &s, &old);
	SHOW(write(p[1], "x", 1));
	sigset_t pend;
	sigpending(&pend);
	printf("pending %d\n", sigismember(&pend, SIGPIPE));
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("SIGPIPE handled %d time(s)\n", got_pipe);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
}

static void packets(void)
{
	int p[2];
	char buf[100];
	SHOW(pipe2(p, O_DIRECT | O_NONBLOCK));
	/* Only the write end is in packet mode. */
	printf("O_DIRECT r=%d w=%d\n", !!(fcntl(p[0], F_GETFL) & O_DIRECT), !!(fcntl(p[1], F_GETFL) & O_DIRECT));
	SHOW(write(p[1], "one", 3));
	SHOW(write(p[1], "three", 5));
	SHOW(read(p[0], buf, sizeof buf));
	SHOW(read(p[0], buf, 2));
	printf("%.2s\n", buf);
	SHOW(read(p[0], buf, sizeof buf));
	/* Writes bigger than a page are split into page-sized packets. */
	SHOW(write(p[1], big, 5000));
	SHOW(read(p[0], big, sizeof big));
	SHOW(read(p[0], big, sizeof big));
	/* Clearing O_DIRECT on the writer makes stream data again. */
	SHOW(fcntl(p[1], F_SETFL, O_NONBLOCK));
	SHOW(write(p[1], "ab", 2));
	SHOW(write(p[1], "cd", 2));
	SHOW(read(p[0], buf, sizeof buf));
	/* F_SETFL can turn packet mode on too (and eventfds refuse O_DIRECT). */
	SHOW(fcntl(p[1], F_SETFL, O_DIRECT | O_NONBLOCK));
	SHOW(write(p[1], "ab", 2));
	SHOW(write(p[1], "cd", 2));
	SHOW(read(p[0], buf, sizeof buf));
	SHOW(read(p[0], buf, sizeof buf));
	SHOW(fcntl(p[0], F_SETFL, O_DIRECT | O_NONBLOCK));
	close(p[0]);
	close(p[1]);
}

static void sizes(void)
{
	int p[2];
	MUST(pipe2(p, O_NONBLOCK));
	SHOW(fcntl(p[1], F_GETPIPE_SZ));
	SHOW(fcntl(p[1], F_SETPIPE_SZ, 5000));
	SHOW(fcntl(p[0], F_GETPIPE_SZ));
	SHOW(fcntl(p[1], F_SETPIPE_SZ, 0));
	SHOW(fcntl(p[1], F_SETPIPE_SZ, 1));
	SHOW(fcntl(p[1], F_SETPIPE_SZ, 1 << 20));
	SHOW(fcntl(p[1], F_SETPIPE_SZ, 8192));
	long total = 0, r;
	while ((r = write(p[1], big, 4096)) > 0)
		total += r;
	printf("8192-byte pipe holds %ld\n", total);
	SHOW(fcntl(p[1], F_SETPIPE_SZ, 4096));
	SHOW(fcntl(p[1], F_SETPIPE_SZ, 3 * 4096));
	SHOW(write(p[1], big, 8192));
	SHOW(fcntl(p[1], F_SETPIPE_SZ, -1));
	int fd = MUST(open("/dev/null", O_RDONLY));
	SHOW(fcntl(fd, F_GETPIPE_SZ));
	SHOW(fcntl(fd, F_SETPIPE_SZ, 4096));
	close(fd);
	close(p[0]);
	close(p[1]);
}

static void faults(void)
{
	int p[2];
	MUST(pipe2(p, O_NONBLOCK));
	SHOW(syscall(SYS_write, p[1], (void *)1, 10));
	SHOW(write(p[1], "data", 4));
	SHOW(syscall(SYS_read, p[0], (void *)1, 10));
	/* The data is still there. */
	char buf[8];
	SHOW(read(p[0], buf, sizeof buf));
	/* Nothing to read: EAGAIN comes before the bad buffer matters. */
	SHOW(syscall(SYS_read, p[0], (void *)1, 10));
	close(p[0]);
	close(p[1]);
}

static int alarms;
static int alarm_fd = -1;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
	if (alarm_fd >= 0)
		write(alarm_fd, "!", 1);
}

static void arm(int restart)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 0 }, { 0, 50000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static void blocking(void)
{
	int p[2];
	char buf[8];
	MUST(pipe(p));
	/* Without SA_RESTART the blocked read fails with EINTR; the handler's byte waits. */
	alarm_fd = p[1];
	arm(0);
	SHOW(read(p[0], buf, sizeof buf));
	printf("alarms %d\n", alarms);
	SHOW(read(p[0], buf, sizeof buf));
	/* With SA_RESTART it restarts and reads what the handler wrote. */
	arm(1);
	SHOW(read(p[0], buf, sizeof buf));
	printf("alarms %d read %c\n", alarms, buf[0]);
	/* A blocking write bigger than the pipe writes what fits, then waits; a signal
	 * ends it with the partial count, even under SA_RESTART. */
	alarm_fd = -1;
	arm(1);
	SHOW(write(p[1], big, 100000));
	printf("alarms %d\n", alarms);
	/* Full pipe, nothing written yet: EINTR without SA_RESTART. */
	arm(0);
	SHOW(write(p[1], big, 10));
	printf("alarms %d\n", alarms);
	signal(SIGALRM, SIG_DFL);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	basics();
	flags();
	fill();
	atomic();
	epipe();
	packets();
	sizes();
	faults();
	blocking();
	return 0;
}
