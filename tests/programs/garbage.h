/* Shared set-up for the garbage_*.c programs: syscalls called through raw syscall() with
 * bad pointers, lengths, fds and flags, each printed as `name(args) = result` where the
 * args are the source text (so the names below appear in the output, never an address).
 *
 *   BAD1, BADM1     (void *)1 and (void *)-1
 *   NONCANON        a non-canonical address (bit 47 set)
 *   HOLE            a page this program unmapped itself (between two PROT_NONE guards)
 *   NONE            a PROT_NONE page
 *   RO              a read-only page of 'a' bytes, no NUL (a string that runs into NONE);
 *                   also the output buffer that cannot be written
 *   RO_SHORT        RO + 100: 3996 readable 'a's, then NONE (a path that faults)
 *   EDGE            a read-write page followed by NONE; EDGE_END(n) = the last n bytes
 *   CLOSED          an fd number that was open and is now closed (500)
 *   BIGFD           1000000, never open
 *
 * The pages sit at a fixed hint (256 MiB), far below where mmap allocates top-down and
 * above the brk heap of a static binary, so no later allocation can fill HOLE.
 *
 * T(name, args...)    raw syscall SYS_name, prints the return value or the errno name
 * TOK(name, args...)  the same, but prints "ok" for a success (addresses, pids, times)
 * TC(name, args...)   T for calls that return an fd, which is closed again
 */
#ifndef RVT_GARBAGE_H
#define RVT_GARBAGE_H

#include "common.h"
#include <limits.h>
#include <stdint.h>
#include <sys/mman.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

#define PAGE 4096L
#define BAD1 ((void *)1)
#define BADM1 ((void *)-1)
#define NONCANON ((void *)0x800000000000UL)
#define SZMAX ((size_t)-1)
#define BIGFD 1000000
#define CLOSED 500
#define GARBAGE_BASE 0x10000000UL

__attribute__((unused)) static char *RO, *RO_SHORT, *NONE, *HOLE, *EDGE;
#define EDGE_END(n) (EDGE + PAGE - (n))

/* syscall() is variadic: an int argument such as -1 would reach the kernel with its upper
 * half undefined (in practice 0xffffffff, not -1), so every argument is widened to long. */
#define RVT_L(x) ((long)(x))
#define RVT_MAP1(a) RVT_L(a)
#define RVT_MAP2(a, ...) RVT_L(a), RVT_MAP1(__VA_ARGS__)
#define RVT_MAP3(a, ...) RVT_L(a), RVT_MAP2(__VA_ARGS__)
#define RVT_MAP4(a, ...) RVT_L(a), RVT_MAP3(__VA_ARGS__)
#define RVT_MAP5(a, ...) RVT_L(a), RVT_MAP4(__VA_ARGS__)
#define RVT_MAP6(a, ...) RVT_L(a), RVT_MAP5(__VA_ARGS__)
#define RVT_NARGS(...) RVT_NARGS_(__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define RVT_NARGS_(_1, _2, _3, _4, _5, _6, n, ...) n
#define RVT_CAT(a, b) RVT_CAT_(a, b)
#define RVT_CAT_(a, b) a##b
#define RVT_LONGS(...) RVT_CAT(RVT_MAP, RVT_NARGS(__VA_ARGS__))(__VA_ARGS__)
#define RVT_SYSCALL(name, ...) syscall(SYS_##name, RVT_LONGS(__VA_ARGS__))

#define T(name, ...) rvt_show(#name "(" #__VA_ARGS__ ")", RVT_SYSCALL(name, __VA_ARGS__), 1)
#define TOK(name, ...) rvt_show(#name "(" #__VA_ARGS__ ")", RVT_SYSCALL(name, __VA_ARGS__), 0)
/* T for calls that return a new fd on success: the fd is closed again. */
#define TC(name, ...) rvt_close_if(rvt_show(#name "(" #__VA_ARGS__ ")", RVT_SYSCALL(name, __VA_ARGS__), 1))

static inline void rvt_close_if(long fd)
{
	if (fd >= 0)
		close((int)fd);
}

/* Layout from GARBAGE_BASE: RO | NONE | HOLE | NONE | EDGE | NONE. */
static void garbage_init(void)
{
	char *base = mmap((void *)GARBAGE_BASE, 6 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED || base != (char *)GARBAGE_BASE) {
		printf("setup failed: the garbage pages did not land at the hint\n");
		exit(99);
	}
	RO = base;
	RO_SHORT = base + 100;
	NONE = base + PAGE;
	HOLE = base + 2 * PAGE;
	EDGE = base + 4 * PAGE;
	memset(RO, 'a', PAGE);
	MUST(mprotect(RO, PAGE, PROT_READ));
	MUST(mprotect(NONE, PAGE, PROT_NONE));
	MUST(munmap(HOLE, PAGE));
	MUST(mprotect(HOLE + PAGE, PAGE, PROT_NONE));
	MUST(mprotect(EDGE + PAGE, PAGE, PROT_NONE));
	/* CLOSED: a number that was a valid fd, now closed, and never reused (fds are
	 * allocated lowest first and these programs open far fewer than 500). */
	MUST(fcntl(0, F_DUPFD, CLOSED));
	MUST(close(CLOSED));
}

#endif
