/* Extended attributes on tmpfs (/dev/shm is a tmpfs natively and in the sandbox): the
 * user, trusted and security namespaces, flags, sizes, name checks, symlinks and special
 * files, fd and *xattrat forms, and what an unprivileged user may do. */
#include "common.h"
#include <sys/wait.h>
#include <sys/xattr.h>

#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#define SYS_getxattrat 464
#define SYS_listxattrat 465
#define SYS_removexattrat 466
#endif

struct xattr_args {
	unsigned long long value;
	unsigned int size;
	unsigned int flags;
};

static char dir[64];
static char v[70000];

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Prints the names listxattr gives, sorted (the order is the filesystem's). */
static void show_names(const char *what, const char *list, long n)
{
	if (n < 0) {
		printf("%s = -1 %s\n", what, errno_name(errno));
		return;
	}
	const char *names[64];
	int count = 0;
	for (long i = 0; i < n && count < 64; i += strlen(list + i) + 1)
		names[count++] = list + i;
	qsort(names, count, sizeof names[0], cmp);
	printf("%s = %ld:", what, n);
	for (int i = 0; i < count; i++)
		printf(" %s", names[i]);
	printf("\n");
}

static void show_value(const char *what, long n)
{
	if (n < 0)
		printf("%s = -1 %s\n", what, errno_name(errno));
	else
		printf("%s = %ld \"%.*s\"\n", what, n, (int)(n > 40 ? 40 : n), v);
}

static void basics(void)
{
	char list[4096];
	SHOW(setxattr("f", "user.a", "1", 1, 0));
	SHOW(getxattr("f", "user.a", NULL, 0));
	show_value("get user.a", getxattr("f", "user.a", v, sizeof v));
	SHOW(setxattr("f", "user.a", "22", 2, XATTR_CREATE));
	SHOW(setxattr("f", "user.b", "x", 1, XATTR_REPLACE));
	SHOW(setxattr("f", "user.a", "22", 2, XATTR_REPLACE));
	SHOW(setxattr("f", "user.a", "22", 2, XATTR_CREATE | XATTR_REPLACE));
	show_value("get user.a", getxattr("f", "user.a", v, sizeof v));
	SHOW(getxattr("f", "user.a", v, 1));
	SHOW(setxattr("f", "user.empty", "", 0, 0));
	show_value("get user.empty", getxattr("f", "user.empty", v, sizeof v));
	SHOW(getxattr("f", "user.missing", v, sizeof v));
	SHOW(removexattr("f", "user.missing"));
	SHOW(setxattr("f", "user.b", "bb", 2, 0));
	SHOW(listxattr("f", NULL, 0));
	SHOW(listxattr("f", list, 3));
	show_names("listxattr f", list, listxattr("f", list, sizeof list));
	SHOW(removexattr("f", "user.b"));
	SHOW(getxattr("f", "user.b", v, sizeof v));
	show_names("listxattr f", list, listxattr("f", list, sizeof list));
	SHOW(removexattr("f", "user.empty"));
}

static void names_and_sizes(void)
{
	char name[300];
	SHOW(setxattr("f", "user.", "x", 1, 0));
	SHOW(getxattr("f", "user.", v, sizeof v));
	SHOW(setxattr("f", "foo.bar", "x", 1, 0));
	SHOW(getxattr("f", "foo.bar", v, sizeof v));
	SHOW(setxattr("f", "user", "x", 1, 0));
	SHOW(setxattr("f", "", "x", 1, 0));
	SHOW(getxattr("f", "", v, sizeof v));
	SHOW(removexattr("f", ""));
	SHOW(setxattr("f", "user.a", "x", 1, 4));
	memset(name, 'n', sizeof name);
	memcpy(name, "user.", 5);
	name[255] = 0;
	SHOW(setxattr("f", name, "long", 4, 0));
	SHOW(getxattr("f", name, NULL, 0));
	SHOW(removexattr("f", name));
	name[255] = 'n';
	name[256] = 0;
	SHOW(setxattr("f", name, "long", 4, 0));
	SHOW(getxattr("f", name, v, sizeof v));
	/* Name errors come before path errors. */
	SHOW(getxattr("nope", "", v, sizeof v));
	SHOW(getxattr("nope", "user.a", v, sizeof v));
	SHOW(setxattr("nope", "user.a", "x", 1, 0));
	SHOW(listxattr("nope", NULL, 0));
	SHOW(getxattr("f/x", "user.a", v, sizeof v));
	/* The largest value, and one byte more. */
	memset(v, 'v', sizeof v);
	SHOW(setxattr("f", "user.big", v, 65536, 0));
	SHOW(setxattr("f", "user.big2", v, 65537, 0));
	SHOW(getxattr("f", "user.big", NULL, 0));
	SHOW(getxattr("f", "user.big", v, 1000));
	SHOW(getxattr("f", "user.big", v, 65536));
	SHOW(getxattr("f", "user.big", v, sizeof v));
	SHOW(removexattr("f", "user.big"));
	/* Bad pointers. */
	SHOW(syscall(SYS_getxattr, "f", "user.a", 1L, 10L));
	SHOW(syscall(SYS_getxattr, "f", 1L, v, 10L));
	SHOW(syscall(SYS_setxattr, "f", "user.a", 0L, 5L, 0L));
	SHOW(syscall(SYS_listxattr, "f", 1L, 100L));
}

static void namespaces(void)
{
	char list[4096];
	/* root: trusted and security work on tmpfs. */
	SHOW(setxattr("f", "trusted.t", "t", 1, 0));
	show_value("get trusted.t", getxattr("f", "trusted.t", v, sizeof v));
	SHOW(setxattr("f", "security.rvt", "s", 1, 0));
	show_value("get security.rvt", getxattr("f", "security.rvt", v, sizeof v));
	/* security.capability must be a well-formed v2 or v3 value. */
	SHOW(setxattr("f", "security.capability", "xx", 2, 0));
	unsigned int caps[5] = {0x02000001, 0x20, 0, 0, 0};
	SHOW(setxattr("f", "security.capability", caps, sizeof caps, 0));
	SHOW(getxattr("f", "security.capability", NULL, 0));
	SHOW(removexattr("f", "security.capability"));
	/* An empty one is not checked, but reads as malformed. */
	SHOW(setxattr("f", "security.capability", "", 0, 0));
	SHOW(getxattr("f", "security.capability", NULL, 0));
	SHOW(removexattr("f", "security.capability"));
	show_names("listxattr f", list, listxattr("f", list, sizeof list));
	/* user.* only on regular files and directories. */
	SHOW(setxattr("d", "user.a", "dir", 3, 0));
	show_value("get d user.a", getxattr("d", "user.a", v, sizeof v));
	SHOW(lsetxattr("l", "user.a", "x", 1, 0));
	SHOW(lgetxattr("l", "user.a", v, sizeof v));
	show_value("get via link", getxattr("l", "user.a", v, sizeof v));
	SHOW(llistxattr("l", list, sizeof list));
	SHOW(lsetxattr("l", "trusted.t", "lt", 2, 0));
	show_value("lget trusted.t", lgetxattr("l", "trusted.t", v, sizeof v));
	SHOW(lremovexattr("l", "trusted.t"));
	SHOW(lremovexattr("l", "user.a"));
	SHOW(setxattr("p", "user.a", "x", 1, 0));
	SHOW(getxattr("p", "user.a", v, sizeof v));
	SHOW(setxattr("p", "trusted.a", "x", 1, 0));
	SHOW(getxattr("p", "trusted.a", v, sizeof v));
}

static void by_fd(void)
{
	char list[4096];
	int fd = MUST(open("f", O_RDONLY));
	SHOW(fsetxattr(fd, "user.c", "cc", 2, 0));
	show_value("fget user.c", fgetxattr(fd, "user.c", v, sizeof v));
	show_names("flistxattr", list, flistxattr(fd, list, sizeof list));
	SHOW(fremovexattr(fd, "user.c"));
	SHOW(fremovexattr(fd, "user.c"));
	SHOW(fsetxattr(fd, "user.c", "cc", 2, 8));
	close(fd);
	int pfd = MUST(open("f", O_PATH));
	SHOW(fgetxattr(pfd, "user.a", v, sizeof v));
	SHOW(fsetxattr(pfd, "user.a", "x", 1, 0));
	SHOW(flistxattr(pfd, list, sizeof list));
	SHOW(fremovexattr(pfd, "user.a"));
	close(pfd);
	SHOW(fgetxattr(999, "user.a", v, sizeof v));
	SHOW(fgetxattr(999, "", v, sizeof v));
	int p[2];
	MUST(pipe(p));
	SHOW(fgetxattr(p[0], "user.a", v, sizeof v));
	SHOW(fsetxattr(p[0], "user.a", "x", 1, 0));
	SHOW(fgetxattr(p[0], "trusted.a", v, sizeof v));
	SHOW(fsetxattr(p[0], "trusted.a", "x", 1, 0));
	SHOW(flistxattr(p[0], list, sizeof list));
	close(p[0]);
	close(p[1]);
}

static void xattrat(void)
{
	char list[4096];
	struct xattr_args args = {(unsigned long)"at", 2, 0};
	SHOW(syscall(SYS_setxattrat, AT_FDCWD, "f", 0, "user.at", &args, sizeof args));
	memset(v, 0, 16);
	args = (struct xattr_args){(unsigned long)v, sizeof v, 0};
	SHOW(syscall(SYS_getxattrat, AT_FDCWD, "f", 0, "user.at", &args, sizeof args));
	printf("value: %s\n", v);
	int fd = MUST(open("f", O_RDONLY));
	SHOW(syscall(SYS_getxattrat, fd, "", AT_EMPTY_PATH, "user.at", &args, sizeof args));
	SHOW(syscall(SYS_getxattrat, fd, NULL, AT_EMPTY_PATH, "user.at", &args, sizeof args));
	SHOW(syscall(SYS_getxattrat, fd, "", 0, "user.at", &args, sizeof args));
	long n = syscall(SYS_listxattrat, fd, "", AT_EMPTY_PATH, list, sizeof list);
	show_names("listxattrat", list, n);
	SHOW(syscall(SYS_getxattrat, AT_FDCWD, "f", 0, "user.at", &args, 8));
	SHOW(syscall(SYS_getxattrat, AT_FDCWD, "f", 0, "user.at", &args, 8192));
	SHOW(syscall(SYS_getxattrat, AT_FDCWD, "f", 0x8000, "user.at", &args, sizeof args));
	args.flags = 1;
	SHOW(syscall(SYS_getxattrat, AT_FDCWD, "f", 0, "user.at", &args, sizeof args));
	args = (struct xattr_args){(unsigned long)"x", 1, XATTR_CREATE};
	SHOW(syscall(SYS_setxattrat, AT_FDCWD, "f", 0, "user.at", &args, sizeof args));
	SHOW(syscall(SYS_setxattrat, AT_FDCWD, "l", AT_SYMLINK_NOFOLLOW, "user.at", &args, sizeof args));
	SHOW(syscall(SYS_removexattrat, fd, "", AT_EMPTY_PATH, "user.at"));
	SHOW(syscall(SYS_removexattrat, AT_FDCWD, "f", 0, "user.at"));
	close(fd);
}

static void unprivileged(void)
{
	char list[4096];
	MUST(mkdir("s", 01777));
	MUST(chmod("f", 0644));
	pid_t pid = MUST(fork());
	if (pid == 0) {
		MUST(setgid(65534));
		MUST(setuid(65534));
		show_value("nobody get user.a", getxattr("f", "user.a", v, sizeof v));
		SHOW(setxattr("f", "user.x", "x", 1, 0));
		SHOW(removexattr("f", "user.a"));
		SHOW(getxattr("f", "trusted.t", v, sizeof v));
		SHOW(setxattr("f", "trusted.x", "x", 1, 0));
		SHOW(removexattr("f", "trusted.t"));
		show_value("nobody get security.rvt", getxattr("f", "security.rvt", v, sizeof v));
		SHOW(setxattr("f", "security.x", "x", 1, 0));
		SHOW(removexattr("f", "security.rvt"));
		SHOW(setxattr("f", "security.capability", "", 0, 0));
		SHOW(removexattr("f", "security.capability"));
		show_names("nobody listxattr f", list, listxattr("f", list, sizeof list));
		SHOW(setxattr("s", "user.x", "x", 1, 0));
		_exit(0);
	}
	int status;
	MUST(waitpid(pid, &status, 0));
	printf("child exited %d\n", WEXITSTATUS(status));
	MUST(rmdir("s"));
}

int main(void)
{
	snprintf(dir, sizeof dir, "/dev/shm/rvt-xattr-%d", (int)getpid());
	MUST(mkdir(dir, 0755));
	MUST(chdir(dir));
	write_file("f", "data");
	MUST(mkdir("d", 0755));
	MUST(symlink("f", "l"));
	MUST(mkfifo("p", 0644));
	basics();
	names_and_sizes();
	namespaces();
	by_fd();
	xattrat();
	unprivileged();
	MUST(unlink("f"));
	MUST(unlink("l"));
	MUST(unlink("p"));
	MUST(rmdir("d"));
	MUST(chdir("/"));
	MUST(rmdir(dir));
	printf("done\n");
	return 0;
}
