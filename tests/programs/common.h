/* Shared helpers for the differential test programs.
 *
 * Programs print only deterministic text: return values that do not depend on the machine
 * (byte counts, fd numbers, offsets), errno NAMES, and relations ("a < b"), never addresses,
 * pids, inode or device numbers, or times. Each program runs natively and in the sandbox;
 * the harness compares stdout and exit status.
 *
 *   SHOW(call)     prints "call = VALUE" or "call = -1 ENAME"
 *   SHOWOK(call)   prints "call = ok" or "call = -1 ENAME" (for addresses and other values
 *                  that differ between runs); evaluates to the result
 *   CHECK(cond)    prints "cond: yes" or "cond: NO"
 *   MUST(call)     setup step: on -1 prints the error and exits with status 99
 *   tmpdir_enter() creates /tmp/rvt-PROGRAM-XXXXXX and chdirs into it;
 *   tmpdir_leave() goes back to / and removes it recursively.
 */
#ifndef RVT_COMMON_H
#define RVT_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static inline const char *errno_name(int e)
{
	switch (e) {
#define E(x) case x: return #x;
	E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC)
	E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(ENOTBLK) E(EBUSY)
	E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE)
	E(ENOTTY) E(ETXTBSY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK) E(EPIPE)
	E(EDOM) E(ERANGE) E(EDEADLK) E(ENAMETOOLONG) E(ENOLCK) E(ENOSYS) E(ENOTEMPTY)
	E(ELOOP) E(ENOMSG) E(EIDRM) E(ENODATA) E(EOVERFLOW) E(EBADFD) E(EILSEQ)
	E(ENOTSOCK) E(EDESTADDRREQ) E(EMSGSIZE) E(EPROTOTYPE) E(ENOPROTOOPT)
	E(EPROTONOSUPPORT) E(EOPNOTSUPP) E(EAFNOSUPPORT) E(EADDRINUSE) E(EADDRNOTAVAIL)
	E(ENETUNREACH) E(ECONNRESET) E(ENOBUFS) E(EISCONN) E(ENOTCONN) E(ETIMEDOUT)
	E(ECONNREFUSED) E(EALREADY) E(EINPROGRESS) E(ESTALE) E(EDQUOT) E(ECANCELED)
	E(EOWNERDEAD) E(ENOTRECOVERABLE)
#undef E
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "E%d", e);
	return buf;
}

static inline long rvt_show(const char *what, long r, int show_value)
{
	int e = errno;
	if (r == -1)
		printf("%s = -1 %s\n", what, errno_name(e));
	else if (show_value)
		printf("%s = %ld\n", what, r);
	else
		printf("%s = ok\n", what);
	errno = e;
	return r;
}

#define SHOW(call) rvt_show(#call, (long)(call), 1)
#define SHOWOK(call) rvt_show(#call, (long)(call), 0)
#define CHECK(cond) printf("%s: %s\n", #cond, (cond) ? "yes" : "NO")
#define MUST(call)                                                              \
	({                                                                      \
		long rvt_r = (long)(call);                                      \
		if (rvt_r == -1) {                                              \
			printf("setup failed: %s: %s\n", #call, errno_name(errno)); \
			exit(99);                                               \
		}                                                               \
		rvt_r;                                                          \
	})

/* Line-buffered stdout: if a run dies halfway, the lines before the crash still show.
 * Descriptors inherited beyond stdio (a test runner's jobserver pipes, say) are closed so
 * that fd numbers are the same natively and in the sandbox. */
__attribute__((constructor)) static void rvt_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	syscall(SYS_close_range, 3, ~0U, 0);
}

static char rvt_tmpdir[64];

static inline void tmpdir_enter(void)
{
	snprintf(rvt_tmpdir, sizeof rvt_tmpdir, "/tmp/rvt-%s-XXXXXX", program_invocation_short_name);
	if (!mkdtemp(rvt_tmpdir)) {
		printf("setup failed: mkdtemp: %s\n", errno_name(errno));
		exit(99);
	}
	MUST(chdir(rvt_tmpdir));
}

static inline int rvt_rm(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) ? -1 : 0;
}

/* Removes the directory made by tmpdir_enter(), whatever the program left in it. */
static inline void tmpdir_leave(void)
{
	MUST(chdir("/"));
	/* Directories the program made unreadable or unwritable would stop the walk. */
	if (nftw(rvt_tmpdir, rvt_rm, 16, FTW_DEPTH | FTW_PHYS) != 0)
		printf("cleanup failed: %s\n", errno_name(errno));
	else
		printf("cleanup: ok\n");
}

/* Creates or truncates `path` and writes `data` into it. */
static inline void write_file(const char *path, const char *data)
{
	int fd = MUST(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	MUST(write(fd, data, strlen(data)));
	MUST(close(fd));
}

#endif
