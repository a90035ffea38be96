/* escape: writes a file at the host path given as argv[1] (under /tmp) and reads it back.
 * Natively the file lands on the host; in the sandbox it must stay in the sandbox's
 * in-memory overlay, and the harness checks the host has no such file afterwards. */
// rvt: hostpath
#include "common.h"

int main(int argc, char **argv)
{
	char buf[64];
	if (argc != 2) {
		printf("usage: escape PATH\n");
		return 2;
	}
	int fd = SHOW(open(argv[1], O_RDWR | O_CREAT | O_EXCL, 0644));
	if (fd < 0)
		return 1;
	SHOW(write(fd, "written inside\n", 15));
	SHOW(fsync(fd));
	long n = SHOW(pread(fd, buf, sizeof buf, 0));
	printf("read back: %.*s", (int)(n > 0 ? n : 0), buf);
	SHOW(close(fd));
	struct stat st;
	SHOW(stat(argv[1], &st));
	printf("size %ld\n", (long)st.st_size);
	return 0;
}
