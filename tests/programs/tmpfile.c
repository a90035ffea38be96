/* O_TMPFILE: unnamed files, named later with linkat(fd, "", ..., AT_EMPTY_PATH) or through
 * /proc/self/fd/N with AT_SYMLINK_FOLLOW; O_EXCL makes them unlinkable; mode and umask rules;
 * the flag checks. Run in a tmpfs directory (/dev/shm) and in /tmp (the overlay in the
 * sandbox, the host's filesystem natively). */
#include "common.h"
#include <dirent.h>

/* The kernel's O_TMPFILE bit without the O_DIRECTORY that O_TMPFILE carries. */
#define TMPFILE_BIT 020000000

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void show_stat(const char *what, int r, struct stat *st)
{
	if (r < 0)
		printf("%s = -1 %s\n", what, errno_name(errno));
	else
		printf("%s: mode %o nlink %ld size %ld\n", what, st->st_mode, (long)st->st_nlink,
		       (long)st->st_size);
}

static void in(const char *dir)
{
	struct stat st;
	char buf[64], link[PATH_MAX], proc[64];
	printf("-- in %s\n", strncmp(dir, "/tmp", 4) == 0 ? "/tmp" : "tmpfs");
	MUST(chdir(dir));
	MUST(mkdir("sub", 0755));
	write_file("existing", "e");

	umask(022);
	int fd = SHOW(open(".", O_TMPFILE | O_RDWR, 0666));
	show_stat("fstat tmpfile", fstat(fd, &st), &st);
	printf("entries: %d\n", entries("."));
	SHOW(write(fd, "hello", 5));
	SHOW(pread(fd, buf, sizeof buf, 0));
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(proc, link, sizeof link - 1);
	link[n < 0 ? 0 : n] = 0;
	CHECK(strncmp(link, dir, strlen(dir)) == 0);
	CHECK(strstr(link, "/#") != NULL);
	CHECK(n > 10 && strcmp(link + n - 10, " (deleted)") == 0);
	SHOW(fchmod(fd, 0600));
	SHOW(linkat(fd, "", AT_FDCWD, "existing", AT_EMPTY_PATH));
	SHOW(linkat(fd, "", AT_FDCWD, "named", AT_EMPTY_PATH));
	show_stat("stat named", stat("named", &st), &st);
	show_stat("fstat after link", fstat(fd, &st), &st);
	printf("entries: %d\n", entries("."));
	int rd = MUST(open("named", O_RDONLY));
	buf[0] = 0;
	n = read(rd, buf, sizeof buf);
	printf("named holds %.*s\n", (int)(n < 0 ? 0 : n), buf);
	MUST(close(rd));
	/* A second name is an ordinary link. */
	SHOW(linkat(fd, "", AT_FDCWD, "sub/again", AT_EMPTY_PATH));
	show_stat("fstat", fstat(fd, &st), &st);
	SHOW(unlink("named"));
	SHOW(unlink("sub/again"));
	/* Once it had a name and lost it, it stays nameless. */
	SHOW(linkat(fd, "", AT_FDCWD, "named", AT_EMPTY_PATH));
	MUST(close(fd));

	/* Through /proc/self/fd/N: a magic link, followed. */
	fd = MUST(open(".", O_TMPFILE | O_WRONLY, 0640));
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	SHOW(linkat(AT_FDCWD, proc, AT_FDCWD, "viaproc", 0));
	SHOW(linkat(AT_FDCWD, proc, AT_FDCWD, "viaproc", AT_SYMLINK_FOLLOW));
	show_stat("stat viaproc", stat("viaproc", &st), &st);
	SHOW(unlink("viaproc"));
	MUST(close(fd));

	/* O_EXCL: never linkable. */
	fd = SHOW(open(".", O_TMPFILE | O_RDWR | O_EXCL, 0600));
	SHOW(linkat(fd, "", AT_FDCWD, "excl", AT_EMPTY_PATH));
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	SHOW(linkat(AT_FDCWD, proc, AT_FDCWD, "excl", AT_SYMLINK_FOLLOW));
	MUST(close(fd));

	/* umask and mode. */
	umask(077);
	fd = MUST(open("sub", O_TMPFILE | O_RDWR, 0666));
	show_stat("umask 077", fstat(fd, &st), &st);
	MUST(close(fd));
	umask(022);
	fd = MUST(open("sub", O_TMPFILE | O_RDWR, 04755));
	show_stat("setuid mode", fstat(fd, &st), &st);
	MUST(close(fd));

	/* Flag checks. */
	SHOW(open(".", O_TMPFILE | O_RDONLY, 0600));
	SHOW(open(".", O_TMPFILE | O_RDWR | O_CREAT, 0600));
	SHOW(open(".", TMPFILE_BIT | O_RDWR, 0600));
	SHOW(open("existing", O_TMPFILE | O_RDWR, 0600));
	SHOW(open("missing", O_TMPFILE | O_RDWR, 0600));
	SHOW(open("missing/x", O_TMPFILE | O_RDWR, 0600));
	MUST(symlink("sub", "dirlink"));
	fd = SHOW(open("dirlink", O_TMPFILE | O_RDWR, 0600));
	if (fd >= 0)
		close(fd);
	SHOW(open("dirlink", O_TMPFILE | O_RDWR | O_NOFOLLOW, 0600));

	MUST(unlink("dirlink"));
	MUST(unlink("existing"));
	MUST(rmdir("sub"));
	printf("entries at the end: %d\n", entries("."));
}

int main(void)
{
	char shm[64];
	snprintf(shm, sizeof shm, "/dev/shm/rvt-tmpfile-%d", (int)getpid());
	MUST(mkdir(shm, 0755));
	in(shm);
	MUST(chdir("/"));
	MUST(rmdir(shm));
	tmpdir_enter();
	in(rvt_tmpdir);
	/* Across filesystems: EXDEV. */
	int fd = MUST(open(rvt_tmpdir, O_TMPFILE | O_RDWR, 0600));
	SHOW(linkat(fd, "", AT_FDCWD, "/dev/shm/rvt-tmpfile-x", AT_EMPTY_PATH));
	MUST(close(fd));
	SHOW(open("/proc", O_TMPFILE | O_RDWR, 0600));
	tmpdir_leave();
	return 0;
}
