/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * harness.c - runs a table of CUnit suites in verbose mode and turns the
 * result into an exit status for meson (see harness.h).
 */
#include <stdio.h>

#include <CUnit/Basic.h>

#include "harness.h"

int cunit_run(CU_SuiteInfo *suites)
{
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "CUnit: cannot initialise the registry\n");
		return 1;
	}
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed() +
		 CU_get_number_of_tests_failed();
	if (CU_get_number_of_tests_run() == 0)
		failed = 1; /* a suite that runs nothing must not pass */
	if (failed)
		fprintf(stderr, "CUnit: %u failures\n", failed);
	CU_cleanup_registry();
	/*
	 * 1, never the count: meson reads 77 as a skip and 99 as a harness
	 * error, so 77 failed assertions once read as a skipped suite.
	 */
	return failed ? 1 : 0;
}
