/* statfs(2) and fstatfs(2): the filesystem type where both sides use the same one (tmpfs at
 * /dev/shm, proc at /proc, pipes), plausible numbers, usage that follows what is written,
 * and the error cases. */
#include "common.h"
#include <sys/eventfd.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#define TMPFS_MAGIC 0x01021994
#define PROC_SUPER_MAGIC 0x9fa0
#define PIPEFS_MAGIC 0x50495045
#define ANON_INODE_FS_MAGIC 0x09041934

static const char *kind(long t)
{
	switch (t) {
	case TMPFS_MAGIC: return "tmpfs";
	case PROC_SUPER_MAGIC: return "proc";
	case PIPEFS_MAGIC: return "pipefs";
	case ANON_INODE_FS_MAGIC: return "anon_inodefs";
	}
	return "other";
}

static void show(const char *what, struct statfs *s)
{
	printf("%s: type %s bsize %ld frsize %ld namelen %ld rdonly %d valid %d\n", what,
	       kind(s->f_type), (long)s->f_bsize, (long)s->f_frsize, (long)s->f_namelen,
	       !!(s->f_flags & ST_RDONLY), !!(s->f_flags & 0x20));
}

int main(void)
{
	struct statfs s, s2;
	char dir[64];
	snprintf(dir, sizeof dir, "/dev/shm/rvt-statfs-%d", (int)getpid());
	MUST(mkdir(dir, 0755));

	SHOW(statfs("/dev/shm", &s));
	show("/dev/shm", &s);
	CHECK(s.f_blocks > 0);
	CHECK(s.f_bfree <= s.f_blocks);
	CHECK(s.f_bavail == s.f_bfree);
	CHECK(s.f_files > 0);
	CHECK(s.f_ffree <= s.f_files);

	/* Usage follows what is written (and given back). */
	MUST(statfs(dir, &s));
	char path[96];
	snprintf(path, sizeof path, "%s/f", dir);
	int fd = MUST(open(path, O_RDWR | O_CREAT, 0644));
	static char buf[1 << 20];
	memset(buf, 'x', sizeof buf);
	MUST(write(fd, buf, sizeof buf));
	MUST(fstatfs(fd, &s2));
	show("tmpfs file", &s2);
	CHECK(s.f_bfree - s2.f_bfree >= 256);
	CHECK(s.f_ffree - s2.f_ffree >= 1);
	MUST(close(fd));
	MUST(unlink(path));
	MUST(statfs(dir, &s2));
	CHECK(s2.f_bfree + 16 >= s.f_bfree);

	SHOW(statfs("/proc", &s));
	show("/proc", &s);
	printf("/proc blocks %ld files %ld\n", (long)s.f_blocks, (long)s.f_files);
	SHOW(statfs("/proc/self/status", &s));
	show("/proc/self/status", &s);

	SHOW(statfs("/", &s));
	CHECK(s.f_bsize > 0 && s.f_namelen == 255);
	SHOW(statfs("/tmp", &s));
	CHECK(s.f_blocks > 0);

	int p[2];
	MUST(pipe(p));
	SHOW(fstatfs(p[0], &s));
	show("pipe", &s);
	MUST(close(p[0]));
	MUST(close(p[1]));
	int efd = MUST(eventfd(0, 0));
	SHOW(fstatfs(efd, &s));
	show("eventfd", &s);
	MUST(close(efd));

	/* O_PATH descriptors are enough for fstatfs. */
	int pfd = MUST(open("/dev/shm", O_PATH));
	SHOW(fstatfs(pfd, &s));
	show("O_PATH /dev/shm", &s);
	MUST(close(pfd));

	SHOW(statfs("/nonexistent", &s));
	SHOW(statfs("", &s));
	SHOW(statfs("/dev/null/x", &s));
	SHOW(syscall(SYS_statfs, 0L, &s));
	SHOW(syscall(SYS_statfs, "/dev/shm", 1L));
	SHOW(fstatfs(999, &s));
	SHOW(fstatfs(-1, &s));
	SHOW(syscall(SYS_fstatfs, 0L, 1L));

	MUST(rmdir(dir));
	return 0;
}
