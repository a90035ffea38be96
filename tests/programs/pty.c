/* Pseudo-terminals: posix_openpt, grantpt, unlockpt, ptsname and the slave's node; the
 * line discipline (canonical editing, raw reads with VMIN and VTIME, echo, input and
 * output processing); job control through the slave (^C to the foreground group,
 * SIGWINCH); the master's end (hangup, EIO once the slave is gone); /dev/tty.
 *
 * Slave numbers differ between runs (the host has its own ptys): only relations are
 * printed. Children that need a controlling terminal start their own session. */
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

static const char *shown(const char *s, int n)
{
	static char buf[512];
	int o = 0;
	for (int i = 0; i < n && o < (int)sizeof buf - 5; i++) {
		unsigned char c = s[i];
		if (c >= 32 && c < 127 && c != '\\')
			buf[o++] = c;
		else
			o += snprintf(buf + o, sizeof buf - o, "\\x%02x", c);
	}
	buf[o] = 0;
	return buf;
}

/* A pair, unlocked and with the slave open. */
struct pair {
	int m, s;
	char name[64];
};

static struct pair open_pair(int flags)
{
	struct pair p;
	p.m = MUST(posix_openpt(O_RDWR | O_NOCTTY | flags));
	MUST(grantpt(p.m));
	MUST(unlockpt(p.m));
	snprintf(p.name, sizeof p.name, "%s", ptsname(p.m));
	p.s = MUST(open(p.name, O_RDWR | O_NOCTTY | flags));
	return p;
}

static void close_pair(struct pair *p)
{
	close(p->s);
	close(p->m);
}

static long ms_since(struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Everything the master can read within a short while. */
static void drain(int m, const char *what)
{
	char buf[512];
	int n = 0;
	struct pollfd pfd = { m, POLLIN, 0 };
	while (n < (int)sizeof buf && poll(&pfd, 1, 100) == 1 && (pfd.revents & POLLIN)) {
		int r = read(m, buf + n, sizeof buf - n);
		if (r <= 0)
			break;
		n += r;
	}
	printf("%s: \"%s\"\n", what, shown(buf, n));
}

static void slave_read(int s, int count, const char *what)
{
	char buf[512];
	int r = read(s, buf, count);
	if (r < 0)
		printf("%s: -1 %s\n", what, errno_name(errno));
	else
		printf("%s: %d \"%s\"\n", what, r, shown(buf, r));
}

static void set_lflag(int s, tcflag_t on, tcflag_t off)
{
	struct termios t;
	MUST(tcgetattr(s, &t));
	t.c_lflag = (t.c_lflag | on) & ~off;
	MUST(tcsetattr(s, TCSANOW, &t));
}

static void test_allocation(void)
{
	printf("== allocation\n");
	int m = MUST(posix_openpt(O_RDWR | O_NOCTTY));
	SHOW(grantpt(m));
	const char *name = ptsname(m);
	char saved[64];
	snprintf(saved, sizeof saved, "%s", name ? name : "");
	CHECK(strncmp(saved, "/dev/pts/", 9) == 0);
	unsigned n;
	SHOW(ioctl(m, TIOCGPTN, &n));
	char byn[64];
	snprintf(byn, sizeof byn, "/dev/pts/%u", n);
	CHECK(strcmp(byn, saved) == 0);
	struct stat st;
	SHOW(stat(saved, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK(major(st.st_rdev) >= 136 && major(st.st_rdev) < 144);
	CHECK((major(st.st_rdev) - 136) * 256 + minor(st.st_rdev) == n);
	CHECK(st.st_uid == getuid());
	CHECK((st.st_mode & 0600) == 0600);
	struct stat ms;
	SHOW(fstat(m, &ms));
	CHECK(S_ISCHR(ms.st_mode) && major(ms.st_rdev) == 5 && minor(ms.st_rdev) == 2);

	/* New pairs are locked. */
	int lock = -1;
	SHOW(ioctl(m, TIOCGPTLCK, &lock));
	printf("locked: %d\n", lock);
	SHOW(open(saved, O_RDWR | O_NOCTTY));
	SHOW(ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY));
	SHOW(unlockpt(m));
	SHOW(ioctl(m, TIOCGPTLCK, &lock));
	printf("locked: %d\n", lock);

	int s = SHOWOK(open(saved, O_RDWR | O_NOCTTY));
	CHECK(isatty(m) && isatty(s));
	const char *tn = ttyname(s);
	CHECK(tn && strcmp(tn, saved) == 0);
	SHOW(ioctl(s, TIOCGPTN, &n));
	int peer = SHOWOK(ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY));
	tn = ttyname(peer);
	CHECK(tn && strcmp(tn, saved) == 0);
	struct stat ps;
	SHOW(fstat(peer, &ps));
	CHECK(ps.st_rdev == st.st_rdev && ps.st_ino == st.st_ino);
	SHOW(ioctl(s, TIOCGPTPEER, O_RDWR));

	/* The default settings. */
	struct termios t;
	SHOW(tcgetattr(s, &t));
	printf("iflag %o oflag %o cflag %o lflag %o\n", t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag);
	printf("cc: intr %d quit %d erase %d kill %d eof %d min %d time %d susp %d werase %d\n",
	       t.c_cc[VINTR], t.c_cc[VQUIT], t.c_cc[VERASE], t.c_cc[VKILL], t.c_cc[VEOF],
	       t.c_cc[VMIN], t.c_cc[VTIME], t.c_cc[VSUSP], t.c_cc[VWERASE]);
	printf("speed %d\n", (int)cfgetospeed(&t));
	/* The master reaches the slave's settings. */
	struct termios mt;
	SHOW(tcgetattr(m, &mt));
	CHECK(mt.c_lflag == t.c_lflag);
	t.c_lflag &= ~ECHO;
	SHOW(tcsetattr(m, TCSANOW, &t));
	SHOW(tcgetattr(s, &t));
	CHECK(!(t.c_lflag & ECHO));

	/* The node goes with the master; the number with the last side. */
	close(m);
	SHOW(stat(saved, &st));
	SHOW(open(saved, O_RDWR | O_NOCTTY));
	int m2 = MUST(posix_openpt(O_RDWR | O_NOCTTY));
	unsigned n2;
	MUST(ioctl(m2, TIOCGPTN, &n2));
	CHECK(n2 != n);
	close(s);
	close(peer);
	int m3 = MUST(posix_openpt(O_RDWR | O_NOCTTY));
	unsigned n3;
	MUST(ioctl(m3, TIOCGPTN, &n3));
	CHECK(n3 == n);
	close(m2);
	close(m3);
}

static void test_canonical(void)
{
	printf("== canonical\n");
	struct pair p = open_pair(O_NONBLOCK);
	int q = -1;
	MUST(write(p.m, "partial", 7));
	usleep(20000); /* Linux processes input a moment later */
	SHOW(ioctl(p.s, FIONREAD, &q));
	printf("FIONREAD: %d\n", q);
	slave_read(p.s, 100, "read partial");
	MUST(write(p.m, "\r", 1));
	usleep(20000);
	SHOW(ioctl(p.s, FIONREAD, &q));
	printf("FIONREAD: %d\n", q);
	slave_read(p.s, 100, "read line");
	drain(p.m, "echo");
	MUST(write(p.m, "abx\x7f" "c\n", 6));
	slave_read(p.s, 100, "erase");
	drain(p.m, "echo");
	MUST(write(p.m, "junk\x15ok\n", 8));
	slave_read(p.s, 100, "kill");
	drain(p.m, "echo");
	MUST(write(p.m, "one two\x17three\n", 14));
	slave_read(p.s, 100, "werase");
	drain(p.m, "echo");
	MUST(write(p.m, "a\t\x7f\x01\x7f\n", 6));
	slave_read(p.s, 100, "tab and control erase");
	drain(p.m, "echo");
	MUST(write(p.m, "\x16\x03\x16\x7f\n", 5));
	slave_read(p.s, 100, "lnext");
	drain(p.m, "echo");
	MUST(write(p.m, "xy\x04", 3));
	slave_read(p.s, 100, "eof after text");
	MUST(write(p.m, "\x04", 1));
	slave_read(p.s, 100, "eof alone");
	drain(p.m, "echo");
	MUST(write(p.m, "long line\n", 10));
	slave_read(p.s, 4, "part 1");
	slave_read(p.s, 4, "part 2");
	slave_read(p.s, 100, "part 3");
	struct termios t;
	MUST(tcgetattr(p.s, &t));
	t.c_cc[VEOL] = ';';
	MUST(tcsetattr(p.s, TCSANOW, &t));
	MUST(write(p.m, "x;y", 3));
	slave_read(p.s, 100, "eol");
	MUST(tcflush(p.s, TCIFLUSH));
	slave_read(p.s, 100, "after flush");
	drain(p.m, "echo");
	/* A line that fills the buffer keeps its newline. */
	set_lflag(p.s, 0, ECHO);
	char big[5000];
	memset(big, 'a', sizeof big);
	int w = write(p.m, big, sizeof big);
	printf("long write: %d\n", w);
	MUST(write(p.m, "\n", 1));
	char in[8192];
	int r = read(p.s, in, sizeof in);
	printf("long read: %d, ends with newline: %s\n", r, r > 0 && in[r - 1] == '\n' ? "yes" : "no");
	close_pair(&p);
}

static void test_raw(void)
{
	printf("== raw\n");
	struct pair p = open_pair(0);
	struct termios t;
	MUST(tcgetattr(p.s, &t));
	cfmakeraw(&t);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	MUST(tcsetattr(p.s, TCSANOW, &t));
	slave_read(p.s, 100, "min 0 time 0, nothing");
	MUST(write(p.m, "ab", 2));
	usleep(20000);
	slave_read(p.s, 100, "min 0 time 0");

	struct timespec t0;
	t.c_cc[VTIME] = 3;
	MUST(tcsetattr(p.s, TCSANOW, &t));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	slave_read(p.s, 100, "min 0 time 3, nothing");
	long el = ms_since(&t0);
	printf("waited about 300ms: %s\n", el >= 250 && el < 2000 ? "yes" : "no");

	t.c_cc[VMIN] = 3;
	t.c_cc[VTIME] = 0;
	MUST(tcsetattr(p.s, TCSANOW, &t));
	MUST(write(p.m, "xy", 2));
	struct pollfd pfd = { p.s, POLLIN, 0 };
	SHOW(poll(&pfd, 1, 50));
	MUST(write(p.m, "z", 1));
	SHOW(poll(&pfd, 1, 1000));
	slave_read(p.s, 100, "min 3");
	/* Fewer wanted than VMIN: the read is satisfied sooner. */
	MUST(write(p.m, "12", 2));
	slave_read(p.s, 1, "min 3, one wanted");
	slave_read(p.s, 1, "min 3, one wanted again");

	t.c_cc[VMIN] = 5;
	t.c_cc[VTIME] = 3;
	MUST(tcsetattr(p.s, TCSANOW, &t));
	MUST(write(p.m, "pq", 2));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	slave_read(p.s, 100, "min 5 time 3, two bytes");
	el = ms_since(&t0);
	printf("inter-byte timer: %s\n", el >= 250 && el < 2000 ? "yes" : "no");
	int fl = fcntl(p.s, F_GETFL);
	MUST(fcntl(p.s, F_SETFL, fl | O_NONBLOCK));
	slave_read(p.s, 100, "nonblocking, nothing");
	MUST(write(p.m, "n", 1));
	usleep(20000);
	slave_read(p.s, 100, "nonblocking, one byte");
	MUST(fcntl(p.s, F_SETFL, fl));

	/* Raw output. */
	MUST(write(p.s, "a\nb", 3));
	drain(p.m, "no opost");
	t.c_oflag |= OPOST | ONLCR;
	MUST(tcsetattr(p.s, TCSANOW, &t));
	MUST(write(p.s, "a\nb", 3));
	drain(p.m, "onlcr");
	t.c_oflag |= XTABS;
	MUST(tcsetattr(p.s, TCSANOW, &t));
	MUST(write(p.s, "ab\tc\n", 5));
	drain(p.m, "xtabs");

	/* Input mapping. */
	t.c_iflag |= ICRNL;
	t.c_cc[VMIN] = 1;
	MUST(tcsetattr(p.s, TCSANOW, &t));
	MUST(write(p.m, "\r", 1));
	slave_read(p.s, 100, "icrnl");
	t.c_iflag = (t.c_iflag & ~ICRNL) | IGNCR;
	MUST(tcsetattr(p.s, TCSANOW, &t));
	MUST(write(p.m, "\rk", 2));
	slave_read(p.s, 100, "igncr");
	t.c_iflag = (t.c_iflag & ~IGNCR) | INLCR;
	MUST(tcsetattr(p.s, TCSANOW, &t));
	MUST(write(p.m, "\n", 1));
	slave_read(p.s, 100, "inlcr");

	/* Echo on in raw mode: controls as ^X. */
	t.c_lflag |= ECHO | ECHOCTL;
	MUST(tcsetattr(p.s, TCSANOW, &t));
	MUST(write(p.m, "e\x01", 2));
	slave_read(p.s, 100, "raw echo");
	drain(p.m, "echo");
	t.c_lflag &= ~ECHO;
	MUST(tcsetattr(p.s, TCSANOW, &t));
	MUST(write(p.m, "quiet", 5));
	slave_read(p.s, 100, "echo off");
	drain(p.m, "echo");
	close_pair(&p);
}

static void test_master_end(void)
{
	printf("== master end\n");
	struct pair p = open_pair(O_NONBLOCK);
	struct pollfd pfd = { p.m, POLLIN | POLLOUT, 0 };
	MUST(poll(&pfd, 1, 0));
	printf("master poll: %#x\n", pfd.revents);
	SHOW(write(p.s, "bye", 3));
	close(p.s);
	MUST(poll(&pfd, 1, 0));
	printf("master poll, slave closed: %#x\n", pfd.revents);
	char buf[16];
	int r = read(p.m, buf, sizeof buf);
	printf("read: %d \"%s\"\n", r, shown(buf, r > 0 ? r : 0));
	SHOW(read(p.m, buf, sizeof buf));
	/* The master may still write; the slave reads it once reopened. */
	SHOW(write(p.m, "kept\n", 5));
	p.s = MUST(open(p.name, O_RDWR | O_NOCTTY | O_NONBLOCK));
	slave_read(p.s, 100, "reopened");
	MUST(poll(&pfd, 1, 0));
	printf("master poll, slave back: %#x\n", pfd.revents & ~POLLIN);
	close_pair(&p);
}

static volatile sig_atomic_t got_int, got_winch, got_hup, got_cont;
static void on_sig(int sig)
{
	if (sig == SIGINT)
		got_int++;
	if (sig == SIGWINCH)
		got_winch++;
	if (sig == SIGHUP)
		got_hup++;
	if (sig == SIGCONT)
		got_cont++;
}

/* Waits (up to 5 s) until `flag` is set; a signal ends each sleep early. */
static int wait_flag(volatile sig_atomic_t *flag)
{
	for (int i = 0; i < 500 && !*flag; i++)
		usleep(10000);
	return *flag;
}

static void test_job_control(void)
{
	printf("== job control\n");
	struct pair p = open_pair(0);
	close(p.s);
	int to_child[2], to_parent[2];
	MUST(pipe(to_child));
	MUST(pipe(to_parent));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		close(p.m);
		struct sigaction sa = { 0 };
		sa.sa_handler = on_sig;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGWINCH, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGCONT, &sa, NULL);
		FILE *out = fdopen(to_parent[1], "w");
		setvbuf(out, NULL, _IONBF, 0);
		if (setsid() < 0)
			_exit(3);
		fprintf(out, "child: /dev/tty before: %s\n",
			open("/dev/tty", O_RDWR) < 0 ? errno_name(errno) : "opened");
		/* A session leader opening a terminal without O_NOCTTY takes it. */
		int s = open(p.name, O_RDWR);
		if (s < 0)
			_exit(4);
		fprintf(out, "child: tcgetpgrp == getpid: %s\n", tcgetpgrp(s) == getpid() ? "yes" : "NO");
		fprintf(out, "child: tcgetsid == getpid: %s\n", tcgetsid(s) == getpid() ? "yes" : "NO");
		int t = open("/dev/tty", O_RDWR);
		fprintf(out, "child: /dev/tty: %s\n", t >= 0 && isatty(t) ? "a terminal" : errno_name(errno));
		char c;
		if (read(to_child[0], &c, 1) != 1) /* go: ^C */
			_exit(5);
		fprintf(out, "child: SIGINT: %s\n", wait_flag(&got_int) ? "yes" : "NO");
		if (read(to_child[0], &c, 1) != 1) /* go: window size */
			_exit(6);
		fprintf(out, "child: SIGWINCH: %s\n", wait_flag(&got_winch) ? "yes" : "NO");
		struct winsize ws;
		if (ioctl(t, TIOCGWINSZ, &ws) == 0)
			fprintf(out, "child: winsize %dx%d\n", ws.ws_col, ws.ws_row);
		fprintf(out, "child: ready for hangup\n");
		if (read(to_child[0], &c, 1) != 1) /* go: hangup */
			_exit(7);
		fprintf(out, "child: SIGHUP: %s\n", wait_flag(&got_hup) ? "yes" : "NO");
		fprintf(out, "child: SIGCONT: %s\n", wait_flag(&got_cont) ? "yes" : "NO");
		char buf[8];
		int r = read(s, buf, sizeof buf);
		fprintf(out, "child: read after hangup: %d %s\n", r, r < 0 ? errno_name(errno) : "");
		r = write(s, "x", 1);
		fprintf(out, "child: write after hangup: %d %s\n", r, r < 0 ? errno_name(errno) : "");
		r = tcgetpgrp(s);
		fprintf(out, "child: tcgetpgrp after hangup: %d %s\n", r, r < 0 ? errno_name(errno) : "");
		struct pollfd pfd = { s, POLLIN | POLLOUT, 0 };
		poll(&pfd, 1, 0);
		fprintf(out, "child: poll after hangup: %#x\n", pfd.revents);
		int t2 = open("/dev/tty", O_RDWR);
		fprintf(out, "child: /dev/tty after hangup: %s\n", t2 >= 0 ? "opened" : errno_name(errno));
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	FILE *in = fdopen(to_parent[0], "r");
	char line[256];
	/* The child's first lines, up to the point where it waits. */
	for (int i = 0; i < 4 && fgets(line, sizeof line, in); i++)
		fputs(line, stdout);
	/* The master sees the slave's foreground group and session. */
	pid_t pg = tcgetpgrp(p.m);
	CHECK(pg == pid);
	pid_t sid = -1;
	SHOW(ioctl(p.m, TIOCGSID, &sid));
	CHECK(sid == pid);
	MUST(write(p.m, "typed\x03", 6));
	MUST(write(to_child[1], "g", 1));
	if (fgets(line, sizeof line, in))
		fputs(line, stdout);
	drain(p.m, "echo");
	struct winsize ws = { .ws_row = 33, .ws_col = 111 };
	SHOW(ioctl(p.m, TIOCSWINSZ, &ws));
	MUST(write(to_child[1], "g", 1));
	for (int i = 0; i < 3 && fgets(line, sizeof line, in); i++)
		fputs(line, stdout);
	char saved[64];
	snprintf(saved, sizeof saved, "%s", p.name);
	close(p.m);
	MUST(write(to_child[1], "g", 1));
	while (fgets(line, sizeof line, in))
		fputs(line, stdout);
	int st;
	MUST(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	struct stat sb;
	SHOW(stat(saved, &sb));
	fclose(in);
	close(to_child[1]);
}

/* TIOCSCTTY, TIOCSPGRP, TIOCNOTTY on a slave opened with O_NOCTTY, in a child that
 * leads its own session. */
static void test_sctty(void)
{
	printf("== TIOCSCTTY\n");
	struct pair p = open_pair(0);
	close(p.s);
	int out[2];
	MUST(pipe(out));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		close(out[0]);
		dup2(out[1], 1);
		setvbuf(stdout, NULL, _IONBF, 0);
		signal(SIGHUP, SIG_IGN);
		signal(SIGTTOU, SIG_IGN);
		int s = open(p.name, O_RDWR | O_NOCTTY);
		SHOW(ioctl(s, TIOCSCTTY, 0)); /* not a session leader */
		MUST(setsid());
		SHOW(tcgetpgrp(s) == getpid());
		SHOW(ioctl(p.m, TIOCSCTTY, 0) == 0 ? 0 : errno);
		SHOW(ioctl(s, TIOCSCTTY, 0));
		SHOW(tcgetpgrp(s) == getpid());
		SHOW(ioctl(s, TIOCSCTTY, 0)); /* already ours */
		/* A group of another process of the session becomes the foreground. */
		pid_t kid = fork();
		if (kid == 0) {
			setpgid(0, 0);
			pause();
			_exit(0);
		}
		setpgid(kid, kid);
		SHOW(tcsetpgrp(s, kid) == 0);
		SHOW(tcgetpgrp(s) == kid);
		SHOW(tcsetpgrp(s, 99999));
		/* From the background, with SIGTTOU ignored, settings may change. */
		struct termios t;
		tcgetattr(s, &t);
		SHOW(tcsetattr(s, TCSANOW, &t));
		SHOW(tcsetpgrp(s, getpid()) == 0);
		kill(kid, SIGKILL);
		waitpid(kid, NULL, 0);
		SHOW(ioctl(p.m, TIOCNOTTY));
		SHOW(ioctl(s, TIOCNOTTY));
		SHOW(tcgetpgrp(s));
		_exit(0);
	}
	close(out[1]);
	char buf[2048];
	int n, total = 0;
	while ((n = read(out[0], buf + total, sizeof buf - 1 - total)) > 0)
		total += n;
	buf[total] = 0;
	fputs(buf, stdout);
	int st;
	MUST(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(out[0]);
	close(p.m);
}

int main(void)
{
	test_allocation();
	test_canonical();
	test_raw();
	test_master_end();
	test_job_control();
	test_sctty();
	return 0;
}
