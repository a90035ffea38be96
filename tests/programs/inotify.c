/* inotify: inotify_init/init1 flags, inotify_add_watch (masks, IN_MASK_ADD, IN_MASK_CREATE,
 * IN_ONLYDIR, IN_DONT_FOLLOW, the same inode watched twice getting the same wd, errors),
 * inotify_rm_watch (IN_IGNORED), and the events that changes made inside the sandbox
 * produce, on a watched directory (with names) and on watched files: IN_CREATE, IN_OPEN,
 * IN_MODIFY (coalesced while unread), IN_CLOSE_WRITE, IN_CLOSE_NOWRITE, IN_ATTRIB, IN_MOVED_FROM/
 * IN_MOVED_TO (same cookie), IN_MOVE_SELF, IN_DELETE, IN_DELETE_SELF, IN_ONESHOT; reads of
 * whole records (EINVAL for a buffer too small), FIONREAD, poll, nonblocking and blocking reads. */
#include "common.h"
#include <limits.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

static int wd_dir, wd_file;
static unsigned last_cookie;

static const char *wd_name(int wd)
{
	if (wd == wd_dir)
		return "dir";
	if (wd == wd_file)
		return "file";
	return "other";
}

static void mask_text(unsigned m, char *out)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ IN_ACCESS, "ACCESS" }, { IN_MODIFY, "MODIFY" }, { IN_ATTRIB, "ATTRIB" },
		{ IN_CLOSE_WRITE, "CLOSE_WRITE" }, { IN_CLOSE_NOWRITE, "CLOSE_NOWRITE" }, { IN_OPEN, "OPEN" },
		{ IN_MOVED_FROM, "MOVED_FROM" }, { IN_MOVED_TO, "MOVED_TO" }, { IN_CREATE, "CREATE" },
		{ IN_DELETE, "DELETE" }, { IN_DELETE_SELF, "DELETE_SELF" }, { IN_MOVE_SELF, "MOVE_SELF" },
		{ IN_UNMOUNT, "UNMOUNT" }, { IN_Q_OVERFLOW, "Q_OVERFLOW" }, { IN_IGNORED, "IGNORED" },
		{ IN_ISDIR, "ISDIR" },
	};
	out[0] = 0;
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		if (m & names[i].bit) {
			if (out[0])
				strcat(out, "|");
			strcat(out, names[i].name);
		}
}

/* Print every queued event (nonblocking fd). */
static void events(int fd)
{
	char buf[4096] __attribute__((aligned(8)));
	for (;;) {
		long n = read(fd, buf, sizeof buf);
		if (n < 0) {
			if (errno != EAGAIN)
				printf("  read: %s\n", errno_name(errno));
			return;
		}
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			char m[200];
			mask_text(e->mask, m);
			const char *cookie = "";
			if (e->cookie) {
				cookie = e->cookie == last_cookie ? " cookie=same" : " cookie=new";
				last_cookie = e->cookie;
			}
			printf("  %s %s len=%u name='%s'%s\n", wd_name(e->wd), m, e->len, e->len ? e->name : "", cookie);
			p += sizeof *e + e->len;
		}
	}
}

static void errors(void)
{
	SHOW(inotify_init1(0x1234));
	SHOW(inotify_init1(IN_NONBLOCK | 1));
	int fd = SHOW(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
	printf("cloexec %d nonblock %d accmode %d\n", fcntl(fd, F_GETFD), !!(fcntl(fd, F_GETFL) & O_NONBLOCK),
	       fcntl(fd, F_GETFL) & O_ACCMODE);
	SHOW(inotify_add_watch(fd, ".", 0));
	SHOW(inotify_add_watch(fd, ".", IN_DONT_FOLLOW));
	SHOW(inotify_add_watch(fd, ".", IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE));
	SHOW(inotify_add_watch(fd, "missing", IN_MODIFY));
	SHOW(inotify_add_watch(fd, NULL, IN_MODIFY));
	SHOW(inotify_add_watch(99, ".", IN_MODIFY));
	int p[2];
	MUST(pipe(p));
	SHOW(inotify_add_watch(p[0], ".", IN_MODIFY));
	SHOW(inotify_rm_watch(p[0], 1));
	close(p[0]);
	close(p[1]);
	SHOW(inotify_rm_watch(fd, 12345));
	SHOW(inotify_rm_watch(99, 1));
	write_file("plain", "x");
	SHOW(inotify_add_watch(fd, "plain", IN_MODIFY | IN_ONLYDIR));
	MUST(symlink("plain", "link"));
	int a = SHOW(inotify_add_watch(fd, "link", IN_MODIFY));
	int b = SHOW(inotify_add_watch(fd, "plain", IN_ATTRIB));
	printf("same wd through the link %d\n", a == b);
	SHOW(inotify_add_watch(fd, "plain", IN_ATTRIB | IN_MASK_CREATE));
	int c = SHOW(inotify_add_watch(fd, "link", IN_ATTRIB | IN_DONT_FOLLOW));
	printf("link itself differs %d\n", c != a);
	char small[8];
	SHOW(read(fd, small, sizeof small));
	SHOW(write(fd, small, sizeof small));
	SHOW(inotify_rm_watch(fd, a));
	SHOW(inotify_rm_watch(fd, a));
	SHOW(read(fd, small, sizeof small));
	int n = -1;
	SHOW(ioctl(fd, FIONREAD, &n));
	printf("fionread %d\n", n);
	wd_dir = wd_file = -100;
	events(fd);
	struct stat st;
	SHOW(fstat(fd, &st));
	printf("mode %o\n", st.st_mode);
	char path[64], link[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	long l = readlink(path, link, sizeof link - 1);
	if (l > 0) {
		link[l] = 0;
		printf("link %s\n", link);
	}
	close(fd);
	unlink("link");
	unlink("plain");
	SHOW(syscall(SYS_inotify_init) >= 0);
}

static void directory_events(void)
{
	int fd = MUST(inotify_init1(IN_NONBLOCK));
	MUST(mkdir("d", 0755));
	wd_dir = SHOW(inotify_add_watch(fd, "d", IN_ALL_EVENTS));
	wd_file = -100;

	printf("create + write + close:\n");
	int f = MUST(open("d/f", O_WRONLY | O_CREAT, 0644));
	MUST(write(f, "a", 1));
	MUST(write(f, "b", 1));
	MUST(write(f, "c", 1));
	MUST(close(f));
	events(fd);

	printf("open for reading + close:\n");
	f = MUST(open("d/f", O_RDONLY));
	MUST(close(f));
	events(fd);

	printf("chmod, mkdir, rename within, rename out, unlink, rmdir:\n");
	MUST(chmod("d/f", 0600));
	MUST(mkdir("d/sub", 0755));
	MUST(rename("d/f", "d/g"));
	MUST(rename("d/g", "outside"));
	MUST(rename("outside", "d/back"));
	MUST(unlink("d/back"));
	MUST(rmdir("d/sub"));
	events(fd);

	printf("symlink, link, truncate:\n");
	write_file("d/t", "0123456789");
	events(fd);
	MUST(symlink("t", "d/sl"));
	MUST(link("d/t", "d/hard"));
	MUST(truncate("d/t", 3));
	events(fd);
	unlink("d/sl");
	unlink("d/hard");
	unlink("d/t");
	events(fd);

	printf("FIONREAD and a short buffer:\n");
	MUST(close(MUST(open("d/x", O_CREAT | O_WRONLY, 0644))));
	int n = -1;
	SHOW(ioctl(fd, FIONREAD, &n));
	printf("fionread %d\n", n);
	char small[20];
	SHOW(read(fd, small, sizeof small));
	events(fd);
	unlink("d/x");
	events(fd);

	printf("rm_watch:\n");
	SHOW(inotify_rm_watch(fd, wd_dir));
	events(fd);
	rmdir("d");
	events(fd);
	close(fd);
}

static void file_events(void)
{
	int fd = MUST(inotify_init1(IN_NONBLOCK));
	write_file("w", "data");
	MUST(mkdir("dd", 0755));
	wd_file = SHOW(inotify_add_watch(fd, "w", IN_ALL_EVENTS));
	wd_dir = SHOW(inotify_add_watch(fd, "dd", IN_DELETE_SELF | IN_MOVE_SELF));

	printf("file: open/modify/attrib/close:\n");
	int f = MUST(open("w", O_RDWR));
	MUST(pwrite(f, "D", 1, 0));
	MUST(fchmod(f, 0600));
	MUST(close(f));
	events(fd);

	printf("file: rename, unlink:\n");
	MUST(rename("w", "w2"));
	MUST(unlink("w2"));
	events(fd);

	printf("dir: rename, rmdir:\n");
	MUST(rename("dd", "dd2"));
	MUST(rmdir("dd2"));
	events(fd);

	printf("oneshot and mask add:\n");
	write_file("o", "x");
	wd_file = SHOW(inotify_add_watch(fd, "o", IN_OPEN | IN_ONESHOT));
	SHOW(inotify_add_watch(fd, "o", IN_CLOSE | IN_MASK_ADD));
	f = MUST(open("o", O_RDONLY));
	close(f);
	f = MUST(open("o", O_RDONLY));
	close(f);
	events(fd);
	unlink("o");
	events(fd);
	close(fd);
}

static void waiting(void)
{
	int fd = MUST(inotify_init());
	MUST(mkdir("wd", 0755));
	wd_dir = MUST(inotify_add_watch(fd, "wd", IN_CREATE));
	wd_file = -100;
	struct pollfd pf = { fd, POLLIN, 0 };
	SHOW(poll(&pf, 1, 0));
	pid_t c = MUST(fork());
	if (c == 0) {
		usleep(50000);
		close(MUST(open("wd/late", O_CREAT | O_WRONLY, 0644)));
		_exit(0);
	}
	/* A blocking read waits for the child's create. */
	char buf[256] __attribute__((aligned(8)));
	long n = read(fd, buf, sizeof buf);
	struct inotify_event *e = (struct inotify_event *)buf;
	printf("read %ld: wd ok %d mask %#x name '%s'\n", n, e->wd == wd_dir, e->mask, e->name);
	int status;
	MUST(waitpid(c, &status, 0));
	SHOW(poll(&pf, 1, 0));
	unlink("wd/late");
	rmdir("wd");
	close(fd);
}

int main(void)
{
	tmpdir_enter();
	errors();
	directory_events();
	file_events();
	waiting();
	tmpdir_leave();
	return 0;
}
