/* exit: a program that prints, flushes, and ends with exit_group(42) directly (no atexit
 * handlers, no stdio flush after it). The harness expects status 42 natively and in the
 * sandbox, and only the lines flushed before the call. */
// rvt: status=42
#include "common.h"

static void never(void)
{
	printf("atexit handler ran (it must not)\n");
}

int main(void)
{
	atexit(never);
	printf("before exit_group\n");
	fflush(stdout);
	/* Left in the stdio buffer: exit_group does not flush it. */
	setvbuf(stdout, NULL, _IOFBF, 4096);
	printf("buffered, never written\n");
	syscall(SYS_exit_group, 42);
	printf("after exit_group (unreachable)\n");
	return 1;
}
