/* Open file description locks (F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW): owned by the
 * description, so two opens in one process conflict, dup and fork share them, closing one
 * fd does not drop them but the last reference does; they conflict with POSIX locks;
 * F_GETLK reports l_pid -1; l_pid must be 0. */
#include "locktest.h"

#define F "f"

static struct flock mk(short type, off_t start, off_t len)
{
	struct flock l;
	memset(&l, 0, sizeof l);
	l.l_type = type;
	l.l_whence = SEEK_SET;
	l.l_start = start;
	l.l_len = len;
	return l;
}

static int lk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock l = mk(type, start, len);
	return fcntl(fd, cmd, &l);
}

static const char *tname(short t)
{
	return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?";
}

static void getlk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock l = mk(type, start, len);
	long r = fcntl(fd, cmd, &l);
	printf("%s %s %ld+%ld: ", cmd == F_GETLK ? "F_GETLK" : "F_OFD_GETLK", tname(type),
	       (long)start, (long)len);
	if (r)
		printf("-1 %s\n", errno_name(errno));
	else
		printf("%s start=%ld len=%ld whence=%d pid=%d\n", tname(l.l_type), (long)l.l_start,
		       (long)l.l_len, l.l_whence, l.l_type == F_UNLCK ? 0 : l.l_pid);
}

int main(void)
{
	tmpdir_enter();
	write_file(F, "0123456789");
	int a = MUST(open(F, O_RDWR));
	int b = MUST(open(F, O_RDWR));

	printf("-- descriptions of one process conflict\n");
	SHOW(lk(a, F_OFD_SETLK, F_WRLCK, 0, 100));
	SHOW(lk(b, F_OFD_SETLK, F_RDLCK, 0, 1));
	SHOW(lk(b, F_SETLK, F_RDLCK, 0, 1)); /* POSIX against OFD */
	getlk(b, F_OFD_GETLK, F_RDLCK, 0, 0);
	getlk(b, F_GETLK, F_RDLCK, 0, 0);
	getlk(a, F_OFD_GETLK, F_WRLCK, 0, 0); /* its own lock */
	SHOW(lk(a, F_OFD_SETLK, F_UNLCK, 40, 20));
	getlk(b, F_OFD_GETLK, F_WRLCK, 50, 1);
	getlk(b, F_OFD_GETLK, F_WRLCK, 39, 10);
	getlk(b, F_OFD_GETLK, F_WRLCK, 60, 0);
	SHOW(lk(b, F_OFD_SETLK, F_WRLCK, 40, 20));
	SHOW(lk(b, F_OFD_SETLK, F_UNLCK, 0, 0));

	printf("-- dup and close\n");
	int d = MUST(dup(a));
	SHOW(lk(d, F_OFD_SETLK, F_WRLCK, 0, 0)); /* same owner: an upgrade of the range */
	SHOW(close(d));
	SHOW(lk(b, F_OFD_SETLK, F_RDLCK, 50, 1));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		int r = lk(a, F_OFD_SETLK, F_UNLCK, 0, 0);
		_exit(code_of(r));
	}
	printf("child unlocks through the shared description: %s\n", code_name(reap(pid)));
	SHOW(lk(b, F_OFD_SETLK, F_RDLCK, 50, 1));
	SHOW(lk(a, F_OFD_SETLK, F_WRLCK, 0, 10));
	SHOW(close(a));
	SHOW(lk(b, F_OFD_SETLK, F_WRLCK, 0, 10));
	SHOW(lk(b, F_OFD_SETLK, F_UNLCK, 0, 0));
	a = MUST(open(F, O_RDWR));

	printf("-- a wait released by another process's exit\n");
	struct chan c;
	chan_open(&c);
	pid = MUST(fork());
	if (pid == 0) {
		int cfd = open(F, O_RDWR);
		if (lk(cfd, F_OFD_SETLK, F_WRLCK, 0, 0))
			_exit(1);
		say(c.up[1]);
		hear(c.down[0]);
		pause_ms(100);
		_exit(0);
	}
	hear(c.up[0]);
	getlk(a, F_OFD_GETLK, F_RDLCK, 5, 1);
	getlk(a, F_GETLK, F_RDLCK, 5, 1);
	SHOW(lk(a, F_OFD_SETLK, F_RDLCK, 5, 1));
	say(c.down[1]);
	SHOW(lk(a, F_OFD_SETLKW, F_RDLCK, 5, 1));
	printf("child: %d\n", reap(pid));

	printf("-- interrupted\n");
	pid = MUST(fork());
	if (pid == 0) {
		int cfd = open(F, O_RDWR);
		if (lk(cfd, F_OFD_SETLK, F_WRLCK, 100, 1))
			_exit(1);
		say(c.up[1]);
		hear(c.down[0]);
		_exit(0);
	}
	hear(c.up[0]);
	arm_alarm(0, -1);
	SHOW(lk(a, F_OFD_SETLKW, F_WRLCK, 0, 0));
	CHECK(alarms == 1);
	say(c.down[1]);
	printf("child: %d\n", reap(pid));
	SHOW(lk(a, F_OFD_SETLK, F_UNLCK, 0, 0));
	chan_close(&c);

	printf("-- errors\n");
	struct flock l = mk(F_RDLCK, 0, 1);
	l.l_pid = 1;
	SHOW(fcntl(a, F_OFD_SETLK, &l));
	SHOW(fcntl(a, F_OFD_SETLKW, &l));
	SHOW(fcntl(a, F_OFD_GETLK, &l));
	l.l_pid = -1;
	SHOW(fcntl(a, F_OFD_SETLK, &l));
	SHOW(lk(a, F_OFD_SETLK, 9, 0, 1));
	int ro = MUST(open(F, O_RDONLY));
	SHOW(lk(ro, F_OFD_SETLK, F_WRLCK, 0, 1));
	SHOW(lk(999, F_OFD_SETLK, F_WRLCK, 0, 1));
	SHOW(fcntl(a, F_OFD_SETLK, (void *)8));
	SHOW(fcntl(a, F_OFD_GETLK, (void *)8));
	close(ro);
	close(a);
	close(b);
	tmpdir_leave();
	return 0;
}
