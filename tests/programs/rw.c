/* rw: read/write/readv/writev/pread64/pwrite64/preadv/pwritev.
 * Byte counts, data read back, file offsets after each call, holes, O_APPEND, and the
 * error cases (EBADF, EFAULT, EINVAL, EISDIR, ENOSPC) on a file in /tmp, /dev/null,
 * /dev/zero and /dev/full. */
#include "common.h"
#include <sys/uio.h>

static void print_bytes(const char *label, const char *buf, long n)
{
	printf("%s [", label);
	for (long i = 0; i < n; i++)
		putchar(buf[i] >= 32 && buf[i] < 127 ? buf[i] : '.');
	printf("]\n");
}

static int all_zero(const char *buf, long n)
{
	for (long i = 0; i < n; i++)
		if (buf[i])
			return 0;
	return 1;
}

static void file_io(void)
{
	char buf[64];
	long n;
	int fd = MUST(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	SHOW(write(fd, "hello world\n", 12));
	SHOW(write(fd, buf, 0));
	SHOW(lseek(fd, 0, SEEK_CUR));
	SHOW(pwrite(fd, "HELLO", 5, 0));
	SHOW(lseek(fd, 0, SEEK_CUR));
	n = SHOW(pread(fd, buf, sizeof buf, 0));
	print_bytes("pread", buf, n);
	SHOW(read(fd, buf, sizeof buf));
	SHOW(lseek(fd, 0, SEEK_SET));
	n = SHOW(read(fd, buf, 5));
	print_bytes("read", buf, n);
	SHOW(lseek(fd, 0, SEEK_CUR));

	struct iovec wv[3] = { { "ab", 2 }, { NULL, 0 }, { "cde", 3 } };
	SHOW(lseek(fd, 0, SEEK_END));
	SHOW(writev(fd, wv, 3));
	SHOW(lseek(fd, 0, SEEK_CUR));
	char a[4], b[20];
	struct iovec rv[2] = { { a, sizeof a }, { b, sizeof b } };
	SHOW(lseek(fd, 0, SEEK_SET));
	n = SHOW(readv(fd, rv, 2));
	print_bytes("readv[0]", a, sizeof a);
	print_bytes("readv[1]", b, n - (long)sizeof a);
	SHOW(readv(fd, rv, 0));

	SHOW(pwritev(fd, wv, 3, 100));
	struct stat st;
	MUST(fstat(fd, &st));
	printf("size after pwritev at 100: %ld\n", (long)st.st_size);
	n = SHOW(preadv(fd, rv, 2, 96));
	printf("hole bytes are zero: %s\n", all_zero(a, 4) ? "yes" : "NO");
	print_bytes("preadv[1]", b, n - 4);
	SHOW(pread(fd, buf, 10, 1000));
	SHOW(lseek(fd, 0, SEEK_CUR));

	/* Errors. */
	SHOW(pread(fd, buf, 1, -1));
	SHOW(pwrite(fd, buf, 1, -1));
	SHOW(lseek(fd, 0, SEEK_SET));
	SHOW(syscall(SYS_read, fd, (void *)1, 10));
	SHOW(syscall(SYS_write, fd, (void *)1, 10));
	SHOW(syscall(SYS_pread64, fd, (void *)1, 10, 0));
	SHOW(lseek(fd, 0, SEEK_CUR));
	SHOW(read(-1, buf, 1));
	SHOW(write(1000, buf, 1));
	SHOW(syscall(SYS_readv, fd, rv, -1));
	SHOW(syscall(SYS_readv, fd, rv, 1025));
	SHOW(syscall(SYS_readv, fd, (void *)1, 1));
	struct iovec badv[1] = { { (void *)1, 10 } };
	SHOW(writev(fd, badv, 1));
	MUST(close(fd));

	fd = MUST(open("f", O_RDONLY));
	SHOW(write(fd, "x", 1));
	MUST(close(fd));
	fd = MUST(open("f", O_WRONLY));
	SHOW(read(fd, buf, 1));
	MUST(close(fd));
	fd = MUST(open(".", O_RDONLY | O_DIRECTORY));
	SHOW(read(fd, buf, 1));
	SHOW(write(fd, "x", 1));
	MUST(close(fd));

	/* O_APPEND: writes go to the end; pwrite ignores its offset on Linux. */
	fd = MUST(open("f", O_RDWR | O_APPEND));
	SHOW(write(fd, "<end>", 5));
	SHOW(pwrite(fd, "<pw>", 4, 0));
	n = SHOW(pread(fd, buf, 20, 0));
	print_bytes("start after append", buf, n);
	n = SHOW(pread(fd, buf, 20, 105));
	print_bytes("end after append", buf, n);
	MUST(fstat(fd, &st));
	printf("size after appends: %ld\n", (long)st.st_size);
	MUST(close(fd));
}

static void large_io(void)
{
	enum { LEN = 1 << 20 };
	static char out[LEN], in[LEN];
	for (int i = 0; i < LEN; i++)
		out[i] = (char)(i * 31 + i / 4096);
	int fd = MUST(open("big", O_RDWR | O_CREAT | O_TRUNC, 0600));
	SHOW(write(fd, out, LEN));
	SHOW(pread(fd, in, LEN, 0));
	printf("1 MiB read back equal: %s\n", memcmp(in, out, LEN) == 0 ? "yes" : "NO");
	SHOW(pread(fd, in, LEN, LEN - 100));
	MUST(close(fd));
}

static void devices(void)
{
	char buf[64];
	memset(buf, 'x', sizeof buf);
	int null = MUST(open("/dev/null", O_RDWR));
	SHOW(write(null, "discarded", 9));
	SHOW(read(null, buf, sizeof buf));
	SHOW(pread(null, buf, sizeof buf, 100));
	/* /dev/null never touches the buffer, so a bad pointer is fine. */
	SHOW(syscall(SYS_write, null, (void *)1, 10));
	SHOW(syscall(SYS_read, null, (void *)1, 10));
	MUST(close(null));

	int zero = MUST(open("/dev/zero", O_RDWR));
	SHOW(read(zero, buf, 16));
	printf("/dev/zero gives zeros: %s\n", all_zero(buf, 16) ? "yes" : "NO");
	SHOW(write(zero, "abc", 3));
	memset(buf, 'x', sizeof buf);
	struct iovec zv[2] = { { buf, 8 }, { buf + 8, 8 } };
	SHOW(readv(zero, zv, 2));
	printf("readv of /dev/zero gives zeros: %s\n", all_zero(buf, 16) ? "yes" : "NO");
	SHOW(syscall(SYS_read, zero, (void *)1, 10));
	MUST(close(zero));

	int full = MUST(open("/dev/full", O_RDWR));
	SHOW(write(full, "abc", 3));
	memset(buf, 'x', sizeof buf);
	SHOW(read(full, buf, 16));
	printf("/dev/full reads zeros: %s\n", all_zero(buf, 16) ? "yes" : "NO");
	MUST(close(full));
}

int main(void)
{
	tmpdir_enter();
	file_io();
	large_io();
	devices();
	tmpdir_leave();
	return 0;
}
