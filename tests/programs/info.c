/* info: uname (fixed fields and the kernel release), sethostname/setdomainname argument
 * checks and their capability (no name is ever changed: only refused calls are made),
 * sysinfo relations, and getrandom filling a buffer only up to the first unmapped page. */
#include "common.h"
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

static void names(void)
{
	struct utsname u;
	SHOW(uname(&u));
	printf("sysname %s machine %s\n", u.sysname, u.machine);
	CHECK(strlen(u.nodename) > 0 && strlen(u.release) > 0 && strlen(u.version) > 0);
	SHOW(syscall(SYS_uname, (void *)1));
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SHOW(syscall(SYS_uname, ro));

	/* Every call below fails before anything changes. */
	static char name[80] = "rvt";
	SHOW(syscall(SYS_sethostname, name, 65));
	SHOW(syscall(SYS_sethostname, name, -1));
	SHOW(syscall(SYS_sethostname, (void *)1, 5));
	SHOW(syscall(SYS_setdomainname, name, 65));
	SHOW(syscall(SYS_setdomainname, name, -1));
	SHOW(syscall(SYS_setdomainname, (void *)1, 5));
}

static void unprivileged(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	MUST(syscall(SYS_capget, &h, d));
	d[0].effective &= ~(1u << CAP_SYS_ADMIN);
	MUST(syscall(SYS_capset, &h, d));
	static char name[80] = "rvt";
	SHOW(syscall(SYS_sethostname, name, 3));
	SHOW(syscall(SYS_setdomainname, name, 3));
	SHOW(syscall(SYS_sethostname, name, 65));
}

static void machine(void)
{
	struct sysinfo si;
	SHOW(sysinfo(&si));
	struct timespec boot;
	MUST(clock_gettime(CLOCK_BOOTTIME, &boot));
	CHECK(si.uptime >= 1 && si.uptime - boot.tv_sec >= 0 && si.uptime - boot.tv_sec <= 1);
	CHECK(si.totalram > 0 && si.freeram <= si.totalram && si.mem_unit >= 1);
	CHECK(si.procs >= 1);
	SHOW(syscall(SYS_sysinfo, (void *)1));
	SHOW(syscall(SYS_sysinfo, NULL));
}

static void randomness(void)
{
	char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("setup failed: mmap\n");
		exit(99);
	}
	MUST(munmap(p + 2 * 4096, 4096));
	SHOW(syscall(SYS_getrandom, p + 100, 3 * 4096, 0));
	SHOW(syscall(SYS_getrandom, p + 2 * 4096, 16, 0));
	SHOW(syscall(SYS_getrandom, (void *)0xffff800000000000UL, 16, 0));
	/* A length beyond what one call moves is cut, not refused. */
	SHOW(syscall(SYS_getrandom, p + 4096, (size_t)-1, GRND_NONBLOCK));
	MUST(mprotect(p, 4096, PROT_READ));
	SHOW(syscall(SYS_getrandom, p, 16, 0));
}

int main(void)
{
	names();
	fflush(stdout);
	pid_t c = MUST(fork());
	if (c == 0) {
		unprivileged();
		fflush(stdout);
		_exit(0);
	}
	int st;
	MUST(waitpid(c, &st, 0));
	machine();
	randomness();
	return 0;
}
