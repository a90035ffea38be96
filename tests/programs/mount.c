/* mount(2) and umount2(2): new tmpfs mounts with size and mode (ENOSPC at the limit, a
 * partial write up to it), proc, bind mounts of directories and their errors, remounting a
 * bind read-only (EROFS), MS_MOVE, stacked mounts, propagation changes, and unmounting:
 * busy mounts (an open file, a working directory, child mounts) give EBUSY unless
 * MNT_DETACH, MNT_EXPIRE marks first, MNT_FORCE is accepted, UMOUNT_NOFOLLOW; bad flags,
 * missing paths, non-mount points, unknown types; EPERM without CAP_SYS_ADMIN, after the
 * path lookup errors.
 *
 * Natively this runs as root in a mount namespace of its own (unshare(CLONE_NEWNS), then
 * everything made private), so nothing reaches the host's mount table; the sandbox is a
 * mount namespace already (unshare there may fail: the result is not printed). Run
 * natively without root, every privileged call fails with EPERM in both runs alike.
 */
#include "common.h"
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

static int exists(const char *p)
{
	return access(p, F_OK) == 0;
}

/* Opens `p` with `flags` (creating with 0644), prints the outcome, closes it. */
static void try_open(const char *p, int flags)
{
	int fd = open(p, flags, 0644);
	if (fd < 0)
		printf("open %s = -1 %s\n", p, errno_name(errno));
	else
		printf("open %s = ok\n", p);
	if (fd >= 0)
		close(fd);
}

static void tmpfs_limits(void)
{
	SHOW(mount("none", "a", "tmpfs", 0, "size=16k,mode=0700"));
	struct stat st;
	MUST(stat("a", &st));
	CHECK((st.st_mode & 07777) == 0700);
	static char buf[16384];
	memset(buf, 'x', sizeof buf);
	int fd = open("a/x", O_WRONLY | O_CREAT, 0644);
	SHOW(write(fd, buf, 8192));
	SHOW(write(fd, buf, 16384));
	SHOW(write(fd, buf, 1));
	/* An open file makes the mount busy. */
	SHOW(umount2("a", 0));
	close(fd);
	SHOW(umount2("a", 0));
	CHECK(!exists("a/x"));
}

static void new_mount_errors(void)
{
	SHOW(mount("none", "f", "tmpfs", 0, NULL));
	SHOW(mount("none", "missing", "tmpfs", 0, NULL));
	SHOW(mount("none", "b", "nosuchfs", 0, NULL));
	SHOW(mount("none", "b", "tmpfs", 0, "bogus=1"));
	SHOW(mount("none", "b", "tmpfs", 0, "mode=9"));
	SHOW(mount("none", "b", NULL, 0, NULL));
	SHOW(mount("none", "b", "tmpfs", MS_NOUSER, NULL));
	SHOW(mount("none", "f/x", "tmpfs", 0, NULL));
}

static void binds(void)
{
	SHOW(mount("c", "b", NULL, MS_BIND, NULL));
	write_file("c/y", "through c\n");
	CHECK(exists("b/y"));
	SHOW(mount("f", "c", NULL, MS_BIND, NULL));
	SHOW(mount("nope", "d", NULL, MS_BIND, NULL));
	SHOW(mount("", "d", NULL, MS_BIND, NULL));
	/* Flags given with MS_BIND are ignored; a remount sets them. */
	SHOW(mount("c", "d", NULL, MS_BIND | MS_RDONLY, NULL));
	try_open("d/w", O_WRONLY | O_CREAT);
	SHOW(umount2("d", 0));
	SHOW(mount(NULL, "b", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
	try_open("b/z", O_WRONLY | O_CREAT);
	try_open("b/y", O_RDONLY);
	try_open("b/y", O_WRONLY);
	SHOW(mkdir("b/dd", 0755));
	try_open("c/z", O_WRONLY | O_CREAT);
	SHOW(mount(NULL, "c", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
	SHOW(mount(NULL, "b", NULL, MS_REMOUNT | MS_BIND, NULL));
	try_open("b/z2", O_WRONLY | O_CREAT);
	SHOW(umount2("b", 0));
	CHECK(!exists("b/y"));
	/* A file on a file. */
	write_file("g", "g\n");
	SHOW(mount("g", "f", NULL, MS_BIND, NULL));
	char s[8] = {0};
	int fd = open("f", O_RDONLY);
	SHOW(read(fd, s, sizeof s - 1));
	close(fd);
	CHECK(strcmp(s, "g\n") == 0);
	SHOW(unlink("f"));
	SHOW(umount2("f", 0));
}

static void unmounting(void)
{
	SHOW(umount2("c", 0));
	SHOW(umount2("b", 0x100));
	SHOW(umount2("missing", 0));
	SHOW(umount2("", 0));
	/* A working directory inside makes it busy. */
	SHOW(mount("none", "b", "tmpfs", 0, NULL));
	MUST(chdir("b"));
	SHOW(umount2(".", 0));
	MUST(chdir(".."));
	SHOW(umount2("b", 0));
	/* Child mounts too, unless detached with everything below. */
	SHOW(mount("none", "a", "tmpfs", 0, NULL));
	SHOW(mkdir("a/in", 0755));
	SHOW(mount("none", "a/in", "tmpfs", 0, NULL));
	SHOW(umount2("a", 0));
	SHOW(umount2("a", MNT_DETACH));
	CHECK(!exists("a/in"));
	/* MNT_EXPIRE: marked, then unmounted. */
	SHOW(mount("none", "a", "tmpfs", 0, NULL));
	SHOW(umount2("a", MNT_EXPIRE | MNT_DETACH));
	SHOW(umount2("a", MNT_EXPIRE));
	SHOW(umount2("a", MNT_EXPIRE));
	/* UMOUNT_NOFOLLOW: a symlink to a mount point is not one. */
	SHOW(mount("none", "a", "tmpfs", 0, NULL));
	MUST(symlink("a", "la"));
	SHOW(umount2("la", UMOUNT_NOFOLLOW));
	SHOW(umount2("la", 0));
	SHOW(mount("none", "a", "tmpfs", 0, NULL));
	SHOW(umount2("a", MNT_FORCE));
	/* Stacked: the top one goes first. */
	SHOW(mount("none", "a", "tmpfs", 0, NULL));
	write_file("a/bottom", "1");
	SHOW(mount("none", "a", "tmpfs", 0, NULL));
	CHECK(!exists("a/bottom"));
	SHOW(umount2("a", 0));
	CHECK(exists("a/bottom"));
	SHOW(umount2("a", 0));
}

static void moves_and_propagation(void)
{
	SHOW(mount(NULL, "a", NULL, MS_PRIVATE, NULL));
	SHOW(mount("none", "a", "tmpfs", 0, NULL));
	SHOW(mount(NULL, "a", NULL, MS_PRIVATE | MS_SHARED, NULL));
	SHOW(mount(NULL, "a", NULL, MS_SLAVE, NULL));
	SHOW(mount(NULL, "a", NULL, MS_PRIVATE | MS_REC, NULL));
	write_file("a/m", "m");
	SHOW(mount("c", "b", NULL, MS_MOVE, NULL));
	SHOW(mount("a", "b", NULL, MS_MOVE, NULL));
	CHECK(exists("b/m"));
	CHECK(!exists("a/m"));
	SHOW(umount2("a", 0));
	SHOW(umount2("b", 0));
	/* proc, again. */
	SHOW(mount("proc", "b", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
	CHECK(exists("b/self/status"));
	SHOW(umount2("b", 0));
}

/* EPERM without CAP_SYS_ADMIN — after the lookup errors. */
static void unprivileged(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
		struct __user_cap_data_struct d[2];
		MUST(syscall(SYS_capget, &h, d));
		d[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
		MUST(syscall(SYS_capset, &h, d));
		SHOW(mount("none", "a", "tmpfs", 0, NULL));
		SHOW(mount("none", "missing", "tmpfs", 0, NULL));
		SHOW(mount("c", "b", NULL, MS_BIND, NULL));
		SHOW(umount2("a", 0));
		SHOW(umount2("missing", 0));
		SHOW(umount2("a", 0x100));
		fflush(stdout);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	/* The result differs between the two runs; neither is printed. */
	if (unshare(CLONE_NEWNS) == 0)
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	tmpdir_enter();
	MUST(mkdir("a", 0755));
	MUST(mkdir("b", 0755));
	MUST(mkdir("c", 0755));
	MUST(mkdir("d", 0755));
	write_file("f", "f\n");
	tmpfs_limits();
	new_mount_errors();
	binds();
	unmounting();
	moves_and_propagation();
	unprivileged();
	tmpdir_leave();
	return 0;
}
