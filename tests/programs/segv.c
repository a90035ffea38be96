/* segv: a program that dies of SIGSEGV by jumping to an unmapped address. Natively the
 * harness sees signal 11 and reports it shell-style as 139; runsc must exit with 139 too.
 * Core dumps are disabled first so the host does not write one. */
// rvt: status=139
#include "common.h"
#include <sys/resource.h>

int main(void)
{
	struct rlimit none = { 0, 0 };
	MUST(setrlimit(RLIMIT_CORE, &none));
	printf("about to jump to address 8\n");
	fflush(stdout);
	void (*volatile bad)(void) = (void (*)(void))8;
	bad();
	printf("survived the jump (unreachable)\n");
	return 0;
}
