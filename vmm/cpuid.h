/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cpuid.h - what each vCPU sees in CPUID: KVM's supported set, with the
 * topology (APIC IDs, core counts) of this VM and Ferry's hypervisor leaves.
 */
#ifndef FERRY_VMM_CPUID_H
#define FERRY_VMM_CPUID_H

#include <linux/kvm.h>
#include <stdint.h>

#define CPUID_MAX_ENTRIES 256

/*
 * struct kvm_cpuid2 with room for every entry Ferry may add: the same layout
 * spelled out, since C cannot embed a flexible-array struct.
 */
struct cpuid_table {
	uint32_t nent;
	uint32_t padding;
	struct kvm_cpuid_entry2 e[CPUID_MAX_ENTRIES];
};

_Static_assert(__builtin_offsetof(struct cpuid_table, e) ==
		       __builtin_offsetof(struct kvm_cpuid2, entries),
	       "cpuid_table must match struct kvm_cpuid2");

/* Read KVM_GET_SUPPORTED_CPUID from the /dev/kvm fd @kvm_fd. */
int cpuid_get_supported(int kvm_fd, struct cpuid_table *t);

/*
 * Adapt @t for vCPU @id of @nr (one socket, @nr cores, one thread each):
 * APIC IDs in leaves 1, 0xB and 0x1F, core counts in leaf 4, the hypervisor
 * bit, and leaf 0x40000010 with the TSC and APIC bus frequencies in kHz.
 */
void cpuid_fixup(struct cpuid_table *t, unsigned int id, unsigned int nr, uint32_t tsc_khz);

/* The entry for @function/@index, or NULL. */
struct kvm_cpuid_entry2 *cpuid_find(struct cpuid_table *t, uint32_t function, uint32_t index);

#endif
