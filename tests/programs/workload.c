/* workload: an ordinary file workload in a fresh directory under /tmp: create a tree, write
 * and append, rename and link, list (sorted), read everything back with a checksum, then
 * remove it all and check the directory is gone. */
#include "common.h"
#include <dirent.h>

static unsigned long sum;

static void add(const char *data, long n)
{
	for (long i = 0; i < n; i++)
		sum = sum * 131 + (unsigned char)data[i];
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists a directory recursively, sorted, with sizes of regular files. */
static void list(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (!d) {
		printf("opendir %s: %s\n", dir, errno_name(errno));
		return;
	}
	char *names[64];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 64)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof names[0], by_name);
	for (int i = 0; i < n; i++) {
		char path[512];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		MUST(lstat(path, &st));
		printf("%*s%s%s", depth * 2, "", names[i], S_ISDIR(st.st_mode) ? "/" : S_ISLNK(st.st_mode) ? "@" : "");
		if (S_ISREG(st.st_mode))
			printf(" %ld bytes, %ld links", (long)st.st_size, (long)st.st_nlink);
		printf("\n");
		if (S_ISDIR(st.st_mode))
			list(path, depth + 1);
		free(names[i]);
	}
}

int main(void)
{
	char buf[8192], name[64];
	tmpdir_enter();
	MUST(mkdir("src", 0755));
	MUST(mkdir("src/lib", 0755));
	MUST(mkdir("out", 0755));
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof name, "src/file%02d.txt", i);
		int fd = MUST(open(name, O_WRONLY | O_CREAT | O_EXCL, 0644));
		for (int j = 0; j <= i; j++) {
			int len = snprintf(buf, sizeof buf, "line %d of file %d\n", j, i);
			MUST(write(fd, buf, len));
		}
		MUST(close(fd));
	}
	int log = MUST(open("out/log", O_WRONLY | O_CREAT | O_APPEND, 0600));
	for (int i = 0; i < 100; i++) {
		int len = snprintf(buf, sizeof buf, "entry %03d\n", i);
		MUST(write(log, buf, len));
	}
	MUST(close(log));
	for (int i = 0; i < 20; i += 3) {
		char to[64];
		snprintf(name, sizeof name, "src/file%02d.txt", i);
		snprintf(to, sizeof to, "src/lib/moved%02d.txt", i);
		MUST(rename(name, to));
	}
	MUST(link("src/file01.txt", "out/hardlink"));
	MUST(symlink("../src/file02.txt", "out/symlink"));
	MUST(truncate("src/file19.txt", 100));
	list(".", 0);

	/* Read everything back through the links and the moved names. */
	const char *reads[] = { "out/hardlink", "out/symlink", "src/lib/moved18.txt", "src/file19.txt", "out/log" };
	for (unsigned i = 0; i < sizeof reads / sizeof reads[0]; i++) {
		int fd = MUST(open(reads[i], O_RDONLY));
		long n, total = 0;
		while ((n = MUST(read(fd, buf, 100))) > 0) {
			add(buf, n);
			total += n;
		}
		MUST(close(fd));
		printf("%s: %ld bytes\n", reads[i], total);
	}
	printf("checksum %lx\n", sum);

	/* Remove everything by hand (not nftw), bottom up. */
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof name, i % 3 == 0 ? "src/lib/moved%02d.txt" : "src/file%02d.txt", i);
		MUST(unlink(name));
	}
	SHOW(rmdir("src"));
	SHOW(rmdir("src/lib"));
	SHOW(rmdir("src"));
	SHOW(unlink("out/hardlink"));
	SHOW(unlink("out/symlink"));
	SHOW(unlink("out/log"));
	SHOW(rmdir("out"));
	list(".", 0);
	tmpdir_leave();
	return 0;
}
