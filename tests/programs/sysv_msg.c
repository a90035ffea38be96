/* sysv_msg: System V message queues. msgget's rules, msgsnd's checks and its wait while the
 * queue is full (by bytes and by count), msgrcv's type selection (0, >0, <0, MSG_EXCEPT),
 * MSG_NOERROR, E2BIG, ENOMSG, MSG_COPY, a receiver waiting across processes, EIDRM and EINTR,
 * and msgctl's commands with the permission errors of an unprivileged user.
 *
 * Runs natively in the host's IPC namespace next to other cases: only IPC_PRIVATE and a key
 * from ftok() of the case's own tmpdir; no ids or host-wide counts are printed; every queue
 * made is removed at exit. */
#include "common.h"
#include <grp.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct msg {
	long mtype;
	char mtext[9000];
};

static int made[32];
static int nmade;

static void cleanup(void)
{
	for (int i = 0; i < nmade; i++)
		msgctl(made[i], IPC_RMID, NULL);
}

static int track(int id)
{
	if (id >= 0 && nmade < 32)
		made[nmade++] = id;
	return id;
}

static struct msg m;

static int send(int id, long type, const char *text, int flags)
{
	m.mtype = type;
	strcpy(m.mtext, text);
	return msgsnd(id, &m, strlen(text), flags);
}

/* Receive and print what came. */
static void recv(int id, size_t size, long type, int flags)
{
	memset(&m, 0, sizeof m);
	long r = msgrcv(id, &m, size, type, flags);
	if (r < 0)
		printf("msgrcv(size %zu, type %ld, flags %o) = -1 %s\n", size, type, flags, errno_name(errno));
	else
		printf("msgrcv(size %zu, type %ld, flags %o) = %ld: type %ld \"%.*s\"\n", size, type, flags, r, m.mtype,
		       (int)(r < 20 ? r : 20), m.mtext);
}

static void show_queue(int id)
{
	struct msqid_ds ds;
	if (msgctl(id, IPC_STAT, &ds) != 0) {
		printf("IPC_STAT: %s\n", errno_name(errno));
		return;
	}
	printf("queue: qnum %lu cbytes %lu qbytes %lu\n", (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes,
	       (unsigned long)ds.msg_qbytes);
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

/* Run `call`, which lets a child finish, then wait for the child, then show the result. */
#define SHOW_AFTER_CHILD(pid, call)     \
	do {                            \
		long r_ = (long)(call); \
		int e_ = errno;         \
		wait_child(pid);        \
		errno = e_;             \
		rvt_show(#call, r_, 1); \
	} while (0)

static void get_rules(key_t key)
{
	printf("-- msgget\n");
	SHOW(msgget(key, 0600));
	int id = track(msgget(key, IPC_CREAT | 0640));
	CHECK(id >= 0);
	CHECK(msgget(key, 0) == id);
	CHECK(msgget(key, IPC_CREAT | 0600) == id);
	SHOW(msgget(key, IPC_CREAT | IPC_EXCL | 0600));
	struct msqid_ds ds;
	SHOW(msgctl(id, IPC_STAT, &ds));
	printf("key matches %s, mode %o, qbytes %lu, qnum %lu, lspid %d, lrpid %d, stime %ld, ctime set %s\n",
	       ds.msg_perm.__key == key ? "yes" : "NO", ds.msg_perm.mode, (unsigned long)ds.msg_qbytes,
	       (unsigned long)ds.msg_qnum, ds.msg_lspid, ds.msg_lrpid, (long)ds.msg_stime, ds.msg_ctime ? "yes" : "NO");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		become_nobody();
		SHOW(msgget(key, 0600));
		SHOW(msgget(key, 0) == id ? 0 : -1);
		SHOW(send(id, 1, "x", IPC_NOWAIT));
		SHOW(msgrcv(id, &m, 10, 0, IPC_NOWAIT));
		SHOW(msgctl(id, IPC_STAT, &ds));
		SHOW(msgctl(id, MSG_STAT_ANY, &ds) == id ? 0 : -1);
		SHOW(msgctl(id, IPC_RMID, NULL));
		SHOW(msgctl(id, IPC_SET, &ds));
		/* An owner without CAP_SYS_RESOURCE cannot raise msg_qbytes above MSGMNB. */
		int own = msgget(IPC_PRIVATE, 0600);
		CHECK(own >= 0);
		MUST(msgctl(own, IPC_STAT, &ds));
		ds.msg_qbytes = 20000;
		SHOW(msgctl(own, IPC_SET, &ds));
		ds.msg_qbytes = 100;
		SHOW(msgctl(own, IPC_SET, &ds));
		show_queue(own);
		SHOW(msgctl(own, IPC_RMID, NULL));
		_exit(0);
	}
	wait_child(pid);
	SHOW(msgctl(id, IPC_RMID, NULL));
	SHOW(msgget(key, 0));
}

static void send_receive(void)
{
	printf("-- msgsnd and msgrcv\n");
	int id = track(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	SHOW(send(id, 0, "zero", 0));
	SHOW(send(id, -1, "negative", 0));
	SHOW(msgsnd(id, &m, 8193, 0));
	SHOW(msgsnd(id, &m, (size_t)-1, 0));
	SHOW(msgsnd(id, (void *)1, 1, 0));
	SHOW(msgsnd(-1, &m, 1, 0));
	m.mtype = 4;
	memset(m.mtext, 'q', 8192);
	SHOW(msgsnd(id, &m, 8192, IPC_NOWAIT));
	recv(id, 8192, 0, IPC_NOWAIT);
	SHOW(send(id, 5, "five", 0));
	SHOW(send(id, 3, "three-a", 0));
	SHOW(send(id, 7, "seven", 0));
	SHOW(send(id, 3, "three-b", 0));
	SHOW(send(id, 1, "one", 0));
	SHOW(send(id, 2, "", 0));
	show_queue(id);
	struct msqid_ds ds;
	MUST(msgctl(id, IPC_STAT, &ds));
	CHECK(ds.msg_lspid == getpid() && ds.msg_lrpid == getpid() && ds.msg_stime != 0);

	/* MSG_COPY reads by position and leaves the message. */
	recv(id, 100, 2, MSG_COPY | IPC_NOWAIT);
	recv(id, 100, 6, MSG_COPY | IPC_NOWAIT);
	recv(id, 100, -1, MSG_COPY | IPC_NOWAIT);
	recv(id, 100, 2, MSG_COPY);
	recv(id, 100, 2, MSG_COPY | MSG_EXCEPT | IPC_NOWAIT);
	recv(id, 2, 0, MSG_COPY | IPC_NOWAIT);
	recv(id, 2, 0, MSG_COPY | IPC_NOWAIT | MSG_NOERROR);
	show_queue(id);

	recv(id, 100, 3, 0);
	recv(id, 100, -4, 0);
	recv(id, 100, 5, MSG_EXCEPT);
	recv(id, 3, 0, IPC_NOWAIT);
	recv(id, 3, 0, MSG_NOERROR);
	recv(id, 100, 99, IPC_NOWAIT);
	recv(id, 100, -1, IPC_NOWAIT);
	recv(id, 100, -2, IPC_NOWAIT);
	show_queue(id);
	SHOW(msgrcv(-1, &m, 10, 0, 0));
	SHOW(msgrcv(id, &m, (size_t)-1, 0, 0));
	SHOW(msgrcv(id, (void *)1, 100, 0, IPC_NOWAIT));
	show_queue(id);
	recv(id, 100, 0, IPC_NOWAIT);
	SHOW(msgctl(id, IPC_RMID, NULL));
}

static void full_queue(void)
{
	printf("-- full queues\n");
	int id = track(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	struct msqid_ds ds;
	MUST(msgctl(id, IPC_STAT, &ds));
	ds.msg_qbytes = 100;
	SHOW(msgctl(id, IPC_SET, &ds));
	char sixty[61];
	memset(sixty, 'a', 60);
	sixty[60] = 0;
	SHOW(send(id, 1, sixty, 0));
	SHOW(send(id, 2, sixty, IPC_NOWAIT));
	SHOW(send(id, 2, "fits", IPC_NOWAIT));
	show_queue(id);
	int p[2];
	MUST(pipe(p));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		MUST(write(p[1], "x", 1));
		_exit(send(id, 3, sixty, 0) == 0 ? 0 : 1);
	}
	close(p[1]);
	char c;
	if (read(p[0], &c, 1) != 1)
		printf("child failed\n");
	close(p[0]);
	usleep(50000);
	show_queue(id);
	recv(id, 100, 1, 0);
	wait_child(pid);
	show_queue(id);
	recv(id, 100, 0, 0);
	recv(id, 100, 0, 0);

	/* The count counts too: no more messages than msg_qbytes. */
	ds.msg_qbytes = 2;
	SHOW(msgctl(id, IPC_SET, &ds));
	SHOW(send(id, 1, "", IPC_NOWAIT));
	SHOW(send(id, 1, "", IPC_NOWAIT));
	SHOW(send(id, 1, "", IPC_NOWAIT));
	show_queue(id);
	/* Raising the limit lets a waiting sender go on. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		SHOW(send(id, 9, "", 0));
		_exit(0);
	}
	usleep(50000);
	ds.msg_qbytes = 3;
	SHOW_AFTER_CHILD(pid, msgctl(id, IPC_SET, &ds));
	show_queue(id);
	SHOW(msgctl(id, IPC_RMID, NULL));
}

static void on_signal(int sig)
{
	(void)sig;
}

static void waiting(void)
{
	printf("-- waiting receivers\n");
	int id = track(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		recv(id, 100, 42, 0);
		_exit(0);
	}
	usleep(50000);
	SHOW(send(id, 41, "not this", 0));
	usleep(20000);
	SHOW_AFTER_CHILD(pid, send(id, 42, "this one", 0));
	show_queue(id);

	int p[2];
	MUST(pipe(p));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		MUST(write(p[1], "x", 1));
		recv(id, 100, 7, 0);
		_exit(0);
	}
	close(p[1]);
	char c;
	if (read(p[0], &c, 1) != 1)
		printf("child failed\n");
	close(p[0]);
	usleep(100000);
	SHOW_AFTER_CHILD(pid, msgctl(id, IPC_RMID, NULL));

	/* A signal with a handler ends the wait, SA_RESTART or not. */
	id = track(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct sigaction sa = { 0 };
		sa.sa_handler = on_signal;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGUSR1, &sa, NULL);
		recv(id, 100, 0, 0);
		_exit(0);
	}
	/* Until the signal catches it waiting. */
	int st, done = 0;
	for (int i = 0; i < 100 && !done; i++) {
		usleep(50000);
		kill(pid, SIGUSR1);
		usleep(50000);
		done = waitpid(pid, &st, WNOHANG) == pid;
	}
	printf("child %s\n", done && WIFEXITED(st) ? "exited" : "did not exit");
	if (!done) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	SHOW(msgctl(id, IPC_RMID, NULL));
}

static void control(void)
{
	printf("-- msgctl\n");
	struct msginfo mi;
	SHOWOK(msgctl(0, IPC_INFO, (struct msqid_ds *)&mi));
	printf("msgpool %d msgmap %d msgmax %d msgmnb %d msgmni %d msgssz %d msgtql %d msgseg %u\n", mi.msgpool,
	       mi.msgmap, mi.msgmax, mi.msgmnb, mi.msgmni, mi.msgssz, mi.msgtql, mi.msgseg);
	SHOWOK(msgctl(0, MSG_INFO, (struct msqid_ds *)&mi));
	SHOW(msgctl(0, IPC_INFO, (struct msqid_ds *)1));
	int id = track(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	struct msqid_ds ds;
	SHOW(msgctl(id, 99, &ds));
	SHOW(msgctl(-1, IPC_STAT, &ds));
	SHOW(msgctl(id, -1, &ds));
	SHOW(msgctl(id, IPC_STAT, (void *)1));
	SHOW(msgctl(id, IPC_SET, (void *)1));
	SHOW(msgctl(id & 0x7fff, MSG_STAT, &ds) == id ? 0 : -1);
	MUST(msgctl(id, IPC_STAT, &ds));
	ds.msg_perm.mode = 0123;
	ds.msg_perm.uid = 77;
	/* (Not above MSGMNB: the host's root may lack CAP_SYS_RESOURCE.) */
	ds.msg_qbytes = 5000;
	SHOW(msgctl(id, IPC_SET, &ds));
	MUST(msgctl(id, IPC_STAT, &ds));
	printf("after IPC_SET: mode %o uid %u qbytes %lu\n", ds.msg_perm.mode, ds.msg_perm.uid,
	       (unsigned long)ds.msg_qbytes);
	ds.msg_perm.uid = (uid_t)-1;
	SHOW(msgctl(id, IPC_SET, &ds));
	SHOW(msgctl(id, IPC_RMID, NULL));
	SHOW(msgctl(id, IPC_RMID, NULL));
	SHOW(msgctl(id, IPC_STAT, &ds));
}

int main(void)
{
	atexit(cleanup);
	tmpdir_enter();
	key_t key = ftok(".", 'M');
	CHECK(key != -1);
	get_rules(key);
	send_receive();
	full_queue();
	waiting();
	control();
	cleanup();
	tmpdir_leave();
	return 0;
}
