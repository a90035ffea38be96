/* mremap: brk (raw syscall), mremap (shrink, grow in place, grow blocked, MREMAP_MAYMOVE,
 * MREMAP_FIXED, bad arguments) and madvise (MADV_DONTNEED zeroes private anonymous pages but
 * not shared ones; bad advice and ranges). Data must survive every move. */
#include "common.h"
#include <sys/mman.h>

#define PAGE 4096L

static void breaks(void)
{
	char *start = (char *)syscall(SYS_brk, 0);
	CHECK(start != NULL && ((long)start & 7) == 0);
	char *grown = (char *)syscall(SYS_brk, start + 16 * PAGE);
	CHECK(grown == start + 16 * PAGE);
	memset(start, 'b', 16 * PAGE);
	printf("heap memory writable: %s\n", start[16 * PAGE - 1] == 'b' ? "yes" : "NO");
	char *same = (char *)syscall(SYS_brk, 0);
	CHECK(same == grown);
	char *shrunk = (char *)syscall(SYS_brk, start + PAGE);
	CHECK(shrunk == start + PAGE);
	char *regrown = (char *)syscall(SYS_brk, start + 4 * PAGE);
	CHECK(regrown == start + 4 * PAGE);
	printf("pages released by shrinking come back zeroed: %s\n", start[3 * PAGE] == 0 ? "yes" : "NO");
	/* Requests that cannot be met return the current break instead of failing. */
	char *below = (char *)syscall(SYS_brk, (char *)PAGE);
	CHECK(below == regrown);
	char *huge = (char *)syscall(SYS_brk, start + (1L << 46));
	CHECK(huge == regrown);
	CHECK((char *)syscall(SYS_brk, start) == start);
}

static char *fill(long pages, char c)
{
	char *p = (char *)MUST(mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	for (long i = 0; i < pages; i++)
		memset(p + i * PAGE, c + i, PAGE);
	return p;
}

static int pattern_ok(const char *p, long pages, char c)
{
	for (long i = 0; i < pages; i++)
		if (p[i * PAGE] != c + i || p[i * PAGE + PAGE - 1] != c + i)
			return 0;
	return 1;
}

static void remaps(void)
{
	unsigned char vec[1];
	/* Reserve 8 pages, use the first 4, so growing in place has room. */
	char *area = (char *)MUST(mmap(NULL, 8 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	MUST(munmap(area + 4 * PAGE, 4 * PAGE));
	char *p = (char *)MUST(mmap(area, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	memset(p, 'p', 4 * PAGE);
	char *r = (char *)SHOWOK(mremap(p, 4 * PAGE, 2 * PAGE, 0));
	CHECK(r == p);
	SHOW(mincore(p + 2 * PAGE, PAGE, vec));
	r = (char *)SHOWOK(mremap(p, 2 * PAGE, 6 * PAGE, 0));
	CHECK(r == p);
	printf("kept data: %s, new pages zero: %s\n", p[PAGE] == 'p' ? "yes" : "NO", p[5 * PAGE] == 0 ? "yes" : "NO");
	/* Block the next page: growing in place fails, MAYMOVE moves. */
	char *block = (char *)MUST(mmap(p + 6 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
	SHOW(mremap(p, 6 * PAGE, 8 * PAGE, 0));
	char *moved = (char *)SHOWOK(mremap(p, 6 * PAGE, 8 * PAGE, MREMAP_MAYMOVE));
	CHECK(moved != p);
	printf("moved data intact: %s\n", moved[0] == 'p' && moved[PAGE] == 'p' ? "yes" : "NO");
	SHOW(mincore(p, PAGE, vec));
	SHOW(munmap(block, PAGE));

	/* MREMAP_FIXED onto a chosen (and occupied) place. */
	char *src = fill(3, 'A');
	char *dst = fill(5, 'a');
	char *f = (char *)SHOWOK(mremap(src, 3 * PAGE, 3 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst + PAGE));
	CHECK(f == dst + PAGE);
	printf("fixed move: data %s, page before kept %s, page after kept %s\n",
	       pattern_ok(f, 3, 'A') ? "intact" : "LOST", dst[0] == 'a' ? "yes" : "NO",
	       dst[4 * PAGE] == 'a' + 4 ? "yes" : "NO");
	SHOW(mincore(src, PAGE, vec));
	SHOW(mremap(dst, PAGE, PAGE, MREMAP_FIXED, src));
	SHOW(mremap(dst, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst));
	SHOW(mremap(dst, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, src + 1));
	SHOW(mremap(dst + 1, PAGE, PAGE, 0));
	SHOW(mremap(dst, PAGE, 0, 0));
	SHOW(mremap(dst, 0, PAGE, MREMAP_MAYMOVE));
	SHOW(mremap(dst, PAGE, PAGE, 0x40));
	SHOW(mremap(src, PAGE, 2 * PAGE, MREMAP_MAYMOVE));
	SHOW(munmap(dst, 5 * PAGE));
	SHOW(munmap(moved, 8 * PAGE));

	/* old_size 0 duplicates a shared mapping. */
	char *sh = (char *)MUST(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
	strcpy(sh, "shared");
	char *dup = (char *)SHOWOK(mremap(sh, 0, PAGE, MREMAP_MAYMOVE));
	CHECK(dup != sh);
	strcpy(sh, "changed");
	printf("the duplicate sees the change: %s\n", dup);
	SHOW(munmap(sh, PAGE));
	SHOW(munmap(dup, PAGE));
}

static void advice(void)
{
	char *p = fill(4, 'm');
	SHOW(madvise(p, 4 * PAGE, MADV_WILLNEED));
	SHOW(madvise(p, 4 * PAGE, MADV_SEQUENTIAL));
	SHOW(madvise(p, 4 * PAGE, MADV_NORMAL));
	SHOW(madvise(p + PAGE, 2 * PAGE, MADV_DONTNEED));
	printf("after MADV_DONTNEED: page0 %s, page1 %s, page2 %s, page3 %s\n",
	       p[0] == 'm' ? "kept" : "ZEROED", p[PAGE] == 0 ? "zeroed" : "KEPT",
	       p[2 * PAGE + 5] == 0 ? "zeroed" : "KEPT", p[3 * PAGE] == 'm' + 3 ? "kept" : "ZEROED");
	SHOW(madvise(p + 1, PAGE, MADV_DONTNEED));
	SHOW(madvise(p, PAGE, 12345));
	SHOW(madvise(p, 0, MADV_DONTNEED));
	SHOW(munmap(p + 2 * PAGE, PAGE));
	SHOW(madvise(p, 4 * PAGE, MADV_WILLNEED));
	SHOW(madvise(p, 4 * PAGE, MADV_DONTNEED));
	SHOW(munmap(p, 4 * PAGE));

	char *s = (char *)MUST(mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
	memset(s, 's', 2 * PAGE);
	SHOW(madvise(s, 2 * PAGE, MADV_DONTNEED));
	printf("shared page after MADV_DONTNEED: %s\n", s[PAGE] == 's' ? "kept" : "ZEROED");
	SHOW(munmap(s, 2 * PAGE));
}

int main(void)
{
	breaks();
	remaps();
	advice();
	return 0;
}
