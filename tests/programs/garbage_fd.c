/* garbage_fd: the fd families (read/write and their vector and positional forms, lseek,
 * close, close_range, dup*, fcntl, ioctl, fsync, ftruncate, getdents, fchdir, fchmod,
 * fchown, fstat, syncfs) given bad pointers, lengths, fds, flags and whence values; each
 * must fail (or succeed) with the errno Linux gives. See garbage.h for the names.
 *
 * Left out on purpose: writes to stdout/stderr (a huge length would copy garbage out),
 * lseek/ftruncate/pwrite at huge offsets (the answer depends on the filesystem's maximum
 * file size: ext4 and tmpfs differ), F_SETFL with O_DIRECT on a file (filesystem-dependent),
 * and the fcntl commands the table documents as not implemented (record locks, leases,
 * owners, seals, pipe sizes). */
#include "garbage.h"
#include <sys/ioctl.h>
#include <sys/uio.h>

static int rw, rdonly, wronly, dir, devnull, opath;
static char buf[256];
static struct iovec iov[2];

/* Puts "0123456789" back in f and every offset at 0, so that one call that goes wrong in
 * the sandbox (writes too much, moves an offset) does not change the lines after it. */
static void fresh(void)
{
	MUST(ftruncate(rw, 0));
	MUST(pwrite(rw, "0123456789", 10, 0));
	MUST(lseek(rw, 0, SEEK_SET));
	MUST(lseek(rdonly, 0, SEEK_SET));
	MUST(lseek(wronly, 0, SEEK_SET));
}

/* T on a fresh file. */
#define TF(name, ...) \
	(fresh(), rvt_show(#name "(" #__VA_ARGS__ ")", RVT_SYSCALL(name, __VA_ARGS__), 1))

static void reads(void)
{
	T(read, -1, buf, 10);
	TF(read, BIGFD, buf, 10);
	TF(read, CLOSED, buf, 10);
	TF(read, INT_MAX, buf, 10);
	T(read, -1, BAD1, 10);
	TF(read, wronly, buf, 10);
	TF(read, wronly, BAD1, 10);
	TF(read, opath, buf, 10);
	TF(read, dir, buf, 10);
	TF(read, dir, BAD1, 10);
	TF(read, rdonly, BAD1, 10);
	TF(read, rdonly, BADM1, 10);
	TF(read, rdonly, NONE, 10);
	TF(read, rdonly, HOLE, 10);
	TF(read, rdonly, RO, 10);
	TF(read, rdonly, NONCANON, 10);
	TF(read, rdonly, BAD1, 0);
	TF(read, rdonly, buf, SZMAX);
	TF(read, rdonly, EDGE_END(4), 10);
	T(read, rdonly, EDGE_END(4), 10);
	T(read, rdonly, buf, 100);
	TF(read, devnull, BAD1, 10);
	TF(read, devnull, buf, SZMAX);
	TF(pread64, rdonly, buf, 10, -1);
	TF(pread64, rdonly, buf, 10, LLONG_MIN);
	TF(pread64, rdonly, BAD1, 10, 0);
	TF(pread64, rdonly, RO, 10, 0);
	TF(pread64, rdonly, buf, 10, 1000);
	TF(pread64, rdonly, EDGE_END(3), 10, 0);
	TF(pread64, dir, buf, 10, 0);
	TF(pread64, wronly, buf, 10, 0);
	T(pread64, -1, buf, 10, -1);
	TF(pread64, devnull, buf, 10, -1);
}

static void writes(void)
{
	T(write, -1, "x", 1);
	TF(write, CLOSED, "x", 1);
	TF(write, rdonly, "x", 1);
	TF(write, rdonly, BAD1, 1);
	TF(write, opath, "x", 1);
	TF(write, dir, "x", 1);
	TF(write, rw, BAD1, 10);
	TF(write, rw, BADM1, 10);
	TF(write, rw, NONE, 10);
	TF(write, rw, HOLE, 10);
	TF(write, rw, NONCANON, 10);
	TF(write, rw, BAD1, 0);
	TF(write, rw, buf, SZMAX);
	TF(write, devnull, BAD1, 10);
	TF(write, devnull, buf, SZMAX);
	memset(EDGE, 'e', PAGE);
	TF(write, rw, EDGE_END(4), 10);
	T(lseek, rw, 0, SEEK_CUR);
	TF(pwrite64, rw, "x", 1, -1);
	TF(pwrite64, rw, BAD1, 1, 0);
	TF(pwrite64, rw, EDGE_END(2), 10, 20);
	TF(pwrite64, rdonly, "x", 1, 0);
	TF(pwrite64, dir, "x", 1, 0);
	T(pwrite64, -1, "x", 1, -1);
	T(lseek, rw, 0, SEEK_END);
}

static void vectors(void)
{
	iov[0] = (struct iovec){ buf, 5 };
	iov[1] = (struct iovec){ BAD1, 5 };
	T(readv, -1, iov, 1);
	TF(readv, rdonly, BAD1, 1);
	TF(readv, rdonly, NONE, 1);
	TF(readv, rdonly, iov, -1);
	TF(readv, rdonly, iov, 1025);
	TF(readv, rdonly, iov, INT_MAX);
	TF(readv, rdonly, BAD1, 0);
	TF(readv, rdonly, iov, 2);
	T(lseek, rdonly, 0, SEEK_CUR);
	iov[0] = (struct iovec){ BAD1, 5 };
	TF(readv, rdonly, iov, 1);
	iov[0] = (struct iovec){ BAD1, 0 };
	TF(readv, rdonly, iov, 1);
	iov[0] = (struct iovec){ buf, SZMAX };
	TF(readv, rdonly, iov, 1);
	iov[0] = (struct iovec){ buf, SSIZE_MAX };
	iov[1] = (struct iovec){ buf, 1 };
	TF(readv, rdonly, iov, 2);
	iov[0] = (struct iovec){ RO, 5 };
	TF(readv, rdonly, iov, 1);
	TF(readv, wronly, iov, 1);
	TF(readv, dir, iov, 1);

	iov[0] = (struct iovec){ "hello", 5 };
	iov[1] = (struct iovec){ NONE, 5 };
	T(writev, -1, iov, 1);
	TF(writev, rw, BAD1, 1);
	TF(writev, rw, iov, -1);
	TF(writev, rw, iov, 1025);
	TF(writev, rw, iov, 2);
	T(lseek, rw, 0, SEEK_CUR);
	iov[0] = (struct iovec){ BAD1, 0 };
	TF(writev, rw, iov, 1);
	iov[0] = (struct iovec){ buf, SSIZE_MAX };
	iov[1] = (struct iovec){ buf, 1 };
	TF(writev, rw, iov, 2);
	TF(writev, rdonly, iov, 1);

	iov[0] = (struct iovec){ buf, 4 };
	TF(preadv, rdonly, iov, 1, -1, 0);
	TF(preadv, rdonly, iov, 1, 2, 0xdeadbeef);
	TF(preadv, rdonly, iov, -1, 0, 0);
	TF(preadv, rdonly, BAD1, 1, 0, 0);
	TF(preadv, dir, iov, 1, 0, 0);
	TF(pwritev, rw, iov, 1, -1, 0);
	TF(pwritev, rw, iov, 1, 0, 0xdeadbeef);
	TF(pwritev, rdonly, iov, 1, 0, 0);
	TF(preadv2, rdonly, iov, 1, 0, 0, ~0);
	TF(preadv2, rdonly, iov, 1, 0, 0, 0x80000000);
	TF(preadv2, rdonly, iov, 1, -1, 0, 0);
	TF(preadv2, rdonly, iov, 1, -2, 0, 0);
	TF(preadv2, rdonly, BAD1, 1, 0, 0, 0);
	TF(pwritev2, rw, iov, 1, 0, 0, ~0);
	TF(pwritev2, rw, iov, 1, 0, 0, 0x80000000);
	TF(pwritev2, rw, iov, 1, -2, 0, 0);
	TF(pwritev2, rdonly, iov, 1, 0, 0, 0);
}

static void seeks(void)
{
	fresh();
	T(lseek, -1, 0, SEEK_SET);
	T(lseek, CLOSED, 0, SEEK_SET);
	T(lseek, opath, 0, SEEK_SET);
	T(lseek, rdonly, 0, 5);
	T(lseek, rdonly, 0, -1);
	T(lseek, rdonly, 0, INT_MAX);
	T(lseek, rdonly, -1, SEEK_SET);
	T(lseek, rdonly, LLONG_MIN, SEEK_SET);
	T(lseek, rdonly, 2, SEEK_SET);
	T(lseek, rdonly, -3, SEEK_CUR);
	T(lseek, rdonly, -100, SEEK_END);
	T(lseek, rdonly, 1000, SEEK_DATA);
	T(lseek, rdonly, 1000, SEEK_HOLE);
	T(lseek, rdonly, -1, SEEK_DATA);
	T(lseek, rdonly, 0, SEEK_CUR);
	T(lseek, devnull, 12345, SEEK_SET);
	T(lseek, devnull, -1, SEEK_SET);
	T(lseek, devnull, 0, 99);
}

static void fds(void)
{
	T(close, -1);
	T(close, BIGFD);
	T(close, CLOSED);
	T(close, INT_MAX);
	T(close_range, 10, 5, 0);
	T(close_range, 3, ~0U, ~0U);
	T(close_range, 3, ~0U, 0x80);
	T(close_range, BIGFD, ~0U, 0);
	T(close_range, 400, 450, 4);
	T(dup, -1);
	T(dup, CLOSED);
	T(dup, BIGFD);
	T(dup2, -1, 20);
	T(dup2, CLOSED, 20);
	T(dup2, rw, -1);
	T(dup2, rw, INT_MAX);
	T(dup2, rw, rw);
	T(dup2, CLOSED, CLOSED);
	T(dup3, rw, rw, 0);
	T(dup3, rw, 20, ~0);
	T(dup3, rw, 20, 1);
	T(dup3, -1, 20, 0);
	T(dup3, rw, -1, 0);
	T(fcntl, -1, F_GETFD);
	T(fcntl, CLOSED, F_GETFL);
	T(fcntl, rw, -1);
	T(fcntl, rw, 9999);
	T(fcntl, rw, F_DUPFD, -1);
	T(fcntl, rw, F_DUPFD, INT_MAX);
	T(fcntl, rw, F_DUPFD_CLOEXEC, -1);
	T(fcntl, opath, F_GETFD);
	T(fcntl, opath, F_DUPFD, 30);
	T(close, 30);
	T(fcntl, rw, F_SETFD, ~0);
	T(fcntl, rw, F_GETFD);
	T(fcntl, rw, F_SETFD, 0);
	T(fcntl, devnull, F_SETFL, ~0);
	T(fcntl, rw, F_SETFL, 0x40000000);
	T(fcntl, rw, F_GETFL);
	T(ioctl, -1, FIONREAD, buf);
	T(ioctl, CLOSED, FIOCLEX);
	T(ioctl, opath, FIOCLEX);
	T(ioctl, rw, 0xdeadbeef, 0);
	T(ioctl, rw, TCGETS, buf);
	T(ioctl, rw, TCGETS, BAD1);
	T(ioctl, rw, FIONREAD, BAD1);
	T(ioctl, rw, FIONREAD, RO);
	T(ioctl, rw, FIONBIO, BAD1);
	T(ioctl, rw, FIOASYNC, NONE);
	T(ioctl, devnull, TIOCGWINSZ, buf);
	T(ioctl, dir, FIONREAD, buf);
	T(fsync, -1);
	T(fsync, CLOSED);
	T(fsync, opath);
	T(fdatasync, BIGFD);
	T(fdatasync, opath);
	T(syncfs, -1);
	T(syncfs, opath);
	T(ftruncate, -1, 0);
	T(ftruncate, rw, -1);
	T(ftruncate, rw, LLONG_MIN);
	T(ftruncate, rdonly, 0);
	T(ftruncate, dir, 0);
	T(ftruncate, opath, 0);
	T(ftruncate, devnull, 0);
	T(fchdir, -1);
	T(fchdir, CLOSED);
	T(fchdir, rw);
	T(fchmod, -1, 0644);
	T(fchmod, opath, 0644);
	T(fchown, -1, 0, 0);
	T(fchown, opath, 0, 0);
	T(fstat, -1, buf);
	T(fstat, CLOSED, buf);
	T(fstat, rw, BAD1);
	T(fstat, rw, RO);
	T(fstat, rw, NONE);
	T(fstat, rw, EDGE_END(8));
}

/* Each call starts from the beginning of the directory: past the end, every call is 0. */
#define DT(name, ...) \
	(MUST(lseek(dir, 0, SEEK_SET)), \
	 rvt_show(#name "(" #__VA_ARGS__ ")", RVT_SYSCALL(name, __VA_ARGS__), 1))

static void dirents(void)
{
	DT(getdents64, -1, buf, sizeof buf);
	DT(getdents64, rw, buf, sizeof buf);
	DT(getdents64, opath, buf, sizeof buf);
	DT(getdents64, dir, BAD1, sizeof buf);
	DT(getdents64, dir, RO, sizeof buf);
	DT(getdents64, dir, buf, 0);
	DT(getdents64, dir, buf, 1);
	DT(getdents64, dir, buf, 23);
	DT(getdents64, dir, buf, -1);
	DT(getdents64, dir, EDGE_END(12), 100);
	DT(getdents64, dir, EDGE_END(30), 100);
	DT(getdents, -1, buf, sizeof buf);
	DT(getdents, rw, buf, sizeof buf);
	DT(getdents, dir, BAD1, sizeof buf);
	DT(getdents, dir, NONE, sizeof buf);
	DT(getdents, dir, buf, 1);
	DT(getdents, dir, buf, SZMAX);
}

int main(void)
{
	tmpdir_enter();
	garbage_init();
	write_file("f", "0123456789");
	rw = MUST(open("f", O_RDWR));
	rdonly = MUST(open("f", O_RDONLY));
	wronly = MUST(open("f", O_WRONLY));
	dir = MUST(open(".", O_RDONLY | O_DIRECTORY));
	devnull = MUST(open("/dev/null", O_RDWR));
	opath = MUST(open("f", O_PATH));
	reads();
	writes();
	vectors();
	seeks();
	fds();
	dirents();
	tmpdir_leave();
	return 0;
}
