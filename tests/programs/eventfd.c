/* eventfd: eventfd/eventfd2 counter semantics (writes add, reads take all), EFD_SEMAPHORE,
 * EFD_NONBLOCK (EAGAIN on zero and on overflow), EFD_CLOEXEC, EINVAL (bad flags, short
 * buffers, writing 2^64-1), EFAULT (a faulting read still takes the count), poll bits,
 * fstat of the anonymous inode, lseek (a no-op), and a blocked read woken by a timer
 * handler that writes (SA_RESTART) or interrupted by one (EINTR). */
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/time.h>

static void show_read(int fd)
{
	uint64_t v = 0xdead;
	long r = read(fd, &v, sizeof v);
	if (r < 0)
		printf("  read = -1 %s\n", errno_name(errno));
	else
		printf("  read = %ld value %llu\n", r, (unsigned long long)v);
}

static long put(int fd, uint64_t v)
{
	return write(fd, &v, sizeof v);
}

static short revents(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
	poll(&p, 1, 0);
	return p.revents;
}

static void counter(void)
{
	int fd = SHOW(eventfd(5, EFD_NONBLOCK));
	printf("poll %#x\n", revents(fd));
	show_read(fd);
	printf("poll %#x\n", revents(fd));
	show_read(fd);
	SHOW(put(fd, 3));
	SHOW(put(fd, 4));
	show_read(fd);
	/* The largest value is 2^64-2; writing 2^64-1 is invalid. */
	SHOW(put(fd, UINT64_MAX));
	SHOW(put(fd, UINT64_MAX - 1));
	printf("poll %#x\n", revents(fd));
	SHOW(put(fd, 1));
	SHOW(put(fd, 0));
	show_read(fd);
	/* Short buffers; longer ones use only 8 bytes. */
	char small[4], large[16];
	SHOW(read(fd, small, 4));
	SHOW(write(fd, small, 4));
	memset(large, 0, sizeof large);
	large[0] = 2;
	large[8] = 7;
	SHOW(write(fd, large, 16));
	SHOW(read(fd, large, 16));
	printf("value %d\n", large[0]);
	/* Faults: a failed read still takes the counter. */
	SHOW(put(fd, 9));
	SHOW(syscall(SYS_read, fd, (void *)1, 8));
	show_read(fd);
	SHOW(syscall(SYS_write, fd, (void *)1, 8));
	/* Not a file with a position. */
	SHOW(lseek(fd, 10, SEEK_SET));
	SHOW(pread(fd, large, 8, 0));
	struct stat st;
	SHOW(fstat(fd, &st));
	printf("mode %o size %ld\n", st.st_mode, (long)st.st_size);
	close(fd);

	/* The initial value is an unsigned int. */
	fd = SHOW(syscall(SYS_eventfd2, 0xffffffffU, EFD_NONBLOCK));
	show_read(fd);
	close(fd);
	fd = SHOW(syscall(SYS_eventfd, 42));
	printf("nonblock %d\n", !!(fcntl(fd, F_GETFL) & O_NONBLOCK));
	show_read(fd);
	close(fd);
}

static void semaphore(void)
{
	int fd = SHOW(eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC));
	printf("F_GETFD %d accmode %d\n", fcntl(fd, F_GETFD), fcntl(fd, F_GETFL) & O_ACCMODE);
	SHOW(fcntl(fd, F_SETFL, O_DIRECT));
	show_read(fd);
	show_read(fd);
	show_read(fd);
	SHOW(put(fd, 3));
	show_read(fd);
	printf("poll %#x\n", revents(fd));
	close(fd);
	SHOW(eventfd(0, 0x10));
	SHOW(eventfd(0, O_RDWR));
	SHOW(eventfd(0, EFD_CLOEXEC | 0x100));
}

static int efd = -1, alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
	if (efd >= 0)
		put(efd, 6);
}

static void arm(int restart)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 0 }, { 0, 30000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static void blocking(void)
{
	efd = MUST(eventfd(0, 0));
	arm(1);
	show_read(efd);
	printf("alarms %d\n", alarms);
	arm(0);
	show_read(efd);
	printf("alarms %d\n", alarms);
	show_read(efd);
	/* A blocked write (it would overflow) is interrupted too. */
	int saved = efd;
	efd = -1;
	MUST(put(saved, UINT64_MAX - 1));
	arm(0);
	SHOW(put(saved, 1));
	printf("alarms %d\n", alarms);
	signal(SIGALRM, SIG_DFL);
	close(saved);
}

int main(void)
{
	counter();
	semaphore();
	blocking();
	return 0;
}
