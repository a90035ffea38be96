/* Pipe ping-pong: one byte to a child and back, per round trip. */
#include "common.h"
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long iters = iterations(argc, argv, 50000);
	int to[2], from[2];
	if (pipe(to) || pipe(from))
		die("pipe");
	pid_t p = fork();
	if (p < 0)
		die("fork");
	char c = 'x';
	if (p == 0) {
		close(to[1]);
		close(from[0]);
		for (;;) {
			if (read(to[0], &c, 1) != 1)
				_exit(0);
			if (write(from[1], &c, 1) != 1)
				_exit(1);
		}
	}
	close(to[0]);
	close(from[1]);
	long warm = warmup_count(iters);
	long long t0 = 0;
	for (long i = 0; i < warm + iters; i++) {
		if (i == warm)
			t0 = now_ns();
		if (write(to[1], &c, 1) != 1 || read(from[0], &c, 1) != 1)
			die("ping");
	}
	long long t1 = now_ns();
	close(to[1]);
	waitpid(p, NULL, 0);
	report("pipe_pingpong", (double)(t1 - t0) / iters, "ns/op");
	return 0;
}
