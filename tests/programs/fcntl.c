/* fcntl: fcntl (F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL), dup/dup2/dup3
 * and ioctl (TCGETS on a non-tty, FIONREAD on a file, FIOCLEX/FIONCLEX).
 * Prints fd numbers (deterministic: lowest free), flag words (O_LARGEFILE included, as
 * Linux reports it) and shared-offset behaviour of duplicated fds. */
#include "common.h"
#include <sys/ioctl.h>
#include <termios.h>

static void fd_flags(int fd)
{
	int r = fcntl(fd, F_GETFD);
	if (r < 0)
		printf("  fd %d: %s\n", fd, errno_name(errno));
	else
		printf("  fd %d: FD_CLOEXEC=%d\n", fd, r & FD_CLOEXEC);
}

static void fcntls(void)
{
	write_file("f", "0123456789");
	int fd = MUST(open("f", O_RDWR));
	SHOW(fcntl(fd, F_GETFD));
	SHOW(fcntl(fd, F_SETFD, FD_CLOEXEC));
	SHOW(fcntl(fd, F_GETFD));
	SHOW(fcntl(fd, F_SETFD, 0));
	SHOW(fcntl(fd, F_GETFD));
	printf("F_GETFL = %#x\n", fcntl(fd, F_GETFL));
	SHOW(fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
	printf("F_GETFL after O_APPEND|O_NONBLOCK = %#x\n", fcntl(fd, F_GETFL));
	/* Access mode and creation flags cannot be changed by F_SETFL. */
	SHOW(fcntl(fd, F_SETFL, O_WRONLY | O_CREAT | O_TRUNC));
	printf("F_GETFL after O_WRONLY|O_CREAT|O_TRUNC = %#x\n", fcntl(fd, F_GETFL));
	int ro = MUST(open("f", O_RDONLY));
	printf("read-only F_GETFL = %#x\n", fcntl(ro, F_GETFL));
	int path = MUST(open("f", O_PATH));
	printf("O_PATH F_GETFL = %#x\n", fcntl(path, F_GETFL));
	SHOW(read(path, &fd, 1));
	SHOW(fcntl(fd, F_DUPFD, 10));
	SHOW(fcntl(fd, F_DUPFD, 10));
	SHOW(fcntl(fd, F_DUPFD_CLOEXEC, 20));
	fd_flags(20);
	SHOW(fcntl(fd, F_DUPFD, -1));
	SHOW(fcntl(fd, F_DUPFD, 1 << 30));
	SHOW(fcntl(-1, F_GETFD));
	SHOW(fcntl(99, F_DUPFD, 0));
	SHOW(fcntl(fd, 9999));
	SHOW(close(10));
	SHOW(close(11));
	SHOW(close(20));
	SHOW(close(path));
	SHOW(close(ro));
	SHOW(close(fd));
}

static void dups(void)
{
	char c;
	int fd = MUST(open("f", O_RDWR));
	SHOW(dup(fd));
	SHOW(dup(-1));
	SHOW(dup(77));
	/* Duplicates share one file description: offset and status flags. */
	SHOW(lseek(fd, 4, SEEK_SET));
	SHOW(lseek(fd + 1, 0, SEEK_CUR));
	SHOW(read(fd + 1, &c, 1));
	printf("read via dup: %c\n", c);
	SHOW(lseek(fd, 0, SEEK_CUR));
	SHOW(fcntl(fd, F_SETFL, O_APPEND));
	printf("O_APPEND seen via dup: %s\n", fcntl(fd + 1, F_GETFL) & O_APPEND ? "yes" : "no");
	SHOW(fcntl(fd, F_SETFD, FD_CLOEXEC));
	printf("FD_CLOEXEC is per descriptor:\n");
	fd_flags(fd);
	fd_flags(fd + 1);
	SHOW(dup2(fd, fd));
	fd_flags(fd);
	SHOW(dup2(fd, 50));
	fd_flags(50);
	SHOW(dup2(-1, 50));
	SHOW(dup2(fd, -1));
	SHOW(dup2(fd, 1 << 30));
	/* dup2 onto an open fd closes it silently. */
	int other = MUST(open("/dev/null", O_RDONLY));
	SHOW(dup2(fd, other));
	SHOW(lseek(other, 0, SEEK_CUR));
	SHOW(dup3(fd, fd, 0));
	SHOW(dup3(fd, 60, O_CLOEXEC));
	fd_flags(60);
	SHOW(dup3(fd, 61, 0));
	fd_flags(61);
	SHOW(dup3(fd, 62, 1));
	SHOW(dup3(-1, 62, 0));
	for (int i = 3; i < 64; i++)
		if (i != fd)
			close(i);
	MUST(close(fd));
}

static void ioctls(void)
{
	struct termios t;
	int n = -1;
	int fd = MUST(open("f", O_RDWR));
	SHOW(ioctl(fd, TCGETS, &t));
	SHOW(ioctl(fd, FIONREAD, &n));
	printf("FIONREAD at offset 0: %d\n", n);
	SHOW(lseek(fd, 7, SEEK_SET));
	SHOW(ioctl(fd, FIONREAD, &n));
	printf("FIONREAD at offset 7: %d\n", n);
	SHOW(syscall(SYS_ioctl, fd, FIONREAD, (void *)1));
	SHOW(ioctl(fd, FIOCLEX));
	fd_flags(fd);
	SHOW(ioctl(fd, FIONCLEX));
	fd_flags(fd);
	SHOW(ioctl(-1, FIOCLEX));
	SHOW(ioctl(fd, 0x12345678, 0));
	int null = MUST(open("/dev/null", O_RDWR));
	SHOW(ioctl(null, TCGETS, &t));
	SHOW(ioctl(null, FIOCLEX));
	MUST(close(null));
	int dir = MUST(open(".", O_RDONLY));
	SHOW(ioctl(dir, TCGETS, &t));
	MUST(close(dir));
	MUST(close(fd));
}

int main(void)
{
	tmpdir_enter();
	fcntls();
	dups();
	ioctls();
	tmpdir_leave();
	return 0;
}
