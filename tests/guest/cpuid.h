/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cpuid.h - CPUID as the hypervisor answers it, from either ring.
 *
 * A hypervisor sees a guest's cpuid only if the instruction exits.  Under
 * hardware VT-x/AMD-V it always does; under the build machine's nested KVM
 * (PVM) ring 3 runs natively, and ring-3 cpuid exits only where the host CPU
 * has CPUID faulting (Intel since Ivy Bridge, AMD only from Zen 4).  Where it
 * has not, ring 3 reads the *host's* values: its own APIC ID, its hypervisor
 * leaves.  That is what made the guest on an AMD EPYC host send INIT to its
 * own BSP (it took itself for another CPU), aim MSI-X at an APIC ID no vCPU
 * has, and miss Ferry's TSC leaf (docs/hosts.md).  So ring 3 asks ring 0
 * (SVC_CPUID), where PVM interprets the instruction and KVM answers it.
 */
#ifndef FERRY_GUEST_CPUID_H
#define FERRY_GUEST_CPUID_H

#include <stdbool.h>
#include <stdint.h>

#include "io.h"

/* CPUID @leaf/@subleaf as the hypervisor defines it (never the host's). */
struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf);

/*
 * The host probe: true when ring-3 cpuid reaches the hypervisor (it gives
 * the same hypervisor leaves as ring 0), false when it runs on the host CPU.
 * Reported by mode=hello as cpuid3=trapped|native.
 */
bool cpuid_ring3_trapped(void);

#endif
