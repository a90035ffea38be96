/* stat: fstat/stat/lstat/newfstatat/statx and access/faccessat/faccessat2.
 * Prints file type, permission bits, size and link count (never inode, device or times),
 * symlink following rules, AT_EMPTY_PATH/AT_SYMLINK_NOFOLLOW, and the error cases.
 * Runs as root natively, so access() shows root's rules (X_OK needs some x bit). */
#include "common.h"
#include <linux/stat.h>
#include <sys/sysmacros.h>

static const char *type_name(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "regular";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symlink";
	case S_IFCHR: return "chardev";
	case S_IFBLK: return "blockdev";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	}
	return "unknown";
}

/* Directory sizes are filesystem-specific (ext4 vs tmpfs), so only files show a size. */
static void print_stat(const char *label, long r, const struct stat *st)
{
	if (r != 0) {
		printf("%s: %s\n", label, errno_name(errno));
		return;
	}
	printf("%s: %s %04o nlink=%ld", label, type_name(st->st_mode), st->st_mode & 07777,
	       (long)st->st_nlink);
	if (!S_ISDIR(st->st_mode))
		printf(" size=%ld", (long)st->st_size);
	printf("\n");
}

#define STAT(call, st) print_stat(#call, (long)(call), st)

static void stats(void)
{
	struct stat st;
	umask(022);
	write_file("f", "twelve bytes");
	MUST(mkdir("d", 0750));
	MUST(mkdir("d/sub", 0700));
	MUST(symlink("f", "lf"));
	MUST(symlink("d", "ld"));
	MUST(symlink("nowhere", "dangling"));
	STAT(stat("f", &st), &st);
	MUST(link("f", "f2"));
	STAT(stat("f", &st), &st);
	STAT(stat("d", &st), &st);
	STAT(stat("d/sub", &st), &st);
	STAT(lstat("lf", &st), &st);
	STAT(stat("lf", &st), &st);
	STAT(stat("ld/sub", &st), &st);
	STAT(lstat("dangling", &st), &st);
	STAT(stat("dangling", &st), &st);
	STAT(stat("f/", &st), &st);
	STAT(stat("ld/", &st), &st);
	STAT(lstat("ld/", &st), &st);
	STAT(stat("missing", &st), &st);
	STAT(stat("", &st), &st);
	STAT(stat("d/sub/../../f", &st), &st);
	STAT(stat("f/..", &st), &st);
	STAT(stat("/dev/null", &st), &st);
	printf("/dev/null rdev: %u:%u\n", major(st.st_rdev), minor(st.st_rdev));

	int fd = MUST(open("f", O_RDONLY));
	STAT(fstat(fd, &st), &st);
	STAT(fstat(-1, &st), &st);
	STAT(fstatat(AT_FDCWD, "lf", &st, AT_SYMLINK_NOFOLLOW), &st);
	STAT(fstatat(AT_FDCWD, "lf", &st, 0), &st);
	STAT(fstatat(fd, "", &st, AT_EMPTY_PATH), &st);
	STAT(fstatat(fd, "", &st, 0), &st);
	STAT(fstatat(fd, "x", &st, 0), &st);
	STAT(fstatat(AT_FDCWD, "f", &st, 0x4000000), &st);
	STAT(fstatat(1000, "f", &st, 0), &st);
	int dfd = MUST(open("d", O_RDONLY | O_DIRECTORY));
	STAT(fstatat(dfd, "sub", &st, 0), &st);
	STAT(fstatat(dfd, "../lf", &st, 0), &st);
	SHOW(syscall(SYS_newfstatat, AT_FDCWD, (void *)1, &st, 0));
	SHOW(syscall(SYS_newfstatat, AT_FDCWD, "f", (void *)1, 0));
	SHOW(syscall(SYS_stat, (void *)1, &st));
	SHOW(syscall(SYS_fstat, fd, (void *)1));
	SHOW(syscall(SYS_lstat, "f", (void *)1));
	MUST(close(dfd));
	MUST(close(fd));

	char name[300];
	memset(name, 'n', sizeof name);
	name[256] = 0;
	STAT(stat(name, &st), &st);
	name[255] = 0;
	STAT(stat(name, &st), &st);
}

static void statxs(void)
{
	struct statx sx;
	long r = SHOW(syscall(SYS_statx, AT_FDCWD, "f", 0, STATX_BASIC_STATS, &sx));
	if (r == 0) {
		printf("basic stats reported: %s\n",
		       (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS ? "yes" : "NO");
		printf("statx f: %s %04o nlink=%u size=%llu\n", type_name(sx.stx_mode),
		       sx.stx_mode & 07777, sx.stx_nlink, (unsigned long long)sx.stx_size);
	}
	r = SHOW(syscall(SYS_statx, AT_FDCWD, "lf", AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_SIZE, &sx));
	if (r == 0)
		printf("statx lf nofollow: %s size=%llu\n", type_name(sx.stx_mode),
		       (unsigned long long)sx.stx_size);
	int fd = MUST(open("d", O_RDONLY));
	r = SHOW(syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_MODE, &sx));
	if (r == 0)
		printf("statx d: %s %04o\n", type_name(sx.stx_mode), sx.stx_mode & 07777);
	MUST(close(fd));
	SHOW(syscall(SYS_statx, AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &sx));
	SHOW(syscall(SYS_statx, AT_FDCWD, "f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx));
	SHOW(syscall(SYS_statx, AT_FDCWD, "f", 0, STATX__RESERVED, &sx));
	SHOW(syscall(SYS_statx, AT_FDCWD, "f", 0x4000000, STATX_BASIC_STATS, &sx));
	SHOW(syscall(SYS_statx, AT_FDCWD, "f", 0, STATX_BASIC_STATS, (void *)1));
	SHOW(syscall(SYS_statx, AT_FDCWD, (void *)1, 0, STATX_BASIC_STATS, &sx));
}

static void accesses(void)
{
	MUST(chmod("f", 0644));
	write_file("x", "");
	MUST(chmod("x", 0701));
	write_file("none", "");
	MUST(chmod("none", 0));
	SHOW(access("f", F_OK));
	SHOW(access("f", R_OK | W_OK));
	SHOW(access("f", X_OK));
	SHOW(access("x", X_OK));
	SHOW(access("none", R_OK | W_OK));
	SHOW(access("none", X_OK));
	SHOW(access("d", X_OK));
	SHOW(access("missing", F_OK));
	SHOW(access("f/x", F_OK));
	SHOW(access("dangling", F_OK));
	SHOW(syscall(SYS_access, "f", 8));
	SHOW(syscall(SYS_access, (void *)1, F_OK));
	SHOW(faccessat(AT_FDCWD, "f", R_OK, AT_EACCESS));
	SHOW(syscall(SYS_faccessat, AT_FDCWD, "f", R_OK));
	SHOW(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
	SHOW(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, 0));
	SHOW(syscall(SYS_faccessat2, AT_FDCWD, "f", F_OK, 0x4000000));
	int fd = MUST(open("x", O_RDONLY));
	SHOW(syscall(SYS_faccessat2, fd, "", X_OK, AT_EMPTY_PATH));
	SHOW(syscall(SYS_faccessat2, fd, "", X_OK, 0));
	SHOW(syscall(SYS_faccessat2, 1000, "x", F_OK, 0));
	MUST(close(fd));
}

int main(void)
{
	tmpdir_enter();
	stats();
	statxs();
	accesses();
	tmpdir_leave();
	return 0;
}
