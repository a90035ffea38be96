# Compile and run a C program with gcc inside the sandbox (dynamic gcc,
# cc1, as, ld, a fresh binary): the output must match a native run.
set -e
d=$(mktemp -d /tmp/rvt-gcc-XXXXXX)
cat > $d/hello.c <<'END'
#include <stdio.h>
int main(void) { printf("compiled and run: %d\n", 6 * 7); return 0; }
END
gcc -O1 -o $d/hello $d/hello.c
$d/hello
rm -rf $d
