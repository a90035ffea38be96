/* badelf_segv: file 10 of badelf.h, a PT_LOAD with p_filesz > p_memsz. Linux lets the exec
 * past its point of no return and then kills the process with SIGSEGV (status 139); the
 * sandbox must do the same, not refuse the file (which would print an errno and exit 0).
 * The file lives in the harness's host path (argv[1]), which the harness removes, since a
 * killed process cannot clean up after itself. Core dumps are disabled first (best effort:
 * the sandbox may not implement setrlimit yet). */
// rvt: status=139
// rvt: hostpath
#include "badelf.h"
#include <sys/resource.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		printf("usage: badelf_segv DIR\n");
		return 2;
	}
	struct rlimit none = { 0, 0 };
	setrlimit(RLIMIT_CORE, &none);
	MUST(mkdir(argv[1], 0755));
	badelf_run(10, argv[1]);
	return 0;
}
