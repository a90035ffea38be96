/* memfd: memfd_create (flags, name length, MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_NOEXEC_SEAL,
 * MFD_EXEC), the file it makes (read/write/lseek/ftruncate/mmap shared between two fds of
 * the same file, fstat, the /proc/self/fd name, reopening through /proc/self/fd) and seals:
 * F_ADD_SEALS/F_GET_SEALS rules (sealing not allowed, F_SEAL_SEAL, read-only fds, unknown
 * bits, files that are not memfds), and each seal's effect on write, ftruncate, fallocate,
 * mmap and chmod, including F_SEAL_WRITE refused while a shared writable mapping exists. */
#include "common.h"
#include <sys/mman.h>
#include <sys/wait.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

static int mfd(const char *name, unsigned flags)
{
	return syscall(SYS_memfd_create, name, flags);
}

static void link_of(int fd)
{
	char path[64], link[128];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	long n = readlink(path, link, sizeof link - 1);
	if (n < 0) {
		printf("readlink: %s\n", errno_name(errno));
		return;
	}
	link[n] = 0;
	printf("link %s\n", link);
}

static void creation(void)
{
	char longname[300];
	memset(longname, 'a', sizeof longname);
	longname[249] = 0;
	int fd = SHOW(mfd(longname, 0));
	close(fd);
	longname[249] = 'a';
	longname[250] = 0;
	SHOW(mfd(longname, 0));
	SHOW(mfd("x", 0x100));
	SHOW(mfd("x", MFD_EXEC | MFD_NOEXEC_SEAL));
	SHOW(mfd(NULL, 0));
	SHOW(syscall(SYS_memfd_create, (void *)1, 0));
	fd = SHOW(mfd("", 0));
	link_of(fd);
	close(fd);

	fd = SHOW(mfd("plain", MFD_CLOEXEC));
	printf("cloexec %d flags %o\n", fcntl(fd, F_GETFD), fcntl(fd, F_GETFL) & ~O_LARGEFILE);
	struct stat st;
	SHOW(fstat(fd, &st));
	printf("mode %o size %ld nlink %ld uid %d\n", st.st_mode, (long)st.st_size, (long)st.st_nlink, st.st_uid == getuid());
	link_of(fd);
	SHOW(fcntl(fd, F_GET_SEALS));
	SHOW(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	close(fd);

	fd = SHOW(mfd("noexec", MFD_NOEXEC_SEAL));
	SHOW(fstat(fd, &st));
	printf("mode %o\n", st.st_mode);
	SHOW(fcntl(fd, F_GET_SEALS));
	SHOW(fchmod(fd, 0777));
	SHOW(fchmod(fd, 0600));
	close(fd);
	fd = SHOW(mfd("exec", MFD_EXEC | MFD_ALLOW_SEALING));
	SHOW(fstat(fd, &st));
	printf("mode %o\n", st.st_mode);
	SHOW(fcntl(fd, F_GET_SEALS));
	close(fd);
}

static void file_ops(void)
{
	int fd = MUST(mfd("data", 0));
	SHOW(write(fd, "hello memfd", 11));
	SHOW(lseek(fd, 0, SEEK_CUR));
	char buf[32] = { 0 };
	SHOW(pread(fd, buf, sizeof buf, 6));
	printf("read '%s'\n", buf);
	SHOW(ftruncate(fd, 8192));
	struct stat st;
	fstat(fd, &st);
	printf("size %ld\n", (long)st.st_size);
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("mmap %s\n", p == MAP_FAILED ? errno_name(errno) : "ok");
	memcpy(p + 4096, "through the map", 15);
	memset(buf, 0, sizeof buf);
	SHOW(pread(fd, buf, 15, 4096));
	printf("read '%s'\n", buf);
	munmap(p, 8192);

	/* Reopening /proc/self/fd/N opens the same file. */
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	int again = SHOW(open(path, O_RDWR));
	memset(buf, 0, sizeof buf);
	SHOW(pread(again, buf, 5, 0));
	printf("read '%s'\n", buf);
	SHOW(write(again, "HELLO", 5));
	memset(buf, 0, sizeof buf);
	SHOW(pread(fd, buf, 5, 0));
	printf("read '%s'\n", buf);
	close(again);

	/* A forked child shares the file. */
	pid_t c = MUST(fork());
	if (c == 0) {
		pwrite(fd, "child", 5, 100);
		_exit(0);
	}
	int status;
	MUST(waitpid(c, &status, 0));
	memset(buf, 0, sizeof buf);
	SHOW(pread(fd, buf, 5, 100));
	printf("read '%s'\n", buf);
	close(fd);
}

static void seals(void)
{
	int fd = MUST(mfd("sealed", MFD_ALLOW_SEALING));
	SHOW(fcntl(fd, F_GET_SEALS));
	SHOW(write(fd, "0123456789", 10));
	SHOW(fcntl(fd, F_ADD_SEALS, 0x1000));
	SHOW(fcntl(fd, F_ADD_SEALS, 0));

	/* F_SEAL_SHRINK and F_SEAL_GROW. */
	SHOW(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
	SHOW(fcntl(fd, F_GET_SEALS));
	SHOW(ftruncate(fd, 5));
	SHOW(ftruncate(fd, 10));
	SHOW(ftruncate(fd, 20));
	SHOW(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
	SHOW(ftruncate(fd, 30));
	SHOW(pwrite(fd, "ab", 2, 19));
	SHOW(pwrite(fd, "ab", 2, 18));
	SHOW(pwrite(fd, "ab", 2, 25));
	SHOW(lseek(fd, 0, SEEK_END));
	SHOW(write(fd, "x", 1));
	SHOW(fallocate(fd, 0, 0, 100));
	SHOW(fallocate(fd, 0, 0, 10));
	SHOW(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 100));

	/* A read-only fd cannot add seals; a shared writable mapping blocks F_SEAL_WRITE. */
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	int ro = SHOW(open(path, O_RDONLY));
	SHOW(fcntl(ro, F_ADD_SEALS, F_SEAL_WRITE));
	SHOW(fcntl(ro, F_GET_SEALS));
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("mmap %s\n", p == MAP_FAILED ? errno_name(errno) : "ok");
	SHOW(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	/* A private writable mapping does not count. */
	char *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	munmap(p, 4096);
	SHOW(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	SHOW(fcntl(fd, F_GET_SEALS));
	q[0] = 'Q';
	munmap(q, 4096);
	SHOW(write(fd, "x", 1));
	SHOW(pwrite(fd, "x", 1, 0));
	SHOW(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("mmap shared rw %s\n", p == MAP_FAILED ? errno_name(errno) : "ok");
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	printf("mmap shared ro %s\n", p == MAP_FAILED ? errno_name(errno) : "ok");
	if (p != MAP_FAILED) {
		SHOW(mprotect(p, 4096, PROT_READ | PROT_WRITE));
		munmap(p, 4096);
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	printf("mmap private rw %s\n", p == MAP_FAILED ? errno_name(errno) : "ok");
	if (p != MAP_FAILED)
		munmap(p, 4096);
	char buf[16] = { 0 };
	SHOW(pread(fd, buf, 10, 0));
	printf("read '%s'\n", buf);

	/* F_SEAL_SEAL ends all changes. */
	SHOW(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
	SHOW(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
	SHOW(fcntl(fd, F_GET_SEALS));
	close(ro);
	close(fd);

	/* F_SEAL_FUTURE_WRITE: existing shared writable mappings keep working. */
	fd = MUST(mfd("future", MFD_ALLOW_SEALING));
	MUST(ftruncate(fd, 4096));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	SHOW(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
	p[0] = 'F';
	SHOW(pread(fd, buf, 1, 0));
	printf("byte %c\n", buf[0]);
	SHOW(pwrite(fd, "x", 1, 0));
	char *r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("mmap shared rw %s\n", r == MAP_FAILED ? errno_name(errno) : "ok");
	SHOW(ftruncate(fd, 8192));
	SHOW(fcntl(fd, F_GET_SEALS));
	munmap(p, 4096);
	close(fd);

	/* F_SEAL_EXEC freezes the exec bits. */
	fd = MUST(mfd("exec", MFD_ALLOW_SEALING));
	SHOW(fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC));
	SHOW(fcntl(fd, F_GET_SEALS));
	SHOW(fchmod(fd, 0666));
	SHOW(fchmod(fd, 0775));
	close(fd);

	/* Files that are not memfds. */
	tmpdir_enter();
	int f = MUST(open("file", O_RDWR | O_CREAT, 0644));
	SHOW(fcntl(f, F_GET_SEALS) == -1 || fcntl(f, F_GET_SEALS) == F_SEAL_SEAL);
	int pp[2];
	MUST(pipe(pp));
	SHOW(fcntl(pp[0], F_GET_SEALS));
	SHOW(fcntl(pp[1], F_ADD_SEALS, F_SEAL_WRITE));
	close(pp[0]);
	close(pp[1]);
	close(f);
	tmpdir_leave();
}

int main(void)
{
	creation();
	file_ops();
	seals();
	return 0;
}
