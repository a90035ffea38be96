/* execveat: exec through a directory fd, a file fd (AT_EMPTY_PATH, as fexecve does), with
 * AT_SYMLINK_NOFOLLOW, and scripts; what the new program sees (argv, AT_EXECFN, comm,
 * /proc/self/exe's name) and the errors (EBADF, ENOTDIR, EINVAL, ENOENT, ELOOP, EACCES, EFAULT). */
#include "common.h"
#include <sys/auxv.h>
#include <sys/wait.h>

static char self[4096];

/* Runs `what` in a child, prints how it ended: errno from execveat, or the child's output. */
static void try_exec(const char *label, int dirfd, const char *path, char *const argv[], int flags)
{
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		char *envp[] = { "RVT_CHILD=1", NULL };
		syscall(SYS_execveat, dirfd, path, argv, envp, flags);
		printf("%s: execveat = -1 %s\n", label, errno_name(errno));
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	if (!WIFEXITED(st))
		printf("%s: child killed by %d\n", label, WTERMSIG(st));
}

static void child_report(int argc, char **argv)
{
	char comm[32] = "";
	int fd = open("/proc/self/comm", O_RDONLY);
	if (fd >= 0) {
		long n = read(fd, comm, sizeof comm - 1);
		if (n > 0)
			comm[n - 1] = 0;
		close(fd);
	}
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	char exe[4096] = "";
	long n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0)
		exe[n] = 0;
	const char *base = strrchr(exe, '/');
	printf("  ran: argv");
	for (int i = 0; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf(" comm %s execfn %s exe-base %s\n", comm, execfn ? execfn : "-", base ? base + 1 : "-");
}

int main(int argc, char **argv)
{
	if (getenv("RVT_CHILD")) {
		child_report(argc, argv);
		return 0;
	}
	long n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n < 0)
		return 99;
	self[n] = 0;
	tmpdir_enter();
	char *args[] = { "prog", "one", NULL };

	/* Copy ourselves in as "bin" so names are predictable. */
	int in = MUST(open(self, O_RDONLY));
	int out = MUST(open("bin", O_WRONLY | O_CREAT, 0755));
	char buf[65536];
	long r;
	while ((r = read(in, buf, sizeof buf)) > 0)
		MUST(write(out, buf, r));
	close(in);
	close(out);
	MUST(symlink("bin", "link"));
	write_file("script", "#!bin arg\n");
	MUST(chmod("script", 0755));
	write_file("noexec", "x");
	MUST(mkdir("d", 0755));

	int dfd = MUST(open(".", O_RDONLY | O_DIRECTORY));
	try_exec("dirfd+relative", dfd, "bin", args, 0);
	try_exec("AT_FDCWD", AT_FDCWD, "bin", args, 0);
	try_exec("absolute ignores dirfd", 9999, "/proc/self/exe", args, 0);
	int ffd = MUST(open("bin", O_RDONLY));
	try_exec("AT_EMPTY_PATH", ffd, "", args, AT_EMPTY_PATH);
	int pfd = MUST(open("bin", O_PATH));
	try_exec("AT_EMPTY_PATH on O_PATH", pfd, "", args, AT_EMPTY_PATH);
	try_exec("symlink", dfd, "link", args, 0);
	try_exec("symlink NOFOLLOW", dfd, "link", args, AT_SYMLINK_NOFOLLOW);
	try_exec("script via dirfd", dfd, "script", args, 0);
	int sfd = MUST(open("script", O_RDONLY));
	try_exec("script AT_EMPTY_PATH", sfd, "", args, AT_EMPTY_PATH);
	int scfd = MUST(open("script", O_RDONLY | O_CLOEXEC));
	try_exec("script AT_EMPTY_PATH cloexec", scfd, "", args, AT_EMPTY_PATH);
	try_exec("empty path without flag", ffd, "", args, 0);
	try_exec("bad flag", dfd, "bin", args, 0x4);
	try_exec("bad dirfd", 9999, "bin", args, 0);
	try_exec("file as dirfd", ffd, "bin", args, 0);
	try_exec("missing", dfd, "missing", args, 0);
	try_exec("not executable", dfd, "noexec", args, 0);
	try_exec("directory", dfd, "d", args, 0);
	int ddfd = MUST(open("d", O_RDONLY | O_DIRECTORY));
	try_exec("directory AT_EMPTY_PATH", ddfd, "", args, AT_EMPTY_PATH);
	try_exec("bad path pointer", dfd, (const char *)1, args, 0);
	close(ffd);
	close(pfd);
	close(sfd);
	close(scfd);
	close(ddfd);
	close(dfd);
	tmpdir_leave();
	return 0;
}
