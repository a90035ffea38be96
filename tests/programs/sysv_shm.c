/* sysv_shm: System V shared memory. shmget's key and size rules, attaches shared between
 * fork'd processes, shm_nattch through attach, detach, fork, exec and exit, shmat's address
 * rules (SHM_RND, SHM_REMAP, overlap), SHM_RDONLY (a write is SIGSEGV), IPC_RMID with
 * attaches left (SHM_DEST, the key goes private), shmctl's commands and the permission
 * errors of an unprivileged user, and the /proc/PID/maps name.
 *
 * Runs natively in the host's IPC namespace next to other cases: only IPC_PRIVATE and a key
 * from ftok() of the case's own tmpdir; no ids or host-wide counts are printed; every
 * segment made is removed at exit. */
#include "common.h"
#include <grp.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

#define PG 4096

static int made[32];
static int nmade;

static void cleanup(void)
{
	for (int i = 0; i < nmade; i++)
		shmctl(made[i], IPC_RMID, NULL);
}

static int track(int id)
{
	if (id >= 0 && nmade < 32)
		made[nmade++] = id;
	return id;
}

static struct shmid_ds stat_of(int id)
{
	struct shmid_ds ds;
	memset(&ds, 0, sizeof ds);
	if (shmctl(id, IPC_STAT, &ds) != 0)
		printf("IPC_STAT failed: %s\n", errno_name(errno));
	return ds;
}

static long nattch(int id)
{
	struct shmid_ds ds;
	if (shmctl(id, IPC_STAT, &ds) != 0)
		return -errno;
	return (long)ds.shm_nattch;
}

/* The permissions and name of the maps line for `addr`, never the address. */
static void show_map(const char *what, void *addr)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long a = (unsigned long)addr;
	while (f && fgets(line, sizeof line, f)) {
		unsigned long s, e;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) != 3 || a < s || a >= e)
			continue;
		char *name = strchr(line, '/');
		printf("%s: %s %s", what, perms, name ? name : "(no name)\n");
		fclose(f);
		return;
	}
	printf("%s: not mapped\n", what);
	if (f)
		fclose(f);
}

/* Whether the maps line for `addr` names the segment of `key`. */
static void check_map_key(void *addr, key_t key)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], want[64];
	unsigned long a = (unsigned long)addr;
	int found = 0;
	snprintf(want, sizeof want, "/SYSV%08x (deleted)\n", (unsigned)key);
	while (f && fgets(line, sizeof line, f)) {
		unsigned long s, e;
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && a >= s && a < e) {
			char *name = strchr(line, '/');
			found = name && strcmp(name, want) == 0;
			break;
		}
	}
	if (f)
		fclose(f);
	printf("maps names the key: %s\n", found ? "yes" : "NO");
}

/* The header of each /proc/sysvipc file, and the shm line of `key` (without ids, pids, times). */
static void proc_sysvipc(key_t key)
{
	const char *files[] = { "/proc/sysvipc/shm", "/proc/sysvipc/sem", "/proc/sysvipc/msg" };
	for (int i = 0; i < 3; i++) {
		FILE *f = fopen(files[i], "r");
		char line[512];
		if (!f) {
			printf("%s: %s\n", files[i], errno_name(errno));
			continue;
		}
		if (fgets(line, sizeof line, f))
			printf("%s: %s", files[i], line);
		while (i == 0 && fgets(line, sizeof line, f)) {
			int k, id;
			unsigned perms, nattch, uid;
			unsigned long size;
			if (sscanf(line, "%d %d %o %lu %*d %*d %u %u", &k, &id, &perms, &size, &nattch, &uid) == 6 &&
			    k == key)
				printf("shm line: perms %o size %lu nattch %u uid %u\n", perms, size, nattch, uid);
		}
		fclose(f);
	}
}

/* A free range of `len` bytes. */
static char *free_range(size_t len)
{
	char *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("setup failed: mmap\n");
		exit(99);
	}
	munmap(p, len);
	return p;
}

static void become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) {
		printf("setup failed: drop privileges: %s\n", errno_name(errno));
		_exit(99);
	}
}

static int wait_child(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid) {
		printf("waitpid failed\n");
		return -1;
	}
	if (WIFSIGNALED(st))
		printf("child killed by signal %d (%s)\n", WTERMSIG(st), WTERMSIG(st) == SIGSEGV ? "SIGSEGV" : "other");
	else
		printf("child exit %d\n", WEXITSTATUS(st));
	return st;
}

static void get_rules(key_t key)
{
	printf("-- shmget\n");
	SHOW(shmget(IPC_PRIVATE, 0, 0600));
	SHOW(shmget(IPC_PRIVATE, (size_t)-1, 0600));
	SHOW(shmget(IPC_PRIVATE, 0xfffffffffeffffffUL + 1, 0600));
	SHOW(shmget(key, PG, 0600));
	int id = track(shmget(key, 2 * PG, IPC_CREAT | 0640));
	CHECK(id >= 0);
	CHECK(shmget(key, PG, 0600) == id);
	CHECK(shmget(key, 0, 0) == id);
	CHECK(shmget(key, 2 * PG, IPC_CREAT) == id);
	SHOW(shmget(key, 2 * PG + 1, 0600));
	SHOW(shmget(key, PG, IPC_CREAT | IPC_EXCL | 0600));
	/* Unknown flag bits are ignored. */
	int other = track(shmget(IPC_PRIVATE, PG, 01000000 | 0600));
	CHECK(other >= 0);
	SHOW(shmctl(other, IPC_RMID, NULL));

	struct shmid_ds ds = stat_of(id);
	printf("key matches: %s, mode %o, segsz %lu, nattch %lu\n", ds.shm_perm.__key == key ? "yes" : "NO",
	       ds.shm_perm.mode, (unsigned long)ds.shm_segsz, (unsigned long)ds.shm_nattch);
	CHECK(ds.shm_cpid == getpid());
	CHECK(ds.shm_lpid == 0);
	CHECK(ds.shm_atime == 0 && ds.shm_dtime == 0 && ds.shm_ctime != 0);
	CHECK(ds.shm_perm.uid == getuid() && ds.shm_perm.cuid == getuid());

	/* Another user: mode bits decide. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		become_nobody();
		SHOW(shmget(key, 0, 0600));
		SHOW(shmget(key, 0, 0) == id ? 0 : -1);
		SHOW(shmat(id, NULL, 0) == (void *)-1 ? -1 : 0);
		struct shmid_ds d;
		SHOW(shmctl(id, IPC_STAT, &d));
		SHOW(shmctl(id, SHM_STAT_ANY, &d) == id ? 0 : -1);
		SHOW(shmctl(id, IPC_RMID, NULL));
		SHOW(shmctl(id, IPC_SET, &d));
		SHOW(shmctl(id, SHM_LOCK, NULL));
		_exit(0);
	}
	wait_child(pid);
	/* Group and other access. */
	SHOW(shmctl(id, IPC_SET, &(struct shmid_ds){ .shm_perm = { .uid = 0, .gid = 0, .mode = 0604 } }));
	pid = fork();
	if (pid == 0) {
		become_nobody();
		SHOW(shmget(key, 0, 0400) == id ? 0 : -1);
		SHOW(shmget(key, 0, 0200));
		void *p = shmat(id, NULL, SHM_RDONLY);
		SHOW(p == (void *)-1 ? -1 : 0);
		SHOW(shmat(id, NULL, 0) == (void *)-1 ? -1 : 0);
		SHOW(shmat(id, NULL, SHM_RDONLY | SHM_EXEC) == (void *)-1 ? -1 : 0);
		_exit(0);
	}
	wait_child(pid);
	SHOW(shmctl(id, IPC_RMID, NULL));
	SHOW(shmget(key, 0, 0));
}

static void sharing(void)
{
	printf("-- sharing\n");
	int id = track(shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600));
	CHECK(id >= 0);
	char *p = shmat(id, NULL, 0);
	CHECK(p != (void *)-1);
	struct shmid_ds ds = stat_of(id);
	printf("after shmat: nattch %lu\n", (unsigned long)ds.shm_nattch);
	CHECK(ds.shm_lpid == getpid() && ds.shm_atime != 0 && ds.shm_dtime == 0);
	show_map("attach", p);
	show_map("attach end", p + 8192);
	CHECK(p[9999] == 0 && p[12287] == 0);
	strcpy(p, "hello");

	int go[2], back[2];
	MUST(pipe(go));
	MUST(pipe(back));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		printf("child sees: %s\n", p);
		printf("child nattch: %ld\n", nattch(id));
		strcpy(p + 100, "from child");
		MUST(write(back[1], "x", 1));
		MUST(read(go[0], &c, 1));
		printf("child sees parent's write: %s\n", p + 200);
		_exit(0);
	}
	char c;
	close(back[1]);
	close(go[0]);
	if (read(back[0], &c, 1) != 1)
		printf("child failed\n");
	printf("parent sees: %s\n", p + 100);
	strcpy(p + 200, "from parent");
	MUST(write(go[1], "x", 1));
	wait_child(pid);
	printf("after child exit: nattch %ld\n", nattch(id));
	CHECK(stat_of(id).shm_dtime != 0);

	/* A second attach, read-only. */
	char *r = shmat(id, NULL, SHM_RDONLY);
	CHECK(r != (void *)-1 && r != p);
	printf("read-only attach sees: %s, nattch %ld\n", r, nattch(id));
	show_map("read-only attach", r);
	/* Whole attaches only: Linux counts each piece of a split area as an attach. */
	SHOW(mprotect(r, 3 * PG, PROT_READ | PROT_WRITE));
	SHOW(mprotect(r, 3 * PG, PROT_READ | PROT_EXEC));
	SHOW(mprotect(p, 3 * PG, PROT_READ | PROT_WRITE | PROT_EXEC));
	p[0] = 'J';
	printf("write through the other attach: %s\n", r);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		r[0] = 'x';
		printf("write to read-only attach succeeded\n");
		_exit(0);
	}
	wait_child(pid);

	/* shmdt. */
	SHOW(shmdt(r + PG));
	SHOW(shmdt(r + 1));
	SHOW(shmdt(NULL));
	SHOW(shmdt(r));
	SHOW(shmdt(r));
	printf("after shmdt: nattch %ld\n", nattch(id));
	show_map("detached", r);
	/* munmap also detaches. */
	SHOW(munmap(p, 3 * PG));
	printf("after munmap: nattch %ld\n", nattch(id));

	/* exec drops attaches. */
	char *q = shmat(id, NULL, 0);
	CHECK(q != (void *)-1);
	MUST(pipe(go));
	MUST(pipe(back));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* Descriptors above stderr are closed by the new image's start-up. */
		MUST(dup2(back[1], 0));
		MUST(dup2(go[0], 2));
		execl("/proc/self/exe", "sysv_shm", "exec-child", (char *)NULL);
		_exit(98);
	}
	close(back[1]);
	close(go[0]);
	if (read(back[0], &c, 1) != 1)
		printf("exec child failed\n");
	printf("child before exec counted, after exec: nattch %ld\n", nattch(id));
	MUST(write(go[1], "x", 1));
	wait_child(pid);
	SHOW(shmdt(q));
	printf("end: nattch %ld\n", nattch(id));
	SHOW(shmctl(id, IPC_RMID, NULL));
	SHOW(shmctl(id, IPC_STAT, &ds));
}

static void addresses(void)
{
	printf("-- addresses\n");
	int id = track(shmget(IPC_PRIVATE, 2 * PG, IPC_CREAT | 0600));
	char *a = free_range(4 * PG);
	SHOW(shmat(-1, NULL, 0) == (void *)-1 ? -1 : 0);
	SHOW(shmat(0x7ffffff0, NULL, 0) == (void *)-1 ? -1 : 0);
	SHOW(shmat(id, a + 1, 0) == (void *)-1 ? -1 : 0);
	SHOW(shmat(-1, a + 1, 0) == (void *)-1 ? -1 : 0);
	SHOW(shmat(id, NULL, SHM_REMAP) == (void *)-1 ? -1 : 0);
	SHOW(shmat(id, (void *)1, SHM_RND | SHM_REMAP) == (void *)-1 ? -1 : 0);
	char *p = shmat(id, a + PG + 5, SHM_RND);
	printf("SHM_RND rounds down: %s\n", p == a + PG ? "yes" : "NO");
	SHOW(shmdt(p));
	p = shmat(id, a, 0);
	printf("given address: %s\n", p == a ? "yes" : "NO");
	/* The range is taken now. */
	SHOW(shmat(id, a + PG, 0) == (void *)-1 ? -1 : 0);
	char *m = mmap(a + 2 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(m == a + 2 * PG);
	SHOW(shmat(id, a + 2 * PG, 0) == (void *)-1 ? -1 : 0);
	char *q = shmat(id, a + 2 * PG, SHM_REMAP);
	printf("SHM_REMAP replaces: %s\n", q == a + 2 * PG ? "yes" : "NO");
	p[0] = 'z';
	printf("both attaches share: %c\n", q[0]);
	show_map("exec attach before", q);
	SHOW(shmdt(q));
	q = shmat(id, NULL, SHM_EXEC);
	show_map("exec attach", q);
	SHOW(shmdt(q));
	printf("nattch %ld\n", nattch(id));
	SHOW(shmdt(p));
	SHOW(shmctl(id, IPC_RMID, NULL));
}

static void removal(key_t key)
{
	printf("-- IPC_RMID with attaches\n");
	int id = track(shmget(key, PG, IPC_CREAT | IPC_EXCL | 0600));
	CHECK(id >= 0);
	char *p = shmat(id, NULL, 0);
	CHECK(p != (void *)-1);
	check_map_key(p, key);
	proc_sysvipc(key);
	int go[2], back[2];
	MUST(pipe(go));
	MUST(pipe(back));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		MUST(read(go[0], &c, 1));
		printf("child reads after removal: %s\n", p);
		strcpy(p, "child was here");
		_exit(0);
	}
	close(go[0]);
	SHOW(shmctl(id, IPC_RMID, NULL));
	struct shmid_ds ds = stat_of(id);
	printf("removed: key %d, SHM_DEST %s, mode %o, nattch %lu\n", ds.shm_perm.__key,
	       ds.shm_perm.mode & SHM_DEST ? "yes" : "no", ds.shm_perm.mode & 0777, (unsigned long)ds.shm_nattch);
	SHOW(shmget(key, 0, 0));
	int again = track(shmget(key, PG, IPC_CREAT | IPC_EXCL | 0600));
	CHECK(again >= 0 && again != id);
	SHOW(shmctl(again, IPC_RMID, NULL));
	/* Still attachable by id. */
	char *q = shmat(id, NULL, 0);
	SHOW(q == (void *)-1 ? -1 : 0);
	printf("nattch %ld\n", nattch(id));
	SHOW(shmdt(q));
	strcpy(p, "still here");
	SHOW(shmdt(p));
	printf("after parent's detach: nattch %ld\n", nattch(id));
	MUST(write(go[1], "x", 1));
	(void)back;
	wait_child(pid);
	SHOW(shmctl(id, IPC_STAT, &ds));
	SHOW(shmat(id, NULL, 0) == (void *)-1 ? -1 : 0);
}

static void control(void)
{
	printf("-- shmctl\n");
	struct shminfo info;
	SHOWOK(shmctl(0, IPC_INFO, (struct shmid_ds *)&info));
	printf("shmmax %lu shmmin %lu shmmni %lu shmseg %lu shmall %lu\n", info.shmmax, info.shmmin, info.shmmni,
	       info.shmseg, info.shmall);
	struct shm_info sinfo;
	SHOWOK(shmctl(0, SHM_INFO, (struct shmid_ds *)&sinfo));
	SHOW(shmctl(0, IPC_INFO, (struct shmid_ds *)1));

	int id = track(shmget(IPC_PRIVATE, PG, IPC_CREAT | 0600));
	struct shmid_ds ds = stat_of(id);
	SHOW(shmctl(id, 99, &ds));
	SHOW(shmctl(-1, IPC_STAT, &ds));
	SHOW(shmctl(id, -1, &ds));
	SHOW(shmctl(id, IPC_STAT, (struct shmid_ds *)1));
	SHOW(shmctl(id, IPC_SET, (struct shmid_ds *)1));
	SHOW(shmctl(id & 0x7fff, SHM_STAT, &ds) == id ? 0 : -1);
	SHOW(shmctl(id & 0x7fff, SHM_STAT_ANY, &ds) == id ? 0 : -1);
	ds.shm_perm.mode = 0177440;
	ds.shm_perm.uid = 1234;
	ds.shm_perm.gid = 5678;
	ds.shm_segsz = 1;
	SHOW(shmctl(id, IPC_SET, &ds));
	ds = stat_of(id);
	printf("after IPC_SET: mode %o uid %u gid %u cuid is me %s segsz %lu\n", ds.shm_perm.mode, ds.shm_perm.uid,
	       ds.shm_perm.gid, ds.shm_perm.cuid == getuid() ? "yes" : "NO", (unsigned long)ds.shm_segsz);
	ds.shm_perm.uid = (uid_t)-1;
	SHOW(shmctl(id, IPC_SET, &ds));
	SHOW(shmctl(id, SHM_LOCK, NULL));
	printf("locked: %s\n", stat_of(id).shm_perm.mode & SHM_LOCKED ? "yes" : "no");
	SHOW(shmctl(id, SHM_UNLOCK, NULL));
	printf("locked: %s\n", stat_of(id).shm_perm.mode & SHM_LOCKED ? "yes" : "no");
	SHOW(shmctl(id, IPC_RMID, NULL));
	SHOW(shmctl(id, IPC_RMID, NULL));
	SHOW(shmctl(id, SHM_LOCK, NULL));
}

/* The limits as /proc/sys shows them (Linux's defaults here and on the test host). */
static void sysctls(void)
{
	printf("-- /proc/sys/kernel\n");
	const char *names[] = { "shmmax", "shmall", "shmmni", "sem", "msgmax", "msgmnb", "msgmni" };
	for (unsigned i = 0; i < sizeof names / sizeof *names; i++) {
		char path[64], buf[128];
		snprintf(path, sizeof path, "/proc/sys/kernel/%s", names[i]);
		int fd = open(path, O_RDONLY);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
		if (n < 0) {
			printf("%s: %s\n", names[i], errno_name(errno));
		} else {
			buf[n] = 0;
			printf("%s: %s", names[i], buf);
		}
		if (fd >= 0)
			close(fd);
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "exec-child") == 0) {
		char c;
		MUST(write(0, "x", 1));
		MUST(read(2, &c, 1));
		return 0;
	}
	atexit(cleanup);
	tmpdir_enter();
	key_t key = ftok(".", 'S');
	CHECK(key != -1);
	get_rules(key);
	sharing();
	addresses();
	removal(key);
	control();
	sysctls();
	cleanup();
	tmpdir_leave();
	return 0;
}
