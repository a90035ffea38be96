/* rename: rename/renameat/renameat2 (RENAME_NOREPLACE, RENAME_EXCHANGE).
 * Replacing files and empty directories, the type-mismatch errors (EISDIR, ENOTDIR,
 * ENOTEMPTY), moving a directory into itself (EINVAL), `.`/`..` as names (EBUSY), renaming
 * onto a hard link of the same file (a no-op), and which content ends up under which name. */
#include "common.h"
#include <linux/fs.h>

static void show_file(const char *path)
{
	char buf[64];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("  %s: %s\n", path, errno_name(errno));
		return;
	}
	long n = read(fd, buf, sizeof buf);
	close(fd);
	printf("  %s: [%.*s]\n", path, (int)(n > 0 ? n : 0), buf);
}

static void plain(void)
{
	write_file("a", "A");
	write_file("b", "B");
	MUST(mkdir("d", 0755));
	MUST(mkdir("e", 0755));
	MUST(mkdir("full", 0755));
	write_file("full/x", "X");

	SHOW(rename("a", "a2"));
	show_file("a");
	show_file("a2");
	SHOW(rename("a2", "b"));
	show_file("a2");
	show_file("b");
	SHOW(rename("b", "b"));
	show_file("b");
	SHOW(rename("missing", "x"));
	SHOW(rename("b", "missing-dir/x"));
	SHOW(rename("b", "d"));
	SHOW(rename("d", "b"));
	SHOW(rename("d", "full"));
	SHOW(rename("d", "e"));
	SHOW(access("d", F_OK));
	SHOW(access("e", F_OK));
	SHOW(rename("e", "e/inside"));
	SHOW(rename("full", "full/x/y"));
	SHOW(rename(".", "dot"));
	SHOW(rename("full/.", "dot"));
	SHOW(rename("full/..", "dot"));
	SHOW(rename("b", "full/."));
	SHOW(rename("b/", "c"));
	SHOW(rename("e/", "e2/"));
	SHOW(rename("e2", "e"));
	SHOW(rename("", "x"));
	SHOW(syscall(SYS_rename, (void *)1, "x"));
	SHOW(syscall(SYS_rename, "b", (void *)1));

	/* Two names of one inode: rename does nothing and both stay. */
	MUST(link("b", "b-hard"));
	SHOW(rename("b", "b-hard"));
	show_file("b");
	show_file("b-hard");
	MUST(unlink("b-hard"));

	/* A symlink is renamed, not its target. */
	MUST(symlink("b", "sl"));
	SHOW(rename("sl", "sl2"));
	char buf[8];
	long n = SHOW(readlink("sl2", buf, sizeof buf));
	printf("  sl2 -> %.*s\n", (int)n, buf);
	MUST(unlink("sl2"));

	/* Moving a file into a directory and back through dirfds. */
	int from = MUST(open(".", O_RDONLY | O_DIRECTORY));
	int to = MUST(open("full", O_RDONLY | O_DIRECTORY));
	SHOW(renameat(from, "b", to, "moved"));
	show_file("full/moved");
	SHOW(renameat(to, "moved", from, "b"));
	SHOW(renameat(99, "b", to, "x"));
	SHOW(renameat(from, "b", 99, "x"));
	MUST(close(from));
	MUST(close(to));
}

static void flags(void)
{
	write_file("p", "P");
	write_file("q", "Q");
	MUST(mkdir("dir", 0755));
	write_file("dir/inner", "I");

	SHOW(renameat2(AT_FDCWD, "p", AT_FDCWD, "q", RENAME_NOREPLACE));
	show_file("p");
	show_file("q");
	SHOW(renameat2(AT_FDCWD, "p", AT_FDCWD, "p2", RENAME_NOREPLACE));
	show_file("p2");
	SHOW(renameat2(AT_FDCWD, "p2", AT_FDCWD, "q", RENAME_EXCHANGE));
	show_file("p2");
	show_file("q");
	SHOW(renameat2(AT_FDCWD, "q", AT_FDCWD, "absent", RENAME_EXCHANGE));
	SHOW(renameat2(AT_FDCWD, "absent", AT_FDCWD, "q", RENAME_EXCHANGE));
	SHOW(renameat2(AT_FDCWD, "q", AT_FDCWD, "p2", RENAME_EXCHANGE | RENAME_NOREPLACE));
	SHOW(renameat2(AT_FDCWD, "q", AT_FDCWD, "p2", 0x100));
	SHOW(renameat2(AT_FDCWD, "q", AT_FDCWD, "q", RENAME_EXCHANGE));
	/* A file and a directory swap places. */
	SHOW(renameat2(AT_FDCWD, "q", AT_FDCWD, "dir", RENAME_EXCHANGE));
	show_file("dir");
	show_file("q/inner");
	SHOW(renameat2(AT_FDCWD, "q", AT_FDCWD, "dir", RENAME_EXCHANGE));
	show_file("dir/inner");
	SHOW(renameat2(AT_FDCWD, "dir", AT_FDCWD, "dir/inner", RENAME_EXCHANGE));
	SHOW(renameat2(AT_FDCWD, "p2", AT_FDCWD, "dir", RENAME_NOREPLACE));
	SHOW(renameat2(AT_FDCWD, "p2", AT_FDCWD, "p3", 0));
	show_file("p3");
}

int main(void)
{
	tmpdir_enter();
	plain();
	flags();
	tmpdir_leave();
	return 0;
}
