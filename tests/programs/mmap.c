/* mmap: mmap (anonymous private/shared, file-backed private/shared, MAP_FIXED,
 * MAP_FIXED_NOREPLACE, hints, MAP_NORESERVE, MAP_POPULATE, MAP_GROWSDOWN, bad flags and
 * lengths), munmap, mprotect (return values only: no faults are taken) and mincore.
 * Addresses are never printed, only whether they are equal, aligned or distinct. */
#include "common.h"
#include <sys/mman.h>

#define PAGE 4096L

static void residency(const char *label, void *addr, long pages)
{
	unsigned char vec[64];
	if (mincore(addr, pages * PAGE, vec) != 0) {
		printf("mincore %s: %s\n", label, errno_name(errno));
		return;
	}
	printf("mincore %s: ", label);
	for (long i = 0; i < pages; i++)
		putchar(vec[i] & 1 ? '1' : '0');
	printf("\n");
}

static void anonymous(void)
{
	char *p = (char *)SHOWOK(mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	CHECK(((long)p & (PAGE - 1)) == 0);
	int zero = 1;
	for (long i = 0; i < 4 * PAGE; i++)
		zero &= p[i] == 0;
	printf("fresh anonymous memory is zero: %s\n", zero ? "yes" : "NO");
	strcpy(p + PAGE, "private data");
	printf("read back: %s\n", p + PAGE);
	residency("after touching all pages", p, 4);
	SHOW(munmap(p, 4 * PAGE));
	residency("after munmap", p, 1);

	char *u = (char *)SHOWOK(mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	residency("untouched", u, 4);
	u[2 * PAGE] = 1;
	residency("one page touched", u + 2 * PAGE, 1);
	SHOW(munmap(u, 4 * PAGE));

	char *s = (char *)SHOWOK(mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
	strcpy(s, "shared data");
	printf("read back: %s\n", s);
	SHOW(munmap(s, 2 * PAGE));

	char *pop = (char *)SHOWOK(mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0));
	residency("MAP_POPULATE", pop, 8);
	SHOW(munmap(pop, 8 * PAGE));
	char *big = (char *)SHOWOK(mmap(NULL, 1L << 34, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
	big[(1L << 33) + 5] = 7;
	printf("byte in the middle of 16 GiB: %d\n", big[(1L << 33) + 5]);
	SHOW(munmap(big, 1L << 34));
	char *g = (char *)SHOWOK(mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0));
	g[3 * PAGE] = 1;
	SHOW(munmap(g, 4 * PAGE));
}

static void placement(void)
{
	char *r = (char *)MUST(mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	memset(r, 'a', 8 * PAGE);
	char *f = (char *)SHOWOK(mmap(r + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	CHECK(f == r + 2 * PAGE);
	printf("MAP_FIXED replaced the page: %s, neighbours kept: %s\n", f[0] == 0 ? "yes" : "NO",
	       r[PAGE] == 'a' && r[3 * PAGE] == 'a' ? "yes" : "NO");
	SHOW(mmap(r + 4 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
	SHOW(mmap(r + 5 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
	SHOW(mmap(r + 1, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	SHOW(munmap(r + 6 * PAGE, 2 * PAGE));
	char *n = (char *)SHOWOK(mmap(r + 6 * PAGE, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
	CHECK(n == r + 6 * PAGE);
	/* A hint at a free, aligned address is taken as is; a hint over a mapping is not. */
	SHOW(munmap(r, 8 * PAGE));
	char *h = (char *)SHOWOK(mmap(r + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	CHECK(h == r + PAGE);
	char *h2 = (char *)SHOWOK(mmap(r + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	CHECK(h2 != r + PAGE);
	char *h3 = (char *)SHOWOK(mmap(r + PAGE + 100, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	CHECK(((long)h3 & (PAGE - 1)) == 0);
	munmap(h, PAGE);
	munmap(h2, PAGE);
	munmap(h3, PAGE);
}

static void bad_args(void)
{
	SHOW(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0));
	/* MAP_SHARED_VALIDATE is only for files: anonymous mappings reject it. */
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0));
	SHOW(mmap(NULL, -PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, -1, 0));
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 99, 0));
	SHOW(munmap(NULL, 0));
	SHOW(munmap((void *)PAGE + 1, PAGE));
	SHOW(munmap((void *)(1L << 40), PAGE));
	SHOW(munmap((void *)-PAGE, 2 * PAGE));
	char *p = (char *)MUST(mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	SHOW(mprotect(p, PAGE, PROT_READ));
	SHOW(mprotect(p, 4 * PAGE, PROT_NONE));
	SHOW(mprotect(p, 4 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC));
	SHOW(mprotect(p + 1, PAGE, PROT_READ));
	SHOW(mprotect(p, PAGE, 0x100));
	SHOW(mprotect(p, 0, PROT_READ));
	SHOW(munmap(p + PAGE, PAGE));
	SHOW(mprotect(p, 4 * PAGE, PROT_READ));
	SHOW(mincore(p, 4 * PAGE, (unsigned char *)p + 3 * PAGE));
	unsigned char vec[4];
	SHOW(mincore(p + 1, PAGE, vec));
	SHOW(mincore(p, PAGE, (void *)1));
	SHOW(mincore(p, 0, vec));
	SHOW(munmap(p, 4 * PAGE));
	SHOW(mincore(p, PAGE, vec));
}

static void files(void)
{
	char buf[16];
	int fd = MUST(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	char page[PAGE];
	memset(page, 'F', sizeof page);
	MUST(write(fd, page, sizeof page));
	MUST(write(fd, "second page", 11));
	char *p = (char *)SHOWOK(mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
	printf("private file map: %.4s / %.11s\n", p, p + PAGE);
	printf("bytes past EOF in the last page are zero: %s\n", p[PAGE + 11] == 0 && p[2 * PAGE - 1] == 0 ? "yes" : "NO");
	p[0] = 'x';
	MUST(pread(fd, buf, 1, 0));
	printf("private write reaches the file: %s\n", buf[0] == 'x' ? "YES" : "no");
	SHOW(munmap(p, 2 * PAGE));
	char *o = (char *)SHOWOK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE));
	printf("map at offset %ld: %.11s\n", PAGE, o);
	SHOW(munmap(o, PAGE));
	char *s = (char *)SHOWOK(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	memcpy(s, "shared!", 7);
	SHOW(msync(s, PAGE, MS_SYNC));
	MUST(pread(fd, buf, 7, 0));
	printf("shared write reaches the file: %.7s\n", buf);
	MUST(pwrite(fd, "PWRITE", 6, 100));
	printf("file write seen through the map: %.6s\n", s + 100);
	SHOW(munmap(s, PAGE));
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 100));
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE | 0x800000, fd, 0));
	void *v = (void *)SHOWOK(mmap(NULL, PAGE, PROT_READ, MAP_SHARED_VALIDATE, fd, 0));
	munmap(v, PAGE);
	MUST(close(fd));

	int ro = MUST(open("f", O_RDONLY));
	SHOW(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
	char *rp = (char *)SHOWOK(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0));
	munmap(rp, PAGE);
	MUST(close(ro));
	int wo = MUST(open("f", O_WRONLY));
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, wo, 0));
	MUST(close(wo));
	int dir = MUST(open(".", O_RDONLY));
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, dir, 0));
	MUST(close(dir));
	/* The mapping outlives the descriptor. */
	fd = MUST(open("f", O_RDONLY));
	char *keep = (char *)MUST(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0));
	MUST(close(fd));
	printf("after close: %.7s\n", keep);
	SHOW(munmap(keep, PAGE));
	int zero = MUST(open("/dev/zero", O_RDWR));
	char *z = (char *)SHOWOK(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, zero, 0));
	printf("/dev/zero map is zero: %s\n", z[0] == 0 && z[PAGE - 1] == 0 ? "yes" : "NO");
	SHOW(munmap(z, PAGE));
	MUST(close(zero));
}

int main(void)
{
	tmpdir_enter();
	anonymous();
	placement();
	bad_args();
	files();
	tmpdir_leave();
	return 0;
}
