/* AF_UNIX stream and seqpacket sockets with names: bind (paths, abstract,
 * autobind), listen, accept, connect between fork'd processes,
 * getsockname/getpeername bytes and lengths, backlog, errors. */
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static char abs_prefix[64];

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static socklen_t abs_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "%s-%s", abs_prefix, name);
	return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

/* Prints an address as getsockname/getpeername/accept return it; abstract
 * names are shown without the per-run prefix. */
static void show_addr(const char *what, struct sockaddr_un *a, socklen_t len)
{
	printf("%s: len=%d", what, (int)len);
	if (len > offsetof(struct sockaddr_un, sun_path)) {
		if (a->sun_path[0] == 0) {
			int plen = strlen(abs_prefix) + 1;
			printf(" abstract=%.*s", (int)(len - 3 - plen), a->sun_path + 1 + plen);
		} else {
			printf(" path=%s", a->sun_path);
		}
	}
	printf("\n");
}

static void names(int fd, const char *who)
{
	struct sockaddr_un a;
	socklen_t len = sizeof a;
	char what[64];
	memset(&a, 0x55, sizeof a);
	snprintf(what, sizeof what, "%s sockname", who);
	if (getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		show_addr(what, &a, len);
	else
		printf("%s: -1 %s\n", what, errno_name(errno));
	len = sizeof a;
	snprintf(what, sizeof what, "%s peername", who);
	if (getpeername(fd, (struct sockaddr *)&a, &len) == 0)
		show_addr(what, &a, len);
	else
		printf("%s: -1 %s\n", what, errno_name(errno));
}

static void server_client(int type, const char *name)
{
	struct sockaddr_un a;
	char buf[64];
	printf("-- %s\n", name);
	int l = MUST(socket(AF_UNIX, type, 0));
	names(l, "unbound");
	SHOW(listen(l, 5));
	socklen_t len = path_addr(&a, "srv.sock");
	SHOW(bind(l, (struct sockaddr *)&a, len));
	SHOW(bind(l, (struct sockaddr *)&a, len));
	struct stat st;
	SHOW(stat("srv.sock", &st));
	CHECK(S_ISSOCK(st.st_mode));
	int c0 = MUST(socket(AF_UNIX, type, 0));
	SHOW(connect(c0, (struct sockaddr *)&a, len));
	SHOW(listen(l, 5));
	int v = -1;
	socklen_t vl = sizeof v;
	SHOW(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl));
	printf("acceptconn=%d\n", v);
	names(l, "listener");
	struct pollfd p = { .fd = l, .events = POLLIN | POLLOUT };
	SHOW(poll(&p, 1, 0));
	printf("listener revents=%#x\n", p.revents);
	pid_t pid = fork();
	if (pid == 0) {
		int c = socket(AF_UNIX, type, 0);
		if (connect(c, (struct sockaddr *)&a, len) != 0) {
			printf("child connect: %s\n", errno_name(errno));
			_exit(1);
		}
		write(c, "ping", 4);
		int n = read(c, buf, sizeof buf);
		printf("child got %d: %.*s\n", n, n > 0 ? n : 0, buf);
		names(c, "client");
		close(c);
		_exit(0);
	}
	struct sockaddr_un pa;
	socklen_t plen = sizeof pa;
	int s = SHOW(accept(l, (struct sockaddr *)&pa, &plen));
	show_addr("accepted peer", &pa, plen);
	names(s, "accepted");
	int n = SHOW(read(s, buf, sizeof buf));
	printf("server got %.*s\n", n > 0 ? n : 0, buf);
	int w = write(s, "pong", 4);
	int status;
	MUST(waitpid(pid, &status, 0));
	printf("server wrote %d\n", w);
	printf("child status %d\n", WEXITSTATUS(status));
	SHOW(read(s, buf, sizeof buf));
	SHOW(write(s, "x", 1));
	SHOW(send(s, "x", 1, MSG_NOSIGNAL));
	SHOW(close(s));
	/* c0 connected earlier, before the child: still pending. */
	SHOW(connect(c0, (struct sockaddr *)&a, len));
	p.events = POLLIN;
	SHOW(poll(&p, 1, 0));
	s = SHOW(accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK));
	SHOW(fcntl(s, F_GETFD));
	CHECK(fcntl(s, F_GETFL) & O_NONBLOCK);
	SHOW(read(s, buf, sizeof buf));
	SHOW(write(c0, "q", 1));
	SHOW(read(s, buf, sizeof buf));
	SHOW(accept4(l, NULL, NULL, 0x1000));
	SHOW(fcntl(l, F_SETFL, O_NONBLOCK));
	SHOW(accept(l, NULL, NULL));
	SHOW(close(s));
	SHOW(close(c0));
	/* The listener goes away with a connection pending: ECONNRESET. */
	c0 = MUST(socket(AF_UNIX, type, 0));
	SHOW(connect(c0, (struct sockaddr *)&a, len));
	SHOW(close(l));
	SHOW(read(c0, buf, sizeof buf));
	SHOW(read(c0, buf, sizeof buf));
	SHOW(close(c0));
	/* A stale socket file. */
	c0 = MUST(socket(AF_UNIX, type, 0));
	SHOW(connect(c0, (struct sockaddr *)&a, len));
	SHOW(close(c0));
	SHOW(unlink("srv.sock"));
}

static void errors(void)
{
	struct sockaddr_un a;
	printf("-- errors\n");
	int s = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	int d = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	socklen_t len = path_addr(&a, "nothere");
	SHOW(connect(s, (struct sockaddr *)&a, len));
	write_file("plain", "x");
	len = path_addr(&a, "plain");
	SHOW(connect(s, (struct sockaddr *)&a, len));
	SHOW(bind(s, (struct sockaddr *)&a, len));
	len = path_addr(&a, "nodir/x");
	SHOW(bind(s, (struct sockaddr *)&a, len));
	len = path_addr(&a, "dg.sock");
	SHOW(bind(d, (struct sockaddr *)&a, len));
	SHOW(connect(s, (struct sockaddr *)&a, len));
	SHOW(listen(d, 1));
	SHOW(accept(d, NULL, NULL));
	SHOW(connect(s, (struct sockaddr *)&a, 2));
	SHOW(connect(s, (struct sockaddr *)&a, 1));
	SHOW(connect(s, (struct sockaddr *)&a, 200));
	SHOW(connect(s, (struct sockaddr *)&a, -1));
	SHOW(connect(s, (struct sockaddr *)8, len));
	a.sun_family = AF_INET;
	SHOW(connect(s, (struct sockaddr *)&a, len));
	SHOW(bind(s, (struct sockaddr *)&a, len));
	SHOW(accept(s, NULL, NULL));
	SHOW(listen(s, 1));
	SHOW(read(s, &a, 1));
	SHOW(write(s, "x", 1));
	printf("errno %s\n", errno_name(errno));
	/* Abstract names. */
	len = abs_addr(&a, "abs");
	SHOW(bind(s, (struct sockaddr *)&a, len));
	names(s, "abstract");
	int s2 = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	SHOW(bind(s2, (struct sockaddr *)&a, len));
	SHOW(connect(s2, (struct sockaddr *)&a, len));
	SHOW(listen(s, 0));
	SHOW(connect(s2, (struct sockaddr *)&a, len));
	names(s2, "abs client");
	/* Backlog 0 holds one pending connection; the next would wait. */
	int s3 = MUST(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	SHOW(connect(s3, (struct sockaddr *)&a, len));
	int ds = MUST(socket(AF_UNIX, SOCK_DGRAM, 0));
	SHOW(connect(ds, (struct sockaddr *)&a, len));
	/* Autobind. */
	int s4 = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	a.sun_family = AF_UNIX;
	SHOW(bind(s4, (struct sockaddr *)&a, sizeof(sa_family_t)));
	struct sockaddr_un b;
	socklen_t bl = sizeof b;
	SHOW(getsockname(s4, (struct sockaddr *)&b, &bl));
	printf("autobind len=%d abstract=%d\n", (int)bl, b.sun_path[0] == 0);
	SHOW(bind(s4, (struct sockaddr *)&a, sizeof(sa_family_t)));
	/* Short getsockname buffers get the full length back. */
	bl = 3;
	memset(&b, 0, sizeof b);
	len = path_addr(&a, "named");
	int s5 = MUST(socket(AF_UNIX, SOCK_STREAM, 0));
	SHOW(bind(s5, (struct sockaddr *)&a, len));
	SHOW(getsockname(s5, (struct sockaddr *)&b, &bl));
	printf("len=%d first=%c second=%d\n", (int)bl, b.sun_path[0], b.sun_path[1]);
	bl = -1;
	SHOW(getsockname(s5, (struct sockaddr *)&b, &bl));
	SHOW(getsockname(s5, (struct sockaddr *)&b, (socklen_t *)8));
	/* Long paths: 107 characters fit, 108 use the whole sun_path without NUL. */
	SHOW(getsockname(1, (struct sockaddr *)&b, &bl));
	SHOW(getsockname(99, (struct sockaddr *)&b, &bl));
	SHOW(shutdown(1, SHUT_RD));
	SHOW(shutdown(99, SHUT_RD));
	SHOW(socket(AF_UNIX, SOCK_STREAM, 2));
	SHOW(socket(AF_UNIX, SOCK_PACKET, 0));
	SHOW(socket(AF_UNIX, 0, 0));
	SHOW(socket(AF_UNIX, SOCK_STREAM | 0x80000000, 0));
	SHOW(socket(-1, SOCK_STREAM, 0));
	SHOW(socket(4242, SOCK_STREAM, 0));
	int r = SHOW(socket(AF_UNIX, SOCK_RAW, 0));
	int ty = 0;
	socklen_t tl = sizeof ty;
	SHOW(getsockopt(r, SOL_SOCKET, SO_TYPE, &ty, &tl));
	printf("raw becomes type %d\n", ty);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	snprintf(abs_prefix, sizeof abs_prefix, "rvt-unix-stream-%08d", getpid());
	tmpdir_enter();
	server_client(SOCK_STREAM, "stream");
	server_client(SOCK_SEQPACKET, "seqpacket");
	errors();
	tmpdir_leave();
	return 0;
}
