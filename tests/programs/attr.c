/* attr: truncate/ftruncate/fsync/fdatasync, chmod/fchmod/fchmodat, chown/fchown/fchownat/
 * lchown, umask and utimensat (explicit times, UTIME_NOW, UTIME_OMIT, symlinks).
 * Times we set ourselves are printed exactly; "now" is only compared with what we set.
 * Runs as root natively: chown to arbitrary ids succeeds. */
#include "common.h"
#include <sys/time.h>

static void show_mode(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		printf("  %s: %s\n", path, errno_name(errno));
	else
		printf("  %s: mode %04o uid %u gid %u size %ld\n", path, st.st_mode & 07777,
		       st.st_uid, st.st_gid, S_ISDIR(st.st_mode) ? 0L : (long)st.st_size);
}

static void truncates(void)
{
	char buf[16];
	write_file("f", "0123456789");
	SHOW(truncate("f", 4));
	show_mode("f");
	SHOW(truncate("f", 8));
	int fd = MUST(open("f", O_RDWR));
	long n = SHOW(pread(fd, buf, sizeof buf, 0));
	printf("  bytes: ");
	for (long i = 0; i < n; i++)
		printf("%02x", (unsigned char)buf[i]);
	printf("\n");
	SHOW(ftruncate(fd, 1 << 20));
	show_mode("f");
	SHOW(ftruncate(fd, 0));
	SHOW(lseek(fd, 0, SEEK_CUR));
	SHOW(ftruncate(fd, -1));
	SHOW(truncate("f", -1));
	SHOW(truncate("missing", 0));
	SHOW(truncate(".", 0));
	SHOW(truncate("f/", 0));
	SHOW(ftruncate(-1, 0));
	SHOW(fsync(fd));
	SHOW(fdatasync(fd));
	SHOW(fsync(-1));
	SHOW(fdatasync(99));
	MUST(close(fd));
	fd = MUST(open("f", O_RDONLY));
	SHOW(ftruncate(fd, 0));
	SHOW(fsync(fd));
	MUST(close(fd));
	fd = MUST(open(".", O_RDONLY | O_DIRECTORY));
	SHOW(ftruncate(fd, 0));
	SHOW(fsync(fd));
	MUST(close(fd));
	fd = MUST(open("/dev/null", O_WRONLY));
	SHOW(ftruncate(fd, 0));
	SHOW(fsync(fd));
	SHOW(fdatasync(fd));
	MUST(close(fd));
}

static void modes(void)
{
	/* The inherited umask is the caller's business; only our own transitions are shown. */
	umask(027);
	printf("umask(077) returns %04o\n", umask(077));
	printf("umask(022) returns %04o\n", umask(022));
	umask(0777);
	write_file("m0", "");
	show_mode("m0");
	printf("umask(022) after 0777 returns %04o\n", umask(022));
	MUST(unlink("m0"));
	write_file("m", "");
	show_mode("m");
	SHOW(chmod("m", 0700));
	show_mode("m");
	SHOW(chmod("m", 07777));
	show_mode("m");
	SHOW(chmod("m", 0170644));
	show_mode("m");
	SHOW(chmod("missing", 0644));
	SHOW(syscall(SYS_chmod, (void *)1, 0644));
	MUST(symlink("m", "ml"));
	SHOW(chmod("ml", 0640));
	show_mode("m");
	int fd = MUST(open("m", O_RDONLY));
	SHOW(fchmod(fd, 0604));
	show_mode("m");
	SHOW(fchmod(-1, 0604));
	MUST(close(fd));
	SHOW(syscall(SYS_fchmodat, AT_FDCWD, "m", 0600));
	show_mode("m");
	SHOW(syscall(SYS_fchmodat, 99, "m", 0600));
	MUST(mkdir("dir", 0777));
	show_mode("dir");
	SHOW(chmod("dir", 01777));
	show_mode("dir");
}

static void owners(void)
{
	write_file("o", "");
	MUST(chmod("o", 06755));
	show_mode("o");
	SHOW(chown("o", 1234, 5678));
	printf("setuid/setgid cleared by chown:\n");
	show_mode("o");
	SHOW(chown("o", -1, 42));
	show_mode("o");
	SHOW(chown("o", -1, -1));
	show_mode("o");
	MUST(symlink("o", "ol"));
	SHOW(lchown("ol", 7, 8));
	show_mode("ol");
	show_mode("o");
	SHOW(chown("ol", 9, 10));
	show_mode("o");
	int fd = MUST(open("o", O_RDONLY));
	SHOW(fchown(fd, 0, 0));
	show_mode("o");
	SHOW(fchown(-1, 0, 0));
	MUST(close(fd));
	SHOW(fchownat(AT_FDCWD, "ol", 11, 12, AT_SYMLINK_NOFOLLOW));
	show_mode("ol");
	SHOW(fchownat(AT_FDCWD, "ol", 11, 12, 0x8000));
	SHOW(chown("missing", 0, 0));
	SHOW(lchown("missing", 0, 0));
	SHOW(syscall(SYS_chown, (void *)1, 0, 0));
}

static void times(void)
{
	struct stat st;
	write_file("t", "");
	struct timespec ts[2] = { { 1000, 111 }, { 2000, 222 } };
	SHOW(utimensat(AT_FDCWD, "t", ts, 0));
	MUST(stat("t", &st));
	printf("  atime %ld.%09ld mtime %ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
	       (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	struct timespec omit_now[2] = { { 0, UTIME_OMIT }, { 3000, 0 } };
	SHOW(utimensat(AT_FDCWD, "t", omit_now, 0));
	MUST(stat("t", &st));
	printf("  atime %ld mtime %ld\n", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);
	struct timespec now_omit[2] = { { 0, UTIME_NOW }, { 0, UTIME_OMIT } };
	SHOW(utimensat(AT_FDCWD, "t", now_omit, 0));
	MUST(stat("t", &st));
	printf("  atime changed to now: %s, mtime kept: %s\n", st.st_atim.tv_sec > 1000000000 ? "yes" : "NO",
	       st.st_mtim.tv_sec == 3000 ? "yes" : "NO");
	SHOW(utimensat(AT_FDCWD, "t", NULL, 0));
	MUST(stat("t", &st));
	printf("  NULL sets both to now: %s\n",
	       st.st_mtim.tv_sec > 1000000000 && st.st_atim.tv_sec > 1000000000 ? "yes" : "NO");
	struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
	SHOW(utimensat(AT_FDCWD, "t", bad, 0));
	struct timespec neg[2] = { { 0, -1 }, { 0, 0 } };
	SHOW(utimensat(AT_FDCWD, "t", neg, 0));
	SHOW(utimensat(AT_FDCWD, "missing", ts, 0));
	SHOW(utimensat(AT_FDCWD, "t", ts, 0x8000));
	MUST(symlink("t", "tl"));
	struct timespec link_ts[2] = { { 5000, 0 }, { 6000, 0 } };
	SHOW(utimensat(AT_FDCWD, "tl", link_ts, AT_SYMLINK_NOFOLLOW));
	MUST(lstat("tl", &st));
	printf("  symlink mtime %ld\n", (long)st.st_mtim.tv_sec);
	MUST(stat("t", &st));
	printf("  target mtime unchanged by nofollow: %s\n", st.st_mtim.tv_sec != 6000 ? "yes" : "NO");
	int fd = MUST(open("t", O_RDONLY));
	SHOW(futimens(fd, ts));
	MUST(fstat(fd, &st));
	printf("  futimens mtime %ld\n", (long)st.st_mtim.tv_sec);
	SHOW(syscall(SYS_utimensat, fd, NULL, link_ts, 0));
	MUST(fstat(fd, &st));
	printf("  utimensat(fd, NULL) mtime %ld\n", (long)st.st_mtim.tv_sec);
	SHOW(syscall(SYS_utimensat, AT_FDCWD, NULL, ts, 0));
	SHOW(syscall(SYS_utimensat, AT_FDCWD, "t", (void *)1, 0));
	SHOW(futimens(-1, ts));
	MUST(close(fd));
	/* Writing updates mtime. */
	MUST(utimensat(AT_FDCWD, "t", ts, 0));
	write_file("t", "new");
	MUST(stat("t", &st));
	printf("  write moved mtime forward: %s\n", st.st_mtim.tv_sec > 2000 ? "yes" : "NO");
}

int main(void)
{
	tmpdir_enter();
	truncates();
	modes();
	owners();
	times();
	tmpdir_leave();
	return 0;
}
