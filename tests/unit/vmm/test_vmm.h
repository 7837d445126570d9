/* SPDX-License-Identifier: BSD-3-Clause */
/* test_vmm.h - the suites of the vmm unit-test program (test_main.c runs them). */
#ifndef FERRY_TEST_VMM_H
#define FERRY_TEST_VMM_H

#include <CUnit/CUnit.h>

extern CU_SuiteInfo vmm_boot_suite;
extern CU_SuiteInfo vmm_devices_suite;
extern CU_SuiteInfo vmm_acpi_suite;

#endif
