/* Helpers shared by the advisory-lock programs (flock.c, fcntl_lock.c, ofd_lock.c):
 * pipes to step a forked child, its exit code as the result of what it tried, and a
 * SIGALRM that interrupts a blocked lock call. Children report only through exit codes
 * and pipes; the parent prints. */
#ifndef RVT_LOCKTEST_H
#define RVT_LOCKTEST_H

#include "common.h"
#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>
#include <sys/wait.h>

/* Two pipes: parent to child and child to parent. */
struct chan {
	int down[2], up[2];
};

static inline void chan_open(struct chan *c)
{
	MUST(pipe(c->down));
	MUST(pipe(c->up));
}

static inline void chan_close(struct chan *c)
{
	close(c->down[0]);
	close(c->down[1]);
	close(c->up[0]);
	close(c->up[1]);
}

static inline void say(int fd)
{
	char b = 'x';
	if (write(fd, &b, 1) != 1)
		_exit(98);
}

static inline void hear(int fd)
{
	char b;
	if (read(fd, &b, 1) != 1)
		_exit(97);
}

/* The child's exit code, or 100 + the signal that killed it. */
static inline int reap(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

/* A call's result as a child's exit code: 0, or its errno. */
static inline int code_of(long r)
{
	return r == 0 ? 0 : errno;
}

static inline const char *code_name(int c)
{
	return c == 0 ? "ok" : errno_name(c);
}

static volatile sig_atomic_t alarms;
static int alarm_fd = -1;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
	if (alarm_fd >= 0) {
		char b = 'x';
		if (write(alarm_fd, &b, 1) != 1)
			_exit(96);
	}
}

/* SIGALRM in 100 ms; its handler writes a byte to `fd` (if >= 0). */
static inline void arm_alarm(int restart, int fd)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	MUST(sigaction(SIGALRM, &sa, NULL));
	alarm_fd = fd;
	alarms = 0;
	struct itimerval it = { { 0, 0 }, { 0, 100000 } };
	MUST(setitimer(ITIMER_REAL, &it, NULL));
}

static inline void pause_ms(int ms)
{
	usleep(ms * 1000);
}

#endif
