/* garbage_fs: the path families (open, creat, stat, statx, access, chdir, getcwd, mkdir,
 * rmdir, unlink, link, symlink, readlink, rename, chmod, chown, truncate, utime*, mknod,
 * chroot) given bad path pointers, unterminated and over-long paths, bad output buffers,
 * bad dirfds and invalid flag bits; each must fail (or succeed) as Linux does. All work
 * happens in a private directory under /tmp; see garbage.h for the names.
 *
 * Left out on purpose: anything that would change a host file outside that directory,
 * chroot into a real directory (it would confine the rest of the run), and
 * RENAME_WHITEOUT (documented as refused by the sandbox). */
#include "garbage.h"
#include <linux/stat.h>
#include <sys/time.h>

static int file, dfd, opath, lpath;
static char buf[4096];
static char name256[257];
static struct timeval tv[2];
static struct timespec ts[2];

static void opens(void)
{
	TC(open, BAD1, O_RDONLY);
	TC(open, BADM1, O_RDONLY);
	TC(open, NONE, O_RDONLY);
	TC(open, HOLE, O_RDONLY);
	TC(open, NONCANON, O_RDONLY);
	TC(open, RO, O_RDONLY);
	TC(open, RO_SHORT, O_RDONLY);
	TC(open, name256, O_RDONLY);
	TC(open, "", O_RDONLY);
	TC(open, "f", ~0);
	TC(open, "f", 0x40000000);
	TC(open, "f", O_ACCMODE);
	TC(open, "d", O_WRONLY);
	TC(open, "d", O_RDWR);
	TC(open, "d", O_CREAT);
	TC(open, "d", O_TMPFILE | O_RDONLY);
	TC(open, "f", O_TMPFILE | O_RDWR);
	TC(open, "f", O_DIRECTORY);
	TC(open, "f", O_CREAT | O_DIRECTORY);
	TC(open, "f/", O_RDONLY);
	TC(open, "f/x", O_RDONLY);
	TC(open, "l", O_NOFOLLOW);
	TC(open, "dl", O_CREAT | O_EXCL, 0644);
	TC(openat, -1, "f", O_RDONLY);
	TC(openat, BIGFD, "f", O_RDONLY);
	TC(openat, CLOSED, "f", O_RDONLY);
	TC(openat, file, "f", O_RDONLY);
	TC(openat, file, "", O_RDONLY);
	TC(openat, -1, "/dev/null", O_RDONLY);
	TC(openat, AT_FDCWD, BAD1, O_RDONLY);
	TC(openat, dfd, "sub", ~0);
	TC(creat, BAD1, 0644);
	TC(creat, "d", 0644);
	TC(creat, "f/x", 0644);
	TC(creat, "", 0644);
	TC(creat, name256, 0644);
}

static void stats(void)
{
	T(stat, BAD1, buf);
	T(stat, NONE, buf);
	T(stat, RO, buf);
	T(stat, RO_SHORT, buf);
	T(stat, "f", BAD1);
	T(stat, "f", RO);
	T(stat, "f", EDGE_END(8));
	T(stat, "missing", BAD1);
	T(stat, "f/", buf);
	T(stat, "dl", buf);
	T(lstat, "dl", buf);
	T(lstat, BAD1, buf);
	T(lstat, "l", NONE);
	T(newfstatat, -1, "f", buf, 0);
	T(newfstatat, -1, "/", buf, 0);
	T(newfstatat, AT_FDCWD, "f", buf, ~0);
	T(newfstatat, AT_FDCWD, "f", buf, 0x10000000);
	T(newfstatat, file, "", buf, AT_EMPTY_PATH);
	T(newfstatat, file, "", buf, 0);
	T(newfstatat, file, "x", buf, 0);
	T(newfstatat, AT_FDCWD, NULL, buf, AT_EMPTY_PATH);
	T(newfstatat, AT_FDCWD, NULL, buf, 0);
	T(statx, AT_FDCWD, "f", 0, STATX_BASIC_STATS, BAD1);
	T(statx, AT_FDCWD, "f", 0, STATX_BASIC_STATS, RO);
	T(statx, AT_FDCWD, "f", ~0, STATX_BASIC_STATS, buf);
	T(statx, AT_FDCWD, "f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, buf);
	T(statx, AT_FDCWD, "f", 0, ~0U, buf);
	T(statx, AT_FDCWD, "f", 0, 0x80000000, buf);
	T(statx, AT_FDCWD, "f", 0, 0, buf);
	T(statx, -1, "f", 0, STATX_BASIC_STATS, buf);
	T(statx, AT_FDCWD, BAD1, 0, STATX_BASIC_STATS, buf);
	T(statx, file, "", AT_EMPTY_PATH, STATX_BASIC_STATS, buf);
	T(statx, file, NULL, AT_EMPTY_PATH, STATX_BASIC_STATS, buf);
	T(statx, opath, NULL, AT_EMPTY_PATH, STATX_BASIC_STATS, buf);
	T(access, BAD1, F_OK);
	T(access, "f", ~0);
	T(access, "f", 8);
	T(access, "missing", 8);
	T(access, "f", X_OK);
	T(faccessat, -1, "f", F_OK);
	T(faccessat, AT_FDCWD, "f", F_OK, ~0);
	T(faccessat2, AT_FDCWD, "f", F_OK, ~0);
	T(faccessat2, AT_FDCWD, "f", 8, 0);
	T(faccessat2, AT_FDCWD, "l", F_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);
	T(faccessat2, file, "", R_OK, AT_EMPTY_PATH);
	T(faccessat2, file, "", R_OK, 0);
	T(faccessat2, -1, "f", F_OK, 0);
}

static void dirs(void)
{
	T(chdir, BAD1);
	T(chdir, NONE);
	T(chdir, RO);
	T(chdir, "f");
	T(chdir, "");
	T(chdir, "dl");
	T(getcwd, BAD1, 100);
	T(getcwd, buf, 0);
	T(getcwd, buf, 1);
	T(getcwd, NULL, 0);
	T(getcwd, RO, sizeof buf);
	T(getcwd, EDGE_END(10), 100);
	T(getcwd, buf, SZMAX);
	T(mkdir, BAD1, 0755);
	T(mkdir, HOLE, 0755);
	T(mkdir, "", 0755);
	T(mkdir, "f", 0755);
	T(mkdir, "f/x", 0755);
	T(mkdir, RO, 0755);
	T(mkdir, name256, 0755);
	T(mkdir, "new", ~0);
	T(rmdir, "new");
	T(mkdirat, -1, "x", 0755);
	T(mkdirat, file, "x", 0755);
	T(rmdir, BAD1);
	T(rmdir, "f");
	T(rmdir, "d");
	T(rmdir, ".");
	T(rmdir, "l");
	T(rmdir, "missing");
	T(unlink, BAD1);
	T(unlink, "d");
	T(unlink, "");
	T(unlink, "f/");
	T(unlinkat, AT_FDCWD, "f", ~0);
	T(unlinkat, -1, "f", 0);
	T(unlinkat, AT_FDCWD, "f", AT_REMOVEDIR);
	T(unlinkat, file, "x", 0);
}

static void links(void)
{
	T(link, BAD1, "x");
	T(link, "f", BAD1);
	T(link, "missing", BAD1);
	T(link, "d", "x");
	T(link, "f", "f");
	T(link, "f", "");
	T(link, "f", "x/");
	T(linkat, AT_FDCWD, "f", AT_FDCWD, "x", ~0);
	T(linkat, -1, "f", AT_FDCWD, "x", 0);
	T(linkat, AT_FDCWD, "f", -1, "x", 0);
	T(linkat, file, "", AT_FDCWD, "x", AT_EMPTY_PATH);
	T(unlink, "x");
	T(symlink, BAD1, "x");
	T(symlink, "t", BAD1);
	T(symlink, "", "x");
	T(symlink, "t", "f");
	T(symlink, RO, "x");
	T(symlink, "t", "f/x");
	T(symlinkat, "t", -1, "x");
	T(symlinkat, "t", file, "x");
	T(readlink, BAD1, buf, 10);
	T(readlink, "l", BAD1, 10);
	T(readlink, "l", RO, 10);
	T(readlink, "l", buf, 0);
	T(readlink, "l", buf, -1);
	T(readlink, "f", buf, 10);
	T(readlink, "l", buf, 1);
	T(readlink, "missing", buf, 10);
	T(readlink, "l", EDGE_END(1), 10);
	T(readlink, "long", EDGE_END(10), 100);
	T(readlinkat, -1, "l", buf, 10);
	T(readlinkat, file, "", buf, 10);
	T(readlinkat, lpath, "", buf, 10);
	T(readlinkat, lpath, "", BAD1, 10);
	T(rename, BAD1, "x");
	T(rename, "missing", BAD1);
	T(rename, "f", "");
	T(rename, "d", "d/sub/x");
	T(rename, "d", "d/x");
	T(rename, "f", "d");
	T(rename, "d", "f");
	T(rename, "d/sub", "d");
	T(rename, ".", "x");
	T(rename, "f", ".");
	T(rename, "f/", "x");
	T(rename, "f", name256);
	T(renameat, -1, "f", AT_FDCWD, "x");
	T(renameat, AT_FDCWD, "f", file, "x");
	T(renameat2, AT_FDCWD, "f", AT_FDCWD, "x", ~0);
	T(renameat2, AT_FDCWD, "f", AT_FDCWD, "x", RENAME_EXCHANGE | RENAME_NOREPLACE);
	T(renameat2, AT_FDCWD, "f", AT_FDCWD, "x", 8);
	T(renameat2, AT_FDCWD, "f", AT_FDCWD, "missing", RENAME_EXCHANGE);
	T(renameat2, AT_FDCWD, "f", AT_FDCWD, "l", RENAME_NOREPLACE);
}

static void attrs(void)
{
	T(chmod, BAD1, 0644);
	T(chmod, "missing", 0644);
	T(chmod, "f", ~0);
	T(chmod, "f", 0644);
	T(fchmodat, AT_FDCWD, "f", 0644, ~0);
	T(fchmodat, -1, "f", 0644);
	T(fchmodat2, AT_FDCWD, "f", 0644, ~0);
	T(fchmodat2, AT_FDCWD, "l", 0644, AT_SYMLINK_NOFOLLOW);
	T(fchmodat2, file, "", 0644, AT_EMPTY_PATH);
	T(fchmodat2, file, "", 0644, 0);
	T(chown, BAD1, 0, 0);
	T(chown, "f", -1, -1);
	T(chown, "missing", -1, -1);
	T(lchown, "dl", -1, -1);
	T(lchown, NONE, -1, -1);
	T(fchownat, AT_FDCWD, "f", -1, -1, ~0);
	T(fchownat, -1, "f", -1, -1, 0);
	T(fchownat, file, "", -1, -1, AT_EMPTY_PATH);
	T(truncate, BAD1, 0);
	T(truncate, "f", -1);
	T(truncate, "d", 0);
	T(truncate, "missing", 0);
	T(truncate, "", 0);
	T(truncate, "f/", 0);
	T(utime, BAD1, NULL);
	T(utime, "f", BAD1);
	T(utime, "missing", NULL);
	T(utimes, "f", BAD1);
	T(utimes, "f", EDGE_END(16));
	tv[0].tv_usec = -1;
	T(utimes, "f", tv);
	tv[0].tv_usec = 1000000;
	T(utimes, "f", tv);
	T(futimesat, -1, "f", NULL);
	T(futimesat, AT_FDCWD, BAD1, NULL);
	ts[0].tv_nsec = 1000000000;
	T(utimensat, AT_FDCWD, "f", ts, 0);
	ts[0].tv_nsec = -1;
	T(utimensat, AT_FDCWD, "f", ts, 0);
	T(utimensat, AT_FDCWD, "f", NULL, ~0);
	T(utimensat, -1, NULL, NULL, 0);
	T(utimensat, file, NULL, NULL, 0);
	T(utimensat, AT_FDCWD, NULL, NULL, 0);
	T(utimensat, AT_FDCWD, "f", BAD1, 0);
	T(utimensat, AT_FDCWD, "", NULL, 0);
	ts[0].tv_nsec = ts[1].tv_nsec = UTIME_OMIT;
	T(utimensat, AT_FDCWD, "missing", ts, 0);
	T(utimensat, -1, "f", ts, 0);
	T(mknod, BAD1, S_IFREG | 0644, 0);
	T(mknod, "f", S_IFREG | 0644, 0);
	T(mknod, "x", S_IFMT | 0644, 0);
	T(mknod, "x", S_IFDIR | 0755, 0);
	T(mknod, "x", S_IFLNK | 0755, 0);
	T(mknod, "f/x", S_IFIFO | 0644, 0);
	T(mknodat, -1, "x", S_IFIFO | 0644, 0);
	T(mknodat, file, "x", S_IFIFO | 0644, 0);
	T(chroot, BAD1);
	T(chroot, "missing");
	T(chroot, "f");
	T(chroot, "");
	T(chroot, RO);
}

int main(void)
{
	tmpdir_enter();
	garbage_init();
	memset(name256, 'n', 256);
	write_file("f", "0123456789");
	MUST(mkdir("d", 0755));
	MUST(mkdir("d/sub", 0755));
	MUST(symlink("f", "l"));
	MUST(symlink("missing", "dl"));
	MUST(symlink("a-longer-target-of-thirty-bytes", "long"));
	file = MUST(open("f", O_RDWR));
	dfd = MUST(open("d", O_RDONLY | O_DIRECTORY));
	opath = MUST(open("f", O_PATH));
	lpath = MUST(open("l", O_PATH | O_NOFOLLOW));
	opens();
	stats();
	dirs();
	links();
	attrs();
	tmpdir_leave();
	return 0;
}
