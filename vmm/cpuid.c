/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cpuid.c - builds each vCPU's CPUID table (see cpuid.h).  KVM reports what
 * the host and KVM can virtualise; Ferry only adds the facts KVM cannot know:
 * how many vCPUs this VM has, which one is asking, and the TSC frequency
 * (leaf 0x40000010, the "VMware timing leaf" that guests without a
 * calibration source read).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/cpuid.h"

#define LEAF_FEATURES 1
#define LEAF_CACHE 4
#define LEAF_TOPOLOGY 0xb
#define LEAF_TOPOLOGY2 0x1f
#define LEAF_HV_BASE 0x40000000u
#define LEAF_HV_TIMING 0x40000010u

#define ECX_HYPERVISOR (1u << 31)
#define EDX_HTT (1u << 28)
#define KVM_APIC_BUS_KHZ 1000000u /* KVM's local APIC timer runs at 1 GHz */

int cpuid_get_supported(int kvm_fd, struct cpuid_table *t)
{
	memset(t, 0, sizeof(*t));
	t->nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, (struct kvm_cpuid2 *)t) < 0)
		return -errno;
	return 0;
}

struct kvm_cpuid_entry2 *cpuid_find(struct cpuid_table *t, uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < t->nent; i++) {
		struct kvm_cpuid_entry2 *e = &t->e[i];

		if (e->function != function)
			continue;
		if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index)
			return e;
	}
	return NULL;
}

static struct kvm_cpuid_entry2 *cpuid_add(struct cpuid_table *t, uint32_t function)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(t, function, 0);

	if (e)
		return e;
	if (t->nent >= CPUID_MAX_ENTRIES)
		return NULL;
	e = &t->e[t->nent++];
	memset(e, 0, sizeof(*e));
	e->function = function;
	return e;
}

/* Bits needed to number @n cores (the x2APIC ID shift of the core level). */
static uint32_t cpuid_core_shift(unsigned int n)
{
	uint32_t s = 0;

	while ((1u << s) < n)
		s++;
	return s;
}

static void cpuid_fix_leaf1(struct kvm_cpuid_entry2 *e, unsigned int id, unsigned int nr)
{
	e->ebx &= 0x0000ffffu; /* keep brand index and CLFLUSH size */
	e->ebx |= (uint32_t)id << 24; /* initial APIC ID */
	e->ebx |= (nr > 255 ? 255u : nr) << 16; /* logical processors per package */
	if (nr > 1)
		e->edx |= EDX_HTT;
	else
		e->edx &= ~EDX_HTT;
	e->ecx |= ECX_HYPERVISOR;
}

static void cpuid_fix_topology(struct cpuid_table *t, uint32_t leaf, unsigned int id,
			       unsigned int nr)
{
	for (uint32_t i = 0; i < t->nent; i++) {
		struct kvm_cpuid_entry2 *e = &t->e[i];

		if (e->function != leaf)
			continue;
		e->edx = id; /* x2APIC ID */
		if (e->index == 0) { /* SMT level: one thread per core */
			e->eax = 0;
			e->ebx = 1;
			e->ecx = (1u << 8) | 0;
		} else if (e->index == 1) { /* core level: all vCPUs in one package */
			e->eax = cpuid_core_shift(nr);
			e->ebx = nr;
			e->ecx = (2u << 8) | 1;
		} else { /* no further levels */
			e->eax = 0;
			e->ebx = 0;
			e->ecx = e->index;
		}
	}
}

static void cpuid_fix_cache(struct cpuid_table *t, unsigned int nr)
{
	for (uint32_t i = 0; i < t->nent; i++) {
		struct kvm_cpuid_entry2 *e = &t->e[i];

		if (e->function != LEAF_CACHE || !(e->eax & 0x1f))
			continue;
		/* EAX[31:26]: cores per package - 1; a cache is per core here. */
		e->eax &= 0x03ffffffu;
		e->eax |= ((nr - 1) & 0x3fu) << 26;
		e->eax &= ~(0xfffu << 14); /* one thread shares each cache */
	}
}

static void cpuid_fix_hypervisor(struct cpuid_table *t, uint32_t tsc_khz)
{
	struct kvm_cpuid_entry2 *base = cpuid_add(t, LEAF_HV_BASE);
	struct kvm_cpuid_entry2 *timing;

	if (!base)
		return;
	if (!base->ebx) /* KVM normally reports its "KVMKVMKVM" signature */
		memcpy(&base->ebx, "KVMKVMKVM\0\0\0", 12);
	if (base->eax < LEAF_HV_TIMING)
		base->eax = LEAF_HV_TIMING;
	timing = cpuid_add(t, LEAF_HV_TIMING);
	if (!timing)
		return;
	timing->eax = tsc_khz;
	timing->ebx = KVM_APIC_BUS_KHZ;
	timing->ecx = timing->edx = 0;
}

void cpuid_fixup(struct cpuid_table *t, unsigned int id, unsigned int nr, uint32_t tsc_khz)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(t, LEAF_FEATURES, 0);

	if (e)
		cpuid_fix_leaf1(e, id, nr);
	cpuid_fix_topology(t, LEAF_TOPOLOGY, id, nr);
	cpuid_fix_topology(t, LEAF_TOPOLOGY2, id, nr);
	cpuid_fix_cache(t, nr);
	cpuid_fix_hypervisor(t, tsc_khz);
}
