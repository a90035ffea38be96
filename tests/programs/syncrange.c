/* sync_file_range(2): flag and range checks, the file types it accepts, and that it works
 * on written files and shared mappings (in /tmp and on tmpfs). */
#include "common.h"
#include <sys/eventfd.h>
#include <sys/mman.h>

#define WAIT_BEFORE SYNC_FILE_RANGE_WAIT_BEFORE
#define WRITE SYNC_FILE_RANGE_WRITE
#define WAIT_AFTER SYNC_FILE_RANGE_WAIT_AFTER

static void on_file(const char *where)
{
	printf("-- %s\n", where);
	int fd = MUST(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	MUST(write(fd, "hello world", 11));
	SHOW(sync_file_range(fd, 0, 0, WRITE));
	SHOW(sync_file_range(fd, 0, 0, WAIT_BEFORE | WRITE | WAIT_AFTER));
	SHOW(sync_file_range(fd, 0, 0, 0));
	SHOW(sync_file_range(fd, 4096, 4096, WAIT_AFTER));
	SHOW(sync_file_range(fd, 1LL << 40, 1, WRITE));
	/* Through a shared mapping. */
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		printf("mmap failed: %s\n", errno_name(errno));
	} else {
		memcpy(m, "HELLO", 5);
		SHOW(sync_file_range(fd, 0, 5, WRITE | WAIT_AFTER));
		char buf[16] = {0};
		int rd = MUST(open("f", O_RDONLY));
		SHOW(pread(rd, buf, 11, 0));
		printf("file holds %s\n", buf);
		MUST(close(rd));
		MUST(munmap(m, 4096));
	}
	/* Flags and ranges. */
	SHOW(sync_file_range(fd, 0, 0, 8));
	SHOW(sync_file_range(fd, 0, 0, -1));
	SHOW(sync_file_range(fd, -1, 0, WRITE));
	SHOW(sync_file_range(fd, 0, -1, WRITE));
	SHOW(sync_file_range(fd, 10, -5, WRITE));
	SHOW(sync_file_range(fd, 0x7fffffffffffffffLL, 1, WRITE));
	SHOW(sync_file_range(fd, 0x7fffffffffffffffLL, 0, WRITE));
	SHOW(sync_file_range(fd, 1, 0x7fffffffffffffffLL - 1, WRITE));
	MUST(close(fd));
	/* Any open mode will do. */
	fd = MUST(open("f", O_RDONLY));
	SHOW(sync_file_range(fd, 0, 0, WRITE | WAIT_AFTER));
	MUST(close(fd));
	fd = MUST(open("f", O_PATH));
	SHOW(sync_file_range(fd, 0, 0, WRITE));
	MUST(close(fd));
	fd = MUST(open(".", O_RDONLY | O_DIRECTORY));
	SHOW(sync_file_range(fd, 0, 0, WRITE));
	MUST(close(fd));
	MUST(unlink("f"));
}

int main(void)
{
	tmpdir_enter();
	on_file("/tmp");
	char dir[64];
	snprintf(dir, sizeof dir, "/dev/shm/rvt-syncrange-%d", (int)getpid());
	MUST(mkdir(dir, 0755));
	MUST(chdir(dir));
	on_file("tmpfs");
	MUST(chdir("/"));
	MUST(rmdir(dir));

	printf("-- other files\n");
	SHOW(sync_file_range(999, 0, 0, WRITE));
	SHOW(sync_file_range(999, 0, 0, 8));
	int p[2];
	MUST(pipe(p));
	SHOW(sync_file_range(p[0], 0, 0, WRITE));
	SHOW(sync_file_range(p[1], 0, 0, 8));
	MUST(close(p[0]));
	MUST(close(p[1]));
	int fd = MUST(open("/dev/null", O_WRONLY));
	SHOW(sync_file_range(fd, 0, 0, WRITE));
	MUST(close(fd));
	fd = MUST(eventfd(0, 0));
	SHOW(sync_file_range(fd, 0, 0, WRITE));
	MUST(close(fd));
	tmpdir_leave();
	return 0;
}
