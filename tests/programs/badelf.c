/* badelf: feeds the ELF loader malformed executables (see badelf.h for the files).
 * `badelf N` writes file number N into its temporary directory and execve()s it; every one
 * of them must fail with the errno Linux gives (ENOEXEC for most; ENOENT for a missing
 * interpreter), and the program then prints it and exits 0. One case per N because a
 * successful exec would replace the program. File 10 (p_filesz > p_memsz) is not here:
 * Linux accepts it up to the point of no return and then kills the process with SIGSEGV,
 * so it has its own program, badelf_segv.c. The cases run in parallel, each in its own
 * directory /tmp/rvt-badelf-N-XXXXXX (the harness watches for that prefix). */
// rvt: each-arg=0 1 2 3 4 5 6 7 8 9 11 12 13 14 15 16 17 18
#include "badelf.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : -1;
	if (n < 0 || n >= BADELF_CASES) {
		printf("usage: badelf N (0..%d)\n", BADELF_CASES - 1);
		return 2;
	}
	snprintf(rvt_tmpdir, sizeof rvt_tmpdir, "/tmp/rvt-badelf-%d-XXXXXX", n);
	if (!mkdtemp(rvt_tmpdir)) {
		printf("setup failed: mkdtemp: %s\n", errno_name(errno));
		return 99;
	}
	badelf_run(n, rvt_tmpdir);
	tmpdir_leave();
	return 0;
}
