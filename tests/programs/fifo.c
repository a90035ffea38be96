/* fifo: FIFOs made by mkfifo and mknod(S_IFIFO): Linux's open rules (O_RDONLY|O_NONBLOCK
 * succeeds alone, O_WRONLY|O_NONBLOCK without a reader is ENXIO, O_RDWR never waits),
 * data through the shared pipe, EOF and POLLHUP (only after a writer came and went), the
 * pipe's contents going away with the last close, F_GETPIPE_SZ, stat/fstat, ESPIPE, a
 * blocking open interrupted by a timer signal, and blocking opens, reads and writes
 * between two processes (fork). */
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

static short revents(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };
	poll(&p, 1, 0);
	return p.revents;
}

static void single(void)
{
	char buf[32];
	SHOW(mkfifo("f", 0600));
	SHOW(mkfifo("f", 0600));
	struct stat st;
	SHOW(stat("f", &st));
	printf("fifo %d mode %o size %ld\n", S_ISFIFO(st.st_mode), st.st_mode & 07777, (long)st.st_size);

	SHOW(open("f", O_WRONLY | O_NONBLOCK));
	int r = SHOW(open("f", O_RDONLY | O_NONBLOCK));
	/* No writer has come yet: no hang-up, reads see end of file. */
	printf("reader poll %#x\n", revents(r, POLLIN));
	SHOW(read(r, buf, sizeof buf));
	int w = SHOW(open("f", O_WRONLY | O_NONBLOCK));
	printf("writer poll %#x\n", revents(w, POLLOUT));
	SHOW(read(r, buf, sizeof buf));
	SHOW(write(w, "through", 7));
	printf("reader poll %#x\n", revents(r, POLLIN));
	SHOW(read(r, buf, sizeof buf));
	printf("%.7s\n", buf);
	SHOW(fcntl(w, F_GETPIPE_SZ));
	SHOW(fcntl(w, F_SETPIPE_SZ, 8192));
	SHOW(fcntl(r, F_GETPIPE_SZ));
	SHOW(lseek(r, 0, SEEK_SET));
	struct stat fst;
	SHOW(fstat(r, &fst));
	CHECK(fst.st_ino == st.st_ino && S_ISFIFO(fst.st_mode));
	/* The writer goes: hang-up and end of file. */
	SHOW(write(w, "x", 1));
	SHOW(close(w));
	printf("reader poll %#x\n", revents(r, POLLIN));
	SHOW(read(r, buf, sizeof buf));
	SHOW(read(r, buf, sizeof buf));
	/* The reader goes: a writer gets EPIPE (SIGPIPE ignored). */
	w = SHOW(open("f", O_WRONLY | O_NONBLOCK));
	SHOW(close(r));
	printf("writer poll %#x\n", revents(w, POLLOUT));
	signal(SIGPIPE, SIG_IGN);
	SHOW(write(w, "x", 1));
	signal(SIGPIPE, SIG_DFL);
	SHOW(close(w));

	/* O_RDWR never waits and talks to itself; closing the last end drops the data. */
	int rw = SHOW(open("f", O_RDWR));
	SHOW(write(rw, "kept?", 5));
	printf("rw poll %#x\n", revents(rw, POLLIN | POLLOUT));
	SHOW(close(rw));
	rw = SHOW(open("f", O_RDWR | O_NONBLOCK));
	SHOW(read(rw, buf, sizeof buf));
	/* The size goes back to the default too. */
	SHOW(fcntl(rw, F_GETPIPE_SZ));
	/* Two opens of one FIFO share its pipe. */
	int rw2 = SHOW(open("f", O_RDWR | O_NONBLOCK));
	SHOW(write(rw2, "shared", 6));
	SHOW(read(rw, buf, sizeof buf));
	SHOW(close(rw2));
	SHOW(close(rw));

	/* mknod makes one too; a hard link is the same FIFO. */
	SHOW(mknod("n", S_IFIFO | 0644, 0));
	SHOW(link("n", "n2"));
	r = SHOW(open("n", O_RDONLY | O_NONBLOCK));
	w = SHOW(open("n2", O_WRONLY | O_NONBLOCK));
	SHOW(write(w, "linked", 6));
	SHOW(read(r, buf, sizeof buf));
	close(r);
	close(w);
	SHOW(open("n", O_ACCMODE | O_NONBLOCK));
	SHOW(truncate("n", 0));
	SHOW(open("n", O_RDONLY | O_NONBLOCK | O_TRUNC));
}

static int alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void interrupted(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 0 }, { 0, 30000 } };
	/* Waiting for a writer, interrupted: EINTR, and no reader is left behind. */
	setitimer(ITIMER_REAL, &it, NULL);
	SHOW(open("f", O_RDONLY));
	printf("alarms %d\n", alarms);
	SHOW(open("f", O_WRONLY | O_NONBLOCK));
	setitimer(ITIMER_REAL, &it, NULL);
	SHOW(open("f", O_WRONLY));
	printf("alarms %d\n", alarms);
	signal(SIGALRM, SIG_DFL);
}

static void two_processes(void)
{
	char buf[64];
	/* The child's write-only open waits for the parent's reader, and the reverse. */
	pid_t c = fork();
	if (c == 0) {
		int w = open("f", O_WRONLY);
		if (w < 0)
			_exit(1);
		write(w, "from child", 10);
		close(w);
		int r = open("f", O_RDONLY);
		if (r < 0)
			_exit(2);
		long n = read(r, buf, sizeof buf);
		_exit(n == 11 && memcmp(buf, "from parent", 11) == 0 ? 0 : 3);
	}
	int r = SHOW(open("f", O_RDONLY));
	long n = SHOW(read(r, buf, sizeof buf));
	printf("%.*s\n", (int)n, buf);
	SHOW(read(r, buf, sizeof buf));
	SHOW(close(r));
	int w = SHOW(open("f", O_WRONLY));
	SHOW(write(w, "from parent", 11));
	SHOW(close(w));
	int st;
	SHOW(waitpid(c, &st, 0) == c);
	printf("child status %d\n", WEXITSTATUS(st));

	/* A blocking reader waits for data; a blocking writer of more than the pipe holds
	 * waits for the reader to drain it. */
	static char big[200000];
	memset(big, 'q', sizeof big);
	int p[2];
	MUST(pipe(p));
	c = fork();
	if (c == 0) {
		close(p[0]);
		long wn = write(p[1], big, sizeof big);
		_exit(wn == (long)sizeof big ? 0 : 1);
	}
	close(p[1]);
	long total = 0;
	while ((n = read(p[0], big, sizeof big)) > 0)
		total += n;
	printf("read %ld then %ld\n", total, n);
	waitpid(c, &st, 0);
	printf("child status %d\n", WEXITSTATUS(st));
	close(p[0]);
}

int main(void)
{
	tmpdir_enter();
	single();
	interrupted();
	two_processes();
	tmpdir_leave();
	return 0;
}
