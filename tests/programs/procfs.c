/* procfs: /proc as a process sees itself. Values that belong to the machine or the run
 * (pids, addresses, sizes, times) are compared with what the syscalls say, never printed. */
#include "common.h"
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>

extern char **environ;

/* The whole content of a file (NUL-terminated; *len gets its length), or NULL. */
static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (n == cap)
			buf = realloc(buf, (cap *= 2) + 1);
		ssize_t r = read(fd, buf + n, cap - n);
		if (r <= 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

/* The value after "Key:\t" in a status-like text, or NULL. */
static const char *field(const char *text, const char *key)
{
	static char val[256];
	size_t kl = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, kl) == 0 && l[kl] == ':') {
			const char *v = l + kl + 1;
			while (*v == '\t' || *v == ' ')
				v++;
			size_t n = strcspn(v, "\n");
			if (n >= sizeof val)
				n = sizeof val - 1;
			memcpy(val, v, n);
			val[n] = 0;
			return val;
		}
	}
	return NULL;
}

static int has_line_starting(const char *text, const char *prefix)
{
	size_t pl = strlen(prefix);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, prefix, pl) == 0)
			return 1;
	return 0;
}

static void self_links(void)
{
	char buf[PATH_MAX], want[64];
	ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
	buf[n < 0 ? 0 : n] = 0;
	snprintf(want, sizeof want, "%d", getpid());
	CHECK(strcmp(buf, want) == 0);
	n = readlink("/proc/thread-self", buf, sizeof buf - 1);
	buf[n < 0 ? 0 : n] = 0;
	snprintf(want, sizeof want, "%d/task/%ld", getpid(), syscall(SYS_gettid));
	CHECK(strcmp(buf, want) == 0);

	struct stat st;
	SHOW(lstat("/proc/self", &st));
	CHECK(S_ISLNK(st.st_mode));
	SHOW(stat("/proc/self", &st));
	CHECK(S_ISDIR(st.st_mode));
	printf("/proc/self mode %o\n", st.st_mode & 07777);
	CHECK(st.st_uid == geteuid());

	char exe[PATH_MAX], real[PATH_MAX];
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n < 0 ? 0 : n] = 0;
	CHECK(realpath(program_invocation_name, real) != NULL);
	CHECK(strcmp(exe, real) == 0);
	size_t len = 0;
	char *elf = slurp("/proc/self/exe", &len);
	CHECK(elf && len > 4 && memcmp(elf, "\177ELF", 4) == 0);
	free(elf);

	char cwd[PATH_MAX];
	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	n = readlink("/proc/self/cwd", buf, sizeof buf - 1);
	buf[n < 0 ? 0 : n] = 0;
	CHECK(strcmp(buf, cwd) == 0);
	n = readlink("/proc/self/root", buf, sizeof buf - 1);
	buf[n < 0 ? 0 : n] = 0;
	printf("root -> %s\n", buf);
}

static void stat_file(void)
{
	char *s = slurp("/proc/self/stat", NULL);
	if (!s) {
		printf("stat: %s\n", errno_name(errno));
		return;
	}
	int pid, ppid, pgrp, session;
	char comm[64], state;
	CHECK(sscanf(s, "%d (%63[^)]) %c %d %d %d", &pid, comm, &state, &ppid, &pgrp, &session) == 6);
	CHECK(pid == getpid());
	printf("comm %s state %c\n", comm, state);
	CHECK(ppid == getppid());
	CHECK(pgrp == getpgrp());
	CHECK(session == getsid(0));
	/* Fields after the comm: split on spaces. */
	char *rest = strrchr(s, ')') + 2;
	int count = 2;
	unsigned long long f[60] = {0};
	for (char *tok = strtok(rest, " \n"); tok; tok = strtok(NULL, " \n")) {
		if (count < 60)
			f[count] = strtoull(tok, NULL, 10);
		count++;
	}
	printf("stat fields: %d\n", count);
	CHECK(f[19] == 1);      /* num_threads */
	CHECK(f[22] > 0);       /* vsize */
	CHECK(f[23] > 0);       /* rss */
	CHECK(f[37] == 17);     /* exit_signal */
	CHECK(f[47] != 0 && f[47] < f[48]); /* arg_start < arg_end */
	free(s);

	s = slurp("/proc/self/statm", NULL);
	unsigned long size = 0, res = 0, shared, text, lib, data, dt;
	CHECK(s && sscanf(s, "%lu %lu %lu %lu %lu %lu %lu", &size, &res, &shared, &text, &lib, &data, &dt) == 7);
	CHECK(size > 0 && res > 0 && res <= size);
	free(s);
}

static void status_file(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	MUST(sigprocmask(SIG_BLOCK, &set, NULL));
	signal(SIGUSR2, SIG_IGN);
	char *s = slurp("/proc/self/status", NULL);
	if (!s) {
		printf("status: %s\n", errno_name(errno));
		return;
	}
	printf("Name: %s\n", field(s, "Name"));
	printf("State: %s\n", field(s, "State"));
	CHECK(atoi(field(s, "Pid")) == getpid());
	CHECK(atoi(field(s, "Tgid")) == getpid());
	CHECK(atoi(field(s, "PPid")) == getppid());
	CHECK(atoi(field(s, "NSpid")) == getpid());
	uid_t r, e, sv;
	gid_t gr, ge, gs;
	getresuid(&r, &e, &sv);
	getresgid(&gr, &ge, &gs);
	char want[128];
	snprintf(want, sizeof want, "%u\t%u\t%u\t%u", r, e, sv, e);
	CHECK(strcmp(field(s, "Uid"), want) == 0);
	snprintf(want, sizeof want, "%u\t%u\t%u\t%u", gr, ge, gs, ge);
	CHECK(strcmp(field(s, "Gid"), want) == 0);
	printf("Threads: %s\n", field(s, "Threads"));
	printf("Umask: %s\n", field(s, "Umask"));
	CHECK(field(s, "VmRSS") && strstr(field(s, "VmRSS"), " kB"));
	CHECK(field(s, "VmSize") && atoi(field(s, "VmSize")) > 0);
	unsigned long long blk = strtoull(field(s, "SigBlk"), NULL, 16);
	unsigned long long ign = strtoull(field(s, "SigIgn"), NULL, 16);
	CHECK(blk & (1ULL << (SIGUSR1 - 1)));
	CHECK(ign & (1ULL << (SIGUSR2 - 1)));
	CHECK(strlen(field(s, "SigPnd")) == 16);
	CHECK(field(s, "CapEff") && strlen(field(s, "CapEff")) == 16);
	CHECK(has_line_starting(s, "voluntary_ctxt_switches:"));
	free(s);
	MUST(sigprocmask(SIG_UNBLOCK, &set, NULL));
	signal(SIGUSR2, SIG_DFL);
}

static void cmdline_environ(int argc, char **argv)
{
	size_t len = 0, want_len = 0;
	char *s = slurp("/proc/self/cmdline", &len);
	char want[4096];
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;
		memcpy(want + want_len, argv[i], l);
		want_len += l;
	}
	CHECK(s && len == want_len && memcmp(s, want, len) == 0);
	/* Read one byte at a time: the same text. */
	int fd = open("/proc/self/cmdline", O_RDONLY);
	char one[4096];
	size_t got = 0;
	while (got < sizeof one && read(fd, one + got, 1) == 1)
		got++;
	close(fd);
	CHECK(got == len && memcmp(one, s, len) == 0);
	free(s);

	s = slurp("/proc/self/environ", &len);
	size_t at = 0;
	int same = s != NULL;
	for (char **e = environ; same && *e; e++) {
		size_t l = strlen(*e) + 1;
		same = at + l <= len && memcmp(s + at, *e, l) == 0;
		at += l;
	}
	CHECK(same && at == len);
	free(s);
}

static void maps_file(void)
{
	char *p = malloc(100000); /* a heap */
	p[0] = 1;
	char *s = slurp("/proc/self/maps", NULL);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n < 0 ? 0 : n] = 0;
	int lines = 0, parsed = 0, exe_lines = 0, stack = 0, heap = 0, exec_exe = 0;
	for (char *l = strtok(s, "\n"); l; l = strtok(NULL, "\n")) {
		unsigned long a, b, off, ino;
		unsigned ma, mi;
		char perms[8];
		int name_at = 0;
		lines++;
		if (sscanf(l, "%lx-%lx %4s %lx %x:%x %lu %n", &a, &b, perms, &off, &ma, &mi, &ino, &name_at) == 7 &&
		    a < b)
			parsed++;
		const char *name = name_at ? l + name_at : "";
		if (strcmp(name, exe) == 0) {
			exe_lines++;
			exec_exe |= perms[2] == 'x';
			/* Names start in the column Linux pads them to. */
			CHECK(name - l == 73 || (name - l > 73 && name[-2] != ' '));
		}
		if (strcmp(name, "[stack]") == 0)
			stack = perms[0] == 'r' && perms[1] == 'w' && perms[3] == 'p';
		if (strcmp(name, "[heap]") == 0)
			heap = 1;
	}
	CHECK(lines > 0 && parsed == lines);
	CHECK(exe_lines > 0 && exec_exe);
	CHECK(stack);
	CHECK(heap);
	free(s);
	free(p);
}

static int cmp_names(const void *a, const void *b)
{
	return atoi(*(char *const *)a) - atoi(*(char *const *)b);
}

static void list_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		printf("%s: %s\n", path, errno_name(errno));
		return;
	}
	char *names[64];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 64)
		if (e->d_name[0] != '.')
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof *names, cmp_names);
	printf("%s:", path);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void fds(void)
{
	tmpdir_enter();
	write_file("data", "hello from a file\n");
	char path[PATH_MAX], link[64], buf[PATH_MAX];
	snprintf(path, sizeof path, "%s/data", rvt_tmpdir);
	int fd = MUST(open("data", O_RDWR | O_CLOEXEC));
	printf("fd %d\n", fd);
	list_dir("/proc/self/fd");
	list_dir("/proc/self/fdinfo");
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, buf, sizeof buf - 1);
	buf[n < 0 ? 0 : n] = 0;
	CHECK(strcmp(buf, path) == 0);
	struct stat st, lst;
	SHOW(lstat(link, &lst));
	printf("link mode %o\n", lst.st_mode);
	SHOW(stat(link, &st));
	struct stat real;
	MUST(fstat(fd, &real));
	CHECK(st.st_ino == real.st_ino && st.st_dev == real.st_dev);

	/* Opening the link opens the file: a new description, its own offset. */
	MUST(lseek(fd, 6, SEEK_SET));
	int again = open(link, O_RDONLY);
	char text[64] = {0};
	SHOW(read(again, text, sizeof text - 1));
	printf("via link: %s", text);
	close(again);

	snprintf(link, sizeof link, "/proc/self/fdinfo/%d", fd);
	char *s = slurp(link, NULL);
	printf("pos: %s\n", field(s, "pos"));
	printf("flags: %s\n", field(s, "flags"));
	CHECK(field(s, "mnt_id") != NULL && field(s, "ino") != NULL);
	CHECK(strtoull(field(s, "ino"), NULL, 10) == real.st_ino);
	free(s);

	struct stat fdst;
	SHOW(stat("/proc/self/fd", &fdst));
	printf("fd dir mode %o\n", fdst.st_mode & 07777);
	close(fd);
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	SHOW(readlink(link, buf, sizeof buf));
	SHOW(open("/proc/self/fd/999", O_RDONLY));
	unlink("data");
	tmpdir_leave();
}

static void comm_file(void)
{
	char *s = slurp("/proc/self/comm", NULL);
	printf("comm: %s", s);
	free(s);
	int fd = open("/proc/self/comm", O_WRONLY | O_TRUNC);
	SHOWOK(fd);
	SHOW(write(fd, "renamed-process-name", 20));
	close(fd);
	s = slurp("/proc/self/comm", NULL);
	printf("comm now: %s", s);
	free(s);
	char name[17] = {0};
	prctl(PR_GET_NAME, name);
	printf("PR_GET_NAME: %s\n", name);
	prctl(PR_SET_NAME, "procfs");
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%ld/comm", syscall(SYS_gettid));
	s = slurp(path, NULL);
	printf("task comm: %s", s ? s : "(none)\n");
	free(s);
}

static void process_dirs(void)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d", getpid());
	struct stat st;
	SHOW(stat(path, &st));
	CHECK(S_ISDIR(st.st_mode));
	SHOW(stat("/proc/2147483647", &st));
	SHOW(stat("/proc/0", &st));
	SHOW(stat("/proc/self/nonexistent", &st));
	snprintf(path, sizeof path, "/proc/self/task/%ld/stat", syscall(SYS_gettid));
	SHOW(access(path, R_OK));

	DIR *d = opendir("/proc");
	int found_self = 0, found_pid = 0, found_meminfo = 0;
	char me[32];
	snprintf(me, sizeof me, "%d", getpid());
	struct dirent *e;
	while (d && (e = readdir(d))) {
		found_self |= strcmp(e->d_name, "self") == 0 && e->d_type == DT_LNK;
		found_pid |= strcmp(e->d_name, me) == 0 && e->d_type == DT_DIR;
		found_meminfo |= strcmp(e->d_name, "meminfo") == 0 && e->d_type == DT_REG;
	}
	if (d)
		closedir(d);
	CHECK(found_self && found_pid && found_meminfo);

	snprintf(path, sizeof path, "/proc/self/task");
	d = opendir(path);
	int tasks = 0, mine = 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		tasks++;
		mine |= atol(e->d_name) == syscall(SYS_gettid);
	}
	if (d)
		closedir(d);
	CHECK(tasks == 1 && mine);

	/* A child sees its own pid and its parent in its stat. */
	pid_t child = fork();
	if (child == 0) {
		char *s = slurp("/proc/self/stat", NULL);
		int pid = 0, ppid = 0;
		sscanf(s, "%d (%*[^)]) %*c %d", &pid, &ppid);
		_exit(pid == getpid() && ppid == getppid() ? 0 : 1);
	}
	int status = 0;
	waitpid(child, &status, 0);
	printf("child saw itself: %s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "yes" : "NO");
}

static void limits_mounts(void)
{
	char *s = slurp("/proc/self/limits", NULL);
	printf("limits header: %.*s\n", (int)strcspn(s, "\n"), s);
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	char want[128];
	snprintf(want, sizeof want, "Max open files            %-20lu %-20lu files", (unsigned long)rl.rlim_cur,
		 (unsigned long)rl.rlim_max);
	CHECK(strstr(s, want) != NULL);
	free(s);

	s = slurp("/proc/self/mounts", NULL);
	CHECK(s && strstr(s, " /proc proc ") != NULL);
	free(s);
	s = slurp("/proc/mounts", NULL);
	CHECK(s && strstr(s, " /proc proc ") != NULL);
	free(s);
	s = slurp("/proc/self/mountinfo", NULL);
	CHECK(s && strstr(s, " /proc ") != NULL && strstr(s, " - proc ") != NULL);
	free(s);

	s = slurp("/proc/self/oom_score_adj", NULL);
	printf("oom_score_adj: %s", s);
	free(s);
	int fd = open("/proc/self/oom_score_adj", O_WRONLY);
	SHOW(write(fd, "100\n", 4));
	close(fd);
	s = slurp("/proc/self/oom_score_adj", NULL);
	printf("oom_score_adj now: %s", s);
	free(s);
}

static void system_files(void)
{
	char *s = slurp("/proc/meminfo", NULL);
	CHECK(s && strncmp(s, "MemTotal:", 9) == 0 && strstr(s, " kB\n"));
	CHECK(field(s, "MemFree") && atol(field(s, "MemFree")) <= atol(field(s, "MemTotal")));
	CHECK(field(s, "MemAvailable") != NULL && field(s, "SwapTotal") != NULL);
	free(s);

	s = slurp("/proc/filesystems", NULL);
	CHECK(s && strstr(s, "nodev\ttmpfs\n") && strstr(s, "nodev\tproc\n"));
	free(s);

	s = slurp("/proc/cpuinfo", NULL);
	int cpus = 0;
	for (char *p = s; p && (p = strstr(p, "processor\t:")); p++)
		cpus++;
	CHECK(cpus > 0);
	CHECK(s && strstr(s, "flags\t\t:") != NULL);
	free(s);

	s = slurp("/proc/stat", NULL);
	CHECK(s && strncmp(s, "cpu  ", 5) == 0);
	CHECK(field(s, "btime") == NULL); /* "btime N": a space, not a colon */
	char *bt = s ? strstr(s, "\nbtime ") : NULL;
	CHECK(bt && atol(bt + 7) > 1000000000);
	free(s);

	s = slurp("/proc/uptime", NULL);
	double up = -1, idle = -1;
	CHECK(s && sscanf(s, "%lf %lf", &up, &idle) == 2 && up >= 0 && idle >= 0);
	free(s);

	s = slurp("/proc/loadavg", NULL);
	float l1, l5, l15;
	int run, total, last;
	CHECK(s && sscanf(s, "%f %f %f %d/%d %d", &l1, &l5, &l15, &run, &total, &last) == 6 && run <= total);
	free(s);

	s = slurp("/proc/version", NULL);
	CHECK(s && strncmp(s, "Linux version ", 14) == 0);
	free(s);
}

static void sysctls(void)
{
	struct utsname u;
	uname(&u);
	char *s = slurp("/proc/sys/kernel/ostype", NULL);
	printf("ostype: %s", s);
	free(s);
	s = slurp("/proc/sys/kernel/osrelease", NULL);
	CHECK(s && strncmp(s, u.release, strlen(u.release)) == 0 && s[strlen(u.release)] == '\n');
	free(s);
	s = slurp("/proc/sys/kernel/hostname", NULL);
	CHECK(s && strncmp(s, u.nodename, strlen(u.nodename)) == 0);
	free(s);
	s = slurp("/proc/sys/kernel/ngroups_max", NULL);
	printf("ngroups_max: %s", s);
	free(s);
	s = slurp("/proc/sys/kernel/pid_max", NULL);
	CHECK(s && atol(s) > 0);
	free(s);
	s = slurp("/proc/sys/kernel/cap_last_cap", NULL);
	CHECK(s && atol(s) >= 37);
	free(s);
	char *a = slurp("/proc/sys/kernel/random/uuid", NULL);
	char *b = slurp("/proc/sys/kernel/random/uuid", NULL);
	CHECK(a && b && strlen(a) == 37 && strcmp(a, b) != 0 && a[14] == '4');
	free(a);
	free(b);
	a = slurp("/proc/sys/kernel/random/boot_id", NULL);
	b = slurp("/proc/sys/kernel/random/boot_id", NULL);
	CHECK(a && b && strlen(a) == 37 && strcmp(a, b) == 0);
	free(a);
	free(b);
	const char *numbers[] = {
		"/proc/sys/vm/overcommit_memory", "/proc/sys/vm/max_map_count", "/proc/sys/vm/mmap_min_addr",
		"/proc/sys/fs/nr_open",           "/proc/sys/fs/file-max",      "/proc/sys/fs/pipe-max-size",
		"/proc/sys/net/core/somaxconn",   "/proc/sys/kernel/overflowuid",
	};
	for (unsigned i = 0; i < sizeof numbers / sizeof *numbers; i++) {
		s = slurp(numbers[i], NULL);
		printf("%s: %s\n", numbers[i], s && s[0] >= '0' && s[0] <= '9' ? "a number" : "MISSING");
		free(s);
	}

	/* Read-only: no writing, root or not. */
	SHOW(open("/proc/sys/kernel/ostype", O_WRONLY));
	int fd = open("/proc/meminfo", O_WRONLY);
	if (fd >= 0) {
		SHOW(write(fd, "1", 1));
		close(fd);
	}
	fd = open("/proc/self/stat", O_WRONLY);
	if (fd >= 0) {
		SHOW(write(fd, "1", 1));
		close(fd);
	}
	SHOW(mkdir("/proc/newdir", 0755));
	SHOW(unlink("/proc/self/stat"));
	SHOW(chmod("/proc/self/stat", 0777));
}

int main(int argc, char **argv)
{
	self_links();
	stat_file();
	status_file();
	cmdline_environ(argc, argv);
	maps_file();
	fds();
	comm_file();
	process_dirs();
	limits_mounts();
	system_files();
	sysctls();
	return 0;
}
