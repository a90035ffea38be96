/* Memory protection keys as Linux gives them on a CPU without them (the sandbox never offers
 * them; on a host whose CPU has them — "pku" in /proc/cpuinfo, which the sandbox shows too —
 * the comparison is skipped): pkey_alloc ENOSPC (EINVAL for bad flags or rights), pkey_free EINVAL, pkey_mprotect
 * with key -1 is mprotect, any other key EINVAL. */
#include "common.h"
#include <sys/mman.h>

static int host_has_pku(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	int found = 0;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "flags", 5) == 0 && strstr(line, " pku"))
			found = 1;
	if (f)
		fclose(f);
	return found;
}

int main(void)
{
	if (host_has_pku()) {
		printf("the host CPU has protection keys: not compared\n");
		return 0;
	}
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 99;
	/* Linux's very first valid call on such a CPU fails with EINVAL (it leaks the key it
	 * tried), later ones with ENOSPC: only that it fails is compared. */
	printf("first pkey_alloc fails: %d\n", syscall(SYS_pkey_alloc, 0, 0) < 0);
	SHOW(syscall(SYS_pkey_alloc, 0, 0));
	SHOW(syscall(SYS_pkey_alloc, 0, 1));
	SHOW(syscall(SYS_pkey_alloc, 1, 0));
	SHOW(syscall(SYS_pkey_alloc, 0, 4));
	SHOW(syscall(SYS_pkey_free, 0));
	SHOW(syscall(SYS_pkey_free, 1));
	SHOW(syscall(SYS_pkey_free, -1));
	SHOW(syscall(SYS_pkey_mprotect, p, 4096, PROT_READ, -1));
	SHOW(syscall(SYS_pkey_mprotect, p, 4096, PROT_READ, 0));
	SHOW(syscall(SYS_pkey_mprotect, p, 4096, PROT_READ, 1));
	SHOW(syscall(SYS_pkey_mprotect, p, 4095, PROT_READ, -1));
	SHOW(syscall(SYS_pkey_mprotect, p + 1, 4096, PROT_READ, -1));
	SHOW(syscall(SYS_pkey_mprotect, p, 4096, 0x1000000, -1));
	printf("still readable %d\n", p[0]);
	return 0;
}
