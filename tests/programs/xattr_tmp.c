/* user.* extended attributes in /tmp, where every filesystem the sandbox may put it on
 * behaves alike (the overlay's upper tmpfs, or the host's filesystem through the Gofer
 * with --overlay2=none; natively the host's): set, get, list, flags, removal, fd forms,
 * and what follows the file across rename and link. */
#include "common.h"
#include <sys/xattr.h>

static char v[256];

static void show_value(const char *what, long n)
{
	if (n < 0)
		printf("%s = -1 %s\n", what, errno_name(errno));
	else
		printf("%s = %ld \"%.*s\"\n", what, n, (int)n, v);
}

/* The user.* names of `path`, in order of name (other namespaces differ by filesystem). */
static void show_user_names(const char *what, const char *path)
{
	char list[1024];
	long n = listxattr(path, list, sizeof list);
	if (n < 0) {
		printf("%s = -1 %s\n", what, errno_name(errno));
		return;
	}
	char names[16][64];
	int count = 0;
	for (long i = 0; i < n && count < 16; i += strlen(list + i) + 1)
		if (strncmp(list + i, "user.", 5) == 0)
			snprintf(names[count++], 64, "%s", list + i);
	for (int i = 0; i < count; i++)
		for (int j = i + 1; j < count; j++)
			if (strcmp(names[i], names[j]) > 0) {
				char t[64];
				memcpy(t, names[i], 64);
				memcpy(names[i], names[j], 64);
				memcpy(names[j], t, 64);
			}
	printf("%s:", what);
	for (int i = 0; i < count; i++)
		printf(" %s", names[i]);
	printf("\n");
}

int main(void)
{
	tmpdir_enter();
	write_file("f", "data");
	MUST(mkdir("d", 0755));
	MUST(symlink("f", "l"));
	SHOW(setxattr("f", "user.a", "alpha", 5, 0));
	SHOW(setxattr("f", "user.b", "beta", 4, XATTR_CREATE));
	SHOW(setxattr("f", "user.b", "b", 1, XATTR_CREATE));
	SHOW(setxattr("f", "user.c", "c", 1, XATTR_REPLACE));
	SHOW(setxattr("f", "user.b", "bee", 3, XATTR_REPLACE));
	show_value("get user.a", getxattr("f", "user.a", v, sizeof v));
	show_value("get user.b", getxattr("f", "user.b", v, sizeof v));
	SHOW(getxattr("f", "user.b", NULL, 0));
	SHOW(getxattr("f", "user.b", v, 2));
	SHOW(getxattr("f", "user.none", v, sizeof v));
	SHOW(setxattr("f", "user.empty", "", 0, 0));
	show_value("get user.empty", getxattr("f", "user.empty", v, sizeof v));
	show_user_names("names", "f");
	SHOW(removexattr("f", "user.empty"));
	SHOW(removexattr("f", "user.empty"));
	show_user_names("names", "f");
	SHOW(setxattr("d", "user.dir", "dd", 2, 0));
	show_value("get d user.dir", getxattr("d", "user.dir", v, sizeof v));
	show_user_names("d names", "d");
	SHOW(lsetxattr("l", "user.a", "x", 1, 0));
	SHOW(lgetxattr("l", "user.a", v, sizeof v));
	show_value("get through l", getxattr("l", "user.a", v, sizeof v));

	int fd = MUST(open("f", O_RDONLY));
	SHOW(fsetxattr(fd, "user.fd", "viafd", 5, 0));
	show_value("fget user.fd", fgetxattr(fd, "user.fd", v, sizeof v));
	SHOW(fremovexattr(fd, "user.fd"));
	SHOW(fgetxattr(fd, "user.fd", v, sizeof v));
	MUST(close(fd));

	/* Attributes belong to the inode. */
	MUST(rename("f", "g"));
	show_value("after rename", getxattr("g", "user.a", v, sizeof v));
	MUST(link("g", "h"));
	SHOW(setxattr("h", "user.h", "via h", 5, 0));
	show_value("through the other name", getxattr("g", "user.h", v, sizeof v));
	show_user_names("g names", "g");

	MUST(unlink("g"));
	MUST(unlink("h"));
	MUST(unlink("l"));
	MUST(rmdir("d"));
	tmpdir_leave();
	return 0;
}
