/* dirs: getcwd/chdir/fchdir, getdents64 and readlink/readlinkat.
 * The cwd is compared with the directory we entered (never printed: it is random), then
 * walked with relative paths; directory listings are sorted before printing and carry
 * d_type; readlink truncation and error cases are shown. */
#include "common.h"
#include <dirent.h>
#include <limits.h>

struct entry {
	char name[256];
	int type;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static const char *dtype(int t)
{
	switch (t) {
	case DT_REG: return "reg";
	case DT_DIR: return "dir";
	case DT_LNK: return "lnk";
	case DT_UNKNOWN: return "unknown";
	}
	return "other";
}

/* Reads a whole directory with getdents64 calls of `bufsize` bytes. */
static int list_dir(int fd, int bufsize, struct entry *out, int max, int *calls)
{
	char buf[8192];
	int n = 0;
	*calls = 0;
	for (;;) {
		long got = syscall(SYS_getdents64, fd, buf, bufsize);
		if (got < 0) {
			printf("getdents64: %s\n", errno_name(errno));
			return n;
		}
		if (got == 0)
			return n;
		(*calls)++;
		for (long off = 0; off < got;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			if (n < max) {
				snprintf(out[n].name, sizeof out[n].name, "%s", d->d_name);
				out[n].type = d->d_type;
				n++;
			}
			off += d->d_reclen;
		}
	}
}

static void cwds(void)
{
	char buf[PATH_MAX], start[PATH_MAX];
	MUST(getcwd(start, sizeof start) ? 0 : -1);
	long r = SHOW(syscall(SYS_getcwd, buf, sizeof buf));
	CHECK(r == (long)strlen(start) + 1);
	CHECK(strncmp(start, "/tmp/rvt-dirs-", 14) == 0);
	SHOW(syscall(SYS_getcwd, buf, 1));
	SHOW(syscall(SYS_getcwd, buf, 0));
	SHOW(syscall(SYS_getcwd, (void *)1, sizeof buf));
	MUST(mkdir("sub", 0755));
	write_file("file", "x");
	SHOW(chdir("sub"));
	MUST(getcwd(buf, sizeof buf) ? 0 : -1);
	CHECK(strcmp(buf + strlen(start), "/sub") == 0);
	SHOW(chdir(".."));
	MUST(getcwd(buf, sizeof buf) ? 0 : -1);
	CHECK(strcmp(buf, start) == 0);
	SHOW(chdir("missing"));
	SHOW(chdir("file"));
	SHOW(chdir(""));
	SHOW(syscall(SYS_chdir, (void *)1));
	int dfd = MUST(open("sub", O_RDONLY | O_DIRECTORY));
	int ffd = MUST(open("file", O_RDONLY));
	SHOW(fchdir(dfd));
	MUST(getcwd(buf, sizeof buf) ? 0 : -1);
	CHECK(strcmp(buf + strlen(start), "/sub") == 0);
	SHOW(fchdir(ffd));
	SHOW(fchdir(-1));
	MUST(close(dfd));
	MUST(close(ffd));
	SHOW(chdir("/"));
	MUST(getcwd(buf, sizeof buf) ? 0 : -1);
	printf("cwd after chdir(\"/\"): %s\n", buf);
	SHOW(chdir("/.."));
	MUST(getcwd(buf, sizeof buf) ? 0 : -1);
	printf("cwd after chdir(\"/..\"): %s\n", buf);
	/* A removed cwd: getcwd fails with ENOENT, relative lookups of .. still work. */
	MUST(chdir(start));
	MUST(mkdir("gone", 0755));
	MUST(chdir("gone"));
	SHOW(rmdir("../gone"));
	SHOW(syscall(SYS_getcwd, buf, sizeof buf));
	SHOW(open("new", O_CREAT | O_RDWR, 0644));
	SHOW(chdir(".."));
	MUST(getcwd(buf, sizeof buf) ? 0 : -1);
	CHECK(strcmp(buf, start) == 0);
}

static void listings(void)
{
	static struct entry e[400];
	int calls;
	MUST(mkdir("ls", 0755));
	MUST(chdir("ls"));
	write_file("b", "");
	write_file("a", "");
	MUST(mkdir("dir", 0755));
	MUST(symlink("a", "link"));
	int fd = MUST(open(".", O_RDONLY | O_DIRECTORY));
	int n = list_dir(fd, 8192, e, 400, &calls);
	qsort(e, n, sizeof e[0], by_name);
	printf("entries: %d\n", n);
	for (int i = 0; i < n; i++)
		printf("  %s %s\n", e[i].name, dtype(e[i].type));
	SHOW(syscall(SYS_getdents64, fd, e, sizeof e));
	SHOW(lseek(fd, 0, SEEK_SET));
	n = list_dir(fd, 48, e, 400, &calls);
	printf("after rewind with a 48-byte buffer: %d entries in %s calls\n", n, calls > 1 ? "several" : "one");
	SHOW(lseek(fd, 0, SEEK_SET));
	SHOW(syscall(SYS_getdents64, fd, e, 1));
	SHOW(syscall(SYS_getdents64, fd, (void *)1, 4096));
	SHOW(syscall(SYS_getdents64, -1, e, 4096));
	int ffd = MUST(open("a", O_RDONLY));
	SHOW(syscall(SYS_getdents64, ffd, e, 4096));
	MUST(close(ffd));
	MUST(close(fd));

	/* A directory bigger than one buffer. */
	MUST(mkdir("many", 0755));
	char name[300];
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof name, "many/entry-with-a-long-name-%03d", i);
		write_file(name, "");
	}
	fd = MUST(open("many", O_RDONLY | O_DIRECTORY));
	n = list_dir(fd, 4096, e, 400, &calls);
	qsort(e, n, sizeof e[0], by_name);
	printf("many: %d entries in %s calls, first %s, last %s\n", n, calls > 1 ? "several" : "one",
	       e[2].name, e[n - 1].name);
	MUST(close(fd));
	MUST(chdir(".."));
}

static void links(void)
{
	char buf[64];
	long n;
	MUST(symlink("target/of/link", "sl"));
	memset(buf, 0, sizeof buf);
	n = SHOW(readlink("sl", buf, sizeof buf));
	printf("readlink: [%.*s]\n", (int)n, buf);
	memset(buf, 0, sizeof buf);
	n = SHOW(readlink("sl", buf, 6));
	printf("truncated: [%s]\n", buf);
	SHOW(readlink("file", buf, sizeof buf));
	SHOW(readlink("missing", buf, sizeof buf));
	SHOW(syscall(SYS_readlink, "sl", buf, 0));
	SHOW(syscall(SYS_readlink, "sl", (void *)1, sizeof buf));
	SHOW(syscall(SYS_readlink, (void *)1, buf, sizeof buf));
	int dfd = MUST(open(".", O_RDONLY | O_DIRECTORY));
	n = SHOW(readlinkat(dfd, "sl", buf, sizeof buf));
	printf("readlinkat: [%.*s]\n", (int)n, buf);
	SHOW(readlinkat(AT_FDCWD, "sl", buf, sizeof buf));
	SHOW(readlinkat(-1, "sl", buf, sizeof buf));
	int pfd = MUST(open("sl", O_PATH | O_NOFOLLOW));
	n = SHOW(readlinkat(pfd, "", buf, sizeof buf));
	printf("readlinkat on O_PATH fd: [%.*s]\n", (int)n, buf);
	SHOW(readlinkat(dfd, "", buf, sizeof buf));
	MUST(close(pfd));
	MUST(close(dfd));
	MUST(symlink("sl2", "sl1"));
	MUST(symlink("sl1", "sl2"));
	n = SHOW(readlink("sl1", buf, sizeof buf));
	printf("loop link target: [%.*s]\n", (int)n, buf);
	SHOW(readlink("sl1/x", buf, sizeof buf));
}

int main(void)
{
	tmpdir_enter();
	cwds();
	listings();
	links();
	tmpdir_leave();
	return 0;
}
