/* fork+exec+wait: a child that execs this program's own "child" mode,
 * which exits at once. Static, so no dynamic loading in the measurement. */
#include "common.h"
#include <sys/wait.h>
#include <unistd.h>

static const char *self;

static void loop(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		if (p < 0)
			die("fork");
		if (p == 0) {
			char *argv[] = {(char *)self, "child", NULL};
			execv(self, argv);
			_exit(127);
		}
		int st;
		if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			die("child");
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return 0;
	self = argv[0];
	long iters = iterations(argc, argv, 300);
	loop(warmup_count(iters));
	long long t0 = now_ns();
	loop(iters);
	long long t1 = now_ns();
	report("fork_exec", (double)(t1 - t0) / iters, "ns/op");
	return 0;
}
