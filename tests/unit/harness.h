/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * harness.h - the common runner for Ferry's CUnit suites.  Each test program
 * declares its suites in one CU_SuiteInfo table and calls cunit_run() from
 * main(); the exit status is 1 on any failure and 0 otherwise, so meson
 * sees any failure as one (never as a skip: see harness.c).  Suites register through the table, never through
 * constructors (docs/contributing.md).
 */
#ifndef FERRY_TESTS_HARNESS_H
#define FERRY_TESTS_HARNESS_H

#include <CUnit/CUnit.h>

int cunit_run(CU_SuiteInfo *suites);

#endif
