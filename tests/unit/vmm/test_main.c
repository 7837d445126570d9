/* SPDX-License-Identifier: BSD-3-Clause */
/* test_main.c - runs vmm/'s unit suites (boot path, devices, dispatch). */
#include "harness.h"
#include "test_vmm.h"

int main(void)
{
	CU_SuiteInfo suites[] = { vmm_boot_suite, vmm_devices_suite, vmm_acpi_suite,
				  CU_SUITE_INFO_NULL };

	return cunit_run(suites);
}
