/* flock(2): shared and exclusive locks owned by the open file description (shared by dup
 * and fork, released by its last close), LOCK_NB, non-atomic conversion, waits released
 * by another process's unlock, close or exit, EINTR and SA_RESTART, independence from
 * fcntl locks, files of other kinds, /proc/locks, and the error cases. */
#include "locktest.h"
#include <sys/sysmacros.h>

#define F "f"

/* In a child: a new description of F, flock(op); the exit code says how it went. */
static int other_try(int op)
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		int fd = open(F, O_RDWR);
		_exit(code_of(flock(fd, op)));
	}
	return reap(pid);
}

/* A child takes LOCK_EX on its own description of F and lets it go by `how`
 * ('u' unlock, 'c' close, 'x' exit) after the parent says so; the parent blocks meanwhile. */
static void released_by(char how, int fd)
{
	struct chan c;
	chan_open(&c);
	pid_t pid = MUST(fork());
	if (pid == 0) {
		int cfd = open(F, O_RDWR);
		if (flock(cfd, LOCK_EX))
			_exit(1);
		say(c.up[1]);
		hear(c.down[0]);
		pause_ms(100);
		if (how == 'u')
			flock(cfd, LOCK_UN);
		else if (how == 'c')
			close(cfd);
		else
			_exit(0);
		pause_ms(20);
		_exit(0);
	}
	hear(c.up[0]);
	printf("held by the child (%c): ", how);
	SHOW(flock(fd, LOCK_EX | LOCK_NB));
	say(c.down[1]);
	printf("released by %c: ", how);
	SHOW(flock(fd, LOCK_EX));
	SHOW(flock(fd, LOCK_UN));
	printf("child: %d\n", reap(pid));
	chan_close(&c);
}

static void interrupted(int restart, int fd)
{
	struct chan c;
	chan_open(&c);
	pid_t pid = MUST(fork());
	if (pid == 0) {
		int cfd = open(F, O_RDWR);
		if (flock(cfd, LOCK_EX))
			_exit(1);
		say(c.up[1]);
		/* With SA_RESTART the parent's handler tells us to let go. */
		hear(c.down[0]);
		_exit(0);
	}
	hear(c.up[0]);
	arm_alarm(restart, restart ? c.down[1] : -1);
	printf("%s: ", restart ? "SA_RESTART" : "no SA_RESTART");
	SHOW(flock(fd, LOCK_EX));
	CHECK(alarms == 1);
	if (!restart)
		say(c.down[1]);
	printf("child: %d\n", reap(pid));
	SHOW(flock(fd, LOCK_UN));
	signal(SIGALRM, SIG_DFL);
	chan_close(&c);
}

static void proc_locks(int fd)
{
	struct stat st;
	MUST(fstat(fd, &st));
	char want[128];
	snprintf(want, sizeof want, " %d %02x:%02x:%lu ", getpid(), major(st.st_dev),
		 minor(st.st_dev), (unsigned long)st.st_ino);
	FILE *f = fopen("/proc/locks", "r");
	if (!f) {
		printf("/proc/locks: %s\n", errno_name(errno));
		return;
	}
	char line[256];
	int found = 0;
	while (fgets(line, sizeof line, f)) {
		char *p = strstr(line, want);
		char *colon = strchr(line, ':');
		if (p && colon) {
			/* Drop the ordinal and the pid and device. */
			*p = 0;
			printf("/proc/locks: %s| %s", colon + 2, p + strlen(want));
			found++;
		}
	}
	fclose(f);
	printf("/proc/locks lines for the file: %d\n", found);
}

int main(void)
{
	tmpdir_enter();
	write_file(F, "0123456789");
	int a = MUST(open(F, O_RDWR));
	int b = MUST(open(F, O_RDONLY));

	printf("-- two descriptions\n");
	SHOW(flock(a, LOCK_EX));
	SHOW(flock(b, LOCK_EX | LOCK_NB));
	SHOW(flock(b, LOCK_SH | LOCK_NB));
	SHOW(flock(a, LOCK_EX | LOCK_NB)); /* relocking is fine */
	proc_locks(a);

	printf("-- dup shares the lock\n");
	int d = MUST(dup(a));
	SHOW(flock(d, LOCK_EX | LOCK_NB));
	SHOW(flock(d, LOCK_UN));
	SHOW(flock(b, LOCK_EX | LOCK_NB));
	SHOW(flock(b, LOCK_UN));
	SHOW(flock(a, LOCK_EX));
	SHOW(close(d));
	SHOW(flock(b, LOCK_EX | LOCK_NB));
	SHOW(close(a));
	SHOW(flock(b, LOCK_SH | LOCK_NB));
	SHOW(flock(b, LOCK_UN));
	a = MUST(open(F, O_RDWR));

	printf("-- shared locks and conversion\n");
	SHOW(flock(a, LOCK_SH));
	SHOW(flock(b, LOCK_SH | LOCK_NB));
	printf("other EX: %s\n", code_name(other_try(LOCK_EX | LOCK_NB)));
	printf("other SH: %s\n", code_name(other_try(LOCK_SH | LOCK_NB)));
	SHOW(flock(a, LOCK_EX | LOCK_NB)); /* fails, and drops a's shared lock */
	SHOW(flock(b, LOCK_EX | LOCK_NB));
	SHOW(flock(b, LOCK_SH)); /* downgrade */
	SHOW(flock(a, LOCK_SH | LOCK_NB));
	SHOW(flock(a, LOCK_UN));
	SHOW(flock(b, LOCK_UN));
	SHOW(flock(b, LOCK_UN)); /* unlocking nothing */

	printf("-- fork shares the description\n");
	SHOW(flock(a, LOCK_EX));
	struct chan c;
	chan_open(&c);
	pid_t pid = MUST(fork());
	if (pid == 0) {
		int r1 = flock(a, LOCK_EX | LOCK_NB) ? 1 : 0;
		int other = open(F, O_RDONLY);
		int r2 = flock(other, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK ? 0 : 2;
		int r3 = flock(a, LOCK_UN) ? 4 : 0;
		_exit(r1 | r2 | r3);
	}
	printf("child: %d\n", reap(pid));
	SHOW(flock(b, LOCK_EX | LOCK_NB)); /* the child unlocked the shared description */
	SHOW(flock(b, LOCK_UN));

	printf("-- the lock lives while any process holds the description\n");
	SHOW(flock(a, LOCK_EX));
	pid = MUST(fork());
	if (pid == 0) {
		hear(c.down[0]);
		_exit(0);
	}
	SHOW(close(a));
	SHOW(flock(b, LOCK_EX | LOCK_NB));
	say(c.down[1]);
	printf("child: %d\n", reap(pid));
	SHOW(flock(b, LOCK_EX | LOCK_NB));
	SHOW(flock(b, LOCK_UN));
	chan_close(&c);
	a = MUST(open(F, O_RDWR));

	printf("-- waits\n");
	released_by('u', a);
	released_by('c', a);
	released_by('x', a);
	interrupted(0, a);
	interrupted(1, a);

	printf("-- flock and fcntl locks do not conflict\n");
	SHOW(flock(a, LOCK_EX));
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	SHOW(fcntl(b, F_OFD_SETLK, &fl));
	for (int type = F_RDLCK; type <= F_WRLCK; type++) {
		pid = MUST(fork());
		if (pid == 0) {
			int fd = open(F, O_RDWR);
			struct flock w = { .l_type = type, .l_whence = SEEK_SET };
			_exit(code_of(fcntl(fd, F_SETLK, &w)));
		}
		printf("child F_SETLK %s: %s\n", type == F_RDLCK ? "F_RDLCK" : "F_WRLCK",
		       code_name(reap(pid)));
	}
	SHOW(flock(a, LOCK_UN));
	SHOW(close(b));
	b = MUST(open(F, O_RDONLY));

	printf("-- other kinds of file\n");
	MUST(mkdir("dir", 0755));
	int d1 = MUST(open("dir", O_RDONLY | O_DIRECTORY));
	int d2 = MUST(open("dir", O_RDONLY | O_DIRECTORY));
	SHOW(flock(d1, LOCK_EX));
	SHOW(flock(d2, LOCK_SH | LOCK_NB));
	close(d1);
	SHOW(flock(d2, LOCK_SH | LOCK_NB));
	close(d2);
	MUST(mkfifo("fifo", 0644));
	int q1 = MUST(open("fifo", O_RDWR));
	int q2 = MUST(open("fifo", O_RDWR));
	SHOW(flock(q1, LOCK_EX));
	SHOW(flock(q2, LOCK_EX | LOCK_NB));
	close(q1);
	close(q2);
	int p[2];
	MUST(pipe(p));
	SHOW(flock(p[0], LOCK_EX));
	SHOW(flock(p[1], LOCK_EX | LOCK_NB)); /* the two ends share an inode */
	close(p[0]);
	close(p[1]);

	printf("-- errors\n");
	SHOW(flock(-1, LOCK_SH));
	SHOW(flock(999, LOCK_EX));
	SHOW(flock(999, 0)); /* the operation is checked first */
	SHOW(flock(a, 0));
	SHOW(flock(a, LOCK_SH | LOCK_EX));
	SHOW(flock(a, LOCK_NB));
	SHOW(flock(a, LOCK_UN | LOCK_SH));
	SHOW(flock(a, 16));
	int path = MUST(open(F, O_PATH));
	SHOW(flock(path, LOCK_SH));
	SHOW(flock(path, LOCK_UN));
	close(path);
	int wo = MUST(open(F, O_WRONLY));
	SHOW(flock(wo, LOCK_SH)); /* any access mode will do */
	close(wo);

	close(a);
	close(b);
	tmpdir_leave();
	return 0;
}
