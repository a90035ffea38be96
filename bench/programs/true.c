/* A static `true`: exits 0 at once. The runner times the whole process
 * (fork/exec + wait) natively and under each sandbox; this program prints
 * nothing. */
int main(void)
{
	return 0;
}
