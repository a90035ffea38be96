/* Host fixtures for the file benchmarks, made by the first (native) run of
 * a program and kept under /var/tmp, so that sandboxed runs read the same
 * host files through the Gofer. Each is built under a private name and
 * renamed into place, so a half-built fixture is never used. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIXTURE_DIR "/var/tmp/rvisor-bench"

static inline int fixture_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* A directory of `n` empty files named f00000, f00001, ... */
static inline void fixture_dir(const char *path, int n)
{
	if (fixture_exists(path))
		return;
	char tmp[256], name[300];
	mkdir(FIXTURE_DIR, 0755);
	snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
	if (mkdir(tmp, 0755) != 0)
		die("mkdir fixture");
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof name, "%s/f%05d", tmp, i);
		int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			die("create fixture entry");
		close(fd);
	}
	if (rename(tmp, path) != 0 && !fixture_exists(path))
		die("rename fixture");
}

/* A file of `size` bytes (a repeating pattern). */
static inline void fixture_file(const char *path, long size)
{
	if (fixture_exists(path))
		return;
	char tmp[256];
	static char block[1 << 16];
	mkdir(FIXTURE_DIR, 0755);
	snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
	for (size_t i = 0; i < sizeof block; i++)
		block[i] = (char)(i * 7 + 3);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("create fixture file");
	for (long done = 0; done < size; done += sizeof block)
		if (write(fd, block, sizeof block) != (ssize_t)sizeof block)
			die("write fixture file");
	close(fd);
	if (rename(tmp, path) != 0 && !fixture_exists(path))
		die("rename fixture");
}
