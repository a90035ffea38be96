/* procfs_links: the "magic" links of /proc/PID (fd/N, exe, cwd, root) lead to what the
 * process holds, not to whatever their text names now: a deleted file can still be opened
 * through its fd link, a removed working directory through cwd. */
#include "common.h"
#include <dirent.h>
#include <limits.h>
#include <sys/wait.h>

static void show_link(const char *path)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	if (n < 0) {
		printf("readlink %s = -1 %s\n", path, errno_name(errno));
		return;
	}
	buf[n] = 0;
	/* Only the part below the test's directory is the same in every run. */
	const char *rel = strncmp(buf, rvt_tmpdir, strlen(rvt_tmpdir)) == 0 ? buf + strlen(rvt_tmpdir) : buf;
	printf("%s -> %s%s\n", path, rel == buf ? "" : "TMP", rel);
}

static void deleted_file(void)
{
	write_file("gone", "still here\n");
	int fd = MUST(open("gone", O_RDWR));
	MUST(unlink("gone"));
	char link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	show_link(link);
	int again = open(link, O_RDONLY);
	SHOWOK(again);
	char text[32] = {0};
	if (again >= 0) {
		SHOW(read(again, text, sizeof text - 1));
		printf("through the link: %s", text);
		close(again);
	}
	/* Writing through a new description changes the same file. */
	again = open(link, O_WRONLY);
	SHOWOK(again);
	if (again >= 0) {
		SHOW(write(again, "STILL", 5));
		close(again);
	}
	SHOW(pread(fd, text, 11, 0));
	printf("now: %s", text);
	SHOW(open(link, O_RDONLY | O_NOFOLLOW));
	close(fd);
}

static void directory_fd(void)
{
	MUST(mkdir("dir", 0755));
	write_file("dir/inside", "x");
	int dfd = MUST(open("dir", O_RDONLY | O_DIRECTORY));
	char path[80];
	snprintf(path, sizeof path, "/proc/self/fd/%d/inside", dfd);
	struct stat st;
	SHOW(stat(path, &st));
	SHOW(access(path, R_OK));
	close(dfd);
}

static void removed_cwd(void)
{
	MUST(mkdir("wd", 0755));
	MUST(chdir("wd"));
	MUST(rmdir("../wd"));
	show_link("/proc/self/cwd");
	struct stat a, b;
	SHOW(stat("/proc/self/cwd", &a));
	SHOW(stat(".", &b));
	CHECK(a.st_ino == b.st_ino);
	MUST(chdir(rvt_tmpdir));
}

static void root_and_exe(char **argv)
{
	struct stat a, b;
	SHOW(stat("/proc/self/root/tmp", &a));
	SHOW(stat("/tmp", &b));
	CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	SHOW(lstat("/proc/self/exe", &a));
	CHECK(S_ISLNK(a.st_mode));
	SHOW(stat("/proc/self/exe", &a));
	SHOW(stat(argv[0], &b));
	CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev);

	/* Run this program again through its exe link. */
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		char *args[] = {"child-name", "child", NULL};
		execv("/proc/self/exe", args);
		_exit(127);
	}
	int status = 0;
	waitpid(child, &status, 0);
	printf("re-exec status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0) {
		char buf[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
		printf("child: exe link readable: %s\n", n > 0 ? "yes" : "NO");
		return 42;
	}
	tmpdir_enter();
	deleted_file();
	directory_fd();
	removed_cwd();
	root_and_exe(argv);
	tmpdir_leave();
	return 0;
}
