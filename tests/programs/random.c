/* random: getrandom lengths and flags (GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE and bad
 * combinations), EFAULT for bad buffers, and that the bytes look random (two reads differ,
 * a large read is not all zero) — the bytes themselves are never printed. */
#include "common.h"
#include <sys/random.h>

#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004
#endif

static long grnd(void *buf, size_t len, unsigned flags)
{
	return syscall(SYS_getrandom, buf, len, flags);
}

int main(void)
{
	static unsigned char a[1 << 20], b[64];
	SHOW(grnd(a, 0, 0));
	SHOW(grnd(a, 1, 0));
	SHOW(grnd(a, 16, 0));
	SHOW(grnd(a, 256, 0));
	SHOW(grnd(a, 4096, GRND_NONBLOCK));
	SHOW(grnd(a, sizeof a, 0));
	long zeros = 0;
	for (size_t i = 0; i < sizeof a; i++)
		zeros += a[i] == 0;
	/* About 1/256 of random bytes are zero. */
	CHECK(zeros > 2000 && zeros < 6500);
	SHOW(grnd(b, sizeof b, 0));
	CHECK(memcmp(a, b, sizeof b) != 0);
	SHOW(grnd(a, 64, GRND_RANDOM));
	SHOW(grnd(a, 64, GRND_RANDOM | GRND_NONBLOCK));
	SHOW(grnd(a, 64, GRND_INSECURE));
	SHOW(grnd(a, 64, GRND_INSECURE | GRND_NONBLOCK));
	SHOW(grnd(a, 64, GRND_INSECURE | GRND_RANDOM));
	SHOW(grnd(a, 64, 0x100));
	SHOW(grnd(a, 64, ~0U));
	SHOW(grnd((void *)1, 64, 0));
	SHOW(grnd(NULL, 16, 0));
	SHOW(grnd(NULL, 0, 0));
	SHOW(getrandom(b, 8, 0));
	return 0;
}
