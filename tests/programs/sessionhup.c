/* When a session leader with a controlling terminal exits, the terminal's
 * foreground process group gets SIGHUP (and the terminal loses its session). */
#define _GNU_SOURCE
#include "common.h"
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	MUST(master);
	MUST(grantpt(master));
	MUST(unlockpt(master));
	char *name = ptsname(master);
	int report[2];
	MUST(pipe(report));
	pid_t leader = fork();
	if (leader == 0) {
		setsid();
		int slave = open(name, O_RDWR); /* becomes the controlling terminal */
		pid_t member = fork();
		if (member == 0) {
			/* In the leader's group (the foreground group): wait for SIGHUP. */
			sigset_t set;
			sigemptyset(&set);
			sigaddset(&set, SIGHUP);
			sigprocmask(SIG_BLOCK, &set, NULL);
			write(report[1], "\001", 1);
			int sig = 0;
			struct timespec ts = {5, 0};
			siginfo_t si;
			sig = sigtimedwait(&set, &si, &ts);
			char msg[64];
			int n = snprintf(msg, sizeof msg, "member got %s\n", sig == SIGHUP ? "SIGHUP" : "nothing");
			write(report[1], msg, n);
			_exit(0);
		}
		char c;
		read(report[0], &c, 1);
		(void)slave;
		_exit(0); /* the session leader exits */
	}
	waitpid(leader, NULL, 0);
	close(report[1]);
	char buf[128];
	ssize_t n;
	while ((n = read(report[0], buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != 1)
				putchar(buf[i]);
	}
	/* The member is our orphaned grandchild; give it time to report. */
	return 0;
}
