/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mptable.h - the Intel MultiProcessor Specification 1.4 tables that tell a
 * guest how many CPUs it has and how ISA and PCI interrupts reach the IOAPIC.
 * Linux boots SMP from them without ACPI (as under kvmtool).
 */
#ifndef FERRY_VMM_MPTABLE_H
#define FERRY_VMM_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#define MPTABLE_MAX_CPUS 254 /* 255 is the broadcast APIC ID */

struct mptable_params {
	unsigned int nr_cpus; /* APIC IDs 0..nr_cpus-1, CPU 0 boots */
	uint32_t cpu_signature; /* CPUID.1 EAX */
	uint32_t cpu_features; /* CPUID.1 EDX */
	uint32_t pci_irq_slots; /* bit n: PCI slot n has INTA routed to IOAPIC pin 16+n%8 */
};

/*
 * Write the floating pointer and configuration table into @buf (guest address
 * @gpa, @len bytes available).  Returns bytes used or -ENOSPC / -EINVAL.
 */
int mptable_build(uint8_t *buf, size_t len, uint64_t gpa, const struct mptable_params *p);

#endif
