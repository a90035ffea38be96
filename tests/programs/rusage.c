/* Resource usage: getrusage (self, thread, children, bad arguments), times, and the
 * rusage wait4 and waitid report. CPU times depend on the machine, so only relations are
 * printed: times grow while burning CPU, a child's time shows up in its parent's
 * children time once it is waited for (with the grandchildren it waited for), and not
 * for a child reaped automatically or only peeked at with WNOWAIT. */
#include "common.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>

static volatile unsigned long sink;

/* About a tenth of a second of CPU on these machines, so at least a few clock ticks. */
static void burn(void)
{
	for (unsigned long i = 0; i < 60000000UL; i++)
		sink += i * i;
}

static long usec(struct timeval tv)
{
	return tv.tv_sec * 1000000L + tv.tv_usec;
}

static long cpu(const struct rusage *r)
{
	return usec(r->ru_utime) + usec(r->ru_stime);
}

static long children_cpu(void)
{
	struct rusage r;
	MUST(getrusage(RUSAGE_CHILDREN, &r));
	return cpu(&r);
}

static pid_t burner(void)
{
	pid_t pid = MUST(fork());
	if (pid == 0) {
		burn();
		_exit(0);
	}
	return pid;
}

int main(void)
{
	struct rusage r0, r1, rt;
	SHOW(getrusage(RUSAGE_SELF, &r0));
	CHECK(r0.ru_utime.tv_sec >= 0 && r0.ru_utime.tv_usec >= 0 && r0.ru_utime.tv_usec < 1000000);
	CHECK(r0.ru_stime.tv_sec >= 0 && r0.ru_stime.tv_usec >= 0 && r0.ru_stime.tv_usec < 1000000);
	CHECK(r0.ru_maxrss > 0);
	burn();
	SHOW(getrusage(RUSAGE_SELF, &r1));
	CHECK(usec(r1.ru_utime) > usec(r0.ru_utime));
	CHECK(cpu(&r1) > cpu(&r0));
	SHOW(getrusage(RUSAGE_THREAD, &rt));
	CHECK(usec(rt.ru_utime) > 0);

	/* Nothing waited for yet. */
	struct rusage c0;
	SHOW(getrusage(RUSAGE_CHILDREN, &c0));
	CHECK(cpu(&c0) == 0);

	SHOW(getrusage(2, &c0));
	SHOW(getrusage(-2, &c0));
	SHOW(getrusage(-3, &c0));
	SHOW(syscall(SYS_getrusage, RUSAGE_SELF, (void *)8));
	SHOW(syscall(SYS_getrusage, 99, (void *)8));

	struct tms t0, t1;
	clock_t a = times(&t0);
	CHECK(a != (clock_t)-1);
	CHECK(t0.tms_utime + t0.tms_stime > 0);
	CHECK(t0.tms_cutime == 0 && t0.tms_cstime == 0);
	SHOW(times(NULL) != (clock_t)-1);

	/* wait4 reports the child's time and adds it to ours. */
	pid_t pid = burner();
	struct rusage rw;
	int st;
	CHECK(wait4(pid, &st, 0, &rw) == pid);
	CHECK(cpu(&rw) > 0);
	long after = children_cpu();
	CHECK(after > 0);
	CHECK(after >= cpu(&rw));
	clock_t b = times(&t1);
	CHECK(b >= a);
	CHECK(t1.tms_cutime + t1.tms_cstime > 0);
	CHECK(t1.tms_utime >= t0.tms_utime);

	/* waitid with WNOWAIT leaves the child (and its time) where it is; the
	 * raw syscall reports rusage too. */
	pid = burner();
	siginfo_t si;
	struct rusage rp;
	SHOW(syscall(SYS_waitid, P_PID, pid, &si, WEXITED | WNOWAIT, &rp));
	CHECK(cpu(&rp) > 0);
	CHECK(children_cpu() == after);
	SHOW(syscall(SYS_waitid, P_PID, pid, &si, WEXITED, &rp));
	CHECK(cpu(&rp) > 0);
	CHECK(children_cpu() > after);
	after = children_cpu();

	/* A child's waited-for children count in its own wait4 rusage and in ours. */
	int p[2];
	MUST(pipe(p));
	pid = MUST(fork());
	if (pid == 0) {
		pid_t g = burner();
		MUST(waitpid(g, NULL, 0));
		long mine = children_cpu();
		MUST(write(p[1], &mine, sizeof mine));
		_exit(0);
	}
	long grandchild = 0;
	MUST(read(p[0], &grandchild, sizeof grandchild));
	CHECK(wait4(pid, &st, 0, &rw) == pid);
	CHECK(grandchild > 0);
	CHECK(cpu(&rw) >= grandchild);
	CHECK(children_cpu() - after >= grandchild);
	after = children_cpu();

	/* Children reaped automatically (SIGCHLD ignored) are never waited for. Their
	 * end is watched with kill(pid, 0), not wait, which would collect them. */
	signal(SIGCHLD, SIG_IGN);
	pid = burner();
	while (kill(pid, 0) == 0)
		usleep(10000);
	CHECK(errno == ESRCH);
	CHECK(children_cpu() == after);
	return 0;
}
