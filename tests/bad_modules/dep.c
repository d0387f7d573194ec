/* dep.c - a library solver_missingdep.so needs, kept off the loader's path. */
int vlt_test_dep(void);

int vlt_test_dep(void)
{
	return 42;
}
