/* garbage_mm: the memory family (mmap, mprotect, munmap, brk, mremap, msync, mincore,
 * madvise) given unaligned, unmapped, non-canonical and kernel addresses, zero, huge and
 * wrapping lengths, unknown prot/flag bits, advice numbers and bad fds; each must fail (or
 * succeed) as Linux does. See garbage.h for the names. Addresses are never printed: a
 * successful mmap/mremap prints "ok" (and is unmapped again), brk prints whether the
 * break moved.
 *
 * Left out on purpose: MAP_FIXED over memory the program uses, MAP_FIXED at address 0
 * (allowed or not depending on the host's mmap_min_addr and capabilities), MAP_HUGETLB
 * and MADV_HUGEPAGE (depend on the host's huge page set-up; MAP_HUGETLB is documented as
 * unsupported), MADV_HWPOISON/MADV_SOFT_OFFLINE (they would poison host memory as root),
 * mlock* (not implemented), and mremap calls that would move or shrink the shared pages. */
#include "garbage.h"

#define TASK_TOP ((void *)0x7ffffffff000UL)

static int file, rdonly, wronly, dir, opath, devnull;
static unsigned char vec[64];
static char *scratch;

/* mmap through T, unmapping a success again (the address is printed as "ok"). */
#define MM(addr, len, ...)                                                              \
	({                                                                              \
		long rvt_r = rvt_show("mmap(" #addr ", " #len ", " #__VA_ARGS__ ")",    \
				      RVT_SYSCALL(mmap, addr, len, __VA_ARGS__), 0);    \
		if (rvt_r != -1)                                                        \
			munmap((void *)rvt_r, (size_t)(len));                           \
	})

/* Whether the kernel can read the byte at p: access() copies the path in first. */
static const char *readable(const void *p)
{
	return syscall(SYS_access, p, F_OK) == -1 && errno == EFAULT ? "no" : "yes";
}

static void maps(void)
{
	MM(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MM(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0);
	MM(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0);
	MM(NULL, PAGE, PROT_READ, ~0, -1, 0);
	MM(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x800000, -1, 0);
	MM(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | 0x800000, -1, 0);
	MM(NULL, PAGE, ~0, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MM(NULL, PAGE, 0x10, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MM(NULL, SZMAX, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MM(NULL, -PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MM(NULL, 1UL << 47, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MM(BAD1, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	MM(NONCANON, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	MM(TASK_TOP, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	MM(BADM1, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	MM(EDGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	MM(EDGE + 1, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	MM(NONCANON, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MM(BADM1, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MM(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1);
	MM(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, -PAGE);
	MM(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, 12345, PAGE);
	MM(NULL, PAGE, PROT_READ, MAP_PRIVATE, -1, 0);
	MM(NULL, PAGE, PROT_READ, MAP_PRIVATE, BIGFD, 0);
	MM(NULL, PAGE, PROT_READ, MAP_PRIVATE, CLOSED, 0);
	MM(NULL, PAGE, PROT_READ, MAP_PRIVATE, file, 1);
	MM(NULL, PAGE, PROT_READ, MAP_PRIVATE, file, -PAGE);
	MM(NULL, PAGE, PROT_READ, MAP_PRIVATE, file, LONG_MIN);
	MM(NULL, 0, PROT_READ, MAP_PRIVATE, file, 0);
	MM(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, rdonly, 0);
	MM(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, rdonly, 0);
	MM(NULL, PAGE, PROT_READ, MAP_SHARED, wronly, 0);
	MM(NULL, PAGE, PROT_READ, MAP_PRIVATE, dir, 0);
	MM(NULL, PAGE, PROT_READ, MAP_PRIVATE, opath, 0);
	MM(NULL, PAGE, PROT_READ, MAP_PRIVATE, devnull, 0);
	MM(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, file, 0);
	MM(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE | 0x800000, file, 0);
	MM(NULL, PAGE, PROT_READ, MAP_SHARED, file, 1L << 62);
}

static void protects(void)
{
	T(mprotect, BAD1, PAGE, PROT_READ);
	T(mprotect, EDGE + 1, PAGE, PROT_READ);
	T(mprotect, HOLE, PAGE, PROT_READ);
	T(mprotect, NONCANON, PAGE, PROT_READ);
	T(mprotect, BADM1, PAGE, PROT_READ);
	T(mprotect, EDGE, PAGE, ~0);
	T(mprotect, EDGE, PAGE, PROT_READ | PROT_WRITE | 0x10);
	T(mprotect, EDGE, PAGE, PROT_GROWSDOWN | PROT_GROWSUP | PROT_READ);
	T(mprotect, EDGE, PAGE, PROT_GROWSDOWN | PROT_READ | PROT_WRITE);
	T(mprotect, EDGE, 0, PROT_READ);
	T(mprotect, EDGE, SZMAX, PROT_READ);
	T(mprotect, EDGE, -PAGE, PROT_READ);
	/* scratch: [0] none, [1] unmapped, [2] none. Linux changes what comes before the
	 * hole and then fails. */
	T(mprotect, scratch, 3 * PAGE, PROT_READ);
	printf("scratch[0] readable: %s, scratch[2] readable: %s\n", readable(scratch),
	       readable(scratch + 2 * PAGE));
	T(munmap, BAD1, PAGE);
	T(munmap, EDGE + 1, PAGE);
	T(munmap, EDGE, 0);
	T(munmap, HOLE, PAGE);
	T(munmap, NONCANON, PAGE);
	T(munmap, BADM1 - PAGE + 1, PAGE);
	T(munmap, NULL, SZMAX);
	T(munmap, TASK_TOP, PAGE);
	T(munmap, scratch + PAGE, PAGE);
}

static void breaks(void)
{
	long cur = syscall(SYS_brk, 0);
	const char *arg[] = { "0", "BAD1", "BADM1", "NONCANON", "GARBAGE_BASE + PAGE", "TASK_TOP",
			      "cur - (1 << 30)" };
	long val[] = { 0, 1, -1, (long)NONCANON, GARBAGE_BASE + PAGE, (long)TASK_TOP, cur - (1L << 30) };
	for (unsigned i = 0; i < sizeof val / sizeof val[0]; i++) {
		long r = syscall(SYS_brk, val[i]);
		printf("brk(%s) = %s\n", arg[i], r == cur ? "unchanged" : "moved");
		if (r != cur)
			syscall(SYS_brk, cur);
	}
}

static void remaps(void)
{
	TOK(mremap, BAD1, PAGE, PAGE, 0);
	TOK(mremap, EDGE + 1, PAGE, PAGE, 0);
	TOK(mremap, EDGE, PAGE, 0, 0);
	TOK(mremap, EDGE, PAGE, 0, MREMAP_MAYMOVE);
	TOK(mremap, EDGE, PAGE, 2 * PAGE, ~0);
	TOK(mremap, EDGE, PAGE, 2 * PAGE, 8 | 16);
	TOK(mremap, EDGE, PAGE, 2 * PAGE, 0);
	TOK(mremap, EDGE, PAGE, PAGE, 0);
	TOK(mremap, HOLE, PAGE, 2 * PAGE, MREMAP_MAYMOVE);
	TOK(mremap, HOLE, PAGE, PAGE, 0);
	TOK(mremap, NONCANON, PAGE, PAGE, MREMAP_MAYMOVE);
	TOK(mremap, BADM1 - PAGE + 1, PAGE, PAGE, 0);
	TOK(mremap, EDGE, PAGE, PAGE, MREMAP_FIXED, HOLE);
	TOK(mremap, EDGE, PAGE, PAGE, MREMAP_DONTUNMAP, HOLE);
	TOK(mremap, EDGE, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, EDGE);
	TOK(mremap, EDGE, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, BAD1);
	TOK(mremap, EDGE, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, NONCANON);
	TOK(mremap, EDGE, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, TASK_TOP);
	TOK(mremap, EDGE, PAGE, SZMAX, MREMAP_MAYMOVE);
	TOK(mremap, EDGE, PAGE, -PAGE, MREMAP_MAYMOVE);
	TOK(mremap, EDGE, SZMAX, PAGE, 0);
	TOK(mremap, EDGE, 0, PAGE, MREMAP_MAYMOVE);
	TOK(mremap, EDGE, 0, PAGE, 0);
	TOK(mremap, EDGE, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
}

static void hints(void)
{
	T(msync, BAD1, PAGE, MS_SYNC);
	T(msync, EDGE, PAGE, ~0);
	T(msync, EDGE, PAGE, 8);
	T(msync, EDGE, PAGE, MS_SYNC | MS_ASYNC);
	T(msync, HOLE, PAGE, MS_SYNC);
	T(msync, NONE, 2 * PAGE, MS_ASYNC);
	T(msync, EDGE, 0, MS_SYNC);
	T(msync, EDGE, PAGE, 0);
	T(msync, EDGE, SZMAX, MS_ASYNC);
	T(msync, NONCANON, PAGE, MS_ASYNC);
	T(msync, EDGE, PAGE, MS_INVALIDATE);
	T(mincore, BAD1, PAGE, vec);
	T(mincore, EDGE, PAGE, BAD1);
	T(mincore, EDGE, PAGE, RO);
	T(mincore, EDGE, PAGE, NONE);
	T(mincore, HOLE, PAGE, vec);
	T(mincore, NONE, 2 * PAGE, vec);
	T(mincore, EDGE, 0, vec);
	T(mincore, EDGE, 0, BAD1);
	T(mincore, EDGE, SZMAX, vec);
	T(mincore, EDGE, -PAGE, vec);
	T(mincore, NONCANON, PAGE, vec);
	T(mincore, BADM1 - PAGE + 1, PAGE, vec);
	T(mincore, NONE, PAGE, vec);
	printf("untouched PROT_NONE page resident: %d\n", vec[0] & 1);
	T(mincore, EDGE, 2 * PAGE, vec);
	T(madvise, BAD1, PAGE, MADV_NORMAL);
	T(madvise, EDGE + 1, PAGE, MADV_NORMAL);
	T(madvise, EDGE, PAGE, 999);
	T(madvise, EDGE, PAGE, -1);
	T(madvise, EDGE, 0, 999);
	T(madvise, EDGE, 0, MADV_NORMAL);
	T(madvise, HOLE, PAGE, MADV_NORMAL);
	T(madvise, HOLE, PAGE, MADV_DONTNEED);
	T(madvise, HOLE, PAGE, MADV_WILLNEED);
	T(madvise, NONE, 2 * PAGE, MADV_RANDOM);
	T(madvise, EDGE, SZMAX, MADV_NORMAL);
	T(madvise, NONCANON, PAGE, MADV_NORMAL);
	T(madvise, EDGE, PAGE, MADV_REMOVE);
	T(madvise, NONE, PAGE, MADV_WILLNEED);
	T(madvise, RO, PAGE, MADV_DONTFORK);
	T(madvise, RO, PAGE, MADV_DOFORK);
	T(madvise, RO, PAGE, MADV_WIPEONFORK);
	T(madvise, RO, PAGE, MADV_KEEPONFORK);
	memset(EDGE, 'e', PAGE);
	T(madvise, EDGE, PAGE, MADV_FREE);
	memset(EDGE, 'e', PAGE);
	T(madvise, EDGE, PAGE, MADV_DONTNEED);
	printf("EDGE[0] after MADV_DONTNEED: %d\n", EDGE[0]);
}

int main(void)
{
	tmpdir_enter();
	garbage_init();
	write_file("f", "0123456789");
	file = MUST(open("f", O_RDWR));
	rdonly = MUST(open("f", O_RDONLY));
	wronly = MUST(open("f", O_WRONLY));
	dir = MUST(open(".", O_RDONLY | O_DIRECTORY));
	opath = MUST(open("f", O_PATH));
	devnull = MUST(open("/dev/null", O_RDWR));
	scratch = (char *)MUST(mmap(NULL, 3 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	MUST(munmap(scratch + PAGE, PAGE));
	maps();
	protects();
	breaks();
	remaps();
	hints();
	tmpdir_leave();
	return 0;
}
