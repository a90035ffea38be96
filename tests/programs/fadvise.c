/* posix_fadvise(2) (fadvise64), readahead(2), and the file handle calls, which no
 * filesystem of the sandbox supports: their checks, and advice that changes nothing a
 * program can read. */
#include "common.h"
#include <sys/eventfd.h>
#include <sys/wait.h>

/* The raw call: glibc's posix_fadvise returns the error instead of setting errno. */
static long fadvise(int fd, long off, long len, int advice)
{
	return syscall(SYS_fadvise64, fd, off, len, advice);
}

static void on_file(const char *where)
{
	char buf[16] = {0};
	printf("-- %s\n", where);
	write_file("f", "some data");
	int fd = MUST(open("f", O_RDONLY));
	for (int a = 0; a <= 7; a++) {
		long r = fadvise(fd, 0, 0, a);
		printf("advice %d: %ld %s\n", a, r, r < 0 ? errno_name(errno) : "ok");
	}
	SHOW(fadvise(fd, 0, -1, POSIX_FADV_NORMAL));
	SHOW(fadvise(fd, -1, 0, POSIX_FADV_NORMAL));
	SHOW(fadvise(fd, 0, 4096, -1));
	SHOW(fadvise(fd, 1 << 20, 1 << 20, POSIX_FADV_WILLNEED));
	SHOW(fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	SHOW(pread(fd, buf, sizeof buf, 0));
	printf("still reads %s\n", buf);
	SHOW(readahead(fd, 0, 4096));
	SHOW(readahead(fd, 1 << 20, 1 << 20));
	SHOW(readahead(fd, -1, 4096));
	SHOW(syscall(SYS_readahead, fd, 0L, -1L));
	MUST(close(fd));
	fd = MUST(open("f", O_WRONLY));
	SHOW(fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	SHOW(readahead(fd, 0, 4096));
	MUST(close(fd));
	fd = MUST(open("f", O_PATH));
	SHOW(fadvise(fd, 0, 0, POSIX_FADV_NORMAL));
	SHOW(readahead(fd, 0, 4096));
	MUST(close(fd));
	fd = MUST(open(".", O_RDONLY | O_DIRECTORY));
	SHOW(fadvise(fd, 0, 0, POSIX_FADV_WILLNEED));
	SHOW(fadvise(fd, 0, 0, 9));
	SHOW(readahead(fd, 0, 4096));
	MUST(close(fd));
	MUST(unlink("f"));
}

static void others(void)
{
	printf("-- other files\n");
	SHOW(fadvise(999, 0, 0, POSIX_FADV_NORMAL));
	SHOW(readahead(999, 0, 4096));
	int p[2];
	MUST(pipe(p));
	SHOW(fadvise(p[0], 0, 0, POSIX_FADV_NORMAL));
	SHOW(fadvise(p[0], 0, -1, 99));
	SHOW(readahead(p[0], 0, 4096));
	SHOW(readahead(p[1], 0, 4096));
	MUST(close(p[0]));
	MUST(close(p[1]));
	int fd = MUST(open("/dev/null", O_RDONLY));
	SHOW(fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
	SHOW(fadvise(fd, 0, 0, 6));
	SHOW(readahead(fd, 0, 4096));
	MUST(close(fd));
	fd = MUST(eventfd(0, 0));
	SHOW(fadvise(fd, 0, 0, POSIX_FADV_RANDOM));
	SHOW(readahead(fd, 0, 4096));
	MUST(close(fd));
}

static void handles(void)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[128];
	} h;
	int mount_id;
	printf("-- file handles\n");
	h.fh.handle_bytes = 128;
	SHOW(name_to_handle_at(AT_FDCWD, "/proc/self", &h.fh, &mount_id, 0));
	SHOW(name_to_handle_at(AT_FDCWD, "/proc", &h.fh, &mount_id, AT_SYMLINK_FOLLOW));
	SHOW(name_to_handle_at(AT_FDCWD, "/proc/nonexistent", &h.fh, &mount_id, 0));
	SHOW(name_to_handle_at(AT_FDCWD, "/proc", &h.fh, &mount_id, 0x8000));
	SHOW(name_to_handle_at(999, "self", &h.fh, &mount_id, 0));
	h.fh.handle_bytes = 8;
	h.fh.handle_type = 1;
	memset(h.fh.f_handle, 0x7f, 8);
	SHOW(open_by_handle_at(AT_FDCWD, &h.fh, O_RDONLY));
	SHOW(open_by_handle_at(999, &h.fh, O_RDONLY));
	int fd = MUST(open("/", O_PATH));
	SHOW(open_by_handle_at(fd, &h.fh, O_RDONLY));
	MUST(close(fd));
	h.fh.handle_bytes = 0;
	SHOW(open_by_handle_at(AT_FDCWD, &h.fh, O_RDONLY));
	h.fh.handle_bytes = 129;
	SHOW(open_by_handle_at(AT_FDCWD, &h.fh, O_RDONLY));
	h.fh.handle_bytes = 8;
	h.fh.handle_type = -1;
	SHOW(open_by_handle_at(AT_FDCWD, &h.fh, O_RDONLY));
	SHOW(syscall(SYS_open_by_handle_at, AT_FDCWD, 1L, O_RDONLY));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		MUST(setuid(65534));
		h.fh.handle_type = 1;
		SHOW(open_by_handle_at(AT_FDCWD, &h.fh, O_RDONLY));
		_exit(0);
	}
	int status;
	MUST(waitpid(pid, &status, 0));
}

int main(void)
{
	tmpdir_enter();
	on_file("/tmp");
	char dir[64];
	snprintf(dir, sizeof dir, "/dev/shm/rvt-fadvise-%d", (int)getpid());
	MUST(mkdir(dir, 0755));
	MUST(chdir(dir));
	on_file("tmpfs");
	MUST(chdir(rvt_tmpdir));
	MUST(rmdir(dir));
	others();
	handles();
	tmpdir_leave();
	return 0;
}
