/* sysv_sem: System V semaphores. semget's rules, semctl's commands (values, pids, waiter
 * counts, stat/set/info, permission errors), semop's atomic arrays, IPC_NOWAIT, wait for
 * zero, E2BIG/EFBIG/ERANGE/EFAULT, blocking across processes (pipes and GETNCNT/GETZCNT
 * to know the other side sleeps), semtimedop's timeout, SEM_UNDO applied at exit and
 * cleared by SETVAL, EIDRM for a waiter whose set is removed, EINTR (never restarted).
 *
 * Runs natively in the host's IPC namespace next to other cases: only IPC_PRIVATE and a key
 * from ftok() of the case's own tmpdir; no ids or host-wide counts are printed; every set
 * made is removed at exit. */
#include "common.h"
#include <grp.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

static int made[32];
static int nmade;

static void cleanup(void)
{
	for (int i = 0; i < nmade; i++)
		semctl(made[i], 0, IPC_RMID);
}

static int track(int id)
{
	if (id >= 0 && nmade < 32)
		made[nmade++] = id;
	return id;
}

static int op(int id, unsigned short num, short o, short flg)
{
	struct sembuf b = { num, o, flg };
	return semop(id, &b, 1);
}

static void show_vals(int id, int n)
{
	unsigned short v[8];
	if (semctl(id, 0, GETALL, v) != 0) {
		printf("GETALL: %s\n", errno_name(errno));
		return;
	}
	printf("values:");
	for (int i = 0; i < n; i++)
		printf(" %u", v[i]);
	printf("\n");
}

/* Wait until `n` tasks wait on semaphore `num` (GETNCNT or GETZCNT). */
static void await_count(int id, int num, int cmd, int n)
{
	for (int i = 0; i < 500; i++) {
		if (semctl(id, num, cmd) == n)
			return;
		usleep(10000);
	}
	printf("timed out waiting for %s == %d\n", cmd == GETNCNT ? "GETNCNT" : "GETZCNT", n);
}

static void become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) {
		printf("setup failed: drop privileges: %s\n", errno_name(errno));
		_exit(99);
	}
}

static void wait_child(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid) {
		printf("waitpid failed\n");
		return;
	}
	if (WIFSIGNALED(st))
		printf("child killed by signal %d\n", WTERMSIG(st));
	else
		printf("child exit %d\n", WEXITSTATUS(st));
}

/* Run `call`, which lets a child finish, then wait for the child, then show the result:
 * the child's lines come first whatever the scheduling. */
#define SHOW_AFTER_CHILD(pid, call)                 \
	do {                                        \
		long r_ = (long)(call);             \
		int e_ = errno;                     \
		wait_child(pid);                    \
		errno = e_;                         \
		rvt_show(#call, r_, 1);             \
	} while (0)

static void get_rules(key_t key)
{
	printf("-- semget\n");
	SHOW(semget(IPC_PRIVATE, -1, 0600));
	SHOW(semget(IPC_PRIVATE, 32001, 0600));
	SHOW(semget(IPC_PRIVATE, 0, 0600));
	SHOW(semget(key, 2, 0600));
	int id = track(semget(key, 3, IPC_CREAT | 0640));
	CHECK(id >= 0);
	CHECK(semget(key, 3, 0) == id);
	CHECK(semget(key, 0, 0) == id);
	CHECK(semget(key, 1, IPC_CREAT | 0600) == id);
	SHOW(semget(key, 4, 0));
	SHOW(semget(key, 1, IPC_CREAT | IPC_EXCL | 0600));
	struct semid_ds ds;
	SHOW(semctl(id, 0, IPC_STAT, &ds));
	printf("key matches %s, mode %o, nsems %lu, otime %ld, ctime set %s\n", ds.sem_perm.__key == key ? "yes" : "NO",
	       ds.sem_perm.mode, (unsigned long)ds.sem_nsems, (long)ds.sem_otime, ds.sem_ctime ? "yes" : "NO");
	show_vals(id, 3);

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		become_nobody();
		SHOW(semget(key, 0, 0600));
		SHOW(semget(key, 0, 0) == id ? 0 : -1);
		SHOW(semctl(id, 0, GETVAL));
		SHOW(semctl(id, 0, SETVAL, 1));
		SHOW(semctl(id, 0, IPC_STAT, &ds));
		SHOW(semctl(id, 0, SEM_STAT_ANY, &ds) == id ? 0 : -1);
		SHOW(semctl(id, 0, IPC_RMID));
		SHOW(op(id, 0, 1, 0));
		SHOW(op(id, 0, 0, IPC_NOWAIT));
		_exit(0);
	}
	wait_child(pid);
	SHOW(semctl(id, 0, IPC_RMID));
	SHOW(semget(key, 0, 0));
	SHOW(semctl(id, 0, GETVAL));
}

static void control(void)
{
	printf("-- semctl\n");
	int id = track(semget(IPC_PRIVATE, 3, IPC_CREAT | 0600));
	SHOW(semctl(id, 1, SETVAL, 7));
	SHOW(semctl(id, 1, GETVAL));
	CHECK(semctl(id, 1, GETPID) == getpid());
	SHOW(semctl(id, 0, GETPID));
	SHOW(semctl(id, 1, GETNCNT));
	SHOW(semctl(id, 1, GETZCNT));
	SHOW(semctl(id, 3, GETVAL));
	SHOW(semctl(id, -1, GETVAL));
	SHOW(semctl(id, 3, SETVAL, 1));
	SHOW(semctl(id, 0, SETVAL, -1));
	SHOW(semctl(id, 0, SETVAL, 32768));
	SHOW(semctl(id, 0, SETVAL, 32767));
	SHOW(semctl(id, 9, SETVAL, 40000));
	show_vals(id, 3);
	unsigned short v[3] = { 1, 2, 3 };
	SHOW(semctl(id, 0, SETALL, v));
	show_vals(id, 3);
	CHECK(semctl(id, 0, GETPID) == getpid());
	unsigned short big[3] = { 1, 40000, 3 };
	SHOW(semctl(id, 0, SETALL, big));
	show_vals(id, 3);
	SHOW(semctl(id, 0, SETALL, (void *)1));
	SHOW(semctl(id, 0, GETALL, (void *)1));
	SHOW(semctl(id, 0, IPC_STAT, (void *)1));
	SHOW(semctl(id, 0, IPC_SET, (void *)1));
	SHOW(semctl(id, 0, 99));
	SHOW(semctl(-1, 0, GETVAL));
	SHOW(semctl(id, 0, SEM_STAT, &(struct semid_ds){ 0 }) == id ? 0 : -1);

	struct semid_ds ds;
	MUST(semctl(id, 0, IPC_STAT, &ds));
	ds.sem_perm.mode = 07444;
	ds.sem_perm.uid = 42;
	ds.sem_nsems = 99;
	SHOW(semctl(id, 0, IPC_SET, &ds));
	MUST(semctl(id, 0, IPC_STAT, &ds));
	printf("after IPC_SET: mode %o uid %u nsems %lu\n", ds.sem_perm.mode, ds.sem_perm.uid,
	       (unsigned long)ds.sem_nsems);
	ds.sem_perm.gid = (gid_t)-1;
	SHOW(semctl(id, 0, IPC_SET, &ds));

	struct seminfo si;
	SHOWOK(semctl(0, 0, IPC_INFO, &si));
	printf("semmap %d semmni %d semmns %d semmnu %d semmsl %d semopm %d semume %d semusz %d semvmx %d semaem %d\n",
	       si.semmap, si.semmni, si.semmns, si.semmnu, si.semmsl, si.semopm, si.semume, si.semusz, si.semvmx,
	       si.semaem);
	SHOWOK(semctl(0, 0, SEM_INFO, &si));
	SHOW(semctl(0, 0, IPC_INFO, (void *)1));
	SHOW(semctl(id, 0, IPC_RMID));
	SHOW(semctl(id, 0, IPC_RMID));
}

static void operations(void)
{
	printf("-- semop\n");
	int id = track(semget(IPC_PRIVATE, 2, IPC_CREAT | 0600));
	struct sembuf b[2];
	SHOW(semop(id, b, 0));
	SHOW(semop(-1, b, 1));
	static struct sembuf many[501];
	SHOW(semop(id, many, 501));
	SHOW(semop(id, (struct sembuf *)1, 1));
	SHOW(semop(id, many, 500));
	SHOW(op(id, 2, 1, 0));
	SHOW(op(id, 0, -1, IPC_NOWAIT));
	SHOW(op(id, 0, 0, IPC_NOWAIT));
	SHOW(op(id, 0, 2, 0));
	SHOW(op(id, 0, 0, IPC_NOWAIT));
	/* All or nothing: the second one cannot go. */
	b[0] = (struct sembuf){ 0, -1, 0 };
	b[1] = (struct sembuf){ 1, -1, IPC_NOWAIT };
	SHOW(semop(id, b, 2));
	show_vals(id, 2);
	b[1] = (struct sembuf){ 1, 5, 0 };
	SHOW(semop(id, b, 2));
	show_vals(id, 2);
	/* The same semaphore twice in one array, in order. */
	b[0] = (struct sembuf){ 0, -1, 0 };
	b[1] = (struct sembuf){ 0, 0, IPC_NOWAIT };
	SHOW(semop(id, b, 2));
	show_vals(id, 2);
	SHOW(semctl(id, 0, SETVAL, 32767));
	SHOW(op(id, 0, 1, 0));
	SHOW(op(id, 0, -32767, 0));
	/* The undo adjustment has a range too. */
	SHOW(op(id, 0, 20000, SEM_UNDO));
	SHOW(op(id, 0, -20000, 0));
	SHOW(op(id, 0, 20000, SEM_UNDO));
	show_vals(id, 2);
	SHOW(semctl(id, 0, SETVAL, 0));
	struct semid_ds ds;
	MUST(semctl(id, 0, IPC_STAT, &ds));
	CHECK(ds.sem_otime != 0);

	/* semtimedop. */
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	b[0] = (struct sembuf){ 0, -1, 0 };
	SHOW(semtimedop(id, b, 1, &ts));
	ts.tv_nsec = 1000000000;
	SHOW(semtimedop(id, b, 1, &ts));
	ts = (struct timespec){ -1, 0 };
	SHOW(semtimedop(id, b, 1, &ts));
	SHOW(semtimedop(id, b, 1, (struct timespec *)1));
	SHOW(semtimedop(id, b, 0, (struct timespec *)1));
	ts = (struct timespec){ 0, 0 };
	SHOW(semtimedop(id, b, 1, &ts));
	b[0] = (struct sembuf){ 0, 1, 0 };
	SHOW(semtimedop(id, b, 1, &ts));
	SHOW(semctl(id, 0, IPC_RMID));
}

static void blocking(void)
{
	printf("-- blocking across processes\n");
	int id = track(semget(IPC_PRIVATE, 2, IPC_CREAT | 0600));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct sembuf b[2] = { { 0, -2, 0 }, { 1, 1, 0 } };
		SHOW(semop(id, b, 2));
		_exit(0);
	}
	await_count(id, 0, GETNCNT, 1);
	SHOW(semctl(id, 0, GETNCNT));
	SHOW(semctl(id, 1, GETNCNT));
	SHOW(op(id, 0, 1, 0));
	usleep(20000);
	show_vals(id, 2);
	SHOW_AFTER_CHILD(pid, op(id, 0, 1, 0));
	show_vals(id, 2);
	CHECK(semctl(id, 1, GETPID) == pid);
	SHOW(semctl(id, 0, GETNCNT));

	/* Wait for zero. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		SHOW(op(id, 1, 0, 0));
		_exit(0);
	}
	await_count(id, 1, GETZCNT, 1);
	SHOW(semctl(id, 1, GETZCNT));
	SHOW_AFTER_CHILD(pid, op(id, 1, -1, 0));
	SHOW(semctl(id, 1, GETZCNT));

	/* Two waiters, woken one at a time. */
	int p[2];
	MUST(pipe(p));
	pid_t kids[2];
	for (int i = 0; i < 2; i++) {
		fflush(stdout);
		kids[i] = fork();
		if (kids[i] == 0) {
			close(p[0]);
			int r = op(id, 0, -1, 0);
			MUST(write(p[1], r == 0 ? "y" : "n", 1));
			_exit(0);
		}
	}
	close(p[1]);
	await_count(id, 0, GETNCNT, 2);
	SHOW(semctl(id, 0, GETNCNT));
	SHOW(op(id, 0, 1, 0));
	char c;
	SHOW(read(p[0], &c, 1));
	await_count(id, 0, GETNCNT, 1);
	SHOW(semctl(id, 0, GETNCNT));
	SHOW(op(id, 0, 1, 0));
	SHOW(read(p[0], &c, 1));
	SHOW(read(p[0], &c, 1));
	close(p[0]);
	wait_child(kids[0]);
	wait_child(kids[1]);
	SHOW(semctl(id, 0, IPC_RMID));
}

static void undo(void)
{
	printf("-- SEM_UNDO\n");
	int id = track(semget(IPC_PRIVATE, 2, IPC_CREAT | 0600));
	SHOW(semctl(id, 0, SETVAL, 5));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct sembuf b[2] = { { 0, 3, SEM_UNDO }, { 1, 2, SEM_UNDO } };
		SHOW(semop(id, b, 2));
		SHOW(op(id, 0, -1, SEM_UNDO));
		SHOW(op(id, 1, 4, 0));
		show_vals(id, 2);
		_exit(0);
	}
	wait_child(pid);
	show_vals(id, 2);
	CHECK(semctl(id, 0, GETPID) == pid);

	/* Clamped at zero... */
	SHOW(semctl(id, 0, SETVAL, 1));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		SHOW(op(id, 0, 2, SEM_UNDO));
		SHOW(op(id, 0, -2, 0));
		_exit(0);
	}
	wait_child(pid);
	SHOW(semctl(id, 0, GETVAL));
	/* ...and at SEMVMX. */
	SHOW(semctl(id, 0, SETVAL, 5));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		SHOW(op(id, 0, -5, SEM_UNDO));
		SHOW(op(id, 0, 32767, 0));
		_exit(0);
	}
	wait_child(pid);
	SHOW(semctl(id, 0, GETVAL));

	/* SETVAL clears the adjustment. */
	int go[2];
	MUST(pipe(go));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char c;
		close(go[1]);
		if (op(id, 1, 1, SEM_UNDO) != 0 || read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(go[0]);
	await_count(id, 1, GETPID, pid);
	SHOW(semctl(id, 1, SETVAL, 10));
	MUST(write(go[1], "x", 1));
	close(go[1]);
	wait_child(pid);
	SHOW(semctl(id, 1, GETVAL));
	SHOW(semctl(id, 0, IPC_RMID));
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void removal_and_signals(void)
{
	printf("-- EIDRM and EINTR\n");
	int id = track(semget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		SHOW(op(id, 0, -1, 0));
		_exit(0);
	}
	await_count(id, 0, GETNCNT, 1);
	SHOW_AFTER_CHILD(pid, semctl(id, 0, IPC_RMID));

	id = track(semget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
	int p[2];
	MUST(pipe(p));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct sigaction sa = { 0 };
		sa.sa_handler = on_alarm;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGALRM, &sa, NULL);
		close(p[0]);
		SHOW(op(id, 0, -1, 0));
		MUST(write(p[1], "x", 1));
		struct timespec ts = { 5, 0 };
		struct sembuf b = { 0, -1, 0 };
		SHOW(semtimedop(id, &b, 1, &ts));
		_exit(0);
	}
	close(p[1]);
	await_count(id, 0, GETNCNT, 1);
	kill(pid, SIGALRM);
	char c;
	if (read(p[0], &c, 1) != 1)
		printf("child failed\n");
	close(p[0]);
	await_count(id, 0, GETNCNT, 1);
	kill(pid, SIGALRM);
	wait_child(pid);
	SHOW(semctl(id, 0, GETNCNT));
	SHOW(semctl(id, 0, GETVAL));
	SHOW(semctl(id, 0, IPC_RMID));
}

int main(void)
{
	atexit(cleanup);
	tmpdir_enter();
	key_t key = ftok(".", 'E');
	CHECK(key != -1);
	get_rules(key);
	control();
	operations();
	blocking();
	undo();
	removal_and_signals();
	cleanup();
	tmpdir_leave();
	return 0;
}
