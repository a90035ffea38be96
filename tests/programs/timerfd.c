/* timerfd: timerfd_create clocks and flags (the alarm clocks need CAP_WAKE_ALARM, which root
 * has), timerfd_settime relative and TFD_TIMER_ABSTIME (a time in the past fires at once,
 * TFD_TIMER_CANCEL_ON_SET accepted), intervals counted in the 8-byte expiration count,
 * timerfd_gettime (disarmed, armed, old values), EAGAIN and blocking reads, poll and epoll,
 * TFD_IOC_SET_TICKS, the errors (bad flags, clocks, timespecs, fds that are not timerfds),
 * fstat and /proc/self/fd naming. Only relations between times are printed. */
#include "common.h"
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <time.h>

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

static long long ns(struct timespec t)
{
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void show_read(int fd)
{
	uint64_t v = 0;
	long r = read(fd, &v, sizeof v);
	if (r < 0)
		printf("  read = -1 %s\n", errno_name(errno));
	else
		printf("  read = %ld count %llu\n", r, (unsigned long long)v);
}

static short revents(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
	poll(&p, 1, 0);
	return p.revents;
}

static void errors(void)
{
	struct itimerspec its = { { 0, 0 }, { 1, 0 } }, old;
	SHOW(timerfd_create(CLOCK_MONOTONIC, 0x1234));
	SHOW(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | 1));
	SHOW(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
	SHOW(timerfd_create(CLOCK_THREAD_CPUTIME_ID, 0));
	SHOW(timerfd_create(CLOCK_MONOTONIC_RAW, 0));
	SHOW(timerfd_create(CLOCK_REALTIME_COARSE, 0));
	SHOW(timerfd_create(CLOCK_TAI, 0));
	SHOW(timerfd_create(-1, 0));
	SHOW(timerfd_create(100, 0));
	int fd = MUST(timerfd_create(CLOCK_MONOTONIC, 0));
	SHOW(timerfd_settime(fd, 0x1234, &its, NULL));
	SHOW(timerfd_settime(fd, 4, &its, NULL));
	SHOW(timerfd_settime(fd, 0, NULL, NULL));
	its.it_value.tv_nsec = 1000000000;
	SHOW(timerfd_settime(fd, 0, &its, NULL));
	its.it_value.tv_nsec = -1;
	SHOW(timerfd_settime(fd, 0, &its, NULL));
	its.it_value.tv_nsec = 0;
	its.it_interval.tv_sec = -1;
	SHOW(timerfd_settime(fd, 0, &its, NULL));
	its.it_interval.tv_sec = 0;
	SHOW(timerfd_settime(99, 0, &its, NULL));
	SHOW(timerfd_gettime(99, &old));
	SHOW(timerfd_gettime(fd, NULL));
	SHOW(timerfd_settime(1, 0, &its, NULL));
	SHOW(timerfd_gettime(1, &old));
	int p[2];
	MUST(pipe(p));
	SHOW(timerfd_settime(p[0], 0, &its, NULL));
	SHOW(timerfd_gettime(p[1], &old));
	close(p[0]);
	close(p[1]);
	close(fd);
}

static void clocks(void)
{
	int c[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM };
	for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++) {
		int fd = timerfd_create(c[i], TFD_NONBLOCK);
		printf("clock %d: %s\n", c[i], fd >= 0 ? "ok" : errno_name(errno));
		if (fd < 0)
			continue;
		struct itimerspec its = { { 0, 0 }, { 0, 2000000 } };
		SHOW(timerfd_settime(fd, 0, &its, NULL));
		struct pollfd pf = { fd, POLLIN, 0 };
		SHOW(poll(&pf, 1, 2000));
		show_read(fd);
		close(fd);
	}
}

static void basics(void)
{
	int fd = SHOW(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
	printf("cloexec %d nonblock %d accmode %d\n", fcntl(fd, F_GETFD), !!(fcntl(fd, F_GETFL) & O_NONBLOCK),
	       fcntl(fd, F_GETFL) & O_ACCMODE);
	struct itimerspec cur;
	SHOW(timerfd_gettime(fd, &cur));
	printf("disarmed value %lld interval %lld\n", ns(cur.it_value), ns(cur.it_interval));
	show_read(fd);
	char small[4];
	SHOW(read(fd, small, sizeof small));
	SHOW(write(fd, small, sizeof small));
	printf("poll %#x\n", revents(fd));

	/* A long timer: gettime counts down from at most its value. */
	struct itimerspec its = { { 3, 0 }, { 100, 0 } }, old;
	SHOW(timerfd_settime(fd, 0, &its, NULL));
	SHOW(timerfd_gettime(fd, &cur));
	printf("value in (99s, 100s] %d interval %lld\n", ns(cur.it_value) > 99000000000LL && ns(cur.it_value) <= 100000000000LL,
	       ns(cur.it_interval));
	/* Re-arming returns the old setting. */
	its.it_value.tv_sec = 0;
	its.it_value.tv_nsec = 20000000;
	its.it_interval.tv_sec = 0;
	SHOW(timerfd_settime(fd, 0, &its, &old));
	printf("old value in (99s, 100s] %d old interval %lld\n",
	       ns(old.it_value) > 99000000000LL && ns(old.it_value) <= 100000000000LL, ns(old.it_interval));
	show_read(fd);
	usleep(60000);
	printf("poll %#x\n", revents(fd));
	show_read(fd);
	show_read(fd);
	SHOW(timerfd_gettime(fd, &cur));
	printf("expired value %lld\n", ns(cur.it_value));

	/* Intervals: several expirations add up. */
	its.it_value.tv_nsec = 5000000;
	its.it_interval.tv_nsec = 5000000;
	SHOW(timerfd_settime(fd, 0, &its, NULL));
	usleep(60000);
	uint64_t v = 0;
	SHOW(read(fd, &v, sizeof v));
	printf("count >= 5 %d\n", v >= 5);
	SHOW(timerfd_gettime(fd, &cur));
	printf("value in (0, 5ms] %d interval %lld\n", ns(cur.it_value) > 0 && ns(cur.it_value) <= 5000000,
	       ns(cur.it_interval));
	/* Disarm: value zero. Pending expirations are dropped by any settime. */
	usleep(20000);
	memset(&its, 0, sizeof its);
	SHOW(timerfd_settime(fd, 0, &its, &old));
	printf("old interval %lld\n", ns(old.it_interval));
	show_read(fd);
	SHOW(timerfd_gettime(fd, &cur));
	printf("value %lld interval %lld\n", ns(cur.it_value), ns(cur.it_interval));

	/* TFD_IOC_SET_TICKS sets the count. */
	uint64_t ticks = 7;
	SHOW(ioctl(fd, TFD_IOC_SET_TICKS, &ticks));
	printf("poll %#x\n", revents(fd));
	show_read(fd);
	ticks = 0;
	SHOW(ioctl(fd, TFD_IOC_SET_TICKS, &ticks));
	SHOW(ioctl(fd, TFD_IOC_SET_TICKS, NULL));

	SHOW(lseek(fd, 5, SEEK_SET));
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

static void absolute(void)
{
	int fd = MUST(timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK));
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	/* In the past: fires at once; with an interval the missed periods count too. */
	struct itimerspec its = { { 0, 0 }, { now.tv_sec - 10, now.tv_nsec } };
	SHOW(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
	struct pollfd pf = { fd, POLLIN, 0 };
	SHOW(poll(&pf, 1, 1000));
	show_read(fd);
	its.it_interval.tv_sec = 1;
	SHOW(timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL));
	SHOW(poll(&pf, 1, 1000));
	uint64_t v = 0;
	SHOW(read(fd, &v, sizeof v));
	printf("count in [10, 12] %d\n", v >= 10 && v <= 12);
	close(fd);

	fd = MUST(timerfd_create(CLOCK_MONOTONIC, 0));
	clock_gettime(CLOCK_MONOTONIC, &now);
	its.it_interval.tv_sec = 0;
	its.it_value = now;
	its.it_value.tv_nsec += 30000000;
	if (its.it_value.tv_nsec >= 1000000000) {
		its.it_value.tv_sec++;
		its.it_value.tv_nsec -= 1000000000;
	}
	SHOW(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
	struct itimerspec cur;
	SHOW(timerfd_gettime(fd, &cur));
	printf("relative value in (0, 30ms] %d\n", ns(cur.it_value) > 0 && ns(cur.it_value) <= 30000000);
	/* A blocking read waits for the expiration. */
	v = 0;
	SHOW(read(fd, &v, sizeof v));
	struct timespec after;
	clock_gettime(CLOCK_MONOTONIC, &after);
	printf("count %llu woke after deadline %d\n", (unsigned long long)v, ns(after) >= ns(its.it_value));
	close(fd);
}

static void epolled(void)
{
	int fd = MUST(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
	int ep = MUST(epoll_create1(0));
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = fd };
	MUST(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	SHOW(epoll_wait(ep, &ev, 1, 0));
	struct itimerspec its = { { 0, 10000000 }, { 0, 10000000 } };
	SHOW(timerfd_settime(fd, 0, &its, NULL));
	SHOW(epoll_wait(ep, &ev, 1, 2000));
	printf("events %#x\n", ev.events);
	uint64_t v;
	SHOW(read(fd, &v, sizeof v));
	SHOW(epoll_wait(ep, &ev, 1, 2000));
	close(ep);
	close(fd);
}

int main(void)
{
	errors();
	clocks();
	basics();
	absolute();
	epolled();
	return 0;
}
