/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_main.c - the unit_vswitch test program: brings the EAL up once for
 * the whole process (DPDK allows one EAL per process) and runs the
 * forwarding (test_fwd.c), PMD (test_pmd.c) and vnet adapter
 * (test_vnet_port.c) suites.
 */
#include <stdio.h>

#include "harness.h"
#include "vsw_test.h"

static int suite_init(void)
{
	return 0;
}

static int suite_fini(void)
{
	return 0;
}

int main(void)
{
	CU_SuiteInfo suites[] = {
		{ "vswitch_fwd", suite_init, suite_fini, NULL, NULL, vt_fwd_tests },
		{ "vswitch_pmd", suite_init, suite_fini, NULL, NULL, vt_pmd_tests },
		{ "vswitch_vnet", suite_init, suite_fini, NULL, NULL, vt_vnet_tests },
		{ "vxlan_wire", suite_init, suite_fini, NULL, NULL, vt_vxlan_tests },
		{ "vswitch_overlay", suite_init, suite_fini, NULL, NULL, vt_overlay_tests },
		{ "vswitch_wireguard", suite_init, suite_fini, NULL, NULL, vt_wg_tests },
		{ "vswitch_gso", suite_init, suite_fini, NULL, NULL, vt_gso_tests },
		CU_SUITE_INFO_NULL,
	};
	struct vsw_opts o;
	int ret;

	vt_opts(&o, 0);
	/* Keep a reference for the whole run: the EAL cannot come back once cleaned. */
	if (vsw_eal_init(&o.eal)) {
		fprintf(stderr, "unit_vswitch: cannot bring the EAL up\n");
		return 1;
	}
	ret = cunit_run(suites);
	vsw_eal_fini();
	return ret;
}
