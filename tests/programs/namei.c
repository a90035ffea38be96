/* namei: mkdir/mkdirat/rmdir/unlink/unlinkat/link/linkat/symlink/symlinkat and the path
 * walk: `.` and `..`, trailing slashes, symlink loops (ELOOP) and the 40-link limit,
 * names longer than 255 bytes and paths longer than 4096 (ENAMETOOLONG). */
#include "common.h"
#include <limits.h>

static const char *kind(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno_name(errno);
	if (S_ISDIR(st.st_mode)) return "dir";
	if (S_ISLNK(st.st_mode)) return "symlink";
	if (S_ISREG(st.st_mode)) return "file";
	return "other";
}

static void dirs(void)
{
	struct stat st;
	umask(022);
	SHOW(mkdir("d", 0777));
	MUST(stat("d", &st));
	printf("mkdir mode after umask: %o\n", st.st_mode & 07777);
	SHOW(mkdir("d", 0755));
	SHOW(mkdir("missing/d", 0755));
	write_file("f", "data");
	SHOW(mkdir("f/d", 0755));
	SHOW(mkdir("f", 0755));
	SHOW(mkdir("trailing/", 0755));
	SHOW(mkdir("d/../d2", 0755));
	SHOW(mkdir("", 0755));
	SHOW(syscall(SYS_mkdir, (void *)1, 0755));
	int dfd = MUST(open("d", O_RDONLY | O_DIRECTORY));
	SHOW(mkdirat(dfd, "inner", 0700));
	SHOW(mkdirat(dfd, "inner", 0700));
	SHOW(mkdirat(AT_FDCWD, "d/inner2", 0700));
	SHOW(mkdirat(99, "x", 0700));
	SHOW(mkdirat(99, "/tmp", 0700));
	printf("d/inner is %s\n", kind("d/inner"));

	SHOW(rmdir("d"));
	SHOW(rmdir("f"));
	SHOW(rmdir("missing"));
	SHOW(rmdir("."));
	SHOW(rmdir(".."));
	SHOW(rmdir("d/inner/."));
	SHOW(rmdir("d/inner/.."));
	SHOW(rmdir("d/inner2/"));
	SHOW(rmdir("trailing"));
	SHOW(rmdir("/"));

	SHOW(unlink("f"));
	SHOW(unlink("f"));
	SHOW(unlink("d"));
	SHOW(unlink("d/"));
	write_file("g", "");
	SHOW(unlink("g/"));
	SHOW(unlinkat(dfd, "inner", AT_REMOVEDIR));
	SHOW(unlinkat(AT_FDCWD, "g", AT_REMOVEDIR));
	SHOW(unlinkat(AT_FDCWD, "g", 0x1));
	SHOW(unlinkat(AT_FDCWD, "g", 0));
	SHOW(unlinkat(99, "g", 0));
	MUST(close(dfd));
	SHOW(rmdir("d"));
	SHOW(rmdir("d2"));
}

static void links(void)
{
	struct stat st;
	write_file("a", "content");
	MUST(mkdir("dir", 0755));
	SHOW(link("a", "b"));
	MUST(stat("a", &st));
	printf("nlink after link: %ld\n", (long)st.st_nlink);
	SHOW(link("a", "b"));
	SHOW(link("missing", "c"));
	SHOW(link("dir", "dir2"));
	SHOW(link("a", "dir/"));
	SHOW(link("a", "nodir/c"));
	SHOW(symlink("a", "s"));
	SHOW(symlink("a", "s"));
	SHOW(symlink("", "empty"));
	SHOW(symlink("whatever", "dir/"));
	SHOW(syscall(SYS_symlink, (void *)1, "x"));
	int dfd = MUST(open("dir", O_RDONLY | O_DIRECTORY));
	SHOW(symlinkat("../a", dfd, "up"));
	printf("dir/up is %s\n", kind("dir/up"));
	SHOW(stat("dir/up", &st));
	SHOW(symlinkat("x", 99, "y"));
	SHOW(linkat(AT_FDCWD, "s", dfd, "hard-to-link", 0));
	printf("linkat without follow makes a %s\n", kind("dir/hard-to-link"));
	SHOW(linkat(AT_FDCWD, "s", dfd, "hard-to-target", AT_SYMLINK_FOLLOW));
	printf("linkat with AT_SYMLINK_FOLLOW makes a %s\n", kind("dir/hard-to-target"));
	MUST(stat("a", &st));
	printf("nlink of a: %ld\n", (long)st.st_nlink);
	SHOW(linkat(AT_FDCWD, "a", AT_FDCWD, "z", 0x8000));
	int fd = MUST(open("a", O_RDONLY));
	SHOW(linkat(fd, "", AT_FDCWD, "via-empty-path", AT_EMPTY_PATH));
	printf("via-empty-path is %s\n", kind("via-empty-path"));
	MUST(close(fd));
	MUST(close(dfd));
}

static void walks(void)
{
	struct stat st;
	char buf[8];
	MUST(mkdir("w", 0755));
	MUST(mkdir("w/sub", 0755));
	write_file("w/file", "x");
	SHOW(stat("w/sub/../file", &st));
	SHOW(stat("w/./sub/./../../w/file", &st));
	SHOW(stat("w/file/..", &st));
	SHOW(stat("w/file/", &st));
	SHOW(stat("w/sub/", &st));
	SHOW(stat("w/sub//..//file", &st));
	SHOW(stat("w/missing/..", &st));

	SHOW(symlink("self", "self"));
	SHOW(stat("self", &st));
	SHOW(lstat("self", &st));
	SHOW(open("self", O_RDONLY));
	SHOW(open("self", O_RDONLY | O_CREAT, 0644));
	SHOW(symlink("ping", "pong"));
	SHOW(symlink("pong", "ping"));
	SHOW(stat("ping", &st));
	SHOW(stat("ping/x", &st));
	SHOW(readlink("ping", buf, sizeof buf));
	SHOW(symlink("w/sub", "tosub"));
	SHOW(stat("tosub/../file", &st));
	SHOW(stat("tosub/", &st));
	SHOW(lstat("tosub/", &st));
	printf("tosub/ lstat is a dir: %s\n", S_ISDIR(st.st_mode) ? "yes" : "no");
	SHOW(unlink("tosub/"));
	SHOW(rmdir("tosub"));
	SHOW(symlink("w/file", "tofile"));
	SHOW(stat("tofile/", &st));

	/* A chain of symlinks: link-N points at link-(N-1), link-0 at w/file.
	 * Following 40 links works, the 41st gives ELOOP. */
	char name[32], target[32];
	for (int i = 0; i <= 41; i++) {
		snprintf(name, sizeof name, "link-%d", i);
		if (i == 0)
			snprintf(target, sizeof target, "w/file");
		else
			snprintf(target, sizeof target, "link-%d", i - 1);
		MUST(symlink(target, name));
	}
	SHOW(stat("link-39", &st));
	SHOW(stat("link-40", &st));
	SHOW(stat("link-41", &st));
	SHOW(lstat("link-41", &st));
	SHOW(open("link-40", O_RDONLY));
	SHOW(close(3));
}

static void long_names(void)
{
	struct stat st;
	static char name[300], path[6000];
	memset(name, 'n', 256);
	name[256] = 0;
	SHOW(mkdir(name, 0755));
	SHOW(open(name, O_RDWR | O_CREAT, 0644));
	SHOW(stat(name, &st));
	SHOW(symlink("x", name));
	SHOW(symlink(name, "ok-link"));
	SHOW(unlink("ok-link"));
	name[255] = 0;
	SHOW(mkdir(name, 0755));
	SHOW(rmdir(name));
	SHOW(open(name, O_RDWR | O_CREAT, 0644));
	SHOW(close(3));
	SHOW(unlink(name));

	/* "./" repeated: PATH_MAX (4096) counts the final NUL, so 4095 bytes is the limit. */
	MUST(mkdir("p", 0755));
	size_t len = 0;
	while (len < 4094)
		len += (size_t)sprintf(path + len, "./");
	sprintf(path + len, "p");
	printf("path length %zu\n", strlen(path));
	SHOW(stat(path, &st));
	sprintf(path + len, "/p");
	printf("path length %zu\n", strlen(path));
	SHOW(stat(path, &st));
	SHOW(mkdir(path, 0755));
	memset(path, 'a', 5000);
	path[5000] = 0;
	SHOW(symlink(path, "too-long-target"));
	path[4095] = 0;
	SHOW(symlink(path, "long-target"));
	SHOW(lstat("long-target", &st));
	printf("long-target size: %ld\n", (long)st.st_size);
	SHOW(unlink("long-target"));
	SHOW(rmdir("p"));
}

int main(void)
{
	tmpdir_enter();
	dirs();
	links();
	walks();
	long_names();
	tmpdir_leave();
	return 0;
}
