/*
 * cutest.h: the one main() of the CUnit test programs.
 *
 *	static const struct cutest tests[] = { { "name", fn }, ... };
 *	int main(void) { return cutest_run("suite", tests, NELEM(tests)); }
 *
 * or, with several suites or a suite set-up and clean-up:
 *
 *	static const struct cutest_suite suites[] = {
 *		{ "name", init, clean, tests, NELEM(tests) }, ...
 *	};
 *	return cutest_run_suites(suites, NELEM(suites));
 *
 * The exit status follows automake's test driver: 0 all passed, 1 a test
 * or a suite's set-up failed, 99 the registry could not be set up.  The
 * counters are read before CU_cleanup_registry(), which resets them.
 */
#ifndef XDS_CUTEST_H
#define XDS_CUTEST_H

#include <stddef.h>
#include <CUnit/Basic.h>

#ifndef NELEM
#define NELEM(a)	(sizeof (a) / sizeof (a)[0])
#endif

struct cutest {
	const char	*name;
	void		(*fn)(void);
};

struct cutest_suite {
	const char		*name;
	int			(*init)(void);	/* or NULL */
	int			(*clean)(void);	/* or NULL */
	const struct cutest	*tests;
	size_t			 ntests;
};

static inline int
cutest_run_suites(const struct cutest_suite *suites, size_t nsuites)
{
	CU_pSuite s;
	unsigned failed;
	size_t i, j;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	for (i = 0; i < nsuites; i++) {
		if ((s = CU_add_suite(suites[i].name, suites[i].init,
		    suites[i].clean)) == NULL)
			goto setup;
		for (j = 0; j < suites[i].ntests; j++)
			if (CU_add_test(s, suites[i].tests[j].name,
			    suites[i].tests[j].fn) == NULL)
				goto setup;
	}
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

static inline int
cutest_run(const char *suite, const struct cutest *t, size_t n)
{
	const struct cutest_suite s = { suite, NULL, NULL, t, n };

	return cutest_run_suites(&s, 1);
}

#endif
