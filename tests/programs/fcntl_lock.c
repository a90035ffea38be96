/* fcntl POSIX record locks (F_GETLK, F_SETLK, F_SETLKW), owned by the process: conflicts
 * between processes, range splitting, merging, upgrade and downgrade, F_GETLK's report,
 * l_whence and negative lengths, release on close of any fd of the file and at exit,
 * non-inheritance by fork, survival across exec (but not of close-on-exec fds), waits
 * released by another process, EDEADLK, EINTR and SA_RESTART, and the error cases. */
#include "locktest.h"

#define F "f"
#define G "g"

static struct flock mk(short type, short whence, off_t start, off_t len)
{
	struct flock l;
	memset(&l, 0, sizeof l);
	l.l_type = type;
	l.l_whence = whence;
	l.l_start = start;
	l.l_len = len;
	return l;
}

static const char *tname(short t)
{
	return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?";
}

static void show_lk(const char *what, const struct flock *l, pid_t holder)
{
	printf("%s: %s start=%ld len=%ld whence=%d pid_is_holder=%s\n", what, tname(l->l_type),
	       (long)l->l_start, (long)l->l_len, l->l_whence, l->l_pid == holder ? "yes" : "no");
}

/* F_GETLK from another process (a new description of `path`). */
static void other_getlk(const char *path, short type, off_t start, off_t len, pid_t holder)
{
	int p[2];
	MUST(pipe(p));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		int fd = open(path, O_RDWR);
		struct flock l = mk(type, SEEK_SET, start, len);
		if (fcntl(fd, F_GETLK, &l))
			_exit(code_of(-1));
		if (write(p[1], &l, sizeof l) != sizeof l)
			_exit(98);
		_exit(0);
	}
	close(p[1]);
	struct flock l;
	int code = reap(pid);
	char what[96];
	snprintf(what, sizeof what, "other F_GETLK %s %ld+%ld", tname(type), (long)start, (long)len);
	if (code != 0 || read(p[0], &l, sizeof l) != sizeof l)
		printf("%s: %s\n", what, code_name(code));
	else
		show_lk(what, &l, holder);
	close(p[0]);
}

/* F_SETLK from another process; the exit code says how it went. */
static void other_setlk(short type, off_t start, off_t len)
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		int fd = open(F, O_RDWR);
		struct flock l = mk(type, SEEK_SET, start, len);
		_exit(code_of(fcntl(fd, F_SETLK, &l)));
	}
	printf("other F_SETLK %s %ld+%ld: %s\n", tname(type), (long)start, (long)len,
	       code_name(reap(pid)));
}

static int setlk(int fd, int cmd, short type, short whence, off_t start, off_t len)
{
	struct flock l = mk(type, whence, start, len);
	return fcntl(fd, cmd, &l);
}

/* A child locks bytes 5.. of F and lets go by `how` ('u' unlock, 'c' close of another fd
 * of the file, 'x' exit) once told; the parent waits in F_SETLKW meanwhile. */
static void released_by(char how, int fd)
{
	struct chan c;
	chan_open(&c);
	pid_t pid = MUST(fork());
	if (pid == 0) {
		int cfd = open(F, O_RDWR);
		if (setlk(cfd, F_SETLK, F_WRLCK, SEEK_SET, 5, 0))
			_exit(1);
		say(c.up[1]);
		hear(c.down[0]);
		pause_ms(100);
		if (how == 'u') {
			setlk(cfd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
		} else if (how == 'c') {
			close(open(F, O_RDONLY));
		} else {
			_exit(0);
		}
		hear(c.down[0]);
		_exit(0);
	}
	hear(c.up[0]);
	struct flock l = mk(F_WRLCK, SEEK_SET, 0, 0);
	l.l_pid = 12345;
	SHOW(fcntl(fd, F_GETLK, &l));
	show_lk("held by the child", &l, pid);
	SHOW(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
	SHOW(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 5)); /* bytes 0-4 are free */
	say(c.down[1]);
	printf("released by %c: ", how);
	SHOW(setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 10));
	say(c.down[1]);
	printf("child: %d\n", reap(pid));
	SHOW(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
	chan_close(&c);
}

static void interrupted(int restart, int fd)
{
	struct chan c;
	chan_open(&c);
	pid_t pid = MUST(fork());
	if (pid == 0) {
		int cfd = open(F, O_RDWR);
		if (setlk(cfd, F_SETLK, F_RDLCK, SEEK_SET, 0, 0))
			_exit(1);
		say(c.up[1]);
		hear(c.down[0]);
		_exit(0);
	}
	hear(c.up[0]);
	arm_alarm(restart, restart ? c.down[1] : -1);
	printf("%s: ", restart ? "SA_RESTART" : "no SA_RESTART");
	SHOW(setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 100, 1));
	CHECK(alarms == 1);
	if (!restart)
		say(c.down[1]);
	printf("child: %d\n", reap(pid));
	SHOW(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
	signal(SIGALRM, SIG_DFL);
	chan_close(&c);
}

/* Two processes each hold a byte and want the other's: one of them gets EDEADLK. */
static void deadlock(int fd)
{
	struct chan c;
	chan_open(&c);
	MUST(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		int cfd = open(F, O_RDWR);
		if (setlk(cfd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1))
			_exit(1);
		say(c.up[1]);
		hear(c.down[0]);
		int r = setlk(cfd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
		_exit(r == 0 ? 0 : errno);
	}
	hear(c.up[0]);
	say(c.down[1]);
	pause_ms(200); /* let the child block on byte 0 */
	int r = setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1);
	int mine = r == 0 ? 0 : errno;
	if (mine == EDEADLK)
		MUST(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
	int theirs = reap(pid);
	printf("deadlock: exactly one EDEADLK: %s, the other got its lock: %s\n",
	       (mine == EDEADLK) != (theirs == EDEADLK) ? "yes" : "no",
	       (mine == 0 || theirs == 0) ? "yes" : "no");
	MUST(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
	chan_close(&c);
}

/* Locks survive exec; a close-on-exec fd's file loses the process's locks. */
static void across_exec(void)
{
	struct chan c;
	chan_open(&c);
	pid_t pid = MUST(fork());
	if (pid == 0) {
		int f = open(F, O_RDWR);
		int g = open(G, O_RDWR | O_CLOEXEC);
		if (setlk(f, F_SETLK, F_WRLCK, SEEK_SET, 0, 10) || setlk(g, F_SETLK, F_WRLCK, SEEK_SET, 0, 10))
			_exit(1);
		say(c.up[1]);
		execl("/bin/sleep", "sleep", "10", (char *)NULL);
		_exit(2);
	}
	hear(c.up[0]);
	int g = MUST(open(G, O_RDWR));
	int dropped = 0;
	for (int i = 0; i < 500 && !dropped; i++) {
		struct flock l = mk(F_WRLCK, SEEK_SET, 0, 0);
		MUST(fcntl(g, F_GETLK, &l));
		dropped = l.l_type == F_UNLCK;
		if (!dropped)
			pause_ms(10);
	}
	printf("exec dropped the close-on-exec file's lock: %s\n", dropped ? "yes" : "no");
	other_getlk(F, F_WRLCK, 0, 0, pid);
	kill(pid, SIGKILL);
	printf("child: %d\n", reap(pid));
	other_getlk(F, F_WRLCK, 0, 0, pid);
	close(g);
	chan_close(&c);
}

int main(void)
{
	tmpdir_enter();
	char data[201];
	memset(data, 'x', 200);
	data[200] = 0;
	write_file(F, data);
	write_file(G, "g");
	int fd = MUST(open(F, O_RDWR));
	pid_t me = getpid();

	printf("-- splitting\n");
	SHOW(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100));
	SHOW(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 40, 20));
	off_t probes[][2] = { { 0, 1 }, { 39, 1 }, { 40, 1 }, { 50, 10 }, { 59, 1 }, { 60, 1 },
			      { 99, 1 }, { 100, 1 }, { 30, 40 }, { 45, 0 }, { 0, 0 } };
	for (unsigned i = 0; i < sizeof probes / sizeof probes[0]; i++)
		other_getlk(F, F_RDLCK, probes[i][0], probes[i][1], me);
	other_setlk(F_RDLCK, 45, 1);
	other_setlk(F_WRLCK, 40, 20);
	other_setlk(F_RDLCK, 10, 1);

	printf("-- downgrade, merge, upgrade\n");
	SHOW(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 40));
	other_setlk(F_RDLCK, 10, 1);
	other_setlk(F_WRLCK, 10, 1);
	other_getlk(F, F_WRLCK, 0, 0, me);
	SHOW(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 40, 20));
	other_getlk(F, F_RDLCK, 50, 1, me);
	other_getlk(F, F_WRLCK, 39, 2, me);
	struct flock own = mk(F_WRLCK, SEEK_SET, 0, 0);
	SHOW(fcntl(fd, F_GETLK, &own));
	show_lk("own F_GETLK", &own, 0);
	SHOW(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0));
	other_getlk(F, F_RDLCK, 150, 1, me);
	SHOW(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
	other_getlk(F, F_WRLCK, 0, 0, me);

	printf("-- l_whence and lengths\n");
	MUST(lseek(fd, 50, SEEK_SET));
	SHOW(setlk(fd, F_SETLK, F_WRLCK, SEEK_CUR, -10, 5));
	other_getlk(F, F_RDLCK, 0, 0, me);
	SHOW(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
	SHOW(setlk(fd, F_SETLK, F_WRLCK, SEEK_END, -10, 0));
	other_getlk(F, F_RDLCK, 0, 0, me);
	SHOW(setlk(fd, F_SETLK, F_UNLCK, SEEK_END, -10, 0));
	SHOW(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 100, -20));
	other_getlk(F, F_RDLCK, 0, 0, me);
	SHOW(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));

	printf("-- closing any fd of the file drops the locks\n");
	SHOW(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
	int other = MUST(open(F, O_RDONLY));
	int dup_fd = MUST(dup(fd));
	SHOW(close(other));
	other_getlk(F, F_WRLCK, 0, 0, me);
	SHOW(setlk(dup_fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
	SHOW(close(dup_fd));
	other_getlk(F, F_WRLCK, 0, 0, me);

	printf("-- fork does not inherit them\n");
	SHOW(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		struct flock l = mk(F_RDLCK, SEEK_SET, 0, 0);
		int bad = 0;
		if (fcntl(fd, F_GETLK, &l) || l.l_type != F_WRLCK || l.l_pid != me)
			bad |= 1;
		if (setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 1) != -1 || errno != EAGAIN)
			bad |= 2;
		if (setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0)) /* unlocks only its own: none */
			bad |= 4;
		close(fd);
		_exit(bad);
	}
	printf("child: %d\n", reap(pid));
	other_getlk(F, F_WRLCK, 0, 0, me);
	SHOW(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));

	printf("-- waits\n");
	released_by('u', fd);
	released_by('c', fd);
	released_by('x', fd);
	interrupted(0, fd);
	interrupted(1, fd);
	deadlock(fd);
	across_exec();

	printf("-- errors\n");
	int ro = MUST(open(F, O_RDONLY));
	int wo = MUST(open(F, O_WRONLY));
	int path = MUST(open(F, O_PATH));
	SHOW(setlk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	SHOW(setlk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
	SHOW(setlk(ro, F_SETLK, F_UNLCK, SEEK_SET, 0, 1));
	SHOW(setlk(wo, F_GETLK, F_RDLCK, SEEK_SET, 0, 1));
	SHOW(setlk(ro, F_SETLKW, F_RDLCK, SEEK_SET, 0, 1));
	SHOW(setlk(path, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
	SHOW(setlk(path, F_GETLK, F_RDLCK, SEEK_SET, 0, 1));
	SHOW(setlk(999, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
	SHOW(setlk(-1, F_GETLK, F_RDLCK, SEEK_SET, 0, 1));
	SHOW(setlk(fd, F_SETLK, 7, SEEK_SET, 0, 1));
	SHOW(setlk(fd, F_GETLK, 7, SEEK_SET, 0, 1));
	SHOW(setlk(fd, F_GETLK, F_UNLCK, SEEK_SET, 0, 1));
	SHOW(setlk(fd, F_SETLK, F_WRLCK, 3, 0, 1));
	SHOW(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, -1, 1));
	SHOW(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, -11));
	SHOW(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, -10));
	SHOW(setlk(fd, F_SETLK, F_WRLCK, SEEK_END, -201, 1));
	SHOW(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 2, 0x7fffffffffffffffL));
	SHOW(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, 0x7fffffffffffffffL));
	SHOW(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
	SHOW(fcntl(fd, F_SETLK, (void *)8));
	SHOW(fcntl(fd, F_SETLKW, (void *)8));
	SHOW(fcntl(fd, F_GETLK, (void *)8));
	SHOW(fcntl(path, F_GETLK, (void *)8));
	close(ro);
	close(wo);
	close(path);
	close(fd);
	tmpdir_leave();
	return 0;
}
