/* fork+exit+wait: a child that exits at once, reaped by the parent. */
#include "common.h"
#include <sys/wait.h>
#include <unistd.h>

static void loop(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		if (p < 0)
			die("fork");
		if (p == 0)
			_exit(0);
		int st;
		if (waitpid(p, &st, 0) != p)
			die("waitpid");
	}
}

int main(int argc, char **argv)
{
	long iters = iterations(argc, argv, 500);
	loop(warmup_count(iters));
	long long t0 = now_ns();
	loop(iters);
	long long t1 = now_ns();
	report("fork_wait", (double)(t1 - t0) / iters, "ns/op");
	return 0;
}
