/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smp.h - waking the APs listed in the firmware tables (fw.h) with
 * INIT-SIPI-SIPI (apic.h) through the trampoline of ap_trampoline.S.  Each AP
 * reaches ring 3 in smp_ap_main(), prints its one "online" line, runs the
 * optional work function and parks.  Ring 3 on every CPU.
 */
#ifndef FERRY_GUEST_SMP_H
#define FERRY_GUEST_SMP_H

#include "guest.h"

/* Work an AP runs after reporting online; @cpu is its index in fw_cpus. */
typedef void (*smp_work_fn)(unsigned int cpu);

struct smp_result {
	unsigned int cpus; /* CPUs in the firmware table */
	unsigned int online; /* the BSP plus every AP that reported */
	uint64_t elapsed_us; /* first INIT to last report (or to the timeout) */
};

/*
 * Wakes every AP in fw_cpus and waits up to @timeout_ms for all of them to
 * report.  @work (may be NULL) is what they run next.  Returns 0 when all
 * reported, -ETIMEDOUT when some did not, another -errno when the wake-up
 * could not even start (no APIC, no low page); @res is filled in any case.
 */
int smp_boot_aps(uint64_t timeout_ms, smp_work_fn work, struct smp_result *res);

#endif
