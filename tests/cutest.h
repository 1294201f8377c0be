/*
 * cutest.h: the one main() of the CUnit test programs.
 *
 *	static const struct cutest tests[] = { { "name", fn }, ... };
 *	int main(void) { return cutest_run("suite", tests, NELEM(tests)); }
 *
 * The exit status follows automake's test driver: 0 all passed, 1 a test
 * failed, 99 the registry could not be set up.  The counters are read
 * before CU_cleanup_registry(), which resets them.
 */
#ifndef XDS_CUTEST_H
#define XDS_CUTEST_H

#include <stddef.h>
#include <CUnit/Basic.h>

struct cutest {
	const char	*name;
	void		(*fn)(void);
};

static inline int
cutest_run(const char *suite, const struct cutest *t, size_t n)
{
	CU_pSuite s;
	unsigned failed;
	size_t i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	if ((s = CU_add_suite(suite, NULL, NULL)) == NULL)
		goto setup;
	for (i = 0; i < n; i++)
		if (CU_add_test(s, t[i].name, t[i].fn) == NULL)
			goto setup;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() +
	    CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
setup:
	CU_cleanup_registry();
	return 99;
}

#endif
