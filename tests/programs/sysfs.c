/* /sys as programs read it to size themselves: the CPU lists (glibc's get_nprocs reads
 * /sys/devices/system/cpu/online), each CPU's topology, the NUMA nodes, the transparent
 * huge page settings (the JVM and Go read them), the loopback device. The files must
 * parse and agree with sysconf and sched_getaffinity; writes are refused.
 *
 * The values are the machine's, the same natively and in the sandbox (which passes the
 * host's on); the program prints them and the relations it checks. */
#include "common.h"
#include <dirent.h>
#include <sched.h>

static char text[4096];

/* The file's contents without the trailing newline, or NULL. */
static const char *get(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	int n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n < 0)
		return NULL;
	text[n] = 0;
	if (n > 0 && text[n - 1] == '\n')
		text[n - 1] = 0;
	return text;
}

#define MAXCPU 4096
/* Parses a CPU list ("0-3,8") into `set`; returns the count, -1 if malformed. */
static int parse_list(const char *s, unsigned char *set)
{
	int count = 0;
	memset(set, 0, MAXCPU);
	if (!s)
		return -1;
	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b = a;
		if (end == s)
			return -1;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a)
				return -1;
		}
		for (long i = a; i <= b && i < MAXCPU; i++)
			if (!set[i]++)
				count++;
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return count;
}

static unsigned char online[MAXCPU], present[MAXCPU], possible[MAXCPU], tmp[MAXCPU];

static void cpu_lists(void)
{
	printf("== cpu lists\n");
	const char *s = get("/sys/devices/system/cpu/online");
	printf("online: %s\n", s ? s : "(none)");
	int n_online = parse_list(s, online);
	s = get("/sys/devices/system/cpu/possible");
	printf("possible: %s\n", s ? s : "(none)");
	int n_possible = parse_list(s, possible);
	s = get("/sys/devices/system/cpu/present");
	printf("present: %s\n", s ? s : "(none)");
	int n_present = parse_list(s, present);
	s = get("/sys/devices/system/cpu/kernel_max");
	printf("kernel_max: %s\n", s ? s : "(none)");
	long kmax = s ? atol(s) : -1;
	s = get("/sys/devices/system/cpu/offline");
	printf("offline: \"%s\"\n", s ? s : "(none)");

	CHECK(n_online > 0 && n_possible >= n_online && n_present >= n_online);
	CHECK(n_online == sysconf(_SC_NPROCESSORS_ONLN));
	CHECK(n_possible == sysconf(_SC_NPROCESSORS_CONF) || n_present == sysconf(_SC_NPROCESSORS_CONF));
	CHECK(kmax >= n_possible - 1);
	cpu_set_t set;
	CPU_ZERO(&set);
	MUST(sched_getaffinity(0, sizeof set, &set));
	int inside = 1;
	for (int i = 0; i < CPU_SETSIZE && i < MAXCPU; i++)
		if (CPU_ISSET(i, &set) && !online[i])
			inside = 0;
	CHECK(CPU_COUNT(&set) <= n_online);
	CHECK(inside);

	/* One directory per present CPU, as get_nprocs_conf may count. */
	DIR *d = opendir("/sys/devices/system/cpu");
	int dirs = 0, all_present = 1;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char *end;
		if (strncmp(e->d_name, "cpu", 3) != 0)
			continue;
		long i = strtol(e->d_name + 3, &end, 10);
		if (end == e->d_name + 3 || *end)
			continue;
		dirs++;
		if (i >= MAXCPU || !present[i])
			all_present = 0;
	}
	if (d)
		closedir(d);
	CHECK(dirs == n_present);
	CHECK(all_present);
}

static void topology(void)
{
	printf("== topology\n");
	int ok = 1;
	for (int c = 0; c < MAXCPU; c++) {
		if (!present[c])
			continue;
		char path[128];
		snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/core_id", c);
		const char *s = get(path);
		long core = s ? atol(s) : -1;
		snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/physical_package_id", c);
		s = get(path);
		long pkg = s ? atol(s) : -2;
		snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", c);
		int threads = parse_list(get(path), tmp);
		int self_thread = threads > 0 && tmp[c];
		snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/core_siblings_list", c);
		int cores = parse_list(get(path), tmp);
		int self_core = cores > 0 && tmp[c];
		printf("cpu%d: core %ld package %ld threads %d siblings %d\n", c, core, pkg, threads, cores);
		if (core < 0 || pkg < -1 || !self_thread || !self_core || threads > cores)
			ok = 0;
	}
	CHECK(ok);
}

static void nodes(void)
{
	printf("== nodes\n");
	const char *s = get("/sys/devices/system/node/online");
	printf("node online: %s\n", s ? s : "(none)");
	unsigned char node_set[MAXCPU];
	int n = parse_list(s, node_set);
	CHECK(n >= 1);
	unsigned char covered[MAXCPU] = { 0 };
	for (int i = 0; i < MAXCPU && n > 0; i++) {
		if (!node_set[i])
			continue;
		char path[128];
		snprintf(path, sizeof path, "/sys/devices/system/node/node%d/cpulist", i);
		s = get(path);
		printf("node%d cpulist: %s\n", i, s ? s : "(none)");
		if (parse_list(s, tmp) >= 0)
			for (int c = 0; c < MAXCPU; c++)
				covered[c] |= tmp[c];
	}
	int all = 1;
	for (int c = 0; c < MAXCPU; c++)
		if (online[c] && !covered[c])
			all = 0;
	CHECK(all);
}

static void huge_pages(void)
{
	printf("== transparent huge pages\n");
	const char *s = get("/sys/kernel/mm/transparent_hugepage/enabled");
	printf("enabled: %s\n", s ? s : "(none)");
	int one = s && (strstr(s, "[always]") || strstr(s, "[madvise]") || strstr(s, "[never]"));
	CHECK(one);
	s = get("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
	long sz = s ? atol(s) : 0;
	printf("hpage_pmd_size: %ld\n", sz);
	CHECK(sz > 0 && (sz & (sz - 1)) == 0);
	s = get("/sys/kernel/mm/transparent_hugepage/defrag");
	CHECK(s && strchr(s, '['));
}

static void loopback(void)
{
	printf("== loopback\n");
	const char *s = get("/sys/class/net/lo/mtu");
	printf("mtu: %s\n", s ? s : "(none)");
	s = get("/sys/class/net/lo/type");
	printf("type: %s\n", s ? s : "(none)");
	s = get("/sys/class/net/lo/address");
	printf("address: %s\n", s ? s : "(none)");
	char link[256];
	ssize_t n = readlink("/sys/class/net/lo", link, sizeof link - 1);
	CHECK(n > 0 && strstr((link[n] = 0, link), "devices/virtual/net/lo"));
}

static void refusals(void)
{
	printf("== writes\n");
	int fd = open("/sys/devices/system/cpu/online", O_WRONLY);
	CHECK(fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM));
	CHECK(mkdir("/sys/kernel/rvt", 0755) < 0);
	CHECK(unlink("/sys/devices/system/cpu/online") < 0);
	struct stat st;
	SHOW(stat("/sys/devices/system/cpu/online", &st));
	CHECK(S_ISREG(st.st_mode) && (st.st_mode & 0222) == 0);
	SHOW(stat("/sys/devices/system/cpu", &st));
	CHECK(S_ISDIR(st.st_mode));
	SHOW(stat("/sys/fs/cgroup", &st));
	CHECK(S_ISDIR(st.st_mode));
}

int main(void)
{
	cpu_lists();
	topology();
	nodes();
	huge_pages();
	loopback();
	refusals();
	return 0;
}
