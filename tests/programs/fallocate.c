/* fallocate(2): allocation with and without KEEP_SIZE, hole punching, the modes tmpfs
 * refuses, and the argument and file-type checks. On tmpfs (/dev/shm) throughout; the
 * modes every filesystem has are also tried in /tmp. */
#include "common.h"
#include <linux/falloc.h>
#include <sys/eventfd.h>

static void show_size(const char *what, int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		printf("%s: fstat -1 %s\n", what, errno_name(errno));
	else
		printf("%s: size %ld\n", what, (long)st.st_size);
}

static long blocks(int fd)
{
	struct stat st;
	return fstat(fd, &st) < 0 ? -1 : (long)st.st_blocks;
}

static void show_bytes(int fd, off_t off, int len)
{
	unsigned char b[64];
	ssize_t n = pread(fd, b, len, off);
	printf("bytes at %ld:", (long)off);
	for (ssize_t i = 0; i < n; i++)
		printf("%c", b[i] ? b[i] : '0');
	printf("\n");
}

/* Fills `len` bytes from `off` with 'x'. */
static void fill(int fd, off_t off, size_t len)
{
	static char buf[1 << 16];
	memset(buf, 'x', sizeof buf);
	while (len > 0) {
		size_t n = len < sizeof buf ? len : sizeof buf;
		MUST(pwrite(fd, buf, n, off));
		off += n;
		len -= n;
	}
}

static void common_modes(const char *where)
{
	printf("-- %s\n", where);
	int fd = MUST(open("a", O_RDWR | O_CREAT | O_TRUNC, 0644));
	SHOW(fallocate(fd, 0, 0, 3 * 4096));
	show_size("after allocate", fd);
	SHOW(fallocate(fd, FALLOC_FL_KEEP_SIZE, 3 * 4096, 8192));
	show_size("after keep-size", fd);
	SHOW(fallocate(fd, 0, 100, 10));
	show_size("inside", fd);
	SHOW(fallocate(fd, 0, 20000, 1));
	show_size("grown", fd);
	fill(fd, 0, 20001);
	SHOW(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 10, 5));
	show_bytes(fd, 5, 15);
	SHOW(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 8192));
	show_bytes(fd, 4090, 12);
	show_bytes(fd, 12282, 12);
	SHOW(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 19990, 1000));
	show_size("after punch past the end", fd);
	show_bytes(fd, 19985, 16);
	MUST(close(fd));
	MUST(unlink("a"));
}

static void tmpfs_rules(void)
{
	printf("-- tmpfs\n");
	int fd = MUST(open("t", O_RDWR | O_CREAT | O_TRUNC, 0644));
	SHOW(fallocate(fd, 0, 0, 1 << 20));
	printf("blocks after 1 MiB: %ld\n", blocks(fd));
	SHOW(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1 << 18, 1 << 18));
	printf("blocks after punching 256 KiB: %ld\n", blocks(fd));
	SHOW(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 1 << 20));
	printf("blocks after punching all: %ld\n", blocks(fd));
	show_size("size kept", fd);
	/* Modes tmpfs does not have. */
	SHOW(fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 4096));
	SHOW(fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096));
	SHOW(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096));
	SHOW(fallocate(fd, FALLOC_FL_INSERT_RANGE, 0, 4096));
	SHOW(fallocate(fd, FALLOC_FL_UNSHARE_RANGE, 0, 4096));
	/* Mode combinations no filesystem has. */
	SHOW(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096));
	SHOW(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096));
	SHOW(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096));
	SHOW(fallocate(fd, FALLOC_FL_INSERT_RANGE | FALLOC_FL_COLLAPSE_RANGE, 0, 4096));
	SHOW(fallocate(fd, FALLOC_FL_NO_HIDE_STALE, 0, 4096));
	SHOW(fallocate(fd, 0x100, 0, 4096));
	/* Ranges. */
	SHOW(fallocate(fd, 0, -1, 4096));
	SHOW(fallocate(fd, 0, 0, 0));
	SHOW(fallocate(fd, 0, 0, -4096));
	SHOW(fallocate(fd, 0, 0x7fffffffffffffffLL, 1));
	SHOW(fallocate(fd, 0, 1, 0x7fffffffffffffffLL));
	SHOW(fallocate(fd, 0, 0, 1LL << 50));
	SHOW(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1LL << 50));
	show_size("after refusals", fd);
	MUST(close(fd));

	/* Descriptors and file types. */
	fd = MUST(open("t", O_RDONLY));
	SHOW(fallocate(fd, 0, 0, 4096));
	MUST(close(fd));
	fd = MUST(open("t", O_PATH));
	SHOW(fallocate(fd, 0, 0, 4096));
	MUST(close(fd));
	fd = MUST(open("t", O_WRONLY | O_APPEND));
	SHOW(fallocate(fd, 0, 0, 4096));
	MUST(close(fd));
	SHOW(fallocate(999, 0, 0, 4096));
	fd = MUST(open(".", O_RDONLY | O_DIRECTORY));
	SHOW(fallocate(fd, 0, 0, 4096));
	MUST(close(fd));
	int p[2];
	MUST(pipe(p));
	SHOW(fallocate(p[1], 0, 0, 4096));
	SHOW(fallocate(p[0], 0, 0, 4096));
	SHOW(fallocate(p[1], 0x100, 0, 4096));
	MUST(close(p[0]));
	MUST(close(p[1]));
	fd = MUST(open("/dev/null", O_WRONLY));
	SHOW(fallocate(fd, 0, 0, 4096));
	MUST(close(fd));
	fd = MUST(eventfd(0, 0));
	SHOW(fallocate(fd, 0, 0, 4096));
	MUST(close(fd));
	MUST(unlink("t"));
}

int main(void)
{
	char dir[64];
	snprintf(dir, sizeof dir, "/dev/shm/rvt-fallocate-%d", (int)getpid());
	MUST(mkdir(dir, 0755));
	MUST(chdir(dir));
	common_modes("tmpfs");
	tmpfs_rules();
	MUST(chdir("/"));
	MUST(rmdir(dir));
	tmpdir_enter();
	common_modes("/tmp");
	tmpdir_leave();
	return 0;
}
