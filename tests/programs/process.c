/* Process lifecycle: fork/vfork/clone flags, exit statuses (incl. the core
 * bit), wait4/waitpid/waitid options (WNOHANG, WUNTRACED, WCONTINUED,
 * WNOWAIT, __WALL), orphans reparented to a subreaper, PR_SET_PDEATHSIG,
 * execve with O_CLOEXEC and #! scripts, SIGCHLD codes, ECHILD. */
#define _GNU_SOURCE
#include "common.h"
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <linux/sched.h>

static const char *self;

static void show_status(const char *what, int st)
{
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by %d core=%d\n", what, WTERMSIG(st), WCOREDUMP(st) ? 1 : 0);
	else if (WIFSTOPPED(st))
		printf("%s: stopped by %d\n", what, WSTOPSIG(st));
	else if (WIFCONTINUED(st))
		printf("%s: continued\n", what);
}

static void statuses(void)
{
	int st;
	pid_t p = fork();
	if (p == 0)
		_exit(42);
	CHECK(waitpid(p, &st, 0) == p);
	show_status("_exit(42)", st);
	p = fork();
	if (p == 0) {
		struct rlimit rl = {0, 0};
		setrlimit(RLIMIT_CORE, &rl);
		abort();
	}
	waitpid(p, &st, 0);
	show_status("abort()", st);
	p = fork();
	if (p == 0) {
		pause();
		_exit(0);
	}
	kill(p, SIGTERM);
	waitpid(p, &st, 0);
	show_status("SIGTERM", st);
	SHOW(waitpid(-1, &st, WNOHANG));
	SHOW(waitpid(12345, &st, 0));
	SHOW(waitpid(-1, &st, 0x100000));
}

static void stop_continue(void)
{
	int st;
	pid_t p = fork();
	if (p == 0) {
		for (;;)
			pause();
	}
	kill(p, SIGSTOP);
	CHECK(waitpid(p, &st, WUNTRACED) == p);
	show_status("after SIGSTOP", st);
	kill(p, SIGCONT);
	CHECK(waitpid(p, &st, WCONTINUED) == p);
	show_status("after SIGCONT", st);
	SHOW(waitpid(p, &st, WNOHANG | WUNTRACED | WCONTINUED));
	kill(p, SIGKILL);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	CHECK(waitid(P_PID, p, &si, WEXITED | WNOWAIT) == 0);
	printf("waitid WNOWAIT: pid ok=%d code=%s status=%d\n", si.si_pid == p, si.si_code == CLD_KILLED ? "CLD_KILLED" : "other", si.si_status);
	memset(&si, 0, sizeof si);
	CHECK(waitid(P_PID, p, &si, WEXITED) == 0);
	printf("waitid again reaps: %d\n", si.si_pid == p);
	SHOW(waitid(P_PID, p, &si, WEXITED));
	SHOW(waitid(P_ALL, 0, &si, 0));
}

static volatile int chld_code;
static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)uc;
	chld_code = si->si_code;
}

static void sigchld(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGCHLD, &sa, NULL);
	pid_t p = fork();
	if (p == 0)
		_exit(3);
	int st;
	waitpid(p, &st, 0);
	printf("SIGCHLD code: %s\n", chld_code == CLD_EXITED ? "CLD_EXITED" : "other");
	signal(SIGCHLD, SIG_DFL);
}

static void vfork_and_clone(void)
{
	volatile int shared = 0;
	pid_t p = vfork();
	if (p == 0) {
		shared = 7;
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	printf("vfork child wrote parent memory: %d\n", shared);

	pid_t ptid = 0;
	struct clone_args ca;
	memset(&ca, 0, sizeof ca);
	ca.flags = CLONE_PARENT_SETTID;
	ca.parent_tid = (unsigned long)&ptid;
	ca.exit_signal = SIGCHLD;
	long r = syscall(SYS_clone3, &ca, sizeof ca);
	if (r == 0)
		_exit(5);
	waitpid(r, &st, 0);
	printf("clone3: parent_tid set=%d status=%d\n", ptid == r, WEXITSTATUS(st));
	SHOW(syscall(SYS_clone3, &ca, 8));
	ca.flags = CLONE_THREAD;
	SHOW(syscall(SYS_clone3, &ca, sizeof ca));
	ca.flags = CLONE_SIGHAND;
	SHOW(syscall(SYS_clone3, &ca, sizeof ca));
	/* A clone child with a non-SIGCHLD exit signal needs __WALL or __WCLONE. */
	p = syscall(SYS_clone, SIGUSR2 * 0 + 0, 0, 0, 0, 0);
	if (p == 0)
		_exit(9);
	SHOW(waitpid(p, &st, WNOHANG) > 0 ? 0 : -1);
	CHECK(waitpid(p, &st, __WALL) == p);
	printf("exit_signal 0 child status: %d\n", WEXITSTATUS(st));
}

static void orphans(void)
{
	pid_t me = getpid();
	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
	int v = 0;
	prctl(PR_GET_CHILD_SUBREAPER, &v);
	printf("subreaper: %d\n", v);
	int fds[2];
	CHECK(pipe(fds) == 0);
	pid_t mid = fork();
	if (mid == 0) {
		pid_t grand = fork();
		if (grand == 0) {
			char c;
			read(fds[0], &c, 1); /* until the middle process is gone */
			printf("grandchild's parent is the subreaper: %d\n", getppid() == me);
			_exit(6);
		}
		_exit(0);
	}
	int st;
	waitpid(mid, &st, 0);
	write(fds[1], "x", 1);
	pid_t got = wait(&st);
	printf("subreaper reaped the orphan: %d status=%d\n", got > 0, WEXITSTATUS(st));
	prctl(PR_SET_CHILD_SUBREAPER, 0);

	/* PR_SET_PDEATHSIG: the child hears of its parent's death. */
	CHECK(pipe(fds) == 0);
	pid_t parent = fork();
	if (parent == 0) {
		pid_t child = fork();
		if (child == 0) {
			prctl(PR_SET_PDEATHSIG, SIGUSR1);
			int s = 0;
			prctl(PR_GET_PDEATHSIG, &s);
			sigset_t set;
			sigemptyset(&set);
			sigaddset(&set, SIGUSR1);
			sigprocmask(SIG_BLOCK, &set, NULL);
			write(fds[1], "r", 1);
			int got_sig = 0;
			sigwait(&set, &got_sig);
			printf("pdeathsig %d delivered: %d\n", s, got_sig == SIGUSR1);
			_exit(0);
		}
		char c;
		read(fds[0], &c, 1);
		_exit(0);
	}
	waitpid(parent, &st, 0);
	/* The grandchild is ours now (subreaper was reset; it goes to init). Give it time. */
	usleep(200000);
}

static void exec_rules(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int keep = open("/dev/null", O_RDONLY);
	char a[16], b[16];
	snprintf(a, sizeof a, "%d", fd);
	snprintf(b, sizeof b, "%d", keep);
	pid_t p = fork();
	if (p == 0) {
		/* busybox sh reports which of the two fds survived the exec. */
		char *argv[] = {"sh", "-c", "for f in $0 $1; do [ -e /proc/self/fd/$f ] && echo fd open || echo fd closed; done", a, b, NULL};
		execv("/bin/busybox", argv);
		_exit(127);
	}
	int st;
	waitpid(p, &st, 0);
	/* #! scripts: interpreter with one optional argument, script path, then the arguments. */
	char dir[] = "/tmp/rvt-process-XXXXXX";
	MUST(mkdtemp(dir) ? 0 : -1);
	char script[64];
	snprintf(script, sizeof script, "%s/s.sh", dir);
	FILE *f = fopen(script, "w");
	fprintf(f, "#!/bin/sh -e\necho script args: \"$0\" | sed 's,.*/,,'; echo \"$@\"\n");
	fclose(f);
	chmod(script, 0755);
	p = fork();
	if (p == 0) {
		char *argv[] = {"ignored-argv0", "one", "two", NULL};
		execv(script, argv);
		_exit(127);
	}
	waitpid(p, &st, 0);
	show_status("script", st);
	/* A script whose interpreter does not exist: ENOENT. */
	f = fopen(script, "w");
	fprintf(f, "#!/nonexistent/interp\n");
	fclose(f);
	char *argv[] = {script, NULL};
	SHOW(execv(script, argv));
	unlink(script);
	SHOW(execv(dir, argv));
	rmdir(dir);
}

int main(int argc, char **argv)
{
	self = argv[0];
	setvbuf(stdout, NULL, _IONBF, 0);
	statuses();
	stop_continue();
	sigchld();
	vfork_and_clone();
	orphans();
	exec_rules();
	return 0;
}
