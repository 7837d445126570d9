/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cpuid.c - CPUID through ring 0, and the probe that shows why (cpuid.h).
 */
#include "cpuid.h"
#include "svc.h"

#define CPUID_HV_BASE 0x40000000 /* hypervisor leaves: max leaf, vendor */
#define CPUID_HV_TIMING 0x40000010 /* TSC and APIC bus kHz (Ferry, QEMU, VMware) */

struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	/* One int3 round trip from ring 3: callers ask a few times per boot. */
	return cpu_ring() == 0 ? cpuid_insn(leaf, subleaf) : svc_cpuid(leaf, subleaf);
}

static bool cpuid_same(struct cpuid_regs a, struct cpuid_regs b)
{
	return a.eax == b.eax && a.ebx == b.ebx && a.ecx == b.ecx && a.edx == b.edx;
}

bool cpuid_ring3_trapped(void)
{
	/*
	 * The hypervisor leaves tell the two apart: the host's come from the
	 * hypervisor under the host (or are absent), ours from the VMM.  Two
	 * leaves, because both layers may well be KVM with the same signature.
	 */
	return cpuid_same(cpuid_insn(CPUID_HV_BASE, 0), cpuid(CPUID_HV_BASE, 0)) &&
	       cpuid_same(cpuid_insn(CPUID_HV_TIMING, 0), cpuid(CPUID_HV_TIMING, 0));
}
