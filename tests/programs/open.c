/* open: open/openat/creat/close/close_range/lseek.
 * Flag handling (O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW, O_APPEND), lowest-free fd
 * numbering, dirfd-relative opens, close_range ranges and flags, and lseek with every whence
 * including SEEK_DATA/SEEK_HOLE on a sparse file and beyond EOF. */
#include "common.h"
#include <limits.h>
#include <linux/close_range.h>

static void opens(void)
{
	struct stat st;
	umask(022);
	SHOW(open("missing", O_RDONLY));
	SHOW(open("f", O_RDWR | O_CREAT, 0666));
	MUST(fstat(3, &st));
	printf("mode after umask 022: %o\n", st.st_mode & 07777);
	SHOW(open("f", O_RDWR | O_CREAT | O_EXCL, 0644));
	SHOW(open("f", O_RDONLY | O_DIRECTORY));
	SHOW(open("f/", O_RDONLY));
	SHOW(open("f/x", O_RDONLY));
	SHOW(open("", O_RDONLY));
	SHOW(syscall(SYS_open, (void *)1, O_RDONLY));
	SHOW(syscall(SYS_open, "new", O_RDWR | O_CREAT | O_DIRECTORY, 0644));
	SHOW(open("newdir/", O_RDWR | O_CREAT, 0644));
	SHOW(open(".", O_WRONLY));
	SHOW(open(".", O_RDONLY));
	SHOW(close(4));
	MUST(symlink("f", "link"));
	SHOW(open("link", O_RDONLY | O_NOFOLLOW));
	SHOW(open("link", O_RDONLY));
	SHOW(open("link", O_PATH | O_NOFOLLOW));
	SHOW(close(4));
	SHOW(close(5));

	/* Lowest free number is reused. */
	SHOW(write(3, "0123456789", 10));
	SHOW(close(3));
	SHOW(close(3));
	SHOW(close(-1));
	SHOW(open("f", O_RDWR | O_APPEND));
	SHOW(lseek(3, 0, SEEK_CUR));
	SHOW(write(3, "ab", 2));
	SHOW(lseek(3, 0, SEEK_CUR));
	SHOW(close(3));
	SHOW(open("f", O_RDWR | O_TRUNC));
	MUST(fstat(3, &st));
	printf("size after O_TRUNC: %ld\n", (long)st.st_size);
	SHOW(close(3));

	SHOW(creat("c", 0600));
	MUST(fstat(3, &st));
	printf("creat mode: %o size: %ld\n", st.st_mode & 07777, (long)st.st_size);
	SHOW(write(3, "xyz", 3));
	SHOW(read(3, &st, 1));
	SHOW(creat("c", 0644));
	MUST(fstat(4, &st));
	printf("creat again truncates: size %ld, mode kept %o\n", (long)st.st_size, st.st_mode & 07777);
	SHOW(close(3));
	SHOW(close(4));

	MUST(mkdir("d", 0755));
	int dfd = SHOW(open("d", O_RDONLY | O_DIRECTORY));
	SHOW(openat(dfd, "inner", O_WRONLY | O_CREAT, 0600));
	SHOW(close(4));
	SHOW(openat(AT_FDCWD, "d/inner", O_RDONLY));
	SHOW(close(4));
	SHOW(openat(dfd, "../f", O_RDONLY));
	SHOW(close(4));
	SHOW(openat(99, "f", O_RDONLY));
	SHOW(openat(99, "/dev/null", O_RDONLY));
	SHOW(close(4));
	int ffd = MUST(open("f", O_RDONLY));
	SHOW(openat(ffd, "x", O_RDONLY));
	SHOW(close(ffd));
	SHOW(close(dfd));
}

static void close_ranges(void)
{
	for (int i = 0; i < 6; i++)
		MUST(open("/dev/null", O_RDONLY));	/* fds 3..8 */
	SHOW(syscall(SYS_close_range, 5, 6, 0));
	SHOW(syscall(SYS_close_range, 7, 7, CLOSE_RANGE_CLOEXEC));
	for (int fd = 3; fd <= 9; fd++) {
		errno = 0;
		int flags = fcntl(fd, F_GETFD);
		printf("fd %d: %s\n", fd, flags < 0 ? errno_name(errno) : flags ? "cloexec" : "open");
	}
	SHOW(syscall(SYS_close_range, 6, 5, 0));
	SHOW(syscall(SYS_close_range, 3, 4, 0x80));
	SHOW(syscall(SYS_close_range, 100, 200, 0));
	SHOW(syscall(SYS_close_range, 3, ~0U, 0));
	SHOW(fcntl(8, F_GETFD));
	SHOW(open("/dev/null", O_RDONLY));
	SHOW(close(3));
}

static void seeks(void)
{
	char page[4096];
	memset(page, 'd', sizeof page);
	int fd = MUST(open("sparse", O_RDWR | O_CREAT | O_TRUNC, 0644));
	SHOW(write(fd, page, sizeof page));
	SHOW(pwrite(fd, page, sizeof page, 1 << 20));
	SHOW(lseek(fd, 0, SEEK_END));
	SHOW(lseek(fd, 10, SEEK_SET));
	SHOW(lseek(fd, 5, SEEK_CUR));
	SHOW(lseek(fd, -5, SEEK_CUR));
	SHOW(lseek(fd, -1, SEEK_SET));
	SHOW(lseek(fd, -100, SEEK_CUR));
	SHOW(lseek(fd, 0, SEEK_CUR));
	SHOW(lseek(fd, -10, SEEK_END));
	SHOW(lseek(fd, 1 << 21, SEEK_END));
	SHOW(lseek(fd, 10, SEEK_SET));
	SHOW(lseek(fd, LLONG_MAX, SEEK_CUR));
	SHOW(lseek(fd, 0, 5));
	SHOW(lseek(fd, 0, SEEK_DATA));
	SHOW(lseek(fd, 0, SEEK_HOLE));
	SHOW(lseek(fd, 4096, SEEK_DATA));
	SHOW(lseek(fd, 4096, SEEK_HOLE));
	SHOW(lseek(fd, (1 << 20) + 10, SEEK_HOLE));
	SHOW(lseek(fd, (1 << 20) + 4096, SEEK_DATA));
	SHOW(lseek(fd, (1 << 20) + 4096, SEEK_HOLE));
	SHOW(lseek(fd, 1 << 22, SEEK_DATA));
	SHOW(lseek(fd, 1 << 22, SEEK_HOLE));
	SHOW(lseek(fd, -1, SEEK_DATA));
	/* Seeking past EOF is allowed; a write there extends the file. */
	SHOW(lseek(fd, 3 << 20, SEEK_SET));
	SHOW(write(fd, "!", 1));
	SHOW(lseek(fd, 0, SEEK_END));
	SHOW(close(fd));
	SHOW(lseek(fd, 0, SEEK_SET));
	fd = MUST(open("/dev/null", O_RDONLY));
	SHOW(lseek(fd, 100, SEEK_SET));
	SHOW(lseek(fd, 0, SEEK_END));
	MUST(close(fd));
}

int main(void)
{
	tmpdir_enter();
	opens();
	close_ranges();
	seeks();
	tmpdir_leave();
	return 0;
}
