/* Names looked up again after many others must give the same files: same
 * st_dev and st_ino, same contents. Under rvisor the dentry cache drops
 * unused entries once it holds more than its bound (vfs/dcache.rs), and the
 * overlay forgets lower-only objects nobody holds, so this program walks far
 * more names than the bound between the first look and the second: files it
 * made in its tmp dir (the overlay's upper layer in the sandbox) and host
 * files under /usr/include (the lower layer, served by the Gofer). An open
 * file, the cwd, mounts (on a tmp dir and on a host directory), renames and
 * inotify watches keep working across it.
 *
 * Natively this runs as root in a mount namespace of its own (as mount.c
 * does), so its mounts never reach the host's mount table. */
#include "common.h"
#include <ftw.h>
#include <poll.h>
#include <sched.h>
#include <sys/inotify.h>
#include <sys/mount.h>

#define NDIRS 60
#define NFILES 25
#define NHOST 300

struct id {
	dev_t dev;
	ino_t ino;
};

static struct id tmp_ids[NDIRS][NFILES];
static struct id dir_ids[NDIRS];

static struct {
	char path[512];
	struct id id;
	off_t size;
	unsigned long sum;
} host[NHOST];
static int nhost;
static long walked;

static int same(const struct stat *st, struct id id)
{
	return st->st_dev == id.dev && st->st_ino == id.ino;
}

/* A checksum of the first 4 KiB, or -1 if the file cannot be read. */
static long checksum(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	unsigned char buf[4096];
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	if (n < 0)
		return -1;
	unsigned long sum = 0;
	for (ssize_t i = 0; i < n; i++)
		sum = sum * 31 + buf[i];
	return (long)(sum & 0x7fffffff);
}

static int record(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)f;
	walked++;
	if (flag == FTW_F && S_ISREG(st->st_mode) && nhost < NHOST && walked % 17 == 0 &&
	    strlen(path) < sizeof host[0].path) {
		long sum = checksum(path);
		if (sum >= 0) {
			strcpy(host[nhost].path, path);
			host[nhost].id = (struct id){st->st_dev, st->st_ino};
			host[nhost].size = st->st_size;
			host[nhost].sum = (unsigned long)sum;
			nhost++;
		}
	}
	return 0;
}

static int count(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)path, (void)st, (void)flag, (void)f;
	walked++;
	return 0;
}

/* Whether an event with `mask` and `name` is queued on `fd` (reads them all). */
static int has_event(int fd, int wd, unsigned mask, const char *name)
{
	char buf[65536] __attribute__((aligned(8)));
	int found = 0;
	struct pollfd p = {fd, POLLIN, 0};
	while (poll(&p, 1, 0) == 1) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0)
			break;
		for (char *q = buf; q < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)q;
			if (e->wd == wd && (e->mask & mask) && e->len > 0 && strcmp(e->name, name) == 0)
				found = 1;
			q += sizeof *e + e->len;
		}
	}
	return found;
}

int main(void)
{
	char name[64], want[64], got[64];
	struct stat st;

	/* The result differs between the two runs; neither is printed. */
	if (unshare(CLONE_NEWNS) == 0)
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	tmpdir_enter();
	for (int d = 0; d < NDIRS; d++) {
		snprintf(name, sizeof name, "d%02d", d);
		MUST(mkdir(name, 0755));
		MUST(stat(name, &st));
		dir_ids[d] = (struct id){st.st_dev, st.st_ino};
		for (int f = 0; f < NFILES; f++) {
			snprintf(name, sizeof name, "d%02d/f%02d", d, f);
			int fd = MUST(open(name, O_CREAT | O_WRONLY, 0644));
			MUST(write(fd, name, strlen(name)));
			MUST(fstat(fd, &st));
			close(fd);
			tmp_ids[d][f] = (struct id){st.st_dev, st.st_ino};
		}
	}
	int kept = MUST(open("d03/f03", O_RDONLY));
	int in = MUST(inotify_init1(IN_NONBLOCK));
	int wd_tmp = MUST(inotify_add_watch(in, "d05", IN_CREATE));
	int wd_host = MUST(inotify_add_watch(in, "/usr/include", IN_OPEN));
	MUST(mkdir("mnt", 0755));
	SHOW(mount("none", "mnt", "tmpfs", 0, NULL));
	SHOW(mount("none", "/usr/include/linux", "tmpfs", 0, NULL));
	close(MUST(open("mnt/m", O_CREAT | O_WRONLY, 0644)));
	close(MUST(open("/usr/include/linux/m", O_CREAT | O_WRONLY, 0644)));
	MUST(chdir("d07"));

	/* Thousands of names: far past the cache's bound. */
	walked = 0;
	MUST(nftw("/usr/include", record, 16, FTW_PHYS));
	CHECK(walked > 2000);
	CHECK(nhost > 100);
	walked = 0;
	MUST(nftw("..", count, 16, FTW_PHYS));
	SHOW(walked);
	walked = 0;
	MUST(nftw("/usr/include", count, 16, FTW_PHYS));

	/* The tmp files, from the cwd that was left alone meanwhile. */
	int ids_ok = 1, data_ok = 1, checked = 0;
	for (int d = 0; d < NDIRS; d++) {
		snprintf(name, sizeof name, "../d%02d", d);
		if (stat(name, &st) != 0 || !same(&st, dir_ids[d]))
			ids_ok = 0;
		for (int f = 0; f < NFILES; f++) {
			snprintf(name, sizeof name, "../d%02d/f%02d", d, f);
			snprintf(want, sizeof want, "d%02d/f%02d", d, f);
			memset(got, 0, sizeof got);
			int fd = open(name, O_RDONLY);
			if (fd < 0 || fstat(fd, &st) != 0 || !same(&st, tmp_ids[d][f]))
				ids_ok = 0;
			if (fd < 0 || read(fd, got, sizeof got - 1) != (ssize_t)strlen(want) ||
			    strcmp(got, want) != 0)
				data_ok = 0;
			if (fd >= 0)
				close(fd);
			checked++;
		}
	}
	SHOW(checked);
	CHECK(ids_ok);
	CHECK(data_ok);

	/* The host files. */
	ids_ok = 1, data_ok = 1;
	for (int i = 0; i < nhost; i++) {
		if (stat(host[i].path, &st) != 0 || !same(&st, host[i].id) ||
		    st.st_size != host[i].size)
			ids_ok = 0;
		if ((unsigned long)checksum(host[i].path) != host[i].sum)
			data_ok = 0;
	}
	CHECK(ids_ok);
	CHECK(data_ok);

	/* The file kept open, and the cwd. */
	struct stat a, b;
	MUST(fstat(kept, &a));
	MUST(stat("../d03/f03", &b));
	CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	MUST(stat(".", &st));
	CHECK(same(&st, dir_ids[7]));
	char cwd[4096];
	CHECK(getcwd(cwd, sizeof cwd) && strlen(cwd) > 4 && strcmp(cwd + strlen(cwd) - 4, "/d07") == 0);

	/* A rename after the names were dropped moves the same file. */
	SHOW(rename("../d09/f01", "../d09/g01"));
	MUST(stat("../d09/g01", &st));
	CHECK(same(&st, tmp_ids[9][1]));
	SHOW(stat("../d09/f01", &st));

	/* Watches outlive the dentries: a tmp dir, and a host directory. */
	int fd = MUST(open("../d05/new", O_CREAT | O_WRONLY, 0644));
	close(fd);
	CHECK(has_event(in, wd_tmp, IN_CREATE, "new"));
	fd = MUST(open("/usr/include/stdio.h", O_RDONLY));
	close(fd);
	CHECK(has_event(in, wd_host, IN_OPEN, "stdio.h"));

	/* The mounts are still there. */
	CHECK(access("../mnt/m", F_OK) == 0);
	CHECK(access("/usr/include/linux/m", F_OK) == 0);
	SHOW(umount("../mnt"));
	SHOW(umount("/usr/include/linux"));
	CHECK(access("../mnt/m", F_OK) == 0);
	CHECK(access("/usr/include/linux/m", F_OK) == 0);

	/* Error cases still answer as before. */
	SHOW(stat("../d05/missing", &st));
	SHOW(stat("../d05/f00/x", &st));
	SHOW(open("../d05", O_WRONLY));

	close(in);
	close(kept);
	tmpdir_leave();
	return 0;
}
