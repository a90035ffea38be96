/* MAP_SHARED mappings of a regular file stay coherent with read(2) and
 * write(2) and reach the file: after msync, after munmap, after close of
 * the fd while mapped, across fork. Under `--overlay2=none` the file is a
 * host file behind the Gofer (page-cache frames written back); under the
 * default overlay it is a tmpfs file. */
#include "common.h"
#include <sys/mman.h>
#include <sys/wait.h>

#define PAGE 4096
#define LEN (3 * PAGE)

static char buf[LEN];

static int readback(const char *path, off_t off, const char *want)
{
	int fd = MUST(open(path, O_RDONLY));
	size_t n = strlen(want);
	char got[64] = { 0 };
	ssize_t r = pread(fd, got, n, off);
	close(fd);
	return r == (ssize_t)n && memcmp(got, want, n) == 0;
}

int main(void)
{
	tmpdir_enter();
	int fd = MUST(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	SHOW(ftruncate(fd, LEN));
	char *m = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	if (m == MAP_FAILED)
		return 1;

	/* Stores through the mapping show in read(2) at once. */
	memcpy(m + 10, "through-map", 11);
	memcpy(m + PAGE + 5, "page-two", 8);
	SHOW(pread(fd, buf, 11, 10));
	CHECK(memcmp(buf, "through-map", 11) == 0);
	SHOW(pread(fd, buf, 8, PAGE + 5));
	CHECK(memcmp(buf, "page-two", 8) == 0);

	/* write(2) shows in the mapping. */
	SHOW(pwrite(fd, "by-write", 8, 100));
	CHECK(memcmp(m + 100, "by-write", 8) == 0);

	/* msync, then another open of the file sees the stores. */
	memcpy(m + 2 * PAGE, "synced", 6);
	SHOW(msync(m, LEN, MS_SYNC));
	CHECK(readback("f", 2 * PAGE, "synced"));
	SHOW(msync(m, LEN, MS_ASYNC));

	/* A child's stores through the inherited shared mapping. */
	pid_t p = fork();
	if (p == 0) {
		memcpy(m + 300, "from-child", 10);
		_exit(0);
	}
	int st;
	SHOW(waitpid(p, &st, 0) == p);
	CHECK(memcmp(m + 300, "from-child", 10) == 0);

	/* Closing the fd keeps the mapping; munmap writes it back. */
	SHOW(close(fd));
	memcpy(m + 400, "after-close", 11);
	SHOW(munmap(m, LEN));
	CHECK(readback("f", 400, "after-close"));
	CHECK(readback("f", 300, "from-child"));
	CHECK(readback("f", 10, "through-map"));

	/* A read-only shared mapping of a file open read-only cannot write. */
	fd = MUST(open("f", O_RDONLY));
	m = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m == MAP_FAILED && errno == EACCES);
	m = mmap(NULL, LEN, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED && memcmp(m + 400, "after-close", 11) == 0);
	SHOW(mprotect(m, PAGE, PROT_READ | PROT_WRITE));
	SHOW(munmap(m, LEN));
	SHOW(close(fd));

	/* The size did not change; the rest of the file is zeros. */
	struct stat sb;
	SHOW(stat("f", &sb));
	SHOW(sb.st_size);
	fd = MUST(open("f", O_RDONLY));
	SHOW(pread(fd, buf, LEN, 0));
	int zeros = 1;
	for (int i = 2 * PAGE + 6; i < LEN; i++)
		zeros &= buf[i] == 0;
	CHECK(zeros);
	SHOW(close(fd));
	tmpdir_leave();
	return 0;
}
