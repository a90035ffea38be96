/* splice: sendfile (file to file, file to pipe, with and without an offset pointer, count
 * limits, end of file, the errors), copy_file_range (offsets and positions, flags, same-file
 * overlap, directories and pipes, a memfd and a /tmp file on different filesystems),
 * splice (file to pipe, pipe to file, pipe to pipe, offsets, SPLICE_F_NONBLOCK on an empty
 * or full pipe, end of file, the errors), tee (copies without consuming), and vmsplice
 * (user memory into a pipe and out of it). */
#include "common.h"
#include <limits.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/wait.h>

static void drain(int fd, const char *what)
{
	char buf[256] = { 0 };
	long n = read(fd, buf, sizeof buf - 1);
	if (n < 0)
		printf("%s: read -1 %s\n", what, errno_name(errno));
	else
		printf("%s: read %ld '%s'\n", what, n, buf);
}

static void show_file(const char *path)
{
	char buf[256] = { 0 };
	int fd = MUST(open(path, O_RDONLY));
	long n = read(fd, buf, sizeof buf - 1);
	printf("%s: %ld '%s'\n", path, n, buf);
	close(fd);
}

static void sendfile_tests(void)
{
	write_file("src", "0123456789abcdefghij");
	int in = MUST(open("src", O_RDONLY));
	int out = MUST(open("dst", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	SHOW(sendfile(out, in, NULL, 5));
	SHOW(lseek(in, 0, SEEK_CUR));
	off_t off = 10;
	SHOW(sendfile(out, in, &off, 4));
	printf("off %ld pos %ld\n", (long)off, (long)lseek(in, 0, SEEK_CUR));
	SHOW(sendfile(out, in, NULL, 100));
	SHOW(sendfile(out, in, NULL, 100));
	off = 100;
	SHOW(sendfile(out, in, &off, 5));
	SHOW(sendfile(out, in, NULL, 0));
	show_file("dst");

	/* Errors. */
	off = -1;
	SHOW(sendfile(out, in, &off, 5));
	SHOW(sendfile(out, in, (off_t *)1, 5));
	SHOW(sendfile(in, in, NULL, 5));
	SHOW(sendfile(out, out, NULL, 5));
	SHOW(sendfile(99, in, NULL, 5));
	SHOW(sendfile(out, 99, NULL, 5));
	int app = MUST(open("dst", O_WRONLY | O_APPEND));
	SHOW(lseek(in, 0, SEEK_SET));
	SHOW(sendfile(app, in, NULL, 5));
	close(app);
	int p[2];
	MUST(pipe(p));
	SHOW(sendfile(out, p[0], NULL, 5));
	off = 0;
	SHOW(write(p[1], "xy", 2));
	SHOW(sendfile(out, p[0], &off, 5));
	int dir = MUST(open(".", O_RDONLY | O_DIRECTORY));
	SHOW(sendfile(out, dir, NULL, 5));
	close(dir);

	/* To a pipe. */
	SHOW(lseek(in, 0, SEEK_SET));
	drain(p[0], "pipe");
	SHOW(sendfile(p[1], in, NULL, 7));
	drain(p[0], "pipe");
	off = 15;
	SHOW(sendfile(p[1], in, &off, 100));
	drain(p[0], "pipe");
	SHOW(lseek(in, 0, SEEK_CUR));
	close(p[0]);
	close(p[1]);
	close(in);
	close(out);
}

static void copy_range_tests(void)
{
	write_file("a", "abcdefghijklmnopqrstuvwxyz");
	int in = MUST(open("a", O_RDONLY));
	int out = MUST(open("b", O_RDWR | O_CREAT | O_TRUNC, 0644));
	SHOW(copy_file_range(in, NULL, out, NULL, 5, 0));
	printf("pos in %ld out %ld\n", (long)lseek(in, 0, SEEK_CUR), (long)lseek(out, 0, SEEK_CUR));
	loff_t oi = 20, oo = 10;
	SHOW(copy_file_range(in, &oi, out, &oo, 10, 0));
	printf("offs %ld %ld pos in %ld out %ld\n", (long)oi, (long)oo, (long)lseek(in, 0, SEEK_CUR),
	       (long)lseek(out, 0, SEEK_CUR));
	SHOW(copy_file_range(in, &oi, out, &oo, 10, 0));
	SHOW(copy_file_range(in, NULL, out, NULL, 0, 0));
	SHOW(copy_file_range(in, NULL, out, NULL, 5, 1));
	char buf[32] = { 0 };
	SHOW(pread(out, buf, sizeof buf, 0));
	for (int i = 0; i < 16; i++)
		if (!buf[i])
			buf[i] = '.';
	printf("b: '%s'\n", buf);

	/* Same file: overlapping ranges are refused, disjoint ones copied. */
	int rw = MUST(open("a", O_RDWR));
	oi = 0;
	oo = 5;
	SHOW(copy_file_range(rw, &oi, rw, &oo, 10, 0));
	oi = 0;
	oo = 20;
	SHOW(copy_file_range(rw, &oi, rw, &oo, 3, 0));
	show_file("a");

	/* Errors. */
	SHOW(copy_file_range(out, NULL, in, NULL, 5, 0));
	SHOW(copy_file_range(99, NULL, out, NULL, 5, 0));
	oi = -1;
	SHOW(copy_file_range(in, &oi, out, NULL, 5, 0));
	int app = MUST(open("b", O_WRONLY | O_APPEND));
	SHOW(copy_file_range(in, NULL, app, NULL, 5, 0));
	close(app);
	int dir = MUST(open(".", O_RDONLY | O_DIRECTORY));
	SHOW(copy_file_range(dir, NULL, out, NULL, 5, 0));
	close(dir);
	int p[2];
	MUST(pipe(p));
	SHOW(copy_file_range(p[0], NULL, out, NULL, 5, 0));
	SHOW(copy_file_range(in, NULL, p[1], NULL, 5, 0));
	close(p[0]);
	close(p[1]);
	int m = MUST(syscall(SYS_memfd_create, "m", 0));
	SHOW(copy_file_range(in, NULL, m, NULL, 5, 0));
	close(m);
	close(rw);
	close(in);
	close(out);
}

static void splice_tests(void)
{
	write_file("s", "The quick brown fox jumps");
	int in = MUST(open("s", O_RDONLY));
	int p[2];
	MUST(pipe(p));
	SHOW(splice(in, NULL, p[1], NULL, 9, 0));
	SHOW(lseek(in, 0, SEEK_CUR));
	loff_t off = 10;
	SHOW(splice(in, &off, p[1], NULL, 5, SPLICE_F_MOVE | SPLICE_F_MORE));
	printf("off %ld pos %ld\n", (long)off, (long)lseek(in, 0, SEEK_CUR));
	int out = MUST(open("d", O_RDWR | O_CREAT | O_TRUNC, 0644));
	SHOW(splice(p[0], NULL, out, NULL, 4, 0));
	off = 100;
	SHOW(splice(p[0], NULL, out, &off, 100, 0));
	printf("off %ld pos %ld\n", (long)off, (long)lseek(out, 0, SEEK_CUR));
	char buf[128] = { 0 };
	long n = pread(out, buf, sizeof buf, 0);
	printf("d: %ld, '%.4s' then '%s'\n", n, buf, buf + 100);

	/* Empty pipe: EAGAIN with SPLICE_F_NONBLOCK; no writers: end of file. */
	SHOW(splice(p[0], NULL, out, NULL, 10, SPLICE_F_NONBLOCK));
	/* File at end of file: 0. */
	SHOW(lseek(in, 0, SEEK_END));
	SHOW(splice(in, NULL, p[1], NULL, 10, 0));

	/* Pipe to pipe. */
	int q[2];
	MUST(pipe(q));
	SHOW(write(p[1], "pipe-to-pipe", 12));
	SHOW(splice(p[0], NULL, q[1], NULL, 4, 0));
	SHOW(splice(p[0], NULL, q[1], NULL, 100, 0));
	drain(q[0], "q");
	SHOW(splice(p[0], NULL, p[1], NULL, 4, 0));

	/* A full pipe with SPLICE_F_NONBLOCK. */
	int big = MUST(open("big", O_RDWR | O_CREAT | O_TRUNC, 0644));
	MUST(ftruncate(big, 200000));
	SHOW(fcntl(q[1], F_GETPIPE_SZ));
	SHOW(splice(big, NULL, q[1], NULL, 200000, 0));
	SHOW(splice(big, NULL, q[1], NULL, 100, SPLICE_F_NONBLOCK));
	SHOW(splice(p[0], NULL, q[1], NULL, 100, SPLICE_F_NONBLOCK));
	close(big);
	close(q[0]);
	SHOW(write(p[1], "x", 1));
	signal(SIGPIPE, SIG_IGN);
	SHOW(splice(p[0], NULL, q[1], NULL, 1, 0));
	close(q[1]);
	drain(p[0], "p");

	/* Errors. */
	SHOW(splice(in, NULL, out, NULL, 10, 0));
	SHOW(splice(p[0], &off, out, NULL, 10, 0));
	SHOW(splice(in, NULL, p[1], &off, 10, 0));
	SHOW(splice(in, NULL, p[1], NULL, 10, 0x100));
	SHOW(splice(in, NULL, p[1], NULL, 0, 0x100));
	SHOW(splice(99, NULL, p[1], NULL, 10, 0));
	SHOW(splice(p[1], NULL, out, NULL, 10, 0));
	SHOW(splice(p[0], NULL, in, NULL, 10, 0));
	off = -1;
	SHOW(splice(in, &off, p[1], NULL, 10, 0));
	SHOW(splice(in, (loff_t *)1, p[1], NULL, 10, 0));
	int app = MUST(open("d", O_WRONLY | O_APPEND));
	SHOW(write(p[1], "zz", 2));
	SHOW(splice(p[0], NULL, app, NULL, 10, 0));
	close(app);
	drain(p[0], "p");

	/* A blocking splice from a pipe waits for a writer's data. */
	pid_t c = MUST(fork());
	if (c == 0) {
		usleep(50000);
		write(p[1], "late", 4);
		_exit(0);
	}
	SHOW(splice(p[0], NULL, out, NULL, 10, 0));
	int status;
	MUST(waitpid(c, &status, 0));
	close(p[1]);
	SHOW(splice(p[0], NULL, out, NULL, 10, 0));
	close(p[0]);
	close(in);
	close(out);
}

static void tee_vmsplice_tests(void)
{
	int p[2], q[2];
	MUST(pipe(p));
	MUST(pipe(q));
	SHOW(write(p[1], "tee data", 8));
	SHOW(tee(p[0], q[1], 3, 0));
	SHOW(tee(p[0], q[1], 100, 0));
	drain(q[0], "q");
	drain(p[0], "p");
	SHOW(tee(p[0], q[1], 10, SPLICE_F_NONBLOCK));
	SHOW(tee(p[0], p[1], 10, 0));
	int f = MUST(open("t", O_RDWR | O_CREAT, 0644));
	SHOW(tee(f, q[1], 10, 0));
	SHOW(tee(p[0], f, 10, 0));
	SHOW(tee(p[0], q[1], 10, 0x100));
	SHOW(tee(p[0], q[1], 0, 0));
	close(f);

	char a[] = "hello ", b[] = "vmsplice";
	struct iovec iov[2] = { { a, 6 }, { b, 8 } };
	SHOW(vmsplice(p[1], iov, 2, 0));
	char x[5] = { 0 }, y[20] = { 0 };
	struct iovec out[2] = { { x, 4 }, { y, 19 } };
	SHOW(vmsplice(p[0], out, 2, 0));
	printf("x '%s' y '%s'\n", x, y);
	SHOW(vmsplice(p[0], out, 2, SPLICE_F_NONBLOCK));
	SHOW(vmsplice(p[1], iov, 0, 0));
	SHOW(vmsplice(p[1], iov, 2, 0x100));
	SHOW(vmsplice(99, iov, 2, 0));
	SHOW(vmsplice(f, iov, 2, 0));
	SHOW(vmsplice(p[1], iov, 2000, 0));
	struct iovec bad = { (void *)1, 10 };
	SHOW(vmsplice(p[1], &bad, 1, 0));
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

int main(void)
{
	tmpdir_enter();
	sendfile_tests();
	copy_range_tests();
	splice_tests();
	tee_vmsplice_tests();
	tmpdir_leave();
	return 0;
}
