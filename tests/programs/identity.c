/* identity: the uid/gid family (setuid, setreuid, setresuid, setfsuid and the gid ones),
 * supplementary groups (setgroups sorts, getgroups sizes), capget/capset (versions, pids,
 * subsets), and how capabilities follow uid changes to and from root. Each scenario runs in a
 * child so that dropped privileges do not leak into the next. Capability sets are printed as
 * a few named bits, never as masks (the host's root may lack some capabilities). */
#include "common.h"
#include <grp.h>
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/wait.h>

static struct __user_cap_data_struct caps[2];

static long capget_v3(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	return syscall(SYS_capget, &h, caps);
}

static long capset_v3(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	return syscall(SYS_capset, &h, caps);
}

static const char *has(unsigned set, int cap)
{
	return set & (1u << cap) ? "yes" : "no";
}

/* A few capabilities in the effective and permitted sets. */
static void show_caps(const char *when)
{
	MUST(capget_v3());
	printf("%s: eff CHOWN %s SETUID %s SYS_ADMIN %s; perm CHOWN %s SETUID %s\n", when,
	       has(caps[0].effective, CAP_CHOWN), has(caps[0].effective, CAP_SETUID),
	       has(caps[0].effective, CAP_SYS_ADMIN), has(caps[0].permitted, CAP_CHOWN),
	       has(caps[0].permitted, CAP_SETUID));
}

static void ids(const char *when)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	MUST(getresuid(&r, &e, &s));
	MUST(getresgid(&rg, &eg, &sg));
	printf("%s: uid %d %d %d fsuid %d, gid %d %d %d fsgid %d\n", when, (int)r, (int)e, (int)s,
	       setfsuid(-1), (int)rg, (int)eg, (int)sg, setfsgid(-1));
}

static void in_child(void (*fn)(void))
{
	fflush(stdout);
	pid_t p = MUST(fork());
	if (p == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	MUST(waitpid(p, &st, 0));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("child failed: status %#x\n", st);
}

static void groups(void)
{
	gid_t g[8] = { 30, 10, 20, 10 };
	SHOW(setgroups(4, g));
	SHOW(getgroups(0, NULL));
	memset(g, 0, sizeof g);
	SHOW(getgroups(8, g));
	printf("groups: %d %d %d %d\n", g[0], g[1], g[2], g[3]);
	SHOW(getgroups(3, g));
	SHOW(getgroups(4, g));
	SHOW(syscall(SYS_getgroups, -1, g));
	SHOW(syscall(SYS_getgroups, 8, (void *)1));
	SHOW(syscall(SYS_setgroups, -1, g));
	SHOW(syscall(SYS_setgroups, 65537, g));
	SHOW(setgroups(2, (gid_t *)1));
	gid_t bad[2] = { 5, (gid_t)-1 };
	SHOW(setgroups(2, bad));
	SHOW(getgroups(0, NULL));
	SHOW(setgroups(0, NULL));
	SHOW(getgroups(0, NULL));
	/* With no groups nothing is written, so a bad buffer does not matter. */
	SHOW(syscall(SYS_getgroups, 8, (void *)1));
	SHOW(setgroups(1, g));
	MUST(setresuid(1000, 1000, 1000));
	SHOW(setgroups(0, NULL));
	SHOW(getgroups(0, NULL));
}

static void root_ids(void)
{
	ids("start");
	SHOW(setresuid(-1, -1, -1));
	SHOW(setuid(-1));
	SHOW(setgid(-1));
	SHOW(setresgid(100, 200, 300));
	ids("setresgid(100, 200, 300)");
	SHOW(setregid(-1, 300));
	ids("setregid(-1, 300)");
	SHOW(setregid(400, -1));
	ids("setregid(400, -1)");
	SHOW(setgid(7));
	ids("setgid(7)");
	SHOW(setreuid(1000, -1));
	ids("setreuid(1000, -1)");
	show_caps("real uid 1000, effective 0");
	SHOW(setfsuid(2000));
	ids("setfsuid(2000)");
	show_caps("fsuid 2000");
	SHOW(setfsuid(0));
	show_caps("fsuid 0 again");
	SHOW(setresuid(-1, 1000, -1));
	ids("seteuid 1000");
	show_caps("euid 1000, saved 0");
	SHOW(setuid(0));
	ids("setuid(0) back through the saved id");
	show_caps("euid 0 again");
	SHOW(setresuid(1000, 1000, 1000));
	ids("all 1000");
	show_caps("all 1000");
}

static void unprivileged(void)
{
	MUST(setresgid(100, 200, 300));
	MUST(setresuid(1000, 2000, 3000));
	ids("start");
	show_caps("start");
	SHOW(setuid(0));
	SHOW(setuid(5));
	SHOW(setuid(3000));
	ids("setuid(3000)");
	SHOW(setresuid(-1, 1000, -1));
	ids("setresuid(-1, 1000, -1)");
	SHOW(setresuid(0, -1, -1));
	SHOW(setresuid(-1, -1, 5));
	SHOW(setresuid(3000, 1000, 1000));
	ids("setresuid(3000, 1000, 1000)");
	SHOW(setreuid(-1, 0));
	SHOW(setreuid(5, -1));
	SHOW(setreuid(1000, 3000));
	ids("setreuid(1000, 3000)");
	SHOW(setreuid(-1, 1000));
	ids("setreuid(-1, 1000)");
	SHOW(setgid(5));
	SHOW(setgid(300));
	ids("setgid(300)");
	SHOW(setregid(-1, 9));
	SHOW(setregid(300, 200));
	ids("setregid(300, 200)");
	SHOW(setresgid(-1, -1, 9));
	SHOW(setresgid(200, 300, 100));
	ids("setresgid(200, 300, 100)");
	SHOW(setfsuid(0));
	SHOW(setfsuid(-1));
	SHOW(setfsuid(3000));
	SHOW(setfsuid(-1));
	SHOW(setfsgid(9));
	SHOW(setfsgid(-1));
	SHOW(setfsgid(100));
	SHOW(setfsgid(-1));
	caps[0].permitted |= 1u << CAP_SETUID;
	SHOW(capset_v3());
}

static void capabilities(void)
{
	struct __user_cap_header_struct h = { 0, 0 };
	SHOW(syscall(SYS_capget, &h, NULL));
	printf("preferred version %#x\n", h.version);
	h.version = 0x12345;
	SHOW(syscall(SYS_capget, &h, caps));
	printf("version now %#x\n", h.version);
	SHOW(syscall(SYS_capget, NULL, NULL));
	SHOW(syscall(SYS_capget, (void *)1, caps));
	h.version = _LINUX_CAPABILITY_VERSION_3;
	SHOW(syscall(SYS_capget, &h, (void *)1));
	h.pid = -1;
	SHOW(syscall(SYS_capget, &h, caps));
	h.pid = 999999;
	SHOW(syscall(SYS_capget, &h, caps));
	h.pid = getpid();
	SHOW(syscall(SYS_capget, &h, caps));
	/* Version 1 has one 32-bit word per set. */
	h.version = _LINUX_CAPABILITY_VERSION_1;
	h.pid = 0;
	memset(caps, 0x55, sizeof caps);
	SHOW(syscall(SYS_capget, &h, caps));
	printf("v1 leaves the second word alone: %s\n", caps[1].effective == 0x55555555 ? "yes" : "no");
	h.version = _LINUX_CAPABILITY_VERSION_2;
	SHOW(syscall(SYS_capget, &h, caps));
	printf("v2 fills the second word: %s\n", caps[1].effective != 0x55555555 ? "yes" : "no");

	show_caps("start");
	h.version = _LINUX_CAPABILITY_VERSION_3;
	h.pid = 999999;
	SHOW(syscall(SYS_capset, &h, caps));
	h.pid = 0;
	SHOW(syscall(SYS_capset, &h, (void *)1));
	h.version = 0x4321;
	SHOW(syscall(SYS_capset, &h, caps));
	printf("version now %#x\n", h.version);
	caps[0].effective &= ~(1u << CAP_CHOWN);
	SHOW(capset_v3());
	show_caps("CHOWN dropped from effective");
	caps[0].effective |= 1u << CAP_CHOWN;
	SHOW(capset_v3());
	show_caps("CHOWN raised again");
	caps[0].permitted &= ~(1u << CAP_SYS_ADMIN);
	SHOW(capset_v3());
	caps[0].effective &= ~(1u << CAP_SYS_ADMIN);
	SHOW(capset_v3());
	show_caps("SYS_ADMIN dropped");
	caps[0].permitted |= 1u << CAP_SYS_ADMIN;
	SHOW(capset_v3());
	caps[0].permitted &= ~(1u << CAP_SYS_ADMIN);
	caps[0].inheritable = 1u << CAP_CHOWN;
	SHOW(capset_v3());
	MUST(capget_v3());
	printf("inheritable CHOWN %s\n", has(caps[0].inheritable, CAP_CHOWN));
	/* Without CAP_SETPCAP, new inheritable capabilities must be permitted. */
	caps[0].effective &= ~(1u << CAP_SETPCAP);
	SHOW(capset_v3());
	caps[0].inheritable |= 1u << CAP_SYS_ADMIN;
	SHOW(capset_v3());
	caps[0].inheritable = 0;
	SHOW(capset_v3());
	/* Leaving root with a saved root id keeps the permitted set. */
	SHOW(setresuid(1000, 1000, 0));
	show_caps("saved uid 0");
	SHOW(setresuid(-1, -1, 1000));
	show_caps("no root id left");
}

int main(void)
{
	printf("root: %s\n", geteuid() == 0 ? "yes" : "no");
	in_child(groups);
	in_child(root_ids);
	in_child(unprivileged);
	in_child(capabilities);
	return 0;
}
