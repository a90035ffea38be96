/* prctl PR_SET/GET_KEEPCAPS and PR_SET/GET_NO_NEW_PRIVS: keepcaps lets permitted capabilities
 * survive leaving uid 0 (effective ones still go), is cleared by execve, and bad values are
 * EINVAL; no_new_privs is one-way, inherited by fork and shown in /proc/self/status. */
#include "common.h"
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static void caps(const char *when)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	MUST(syscall(SYS_capget, &h, d));
	printf("%s: permitted has SETUID %d, effective has SETUID %d\n", when,
	       !!(d[0].permitted & (1u << CAP_SETUID)), !!(d[0].effective & (1u << CAP_SETUID)));
}

static void status_line(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, key, strlen(key)) == 0)
			printf("%s", line);
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		/* After execve: keepcaps is cleared. */
		printf("after exec: keepcaps %d nnp %d\n", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0),
		       prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
		return 0;
	}
	SHOW(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
	SHOW(prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0));
	fflush(stdout);
	pid_t c = MUST(fork());
	if (c == 0) {
		/* Without keepcaps: everything goes with uid 0. */
		MUST(setresuid(1234, 1234, 1234));
		caps("no keepcaps, uid 1234");
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	c = MUST(fork());
	if (c == 0) {
		SHOW(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
		SHOW(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
		MUST(setresuid(1234, 1234, 1234));
		caps("keepcaps, uid 1234");
		/* Back to euid 0: effective comes back from permitted. */
		SHOW(setresuid(-1, 0, -1));
		caps("keepcaps, euid 0 again");
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	SHOW(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	SHOW(prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));
	SHOW(prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0));
	SHOW(prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0));
	fflush(stdout);
	c = MUST(fork());
	if (c == 0) {
		SHOW(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
		SHOW(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
		status_line("NoNewPrivs");
		SHOW(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
		fflush(stdout);
		pid_t g = MUST(fork());
		if (g == 0) {
			printf("grandchild nnp %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
			fflush(stdout);
			execl("/proc/self/exe", "prctl_caps", "again", (char *)NULL);
			_exit(9);
		}
		waitpid(g, NULL, 0);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	status_line("NoNewPrivs");
	return 0;
}
