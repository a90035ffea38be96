/* Ancillary data on AF_UNIX sockets: SCM_RIGHTS (a pipe end and a file
 * arrive as new fds; MSG_CTRUNC when the buffer is small; bad fds and
 * malformed headers), SCM_CREDENTIALS with SO_PASSCRED. */
#include "common.h"
#include <sys/socket.h>
#include <sys/un.h>

static int send_fds(int s, const int *fds, int n, const char *data)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 300)];
	struct iovec iov = { (void *)data, strlen(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (n > 0) {
		memset(cbuf, 0, sizeof cbuf);
		m.msg_control = cbuf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	return sendmsg(s, &m, 0);
}

/* Receives with a control buffer of `clen` bytes and prints what came. */
static void recv_show(int s, size_t clen, int flags)
{
	char data[64], cbuf[512];
	struct iovec iov = { data, sizeof data };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = clen ? cbuf : NULL,
			    .msg_controllen = clen };
	memset(cbuf, 0, sizeof cbuf);
	int n = recvmsg(s, &m, flags);
	if (n < 0) {
		printf("recvmsg: -1 %s\n", errno_name(errno));
		return;
	}
	printf("recvmsg: %d '%.*s' flags ctrunc=%d cloexec=%d controllen=%zu\n", n, n, data,
	       !!(m.msg_flags & MSG_CTRUNC), !!(m.msg_flags & MSG_CMSG_CLOEXEC),
	       (size_t)m.msg_controllen);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		printf("  cmsg level=%d type=%d len=%zu\n", c->cmsg_level, c->cmsg_type,
		       (size_t)c->cmsg_len);
		if (c->cmsg_type == SCM_RIGHTS) {
			int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (int i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
				char buf[32] = { 0 };
				struct stat st;
				fstat(fd, &st);
				printf("  fd=%d cloexec=%d type=%s", fd, fcntl(fd, F_GETFD) & FD_CLOEXEC,
				       S_ISFIFO(st.st_mode) ? "fifo" : S_ISREG(st.st_mode) ? "reg" : "other");
				if (S_ISFIFO(st.st_mode)) {
					int r = read(fd, buf, sizeof buf - 1);
					printf(" read=%d '%s'", r, r > 0 ? buf : "");
				} else if (S_ISREG(st.st_mode)) {
					int r = pread(fd, buf, sizeof buf - 1, 0);
					printf(" pread=%d '%s'", r, r > 0 ? buf : "");
				}
				printf("\n");
				close(fd);
			}
		} else if (c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred u;
			memcpy(&u, CMSG_DATA(c), sizeof u);
			printf("  cred pid_is_me=%d uid=%d gid=%d\n", u.pid == getpid(), (int)u.uid,
			       (int)u.gid);
		}
	}
}

int main(void)
{
	int sv[2], p[2];
	tmpdir_enter();
	for (int type = SOCK_STREAM; type <= SOCK_DGRAM; type++) {
		printf("-- type %d\n", type);
		MUST(socketpair(AF_UNIX, type, 0, sv));
		MUST(pipe(p));
		write_file("f", "file data");
		int f = MUST(open("f", O_RDONLY));
		write(p[1], "pipe data", 9);
		int fds[2] = { p[0], f };
		SHOW(send_fds(sv[0], fds, 2, "two"));
		close(p[0]);
		close(f);
		recv_show(sv[1], 512, MSG_CMSG_CLOEXEC);
		/* Room for one fd only. */
		SHOW(send_fds(sv[0], fds + 1, 1, "x") < 0);
		f = MUST(open("f", O_RDONLY));
		int two[2] = { f, f };
		SHOW(send_fds(sv[0], two, 2, "small"));
		recv_show(sv[1], CMSG_SPACE(sizeof(int)), 0);
		SHOW(send_fds(sv[0], two, 2, "none"));
		recv_show(sv[1], 0, 0);
		SHOW(send_fds(sv[0], two, 1, "tiny"));
		recv_show(sv[1], 8, 0);
		/* Errors. */
		int bad[1] = { 999 };
		SHOW(send_fds(sv[0], bad, 1, "bad"));
		static int many[254];
		for (int i = 0; i < 254; i++)
			many[i] = f;
		SHOW(send_fds(sv[0], many, 254, "many"));
		SHOW(send_fds(sv[0], many, 253, "max"));
		recv_show(sv[1], 16, 0);
		char cbuf[64] = { 0 };
		struct iovec iov = { "h", 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof cbuf };
		struct cmsghdr *c = (struct cmsghdr *)cbuf;
		c->cmsg_len = sizeof cbuf + 8;
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		SHOW(sendmsg(sv[0], &m, 0));
		c->cmsg_len = CMSG_LEN(4);
		m.msg_controllen = CMSG_SPACE(4);
		c->cmsg_type = 77;
		SHOW(sendmsg(sv[0], &m, 0));
		c->cmsg_level = 5;
		SHOW(sendmsg(sv[0], &m, 0));
		recv_show(sv[1], 64, 0);
		m.msg_control = (void *)8;
		SHOW(sendmsg(sv[0], &m, 0));
		m.msg_control = cbuf;
		m.msg_controllen = 1L << 40;
		SHOW(sendmsg(sv[0], &m, 0));
		/* Credentials. */
		int on = 1;
		SHOW(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
		SHOW(send(sv[0], "cred", 4, 0));
		recv_show(sv[1], 64, 0);
		struct ucred u = { getpid(), getuid(), getgid() };
		m.msg_controllen = CMSG_SPACE(sizeof u);
		c->cmsg_len = CMSG_LEN(sizeof u);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		memcpy(CMSG_DATA(c), &u, sizeof u);
		SHOW(sendmsg(sv[0], &m, 0));
		recv_show(sv[1], 64, 0);
		c->cmsg_len = CMSG_LEN(sizeof u - 1);
		SHOW(sendmsg(sv[0], &m, 0));
		SHOW(send(sv[0], "c", 1, 0));
		recv_show(sv[1], 16, 0);
		close(f);
		close(p[1]);
		close(sv[0]);
		close(sv[1]);
	}
	tmpdir_leave();
	return 0;
}
