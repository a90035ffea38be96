/* socketpair(AF_UNIX): stream bytes, datagram and seqpacket boundaries,
 * truncation, peek, shutdown, EOF, EPIPE and SIGPIPE, readiness, ioctls,
 * fstat and /proc/self/fd names. */
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/sockios.h>

static volatile int sigpipes;
static void on_pipe(int s) { (void)s; sigpipes++; }

static void show_poll(const char *what, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP };
	int r = poll(&p, 1, 0);
	printf("%s: poll=%d revents=%s%s%s%s%s\n", what, r, p.revents & POLLIN ? "IN " : "",
	       p.revents & POLLOUT ? "OUT " : "", p.revents & POLLHUP ? "HUP " : "",
	       p.revents & POLLRDHUP ? "RDHUP " : "", p.revents & POLLERR ? "ERR" : "");
}

static void stream(void)
{
	int sv[2];
	char buf[64];
	printf("-- stream\n");
	SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	show_poll("fresh", sv[0]);
	SHOW(write(sv[0], "hello ", 6));
	SHOW(send(sv[0], "world", 5, 0));
	int n = -1;
	SHOW(ioctl(sv[1], FIONREAD, &n));
	printf("inq=%d\n", n);
	SHOW(ioctl(sv[0], SIOCOUTQ, &n));
	printf("outq>0: %d\n", n > 0);
	show_poll("with data", sv[1]);
	SHOW(recv(sv[1], buf, 3, MSG_PEEK));
	SHOW(read(sv[1], buf, 3));
	printf("got %.3s\n", buf);
	struct iovec iov[2] = { { buf, 2 }, { buf + 2, 20 } };
	SHOW(readv(sv[1], iov, 2));
	printf("got %.8s\n", buf);
	SHOW(ioctl(sv[0], SIOCOUTQ, &n));
	printf("outq=%d\n", n);
	SHOW(recv(sv[1], buf, 10, MSG_DONTWAIT));
	printf("errno %s\n", errno_name(errno));
	struct iovec wv[2] = { { "ab", 2 }, { "cd", 2 } };
	SHOW(writev(sv[1], wv, 2));
	SHOW(recv(sv[0], buf, sizeof buf, MSG_WAITALL | MSG_DONTWAIT));
	SHOW(shutdown(sv[0], SHUT_WR));
	show_poll("peer shut wr", sv[1]);
	SHOW(read(sv[1], buf, 10));
	SHOW(write(sv[0], "x", 1));
	printf("sigpipes=%d\n", sigpipes);
	SHOW(send(sv[0], "x", 1, MSG_NOSIGNAL));
	printf("sigpipes=%d\n", sigpipes);
	SHOW(write(sv[1], "back", 4));
	SHOW(read(sv[0], buf, 10));
	SHOW(shutdown(sv[0], 7));
	SHOW(close(sv[1]));
	show_poll("peer closed", sv[0]);
	SHOW(read(sv[0], buf, 10));
	SHOW(close(sv[0]));

	/* Closing with unread data: the peer reads ECONNRESET once, then EOF. */
	SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	SHOW(write(sv[0], "lost", 4));
	SHOW(close(sv[1]));
	SHOW(read(sv[0], buf, 10));
	SHOW(read(sv[0], buf, 10));
	SHOW(close(sv[0]));
}

static void dgram(int type, const char *name)
{
	int sv[2];
	char buf[64];
	printf("-- %s\n", name);
	SHOW(socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
	SHOW(fcntl(sv[0], F_GETFD));
	CHECK(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
	show_poll("fresh", sv[0]);
	SHOW(send(sv[0], "one", 3, 0));
	SHOW(send(sv[0], "three", 5, 0));
	SHOW(send(sv[0], "", 0, 0));
	int n = -1;
	SHOW(ioctl(sv[1], FIONREAD, &n));
	printf("inq=%d\n", n);
	SHOW(recv(sv[1], buf, sizeof buf, MSG_PEEK));
	SHOW(recv(sv[1], buf, sizeof buf, 0));
	struct msghdr m = { 0 };
	struct iovec iov = { buf, 2 };
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	SHOW(recvmsg(sv[1], &m, 0));
	printf("flags trunc=%d got %.2s\n", !!(m.msg_flags & MSG_TRUNC), buf);
	SHOW(recv(sv[1], buf, sizeof buf, 0));
	SHOW(recv(sv[1], buf, sizeof buf, 0));
	SHOW(send(sv[0], "abcdef", 6, 0));
	SHOW(recv(sv[1], buf, 2, MSG_TRUNC));
	SHOW(shutdown(sv[1], SHUT_RD));
	SHOW(recv(sv[1], buf, sizeof buf, 0));
	show_poll("after shut rd", sv[1]);
	SHOW(send(sv[0], "x", 1, 0));
	SHOW(close(sv[1]));
	show_poll("peer closed", sv[0]);
	SHOW(send(sv[0], "x", 1, 0));
	SHOW(send(sv[0], "x", 1, 0));
	SHOW(recv(sv[0], buf, sizeof buf, 0));
	printf("sigpipes=%d\n", sigpipes);
	SHOW(close(sv[0]));
}

static void misc(void)
{
	int sv[2];
	struct stat st;
	char link[64], want[64];
	printf("-- misc\n");
	SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	SHOW(fstat(sv[0], &st));
	CHECK(S_ISSOCK(st.st_mode));
	printf("mode=%o size=%ld nlink=%ld\n", st.st_mode & 07777, (long)st.st_size, (long)st.st_nlink);
	snprintf(want, sizeof want, "socket:[%lu]", (unsigned long)st.st_ino);
	snprintf(link, sizeof link, "/proc/self/fd/%d", sv[0]);
	char got[64] = { 0 };
	SHOW(readlink(link, got, sizeof got - 1) > 0);
	CHECK(strcmp(got, want) == 0);
	SHOW(lseek(sv[0], 0, SEEK_SET));
	SHOW(pread(sv[0], got, 1, 0));
	SHOW(fsync(sv[0]));
	/* Fill a nonblocking stream socket: EAGAIN, no POLLOUT; reading frees room. */
	SHOW(fcntl(sv[0], F_SETFL, O_NONBLOCK));
	static char big[65536];
	long total = 0, r;
	while ((r = write(sv[0], big, sizeof big)) > 0)
		total += r;
	printf("filled: errno %s, total>0 %d\n", errno_name(errno), total > 0);
	struct pollfd p = { .fd = sv[0], .events = POLLOUT };
	SHOW(poll(&p, 1, 0));
	while (total > 0 && (r = read(sv[1], big, sizeof big)) > 0)
		total -= r;
	printf("drained: %ld\n", total);
	SHOW(poll(&p, 1, 0));
	SHOW(close(sv[0]));
	SHOW(close(sv[1]));
	/* Bad arguments. */
	int *volatile bad = (int *)8;
	SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, bad));
	SHOW(socketpair(AF_UNIX, SOCK_STREAM | 0x1000, 0, sv));
	SHOW(socketpair(AF_UNIX, 0, 0, sv));
	SHOW(socketpair(AF_UNIX, SOCK_STREAM, 7, sv));
	SHOW(socketpair(AF_UNIX, 12, 0, sv));
	SHOW(socketpair(AF_INET, SOCK_STREAM, 0, sv));
	SHOW(socketpair(999, SOCK_STREAM, 0, sv));
}

int main(void)
{
	signal(SIGPIPE, on_pipe);
	stream();
	dgram(SOCK_DGRAM, "dgram");
	dgram(SOCK_SEQPACKET, "seqpacket");
	misc();
	return 0;
}
