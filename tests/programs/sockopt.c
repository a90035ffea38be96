/* getsockopt/setsockopt at SOL_SOCKET on AF_UNIX sockets. */
#include "common.h"
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

static void geti(int fd, int name, const char *what)
{
	int v = -7;
	socklen_t l = sizeof v;
	int r = getsockopt(fd, SOL_SOCKET, name, &v, &l);
	if (r < 0)
		printf("%s: -1 %s\n", what, errno_name(errno));
	else
		printf("%s: %d (len %d)\n", what, v, (int)l);
}

int main(void)
{
	int sv[2];
	MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int d = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	int q = MUST(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	geti(sv[0], SO_TYPE, "type stream");
	geti(d, SO_TYPE, "type dgram");
	geti(q, SO_TYPE, "type seqpacket");
	geti(d, SO_DOMAIN, "domain");
	geti(d, SO_PROTOCOL, "protocol");
	geti(d, SO_ERROR, "error");
	geti(d, SO_ACCEPTCONN, "acceptconn");
	geti(d, SO_PASSCRED, "passcred");
	geti(d, SO_REUSEADDR, "reuseaddr");
	geti(d, SO_KEEPALIVE, "keepalive");
	geti(d, SO_SNDBUF, "sndbuf default");
	int v = 10000;
	SHOW(setsockopt(d, SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
	geti(d, SO_SNDBUF, "sndbuf");
	SHOW(setsockopt(d, SOL_SOCKET, SO_RCVBUF, &v, sizeof v));
	geti(d, SO_RCVBUF, "rcvbuf");
	v = 1;
	SHOW(setsockopt(d, SOL_SOCKET, SO_PASSCRED, &v, sizeof v));
	geti(d, SO_PASSCRED, "passcred");
	v = 5;
	SHOW(setsockopt(d, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
	geti(d, SO_REUSEADDR, "reuseaddr");
	SHOW(setsockopt(d, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v));
	geti(d, SO_KEEPALIVE, "keepalive");
	SHOW(setsockopt(d, SOL_SOCKET, SO_TYPE, &v, sizeof v));
	SHOW(setsockopt(d, SOL_SOCKET, SO_KEEPALIVE, &v, 2));
	SHOW(setsockopt(d, SOL_SOCKET, SO_KEEPALIVE, (void *)8, 4));
	SHOW(setsockopt(d, SOL_SOCKET, 9999, &v, sizeof v));
	SHOW(setsockopt(d, 6, 1, &v, sizeof v));
	/* Linger. */
	struct linger lg = { 1, 7 };
	SHOW(setsockopt(d, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	SHOW(setsockopt(d, SOL_SOCKET, SO_LINGER, &lg, 4));
	memset(&lg, 0, sizeof lg);
	socklen_t l = sizeof lg;
	SHOW(getsockopt(d, SOL_SOCKET, SO_LINGER, &lg, &l));
	printf("linger %d %d len %d\n", lg.l_onoff, lg.l_linger, (int)l);
	/* Peer credentials of a socketpair. */
	struct ucred u;
	l = sizeof u;
	SHOW(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &u, &l));
	printf("peercred me=%d uid=%d gid=%d len=%d\n", u.pid == getpid(), (int)u.uid, (int)u.gid, (int)l);
	l = sizeof u;
	SHOW(getsockopt(d, SOL_SOCKET, SO_PEERCRED, &u, &l));
	printf("unconnected peercred pid=%d uid=%d gid=%d\n", u.pid, (int)u.uid, (int)u.gid);
	/* Timeouts: honoured. */
	struct timeval tv = { 0, 200000 };
	SHOW(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	memset(&tv, 0, sizeof tv);
	l = sizeof tv;
	SHOW(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, &l));
	printf("rcvtimeo %ld.%06ld len %d\n", (long)tv.tv_sec, (long)tv.tv_usec, (int)l);
	char buf[8];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	SHOW(read(sv[0], buf, sizeof buf));
	SHOW(recv(sv[0], buf, sizeof buf, 0));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double el = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("waited about 0.4s: %d\n", el > 0.35 && el < 3);
	tv.tv_usec = 1000000;
	SHOW(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	SHOW(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, 8));
	tv.tv_sec = -1;
	tv.tv_usec = 0;
	SHOW(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	SHOW(recv(sv[0], buf, sizeof buf, 0));
	tv.tv_sec = 0;
	SHOW(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	SHOW(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, &l));
	printf("rcvtimeo %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
	/* Send timeout on a full socket. */
	tv.tv_usec = 100000;
	SHOW(setsockopt(sv[1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
	static char big[1 << 16];
	long total = 0, r;
	while ((r = write(sv[1], big, sizeof big)) > 0)
		total += r;
	printf("filled: %s\n", errno_name(errno));
	/* Errors. */
	v = 0;
	l = sizeof v;
	SHOW(getsockopt(d, SOL_SOCKET, 9999, &v, &l));
	SHOW(getsockopt(d, 6, 1, &v, &l));
	SHOW(getsockopt(d, SOL_SOCKET, SO_TYPE, &v, (socklen_t *)8));
	SHOW(getsockopt(d, SOL_SOCKET, SO_TYPE, (void *)8, &l));
	l = -1;
	SHOW(getsockopt(d, SOL_SOCKET, SO_TYPE, &v, &l));
	l = 2;
	v = 0;
	SHOW(getsockopt(d, SOL_SOCKET, SO_TYPE, &v, &l));
	printf("short: v=%d l=%d\n", v, (int)l);
	l = sizeof v;
	SHOW(getsockopt(0, SOL_SOCKET, SO_TYPE, &v, &l));
	SHOW(getsockopt(99, SOL_SOCKET, SO_TYPE, &v, &l));
	SHOW(setsockopt(0, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v));
	SHOW(setsockopt(99, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v));
	return 0;
}
