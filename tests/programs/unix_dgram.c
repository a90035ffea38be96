/* AF_UNIX datagram sockets with names: sendto a path and an abstract name,
 * recvfrom addresses, connect and disconnect, EPERM for a receiver
 * connected elsewhere, the receive queue limit, truncation, errors. */
#include "common.h"
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static void show_from(struct sockaddr_un *a, socklen_t len)
{
	printf("from len=%d", (int)len);
	if (len > 2 && a->sun_path[0])
		printf(" path=%s", a->sun_path);
	printf("\n");
}

int main(void)
{
	struct sockaddr_un ra, sa, from;
	socklen_t fl;
	char buf[64];
	tmpdir_enter();
	int r = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	int s = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	socklen_t rl = path_addr(&ra, "recv.sock");
	SHOW(bind(r, (struct sockaddr *)&ra, rl));
	SHOW(send(s, "x", 1, 0));
	SHOW(sendto(s, "hello", 5, 0, (struct sockaddr *)&ra, rl));
	fl = sizeof from;
	memset(&from, 0, sizeof from);
	SHOW(recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
	show_from(&from, fl);
	socklen_t sl = path_addr(&sa, "send.sock");
	SHOW(bind(s, (struct sockaddr *)&sa, sl));
	SHOW(sendto(s, "named", 5, 0, (struct sockaddr *)&ra, rl));
	fl = sizeof from;
	SHOW(recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
	show_from(&from, fl);
	/* A short address buffer: truncated copy, full length returned. */
	SHOW(sendto(s, "again", 5, 0, (struct sockaddr *)&ra, rl));
	fl = 4;
	memset(&from, 0, sizeof from);
	SHOW(recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
	printf("fl=%d c0=%c c1=%d\n", (int)fl, from.sun_path[0], from.sun_path[1]);
	/* Truncation. */
	SHOW(sendto(s, "0123456789", 10, 0, (struct sockaddr *)&ra, rl));
	struct iovec iov = { buf, 4 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	SHOW(recvmsg(r, &m, 0));
	printf("trunc=%d namelen=%d\n", !!(m.msg_flags & MSG_TRUNC), (int)m.msg_namelen);
	/* connect, then send without an address; the receiver is connected
	 * elsewhere: EPERM for others. */
	SHOW(connect(s, (struct sockaddr *)&ra, rl));
	SHOW(send(s, "conn", 4, 0));
	SHOW(recv(r, buf, sizeof buf, 0));
	SHOW(getpeername(s, (struct sockaddr *)&from, &fl));
	int o = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	SHOW(connect(r, (struct sockaddr *)&sa, sl));
	SHOW(sendto(o, "no", 2, 0, (struct sockaddr *)&ra, rl));
	SHOW(sendto(s, "yes", 3, 0, (struct sockaddr *)&ra, rl));
	SHOW(recv(r, buf, sizeof buf, MSG_DONTWAIT));
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	SHOW(connect(r, &unspec, sizeof unspec));
	SHOW(connect(s, &unspec, sizeof unspec));
	SHOW(send(s, "x", 1, 0));
	SHOW(connect(s, &unspec, 1));
	/* The receive queue limit for a receiver not connected back. */
	int n = 0;
	while (sendto(o, "q", 1, MSG_DONTWAIT, (struct sockaddr *)&ra, rl) == 1 && n < 1000)
		n++;
	printf("queued %d then %s\n", n, errno_name(errno));
	struct pollfd p = { .fd = o, .events = POLLOUT };
	SHOW(connect(o, (struct sockaddr *)&ra, rl));
	SHOW(poll(&p, 1, 0));
	SHOW(recv(r, buf, sizeof buf, 0));
	SHOW(poll(&p, 1, 0));
	/* Errors. */
	socklen_t bl = path_addr(&from, "missing.sock");
	SHOW(sendto(o, "x", 1, 0, (struct sockaddr *)&from, bl));
	write_file("plain", "");
	bl = path_addr(&from, "plain");
	SHOW(sendto(o, "x", 1, 0, (struct sockaddr *)&from, bl));
	SHOW(sendto(o, "x", 1, 0, (struct sockaddr *)&from, 1));
	SHOW(sendto(o, "x", 1, 0, (struct sockaddr *)&from, 500));
	SHOW(sendto(o, "x", 1, 0, (struct sockaddr *)8, bl));
	SHOW(sendto(o, (char *)8, 1, 0, (struct sockaddr *)&ra, rl));
	int st = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	SHOW(sendto(o, "x", 1, 0, NULL, 0));
	SHOW(sendto(st, "x", 1, 0, (struct sockaddr *)&ra, rl));
	SHOW(sendto(st, "x", 1, 0, NULL, 0));
	static char huge[300000];
	SHOW(sendto(o, huge, sizeof huge, 0, (struct sockaddr *)&ra, rl));
	SHOW(recvfrom(o, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL));
	SHOW(recvfrom(r, (char *)8, 10, MSG_DONTWAIT, NULL, NULL));
	SHOW(close(r));
	SHOW(send(o, "x", 1, 0));
	SHOW(send(o, "x", 1, 0));
	SHOW(sendto(s, "x", 1, 0, (struct sockaddr *)&ra, rl));
	tmpdir_leave();
	return 0;
}
