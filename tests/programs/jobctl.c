/* Sessions and process groups: setsid, setpgid, getpgid, getpgrp, getsid, their
 * permission rules and errors, and the terminal job-control ioctls on files that are no
 * terminal.
 *
 * The checks run in a child that starts its own session, so that they see the same
 * thing natively (where the program is a group leader in the harness's session) and in
 * the sandbox (where it is init, leading session 1). Helpers synchronise over pipes. */
#include "common.h"
#include <limits.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

/* A helper child blocked on a pipe until told to run a step. */
struct helper {
	pid_t pid;
	int go;   /* parent writes a step number */
	int done; /* helper writes back when the step is over */
};

static void helper_step(struct helper *h, char step)
{
	char c;
	MUST(write(h->go, &step, 1));
	MUST(read(h->done, &c, 1));
}

static void helper_end(struct helper *h)
{
	int st;
	/* Other children hold the pipe too: no EOF, an explicit end. */
	MUST(write(h->go, "q", 1));
	close(h->go);
	MUST(waitpid(h->pid, &st, 0));
	close(h->done);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static struct helper helper_start(void (*step)(char))
{
	int go[2], done[2];
	MUST(pipe(go));
	MUST(pipe(done));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		close(go[1]);
		close(done[0]);
		char c;
		while (read(go[0], &c, 1) == 1 && c != 'q') {
			step(c);
			MUST(write(done[1], &c, 1));
		}
		_exit(0);
	}
	close(go[0]);
	close(done[1]);
	return (struct helper){ pid, go[1], done[0] };
}

static pid_t leader;

/* Steps of helper A. */
static void a_step(char step)
{
	switch (step) {
	case 's':
		/* A left its own group for B's, so no group has A's id: setsid works. */
		printf("A: setsid() == getpid(): %s\n", setsid() == getpid() ? "yes" : "NO");
		printf("A: getsid(0) == getpid(): %s\n", getsid(0) == getpid() ? "yes" : "NO");
		printf("A: getpgrp() == getpid(): %s\n", getpgrp() == getpid() ? "yes" : "NO");
		/* A session leader cannot change its group. */
		printf("A: "), SHOW(setpgid(0, leader));
		printf("A: "), SHOW(setpgid(0, 0));
		/* Only self and own children. */
		printf("A: "), SHOW(setpgid(getppid(), 0));
		/* The old session is still there. */
		printf("A: getsid(parent) == leader: %s\n", getsid(getppid()) == leader ? "yes" : "NO");
		break;
	}
}

/* Steps of helper B. */
static pid_t a_pid;
static void b_step(char step)
{
	switch (step) {
	case 'j':
		/* A's group is in another session now. */
		printf("B: "), SHOW(setpgid(0, a_pid));
		/* The leader's group is in ours. */
		printf("B: "), SHOW(setpgid(0, leader));
		printf("B: getpgrp() == leader: %s\n", getpgrp() == leader ? "yes" : "NO");
		/* A new group of its own. */
		printf("B: "), SHOW(setpgid(0, 0));
		printf("B: getpgrp() == getpid(): %s\n", getpgrp() == getpid() ? "yes" : "NO");
		/* And back into the leader's group. */
		printf("B: "), SHOW(setpgid(0, leader));
		break;
	}
}

static void not_a_tty(const char *what, int fd)
{
	pid_t pg;
	printf("%s: ", what), SHOW(ioctl(fd, TIOCGPGRP, &pg));
	pg = getpgrp();
	printf("%s: ", what), SHOW(ioctl(fd, TIOCSPGRP, &pg));
	printf("%s: ", what), SHOW(ioctl(fd, TIOCGSID, &pg));
	printf("%s: ", what), SHOW(ioctl(fd, TIOCSCTTY, 0));
	printf("%s: ", what), SHOW(ioctl(fd, TIOCNOTTY));
	printf("%s: ", what), SHOW(tcgetpgrp(fd));
	printf("%s: ", what), SHOW(tcgetsid(fd));
	printf("%s: ", what), SHOW(isatty(fd));
}

static void session(void)
{
	leader = getpid();
	printf("setsid() == getpid(): %s\n", setsid() == leader ? "yes" : "NO");
	printf("getsid(0) == getpid(): %s\n", getsid(0) == leader ? "yes" : "NO");
	printf("getpgid(0) == getpid(): %s\n", getpgid(0) == leader ? "yes" : "NO");
	printf("getpgrp() == getpid(): %s\n", getpgrp() == leader ? "yes" : "NO");
	/* A session leader is a group leader: no second session, no other group. */
	SHOW(setsid());
	SHOW(setpgid(0, 0));
	SHOW(setpgid(0, -1));
	SHOW(getpgid(-1));
	SHOW(getsid(-1));
	SHOW(getpgid(INT_MAX));
	SHOW(getsid(INT_MAX));
	SHOW(setpgid(INT_MAX, 0));

	struct helper a = helper_start(a_step);
	a_pid = a.pid;
	CHECK(getpgid(a.pid) == leader);
	CHECK(getsid(a.pid) == leader);
	/* A parent may move a child of its session between groups of the session. */
	SHOW(setpgid(a.pid, a.pid));
	CHECK(getpgid(a.pid) == a.pid);
	SHOW(setpgid(a.pid, 0));
	CHECK(getpgid(a.pid) == a.pid);
	SHOW(setpgid(a.pid, leader));
	CHECK(getpgid(a.pid) == leader);
	/* No such group in the session. */
	SHOW(setpgid(a.pid, INT_MAX));
	SHOW(setpgid(a.pid, -1));

	struct helper b = helper_start(b_step);
	SHOW(setpgid(b.pid, b.pid));
	/* A joins B's group. */
	SHOW(setpgid(a.pid, b.pid));
	CHECK(getpgid(a.pid) == b.pid);

	helper_step(&a, 's');
	/* A child in another session: EPERM. */
	SHOW(setpgid(a.pid, a.pid));
	SHOW(setpgid(a.pid, leader));
	CHECK(getsid(a.pid) == a.pid);
	CHECK(getpgid(a.pid) == a.pid);

	helper_step(&b, 'j');
	CHECK(getpgid(b.pid) == leader);

	/* A zombie child still has its group; a reaped one is gone. */
	pid_t z = MUST(fork());
	if (z == 0)
		_exit(0);
	SHOW(setpgid(z, z));
	siginfo_t si;
	MUST(waitid(P_PID, z, &si, WEXITED | WNOWAIT));
	CHECK(getpgid(z) == z);
	CHECK(getsid(z) == leader);
	MUST(waitpid(z, NULL, 0));
	SHOW(getpgid(z));
	SHOW(getsid(z));
	SHOW(setpgid(z, 0));

	helper_end(&a);
	helper_end(&b);
	SHOW(getpgid(a.pid));

	int p[2];
	MUST(pipe(p));
	not_a_tty("pipe", p[0]);
	int null = MUST(open("/dev/null", O_RDWR));
	not_a_tty("/dev/null", null);
	close(p[0]);
	close(p[1]);
	close(null);
}

int main(void)
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		session();
		fflush(stdout);
		_exit(0);
	}
	int st;
	MUST(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return 0;
}
